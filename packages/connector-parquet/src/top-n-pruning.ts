/**
 * Row groups a top-N need not read, from the footers' min/max of its first
 * key. Ranked by that key's best value (max for DESC, min for ASC), the
 * first groups holding at least n rows prove that the n-th row's key is at
 * least as good as their worst bound L (each of their rows is at least as
 * good as its group's min, for DESC); a group whose best value is worse than
 * L holds no row of the answer, whatever the later keys say. Only where that
 * reasoning is sound: no filters (row counts are exact), no NULLs in the
 * column (their place in the order would not show in min/max), and a signed
 * integer or date column (float statistics leave NaN out, string bounds may
 * be truncated, decimal ones are fuzzy, timestamp units may differ by file).
 */
import { arrow, type DataType, type SortKey } from '@spoke/core';
import { type ColumnRange, compareDomain } from './pruning.js';

/** One selected row group with its first key's range. */
export interface RankedGroup<G> {
  readonly group: G;
  readonly rows: number;
  readonly range: ColumnRange | undefined;
}

/** Whether the first key of `orderBy` is a column whose statistics can rank row groups. */
export function rankableKey(
  orderBy: readonly SortKey[],
  type: (column: string) => DataType | undefined,
): string | undefined {
  const first = orderBy[0];
  if (first?.expr.kind !== 'column') return undefined;
  const t = type(first.expr.name);
  if (!t) return undefined;
  const signedInt = t.typeId === arrow.Type.Int && (t as unknown as { isSigned: boolean }).isSigned;
  return signedInt || t.typeId === arrow.Type.Date ? first.expr.name : undefined;
}

/**
 * The groups of `groups` that may hold one of the first `limit` rows in
 * `direction` of the key; all of them when the statistics cannot tell.
 */
export function groupsForTopN<G>(
  groups: readonly RankedGroup<G>[],
  direction: 'asc' | 'desc',
  limit: number,
): G[] {
  const all = groups.map((g) => g.group);
  if (
    !groups.every((g) => g.range?.nullCount === 0 && g.range.min !== undefined && g.range.max !== undefined)
  )
    return all;
  // "Better" means earlier in the order: larger for DESC, smaller for ASC.
  const better = (a: unknown, b: unknown) => {
    const c = compareDomain(a, b);
    return c === undefined ? undefined : direction === 'desc' ? c : -c;
  };
  const best = (g: RankedGroup<G>) => (direction === 'desc' ? g.range!.max : g.range!.min);
  const worst = (g: RankedGroup<G>) => (direction === 'desc' ? g.range!.min : g.range!.max);
  let comparable = true;
  const ranked = [...groups].sort((a, b) => {
    const c = better(best(b), best(a));
    if (c === undefined) comparable = false;
    return c ?? 0;
  });
  if (!comparable) return all;
  let rows = 0;
  let bound: unknown;
  for (const g of ranked) {
    rows += g.rows;
    const w = worst(g);
    if (bound === undefined) bound = w;
    else {
      const c = better(w, bound);
      if (c === undefined) return all;
      if (c < 0) bound = w;
    }
    if (rows >= limit) break;
  }
  if (rows < limit || bound === undefined) return all;
  const kept: G[] = [];
  for (const g of groups) {
    const c = better(best(g), bound);
    if (c === undefined) return all;
    if (c >= 0) kept.push(g.group);
  }
  return kept;
}
