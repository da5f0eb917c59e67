import { type ConnectorContext, ErrorCode, SpokeError } from '@spoke/core';
import { type OptionSpec, parseOptions } from '@spoke/sdk';
import type { PgPoolConfig } from './pg-driver.js';

/** The options a `connector: postgres` source takes. */
export const POSTGRES_OPTIONS = {
  url: {
    type: 'string',
    description: 'connection URL, postgres://user:password@host:port/database?sslmode=…',
  },
  host: { type: 'string', description: 'server host name, IP address, or Unix socket directory' },
  port: { type: 'integer', description: 'server port', default: 5432 },
  user: { type: 'string', description: 'user name' },
  password: { type: 'string', description: 'password' },
  database: { type: 'string', description: 'database name' },
  schema: { type: 'string', description: 'the schema `source.table` refers to', default: 'public' },
  poolSize: { type: 'integer', description: 'most connections open at once', default: 10 },
  statementTimeout: {
    type: 'integer',
    description: 'server-side statement timeout in milliseconds (0: none)',
    default: 0,
  },
  sslmode: {
    type: 'string',
    description:
      'TLS: disable, require (encrypt, no certificate check), verify-ca / verify-full (check the certificate)',
    oneOf: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'],
  },
  applicationName: {
    type: 'string',
    description: 'application_name shown in pg_stat_activity',
    default: 'spoke',
  },
  copy: {
    type: 'boolean',
    description:
      'read with binary COPY (fast); false uses a cursor with bound parameters (for servers without COPY)',
    default: true,
  },
  catalogCacheMs: {
    type: 'integer',
    description:
      'how long (ms) table descriptions and result row descriptions are reused before the catalog is asked again (0: every query)',
    default: 5000,
  },
  batchRows: { type: 'integer', description: 'rows per Arrow record batch', default: 65536 },
  parallelScanWorkers: {
    type: 'integer',
    description: 'connections a plain scan of a large table is split over, by ctid ranges (1: off)',
    default: 1,
  },
  parallelScanMinPages: {
    type: 'integer',
    description: 'size in 8 kB pages from which a table counts as large for parallel scans',
    default: 12800,
  },
} as const satisfies Record<string, OptionSpec>;

/** Parsed options. */
export type PostgresOptions = ReturnType<typeof parsePostgresOptions>;

/** Validates a source's options (`INVALID_CONFIG` naming the key). */
export function parsePostgresOptions(
  options: Readonly<Record<string, unknown>>,
  context: Pick<ConnectorContext, 'sourceName'>,
) {
  const parsed = parseOptions(options, POSTGRES_OPTIONS, context);
  const fail = (key: string, message: string) =>
    new SpokeError(ErrorCode.INVALID_CONFIG, `sources.${context.sourceName}.${key}: ${message}`, {
      source: context.sourceName,
    });
  if (parsed.url === undefined && parsed.host === undefined) throw fail('url', 'is required (or host)');
  if (parsed.url !== undefined && !/^postgres(ql)?:\/\//.test(parsed.url))
    throw fail('url', 'expected a postgres:// URL');
  if (parsed.poolSize < 1) throw fail('poolSize', 'must be at least 1');
  if (parsed.catalogCacheMs < 0) throw fail('catalogCacheMs', 'must be 0 or more');
  if (parsed.batchRows < 1) throw fail('batchRows', 'must be at least 1');
  if (parsed.parallelScanWorkers < 1) throw fail('parallelScanWorkers', 'must be at least 1');
  if (parsed.parallelScanWorkers > parsed.poolSize)
    throw fail('parallelScanWorkers', 'cannot exceed poolSize');
  return parsed;
}

/** The node-postgres pool configuration for parsed options. */
export function poolConfig(options: PostgresOptions): PgPoolConfig {
  const config: PgPoolConfig = {
    max: options.poolSize,
    application_name: options.applicationName,
    // Fixed session settings the decoders and literal renderers rely on.
    options:
      '-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3 ' +
      '-c standard_conforming_strings=on -c bytea_output=hex -c client_encoding=UTF8',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  };
  if (options.url !== undefined) config.connectionString = options.url;
  if (options.host !== undefined) config.host = options.host;
  if (options.url === undefined || options.port !== 5432) config.port = options.port;
  if (options.user !== undefined) config.user = options.user;
  if (options.password !== undefined) config.password = options.password;
  if (options.database !== undefined) config.database = options.database;
  if (options.statementTimeout > 0) config.statement_timeout = options.statementTimeout;
  switch (options.sslmode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      // node-postgres cannot fall back between plain and TLS; these connect without TLS.
      config.ssl = false;
      break;
    case 'require':
      config.ssl = { rejectUnauthorized: false };
      break;
    case 'verify-ca':
    case 'verify-full':
      config.ssl = { rejectUnauthorized: true };
      break;
  }
  return config;
}
