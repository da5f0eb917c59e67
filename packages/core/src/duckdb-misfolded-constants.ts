/**
 * DuckDB 1.5's expression rewriter (`MoveConstantsRule`) rewrites
 * `x * -1 >= -2147483648` to `x <= 2147483648`, finds that the new constant
 * does not fit `x`'s type, and folds the whole comparison to `false` — for
 * every ordered comparison and `<>`, where the answer is mostly `true`
 * (fixed upstream after 1.5.6: duckdb/duckdb#24998). It only happens when the
 * compared constant is the minimum of an integer type, so SQL that Spoke
 * sends to DuckDB (the planner's residual and system catalog, the sdk's
 * `DuckDBDialect` for DuckDB and Parquet sources) hides exactly those
 * constants from the optimizer in a one-row sub-query, which DuckDB
 * evaluates as written. Here, in the package both depend on, so neither
 * needs the other (nor DuckDB's native module) for it.
 */

/** The minimums of DuckDB's signed integer types (TINYINT … BIGINT). */
const INTEGER_MINIMUMS: ReadonlySet<bigint> = new Set([
  -(2n ** 7n),
  -(2n ** 15n),
  -(2n ** 31n),
  -(2n ** 63n),
]);

/**
 * True when DuckDB's optimizer may mis-fold a comparison against `value`:
 * an integer equal to the minimum of a signed integer type. `value` is the
 * literal's value or its SQL text (`-2147483648`; `-2147483648.0` is not one).
 */
export function isMisfoldedIntegerConstant(value: unknown): boolean {
  if (typeof value === 'bigint') return INTEGER_MINIMUMS.has(value);
  // A double holds each minimum exactly (they are powers of two).
  if (typeof value === 'number') return Number.isInteger(value) && INTEGER_MINIMUMS.has(BigInt(value));
  if (typeof value === 'string' && /^\s*-\d+\s*$/.test(value))
    return INTEGER_MINIMUMS.has(BigInt(value.trim()));
  return false;
}

/** `sql` (a constant's text) behind a one-row sub-query, out of the optimizer's reach. */
export function hideConstantFromOptimizer(sql: string): string {
  return `(SELECT ${sql})`;
}
