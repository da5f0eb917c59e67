/**
 * Eager aggregation below a join, at the source (issue 16): in a SELECT
 * with GROUP BY whose aggregates over a table `b` of a SQL source use `b`'s
 * columns only, `b` is grouped by its join keys inside its source first and
 * the query combines the partial aggregates —
 *
 *   SELECT c.id, count(o.id) FROM crm.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id
 *
 * reads `(SELECT customer_id, count(id) AS __spoke_ea_0 FROM orders GROUP BY customer_id) AS o`, one row per
 * customer instead of one per order, and counts with `CAST(coalesce(sum(o.__spoke_ea_0), 0) AS int8)`.
 * The rewritten table is a FROM sub-query of one SQL source, so `plan-subqueries.ts` sends it whole
 * (TPC-H Q13: customer in MariaDB, orders in PostgreSQL).
 *
 * Correct because every row of the join that carries `b`'s columns carries one `b` row of one key
 * group; the join (and any other join above it) repeats every row of a group alike, so counts and sums
 * add up over partial groups, and min/max are unchanged by repetition. Only these are rewritten:
 * `count(b.x)`, `count(*)` (not with `b` on the null-supplying side: its unmatched rows count one),
 * `sum(b.x)` over integers, decimals and double precision, `min`/`max(b.x)` over numbers and dates (not
 * text: the source's collation could order it differently from DuckDB's); the join keys grouped by are
 * integers, decimals or dates (see {@link groupsExactly}). Anything else — another
 * aggregate, an aggregate over another table's columns (repetition changes it), DISTINCT, FILTER or
 * ORDER BY in an aggregate, a window, GROUPING SETS, a `b` column other than a join key outside the
 * aggregates, a FULL or RIGHT join, `b` on the preserved side of a LEFT join, USING or NATURAL —
 * leaves the statement alone.
 *
 * Security policies run before planning and replace every table they act on by a sub-select
 * (`policy/rewrite-query.ts`), so a table still named directly in a FROM clause here has no mask, row
 * filter or `aggregate_only` for the caller: the rule never changes what a policy allows.
 */
import type { ScalarValue } from '@spoke/core';
import { allowedCallables } from '../binder/allowed-functions.js';
import type { BoundQuery, TableBinding } from '../binder/scope.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import { figureColname } from '../parse/figure-colname.js';
import { addImpliedFilters } from '../pushdown/implied-filters.js';
import { equalityOperands, planJoinKeys, side } from '../pushdown/plan-join-keys.js';
import { conjuncts, planScans } from '../pushdown/plan-scans.js';
import { unsupportedBy } from '../pushdown/sql-pushdown.js';
import { estimateReads } from '../statistics/estimate-reads.js';

/** One table pre-aggregated at its source. */
export interface EagerAggregation {
  /** The table's RangeVar body (now inside the sub-query; the re-bound binding keeps it). */
  readonly rangeVar: AstNode;
  readonly source: string;
  /** The join keys it is grouped by. */
  readonly keys: readonly string[];
  /** Groups expected (the keys' distinct count, at most the filtered rows). */
  readonly estimatedRows: number;
  /** Rows the table's filters keep, which a plain read would bring. */
  readonly rowsBefore: number;
  /** EXPLAIN's strategy label: `eager aggregation (by k…)`. */
  readonly strategy: string;
}

/**
 * A pre-aggregation must bring at most this share of the rows a plain read would: below that, the
 * source's GROUP BY buys little and the table can no longer be reduced by other reads' key lists.
 */
const MAX_GROUP_SHARE = 0.5;

/** Prefix of the partial aggregates' column names (not a name a user query can collide with by accident). */
const PARTIAL = '__spoke_ea_';

/**
 * Rewrites, in place, every SELECT of the bound statement where eager
 * aggregation applies and the statistics show it pays; returns what it did
 * (empty: the statement is unchanged and `bound` still describes it; else
 * the caller binds it again).
 */
export async function applyEagerAggregation(
  bound: BoundQuery,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  mayShipKeys: (from: TableBinding, toSource: string) => boolean = () => true,
): Promise<EagerAggregation[]> {
  const candidates: Candidate[] = [];
  for (const select of bound.scopes.keys()) {
    const candidate = candidateIn(select, bound);
    if (candidate) candidates.push(candidate);
  }
  if (candidates.length === 0) return [];
  // The table's own filters (its ON conjuncts, and WHERE's when inner) are what planScans pushes to it; with
  // those its join partners' filters imply (`implied-filters.ts`), as the plain read would have them.
  const all = await planScans(bound.bindings, params);
  await addImpliedFilters(all, planJoinKeys(all.map((s) => s.binding)), mayShipKeys);
  const scans = candidates.map((c) => all.find((s) => s.binding === c.binding)!);
  const estimates = await estimateReads(scans, signal);
  const applied: EagerAggregation[] = [];
  candidates.forEach((c, i) => {
    const estimate = estimates.get(scans[i]!)!;
    const rows = estimate.rows;
    const distincts = c.keys.map((k) => estimate.distinct[k]);
    // Unknown statistics: left alone. A pre-aggregation on a nearly unique key would make the source
    // hash every row for nothing, and hide the table from the key lists the read schedule could send it.
    if (rows === undefined || distincts.some((d) => d === undefined || d <= 0)) return;
    const groups = Math.min(rows, distincts.reduce((p, d) => p! * d!, 1)!);
    if (groups > rows * MAX_GROUP_SHARE) return;
    // The implied filters the source applies exactly go inside too: they cut rows before the grouping.
    const implied = scans[i]!.candidates.filter((f) => f.origin === 'implied' && f.support === 'exact');
    const impliedNodes = implied.map((f) => f.node);
    if (!rewrite(c, impliedNodes)) return;
    applied.push({
      rangeVar: c.binding.rangeVar,
      source: c.binding.source,
      keys: c.keys,
      estimatedRows: Math.max(1, Math.round(groups)),
      rowsBefore: Math.round(rows),
      strategy: `eager aggregation (by ${c.keys.join(', ')})`,
    });
  });
  return applied;
}

/** A partial aggregate the sub-query computes, and the outer call it replaces. */
interface Partial {
  readonly call: AstNode;
  readonly kind: 'count' | 'sum' | 'min' | 'max';
  /** The argument column (`undefined` for `count(*)`). */
  readonly column?: string;
  readonly integer: boolean;
  /** The argument's decimal scale, when it is a decimal. */
  readonly scale?: number;
}

interface Candidate {
  readonly select: AstNode;
  readonly binding: TableBinding;
  /** The FROM slot holding `{ RangeVar: binding.rangeVar }`. */
  readonly slot: { readonly holder: AstNode; readonly key: string | number };
  readonly keys: string[];
  /** Conjuncts about `b` alone that move into the sub-query, and where each was. */
  readonly inside: { readonly holder: AstNode; readonly key: string; readonly node: AstNode }[];
  readonly partials: Partial[];
}

/** The table of `select` eager aggregation applies to, with everything the rewrite needs; else `undefined`. */
function candidateIn(select: AstNode, bound: BoundQuery): Candidate | undefined {
  if (!select.groupClause && !hasAggregate(select)) return undefined;
  if (select.op && select.op !== 'SETOP_NONE') return undefined;
  let plain = true;
  walkAst(select.groupClause, (n) => {
    if (n.GroupingSet) plain = false;
    return undefined;
  });
  for (const part of [select.targetList, select.havingClause, select.sortClause, select.windowClause])
    walkAst(part, (n) => {
      if (n.FuncCall?.over || n.WindowDef || n.GroupingFunc) plain = false;
      return n.SubLink ? false : undefined;
    });
  if (!plain || select.windowClause?.length) return undefined;
  // FROM: tables, sub-queries and INNER / LEFT joins with ON only.
  const slots: { holder: AstNode; key: string | number; item: AstNode; onPath: AstNode[] }[] = [];
  const joinsOk = (item: AstNode, holder: AstNode, key: string | number, path: AstNode[]): boolean => {
    if (item.JoinExpr) {
      const j = item.JoinExpr;
      if (j.isNatural || j.usingClause || !j.quals) return false;
      if (j.jointype !== 'JOIN_INNER' && j.jointype !== 'JOIN_LEFT') return false;
      return joinsOk(j.larg, j, 'larg', [...path, item]) && joinsOk(j.rarg, j, 'rarg', [...path, item]);
    }
    if (item.RangeVar) slots.push({ holder, key, item, onPath: path });
    return Boolean(item.RangeVar || (item.RangeSubselect && !item.RangeSubselect.lateral));
  };
  const from = (select.fromClause ?? []) as AstNode[];
  if (!from.every((item, i) => joinsOk(item, from, i, []))) return undefined;
  const bindings = bound.bindings.filter((b) => b.scope.stmt === select);
  const inFrom = new Set<TableBinding>();
  walkAst(select.fromClause, (n) => {
    for (const b of bound.bindings) if (b.rangeVar === n.RangeVar) inFrom.add(b);
    return undefined;
  });
  for (const slot of slots) {
    const binding = bindings.find((b) => b.rangeVar === slot.item.RangeVar);
    if (!binding?.connector.sql || binding.usedColumns === 'all') continue;
    // All in one source: the whole query (or its sub-query) goes there anyway.
    if ([...inFrom].some((o) => o !== binding && o.source === binding.source)) continue;
    const candidate = analyse(select, binding, slot, from);
    if (candidate) return candidate;
  }
  return undefined;
}

function analyse(
  select: AstNode,
  binding: TableBinding,
  slot: { holder: AstNode; key: string | number; onPath: AstNode[] },
  from: AstNode[],
): Candidate | undefined {
  const scope = binding.scope;
  const parentJoin = slot.onPath.at(-1)?.JoinExpr as AstNode | undefined;
  // `b` must not be the preserved side of a LEFT join (its unmatched rows would be one per group).
  if (parentJoin?.jointype === 'JOIN_LEFT' && slot.key === 'larg') return undefined;
  for (const j of slot.onPath.slice(0, -1))
    if (j.JoinExpr.jointype === 'JOIN_LEFT' && containsSlot(j.JoinExpr.larg, binding)) return undefined;
  const columns = new Set(binding.arrowSchema.fields.map((f) => f.name));
  /** `'b'`: only `b`'s columns; `'other'`: no `b` column; `'mixed'`; `'unknown'`: a sub-query, or not resolvable. */
  const touches = (node: AstNode): 'b' | 'other' | 'mixed' | 'none' | 'unknown' => {
    let b = false;
    let other = false;
    let unknown = false;
    walkAst(node, (n) => {
      if (n.SubLink || n.A_Star) unknown = true;
      const ref = n.ColumnRef;
      if (!ref) return n.SubLink ? false : undefined;
      const owner = side(n, scope);
      if (owner?.binding === binding) b = true;
      else if (owner) other = true;
      else if (mayName(ref, binding, columns)) unknown = true;
      else other = true;
      return false;
    });
    if (unknown) return 'unknown';
    return b ? (other ? 'mixed' : 'b') : other ? 'other' : 'none';
  };
  const keys: string[] = [];
  const inside: Candidate['inside'] = [];
  const consider = (holder: AstNode, key: string, moveAllowed: boolean) => {
    for (const c of conjuncts(holder[key])) {
      const what = touches(c);
      if (what === 'b' && moveAllowed) inside.push({ holder, key, node: c });
      for (const [mine, theirs] of equalityOperands(c)) {
        const own = side(mine, scope);
        if (own?.binding === binding && touches(theirs) === 'other') {
          if (!keys.includes(own.column)) keys.push(own.column);
        }
      }
    }
  };
  if (parentJoin) consider(parentJoin, 'quals', true);
  if (!binding.nullable) consider(select, 'whereClause', true);
  if (keys.length === 0 || !keys.every((k) => groupsExactly(binding, k))) return undefined;
  const movedNodes = new Set(inside.map((m) => m.node));
  // Aggregates: each is over `b` alone (rewritten) or the statement is left alone.
  const partials: Partial[] = [];
  let ok = true;
  const aggregates = (part: unknown) =>
    walkAst(part, (n) => {
      const f = n.FuncCall;
      if (!f || !ok) return n.SubLink ? false : undefined;
      if (!isAggregate(f)) return undefined;
      const partial = partialOf(f, binding, scope, columns);
      if (!partial) ok = false;
      else partials.push(partial);
      return false;
    });
  aggregates(select.targetList);
  aggregates(select.havingClause);
  aggregates(select.sortClause);
  if (!ok || partials.length === 0) return undefined;
  if (binding.nullable && partials.some((p) => p.kind === 'count' && p.column === undefined))
    return undefined;
  const inAggregate = new Set(partials.map((p) => p.call));
  // Everywhere else, `b` may be named by its join keys only.
  const keySet = new Set(keys);
  walkAst({ select: selectParts(select), from }, (n) => {
    if (!ok) return false;
    if (inAggregate.has(n.FuncCall) || movedNodes.has(n)) return false;
    if (n.A_Star) {
      ok = false;
      return false;
    }
    const ref = n.ColumnRef;
    if (!ref) return undefined;
    const owner = side(n, scope);
    if (owner?.binding === binding) {
      if (!keySet.has(owner.column)) ok = false;
    } else if ((ref.fields as AstNode[]).length > 2) {
      ok = false; // `source.table.column`: the sub-query would not carry that name
    } else if (!owner && mayName(ref, binding, columns)) {
      const name = (ref.fields as AstNode[]).at(-1)?.String?.sval as string | undefined;
      if (!name || !keySet.has(name)) ok = false;
    }
    return false;
  });
  if (!ok) return undefined;
  return { select, binding, slot, keys, inside, partials };
}

/** The parts of a SELECT besides FROM that may name a column. */
function selectParts(select: AstNode): unknown[] {
  return [
    select.targetList,
    select.whereClause,
    select.groupClause,
    select.havingClause,
    select.sortClause,
    select.distinctClause,
  ];
}

/** Whether `item` (a FROM item) contains the binding's table. */
function containsSlot(item: AstNode, binding: TableBinding): boolean {
  let found = false;
  walkAst(item, (n) => {
    if (n.RangeVar === binding.rangeVar) found = true;
    return !found;
  });
  return found;
}

/**
 * Whether an unresolved column reference could be one of `b`'s (its
 * qualifier is `b`'s name, or it is unqualified and `b` has such a column):
 * then it is treated as one, to stay on the safe side.
 */
function mayName(ref: AstNode, binding: TableBinding, columns: Set<string>): boolean {
  const fields = (ref.fields as AstNode[]).map((f) => f.String?.sval as string | undefined);
  const lower = (s: string | undefined) => s?.toLowerCase();
  if (fields.length >= 2) {
    const q = lower(fields.at(-2));
    return q === lower(binding.alias) || q === lower(binding.table);
  }
  const name = lower(fields[0]);
  return [...columns].some((c) => c.toLowerCase() === name);
}

function hasAggregate(select: AstNode): boolean {
  let found = false;
  walkAst([select.targetList, select.havingClause], (n) => {
    if (n.FuncCall && !n.FuncCall.over && isAggregate(n.FuncCall)) found = true;
    return n.SubLink ? false : !found;
  });
  return found;
}

function isAggregate(f: AstNode): boolean {
  if (f.over) return false;
  if (f.agg_star || f.agg_distinct || f.agg_order || f.agg_filter || f.agg_within_group) return true;
  const name = String((f.funcname as AstNode[]).at(-1)?.String?.sval).toLowerCase();
  return allowedCallables(name).some((c) => c.kind === 'aggregate' || c.kind === 'ordered-set');
}

/** The partial for one aggregate call over `b`'s columns, or `undefined` when it has none. */
function partialOf(
  f: AstNode,
  binding: TableBinding,
  scope: TableBinding['scope'],
  columns: Set<string>,
): Partial | undefined {
  if (f.agg_distinct || f.agg_order || f.agg_filter || f.agg_within_group || f.over) return undefined;
  const names = (f.funcname as AstNode[]).map((n) => n.String?.sval as string);
  if (names.length > 1 && names[0] !== 'pg_catalog') return undefined;
  const name = names.at(-1)!.toLowerCase();
  if (name === 'count' && f.agg_star) return { call: f, kind: 'count', integer: true };
  if (name !== 'count' && name !== 'sum' && name !== 'min' && name !== 'max') return undefined;
  if (f.args?.length !== 1) return undefined;
  const arg = side(f.args[0], scope);
  if (arg?.binding !== binding || !columns.has(arg.column)) return undefined;
  const type = columnType(binding, arg.column);
  const integer = type.typeId === TYPE_INT;
  const decimal = type.typeId === TYPE_DECIMAL;
  const double = type.typeId === TYPE_FLOAT && type.precision === 2;
  const date = type.typeId === TYPE_DATE;
  if (name === 'sum' && !(integer || decimal || double)) return undefined;
  if ((name === 'min' || name === 'max') && !(integer || decimal || double || date)) return undefined;
  return { call: f, kind: name, column: arg.column, integer, ...(decimal ? { scale: type.scale ?? 0 } : {}) };
}

/** Arrow type ids (apache-arrow's `Type` enum) of the column types the rule reasons about. */
const TYPE_INT = 2;
const TYPE_FLOAT = 3;
const TYPE_DECIMAL = 7;
const TYPE_DATE = 8;

function columnType(
  binding: TableBinding,
  name: string,
): { typeId: number; precision?: number; scale?: number } {
  return binding.arrowSchema.fields.find((x) => x.name === name)!.type as unknown as {
    typeId: number;
    precision?: number;
    scale?: number;
  };
}

/**
 * Whether the source groups a join key's values exactly as DuckDB's join compares them: integers,
 * decimals and dates. Not text (MariaDB's default collations group `'a'` with `'A'` and ignore trailing
 * spaces, so one group would stand for several join keys) and not floating point (`-0`/`0` and NaN
 * group differently across engines).
 */
function groupsExactly(binding: TableBinding, key: string): boolean {
  const id = columnType(binding, key).typeId;
  return id === TYPE_INT || id === TYPE_DECIMAL || id === TYPE_DATE;
}

const column = (...names: string[]): AstNode => ({
  ColumnRef: { fields: names.map((sval) => ({ String: { sval } })) },
});
const call = (name: string, args: AstNode[]): AstNode => ({
  FuncCall: { funcname: [{ String: { sval: name } }], args, funcformat: 'COERCE_EXPLICIT_CALL' },
});
const cast = (arg: AstNode, type: string, typmods?: number[]): AstNode => ({
  TypeCast: {
    arg,
    typeName: {
      names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: type } }],
      ...(typmods ? { typmods: typmods.map((t) => ({ A_Const: { ival: t ? { ival: t } : {} } })) } : {}),
      typemod: -1,
    },
  },
});

/**
 * Rewrites the candidate's SELECT in place; false (nothing changed) when
 * `b`'s source could not run the sub-query.
 */
function rewrite(c: Candidate, implied: readonly AstNode[] = []): boolean {
  const { select, binding } = c;
  const alias = binding.alias;
  const targets: AstNode[] = c.keys.map((k) => ({ ResTarget: { name: k, val: column(alias, k) } }));
  const outers = c.partials.map((p, i) => {
    const name = `${PARTIAL}${i}`;
    const inner =
      p.column === undefined
        ? {
            FuncCall: {
              funcname: [{ String: { sval: 'count' } }],
              agg_star: true,
              funcformat: 'COERCE_EXPLICIT_CALL',
            },
          }
        : call(p.kind, [column(alias, p.column)]);
    // A sum of integers or decimals: PostgreSQL's sum(int8) and sum(numeric) are unconstrained numerics
    // (carried as text), MariaDB's a DECIMAL of its own width; numeric(38, scale) holds any such sum exactly,
    // and DuckDB's sum of it is the decimal(38, scale) its own sum of the column gives.
    const scale = p.integer ? 0 : p.scale;
    targets.push({
      ResTarget: {
        name,
        val: p.kind === 'sum' && scale !== undefined ? cast(inner, 'numeric', [38, scale]) : inner,
      },
    });
    const partial = column(alias, name);
    // count → the partial counts' sum, 0 without any (the column stays int8, PostgreSQL's count type).
    return p.kind === 'count'
      ? cast({ CoalesceExpr: { args: [call('sum', [partial]), { A_Const: { ival: {} } }] } }, 'int8')
      : call(p.kind, [partial]);
  });
  const where = [...c.inside.map((m) => m.node), ...implied];
  const inner: AstNode = {
    targetList: targets,
    fromClause: [{ RangeVar: binding.rangeVar }],
    ...(where.length
      ? { whereClause: where.length === 1 ? where[0] : { BoolExpr: { boolop: 'AND_EXPR', args: where } } }
      : {}),
    groupClause: c.keys.map((k) => column(alias, k)),
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  if (unsupportedBy(inner, binding.connector.sql!.dialect.capabilities) !== undefined) return false;
  // Result names stay PostgreSQL's (`count`, `sum`), whatever replaces the call.
  for (const target of (select.targetList ?? []) as AstNode[]) {
    const res = target.ResTarget;
    if (res && res.name === undefined && res.val?.FuncCall) {
      const name = figureColname(res.val);
      if (name !== undefined) res.name = name;
    }
  }
  c.partials.forEach((p, i) => {
    replaceCall(select, p.call, outers[i]!);
  });
  // Conjuncts about `b` alone go inside (removed from where they were).
  for (const m of c.inside) {
    const rest = conjuncts(m.holder[m.key]).filter((x) => x !== m.node);
    if (rest.length === 0) {
      if (m.key === 'quals') m.holder[m.key] = { A_Const: { boolval: { boolval: true } } };
      else delete m.holder[m.key];
    } else m.holder[m.key] = rest.length === 1 ? rest[0] : { BoolExpr: { boolop: 'AND_EXPR', args: rest } };
  }
  (c.slot.holder as Record<string | number, AstNode>)[c.slot.key] = {
    RangeSubselect: { subquery: { SelectStmt: inner }, alias: { aliasname: alias } },
  };
  return true;
}

/** Replaces the node holding `{ FuncCall: body }` by `replacement`. */
function replaceCall(select: AstNode, body: AstNode, replacement: AstNode): void {
  walkAst(select, (n) => {
    for (const [key, value] of Object.entries(n)) {
      if (value && typeof value === 'object' && (value as AstNode).FuncCall === body) n[key] = replacement;
      if (Array.isArray(value))
        value.forEach((item, i) => {
          if (item?.FuncCall === body) value[i] = replacement;
        });
    }
    return undefined;
  });
}
