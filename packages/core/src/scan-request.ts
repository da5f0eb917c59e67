import type { Expr, SortKey } from './expression.js';
import type { QueryContext } from './query-context.js';

/**
 * What the planner asks a table for.
 *
 * ## Projection
 * `projection` lists the columns to return, **in that order**; the batches'
 * schema must be exactly those fields. An empty projection means no column is
 * needed (for `count(*)`): return batches with no columns and the right
 * number of rows.
 *
 * ## Filters
 * `filters` are ANDed. They are only those the table answered `exact` or
 * `inexact` for in {@link SpokeTable.supportsFilters}. A table may ignore an
 * inexact filter or apply it partly (prune files, row groups); the planner
 * applies it again. An exact filter must be applied exactly, with SQL NULL
 * semantics.
 *
 * ## Limit
 * `limit` is set only when every pushed filter is exact and nothing between
 * the scan and the limit changes cardinality; return at most that many rows
 * (returning fewer is wrong, returning more is wasteful but safe).
 *
 * ## Order (top-N)
 * When `orderBy` is set together with `limit`, return the first `limit` rows
 * in that order (ties broken arbitrarily). Without `limit` it is a hint.
 */
export interface ScanRequest {
  readonly projection: readonly string[];
  readonly filters: readonly Expr[];
  readonly limit?: number;
  readonly orderBy?: readonly SortKey[];
  /** Aborted when the query is cancelled: stop reading and release the source's resources. */
  readonly signal: AbortSignal;
  readonly context: QueryContext;
}

/** A table's answer for one filter. */
export type FilterSupport = 'exact' | 'inexact' | 'unsupported';
