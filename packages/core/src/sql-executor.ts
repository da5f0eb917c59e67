/**
 * The hook for whole sub-query push-down to SQL-speaking sources (after
 * datafusion-federation's `SQLExecutor`): a dialect that renders a SELECT and
 * an `execute` that runs it and streams Arrow.
 *
 * The planner finds the largest part of a query that touches one such source
 * and uses only what {@link SqlDialect.capabilities} declares, asks the
 * dialect to render it, and sends it with {@link SqlExecutor.execute}.
 */
import type { RecordBatch, Schema } from './arrow.js';
import type { QueryContext } from './query-context.js';
import type { ScalarValue } from './scalar-type.js';

/** SQL text plus the values bound to its placeholders, in placeholder order. */
export interface RenderedSql {
  readonly sql: string;
  readonly params: readonly ScalarValue[];
}

/** What a dialect can render, so the planner pushes only what the source can run. */
export interface SqlCapabilities {
  /** Join types the source runs. */
  readonly joins: readonly ('inner' | 'left' | 'right' | 'full' | 'cross')[];
  /** Aggregate functions (lower-case names) the source runs. */
  readonly aggregates: readonly string[];
  /** `count(DISTINCT x)` and friends. */
  readonly distinctAggregates: boolean;
  readonly groupBy: boolean;
  readonly orderByLimit: boolean;
  readonly distinct: boolean;
  /** Sub-queries in FROM and WHERE, and CTEs. */
  readonly subqueries: boolean;
  readonly windowFunctions: boolean;
  /** Scalar functions (lower-case PostgreSQL names) the dialect can render. */
  readonly functions: readonly string[];
  /**
   * Whether `ILIKE` matches as Spoke's engine does (Unicode case folding).
   * Absent: true. False keeps statements with `ILIKE` away from the source.
   */
  readonly ilike?: boolean;
  /** `UNION [ALL]`, `INTERSECT`, `EXCEPT` between SELECTs. Absent: false. */
  readonly setOperations?: boolean;
  /** `WITH RECURSIVE`. Absent: false. */
  readonly recursiveCtes?: boolean;
}

/**
 * The parse tree of one SELECT statement, as `libpg-query` produces it
 * (`{ SelectStmt: {...} }`), with every table reference already rewritten to
 * the source's own `schema.table` name. The planner only hands over trees
 * that stay within {@link SqlCapabilities}.
 */
export interface SelectTree {
  readonly SelectStmt: Readonly<Record<string, unknown>>;
}

/** A SQL dialect: quoting, literal binding and rendering for one kind of source. */
export interface SqlDialect {
  /** `postgres`, `mysql`, `snowflake`, `duckdb`… */
  readonly name: string;
  readonly capabilities: SqlCapabilities;
  /** Quotes an identifier so that any string is taken as a name, never as SQL. */
  quoteIdentifier(name: string): string;
  /**
   * Renders a SELECT tree. Literals become bound parameters where the driver
   * allows, escaped literals otherwise. Throws `UNSUPPORTED` for anything the
   * dialect cannot express.
   */
  renderSelect(tree: SelectTree): RenderedSql;
}

/** Options for {@link SqlExecutor.execute}. */
export interface ExecuteOptions {
  readonly signal: AbortSignal;
  readonly context: QueryContext;
}

/** Runs rendered SQL on the source and streams the answer as Arrow. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** Lazy like `scan`: nothing is sent before the first `next()`. Aborting cancels the query on the server. */
  execute(query: RenderedSql, options: ExecuteOptions): AsyncIterable<RecordBatch>;
  /**
   * Present when the source can hold rows sent from the gateway as a
   * relation scoped to one query, so a statement sent with `execute` can
   * join them there (a peer gateway over Flight `DoPut`): the small side of
   * a join goes up, only the join's answer comes back.
   */
  readonly uploads?: RelationUploads | undefined;
}

/**
 * Query-scoped relations at a source. The planner names each relation
 * (unique per query) and renders its statement with
 * `<schema>.<name>`; the executor uploads before it executes and drops
 * after the statement ends, however it ends.
 */
export interface RelationUploads {
  /** The schema (for a peer gateway: the source) SQL sent here names uploaded relations in. */
  readonly schema: string;
  /** Sends `batches` as the relation `name`; resolves once the source holds all of them. */
  upload(request: UploadRequest): Promise<UploadedRelation>;
}

/** What {@link RelationUploads.upload} sends. */
export interface UploadRequest {
  /** Unique within the query: letters, digits and `_`. */
  readonly name: string;
  readonly schema: Schema;
  readonly batches: AsyncIterable<RecordBatch>;
  readonly signal: AbortSignal;
  readonly context: QueryContext;
}

/** A relation held by the source for one query. */
export interface UploadedRelation {
  readonly name: string;
  /** Rows and Arrow IPC bytes sent. */
  readonly rows: number;
  readonly bytes: number;
  /** Asks the source to drop it (it also expires by itself if the gateway goes away). Never throws. */
  drop(): Promise<void>;
}
