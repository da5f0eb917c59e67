/**
 * MATCH and OPTIONAL MATCH → joins. A node pattern joins its vertex table, a
 * relationship its edge table (or a recursive CTE when variable-length);
 * labels left out are inferred from the edge types; an OPTIONAL MATCH is a
 * LEFT JOIN to the sub-select of its pattern.
 */

import type {
  CypherExpr,
  MatchClause,
  NodePattern,
  PathPattern,
  RelationshipPattern,
} from '../cypher/cypher-ir.js';
import { invalidCypher, unsupportedCypher } from '../errors.js';
import { compileExpression, type ExpressionContext } from './compile-expression.js';
import { edgeRelation, type Orientation, orientations } from './edge-relation.js';
import { type Binding, type NodeBinding, resolveProperty, type Scope } from './scope.js';
import { type CompileState, SelectBuilder } from './select-builder.js';
import { column, quoteIdent, quoteLiteral, quoteTable } from './sql-text.js';
import { variableLengthRelation } from './variable-length.js';

/** The context expressions of a query are compiled in (pattern sub-queries included). */
export function expressionContext(scope: Scope, state: CompileState, aggregates = false): ExpressionContext {
  return {
    scope,
    params: state.params,
    aggregates,
    subquery: (expr, ctx) => compilePatternSubquery(expr, ctx.scope, state),
  };
}

/**
 * `EXISTS { pattern [WHERE …] }`, a pattern predicate, or `COUNT { … }`: the
 * pattern's joins in a correlated sub-select, where variables already bound
 * outside stand for the outer rows and new ones stay inside.
 */
export function compilePatternSubquery(
  expr: Extract<CypherExpr, { kind: 'patternSubquery' }>,
  scope: Scope,
  state: CompileState,
): string {
  const inner = new SelectBuilder(new Map(scope));
  addPatterns(expr.patterns, inner, scope, conjuncts(expr.where), state);
  if (expr.where) inner.where.push(compileExpression(expr.where, expressionContext(inner.scope, state)));
  const body = inner.tail().replaceAll('\n', '\n  ');
  return expr.mode === 'exists' ? `EXISTS (SELECT 1 ${body})` : `(SELECT count(*) ${body})`;
}

/** Splits `a AND b AND c` into its conjuncts. */
export function conjuncts(expr: CypherExpr | undefined): CypherExpr[] {
  if (!expr) return [];
  if (expr.kind === 'binary' && expr.op === 'AND') return [...conjuncts(expr.left), ...conjuncts(expr.right)];
  return [expr];
}

/** The variables an expression reads. */
export function freeVariables(expr: CypherExpr, out = new Set<string>()): Set<string> {
  switch (expr.kind) {
    case 'variable':
      out.add(expr.name);
      break;
    case 'property':
      freeVariables(expr.target, out);
      break;
    case 'binary':
      freeVariables(expr.left, out);
      freeVariables(expr.right, out);
      break;
    case 'not':
    case 'negate':
    case 'isNull':
      freeVariables(expr.operand, out);
      break;
    case 'call':
      for (const a of expr.args) freeVariables(a, out);
      break;
    case 'list':
      for (const a of expr.items) freeVariables(a, out);
      break;
    case 'patternSubquery':
      // Conservative: every variable named inside, so such a predicate is never taken for a one-variable filter.
      for (const p of expr.patterns) {
        for (const n of p.nodes) if (n.variable) out.add(n.variable);
        for (const r of p.relationships) if (r.variable) out.add(r.variable);
      }
      if (expr.where) freeVariables(expr.where, out);
      break;
    case 'case':
      if (expr.operand) freeVariables(expr.operand, out);
      for (const w of expr.whens) {
        freeVariables(w.when, out);
        freeVariables(w.result, out);
      }
      if (expr.otherwise) freeVariables(expr.otherwise, out);
      break;
  }
  return out;
}

/** Labels of every node pattern and the edge options of every relationship pattern of one clause. */
interface Inferred {
  readonly labels: Map<NodePattern, string>;
  readonly options: Map<RelationshipPattern, Orientation[]>;
}

function inferLabels(patterns: readonly PathPattern[], outer: Scope, state: CompileState): Inferred {
  const { graph } = state;
  const byVariable = new Map<string, string>();
  const labelOf = new Map<NodePattern, string | undefined>();
  const setVar = (node: NodePattern, label: string) => {
    if (!node.variable) return;
    const known = byVariable.get(node.variable);
    if (known && known !== label)
      throw invalidCypher(
        `\`${node.variable}\` cannot be both :${known} and :${label}`,
        node.position,
        '42804',
      );
    byVariable.set(node.variable, label);
  };
  for (const p of patterns)
    for (const n of p.nodes) {
      if (n.labels.length > 1) throw unsupportedCypher('several labels on one node', n.position);
      const label = n.labels[0];
      if (label !== undefined && !graph.vertices[label])
        throw invalidCypher(
          `no vertex label :${label} in the graph (labels: ${Object.keys(graph.vertices).join(', ')})`,
          n.position,
        );
      const bound = n.variable ? outer.get(n.variable) : undefined;
      if (bound && bound.kind !== 'node')
        throw invalidCypher(`\`${n.variable}\` is a ${bound.kind}, not a node`, n.position, '42804');
      if ((bound as NodeBinding | undefined)?.label === ANY_LABEL && !label)
        throw invalidCypher(
          `\`${n.variable}\` may be a vertex of any label: write its label where it is first matched, e.g. (${n.variable}:${Object.keys(graph.vertices)[0]})`,
          n.position,
          '42P01',
        );
      const l = label ?? (bound as NodeBinding | undefined)?.label;
      if (l) setVar(n, l);
      if (bound && label && bound.label !== label)
        throw invalidCypher(`\`${n.variable}\` is :${bound.label}, not :${label}`, n.position, '42804');
    }
  const current = (n: NodePattern) =>
    (n.variable ? byVariable.get(n.variable) : labelOf.get(n)) ?? labelOf.get(n);
  for (const p of patterns) for (const n of p.nodes) labelOf.set(n, n.labels[0] ?? current(n));
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of patterns)
      p.relationships.forEach((rel, i) => {
        const left = p.nodes[i]!;
        const right = p.nodes[i + 1]!;
        const opts = orientations(graph, rel, current(left), current(right));
        for (const [node, end] of [
          [left, (o: Orientation) => (o.reversed ? o.edge.to : o.edge.from)],
          [right, (o: Orientation) => (o.reversed ? o.edge.from : o.edge.to)],
        ] as const) {
          if (current(node) !== undefined || opts.length === 0) continue;
          const ends = new Set(opts.map(end));
          if (ends.size === 1) {
            const label = [...ends][0]!;
            labelOf.set(node, label);
            setVar(node, label);
            changed = true;
          }
        }
      });
  }
  // A relationship that cannot match whatever the unknown ends are is the error to report.
  for (const p of patterns)
    p.relationships.forEach((rel, i) => {
      const l = current(p.nodes[i]!);
      const r = current(p.nodes[i + 1]!);
      if (orientations(graph, rel, l, r).length === 0)
        throw invalidCypher(
          `no relationship type${rel.types.length > 0 ? ` :${rel.types.join('|')}` : ''} connects ${l ? `:${l}` : 'any label'} and ${r ? `:${r}` : 'any label'} in the direction of ${rel.text}`,
          rel.position,
        );
    });
  const labels = new Map<NodePattern, string>();
  const only = Object.keys(graph.vertices);
  for (const p of patterns)
    for (const n of p.nodes) {
      let label = current(n) ?? (only.length === 1 ? only[0] : undefined);
      // A node on no relationship may be of any label: `MATCH (n) RETURN count(n)` reads every vertex table.
      const isolated = patterns.every((q) => q.relationships.length === 0 || !q.nodes.includes(n));
      if (!label && isolated) label = ANY_LABEL;
      if (!label) {
        // The labels the node's relationships allow, to say what to write.
        const possible = new Set<string>();
        for (const q of patterns)
          q.relationships.forEach((rel, i) => {
            const [l, r] = [q.nodes[i]!, q.nodes[i + 1]!];
            if (l !== n && r !== n) return;
            for (const o of orientations(graph, rel, current(l), current(r))) {
              const leftEnd = o.reversed ? o.edge.to : o.edge.from;
              const rightEnd = o.reversed ? o.edge.from : o.edge.to;
              possible.add(l === n ? leftEnd : rightEnd);
            }
          });
        const choices = possible.size > 0 ? [...possible] : only;
        throw invalidCypher(
          `cannot tell the label of ${n.text} (it may be ${choices.map((c) => `:${c}`).join(' or ')}): write it, e.g. (${n.variable ?? ''}:${choices[0]})`,
          n.position,
          '42P01',
        );
      }
      labels.set(n, label);
    }
  const options = new Map<RelationshipPattern, Orientation[]>();
  for (const p of patterns)
    p.relationships.forEach((rel, i) => {
      const l = labels.get(p.nodes[i]!)!;
      const r = labels.get(p.nodes[i + 1]!)!;
      const opts = orientations(graph, rel, l, r);
      if (opts.length === 0)
        throw invalidCypher(
          `no relationship type${rel.types.length > 0 ? ` :${rel.types.join('|')}` : ''} connects :${l} and :${r} in the direction of ${rel.text}`,
          rel.position,
        );
      options.set(rel, opts);
    });
  return { labels, options };
}

/** The label of a node pattern that may be any vertex (it is on no relationship and names no label). */
const ANY_LABEL = '\u0000any';

/**
 * Every vertex, of every label: a UNION ALL of the vertex tables with the
 * key, the label and the properties the query reads (NULL where a label's
 * table is known not to have one).
 */
function anyVertex(
  state: CompileState,
  alias: string,
  props: ReadonlySet<string>,
): { item: string; binding: NodeBinding } {
  const branches = Object.entries(state.graph.vertices).map(([label, v]) => {
    const cols = [
      `${quoteIdent(v.key)} AS "_key"`,
      `${quoteLiteral(label)} AS "_label"`,
      ...[...props].map((p) => {
        const found = v.properties ? v.properties.find((c) => c.toLowerCase() === p.toLowerCase()) : p;
        return `${found === undefined ? 'NULL' : quoteIdent(found)} AS ${quoteIdent(`p.${p}`)}`;
      }),
    ];
    return `SELECT ${cols.join(', ')} FROM ${quoteTable(v.table)}`;
  });
  return {
    item: `(${branches.join('\n    UNION ALL ')}) AS ${alias}`,
    binding: {
      kind: 'node',
      label: ANY_LABEL,
      labelSql: `${alias}."_label"`,
      key: `${alias}."_key"`,
      prop: (name, position) => {
        if (!props.has(name)) throw invalidCypher(`property "${name}" was not collected`, position, 'XX000');
        return `${alias}.${quoteIdent(`p.${name}`)}`;
      },
    },
  };
}

/** A node binding over a vertex table alias. */
function vertexBinding(state: CompileState, label: string, alias: string): NodeBinding {
  const v = state.graph.vertices[label]!;
  return {
    kind: 'node',
    label,
    row: { alias, table: v.table },
    key: column(alias, v.key),
    prop: (name, position) => column(alias, resolveProperty(`:${label}`, v.properties, name, position)),
  };
}

/**
 * Whether a node pattern needs nothing of its vertex row but the key: every
 * property the query reads of its variable (and every property in its map)
 * is the key. Such a vertex, reached through an edge, is the edge's end
 * column: its vertex table is not joined (one source scan less per node),
 * on the assumption SQL/PGQ's `REFERENCES` states, that an edge's ends are
 * rows of their vertex tables.
 */
function isKeyOnly(node: NodePattern, label: string, state: CompileState): boolean {
  if (label === ANY_LABEL) return false;
  const v = state.graph.vertices[label]!;
  const isKey = (p: string) => p === v.key || p.toLowerCase() === v.key.toLowerCase();
  if (!node.properties.every(([k]) => isKey(k))) return false;
  return [...(state.props.get(node.variable ?? '') ?? [])].every(isKey);
}

/** A node known only by its key, `keySql` (an edge's end column): see {@link isKeyOnly}. */
function keyBinding(state: CompileState, label: string, keySql: string): NodeBinding {
  const v = state.graph.vertices[label]!;
  return {
    kind: 'node',
    label,
    key: keySql,
    prop: (name, position) => {
      if (name !== v.key && name.toLowerCase() !== v.key.toLowerCase())
        throw invalidCypher(`property "${name}" of :${label} was not read`, position, 'XX000');
      return keySql;
    },
  };
}

/**
 * The condition a variable-length search's first hop puts on its start column
 * `key`, for an anchor node known only by its key: the node's own conditions
 * written on that column (`_h1."src" = 42`), which reach the edge scan as a
 * plain filter; undefined when the node needs its vertex table.
 */
function keyAnchor(
  node: NodePattern,
  label: string,
  bound: Binding | undefined,
  where: readonly CypherExpr[],
  patterns: readonly PathPattern[],
  state: CompileState,
): ((key: string) => string) | undefined {
  if (bound !== undefined || !isKeyOnly(node, label, state) || hasConditions(node, where, patterns))
    return undefined;
  return () => 'TRUE';
}

/**
 * Whether a node pattern (or another pattern of the same variable, or a
 * WHERE conjunct on it alone) filters its vertices. A filtered vertex is
 * kept as a scan of its table, where the filter is exact and its estimate
 * small, so the planner sends the keys it finds on to the edge scans; the
 * same filter on an edge's end column is estimated as a share of the whole
 * edge table and stops that (see the package README, "Compiled shapes").
 */
function hasConditions(
  node: NodePattern,
  where: readonly CypherExpr[],
  patterns: readonly PathPattern[],
): boolean {
  const same = node.variable
    ? patterns.flatMap((p) => p.nodes.filter((n) => n.variable === node.variable))
    : [node];
  if (same.some((n) => n.where || n.properties.length > 0)) return true;
  const v = node.variable;
  return v !== undefined && where.some((c) => freeVariables(c).has(v));
}

/** SQL returning the keys a variable-length search starts from (`_k`), as narrow as the pattern allows. */
function anchorSql(
  node: NodePattern,
  label: string,
  bound: Binding | undefined,
  patterns: readonly PathPattern[],
  where: readonly CypherExpr[],
  state: CompileState,
): string {
  if (bound?.kind === 'node' && bound.anchor !== undefined) return bound.anchor;
  const alias = state.alias('a');
  const binding = vertexBinding(state, label, alias);
  const v = state.graph.vertices[label]!;
  const scope: Scope = new Map();
  if (node.variable) scope.set(node.variable, binding);
  const ctx = expressionContext(scope, state);
  const conds: string[] = [];
  const same = node.variable
    ? patterns.flatMap((p) => p.nodes.filter((n) => n.variable === node.variable))
    : [node];
  for (const n of same) {
    for (const [k, e] of n.properties)
      if (freeVariables(e).size === 0)
        conds.push(`${binding.prop(k, e.position)} = ${compileExpression(e, ctx)}`);
  }
  if (node.variable)
    for (const c of where) {
      const vars = freeVariables(c);
      if (vars.size === 1 && vars.has(node.variable)) conds.push(compileExpression(c, ctx));
    }
  return `SELECT ${column(alias, v.key)} AS "_k" FROM ${quoteTable(v.table)} AS ${alias}${conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : ''}`;
}

/** How much a node pattern narrows a search: filtered ends make better anchors. */
function narrowness(node: NodePattern, bound: Binding | undefined, where: readonly CypherExpr[]): number {
  let n = node.properties.length * 2;
  if (bound) n += 1;
  if (node.variable)
    for (const c of where) {
      const vars = freeVariables(c);
      if (vars.size === 1 && vars.has(node.variable)) n += 1;
    }
  return n;
}

/**
 * Adds the patterns of one clause to `b`: joins, property conditions, the
 * relationship-uniqueness rule, variable-length searches. `where` is the
 * clause's WHERE split into conjuncts (used to narrow anchors only).
 */
function addPatterns(
  patterns: readonly PathPattern[],
  b: SelectBuilder,
  outer: Scope,
  where: readonly CypherExpr[],
  state: CompileState,
): void {
  const { labels, options } = inferLabels(patterns, outer, state);
  const ctx = () => expressionContext(b.scope, state);
  const fixed: { rel: RelationshipPattern; identity: readonly string[]; types: readonly string[] }[] = [];
  const nodeBinding = (node: NodePattern): NodeBinding => {
    const existing = node.variable ? b.scope.get(node.variable) : undefined;
    if (existing?.kind === 'node') return existing;
    if (existing)
      throw invalidCypher(`\`${node.variable}\` is a ${existing.kind}, not a node`, node.position, '42804');
    const label = labels.get(node)!;
    const alias = state.alias('n');
    if (label === ANY_LABEL) {
      const any = anyVertex(state, alias, state.props.get(node.variable ?? '') ?? new Set());
      b.join(any.item);
      if (node.variable) b.scope.set(node.variable, any.binding);
      return any.binding;
    }
    const binding = vertexBinding(state, label, alias);
    b.join(`${quoteTable(state.graph.vertices[label]!.table)} AS ${alias}`);
    if (node.variable) b.scope.set(node.variable, binding);
    return binding;
  };
  /** Joins the vertex table of a node not bound yet, on its key equal to `keyOf`. */
  const joinVertex = (node: NodePattern, keyOf: string): NodeBinding => {
    const label = labels.get(node)!;
    if (isKeyOnly(node, label, state)) {
      const binding = keyBinding(state, label, keyOf);
      if (node.variable) b.scope.set(node.variable, binding);
      return binding;
    }
    const alias = state.alias('n');
    const binding = vertexBinding(state, label, alias);
    const v = state.graph.vertices[label]!;
    b.join(`${quoteTable(v.table)} AS ${alias}`, [`${column(alias, v.key)} = ${keyOf}`]);
    if (node.variable) b.scope.set(node.variable, binding);
    return binding;
  };
  const nodeConditions = (node: NodePattern, binding: NodeBinding) => {
    for (const [k, e] of node.properties)
      b.where.push(`${binding.prop(k, e.position)} = ${compileExpression(e, ctx())}`);
    if (node.where) b.where.push(compileExpression(node.where, ctx()));
  };
  for (const path of patterns) {
    if (path.variable && b.scope.has(path.variable))
      throw invalidCypher(
        `the path variable \`${path.variable}\` is already defined`,
        path.position,
        '42P08',
      );
    const first = path.nodes[0]!;
    const firstBound = first.variable ? b.scope.get(first.variable) : undefined;
    // A first node known only by its key is read from its first relationship's edge (below), not its table.
    const firstRel = path.relationships[0];
    const deferred =
      firstRel !== undefined &&
      firstBound === undefined &&
      isKeyOnly(first, labels.get(first)!, state) &&
      // A variable-length search starts from the anchor's keys: its start is the node, filters included.
      (firstRel.length !== undefined ||
        !hasConditions(first, where, patterns) ||
        // One edge and nothing else to read: the edge scan alone, filtered.
        (patterns.length === 1 &&
          b.empty &&
          path.relationships.length === 1 &&
          path.nodes.every((n) => isKeyOnly(n, labels.get(n)!, state))));
    let left = deferred ? (undefined as unknown as NodeBinding) : nodeBinding(first);
    if (!deferred) nodeConditions(first, left);
    /** Binds the deferred first node to the edge column `keySql` once its relationship is joined. */
    const bindFirst = (keySql: string) => {
      left = keyBinding(state, labels.get(first)!, keySql);
      if (first.variable) b.scope.set(first.variable, left);
      nodeConditions(first, left);
    };
    const lengths: string[] = [];
    // nodes(p): the keys along the path, one list per relationship pattern, joined at shared vertices.
    const wantNodes = path.variable !== undefined && state.pathNodes.has(path.variable);
    const nodeLists: string[] = [];
    path.relationships.forEach((rel, i) => {
      const leftNode = path.nodes[i]!;
      const rightNode = path.nodes[i + 1]!;
      const opts = options.get(rel)!;
      if (rel.variable && b.scope.has(rel.variable))
        throw unsupportedCypher(`reusing the relationship variable \`${rel.variable}\``, rel.position);
      if (rel.length) {
        if (rel.variable)
          throw unsupportedCypher(
            `a variable on the variable-length relationship ${rel.text} (name the path instead: p = …, length(p))`,
            rel.position,
          );
        if (rel.properties.length > 0 || rel.where)
          throw unsupportedCypher(`properties on the variable-length relationship ${rel.text}`, rel.position);
        const max = rel.length.max ?? state.maxHops;
        // A hop's end is the next hop's start: keys of different labels must never meet in one search.
        const mixed = opts.find((o) => o.edge.from !== o.edge.to);
        if (mixed && max > 1)
          throw unsupportedCypher(
            `the variable-length relationship ${rel.text} over :${mixed.type}, which connects :${mixed.edge.from} to :${mixed.edge.to} (each hop of a variable-length path must join one label to itself)`,
            rel.position,
          );
        const bound = (n: NodePattern) =>
          n.variable ? (b.scope.get(n.variable) ?? outer.get(n.variable)) : undefined;
        const rightBound = bound(rightNode);
        const leftBound = bound(leftNode);
        const flip = narrowness(rightNode, rightBound, where) > narrowness(leftNode, leftBound, where);
        const anchorNode = flip ? rightNode : leftNode;
        const anchor = anchorSql(
          anchorNode,
          labels.get(anchorNode)!,
          flip ? rightBound : leftBound,
          patterns,
          where,
          state,
        );
        const anchorOn = keyAnchor(
          anchorNode,
          labels.get(anchorNode)!,
          flip ? rightBound : leftBound,
          where,
          patterns,
          state,
        );
        const relation = variableLengthRelation(
          {
            options: flip ? opts.map((o) => ({ ...o, reversed: !o.reversed })) : opts,
            min: rel.length.min,
            max,
            mode: path.mode,
            anchor,
            ...(anchorOn ? { anchorOn } : {}),
            ...(path.shortest ? { shortest: path.shortest } : {}),
            ...(wantNodes ? { nodes: { reversed: flip } } : {}),
          },
          state,
        );
        const alias = state.alias('r');
        const [leftEnd, rightEnd] = flip ? ['_node', '_start'] : ['_start', '_node'];
        const rightExisting = rightNode.variable ? b.scope.get(rightNode.variable) : undefined;
        let right: NodeBinding;
        if (i === 0 && deferred) {
          b.join(
            `${relation} AS ${alias}`,
            rightExisting ? [`${alias}."${rightEnd}" = ${nodeBinding(rightNode).key}`] : [],
          );
          bindFirst(`${alias}."${leftEnd}"`);
          right = rightExisting ? nodeBinding(rightNode) : joinVertex(rightNode, `${alias}."${rightEnd}"`);
        } else if (rightExisting) {
          right = nodeBinding(rightNode);
          b.join(`${relation} AS ${alias}`, [
            `${alias}."${leftEnd}" = ${left.key}`,
            `${alias}."${rightEnd}" = ${right.key}`,
          ]);
        } else {
          // Join the search first, then the vertices it reached (no cross product in between).
          b.join(`${relation} AS ${alias}`, [`${alias}."${leftEnd}" = ${left.key}`]);
          right = joinVertex(rightNode, `${alias}."${rightEnd}"`);
        }
        lengths.push(`${alias}."_depth"`);
        if (wantNodes) nodeLists.push(`${alias}."_nodes"`);
        nodeConditions(rightNode, right);
        left = right;
        return;
      }
      if (path.shortest)
        throw unsupportedCypher('shortestPath over a fixed-length relationship', rel.position);
      const referenced = state.props.get(rel.variable ?? '') ?? new Set<string>();
      // An edge type kept as a column of a vertex table (a foreign key: documents.customer_id) has its edge
      // row and its vertex row in one: the same row is not joined twice.
      const single = opts.length === 1 ? opts[0]! : undefined;
      const end = (label: string) => state.graph.vertices[label]!;
      const curColumn = single && (single.reversed ? single.edge.target : single.edge.source);
      const nextColumn = single && (single.reversed ? single.edge.source : single.edge.target);
      const onLeftRow =
        !(i === 0 && deferred) &&
        single !== undefined &&
        left.row?.table === single.edge.table &&
        curColumn === end(left.label).key;
      const relation = edgeRelation(
        opts,
        onLeftRow ? left.row!.alias : state.alias('e'),
        referenced,
        rel.variable,
      );
      if (i === 0 && deferred) {
        b.join(relation.item);
        bindFirst(relation.cur);
      } else if (!onLeftRow) b.join(relation.item, [`${relation.cur} = ${left.key}`]);
      const rightExisting = rightNode.variable ? b.scope.get(rightNode.variable) : undefined;
      const rightLabel = labels.get(rightNode)!;
      let right: NodeBinding;
      if (rightExisting) {
        right = nodeBinding(rightNode);
        b.where.push(`${relation.next} = ${right.key}`);
      } else if (
        single !== undefined &&
        !onLeftRow &&
        end(rightLabel).table === single.edge.table &&
        nextColumn === end(rightLabel).key
      ) {
        right = vertexBinding(state, rightLabel, relation.alias);
        if (rightNode.variable) b.scope.set(rightNode.variable, right);
      } else right = joinVertex(rightNode, relation.next);
      if (rel.variable)
        b.scope.set(rel.variable, {
          kind: 'edge',
          types: relation.types,
          ...(relation.key ? { key: relation.key } : {}),
          prop: relation.prop,
        });
      for (const [k, e] of rel.properties)
        b.where.push(`${relation.prop(k, e.position)} = ${compileExpression(e, ctx())}`);
      if (rel.where) b.where.push(compileExpression(rel.where, ctx()));
      // Cypher never matches one relationship twice within a MATCH.
      for (const other of fixed)
        if (other.types.some((t) => relation.types.includes(t)))
          b.where.push(
            `NOT (${relation.identity.map((c, j) => `${c} = ${other.identity[j]}`).join(' AND ')})`,
          );
      fixed.push({ rel, identity: relation.identity, types: relation.types });
      lengths.push('1');
      if (wantNodes) nodeLists.push(`ARRAY[${left.key}, ${right.key}]`);
      nodeConditions(rightNode, right);
      left = right;
    });
    if (path.variable)
      b.scope.set(path.variable, {
        kind: 'path',
        length: lengths.length > 0 ? `(${lengths.join(' + ')})` : '0',
        ...(wantNodes ? { nodes: joinNodeLists(nodeLists, left.key) } : {}),
      });
  }
}

/**
 * One list of vertex keys from the lists of consecutive relationship
 * patterns, whose last and first keys are the same vertex (dropped once).
 */
function joinNodeLists(lists: readonly string[], only: string): string {
  if (lists.length === 0) return `ARRAY[${only}]`;
  // Each later list starts at the vertex the previous one ended at: skip its first element.
  return lists.reduce((acc, list) => `array_cat(${acc}, ${list}[2:])`);
}

/** The columns an OPTIONAL MATCH sub-select or a WITH exports for one variable. */
export function exportColumns(
  name: string,
  binding: Binding,
  state: CompileState,
): { column: string; sql: string }[] {
  const props = [...(state.props.get(name) ?? [])];
  switch (binding.kind) {
    case 'node':
      return [
        { column: name, sql: binding.key },
        ...(binding.labelSql ? [{ column: `${name}:label`, sql: binding.labelSql }] : []),
        ...props.map((p) => ({ column: `${name}.${p}`, sql: binding.prop(p, 0) })),
      ];
    case 'edge':
      return [
        ...(binding.key ? [{ column: name, sql: binding.key }] : []),
        ...props.map((p) => ({ column: `${name}.${p}`, sql: binding.prop(p, 0) })),
      ];
    case 'path':
      return [
        { column: `${name}.length`, sql: binding.length },
        ...(binding.nodes ? [{ column: `${name}.nodes`, sql: binding.nodes }] : []),
      ];
    case 'value':
      return [{ column: name, sql: binding.sql }];
  }
}

/** A binding read back from exported columns of `alias`. */
export function importBinding(name: string, binding: Binding, alias: string): Binding {
  const col = (c: string) => `${alias}.${quoteIdent(c)}`;
  switch (binding.kind) {
    case 'node':
      return {
        kind: 'node',
        label: binding.label,
        key: col(name),
        ...(binding.labelSql ? { labelSql: col(`${name}:label`) } : {}),
        prop: (p) => col(`${name}.${p}`),
      };
    case 'edge':
      return {
        kind: 'edge',
        types: binding.types,
        ...(binding.key ? { key: col(name) } : {}),
        prop: (p) => col(`${name}.${p}`),
      };
    case 'path':
      return {
        kind: 'path',
        length: col(`${name}.length`),
        ...(binding.nodes ? { nodes: col(`${name}.nodes`) } : {}),
      };
    case 'value':
      return { kind: 'value', sql: col(name) };
  }
}

/** Compiles one MATCH or OPTIONAL MATCH clause into `b`. */
export function compileMatch(match: MatchClause, b: SelectBuilder, state: CompileState): void {
  const where = conjuncts(match.where);
  if (!match.optional) {
    addPatterns(match.patterns, b, b.scope, where, state);
    if (match.where) b.where.push(compileExpression(match.where, expressionContext(b.scope, state)));
    return;
  }
  // The pattern is matched on its own; variables it shares with the rows so far join it to them.
  const inner = new SelectBuilder(new Map());
  addPatterns(match.patterns, inner, b.scope, where, state);
  const alias = state.alias('o');
  const columns: string[] = [];
  const on: string[] = [];
  const imported = new Map<string, Binding>();
  for (const [name, binding] of inner.scope) {
    for (const c of exportColumns(name, binding, state)) columns.push(`${c.sql} AS ${quoteIdent(c.column)}`);
    const outer = b.scope.get(name);
    const back = importBinding(name, binding, alias);
    if (outer?.kind === 'node' && back.kind === 'node') on.push(`${back.key} = ${outer.key}`);
    else if (outer)
      throw unsupportedCypher(`sharing the ${outer.kind} \`${name}\` with an OPTIONAL MATCH`, match.position);
    else imported.set(name, back);
  }
  if (columns.length === 0) columns.push('1 AS "_one"');
  // The WHERE of an OPTIONAL MATCH decides whether the pattern matched, so it belongs to the join.
  const onScope: Scope = new Map([...b.scope, ...imported]);
  if (match.where) on.push(compileExpression(match.where, expressionContext(onScope, state)));
  b.leftJoin(`(SELECT ${columns.join(', ')}\n  ${inner.tail().replaceAll('\n', '\n  ')}) AS ${alias}`, on);
  for (const [name, binding] of imported) b.scope.set(name, binding);
}
