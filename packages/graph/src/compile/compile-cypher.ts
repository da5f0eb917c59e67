/**
 * The compiler: a pure function from (Cypher query, graph definition,
 * parameters) to one PostgreSQL-dialect SELECT over the vertex and edge
 * tables, which the planner then binds, secures, pushes down and runs like
 * any other query. No second executor.
 */

import { ErrorCode, SpokeError } from '@spoke/core';
import { parseCypher } from '../cypher/build-ir.js';
import type { CypherExpr, CypherQuery, PathPattern } from '../cypher/cypher-ir.js';
import { invalidCypher } from '../errors.js';
import { DEFAULT_MAX_HOPS, type GraphDefinition } from '../graph-definition.js';
import { compileExpression } from './compile-expression.js';
import { compileMatch, expressionContext, importBinding } from './compile-match.js';
import { compileProjection } from './compile-projection.js';
import { compileUnwind } from './compile-unwind.js';
import { Parameters, type ParamStyle } from './parameters.js';
import type { Scope } from './scope.js';
import { CompileState, SelectBuilder } from './select-builder.js';
import { quoteIdent } from './sql-text.js';

/** Options for {@link compileCypher}. */
export interface CompileCypherOptions {
  /** Values of `$name` parameters. */
  readonly params?: Readonly<Record<string, unknown>>;
  /**
   * `bound` (default): parameters become `$1`, `$2`… and their values are
   * returned in {@link CompiledCypher.params}. `inline`: they become quoted
   * literals, for SQL embedded in another statement (`cypher(…)` in SQL).
   */
  readonly paramStyle?: ParamStyle;
  /**
   * How variable-length relationships are written. `auto` (default): over
   * edges with a key up to 5 hops as one chain of joins, else up to 3 hops
   * as a UNION ALL of join chains, else a recursive CTE — the shapes that let
   * the planner filter each hop's edge scan by the keys the previous hop
   * reached, when the edges must be read from their source. `recursive`:
   * always a recursive CTE, for a statement that one SQL engine runs whole
   * (every table of the graph in one source that runs recursive CTEs, such as
   * DuckDB): it walks the edges in place, one pass per hop, where a chain of
   * outer joins can make it build a hash table over the whole edge table per hop.
   * Default: the graph's `variableLength`, else `auto`.
   */
  readonly variableLength?: 'auto' | 'recursive';
}

/** The compiled query. */
export interface CompiledCypher {
  /** One SELECT statement (with CTEs), PostgreSQL dialect. */
  readonly sql: string;
  /** Values for `$1`, `$2`… (style `bound`). */
  readonly params: readonly unknown[];
  /** The result column names, in order. */
  readonly columns: readonly string[];
}

/** Collects `variable.property` references (and property maps) per variable name. */
function collectProperties(query: CypherQuery, pathNodes: Set<string> = new Set()): Map<string, Set<string>> {
  const props = new Map<string, Set<string>>();
  const add = (v: string, p: string) => {
    const s = props.get(v) ?? new Set<string>();
    props.set(v, s);
    s.add(p);
  };
  const aliases: [string, string][] = [];
  const expr = (e: CypherExpr | undefined): void => {
    if (!e) return;
    switch (e.kind) {
      case 'property':
        if (e.target.kind === 'variable') add(e.target.name, e.key);
        else expr(e.target);
        return;
      case 'binary':
        expr(e.left);
        expr(e.right);
        return;
      case 'not':
      case 'negate':
      case 'isNull':
        expr(e.operand);
        return;
      case 'call':
        if (e.name === 'nodes' && e.args[0]?.kind === 'variable') pathNodes.add(e.args[0].name);
        e.args.forEach(expr);
        return;
      case 'list':
        e.items.forEach(expr);
        return;
      case 'patternSubquery':
        e.patterns.forEach(pattern);
        expr(e.where);
        return;
      case 'case':
        expr(e.operand);
        for (const w of e.whens) {
          expr(w.when);
          expr(w.result);
        }
        expr(e.otherwise);
        return;
    }
  };
  const pattern = (p: PathPattern) => {
    for (const n of p.nodes) {
      for (const [k, v] of n.properties) {
        if (n.variable) add(n.variable, k);
        expr(v);
      }
      expr(n.where);
    }
    for (const r of p.relationships) {
      for (const [k, v] of r.properties) {
        if (r.variable) add(r.variable, k);
        expr(v);
      }
      expr(r.where);
    }
  };
  const walk = (q: CypherQuery) => {
    for (const c of q.clauses) {
      if (c.kind === 'match') {
        c.patterns.forEach(pattern);
        expr(c.where);
      } else if (c.kind === 'unwind') {
        expr(c.list);
      } else {
        for (const i of c.projection.items) {
          expr(i.expr);
          if (i.alias && i.expr.kind === 'variable') aliases.push([i.expr.name, i.alias]);
        }
        for (const o of c.projection.orderBy) expr(o.expr);
        if (c.kind === 'with') expr(c.where);
      }
    }
    for (const u of q.unions) walk(u.query);
  };
  walk(query);
  // `WITH a AS b … b.name` needs a.name exported before the rename, and the other way round.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, to] of aliases)
      for (const [x, y] of [
        [from, to],
        [to, from],
      ] as const)
        for (const p of props.get(x) ?? [])
          if (!props.get(y)?.has(p)) {
            add(y, p);
            changed = true;
          }
  }
  return props;
}

function compileSingle(query: CypherQuery, state: CompileState): { sql: string; columns: string[] } {
  let b = new SelectBuilder(new Map());
  for (const clause of query.clauses) {
    if (clause.kind === 'match') {
      compileMatch(clause, b, state);
      continue;
    }
    if (clause.kind === 'unwind') {
      compileUnwind(clause, b, state);
      continue;
    }
    const projection = compileProjection(clause.projection, b, state, clause.kind);
    if (clause.kind === 'return')
      return { sql: projection.sql, columns: projection.items.map((i) => i.name) };
    const cte = state.cte('w', projection.sql);
    const alias = state.alias('p');
    const scope: Scope = new Map();
    for (const item of projection.items) {
      const binding = importBinding(item.name, item.binding ?? { kind: 'value', sql: '' }, alias);
      // A vertex carried through WITH anchors later variable-length searches at its keys only.
      scope.set(
        item.name,
        binding.kind === 'node'
          ? {
              ...binding,
              anchor: `SELECT DISTINCT ${quoteIdent(item.name)} AS "_k" FROM ${cte} WHERE ${quoteIdent(item.name)} IS NOT NULL`,
            }
          : binding,
      );
    }
    b = new SelectBuilder(scope);
    b.join(`${cte} AS ${alias}`);
    if (clause.where) b.where.push(compileExpression(clause.where, expressionContext(scope, state)));
  }
  throw invalidCypher('a query must end with RETURN', undefined, '42601');
}

/** Compiles a parsed query. */
export function compileCypherQuery(
  query: CypherQuery,
  graph: GraphDefinition,
  options: CompileCypherOptions = {},
): CompiledCypher {
  const params = new Parameters(options.params ?? {}, options.paramStyle ?? 'bound');
  const pathNodes = new Set<string>();
  const state = new CompileState(
    graph,
    params,
    collectProperties(query, pathNodes),
    graph.maxHops ?? DEFAULT_MAX_HOPS,
    options.variableLength ?? graph.variableLength ?? 'auto',
  );
  for (const p of pathNodes) state.pathNodes.add(p);
  const first = compileSingle({ ...query, unions: [] }, state);
  let body = first.sql;
  if (query.unions.length > 0) {
    const parts = [`SELECT * FROM (${first.sql}) AS ${state.alias('u')}`];
    for (const u of query.unions) {
      const next = compileSingle(u.query, state);
      if (next.columns.join('\u0000') !== first.columns.join('\u0000'))
        throw invalidCypher(
          `all parts of a UNION must return the same columns (${first.columns.join(', ')} vs ${next.columns.join(', ')})`,
          undefined,
          '42601',
        );
      parts.push(`UNION${u.all ? ' ALL' : ''}\nSELECT * FROM (${next.sql}) AS ${state.alias('u')}`);
    }
    body = parts.join('\n');
  }
  const recursive = state.ctes.some((c) => c.recursive);
  const sql =
    state.ctes.length === 0
      ? body
      : `WITH ${recursive ? 'RECURSIVE ' : ''}${state.ctes.map((c) => `${c.name} AS (\n${c.sql}\n)`).join(',\n')}\n${body}`;
  return { sql, params: params.bound, columns: first.columns };
}

/** Parses and compiles a Cypher query against a graph. */
export function compileCypher(
  text: string,
  graph: GraphDefinition,
  options: CompileCypherOptions = {},
): CompiledCypher {
  try {
    return compileCypherQuery(parseCypher(text), graph, options);
  } catch (error) {
    // Deep expressions recurse in the IR builder and the compiler too: a clear error, never a crash.
    if (error instanceof RangeError)
      throw new SpokeError(ErrorCode.INVALID_QUERY, 'Cypher: query too complex (stack depth exceeded)', {
        details: { sqlstate: '54001' },
      });
    throw error;
  }
}
