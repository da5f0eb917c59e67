import { type ConnectorContext, ErrorCode, SpokeError } from '@spoke/core';
import { type ParsedOptions, parseOptions } from '@spoke/sdk';

/** The options a `connector: snowflake` source takes (also the README's table). */
export const SNOWFLAKE_OPTIONS = {
  account: {
    type: 'string',
    required: true,
    description: 'account identifier (orgname-accountname or the locator)',
  },
  username: { type: 'string', required: true, description: 'login name' },
  password: { type: 'string', description: 'password (or use privateKeyPath for key-pair authentication)' },
  privateKeyPath: {
    type: 'string',
    description: 'PEM private key for key-pair (JWT) authentication, relative to the config file',
  },
  privateKeyPass: { type: 'string', description: 'passphrase of an encrypted private key' },
  role: { type: 'string', description: 'role to use' },
  warehouse: { type: 'string', description: 'warehouse that runs the queries' },
  database: { type: 'string', required: true, description: 'database whose schemas the source exposes' },
  schema: { type: 'string', description: 'schema `source.table` refers to', default: 'PUBLIC' },
  accessUrl: {
    type: 'string',
    description: 'URL to reach Snowflake through (a proxy, private link, or a test emulator)',
  },
  queryTag: {
    type: 'string',
    description: 'prefix of the QUERY_TAG set on every statement (`<prefix>:<query id>`)',
    default: 'spoke',
  },
  poolSize: { type: 'integer', description: 'sessions kept open', default: 4 },
  batchRows: { type: 'integer', description: 'rows per Arrow record batch', default: 8192 },
  timeoutMs: {
    type: 'integer',
    description: 'STATEMENT_TIMEOUT_IN_SECONDS for each session, in ms; 0 for the account default',
    default: 0,
  },
} as const;

/** Parsed {@link SNOWFLAKE_OPTIONS}. */
export type SnowflakeOptions = ParsedOptions<typeof SNOWFLAKE_OPTIONS>;

/** Validates the options: exactly one of password and privateKeyPath. */
export function resolveSnowflakeOptions(
  options: Readonly<Record<string, unknown>>,
  context: Pick<ConnectorContext, 'sourceName'>,
): SnowflakeOptions {
  const parsed = parseOptions(options, SNOWFLAKE_OPTIONS, context);
  const bad = (key: string, message: string) =>
    new SpokeError(ErrorCode.INVALID_CONFIG, `sources.${context.sourceName}.${key}: ${message}`, {
      source: context.sourceName,
    });
  if ((parsed.password === undefined) === (parsed.privateKeyPath === undefined)) {
    throw bad(
      'password',
      'give either password or privateKeyPath (key-pair authentication), not both or neither',
    );
  }
  if (parsed.accessUrl !== undefined && !/^https?:\/\//.test(parsed.accessUrl))
    throw bad('accessUrl', 'must start with https:// or http://');
  if (parsed.poolSize < 1) throw bad('poolSize', 'must be at least 1');
  return parsed;
}
