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
 *   and where nothing changes cardinality; likewise for each branch of a
 *   `UNION ALL` with a LIMIT (and an ORDER BY of its output columns).
 * Exact WHERE conjuncts are removed from the residual; inexact ones stay and
 * DuckDB applies them again.
 */
import type { Expr, FilterSupport, ScalarValue, SortKey } from '@spoke/core';
import { resolveColumnRef } from '../binder/bind-query.js';
import type { TableBinding } from '../binder/scope.js';
import { type AstNode, nodeKind, walkAst } from '../parse/ast.js';
import { figureColname } from '../parse/figure-colname.js';
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
   * `implied` ones by a join partner's filter on the join column
   * (`implied-filters.ts`): never in the statement, they narrow the scan only.
   */
  readonly origin: 'where' | 'on' | 'derived' | 'implied';
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

/**
 * Plans every table reference of a bound query. `unionLimits` (from
 * {@link unionAllLimits}) lets a LIMIT of a `UNION ALL` reach its branches.
 */
export async function planScans(
  bindings: readonly TableBinding[],
  params: readonly ScalarValue[],
  unionLimits?: ReadonlyMap<AstNode, AstNode>,
): Promise<ScanPlan[]> {
  const plans: ScanPlan[] = [];
  const union = unionLimits?.size ? { limits: unionLimits, tables: tablesBySelect(bindings) } : undefined;
  for (const binding of bindings) plans.push(await planScan(binding, params, union));
  return plans;
}

/** What a LIMIT of a `UNION ALL` needs to reach a branch's table. */
interface UnionLimits {
  /** The `UNION ALL` statement with the LIMIT, by branch SELECT. */
  readonly limits: ReadonlyMap<AstNode, AstNode>;
  /** The source tables each SELECT reads (to expand a `*` into its columns). */
  readonly tables: ReadonlyMap<AstNode, readonly TableBinding[]>;
}

function tablesBySelect(bindings: readonly TableBinding[]): Map<AstNode, TableBinding[]> {
  const out = new Map<AstNode, TableBinding[]>();
  for (const b of bindings) out.set(b.scope.stmt, [...(out.get(b.scope.stmt) ?? []), b]);
  return out;
}

const isUnionAll = (stmt: AstNode | undefined): boolean => stmt?.op === 'SETOP_UNION' && stmt.all === true;

/**
 * The `UNION ALL` statements with a LIMIT, by each of their branch SELECTs
 * (nested `UNION ALL`s without a LIMIT or ORDER BY of their own looked
 * through). A branch can give at most the first limit + offset rows of the
 * whole — in the statement's order, when it has one — so its table need
 * return no more (as Trino's PushLimitThroughUnion and PushTopNThroughUnion).
 * A plain `UNION`, `INTERSECT` or `EXCEPT` may drop rows: never.
 */
export function unionAllLimits(statements: Iterable<AstNode>): Map<AstNode, AstNode> {
  const out = new Map<AstNode, AstNode>();
  const branches = (s: AstNode): AstNode[] =>
    isUnionAll(s) && !s.limitCount && !s.sortClause ? [...branches(s.larg), ...branches(s.rarg)] : [s];
  for (const stmt of statements) {
    if (!isUnionAll(stmt) || !stmt.limitCount || stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') continue;
    for (const branch of [...branches(stmt.larg), ...branches(stmt.rarg)])
      if (!branch.op || branch.op === 'SETOP_NONE') out.set(branch, stmt);
  }
  return out;
}

async function planScan(
  binding: TableBinding,
  params: readonly ScalarValue[],
  union?: UnionLimits,
): Promise<ScanPlan> {
  const names = binding.arrowSchema.fields.map((f) => f.name);
  const projection =
    binding.usedColumns === 'all' ? names : names.filter((n) => (binding.usedColumns as Set<string>).has(n));
  const plan: ScanPlan = { binding, relation: `__spoke_${binding.id}`, projection, candidates: [] };
  const ctx = { schema: binding.arrowSchema, qualifiers: [binding.alias, binding.table], params };
  const stmt = binding.scope.stmt;

  const offerChecked = (node: AstNode, origin: 'where' | 'on' | 'derived') => {
    const expr = translateExpression(node, ctx);
    if (expr) plan.candidates.push({ node, expr, origin, support: 'unsupported' });
  };
  const offer = (node: AstNode, origin: 'where' | 'on' | 'derived') => {
    if (touchesOnly(node, binding)) offerChecked(node, origin);
  };
  if (!binding.nullable) {
    for (const c of conjuncts(stmt.whereClause)) {
      if (touchesOnly(c, binding)) offerChecked(c, 'where');
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
  await planLimit(plan, stmt, ctx, union);
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
  union?: UnionLimits,
): Promise<void> {
  // The statement whose LIMIT and ORDER BY apply: this SELECT's own, or its UNION ALL's.
  const outer: AstNode | undefined = stmt.limitCount ? stmt : union?.limits.get(stmt);
  if (!outer?.limitCount || outer.limitOption === 'LIMIT_OPTION_WITH_TIES') return;
  const from = stmt.fromClause ?? [];
  if (from.length !== 1 || !keepsEveryRowOf(from[0], plan.binding.rangeVar)) return;
  if (stmt.groupClause || stmt.havingClause || stmt.distinctClause || stmt.windowClause) return;
  if (hasCardinalityChange(stmt.targetList) || hasCardinalityChange(outer.sortClause)) return;
  const where = conjuncts(stmt.whereClause);
  const exact = new Set(
    plan.candidates.filter((c) => c.support === 'exact' && c.origin === 'where').map((c) => c.node),
  );
  if (!where.every((w) => exact.has(w))) return;
  const count = integerValue(outer.limitCount, ctx.params);
  const offset = outer.limitOffset ? integerValue(outer.limitOffset, ctx.params) : 0;
  if (count === undefined || offset === undefined) return;
  if (outer.sortClause?.length) {
    const keys: SortKey[] = [];
    for (const s of outer.sortClause as AstNode[]) {
      const sort = s.SortBy;
      if (sort.useOp) return;
      const target =
        outer === stmt
          ? (outputAlias(sort.node, stmt) ?? sort.node)
          : branchOutput(sort.node, outer, stmt, union!.tables);
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

/**
 * The branch's select-list expression for a key of its UNION's ORDER BY,
 * which names an output column (by position, or by its name in the first
 * branch, as PostgreSQL requires); `undefined` when it cannot be told.
 */
function branchOutput(
  key: AstNode,
  union: AstNode,
  branch: AstNode,
  tables: ReadonlyMap<AstNode, readonly TableBinding[]>,
): AstNode | undefined {
  let index: number | undefined;
  if (key.A_Const) index = key.A_Const.ival?.ival !== undefined ? key.A_Const.ival.ival - 1 : undefined;
  else {
    const fields = key.ColumnRef?.fields as AstNode[] | undefined;
    const name = fields?.length === 1 ? (fields[0]!.String?.sval as string | undefined) : undefined;
    let first = union;
    while (first.op && first.op !== 'SETOP_NONE') first = first.larg;
    const names = selectOutputs(first, tables)?.map((o) => o.name);
    if (name === undefined || !names || names.indexOf(name) !== names.lastIndexOf(name)) return undefined;
    index = names.indexOf(name);
  }
  return index === undefined || index < 0 ? undefined : selectOutputs(branch, tables)?.[index]?.node;
}

/**
 * A SELECT's output columns in order, names and expressions: `*` (or `t.*`)
 * over a FROM of one source table is that table's columns; any other `*`
 * makes them unknown.
 */
function selectOutputs(
  stmt: AstNode,
  tables: ReadonlyMap<AstNode, readonly TableBinding[]>,
): { name: string | undefined; node: AstNode }[] | undefined {
  const out: { name: string | undefined; node: AstNode }[] = [];
  for (const target of (stmt.targetList ?? []) as AstNode[]) {
    const t = target.ResTarget;
    const fields = t.val?.ColumnRef?.fields as AstNode[] | undefined;
    if (fields?.[fields.length - 1]?.A_Star) {
      const [only, ...more] = tables.get(stmt) ?? [];
      if (!only || more.length || (stmt.fromClause ?? []).length !== 1 || !stmt.fromClause[0].RangeVar)
        return undefined;
      for (const f of only.arrowSchema.fields)
        out.push({ name: f.name, node: { ColumnRef: { fields: [{ String: { sval: f.name } }] } } });
      continue;
    }
    out.push({ name: t.name ?? figureColname(t.val), node: t.val });
  }
  return out;
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
