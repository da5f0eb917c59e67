import {
  type RecordBatch as ArrowRecordBatch,
  arrow,
  didYouMean,
  ErrorCode,
  type ExecuteOptions,
  type Expr,
  type FilterSupport,
  type RecordBatch,
  type RenderedSql,
  type ScanRequest,
  type SpokeCatalog,
  SpokeError,
  type SpokeTable,
  type SqlDialect,
  type SqlExecutor,
  type TableStatistics,
} from '@spoke/core';
import { BaseConnector } from '../base-connector.js';
import type { ExpressionDialect } from '../sql/expression-dialect.js';
import { ExpressionRenderer } from '../sql/expression-renderer.js';
import { ExpiringCache } from './expiring-cache.js';

export { ExpiringCache } from './expiring-cache.js';

import type { SqlColumn, SqlRunOptions, SqlTableDescription } from './sql-source-types.js';
import { SqlTable } from './sql-table.js';

/**
 * What a {@link SqlSourceConnector} subclass declares to offer whole
 * sub-query push-down: `class MySource extends SqlSourceConnector implements WholeQueryPushdown`.
 */
export interface WholeQueryPushdown {
  /** Renders whole SELECT trees for the planner; what it declares in `capabilities` is all the planner sends. */
  readonly dialect: SqlDialect;
}

/**
 * The base of every connector for a SQL-speaking source (PostgreSQL, MySQL,
 * Snowflake, SQLite…). A subclass supplies:
 *
 * - {@link SqlSourceConnector.expressionDialect}: how scan filters and sort
 *   keys are written (extend `AnsiDialect`; its
 *   {@link ExpressionDialect.renderExpression} hook rewrites or declines any
 *   node, {@link ExpressionDialect.bindValue} converts bound values);
 * - {@link SqlSourceConnector.executeSql}: run SQL, stream Arrow;
 * - the catalog queries {@link SqlSourceConnector.listSchemaNames},
 *   {@link SqlSourceConnector.listTableNames} and
 *   {@link SqlSourceConnector.describeTable} (which carries the type mapping:
 *   each column's Arrow field).
 *
 * In return it provides the catalog (cached for
 * {@link SqlSourceConnector.catalogCacheMs}) and tables whose scans push
 * projection, filters, limit and top-N down as one SELECT.
 *
 * Whole sub-query push-down (joins, aggregates, sub-queries sent as one
 * statement) is an optional capability, off by default: declare a
 * `dialect` (a `SqlDialect`: for a standard-SQL source
 * `standardSqlDialect({ expressions: this.expressionDialect, resolveTable:
 * (s, n) => this.describedTable(s, n) })`, or one built on
 * `renderSelectTree` and a `SelectDialect`; see {@link WholeQueryPushdown})
 * and the connector exposes the `sql` executor; without it the planner
 * sends this source scans only. `@spoke/testing` runs its whole-query cases
 * when the capability `wholeQueries` is declared.
 *
 * Override {@link SqlSourceConnector.scanTable},
 * {@link SqlSourceConnector.selectColumn}, {@link SqlSourceConnector.filterSupport}
 * or {@link SqlSourceConnector.tableStatistics} where the source does better.
 *
 * Concurrency and errors follow the contract (`SpokeConnector` in
 * `@spoke/core`): several scans, and whole statements, may be in flight at
 * once, their iterators advanced in any interleaving, so
 * {@link SqlSourceConnector.executeSql} must take its own connection (or
 * queue) per call; driver errors should be mapped to `SpokeError` codes
 * (`SOURCE_UNAVAILABLE` when the source cannot be reached or its file is
 * missing, `SOURCE_ERROR` when it refuses a statement, `QUERY_CANCELLED`
 * on abort).
 */
export abstract class SqlSourceConnector extends BaseConnector {
  /** The configured source name, used in errors. */
  abstract readonly sourceName: string;
  /** The schema a query's `source.table` refers to. */
  abstract readonly defaultSchema: string;
  /**
   * The `dialect` a subclass declares to offer whole sub-query push-down
   * (see {@link WholeQueryPushdown}), or `undefined`: the source then
   * receives scans only and `sql` is absent. Not declared on this class, so
   * a subclass writes `readonly dialect = …` without `override`.
   */
  protected wholeQueryDialect(): SqlDialect | undefined {
    return (this as Partial<WholeQueryPushdown>).dialect;
  }
  /** Renders scan filters and sort keys. */
  abstract readonly expressionDialect: ExpressionDialect;

  /** Runs `query` on the source and streams the answer. Lazy; aborting `options.signal` cancels it on the server. */
  abstract executeSql(query: RenderedSql, options: SqlRunOptions): AsyncIterable<RecordBatch>;
  /** The schemas a user may see. */
  abstract listSchemaNames(signal?: AbortSignal): Promise<readonly string[]>;
  /** The tables and views of one schema, or `undefined` when the schema does not exist. */
  abstract listTableNames(schema: string, signal?: AbortSignal): Promise<readonly string[] | undefined>;
  /** One relation's columns (names matched exactly), or `undefined` when it does not exist. */
  abstract describeTable(
    schema: string,
    table: string,
    signal?: AbortSignal,
  ): Promise<SqlTableDescription | undefined>;

  /** Statistics for the cost model. Default: none. */
  async tableStatistics(
    _table: SqlTableDescription,
    _signal?: AbortSignal,
  ): Promise<TableStatistics | undefined> {
    return undefined;
  }

  /**
   * The source's estimate of the rows {@link SqlSourceConnector.renderScan}
   * would return for `filters` (its planner's, e.g. `EXPLAIN`), or
   * `undefined`. Default: none. Called once per distinct filter set and
   * cached for {@link SqlSourceConnector.catalogCacheMs}.
   */
  async estimateScanRows(
    _table: SqlTableDescription,
    _filters: readonly Expr[],
    _signal?: AbortSignal,
  ): Promise<number | undefined> {
    return undefined;
  }

  /**
   * How a renderable filter is answered. Default `exact`: the source applies
   * it with SQL semantics. Override for filters whose result differs from the
   * engine's (collation-dependent string order, for instance).
   */
  filterSupport(_filter: Expr, _table: SqlTableDescription): FilterSupport {
    return 'exact';
  }

  /** The select-list item for one column of a scan; a cast where the wire format needs one. Default: the quoted name. */
  selectColumn(column: SqlColumn): string {
    return this.expressionDialect.quoteIdentifier(column.name);
  }

  /**
   * The renderer for one scan's filters and order. Default: the sdk's over
   * {@link SqlSourceConnector.expressionDialect}; override to render some
   * expressions the table's column types call for differently.
   */
  protected filterRenderer(_table: SqlTableDescription): ExpressionRenderer {
    return new ExpressionRenderer(this.expressionDialect);
  }

  /** The SELECT for a scan request, filters ANDed, top-N ordered and limited. */
  renderScan(
    table: SqlTableDescription,
    request: Pick<ScanRequest, 'projection' | 'filters' | 'limit' | 'orderBy'>,
  ): RenderedSql {
    const d = this.expressionDialect;
    const r = this.filterRenderer(table);
    const columns = request.projection.map((name) => this.column(table, name));
    const select = columns.length
      ? columns.map((c) => this.selectColumn(c)).join(', ')
      : `1 AS ${d.quoteIdentifier('?column?')}`;
    let sql = `SELECT ${select} FROM ${d.quoteIdentifier(table.schema)}.${d.quoteIdentifier(table.name)}`;
    if (request.filters.length) sql += ` WHERE ${request.filters.map((f) => r.render(f)).join(' AND ')}`;
    if (request.orderBy?.length) sql += ` ORDER BY ${r.renderOrderBy(request.orderBy)}`;
    if (request.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(request.limit))}`;
    return { sql, params: r.params };
  }

  /**
   * Streams a scan: renders it with {@link SqlSourceConnector.renderScan} and
   * runs it with {@link SqlSourceConnector.executeSql}. An empty projection
   * yields column-less batches with the right row counts.
   */
  async *scanTable(table: SqlTableDescription, request: ScanRequest): AsyncGenerator<RecordBatch> {
    const query = this.renderScan(table, request);
    const columns = request.projection.map((name) => this.column(table, name));
    const batches = this.executeSql(query, {
      signal: request.signal,
      context: request.context,
      ...(columns.length ? { columns } : {}),
    });
    for await (const batch of batches) yield columns.length ? batch : columnlessBatch(batch.numRows);
  }

  /** Looks a column up by exact name, or throws `COLUMN_NOT_FOUND`. */
  protected column(table: SqlTableDescription, name: string): SqlColumn {
    const column = table.columns.find((c) => c.name === name);
    if (!column) {
      throw new SpokeError(
        ErrorCode.COLUMN_NOT_FOUND,
        `column "${name}" does not exist in ${table.schema}.${table.name}${didYouMean(
          name,
          table.columns.map((c) => c.name),
        )}`,
        { source: this.sourceName },
      );
    }
    return column;
  }

  /** Creates the table object for a description; override to return a subclass of {@link SqlTable}. */
  createTable(description: SqlTableDescription): SpokeTable {
    return new SqlTable(this, description);
  }

  /**
   * How long, in milliseconds, the catalog may answer from memory what the
   * catalog queries said (the schema list, each table's description) instead
   * of asking the source again. Every query binds its tables, so without it
   * each one pays a catalog round trip before any work. A table that does not
   * exist is never cached; a changed one is seen after at most this long (or
   * at once after {@link SqlSourceConnector.invalidateCatalog}). Default 0:
   * ask every time.
   */
  catalogCacheMs = 0;

  readonly #described = new Map<string, SqlTableDescription>();

  /**
   * The description the catalog last loaded for `schema.name` (the default
   * schema when `schema` is undefined), answered synchronously: what a
   * whole-query dialect's `resolveTable` needs (the planner binds every
   * table, so loads its description, before it renders a statement).
   */
  describedTable(schema: string | undefined, name: string): SqlTableDescription | undefined {
    return this.#described.get(JSON.stringify([schema ?? this.defaultSchema, name]));
  }

  readonly #tables = new ExpiringCache<SpokeTable | undefined>(() => this.catalogCacheMs);
  readonly #schemas = new ExpiringCache<readonly string[]>(() => this.catalogCacheMs, 1);

  /** Forgets what the catalog cached (after DDL the connector itself ran, for instance). */
  invalidateCatalog(): void {
    this.#tables.delete();
    this.#schemas.delete();
  }

  /** The catalog: schemas and tables as the catalog queries report them (cached for {@link SqlSourceConnector.catalogCacheMs}). */
  readonly catalog: SpokeCatalog = catalogOf(this, this.#tables, this.#schemas, (d) => {
    const key = JSON.stringify([d.schema, d.name]);
    this.#described.delete(key);
    this.#described.set(key, d);
    if (this.#described.size > 1000) this.#described.delete(this.#described.keys().next().value!);
  });

  constructor() {
    super();
    // A getter, because a subclass sets `dialect` after this constructor runs;
    // the planner reads `sql`'s presence as "whole statements may be sent".
    const executor = executorOf(this, () => this.wholeQueryDialect()!);
    Object.defineProperty(this, 'sql', {
      get: (): SqlExecutor | undefined => (this.wholeQueryDialect() === undefined ? undefined : executor),
      enumerable: true,
      configurable: true,
    });
  }
}

// Getters, because subclasses set `dialect` and `defaultSchema` after the base class's field initialisers run.
function catalogOf(
  connector: SqlSourceConnector,
  tables: ExpiringCache<SpokeTable | undefined>,
  schemas: ExpiringCache<readonly string[]>,
  remember: (description: SqlTableDescription) => void,
): SpokeCatalog {
  return {
    get defaultSchema(): string {
      return connector.defaultSchema;
    },
    // The signal of whichever caller loads an entry cancels only that load; its failure is not cached.
    listSchemas: (signal) => schemas.get('', () => connector.listSchemaNames(signal)),
    listTables: async (schema, signal) => {
      const tables = await connector.listTableNames(schema, signal);
      if (tables === undefined) {
        throw new SpokeError(
          ErrorCode.TABLE_NOT_FOUND,
          `schema "${schema}" does not exist in source ${connector.sourceName}`,
          {
            source: connector.sourceName,
          },
        );
      }
      return tables;
    },
    getTable: (schema, table, signal) =>
      tables.get(
        JSON.stringify([schema, table]),
        async () => {
          const description = await connector.describeTable(schema, table, signal);
          if (description) remember(description);
          return description && connector.createTable(description);
        },
        (found) => found !== undefined,
      ),
  };
}

function executorOf(connector: SqlSourceConnector, dialect: () => SqlDialect): SqlExecutor {
  return {
    get dialect(): SqlDialect {
      return dialect();
    },
    execute: (query: RenderedSql, options: ExecuteOptions) => connector.executeSql(query, options),
  };
}

/**
 * A batch with no columns and `rows` rows (the answer to an empty projection).
 * arrow-js's RecordBatch constructor recomputes the length from the children,
 * which gives 0 when there are none, so the Data is set back afterwards.
 */
export function columnlessBatch(rows: number): ArrowRecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct([]), length: rows, nullCount: 0, children: [] });
  const batch = new arrow.RecordBatch(new arrow.Schema([]), data);
  (batch as unknown as { data: typeof data }).data = data;
  return batch;
}
