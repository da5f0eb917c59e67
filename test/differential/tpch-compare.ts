/**
 * Whether Spoke's answer equals DuckDB's: the same rows in the same order
 * (every TPC-H query orders its result), decimals digit for digit, floats
 * (averages, divisions) equal to the decimal place — within 1e-9 relative,
 * as the two engines sum in different orders. Rows tied under the query's
 * ORDER BY may come in either order, so a second, order-free comparison
 * decides when the ordered one fails.
 */
import { type CanonicalRow, type CanonicalValue, diffRows, formatRow } from '@spoke/testing';

const TOLERANCE = 1e-9;

function numeric(v: CanonicalValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

/** Equal values: identical, or numbers equal within the tolerance (a float on either side). */
function sameValue(a: CanonicalValue, b: CanonicalValue): boolean {
  if (a === b) return true;
  // Exact decimals on both sides must agree digit for digit.
  if (typeof a === 'string' && typeof b === 'string') return false;
  const x = numeric(a);
  const y = numeric(b);
  return (
    x !== undefined && y !== undefined && Math.abs(x - y) <= TOLERANCE * Math.max(1, Math.abs(x), Math.abs(y))
  );
}

/** Floats rounded to 6 significant decimals, for the order-free comparison of tied rows. */
function rounded(row: CanonicalRow): CanonicalRow {
  return row.map((v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v));
}

/** `undefined` when equal, else the first difference, readable. */
export function compareAnswers(
  actual: readonly CanonicalRow[],
  expected: readonly CanonicalRow[],
): string | undefined {
  if (actual.length !== expected.length) {
    return `${actual.length} rows, DuckDB ${expected.length}${actual.length ? `; first ${formatRow(actual[0]!)}` : ''}${expected.length ? ` vs DuckDB ${formatRow(expected[0]!)}` : ''}`;
  }
  let first: string | undefined;
  for (let r = 0; r < actual.length && !first; r++) {
    const a = actual[r]!;
    const e = expected[r]!;
    if (a.length !== e.length || !a.every((v, c) => sameValue(v, e[c]!)))
      first = `row ${r}: ${formatRow(a)} vs DuckDB ${formatRow(e)}`;
  }
  if (!first) return undefined;
  const diff = diffRows(actual.map(rounded), expected.map(rounded));
  return diff.extra.length === 0 && diff.missing.length === 0 ? undefined : first;
}
