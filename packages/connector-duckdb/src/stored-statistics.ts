/**
 * Per-column statistics DuckDB already keeps for a stored table, read
 * without scanning it: `stats(column)` answers from the statistics DuckDB
 * maintains per table (a HyperLogLog distinct estimate, whether NULLs may
 * occur, the bounds of each column), so `SELECT stats(a), stats(b) … LIMIT 1` costs about a millisecond
 * whatever the table's size. The planner uses the distinct counts for join
 * keys: how many keys a read sends, and how much of the other side they keep.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnStatistics } from '@spoke/core';
import { quoteIdentifier } from '@spoke/duckdb-arrow';

/**
 * Distinct estimates (and "no NULLs", when DuckDB knows it; min and max of
 * the columns named in `integers`) per column of the table `from`
 * (rendered SQL); columns DuckDB keeps nothing for are absent, and an
 * empty table, or any failure, gives none at all.
 */
export async function storedColumnStatistics(
  connection: DuckDBConnection,
  from: string,
  names: readonly string[],
  integers: ReadonlySet<string> = new Set(),
): Promise<Record<string, ColumnStatistics>> {
  if (names.length === 0) return {};
  const columns: Record<string, ColumnStatistics> = {};
  try {
    const reader = await connection.runAndReadAll(
      `SELECT ${names.map((n) => `stats(${quoteIdentifier(n)})`).join(', ')} FROM ${from} LIMIT 1`,
    );
    const row = reader.getRows()[0];
    if (!row) return {};
    names.forEach((name, i) => {
      const parsed = parseStats(row[i], integers.has(name));
      if (parsed) columns[name] = parsed;
    });
  } catch {
    // Statistics are optional: a table whose statistics cannot be read plans without them.
  }
  return columns;
}

/**
 * The figures of one `stats()` string, e.g.
 * `[Min: 0, Max: 36][Has Null: false, Has No Null: true][Approx Unique: 38]`.
 */
export function parseStats(text: unknown, integer = false): ColumnStatistics | undefined {
  if (typeof text !== 'string') return undefined;
  const unique = /\[Approx Unique: (\d+)\]/.exec(text);
  const noNulls = /Has Null: false/.test(text);
  // Bounds of an integer column: DuckDB's are exact for stored data (updates and deletes only widen them).
  const bounds = integer ? /^\[Min: (-?\d+), Max: (-?\d+)\]/.exec(text) : null;
  if (!unique && !noNulls && !bounds) return undefined;
  // Properties added one by one, not spread in: a spread's copy gets a hidden class of its own each time
  // (see withFields in @spoke/core).
  const stats: { -readonly [K in keyof ColumnStatistics]: ColumnStatistics[K] } = {};
  if (unique) stats.distinctCount = { value: Number(unique[1]), exact: false };
  if (noNulls) stats.nullCount = { value: 0, exact: true };
  if (bounds) {
    stats.min = { value: integerValue(bounds[1]!), exact: false };
    stats.max = { value: integerValue(bounds[2]!), exact: false };
  }
  return stats;
}

/** A number when it is exact as one, else a bigint. */
function integerValue(digits: string): number | bigint {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : BigInt(digits);
}
