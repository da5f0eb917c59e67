import type { ScalarValue } from './scalar-type.js';

/** A number or value together with whether it is exact or an estimate. */
export interface Estimate<T> {
  readonly value: T;
  /** True when the source knows the value exactly (a footer count), false for an estimate (`pg_class.reltuples`). */
  readonly exact: boolean;
}

/** Per-column statistics. Every member is optional: report only what is cheap. */
export interface ColumnStatistics {
  readonly nullCount?: Estimate<number>;
  readonly distinctCount?: Estimate<number>;
  readonly min?: Estimate<ScalarValue>;
  readonly max?: Estimate<ScalarValue>;
}

/**
 * What a table knows about its size, used by the cost model ("gravity") to
 * decide where work runs. Every member is optional.
 */
export interface TableStatistics {
  readonly rowCount?: Estimate<number>;
  readonly totalBytes?: Estimate<number>;
  /** Keyed by column name. */
  readonly columns?: Readonly<Record<string, ColumnStatistics>>;
}
