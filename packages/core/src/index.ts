/**
 * `@spoke/core` — the provider contract every Spoke connector implements.
 *
 * connector → catalog (schemas → tables) → table: schema, statistics,
 * `supportsFilters`, lazy `scan(request)` → Arrow record batches.
 *
 * @packageDocumentation
 */
export * from './arrow.js';
export * from './batch-streams.js';
export * from './catalog.js';
export * from './closest-name.js';
export * from './connector.js';
export * from './connector-docs.js';
export * from './duckdb-misfolded-constants.js';
export * from './errors.js';
export * from './expression.js';
export * from './format-expression.js';
export * from './freshness.js';
export * from './pg-type-metadata.js';
export * from './query-context.js';
export * from './record-batch.js';
export * from './scalar-type.js';
export * from './scan-request.js';
export * from './sql-executor.js';
export * from './statistics.js';
export * from './table.js';
export * from './with-fields.js';
export * from './writes.js';
