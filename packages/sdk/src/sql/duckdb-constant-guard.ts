/**
 * DuckDB 1.5's expression rewriter (`MoveConstantsRule`) rewrites
 * `x * -1 >= -2147483648` to `x <= 2147483648`, finds that the new constant
 * does not fit `x`'s type, and folds the whole comparison to `false`
 * (duckdb/duckdb#24998). {@link DuckDBDialect} hides exactly those constants
 * in a one-row sub-query.
 *
 * The same guard lives in `@spoke/duckdb-arrow` for the planner's residual;
 * it is repeated here (20 lines) because `@spoke/sdk` must not depend on
 * DuckDB's native module: a connector's production install would carry it.
 */

/** The minimums of DuckDB's signed integer types (TINYINT … BIGINT). */
const INTEGER_MINIMUMS: ReadonlySet<bigint> = new Set([
  -(2n ** 7n),
  -(2n ** 15n),
  -(2n ** 31n),
  -(2n ** 63n),
]);

/** True when `value` (a literal's value or its SQL text) is the minimum of a signed integer type. */
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
