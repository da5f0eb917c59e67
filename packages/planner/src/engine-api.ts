/**
 * The planner's public surface, as the gateway's front ends (HTTP, Postgres
 * wire, Flight, CLI) see it. One {@link QueryEngine} serves every client; a
 * {@link Session} holds one client connection's settings.
 */
import type { DataType, QueryContext, RecordBatch, ScalarValue, Schema, WriteResult } from '@spoke/core';

/** Options for one statement. */
export interface QueryOptions {
  /** Values for `$1`, `$2`… in the SQL text. */
  readonly params?: readonly ScalarValue[];
  /** Cancels the statement end to end, sources included. */
  readonly signal?: AbortSignal;
  /**
   * The controller of `signal`, when the caller made it for this statement
   * alone: the engine then aborts it (when the engine closes) rather than
   * making a controller of its own that follows `signal`. Node 20 gives every
   * AbortSignal hidden classes of its own (three maps, in the old
   * generation), so each one a statement does not make is garbage the
   * collector does not copy. Ignored unless `controller.signal === signal`.
   */
  readonly controller?: AbortController;
  /** Who is asking; `queryId` is generated when absent. */
  readonly context?: Partial<QueryContext>;
  /** The client connection's session, for `SET`/`SHOW`/`BEGIN`…; a fresh one when absent. */
  readonly session?: Session;
}

/** The answer to one statement. Rows stream: read `batches` once. */
export interface QueryResult {
  /** The PostgreSQL command tag's verb: `SELECT`, `SET`, `SHOW`, `BEGIN`, `COMMIT`, `ROLLBACK`, `EXPLAIN`, `INSERT`… */
  readonly command: string;
  /** The result columns (empty for commands without rows such as `SET`). */
  readonly schema: Schema;
  /** The rows. For commands without rows it yields nothing. */
  readonly batches: AsyncIterable<RecordBatch>;
  /** For writes: the number of rows affected, once `batches` is drained. */
  readonly rowsAffected?: () => number;
  /** Security policy rules that shaped the statement (written to the audit record). */
  readonly appliedRules?: readonly string[];
  /** The configured sources the statement reads (written to the audit record). */
  readonly sources?: readonly string[];
}

/** One column of a table in the federated catalog. */
export interface CatalogColumn {
  readonly name: string;
  readonly type: DataType;
  readonly nullable: boolean;
}

/** One table of the federated catalog: `source.schema.name`. */
export interface CatalogTable {
  readonly source: string;
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly CatalogColumn[];
}

/** What one source is asked, as EXPLAIN shows it. */
export interface ExplainSourceRequest {
  /** The configured source name. */
  readonly source: string;
  /** `schema.table` for a scan; absent for a pushed-down sub-query. */
  readonly table?: string;
  /** `scan` (projection/filters/limit through `SpokeTable.scan`) or `sql` (a whole sub-query through `SqlExecutor`). */
  readonly kind: 'scan' | 'sql';
  readonly columns: readonly string[];
  /** Each candidate filter, rendered as SQL, with the table's answer. `rejected` filters run in DuckDB. */
  readonly filters: readonly { readonly sql: string; readonly support: 'exact' | 'inexact' | 'rejected' }[];
  readonly limit?: number;
  readonly orderBy?: string;
  /** Join keys that may restrict this scan at run time (dynamic filtering). */
  readonly dynamicFilters?: readonly string[];
  /** For `kind: 'sql'`: the SQL text sent and its bound parameters. */
  readonly sql?: string;
  readonly params?: readonly ScalarValue[];
  /** The DuckDB relation name the rows are loaded into. */
  readonly relation: string;
  /** How the optimizer chose to read it: `pull`, `semi-join in source (…)`, `semi-join by keys (…)`. */
  readonly strategy?: string;
  /** Rows and Arrow bytes expected from the source (after the chosen reductions), when known. */
  readonly estimatedRows?: number;
  readonly estimatedBytes?: number;
  /** Where `estimatedRows` came from: the source's own planner, table statistics, or nothing. */
  readonly estimateBasis?: 'source' | 'statistics' | 'unknown';
  /** Expected milliseconds of this read (round trip, transfer, decoding, loading). */
  readonly cost?: number;
  /** EXPLAIN ANALYZE: rows and Arrow bytes the source returned. */
  readonly actualRows?: number;
  readonly actualBytes?: number;
  /** EXPLAIN ANALYZE: milliseconds from the request to the last row, and waiting for other reads' keys first. */
  readonly elapsedMs?: number;
  readonly waitedMs?: number;
  /** EXPLAIN ANALYZE: milliseconds DuckDB took to load the rows. */
  readonly loadMs?: number;
  /** EXPLAIN ANALYZE: join keys sent to the source in `IN (…)` lists. */
  readonly keysSent?: number;
  /**
   * EXPLAIN ANALYZE: join keys too many for a list, sent as their range
   * (`column BETWEEN low AND high`): `column low..high` each.
   */
  readonly keyRanges?: readonly string[];
  /** EXPLAIN ANALYZE: why the read's strategy changed at run time (the estimate it was chosen on was wrong). */
  readonly replanned?: string;
  /** EXPLAIN ANALYZE: how far off the estimate was (`max(actual, estimate) / min(…)`, ≥ 1). */
  readonly errorFactor?: number;
  /**
   * The site the request runs on when that is a peer gateway (its source
   * name); absent for this gateway's own sources.
   */
  readonly site?: string;
  /** EXPLAIN ANALYZE: Arrow bytes of these rows sent on to a peer (an uploaded relation). */
  readonly uploadedBytes?: number;
  /**
   * EXPLAIN ANALYZE: `hit` — the rows came from the read cache (an earlier
   * query's read of the same snapshot; `actualRows` is then 0, nothing was
   * read); `kept` — the source's rows were kept there for later queries.
   */
  readonly readCache?: 'hit' | 'kept';
  /** EXPLAIN ANALYZE: rows served from the read cache on a hit. */
  readonly cachedRows?: number;
}

/** The link to one peer site: bytes expected (and, with ANALYZE, moved) each way. */
export interface ExplainLink {
  readonly site: string;
  readonly estimatedBytesDown: number;
  readonly estimatedBytesUp: number;
  readonly actualBytesDown?: number;
  readonly actualBytesUp?: number;
}

/** A whole-query strategy the chosen plan was compared with. */
export interface ExplainAlternative {
  readonly strategy: string;
  /** Expected milliseconds, the unit of {@link ExplainPlan.cost}. */
  readonly cost: number;
}

/** EXPLAIN ANALYZE's figures for the whole query. */
export interface ExplainAnalyze {
  /** Milliseconds from start to the last result row. */
  readonly totalMs: number;
  /** Milliseconds until every read was loaded and DuckDB's residual started. */
  readonly readsMs: number;
  /** Milliseconds DuckDB spent computing join-key lists. */
  readonly keyListMs: number;
  /** Result rows. */
  readonly rows: number;
  /** The residual ran on the reads' rows in memory, without DuckDB (a small projection, join or sort). */
  readonly residualInMemory?: boolean;
}

/** The plan of one statement. */
export interface ExplainPlan {
  readonly sources: readonly ExplainSourceRequest[];
  /** The SQL DuckDB runs over the sources' answers. */
  readonly residualSql: string;
  /** Security policy rules that shaped the query. */
  readonly appliedRules: readonly string[];
  /** Expected milliseconds until every read is loaded (the optimizer's cost), when the estimates allow. */
  readonly cost?: number;
  /** Whole-query strategies the plan beat, with their costs. */
  readonly alternatives?: readonly ExplainAlternative[];
  /** Present when a peer gateway takes part: the bytes on the link to each. */
  readonly links?: readonly ExplainLink[];
  /** Present for EXPLAIN ANALYZE: the query ran. */
  readonly analyze?: ExplainAnalyze;
}

/** Options of {@link QueryEngine.explain}. */
export interface ExplainOptions extends QueryOptions {
  /** Run the query and add what actually happened (EXPLAIN ANALYZE). */
  readonly analyze?: boolean;
}

/** Session state of one client connection: settings changed with `SET`, and the transaction status. */
export class Session {
  /** Settings by lower-case name. */
  readonly settings = new Map<string, string>([
    ['search_path', '"$user", public'],
    ['client_encoding', 'UTF8'],
    ['datestyle', 'ISO, MDY'],
    ['timezone', 'UTC'],
    ['application_name', ''],
    ['standard_conforming_strings', 'on'],
    ['server_version', '15.0'],
    ['integer_datetimes', 'on'],
    ['intervalstyle', 'postgres'],
  ]);
  /** `idle` or `in transaction` (Spoke is read-mostly: transactions only group statements). */
  transaction: 'idle' | 'in transaction' = 'idle';
  /**
   * The process id the client was given for this connection (the Postgres
   * wire's BackendKeyData, which its CancelRequest names): what
   * `pg_backend_pid()` answers. Unset: 1 (no wire connection).
   */
  backendPid: number | undefined;
}

/** What every front end calls. */
export interface QueryEngine {
  /** Runs one SQL statement. */
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  /** The plan of a SELECT without running it. */
  explain(sql: string, options?: ExplainOptions): Promise<ExplainPlan>;
  /** Every table of every source the caller may see (security policies applied), with its columns. */
  catalog(signal?: AbortSignal, context?: Partial<QueryContext>): Promise<readonly CatalogTable[]>;
  /** Appends Arrow batches to a table as one write (sources that take writes: Lance). */
  ingest?(
    target: { source: string; schema?: string; table: string },
    batches: AsyncIterable<RecordBatch>,
    options?: QueryOptions,
  ): Promise<WriteResult>;
  /**
   * Cancels every query in flight (results not read to the end included:
   * reading one afterwards fails with `QUERY_CANCELLED`, SQLSTATE 57P01),
   * then closes DuckDB and every connector.
   */
  close(): Promise<void>;
}
