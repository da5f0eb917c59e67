import {
  didYouMean,
  ErrorCode,
  type SpokeCatalog,
  SpokeError,
  type SpokeTable,
  throwIfAborted,
} from '@spoke/core';
import type { DuckDBDatabase } from './duckdb-database.js';
import { DuckDBTable } from './duckdb-table.js';

/** The schema file tables (`files:`) are exposed in. */
export const FILES_SCHEMA = 'main';

/**
 * The database's schemas, tables and views (read from `duckdb_tables()`
 * and `duckdb_views()` on every call, so a writable database's new tables
 * appear), plus the configured file tables in schema `main`.
 */
export class DuckDBCatalog implements SpokeCatalog {
  readonly defaultSchema = 'main';

  constructor(
    private readonly db: DuckDBDatabase,
    private readonly fileTables: ReadonlyMap<string, DuckDBTable>,
    /**
     * True when nothing can change the database's tables while it is open
     * (a file opened READ_ONLY: DuckDB lets no writer in beside readers), so
     * the table list and each table's description are read once, not on
     * every statement — two DuckDB round trips fewer per table a query names.
     */
    private readonly frozen = false,
  ) {}

  #tableList: Promise<{ schema: string; table: string }[]> | undefined;

  /** Every (schema, table) of the database, tables and views alike. */
  async databaseTables(signal?: AbortSignal): Promise<{ schema: string; table: string }[]> {
    throwIfAborted(signal);
    if (!this.frozen) return this.readTableList();
    this.#tableList ??= this.readTableList().catch((error) => {
      this.#tableList = undefined;
      throw error;
    });
    return this.#tableList;
  }

  private readTableList(): Promise<{ schema: string; table: string }[]> {
    return this.db.withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(
        `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary
         UNION ALL
         SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT temporary AND NOT internal
         ORDER BY 1, 2`,
      );
      return reader.getRows().map(([schema, table]) => ({ schema: String(schema), table: String(table) }));
    });
  }

  async listSchemas(signal?: AbortSignal): Promise<readonly string[]> {
    throwIfAborted(signal);
    const schemas = await this.db.withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(
        "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name NOT IN ('information_schema', 'pg_catalog') ORDER BY 1",
      );
      return reader.getRows().map(([s]) => String(s));
    });
    return [...new Set([this.defaultSchema, ...schemas])];
  }

  async listTables(schema: string, signal?: AbortSignal): Promise<readonly string[]> {
    const schemas = await this.listSchemas(signal);
    if (!schemas.includes(schema)) {
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `schema "${schema}" does not exist${didYouMean(schema, schemas)}`,
        { source: this.db.sourceName },
      );
    }
    const tables = (await this.databaseTables(signal)).filter((t) => t.schema === schema).map((t) => t.table);
    if (schema === FILES_SCHEMA) tables.push(...this.fileTables.keys());
    return tables.sort();
  }

  async getTable(schema: string, table: string, signal?: AbortSignal): Promise<SpokeTable | undefined> {
    if (schema === FILES_SCHEMA) {
      const file = this.fileTables.get(table);
      if (file) return file;
    }
    const key = `${schema}\u0000${table}`;
    const known = this.frozen ? this.#handedOut.get(key) : undefined;
    if (known) return known;
    const found = (await this.databaseTables(signal)).some((t) => t.schema === schema && t.table === table);
    if (!found) return undefined;
    const described = new DuckDBTable(table, this.db, { kind: 'table', schema, table });
    // Described now (the planner asks for the schema next anyway), so readsInPlace() can answer at planning.
    await described.schema();
    this.#handedOut.set(key, described);
    return described;
  }

  /** The database tables last handed out, by schema and name: what the planner bound a statement to. */
  readonly #handedOut = new Map<string, DuckDBTable>();

  /**
   * Whether SQL pushed whole may read `schema.table` in place: a database
   * table the planner has been given and that {@link DuckDBTable.readsInPlace}.
   * File tables never are (pushed SQL would name a relation that does not exist).
   */
  readsInPlace(schema: string, table: string): boolean {
    return this.#handedOut.get(`${schema}\u0000${table}`)?.readsInPlace() === true;
  }
}
