/**
 * `@spoke/connector-duckdb` — DuckDB database files and Parquet/CSV files
 * as a Spoke source, with filters, limit and top-N pushed into DuckDB.
 *
 * @packageDocumentation
 */
import { connector } from './duckdb-connector.js';

export { DuckDBCatalog, FILES_SCHEMA } from './duckdb-catalog.js';
export { connector, createDuckDBConnector, DuckDBConnector } from './duckdb-connector.js';
export { DuckDBDatabase } from './duckdb-database.js';
export { DUCKDB_OPTIONS } from './duckdb-options.js';
export { DUCKDB_SOURCE_CAPABILITIES, DuckDBSourceDialect, type PushableTable } from './duckdb-sql-dialect.js';
export { DuckDBSqlExecutor } from './duckdb-sql-executor.js';
export { DuckDBTable, type DuckDBTableSource } from './duckdb-table.js';
export { type DuckDBColumnMapping, mapDuckDBType } from './duckdb-type-mapping.js';
export { rowCountOnlyBatch } from './row-count-batch.js';

export default connector;
