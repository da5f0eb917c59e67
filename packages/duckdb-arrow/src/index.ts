/**
 * The Arrow ↔ DuckDB boundary: type mapping, loading Arrow batches into
 * DuckDB, streaming DuckDB results out as Arrow, and creating the instance.
 */
export * from './arrow-to-duckdb.js';
export * from './duckdb-params.js';
export * from './duckdb-session.js';
export * from './duckdb-to-arrow.js';
export * from './duckdb-type-mapping.js';
