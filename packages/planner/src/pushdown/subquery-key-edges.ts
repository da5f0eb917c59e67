/**
 * Dynamic filters into pushed FROM sub-queries (issue 16): when an output
 * column of a sub-query sent whole to its source (`plan-subqueries.ts` —
 * a query's own, an eager aggregation's, a join in the source) is joined by
 * equality to a column of another read, that read's distinct keys may
 * restrict the sub-query as they restrict a table read. The filter goes
 * INSIDE the sub-query, on the table column the output column is, in its
 * WHERE — for a grouped sub-query on a GROUP BY key, before the grouping,
 * which drops whole groups and so is the same as filtering its output.
 *
 * Only an output column that is a plain column of one of the sub-query's
 * tables qualifies (not an aggregate or an expression), and only in a
 * sub-query whose rows a filter on that column cannot change otherwise: no
 * set operation, LIMIT/OFFSET, window, DISTINCT ON; grouped only when the
 * column is a GROUP BY key; not grouped, no aggregate at all. The join
 * rules are those of `plan-join-keys.ts`: an equality in WHERE or an inner
 * join's ON with neither side null-supplying, or the ON of a LEFT/RIGHT join
 * whose null-supplying side is the sub-query. The filter is implied by the
 * join, which DuckDB still evaluates, so the answer is the same whatever the
 * source does with it.
 */
import { resolveColumnRef } from '../binder/bind-query.js';
import type { Scope, TableBinding } from '../binder/scope.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import { equalityOperands, side } from './plan-join-keys.js';
import { conjuncts } from './plan-scans.js';

/** Keys of `from.fromColumn` may restrict the pushed sub-query's output column `output`, which is `to.toColumn`. */
export interface SubqueryKeyEdge {
  readonly from: TableBinding;
  readonly fromColumn: string;
  /** The sub-query's output column. */
  readonly output: string;
  /** The sub-query's table and column that output column is. */
  readonly to: TableBinding;
  readonly toColumn: string;
  /** The column as the sub-query's statement names it (a ColumnRef, to put in its WHERE). */
  readonly ref: AstNode;
}

/** What the edges need of a pushed sub-query. */
interface Pushed {
  readonly relation: string;
  readonly bindings: readonly TableBinding[];
  readonly statement?: AstNode;
}

/**
 * The edges into the FROM sub-query `pushed` (sent whole from `query`, now
 * `pushed.relation` in `outer`'s FROM) from tables of `outer`.
 */
export function subqueryKeyEdges(
  outer: AstNode,
  pushed: Pushed,
  query: AstNode,
  bindings: readonly TableBinding[],
): SubqueryKeyEdge[] {
  const outerScope =
    bindings.find((b) => b.scope.stmt === outer)?.scope ??
    bindings.find((b) => b.scope.parent?.stmt === outer)?.scope.parent;
  const innerScope = bindings.find((b) => b.scope.stmt === query)?.scope;
  const placed = placeIn(outer, pushed.relation);
  if (!outerScope || !innerScope || !placed || !pushed.statement) return [];
  const outputs = plainOutputs(query, innerScope, pushed.statement);
  if (outputs.size === 0) return [];
  const alias = placed.alias;

  /** The sub-query's output column `node` names, or undefined. */
  const outputOf = (node: AstNode | undefined) => {
    const fields = node?.ColumnRef?.fields as AstNode[] | undefined;
    if (!fields || fields.some((f) => f.String === undefined)) return undefined;
    const names = fields.map((f) => f.String.sval as string);
    let column: string | undefined;
    if (names.length === 2 && names[0]!.toLowerCase() === alias.toLowerCase()) column = names[1];
    else if (names.length === 1) {
      try {
        const r = resolveColumnRef(node!.ColumnRef, outerScope);
        if (r.kind === 'local' && r.entries.length === 1 && r.entries[0]!.name === alias) column = names[0];
      } catch {
        return undefined;
      }
    }
    if (column === undefined) return undefined;
    return (
      outputs.get(column) ?? [...outputs].find(([name]) => name.toLowerCase() === column!.toLowerCase())?.[1]
    );
  };
  const edges: SubqueryKeyEdge[] = [];
  const consider = (node: AstNode, feederMayBeNullable: boolean) => {
    for (const [a, b] of equalityOperands(node)) {
      const feeder = side(a, outerScope);
      const output = outputOf(b);
      if (!feeder || !output || pushed.bindings.includes(feeder.binding)) continue;
      if (!feederMayBeNullable && feeder.binding.nullable) continue;
      edges.push({ from: feeder.binding, fromColumn: feeder.column, ...output });
    }
  };
  if (!placed.nullable) {
    for (const c of conjuncts(outer.whereClause)) consider(c, false);
  }
  const visit = (item: AstNode) => {
    const join = item?.JoinExpr;
    if (!join) return;
    visit(join.larg);
    visit(join.rarg);
    for (const q of conjuncts(join.quals)) {
      if (join.jointype === 'JOIN_INNER' && !placed.nullable) consider(q, false);
      // Keys flow from the preserved side into the null-supplying side, when that side is the sub-query itself.
      else if (join.jointype === 'JOIN_LEFT' && join.rarg?.RangeVar?.relname === pushed.relation)
        consider(q, true);
      else if (join.jointype === 'JOIN_RIGHT' && join.larg?.RangeVar?.relname === pushed.relation)
        consider(q, true);
    }
  };
  for (const item of outer.fromClause ?? []) visit(item);
  return edges;
}

/** The sub-query's alias in `outer`'s FROM and whether an outer join may null-extend it. */
function placeIn(outer: AstNode, relation: string): { alias: string; nullable: boolean } | undefined {
  let found: { alias: string; nullable: boolean } | undefined;
  const visit = (item: AstNode, nullable: boolean) => {
    if (item?.RangeVar?.relname === relation) {
      const alias = item.RangeVar.alias?.aliasname;
      if (typeof alias === 'string') found = { alias, nullable };
      return;
    }
    const join = item?.JoinExpr;
    if (!join) return;
    const t = join.jointype;
    visit(join.larg, nullable || t === 'JOIN_RIGHT' || t === 'JOIN_FULL');
    visit(join.rarg, nullable || t === 'JOIN_LEFT' || t === 'JOIN_FULL');
  };
  for (const item of outer.fromClause ?? []) visit(item, false);
  return found;
}

/**
 * The output columns of `query` a key filter may restrict, by name: plain
 * columns of its own tables, in a SELECT whose rows such a filter changes
 * only by dropping those whose column is not among the keys.
 */
function plainOutputs(
  query: AstNode,
  scope: Scope,
  statement: AstNode,
): Map<string, { output: string; to: TableBinding; toColumn: string; ref: AstNode }> {
  const outputs = new Map<string, { output: string; to: TableBinding; toColumn: string; ref: AstNode }>();
  if ((query.op && query.op !== 'SETOP_NONE') || query.limitCount || query.limitOffset) return outputs;
  if (query.windowClause?.length) return outputs;
  if ((query.distinctClause as AstNode[] | undefined)?.some((d) => d && Object.keys(d).length > 0))
    return outputs;
  let windowed = false;
  let calls = false;
  walkAst(query.targetList, (n) => {
    if (n.FuncCall?.over) windowed = true;
    if (n.FuncCall || n.SubLink) calls = true;
    return undefined;
  });
  if (windowed) return outputs;
  const groups = query.groupClause as AstNode[] | undefined;
  if (groups?.some((g) => g.GroupingSet)) return outputs;
  // Without GROUP BY, no aggregate may be there (a filter would change it): no call nor sub-query at all.
  if (!groups?.length && (calls || query.havingClause)) return outputs;
  const grouped = (groups ?? []).map((g) => side(g, scope)).filter((g) => g !== undefined);
  const targets = (query.targetList ?? []) as AstNode[];
  const rendered = (statement.targetList ?? []) as AstNode[];
  targets.forEach((target, i) => {
    const res = target.ResTarget;
    const val = res?.val;
    if (!val?.ColumnRef || val.ColumnRef.fields?.at(-1)?.A_Star) return;
    const name =
      (res.name as string | undefined) ?? (val.ColumnRef.fields.at(-1)?.String?.sval as string | undefined);
    const column = side(val, scope);
    const ref = rendered[i]?.ResTarget?.val;
    if (!name || !column || !ref?.ColumnRef) return;
    if (groups?.length && !grouped.some((g) => g.binding === column.binding && g.column === column.column))
      return;
    if (!outputs.has(name))
      outputs.set(name, {
        output: name,
        to: column.binding,
        toColumn: column.column,
        ref: structuredClone(ref),
      });
  });
  return outputs;
}
