import type { ConnectorContext } from '@spoke/core';
import { ErrorCode, SpokeError } from '@spoke/core';
import { type ParsedOptions, parseOptions } from '@spoke/sdk';

/** The options a `connector: mysql` source takes (also the README's table). */
export const MYSQL_OPTIONS = {
  url: {
    type: 'string',
    description: 'mysql://user:password@host:port/database (instead of host/port/user/password/database)',
  },
  host: { type: 'string', description: 'server host name', default: '127.0.0.1' },
  port: { type: 'integer', description: 'server port', default: 3306 },
  user: { type: 'string', description: 'user name' },
  password: { type: 'string', description: 'password' },
  database: { type: 'string', description: 'the database (schema) `source.table` refers to' },
  poolSize: { type: 'integer', description: 'connections kept in the pool', default: 5 },
  connectTimeoutMs: { type: 'integer', description: 'time allowed to open a connection', default: 10_000 },
  queryTimeoutMs: {
    type: 'integer',
    description:
      'server-side limit per statement (max_statement_time on MariaDB, max_execution_time on MySQL); 0 for none',
    default: 0,
  },
  tls: {
    type: 'string',
    description: 'disable, require (encrypt, trust any certificate) or verify (check the certificate)',
    default: 'disable',
    oneOf: ['disable', 'require', 'verify'],
  },
  tlsCa: {
    type: 'string',
    description: 'PEM file with the CA certificate(s) for tls: verify (relative to the config file)',
  },
  batchRows: { type: 'integer', description: 'rows per Arrow record batch', default: 8192 },
  catalogCacheMs: {
    type: 'integer',
    description:
      'how long (ms) table descriptions, statistics and row estimates are reused before the server is asked again (0: every query)',
    default: 5000,
  },
} as const;

/** Parsed {@link MYSQL_OPTIONS}. */
export type MysqlOptions = ParsedOptions<typeof MYSQL_OPTIONS>;

/** Connection settings resolved from either the URL or the separate keys. */
export interface MysqlConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** Validates the options and resolves the connection settings. */
export function resolveMysqlOptions(
  options: Readonly<Record<string, unknown>>,
  context: Pick<ConnectorContext, 'sourceName'>,
): { options: MysqlOptions; connection: MysqlConnectionSettings } {
  const parsed = parseOptions(options, MYSQL_OPTIONS, context);
  const bad = (key: string, message: string) =>
    new SpokeError(ErrorCode.INVALID_CONFIG, `sources.${context.sourceName}.${key}: ${message}`, {
      source: context.sourceName,
    });
  let host = parsed.host;
  let port = parsed.port;
  let user = parsed.user;
  let password = parsed.password;
  let database = parsed.database;
  if (parsed.url !== undefined) {
    let url: URL;
    try {
      url = new URL(parsed.url);
    } catch {
      throw bad('url', 'is not a URL (expected mysql://user:password@host:port/database)');
    }
    if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:')
      throw bad('url', `expected a mysql:// URL, got ${url.protocol}//`);
    host = decodeURIComponent(url.hostname) || host;
    port = url.port ? Number(url.port) : port;
    user = url.username ? decodeURIComponent(url.username) : user;
    password = url.password ? decodeURIComponent(url.password) : password;
    const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
    database = path || database;
  }
  if (!user) throw bad('user', 'is required (or give it in url)');
  if (!database) throw bad('database', 'is required (or give it in url)');
  if (parsed.poolSize < 1) throw bad('poolSize', 'must be at least 1');
  if (parsed.batchRows < 1) throw bad('batchRows', 'must be at least 1');
  if (parsed.catalogCacheMs < 0) throw bad('catalogCacheMs', 'must be 0 or more');
  if (parsed.tls === 'verify' && parsed.tlsCa === undefined) {
    // Node's default CA store is used: fine for public CAs.
  }
  return { options: parsed, connection: { host, port, user, password: password ?? '', database } };
}
