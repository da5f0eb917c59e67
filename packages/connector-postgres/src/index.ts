/**
 * `@spoke/connector-postgres` — PostgreSQL for Spoke: binary COPY scans
 * decoded straight into Arrow, filter/limit/top-N push-down, whole sub-query
 * push-down, statistics from pg_class/pg_stats, server-side cancellation.
 *
 * ```yaml
 * sources:
 *   crm:
 *     connector: postgres
 *     url: postgres://spoke@db:5432/crm
 * ```
 *
 * @packageDocumentation
 */
import { defineConnector } from '@spoke/sdk';
import { PostgresConnector } from './postgres-connector.js';
import { parsePostgresOptions } from './postgres-options.js';

export { CopyBinaryDecoder } from './copy-binary-decoder.js';
export { PostgresConnector } from './postgres-connector.js';
export type { PgColumnInfo } from './postgres-introspection.js';
export { POSTGRES_OPTIONS, type PostgresOptions, parsePostgresOptions } from './postgres-options.js';
export { type PgDecoderKind, type PgType, resolvePgType } from './postgres-type-mapping.js';
export { inlineParameters } from './sql-parameters.js';

/** The connector factory: `connector: postgres` in the config. */
export const connector = defineConnector({
  name: 'postgres',
  async create(options, context) {
    // No connection yet: a server that is down at start-up is SOURCE_UNAVAILABLE per query, not a failed gateway.
    return new PostgresConnector(parsePostgresOptions(options, context), context);
  },
});

export default connector;
