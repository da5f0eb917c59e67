/**
 * Push-down planning per source table reference (DataFusion's semantics):
 * - the columns the query reads;
 * - the WHERE / ON conjuncts that touch only that table and may move — never
 *   below the null-supplying side of an outer join, never with volatile
 *   functions, sub-queries or outer (correlated) references — offered to the
 *   table, which answers exact / inexact / unsupported for each;
 * - a limit, and an order for top-N, only for a single-table SELECT — or
 *   the preserved side of outer joins (`t LEFT JOIN u …`, whose every row
 *   reaches the result at least once) — whose every filter was taken exactly
 *   and where nothing changes cardinality.
 * Exact WHERE conjuncts are removed from the residual; inexact ones stay and
 * DuckDB applies them again.
 */
import type { Expr, FilterSupport, ScalarValue, SortKey } from '@spoke/core';
import { resolveColumnRef } from '../binder/bind-query.js';
import type { TableBinding } from '../binder/scope.js';
import { type AstNode, nodeKind, walkAst } from '../parse/ast.js';
import { translateExpression, VOLATILE_FUNCTIONS } from './translate-expression.js';

/** One conjunct offered to a table. */
export interface FilterCandidate {
  /** The conjunct's parse tree (for EXPLAIN and for removal from the residual). */
  readonly node: AstNode;
  readonly expr: Expr;
  /**
   * Where it came from: removable from the residual only when it is a WHERE
   * conjunct. `derived` filters are implied by an OR (each branch's conditions
   * on this table, ORed): they narrow the scan and the OR itself stays.
   */
  readonly origin: 'where' | 'on' | 'derived';
  support: FilterSupport;
}

/** What one table reference is asked. */
export interface ScanPlan {
  readonly binding: TableBinding;
  /** The DuckDB relation that will hold its rows. */
  readonly relation: string;
  readonly projection: string[];
  readonly candidates: FilterCandidate[];
  limit?: number;
  orderBy?: SortKey[];
}

/** Aggregates and set-returning functions: their presence forbids pushing a LIMIT. */
const CARDINALITY_FUNCTIONS = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'array_agg',
  'string_agg',
  'bool_and',
  'bool_or',
  'every',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'json_agg',
  'jsonb_agg',
  'json_object_agg',
  'jsonb_object_agg',
  'list',
  'first',
  'last',
  'any_value',
  'arg_max',
  'arg_min',
  'median',
  'mode',
  'quantile',
  'percentile_cont',
  'percentile_disc',
  'corr',
  'covar_pop',
  'covar_samp',
  'bit_and',
  'bit_or',
  'histogram',
  'unnest',
  'generate_series',
  'generate_subscripts',
  'jsonb_array_elements',
  'json_array_elements',
  'regexp_split_to_table',
  'jsonb_each',
  'json_each',
  'range',
]);

/** Plans every table reference of a bound query. */
export async function planScans(
  bindings: readonly TableBinding[],
  params: readonly ScalarValue[],
): Promise<ScanPlan[]> {
  const plans: ScanPlan[] = [];
  for (const binding of bindings) plans.push(await planScan(binding, params));
  return plans;
}

async function planScan(binding: TableBinding, params: readonly ScalarValue[]): Promise<ScanPlan> {
  const names = binding.arrowSchema.fields.map((f) => f.name);
  const projection =
    binding.usedColumns === 'all' ? names : names.filter((n) => (binding.usedColumns as Set<string>).has(n));
  const plan: ScanPlan = { binding, relation: `__spoke_${binding.id}`, projection, candidates: [] };
  const ctx = { schema: binding.arrowSchema, qualifiers: [binding.alias, binding.table], params };
  const stmt = binding.scope.stmt;

  const offer = (node: AstNode, origin: 'where' | 'on' | 'derived') => {
    if (!touchesOnly(node, binding)) return;
    const expr = translateExpression(node, ctx);
    if (expr) plan.candidates.push({ node, expr, origin, support: 'unsupported' });
  };
  if (!binding.nullable) {
    for (const c of conjuncts(stmt.whereClause)) {
      if (touchesOnly(c, binding)) offer(c, 'where');
      else {
        const implied = impliedByOr(c, binding);
        if (implied) offer(implied, 'derived');
      }
    }
  }
  for (const item of stmt.fromClause ?? []) collectOnConjuncts(item, binding, offer);

  if (plan.candidates.length) {
    const answers = await binding.provider.supportsFilters?.(plan.candidates.map((c) => c.expr));
    plan.candidates.forEach((c, i) => {
      c.support = answers?.[i] ?? 'unsupported';
    });
  }
  await planLimit(plan, stmt, ctx);
  return plan;
}

/** The conjuncts of an AND tree. */
export function conjuncts(node: AstNode | undefined): AstNode[] {
  if (!node) return [];
  if (node.BoolExpr?.boolop === 'AND_EXPR') return (node.BoolExpr.args as AstNode[]).flatMap(conjuncts);
  return [node];
}

/**
 * For `(a AND b AND …) OR (c AND …)` spanning several tables: when every
 * branch has conditions on `binding` alone, their OR is implied by the
 * whole and may narrow the scan (TPC-H Q19's shape). `undefined` otherwise.
 */
function impliedByOr(node: AstNode, binding: TableBinding): AstNode | undefined {
  if (node.BoolExpr?.boolop !== 'OR_EXPR') return undefined;
  const branches: AstNode[] = [];
  for (const branch of node.BoolExpr.args as AstNode[]) {
    const own = conjuncts(branch).filter((c) => touchesOnly(c, binding));
    if (own.length === 0) return undefined;
    branches.push(own.length === 1 ? own[0]! : { BoolExpr: { boolop: 'AND_EXPR', args: own } });
  }
  return { BoolExpr: { boolop: 'OR_EXPR', args: branches } };
}

/** Offers ON conjuncts that may move into `binding`'s scan. */
function collectOnConjuncts(
  item: AstNode,
  binding: TableBinding,
  offer: (node: AstNode, origin: 'on') => void,
): void {
  const join = item.JoinExpr;
  if (!join) return;
  collectOnConjuncts(join.larg, binding, offer);
  collectOnConjuncts(join.rarg, binding, offer);
  const type: string = join.jointype;
  const quals = conjuncts(join.quals);
  if (type === 'JOIN_INNER') {
    if (!binding.nullable) for (const q of quals) offer(q, 'on');
  } else if (type === 'JOIN_LEFT' || type === 'JOIN_RIGHT') {
    // An ON conjunct about the null-supplying side only restricts which of its rows match: it may move into that side's scan.
    const inner = type === 'JOIN_LEFT' ? join.rarg : join.larg;
    if (inner?.RangeVar === binding.rangeVar) for (const q of quals) offer(q, 'on');
  }
}

/** True when `node` reads only columns of `binding`, with no sub-query, volatile call or outer reference. */
function touchesOnly(node: AstNode, binding: TableBinding): boolean {
  let ok = true;
  let readsColumn = false;
  walkAst(node, (n) => {
    if (!ok) return false;
    if (n.SubLink) {
      ok = false;
      return false;
    }
    if (n.FuncCall) {
      const names = (n.FuncCall.funcname as AstNode[]).map((f) => f.String?.sval as string);
      if (VOLATILE_FUNCTIONS.has(names[names.length - 1]!.toLowerCase())) ok = false;
    }
    if (n.ColumnRef) {
      readsColumn = true;
      try {
        const r = resolveColumnRef(n.ColumnRef, binding.scope);
        if (r.kind !== 'local' || r.entries.length !== 1 || r.entries[0]!.binding !== binding) ok = false;
      } catch {
        ok = false;
      }
      return false;
    }
    return undefined;
  });
  return ok && readsColumn;
}

async function planLimit(
  plan: ScanPlan,
  stmt: AstNode,
  ctx: Parameters<typeof translateExpression>[1],
): Promise<void> {
  if (!stmt.limitCount || stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') return;
  const from = stmt.fromClause ?? [];
  if (from.length !== 1 || !keepsEveryRowOf(from[0], plan.binding.rangeVar)) return;
  if (stmt.groupClause || stmt.havingClause || stmt.distinctClause || stmt.windowClause) return;
  if (hasCardinalityChange(stmt.targetList) || hasCardinalityChange(stmt.sortClause)) return;
  const where = conjuncts(stmt.whereClause);
  const exact = new Set(
    plan.candidates.filter((c) => c.support === 'exact' && c.origin === 'where').map((c) => c.node),
  );
  if (!where.every((w) => exact.has(w))) return;
  const count = integerValue(stmt.limitCount, ctx.params);
  const offset = stmt.limitOffset ? integerValue(stmt.limitOffset, ctx.params) : 0;
  if (count === undefined || offset === undefined) return;
  if (stmt.sortClause?.length) {
    const keys: SortKey[] = [];
    for (const s of stmt.sortClause as AstNode[]) {
      const sort = s.SortBy;
      if (sort.useOp) return;
      const target = outputAlias(sort.node, stmt) ?? sort.node;
      const expr = translateExpression(target, ctx);
      if (!expr) return;
      const direction = sort.sortby_dir === 'SORTBY_DESC' ? 'desc' : 'asc';
      const nulls =
        sort.sortby_nulls === 'SORTBY_NULLS_FIRST'
          ? 'first'
          : sort.sortby_nulls === 'SORTBY_NULLS_LAST'
            ? 'last'
            : direction === 'desc'
              ? 'first'
              : 'last';
      keys.push({ expr, direction, nulls });
    }
    // A table that cannot return rows in this order gets neither the order nor the limit.
    if (!(await plan.binding.provider.supportsOrderBy?.(keys))) return;
    plan.orderBy = keys;
  }
  plan.limit = count + offset;
}

/**
 * Whether the FROM item is the table `rangeVar` itself, or outer joins that
 * preserve it (its side of `LEFT`/`RIGHT` joins, down to it): each of its
 * rows then reaches the item's rows at least once, so the first N rows of the
 * item — in an order of the table's columns, or in none — come from its first
 * N rows in that order, and a LIMIT (or top-N) can go to the table (as
 * Trino's PushLimitThroughOuterJoin and PushTopNThroughOuterJoin). An inner,
 * full or cross join can drop or add rows of its own: never.
 */
function keepsEveryRowOf(item: AstNode, rangeVar: AstNode): boolean {
  if (item.RangeVar) return item.RangeVar === rangeVar;
  const join = item.JoinExpr;
  if (!join) return false;
  if (join.jointype === 'JOIN_LEFT') return keepsEveryRowOf(join.larg, rangeVar);
  if (join.jointype === 'JOIN_RIGHT') return keepsEveryRowOf(join.rarg, rangeVar);
  return false;
}

/** The select-list expression an ORDER BY names by its alias (or position). */
function outputAlias(node: AstNode, stmt: AstNode): AstNode | undefined {
  const targets = (stmt.targetList ?? []) as AstNode[];
  const position = node.A_Const?.ival?.ival;
  if (position !== undefined) return targets[position - 1]?.ResTarget?.val;
  const fields = node.ColumnRef?.fields as AstNode[] | undefined;
  if (fields?.length !== 1) return undefined;
  const name = fields[0]!.String?.sval;
  return targets.find((t) => t.ResTarget?.name === name)?.ResTarget?.val;
}

function hasCardinalityChange(node: unknown): boolean {
  let found = false;
  walkAst(node, (n) => {
    if (n.FuncCall) {
      const f = n.FuncCall;
      const names = (f.funcname as AstNode[]).map((x) => x.String?.sval as string);
      if (
        f.over ||
        f.agg_star ||
        f.agg_distinct ||
        CARDINALITY_FUNCTIONS.has(names[names.length - 1]!.toLowerCase())
      )
        found = true;
    }
    if (n.SubLink) return false;
    return undefined;
  });
  return found;
}

function integerValue(node: AstNode, params: readonly ScalarValue[]): number | undefined {
  const [kind, body] = nodeKind(node);
  if (kind === 'A_Const') return body.ival !== undefined ? (body.ival.ival ?? 0) : undefined;
  if (kind === 'ParamRef') {
    const v = params[(body.number as number) - 1];
    const n = typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : v;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }
  return undefined;
}
