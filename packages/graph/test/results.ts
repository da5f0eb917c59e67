/**
 * Comparing answers: rows from the planner (Arrow) and from the reference
 * DuckDB normalised to strings (numbers rounded, lists sorted), as an ordered
 * list or as a multiset.
 */
import type { RecordBatch } from '@spoke/core';

function norm(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(9)));
  if (typeof v === 'string') return /^-?\d+(\.\d+)?$/.test(v) ? norm(Number(v)) : JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(norm).sort().join(',')}]`;
  if (typeof v === 'object') {
    const o = v as { toArray?: () => unknown[]; items?: unknown[] };
    if (typeof o.toArray === 'function') return norm(Array.from(o.toArray()));
    if (Array.isArray(o.items)) return norm(o.items);
    return norm(String(v));
  }
  return String(v);
}

/** Rows of Arrow batches as normalised strings. */
export function arrowRows(batches: readonly RecordBatch[]): string[] {
  const out: string[] = [];
  for (const b of batches)
    for (let r = 0; r < b.numRows; r++)
      out.push(b.schema.fields.map((_f, c) => norm(b.getChildAt(c)!.get(r))).join(' | '));
  return out;
}

/** Rows from DuckDB's getRowsJS as normalised strings. */
export function jsRows(rows: readonly unknown[][]): string[] {
  return rows.map((r) => r.map(norm).join(' | '));
}

/** Sorts unless the order matters. */
export function comparable(rows: string[], ordered: boolean): string[] {
  return ordered ? rows : [...rows].sort();
}
