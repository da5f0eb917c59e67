/**
 * Filters implied through equi-joins: for a join edge `from.x → to.y` (the
 * rows of `to` that match no row of `from` never count, `plan-join-keys.ts`),
 * a filter on `from.x` alone against constants — `x > 170000`,
 * `x BETWEEN $1 AND $2`, `x IN (3, 5)`, `x = 7` — holds for `to.y` on every
 * row of `to` that can join, since the two are equal there. So `to`'s scan is
 * asked it too, and its source reads only the rows that can match, at once,
 * without waiting for `from`'s keys (the transitive closure DuckDB's filter
 * combiner and Trino's predicate inference derive over equivalent columns).
 *
 * The filter is implied, never required: the original stays where it was
 * and the join is still evaluated, so a source that applies it inexactly or
 * not at all changes nothing but the rows moved. Only:
 * - plain comparisons, `BETWEEN` and `IN` lists of the column itself against
 *   literals (a function of the column may differ between engines);
 * - integer, date, decimal (same scale) and timestamp (same unit and zone)
 *   columns of like type on both sides — text is left alone, since a source's
 *   collation may compare it otherwise than the join does;
 * - edges whose keys may go to `to`'s source (`never_upload` keeps even the
 *   constants its rows were filtered by at home), into scans without a LIMIT
 *   (a filter would change which rows a LIMIT keeps).
 * Filters implied this way imply further ones along the next edge
 * (`a.x = b.y AND b.y = c.z AND a.x > 5` narrows both `b` and `c`).
 */
import { arrow, type DataType, type Expr, formatExpression } from '@spoke/core';
import type { TableBinding } from '../binder/scope.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import type { JoinKeyEdge } from './plan-join-keys.js';
import type { FilterCandidate, ScanPlan } from './plan-scans.js';

/**
 * Adds to each scan the filters its join partners' filters imply (see the
 * module comment), with the support its table answers for them. Returns how
 * many were added.
 */
export async function addImpliedFilters(
  scans: readonly ScanPlan[],
  joinKeys: readonly JoinKeyEdge[],
  mayShipKeys: (from: TableBinding, toSource: string) => boolean,
): Promise<number> {
  const scanOf = new Map(scans.map((s) => [s.binding, s]));
  const added = new Map<ScanPlan, FilterCandidate[]>();
  const known = new Map(scans.map((s) => [s, new Set(s.candidates.map((c) => formatExpression(c.expr)))]));
  // Each pass may imply filters the next edge carries on; edges bound the passes.
  for (let pass = 0; pass <= joinKeys.length; pass++) {
    let grew = false;
    for (const edge of joinKeys) {
      const from = scanOf.get(edge.from);
      const to = scanOf.get(edge.to);
      if (!from || !to || from === to || edge.from.nullable || to.limit !== undefined) continue;
      if (!mayShipKeys(edge.from, edge.to.source)) continue;
      if (!likeTyped(fieldType(edge.from, edge.fromColumn), fieldType(edge.to, edge.toColumn))) continue;
      for (const candidate of [...from.candidates, ...(added.get(from) ?? [])]) {
        const expr = onColumn(candidate.expr, edge.fromColumn, edge.toColumn);
        if (!expr) continue;
        const text = formatExpression(expr);
        const seen = known.get(to)!;
        if (seen.has(text)) continue;
        seen.add(text);
        const implied: FilterCandidate = {
          node: renamed(candidate.node, edge.to.alias, edge.toColumn),
          expr,
          origin: 'implied',
          support: 'unsupported',
        };
        added.set(to, [...(added.get(to) ?? []), implied]);
        grew = true;
      }
    }
    if (!grew) break;
  }
  let count = 0;
  for (const [scan, implied] of added) {
    const answers = await scan.binding.provider.supportsFilters?.(implied.map((c) => c.expr));
    implied.forEach((c, i) => {
      c.support = answers?.[i] ?? 'unsupported';
    });
    // A filter the source cannot apply would only be evaluated again in DuckDB, after the join already did.
    const applied = implied.filter((c) => c.support !== 'unsupported');
    scan.candidates.push(...applied);
    count += applied.length;
  }
  return count;
}

/**
 * `expr` with `column` renamed `to`, when it compares `column` itself with
 * literals only (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, `IN`); else undefined.
 */
function onColumn(expr: Expr, column: string, to: string): Expr | undefined {
  const isColumn = (e: Expr) => e.kind === 'column' && e.name === column;
  const target: Expr = { kind: 'column', name: to };
  switch (expr.kind) {
    case 'compare': {
      if (!COMPARISONS.has(expr.op)) return undefined;
      if (isColumn(expr.left) && expr.right.kind === 'literal') return { ...expr, left: target };
      if (isColumn(expr.right) && expr.left.kind === 'literal') return { ...expr, right: target };
      return undefined;
    }
    case 'between':
      return !expr.negated &&
        isColumn(expr.expr) &&
        expr.low.kind === 'literal' &&
        expr.high.kind === 'literal'
        ? { ...expr, expr: target }
        : undefined;
    case 'in':
      return !expr.negated && isColumn(expr.expr) && expr.list.every((e) => e.kind === 'literal')
        ? { ...expr, expr: target }
        : undefined;
    default:
      return undefined;
  }
}

const COMPARISONS = new Set(['=', '<', '<=', '>', '>=']);

/** A private copy of `node` whose column references name `alias.column`. */
function renamed(node: AstNode, alias: string, column: string): AstNode {
  const copy = structuredClone(node);
  walkAst(copy, (n) => {
    if (n.ColumnRef) n.ColumnRef.fields = [{ String: { sval: alias } }, { String: { sval: column } }];
    return undefined;
  });
  return copy;
}

function fieldType(binding: TableBinding, column: string): DataType | undefined {
  return binding.arrowSchema.fields.find((f) => f.name === column)?.type;
}

/** Whether a constant compares alike against both columns: integers, or dates, decimals and timestamps of one kind. */
function likeTyped(a: DataType | undefined, b: DataType | undefined): boolean {
  if (!a || !b) return false;
  const { DataType: T } = arrow;
  if (T.isInt(a) && T.isInt(b)) return true;
  if (T.isDate(a) && T.isDate(b)) return a.unit === b.unit;
  if (T.isDecimal(a) && T.isDecimal(b)) return a.scale === b.scale;
  if (T.isTimestamp(a) && T.isTimestamp(b)) return a.unit === b.unit && a.timezone === b.timezone;
  return false;
}
