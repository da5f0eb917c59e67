import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Expr, RecordBatch, RenderedSql } from '@spoke/core';
import { duckdbColumnField, streamResultAsArrow, toTypedDuckDBParams } from '@spoke/duckdb-arrow';
import {
  DuckDBDialect,
  type ExpressionRenderContext,
  type SqlRunOptions,
  SqlSourceConnector,
  type SqlTableDescription,
} from '@spoke/sdk';

/**
 * How scan filters and sort keys are written for the source. Start from
 * `AnsiDialect` (or a dialect close to your engine, here DuckDB's) and
 * override what differs; the sdk README tables what each node renders to.
 */
export class MySourceDialect extends DuckDBDialect {
  /**
   * Asked first for every node: its SQL, `undefined` (standard rendering) or
   * `DECLINE` to leave the filter to Spoke (`upper` on an ASCII-only engine).
   */
  renderExpression(_expr: Expr, _context: ExpressionRenderContext): string | undefined {
    return undefined;
  }
}

/**
 * One configured source. The sdk's `SqlSourceConnector` provides the
 * catalog and tables whose scans push projection, filters, limit and top-N
 * down as one SELECT; this class runs SQL and answers the catalog queries.
 * Scans may run concurrently: each `executeSql` takes its own connection.
 */
export class MySourceConnector extends SqlSourceConnector {
  readonly defaultSchema = 'main';
  readonly expressionDialect = new MySourceDialect();
  override catalogCacheMs = 5000;

  constructor(
    readonly sourceName: string,
    private readonly instance: DuckDBInstance,
  ) {
    super();
  }

  /** Releases the client (the gateway calls it on shutdown and reload). */
  override async close(): Promise<void> {
    this.instance.closeSync();
  }

  /** A connection per statement, so concurrent scans never share one. */
  private connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** Runs one statement with its bound values and streams Arrow; aborting the signal stops it. */
  async *executeSql(query: RenderedSql, options: SqlRunOptions): AsyncGenerator<RecordBatch> {
    const connection = await this.connect();
    try {
      for (const setting of this.expressionDialect.sessionSettings) await connection.run(setting);
      const { values, types } = toTypedDuckDBParams(query.params);
      const result = await connection.stream(query.sql, values, types);
      yield* streamResultAsArrow(result, options.signal);
    } finally {
      connection.closeSync();
    }
  }

  /** The schemas a user may see. */
  async listSchemaNames(): Promise<readonly string[]> {
    return (await this.#column('SELECT DISTINCT table_schema FROM information_schema.tables', [])).sort();
  }

  /** The tables of one schema, or `undefined` when it does not exist. */
  async listTableNames(schema: string): Promise<readonly string[] | undefined> {
    if (!(await this.listSchemaNames()).includes(schema)) return undefined;
    const sql = 'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1';
    return this.#column(sql, [schema]);
  }

  /** One table's columns and their Arrow types (the type mapping), or `undefined`. */
  async describeTable(schema: string, table: string): Promise<SqlTableDescription | undefined> {
    if (!(await this.listTableNames(schema))?.includes(table)) return undefined;
    const q = (name: string) => this.expressionDialect.quoteIdentifier(name);
    const connection = await this.connect();
    try {
      const result = await connection.run(`SELECT * FROM ${q(schema)}.${q(table)} LIMIT 0`);
      const types = result.columnTypes();
      const columns = result.columnNames().map((name, i) => ({
        name,
        field: duckdbColumnField(name, types[i]!),
        sourceType: types[i]!.toString(),
      }));
      return { schema, name: table, kind: 'table', columns };
    } finally {
      connection.closeSync();
    }
  }

  async #column(sql: string, params: string[]): Promise<string[]> {
    const connection = await this.connect();
    try {
      const reader = await connection.runAndReadAll(sql, params);
      return reader.getRows().map((row) => String(row[0]));
    } finally {
      connection.closeSync();
    }
  }
}
