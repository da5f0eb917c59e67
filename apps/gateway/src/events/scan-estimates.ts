/**
 * Row estimates for the scans under way, so progress can read "rows so far
 * of about N". The planner already asks a source for its estimate
 * (`SpokeTable.estimateRows`, PostgreSQL's through `EXPLAIN`) when it orders
 * a query's reads: those answers are remembered here, by table and filters,
 * and a scan that starts with the same filters picks its estimate up for
 * nothing. A scan with no remembered estimate that is still running after a
 * second asks the source itself, once — a long scan is worth one `EXPLAIN`,
 * a quick one is not.
 */
import type { Expr } from '@spoke/core';

/** How long a scan runs before its estimate is asked for, ms. */
export const ESTIMATE_AFTER_MS = 1000;
/** How long a remembered estimate is used, ms. */
const KEEP_MS = 60_000;
/** Estimates remembered at most. */
const KEEP = 1000;

/** Expression nodes past which filters are not remembered (a long IN list is not worth serialising on the event loop). */
const MAX_NODES = 500;

/** Whether `filters` hold at most {@link MAX_NODES} nodes; walks no further than that. */
function small(filters: readonly Expr[]): boolean {
  let budget = MAX_NODES;
  const visit = (node: unknown): boolean => {
    if (--budget < 0) return false;
    if (Array.isArray(node)) return node.every(visit);
    if (node !== null && typeof node === 'object')
      return Object.values(node as Record<string, unknown>).every(visit);
    return true;
  };
  return visit(filters);
}

/** The filters as a key, or undefined when they are too large or cannot be serialised. */
function keyOf(table: string, filters: readonly Expr[]): string | undefined {
  if (!small(filters)) return undefined;
  try {
    return `${table}\u0000${JSON.stringify(filters, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
  } catch {
    return undefined;
  }
}

/** Remembered estimates; see the file comment. */
export class ScanEstimates {
  readonly #byKey = new Map<string, { rows: number; at: number }>();

  /** Remembers the estimate a source gave for scanning `table` (`source.schema.table`) with `filters`. */
  remember(table: string, filters: readonly Expr[], rows: number): void {
    const key = keyOf(table, filters);
    if (key === undefined || !Number.isFinite(rows)) return;
    this.#byKey.delete(key);
    this.#byKey.set(key, { rows, at: Date.now() });
    if (this.#byKey.size > KEEP) this.#byKey.delete(this.#byKey.keys().next().value!);
  }

  /** The estimate remembered for that scan, if recent. */
  lookup(table: string, filters: readonly Expr[]): number | undefined {
    const key = keyOf(table, filters);
    const found = key === undefined ? undefined : this.#byKey.get(key);
    return found && Date.now() - found.at < KEEP_MS ? found.rows : undefined;
  }
}
