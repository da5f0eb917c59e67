/**
 * Join push-down between tables of one SQL source (issue 16): in a SELECT
 * that also reads other sources, a maximal group of two or more tables of
 * one SQL source linked by inner equi-joins (ON or WHERE conjuncts, comma
 * joins included) becomes one FROM sub-query that joins them in the source —
 *
 *   SELECT c.name, o.total, l.qty FROM crm.customers c, pg.orders o, pg.lines l
 *   WHERE c.id = o.customer_id AND o.id = l.order_id AND l.qty > 5
 *
 * reads `(SELECT o.total AS __spoke_jis_0, l.qty AS __spoke_jis_1, o.customer_id AS __spoke_jis_2
 * FROM orders o JOIN lines l ON o.id = l.order_id WHERE l.qty > 5) AS __spoke_jis_0_q` and the outer
 * query names those columns instead; `plan-subqueries.ts` sends the sub-query whole to its source.
 *
 * Correct because the FROM of the block is all inner joins around the group (the flattened ON conjuncts
 * join the WHERE: for inner joins they mean the same), so joining the group first and the rest after is a
 * reordering of inner joins. Left alone: a block with a LEFT/RIGHT/FULL join or a join alias around a
 * candidate (that join stays whole, its tables are not grouped), LATERAL or a table function in FROM, `*`
 * in the block's own clauses, set operations, a table on the null-supplying side, a table a sub-query
 * outside the moved conjuncts correlates with (its keys feed that sub-query's read), a column reference
 * the binder cannot place, and the whole block already in one source (`plan-subqueries.ts` sends it).
 * A conjunct holding a sub-query moves inside only when that sub-query reads the group's source only and
 * correlates with the group's tables only (TPC-H Q21's EXISTS).
 *
 * It pays when the joined rows are fewer bytes than the separate reads bring after the reductions the
 * read schedule would give them (`plan-reads.ts`): a joined read can no longer be cut down by another
 * source's keys, and the reads it fed lose its keys too; both are counted. Unknown statistics: left alone.
 *
 * Security policies replace every table they act on by a sub-select before planning
 * (`policy/rewrite-query.ts`); only tables still named directly in FROM are grouped, so nothing a policy
 * allows changes.
 */
import type { ScalarValue } from '@spoke/core';
import { resolveColumnRef } from '../binder/bind-query.js';
import type { BoundQuery, Scope, TableBinding } from '../binder/scope.js';
import type { LinkProfiles } from '../cost/link-profile.js';
import { readCost } from '../cost/read-cost.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import { equiJoin, planJoinKeys, side } from '../pushdown/plan-join-keys.js';
import { conjuncts, planScans, type ScanPlan } from '../pushdown/plan-scans.js';
import { unsupportedBy } from '../pushdown/sql-pushdown.js';
import { estimateReads, rowWidth } from '../statistics/estimate-reads.js';
import { planReads } from './plan-reads.js';

/** One group of same-source tables joined inside their source. */
export interface JoinInSource {
  /** The RangeVar bodies of the grouped tables (now inside the sub-query). */
  readonly rangeVars: readonly AstNode[];
  readonly source: string;
  /** The tables' names in the query. */
  readonly tables: readonly string[];
  /** Rows the joined read is expected to bring. */
  readonly estimatedRows: number;
  /** Bytes expected of the joined read, and of the separate reads (with what they gave other reads). */
  readonly estimatedBytes: number;
  readonly bytesBefore: number;
  /** EXPLAIN's strategy label: `join in source (a ⋈ b)`. */
  readonly strategy: string;
}

/** What the decision needs from the engine. */
export interface JoinInSourceContext {
  readonly links: LinkProfiles;
  /** Whether a table's keys may go to another source (policies): the read schedule compared against uses it. */
  readonly mayShipKeys: (from: TableBinding, toSource: string) => boolean;
}

/** Prefix of the sub-query's column names and alias (not a name a query collides with by accident). */
const PREFIX = '__spoke_jis_';

interface Group {
  readonly select: AstNode;
  readonly scope: Scope;
  readonly members: TableBinding[];
  /** Equi-join conjuncts and filters on the group alone, moved inside. */
  readonly inside: AstNode[];
  /** Bindings read by sub-queries of the moved conjuncts (covered by the joined read). */
  readonly covered: TableBinding[];
  /** Join edges inside the group: `[a, column, b, column]`. */
  readonly edges: [TableBinding, string, TableBinding, string][];
  readonly layout: Layout;
}

/** The block's FROM, flattened where it is inner joins only. */
interface Layout {
  /** Tables and sub-queries joined by inner joins (their wrapper nodes), in order. */
  readonly leaves: AstNode[];
  /** Other FROM items kept whole (outer joins, aliased joins), in order. */
  readonly opaque: AstNode[];
  /** WHERE conjuncts and the flattened inner joins' ON conjuncts. */
  readonly conjuncts: AstNode[];
  /** The ON conjuncts among them (their unqualified names must resolve in the whole block). */
  readonly onConjuncts: Set<AstNode>;
}

/**
 * Rewrites, in place, every SELECT block of the bound statement where a
 * group of same-source tables may join in its source and the statistics
 * show it pays; returns what it did (empty: the statement is unchanged).
 * The caller binds the statement again when anything was rewritten.
 */
export async function applyJoinInSource(
  bound: BoundQuery,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  context: JoinInSourceContext,
): Promise<JoinInSource[]> {
  // A group is two or more tables of one SQL source: a statement without such a pair has nothing to look at.
  if (!sameSourcePair(bound.bindings)) return [];
  const groups: Group[] = [];
  for (const [select, scope] of bound.scopes) groups.push(...groupsIn(select, scope, bound));
  if (groups.length === 0) return [];
  // The read schedule the query would get without the rule: what each read brings after its reductions.
  const scans = await planScans(bound.bindings, params);
  const estimates = await estimateReads(scans, signal);
  const schedule = planReads({
    scans,
    joinKeys: planJoinKeys(scans.map((s) => s.binding)),
    estimates,
    links: context.links,
    params,
    mayShipKeys: context.mayShipKeys,
  });
  const readOf = new Map(schedule.reads.map((r) => [r.scan.binding, r]));
  const applied: JoinInSource[] = [];
  groups.forEach((g, n) => {
    const joined = [...g.members, ...g.covered];
    let before = 0;
    for (const b of joined) {
      const bytes = readOf.get(b)?.estimatedBytes;
      if (bytes === undefined) return;
      before += bytes;
    }
    // Reads outside the group that waited for a member's keys would read more.
    let lost = 0;
    for (const r of schedule.reads) {
      if (joined.includes(r.scan.binding) || !r.waitsFor.some((e) => joined.includes(e.from))) continue;
      if (r.estimate.bytes === undefined || r.estimatedBytes === undefined) return;
      lost += Math.max(0, r.estimate.bytes - r.estimatedBytes);
    }
    const outputs = outputsOf(g);
    const rows = joinedRows(g, (b) => estimates.get(scans.find((s) => s.binding === b)!));
    if (rows === undefined) return;
    let width = 0;
    for (const [b, columns] of byBinding(outputs)) {
      const scan = scans.find((s) => s.binding === b)!;
      width += rowWidth({ ...scan, projection: columns } as ScanPlan);
    }
    const bytes = rows * Math.max(1, width) + lost;
    if (bytes >= before) return;
    // The source's own work: it scans every table of the joined read, each sub-query's table once more
    // at least (TPC-H Q21's EXISTS and NOT EXISTS over lineitem cost PostgreSQL more than the rows it saves).
    // The joined read must finish before the whole schedule it replaces would.
    let scanned = 0;
    for (const b of joined) {
      const tableRows = estimates.get(scans.find((s) => s.binding === b)!)?.tableRows;
      if (tableRows === undefined) return;
      scanned += tableRows;
    }
    const link = context.links.get(g.members[0]!.source, true);
    if (
      schedule.cost === undefined ||
      readCost(link, rows, rows * Math.max(1, width), scanned) >= schedule.cost
    )
      return;
    if (!rewrite(g, n, outputs)) return;
    applied.push({
      rangeVars: g.members.map((b) => b.rangeVar),
      source: g.members[0]!.source,
      tables: g.members.map((b) => b.alias),
      estimatedRows: Math.max(1, Math.round(rows)),
      estimatedBytes: Math.round(bytes),
      bytesBefore: Math.round(before),
      strategy: `join in source (${g.members.map((b) => b.alias).join(' ⋈ ')})`,
    });
  });
  return applied;
}

/** Whether two of `bindings` are tables of one SQL source (a group's members must be). */
function sameSourcePair(bindings: readonly TableBinding[]): boolean {
  const seen = new Set<string>();
  for (const b of bindings) {
    if (!b.connector.sql) continue;
    if (seen.has(b.source)) return true;
    seen.add(b.source);
  }
  return false;
}

/** The groups of one SELECT block. */
function groupsIn(select: AstNode, scope: Scope, bound: BoundQuery): Group[] {
  if (select.op && select.op !== 'SETOP_NONE') return [];
  const layout = layoutOf(select);
  if (!layout || layout.leaves.length < 2) return [];
  let star = false;
  walkAst(ownParts(select), (n) => {
    if (n.A_Star) star = true;
    return n.SubLink ? false : !star;
  });
  if (star) return [];
  const byRangeVar = new Map(bound.bindings.map((b) => [b.rangeVar, b]));
  let candidates = layout.leaves
    .map((leaf) => (leaf.RangeVar ? byRangeVar.get(leaf.RangeVar) : undefined))
    .filter(
      (b): b is TableBinding =>
        b !== undefined && b.scope === scope && !!b.connector.sql && !b.nullable && b.usedColumns !== 'all',
    );
  // ON conjuncts move to the WHERE: their unqualified names must mean the same there.
  for (const c of layout.onConjuncts) if (!placeable(c, scope)) return [];
  // References the rewrite could not follow pin the tables they may name.
  const pinned = new Set<TableBinding>();
  const pinUnplaced = (part: unknown) =>
    walkAst(part, (n) => {
      if (n.SubLink) return false;
      if (!n.ColumnRef) return undefined;
      if (!side(n, scope)) for (const b of candidates) if (mayName(n.ColumnRef, b)) pinned.add(b);
      return false;
    });
  pinUnplaced(ownParts(select));
  pinUnplaced(layout.conjuncts);
  for (;;) {
    candidates = candidates.filter((b) => !pinned.has(b));
    const groups = connect(candidates, layout, scope);
    let changed = false;
    const result: Group[] = [];
    for (const members of groups) {
      const inside: AstNode[] = [];
      const covered: TableBinding[] = [];
      for (const c of layout.conjuncts) {
        const move = movable(c, members, scope, bound, byRangeVar);
        if (move) {
          inside.push(c);
          covered.push(...move);
        }
      }
      // Sub-queries elsewhere that correlate with a member keep it out (its keys feed their reads).
      const elsewhere = [...ownParts(select), layout.conjuncts.filter((c) => !inside.includes(c))];
      for (const b of correlatedWith(elsewhere, members, bound)) {
        pinned.add(b);
        changed = true;
      }
      result.push({
        select,
        scope,
        members,
        inside,
        covered,
        edges: edgesOf(inside, members, scope),
        layout,
      });
    }
    if (changed) continue;
    // The whole block in one source: plan-subqueries sends it whole already (when it is a sub-query).
    return result.filter((g) => g.members.length < layout.leaves.length || layout.opaque.length > 0);
  }
}

/** Flattens the FROM clause's inner joins; `undefined` when the block has LATERAL or a table function. */
function layoutOf(select: AstNode): Layout | undefined {
  const leaves: AstNode[] = [];
  const opaque: AstNode[] = [];
  const on: AstNode[] = [];
  let ok = true;
  walkAst(select.fromClause, (n) => {
    if (n.RangeFunction || n.RangeSubselect?.lateral || n.RangeTableFunc) ok = false;
    return n.RangeSubselect ? false : ok;
  });
  if (!ok) return undefined;
  const innerOnly = (item: AstNode): boolean => {
    const j = item.JoinExpr;
    if (!j) return Boolean(item.RangeVar || item.RangeSubselect);
    return (
      j.jointype === 'JOIN_INNER' &&
      !j.isNatural &&
      !j.usingClause &&
      !j.alias &&
      !j.join_using_alias &&
      innerOnly(j.larg) &&
      innerOnly(j.rarg)
    );
  };
  const flatten = (item: AstNode) => {
    const j = item.JoinExpr;
    if (!j) {
      leaves.push(item);
      return;
    }
    flatten(j.larg);
    flatten(j.rarg);
    on.push(...conjuncts(j.quals));
  };
  for (const item of (select.fromClause ?? []) as AstNode[]) {
    if (innerOnly(item)) flatten(item);
    else opaque.push(item);
  }
  return {
    leaves,
    opaque,
    conjuncts: [...conjuncts(select.whereClause), ...on],
    onConjuncts: new Set(on),
  };
}

/** The parts of a SELECT besides FROM and WHERE that may name a column. */
function ownParts(select: AstNode): unknown[] {
  return [
    select.targetList,
    select.groupClause,
    select.havingClause,
    select.sortClause,
    select.distinctClause,
    select.windowClause,
  ];
}

/** Whether every column reference directly in `node` is qualified or resolves in `scope`. */
function placeable(node: AstNode, scope: Scope): boolean {
  let ok = true;
  walkAst(node, (n) => {
    if (n.SubLink) return false;
    const fields = n.ColumnRef?.fields as AstNode[] | undefined;
    if (fields && fields.length === 1 && !side(n, scope)) ok = false;
    return n.ColumnRef ? false : ok;
  });
  return ok;
}

/** Connected groups (≥ 2 tables of one source) by equi-join conjuncts between candidates. */
function connect(candidates: TableBinding[], layout: Layout, scope: Scope): TableBinding[][] {
  const parent = new Map(candidates.map((b) => [b, b]));
  const find = (b: TableBinding): TableBinding => {
    while (parent.get(b) !== b) b = parent.get(b)!;
    return b;
  };
  for (const c of layout.conjuncts) {
    const pair = equiJoin(c, scope);
    if (!pair) continue;
    const [a, b] = pair;
    if (!parent.has(a.binding) || !parent.has(b.binding) || a.binding.source !== b.binding.source) continue;
    parent.set(find(a.binding), find(b.binding));
  }
  const groups = new Map<TableBinding, TableBinding[]>();
  for (const b of candidates) {
    const root = find(b);
    groups.set(root, [...(groups.get(root) ?? []), b]);
  }
  return [...groups.values()].filter((g) => g.length >= 2);
}

function edgesOf(inside: AstNode[], members: TableBinding[], scope: Scope): Group['edges'] {
  const edges: Group['edges'] = [];
  for (const c of inside) {
    const pair = equiJoin(c, scope);
    if (pair && members.includes(pair[0].binding) && members.includes(pair[1].binding))
      edges.push([pair[0].binding, pair[0].column, pair[1].binding, pair[1].column]);
  }
  return edges;
}

/**
 * For a conjunct that may move inside the group's sub-query: the bindings
 * its sub-queries read (empty without any); `undefined` when it stays out
 * (it names another table, nothing at all, or a sub-query that reads
 * another source or correlates with anything but the group).
 */
function movable(
  c: AstNode,
  members: TableBinding[],
  scope: Scope,
  bound: BoundQuery,
  byRangeVar: Map<AstNode, TableBinding>,
): TableBinding[] | undefined {
  let own = 0;
  let ok = true;
  const covered: TableBinding[] = [];
  const nested: AstNode[] = [];
  walkAst(c, (n) => {
    if (!ok) return false;
    if (n.SubLink) {
      nested.push(n.SubLink.subselect);
      return false;
    }
    if (n.ColumnRef) {
      const s = side(n, scope);
      if (s && members.includes(s.binding)) own++;
      else ok = false;
      return false;
    }
    return undefined;
  });
  if (!ok) return undefined;
  const source = members[0]!.source;
  for (const sub of nested) {
    walkAst(sub, (n) => {
      if (n.RangeFunction || n.RangeTableFunc) ok = false;
      if (n.RangeVar) {
        const b = byRangeVar.get(n.RangeVar);
        if (b?.source === source && b.connector.sql) covered.push(b);
        else ok = false;
      }
      return ok;
    });
    for (const ref of outerRefs(sub, bound)) {
      if (ref && members.includes(ref)) own++;
      else ok = false;
    }
  }
  // A conjunct naming none of the group's columns (a constant one, an uncorrelated EXISTS) stays where it is.
  return ok && own > 0 ? covered : undefined;
}

/**
 * The tables of enclosing blocks that sub-queries inside `node` correlate
 * with; `undefined` for a reference whose table is unknown.
 */
function outerRefs(node: unknown, bound: BoundQuery): (TableBinding | undefined)[] {
  const stmts = new Set<AstNode>();
  walkAst(node, (n) => {
    if (bound.scopes.has(n)) stmts.add(n);
    if (n.SelectStmt && bound.scopes.has(n.SelectStmt)) stmts.add(n.SelectStmt);
    return undefined;
  });
  const refs: (TableBinding | undefined)[] = [];
  for (const stmt of stmts) {
    const scope = bound.scopes.get(stmt)!;
    walkAst(stmt, (n) => {
      if (!n.ColumnRef) return undefined;
      try {
        const r = resolveColumnRef(n.ColumnRef, scope);
        if (r.kind === 'outer') {
          const entries = r.entries ?? [];
          if (entries.length === 0) refs.push(undefined);
          for (const e of entries) {
            // A table of a block inside `node` is not a correlation out of it.
            if (e.binding && stmts.has(e.binding.scope.stmt)) continue;
            refs.push(e.binding);
          }
        }
      } catch {
        // A name resolved in a deeper block: that block's own pass sees it.
      }
      return false;
    });
  }
  return refs;
}

/** Members that sub-queries inside `parts` correlate with (or may: unknown references pin them all). */
function correlatedWith(parts: unknown[], members: TableBinding[], bound: BoundQuery): TableBinding[] {
  const found = new Set<TableBinding>();
  const subs: AstNode[] = [];
  walkAst(parts, (n) => {
    if (n.SubLink) {
      subs.push(n.SubLink.subselect);
      return false;
    }
    return undefined;
  });
  for (const sub of subs)
    for (const ref of outerRefs(sub, bound)) {
      if (ref === undefined) for (const m of members) found.add(m);
      else if (members.includes(ref)) found.add(ref);
    }
  return [...found];
}

/** Whether an unresolved reference could name `binding`'s column (by qualifier, or unqualified by name). */
function mayName(ref: AstNode, binding: TableBinding): boolean {
  const fields = (ref.fields as AstNode[]).map((f) => (f.String?.sval as string | undefined)?.toLowerCase());
  if (fields.length >= 2) {
    const q = fields.at(-2);
    return q === binding.alias.toLowerCase() || q === binding.table.toLowerCase();
  }
  return binding.arrowSchema.fields.some((f) => f.name.toLowerCase() === fields[0]);
}

/** One column the rest of the block reads from the group, and the references to rewrite. */
interface Output {
  readonly binding: TableBinding;
  readonly column: string;
  readonly refs: AstNode[];
}

/** The group's columns the block reads outside the moved conjuncts. */
function outputsOf(g: Group): Output[] {
  const outputs: Output[] = [];
  const visit = (part: unknown, sort: boolean) =>
    walkAst(part, (n) => {
      if (n.SubLink) return false;
      if (!n.ColumnRef) return undefined;
      const fields = n.ColumnRef.fields as AstNode[];
      // ORDER BY an output name means the select list's column, which is rewritten there.
      if (sort && fields.length === 1 && g.scope.outputNames.has(fields[0]?.String?.sval)) return false;
      const s = side(n, g.scope);
      if (s && g.members.includes(s.binding)) {
        let o = outputs.find((x) => x.binding === s.binding && x.column === s.column);
        if (!o) {
          o = { binding: s.binding, column: s.column, refs: [] };
          outputs.push(o);
        }
        o.refs.push(n);
      }
      return false;
    });
  const { select } = g;
  for (const part of ownParts(select)) visit(part, part === select.sortClause);
  visit(
    g.layout.conjuncts.filter((c) => !g.inside.includes(c)),
    false,
  );
  return outputs;
}

function byBinding(outputs: Output[]): Map<TableBinding, string[]> {
  const map = new Map<TableBinding, string[]>();
  for (const o of outputs) map.set(o.binding, [...(map.get(o.binding) ?? []), o.column]);
  return map;
}

/**
 * The joined rows: the members' filtered rows multiplied, divided by the
 * larger distinct count of each join edge that links two parts not linked
 * yet (a second key between the same tables is taken as correlated with the
 * first: fewer reductions, more rows — the safe side). `undefined` when a
 * figure is missing.
 */
function joinedRows(
  g: Group,
  estimateOf: (
    b: TableBinding,
  ) => { rows: number | undefined; distinct: Readonly<Record<string, number>> } | undefined,
): number | undefined {
  let rows = 1;
  const filtered = new Map<TableBinding, number>();
  for (const b of g.members) {
    const r = estimateOf(b)?.rows;
    if (r === undefined) return undefined;
    filtered.set(b, r);
    rows *= r;
  }
  const distinctOf = (b: TableBinding, column: string) => {
    const d = estimateOf(b)?.distinct[column];
    return d === undefined ? undefined : Math.min(d, filtered.get(b)!);
  };
  const parent = new Map(g.members.map((b) => [b, b]));
  const find = (b: TableBinding): TableBinding => {
    while (parent.get(b) !== b) b = parent.get(b)!;
    return b;
  };
  const edges = g.edges
    .map(([a, ac, b, bc]) => ({ a, b, d: Math.max(distinctOf(a, ac) ?? 0, distinctOf(b, bc) ?? 0) }))
    .sort((x, y) => y.d - x.d);
  for (const e of edges) {
    if (find(e.a) === find(e.b)) continue;
    if (e.d <= 0) return undefined;
    parent.set(find(e.a), find(e.b));
    rows /= e.d;
  }
  return new Set(g.members.map(find)).size === 1 ? rows : undefined;
}

const column = (...names: string[]): AstNode => ({
  ColumnRef: { fields: names.map((sval) => ({ String: { sval } })) },
});
const and = (nodes: AstNode[]): AstNode | undefined =>
  nodes.length === 0
    ? undefined
    : nodes.length === 1
      ? nodes[0]
      : { BoolExpr: { boolop: 'AND_EXPR', args: nodes } };

/** Rewrites the group's block in place; false (nothing changed) when the source could not run the sub-query. */
function rewrite(g: Group, n: number, outputs: Output[]): boolean {
  const alias = `${PREFIX}${n}_q`;
  const { select, scope, members } = g;
  // Afresh: another group of the block may have been rewritten since.
  const layout = layoutOf(select)!;
  // A select list without any of the group's columns (`count(*)`): the sub-query still needs one.
  const listed = outputs.length ? outputs : [{ binding: g.edges[0]![0], column: g.edges[0]![1], refs: [] }];
  const targets = listed.map((o, i) => ({
    ResTarget: { name: `${PREFIX}${i}`, val: column(o.binding.alias, o.column) },
  }));
  // Join the members in an order where each meets an earlier one; the ON holds the edges to earlier ones.
  const inside = new Set(g.inside);
  const placed: TableBinding[] = [members.find((m) => g.edges.some((e) => e[0] === m || e[2] === m))!];
  let from: AstNode = { RangeVar: placed[0]!.rangeVar };
  while (placed.length < members.length) {
    const next = members.find(
      (m) =>
        !placed.includes(m) &&
        g.edges.some((e) => (e[0] === m && placed.includes(e[2])) || (e[2] === m && placed.includes(e[0]))),
    );
    if (!next) return false;
    placed.push(next);
    const on = [...inside].filter((c) => {
      const pair = equiJoin(c, scope);
      return (
        pair &&
        (pair[0].binding === next || pair[1].binding === next) &&
        placed.includes(pair[0].binding) &&
        placed.includes(pair[1].binding)
      );
    });
    for (const c of on) inside.delete(c);
    from = {
      JoinExpr: { jointype: 'JOIN_INNER', larg: from, rarg: { RangeVar: next.rangeVar }, quals: and(on) },
    };
  }
  const where = and([...inside]);
  const inner: AstNode = {
    targetList: targets,
    fromClause: [from],
    ...(where ? { whereClause: where } : {}),
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  if (unsupportedBy(inner, members[0]!.connector.sql!.dialect.capabilities) !== undefined) return false;
  // Bare column targets keep the name the source gives them (`nameTargets` leaves them unnamed).
  for (const target of (select.targetList ?? []) as AstNode[]) {
    const res = target.ResTarget;
    if (!res || res.name !== undefined || !res.val?.ColumnRef) continue;
    const o = outputs.find((x) => x.refs.includes(res.val));
    if (o) res.name = o.column;
  }
  outputs.forEach((o, i) => {
    for (const ref of o.refs) ref.ColumnRef.fields = column(alias, `${PREFIX}${i}`).ColumnRef.fields;
  });
  const memberNodes = new Set(members.map((m) => m.rangeVar));
  const rest = layout.leaves.filter((x) => !memberNodes.has(x.RangeVar));
  rest.push(...layout.opaque);
  rest.push({ RangeSubselect: { subquery: { SelectStmt: inner }, alias: { aliasname: alias } } });
  select.fromClause = rest;
  const outside = and(layout.conjuncts.filter((c) => !g.inside.includes(c)));
  if (outside) select.whereClause = outside;
  else delete select.whereClause;
  return true;
}
