import type { RecordBatch, Schema } from './arrow.js';
import type { Expr, SortKey } from './expression.js';
import type { FilterSupport, ScanRequest } from './scan-request.js';
import type { TableStatistics } from './statistics.js';
import type { TableWrites } from './writes.js';

/**
 * A table a connector exposes: the unit the planner scans.
 *
 * Only {@link SpokeTable.schema} and {@link SpokeTable.scan} are required;
 * `@spoke/sdk`'s `BaseTable` supplies the defaults for the rest (filters
 * unsupported, no statistics), so adding optional members later breaks no one.
 */
export interface SpokeTable extends TableWrites {
  /** The table's name within its schema. */
  readonly name: string;

  /** The Arrow schema. Field names are what SQL sees (case-sensitive). */
  schema(signal?: AbortSignal): Promise<Schema>;

  /**
   * Which of `filters` the table can apply: one answer per filter, in order.
   * Default: all `unsupported`.
   */
  supportsFilters?(filters: readonly Expr[]): Promise<readonly FilterSupport[]> | readonly FilterSupport[];

  /**
   * Whether the table can return its rows in the order of `keys` (top-N:
   * `orderBy` with a `limit`). Default when absent: no — the planner then
   * pushes neither the order nor the limit, so a table that ignores
   * `orderBy` can never return the wrong first rows.
   */
  supportsOrderBy?(keys: readonly SortKey[]): Promise<boolean> | boolean;

  /** Size and value statistics, when cheap. Default: none. */
  statistics?(signal?: AbortSignal): Promise<TableStatistics | undefined>;

  /**
   * The source's own estimate of how many rows a scan with `filters` (ones
   * this table supports) returns — PostgreSQL's planner through `EXPLAIN`,
   * for instance — when it can say cheaply. The planner orders its reads by
   * it. Default: none (the planner guesses from {@link SpokeTable.statistics}).
   */
  estimateRows?(filters: readonly Expr[], signal?: AbortSignal): Promise<number | undefined>;

  /**
   * Names the rows the table holds now: while the token stays the same, a
   * scan with the same request returns the same rows, whoever asks. The
   * engine then reuses rows it already read and loaded (its read cache)
   * instead of reading the source again. A Parquet table's token is its
   * objects' keys, ETags and sizes as last listed; a versioned format's, its
   * version. Must be cheap (no more I/O than the table would do for a scan).
   *
   * Leave it out — or answer `undefined` — when rows can change without the
   * token changing (a database table), or when scans depend on the
   * request's `context`. Default when absent: none (every query reads the source).
   */
  snapshot?(signal?: AbortSignal): Promise<string | undefined>;

  /**
   * The most values an `IN (…)` filter on this table may carry — how many
   * of a join's keys the planner sends it at once. A table whose source
   * takes a long list as one value (PostgreSQL's `= ANY(array)`) declares
   * far more than the default. Default when absent: 20,000.
   */
  readonly valueListLimit?: number | undefined;

  /**
   * Streams the rows asked for. Lazy: no I/O happens before the first
   * `next()`. Stops, and releases the source, when `request.signal` aborts or
   * the consumer stops iterating (`return()`).
   */
  scan(request: ScanRequest): AsyncIterable<RecordBatch>;
}
