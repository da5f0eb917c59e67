/**
 * Dynamic filtering ("data has gravity"): for an equi-join between two
 * source tables, once one side's rows are in DuckDB its distinct join keys
 * can be sent to the other side as an `IN (…)` filter, so a large table is
 * read only where it can match. This finds the join edges a query allows:
 *
 * - `a.x = b.y` in WHERE or an inner join's ON, neither side null-supplying:
 *   keys may flow both ways;
 * - `a.x = b.y` in the ON of `a LEFT JOIN b`: only from `a` to `b` (rows of
 *   `b` that match no `a` never appear; rows of `a` must all stay).
 *
 * - `inner.x = outer.y` in the WHERE of a correlated sub-query: from the
 *   enclosing query's table to the sub-query's (the sub-query is evaluated
 *   only for outer rows, so its rows with other keys never count — TPC-H
 *   Q17's `avg` per part, Q21's and Q22's EXISTS);
 * - `outer.x IN (SELECT inner.y FROM …)` as a WHERE conjunct: from the
 *   sub-query's table to the outer one (an outer row whose key the
 *   sub-query's table lacks cannot qualify — TPC-H Q18, Q20). Not for
 *   `NOT IN`, where the absent keys are the ones that qualify.
 *
 * The filter is implied by the join, which DuckDB still evaluates, so it is
 * correct whether the source applies it exactly, inexactly or not at all.
 */
import { resolveColumnRef } from '../binder/bind-query.js';
import { findColumn } from '../binder/column-names.js';
import type { TableBinding } from '../binder/scope.js';
import type { AstNode } from '../parse/ast.js';
import { conjuncts } from './plan-scans.js';

/** Keys of `from.column` may restrict the scan of `to` on `to.column`. */
export interface JoinKeyEdge {
  readonly from: TableBinding;
  readonly fromColumn: string;
  readonly to: TableBinding;
  readonly toColumn: string;
}

/** The join edges of every scope of the query, among `bindings`. */
export function planJoinKeys(bindings: readonly TableBinding[]): JoinKeyEdge[] {
  const edges: JoinKeyEdge[] = [];
  const scopes = new Set(bindings.map((b) => b.scope));
  for (const scope of scopes) {
    const stmt = scope.stmt;
    const both = (node: AstNode) => {
      const pair = equiJoin(node, scope);
      if (!pair || pair[0].binding.nullable || pair[1].binding.nullable) return;
      edges.push(edge(pair[0], pair[1]), edge(pair[1], pair[0]));
    };
    for (const c of conjuncts(stmt.whereClause)) {
      both(c);
      // An equi-join every OR branch repeats holds for the whole OR (TPC-H Q19).
      if (c.BoolExpr?.boolop === 'OR_EXPR') {
        const shared = sharedEquiJoins(c.BoolExpr.args as AstNode[], scope);
        for (const pair of shared)
          if (!pair[0].binding.nullable && !pair[1].binding.nullable)
            edges.push(edge(pair[0], pair[1]), edge(pair[1], pair[0]));
      }
    }
    const visit = (item: AstNode) => {
      const join = item?.JoinExpr;
      if (!join) return;
      visit(join.larg);
      visit(join.rarg);
      for (const q of conjuncts(join.quals)) {
        if (join.jointype === 'JOIN_INNER') both(q);
        else if (join.jointype === 'JOIN_LEFT' || join.jointype === 'JOIN_RIGHT') {
          const pair = equiJoin(q, scope);
          if (!pair) continue;
          const inner = join.jointype === 'JOIN_LEFT' ? join.rarg : join.larg;
          // Keys flow from the preserved side into the inner side's scan, when that side is the table itself.
          const [a, b] = pair;
          if (inner?.RangeVar === b.binding.rangeVar) edges.push(edge(a, b));
          else if (inner?.RangeVar === a.binding.rangeVar) edges.push(edge(b, a));
        }
      }
    };
    for (const item of stmt.fromClause ?? []) visit(item);
    if (scope.parent) edges.push(...correlationEdges(scope));
    for (const c of conjuncts(stmt.whereClause)) {
      const e = inSubqueryEdge(c, scope, bindings);
      if (e) edges.push(e);
    }
  }
  return edges.filter((e) => bindings.includes(e.from) && bindings.includes(e.to));
}

/** `inner.x = outer.y` conjuncts of a sub-query's WHERE: keys flow from the outer table into the inner scan. */
function correlationEdges(scope: TableBinding['scope']): JoinKeyEdge[] {
  const edges: JoinKeyEdge[] = [];
  for (const c of conjuncts(scope.stmt.whereClause)) {
    for (const [a, b] of equalityOperands(c)) {
      const inner = side(a, scope);
      const outer = outerSide(b, scope);
      if (inner && outer && !inner.binding.nullable && inner.binding !== outer.binding)
        edges.push(edge(outer, inner));
    }
  }
  return edges;
}

/** `outer.x IN (SELECT inner.y FROM …)`: keys flow from the sub-query's table into the outer scan. */
function inSubqueryEdge(
  node: AstNode,
  scope: TableBinding['scope'],
  bindings: readonly TableBinding[],
): JoinKeyEdge | undefined {
  const link = node.SubLink;
  if (link?.subLinkType !== 'ANY_SUBLINK') return undefined;
  const op = (link.operName as AstNode[] | undefined)?.at(-1)?.String?.sval;
  if (op !== undefined && op !== '=') return undefined;
  const outer = side(link.testexpr, scope);
  const select = link.subselect?.SelectStmt;
  const targets = select?.targetList as AstNode[] | undefined;
  if (!outer || outer.binding.nullable || targets?.length !== 1 || (select.op && select.op !== 'SETOP_NONE'))
    return undefined;
  const innerScope = bindings.find((b) => b.scope.stmt === select)?.scope;
  const inner = innerScope && side(targets[0]?.ResTarget?.val, innerScope);
  if (!inner || inner.binding.nullable) return undefined;
  return edge(inner, outer);
}

/** A column of a table of an enclosing query (a correlated reference), or `undefined`. */
function outerSide(node: AstNode | undefined, scope: TableBinding['scope']): Side | undefined {
  if (!node?.ColumnRef) return undefined;
  try {
    const r = resolveColumnRef(node.ColumnRef, scope);
    if (r.kind !== 'outer' || r.column === undefined) return undefined;
    const binding = r.entries?.length === 1 ? r.entries[0]!.binding : undefined;
    if (!binding) return undefined;
    const column = findColumn(binding.arrowSchema, r.column);
    return column ? { binding, column } : undefined;
  } catch {
    return undefined;
  }
}

/** The equi-joins present in every branch. */
function sharedEquiJoins(branches: readonly AstNode[], scope: TableBinding['scope']): [Side, Side][] {
  const keyOf = (p: [Side, Side]) =>
    [`${p[0].binding.id}.${p[0].column}`, `${p[1].binding.id}.${p[1].column}`].sort().join('=');
  let common: Map<string, [Side, Side]> | undefined;
  for (const branch of branches) {
    const here = new Map<string, [Side, Side]>();
    for (const c of conjuncts(branch)) {
      const pair = equiJoin(c, scope);
      if (pair) here.set(keyOf(pair), pair);
    }
    common = common ? new Map([...common].filter(([k]) => here.has(k))) : here;
  }
  return [...(common?.values() ?? [])];
}

/** A column of one source table, as a join key. */
export interface Side {
  readonly binding: TableBinding;
  readonly column: string;
}

function edge(from: Side, to: Side): JoinKeyEdge {
  return { from: from.binding, fromColumn: from.column, to: to.binding, toColumn: to.column };
}

/**
 * The operands of `a = b` in both orders (`[[a, b], [b, a]]`), for callers
 * that look for a column on either side; none for anything else.
 */
export function equalityOperands(node: AstNode): readonly (readonly [AstNode, AstNode])[] {
  const e = node.A_Expr;
  if (e?.kind !== 'AEXPR_OP' || e.name?.at(-1)?.String?.sval !== '=') return [];
  return [
    [e.lexpr, e.rexpr],
    [e.rexpr, e.lexpr],
  ];
}

/** `[left, right]` when `node` is `col = col` over two different tables of `scope`. */
export function equiJoin(node: AstNode, scope: TableBinding['scope']): [Side, Side] | undefined {
  const [operands] = equalityOperands(node);
  if (!operands) return undefined;
  const l = side(operands[0], scope);
  const r = side(operands[1], scope);
  if (!l || !r || l.binding === r.binding) return undefined;
  return [l, r];
}

/** The source table column `node` names in `scope` (not an enclosing one), or `undefined`. */
export function side(node: AstNode | undefined, scope: TableBinding['scope']): Side | undefined {
  if (!node?.ColumnRef) return undefined;
  try {
    const r = resolveColumnRef(node.ColumnRef, scope);
    if (r.kind !== 'local' || r.entries.length !== 1 || !r.entries[0]!.binding || r.column === undefined)
      return undefined;
    const binding = r.entries[0]!.binding;
    const column = findColumn(binding.arrowSchema, r.column);
    return column ? { binding, column } : undefined;
  } catch {
    return undefined;
  }
}
