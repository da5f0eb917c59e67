/**
 * `@spoke/sdk` — what connector authors use: base classes with the contract's
 * defaults, option parsing, Arrow batch helpers and the SQL renderer for
 * SQL-speaking sources. The conformance kit is the separate package
 * `@spoke/testing` (a devDependency), so a connector's production install
 * does not carry DuckDB.
 *
 * @packageDocumentation
 */
export * from './arrow-columns.js';
export * from './base-catalog.js';
export * from './base-connector.js';
export * from './base-table.js';
export * from './batches.js';
export * from './options.js';
export * from './sql/ansi-dialect.js';
export * from './sql/duckdb-dialect.js';
export * from './sql/expression-dialect.js';
export * from './sql/expression-renderer.js';
export * from './sql/integer-division.js';
export * from './sql/postgres-dialect.js';
export * from './sql/scan-sql.js';
export * from './sql/select-renderer.js';
export * from './sql/standard-select-dialect.js';
export * from './sql-source/sql-source-connector.js';
export * from './sql-source/sql-source-types.js';
export * from './sql-source/sql-table.js';
