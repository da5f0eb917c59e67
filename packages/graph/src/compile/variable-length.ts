/**
 * Variable-length relationships (`*`, `*n`, `*m..n`) and bounded shortest
 * paths as recursive CTEs. The recursion starts from an anchor set of vertex
 * keys (the filtered end of the pattern), adds one edge per step up to the
 * hop limit (the depth guard), and refuses a step that would repeat an edge
 * (TRAIL, Cypher's rule) or a vertex (ACYCLIC) — the cycle guard.
 */
import { edgeRelation, type Orientation } from './edge-relation.js';
import type { CompileState } from './select-builder.js';

/**
 * Up to this many hops, a variable-length relationship is written as a UNION
 * ALL of join chains (one per length) instead of a recursive CTE: each hop is
 * then an ordinary join, so the planner can filter each edge scan by the keys
 * the previous hop reached (dynamic filtering) instead of reading the whole
 * edge table into the recursion. The same guards apply: no edge twice (TRAIL)
 * or no vertex twice (ACYCLIC).
 */
export const UNROLL_MAX_HOPS = 3;

/**
 * Up to this many hops, a variable-length relationship over edge types with
 * a key is written as one chain of hops ({@link chained}: one edge scan per
 * hop, each filtered by the keys the previous hop reached). The chain holds
 * one row per longest path, as many as the recursion would make.
 */
export const CHAIN_MAX_HOPS = 5;

/** What the pattern asks of one variable-length relationship. */
export interface VariableLengthSpec {
  readonly options: readonly Orientation[];
  readonly min: number;
  readonly max: number;
  readonly mode: 'TRAIL' | 'ACYCLIC' | 'WALK';
  /** SQL of a query returning the anchor keys as column `_k`. */
  readonly anchor: string;
  /**
   * The anchor as a condition on a first hop's start column, when it can be
   * written without the vertex table (a node known only by its key): a plain
   * filter on the edge scan instead of a semi-join through the vertex table.
   */
  readonly anchorOn?: (key: string) => string;
  readonly shortest?: 'shortest' | 'all';
  /**
   * Also return `_nodes`, the keys of the path's vertices; `reversed` when the
   * search runs from the pattern's right end (the list is still left to right).
   */
  readonly nodes?: { readonly reversed: boolean };
}

/** The condition that a first hop starting at `key` starts at an anchor. */
function anchored(spec: VariableLengthSpec, key: string): string {
  return spec.anchorOn ? spec.anchorOn(key) : `${key} IN (${spec.anchor})`;
}

/** `ARRAY[…]` of `keys` in pattern order. */
function keyList(keys: readonly string[], reversed: boolean): string {
  return `ARRAY[${(reversed ? [...keys].reverse() : keys).join(', ')}]`;
}

/**
 * Writes the CTE(s) and returns the relation to join: columns `_start`
 * (an anchor key), `_node` (the vertex reached), `_depth` (hops) and, when
 * asked, `_nodes`; one row per path (one per pair of ends for `shortestPath`).
 */
export function variableLengthRelation(spec: VariableLengthSpec, state: CompileState): string {
  const { min, max, nodes } = spec;
  const mode = spec.shortest ? 'ACYCLIC' : spec.mode;
  const nodesColumn = nodes ? ', "_nodes"' : '';
  const zero = `SELECT a."_k" AS "_start", a."_k" AS "_node", 0 AS "_depth"${nodes ? ', ARRAY[a."_k"] AS "_nodes"' : ''} FROM (${spec.anchor}) AS a`;
  let paths: string;
  const joins = state.variableLength === 'auto';
  if (max === 0) paths = zero;
  else if (joins && max <= CHAIN_MAX_HOPS && spec.options.every((o) => o.edge.key !== undefined))
    paths = chained(spec, mode, zero, state);
  else if (joins && max <= UNROLL_MAX_HOPS) paths = unrolled(spec, mode, zero, state);
  else {
    const name = state.alias('v');
    const first = edgeRelation(spec.options, '"_e"', new Set(), undefined);
    const step = edgeRelation(spec.options, '"_e"', new Set(), undefined);
    const trailStart =
      mode === 'TRAIL'
        ? `, ARRAY[${first.identityValue}]`
        : mode === 'ACYCLIC'
          ? `, ARRAY[${first.cur}, ${first.next}]`
          : '';
    const trailStep =
      mode === 'TRAIL'
        ? `, array_append(v."_trail", ${step.identityValue})`
        : mode === 'ACYCLIC'
          ? `, array_append(v."_trail", ${step.next})`
          : '';
    // `array_position(…) IS NULL` rather than `NOT (x = ANY(trail))`: DuckDB runs it ~2× faster per step.
    // They differ only for a NULL key, which identifies no edge or vertex (the first step, unguarded, keeps
    // it either way). No `x IS NOT NULL` beside it: DuckDB would push that into the edge scan and join
    // in the wrong order (10× slower on the bench).
    const notIn = (x: string) => ` AND array_position(v."_trail", ${x}) IS NULL`;
    const guard = mode === 'TRAIL' ? notIn(step.identityValue) : mode === 'ACYCLIC' ? notIn(step.next) : '';
    const nodesStart = nodes ? `, ${keyList([first.cur, first.next], nodes.reversed)}` : '';
    const nodesStep = nodes
      ? nodes.reversed
        ? `, array_prepend(${step.next}, v."_nodes")`
        : `, array_append(v."_nodes", ${step.next})`
      : '';
    const selfLoop = mode === 'ACYCLIC' ? ` AND ${first.cur} <> ${first.next}` : '';
    const columns = `"_start", "_node", "_depth"${mode === 'WALK' ? '' : ', "_trail"'}${nodesColumn}`;
    const sql = [
      `SELECT ${first.cur}, ${first.next}, 1${trailStart}${nodesStart}`,
      // IN (sub-select), not a join: the planner can send the anchor keys to the edge table's source as a filter.
      `  FROM ${first.item} WHERE ${anchored(spec, first.cur)}${selfLoop}`,
      'UNION ALL',
      `SELECT v."_start", ${step.next}, v."_depth" + 1${trailStep}${nodesStep}`,
      `  FROM ${name} AS v JOIN ${step.item} ON ${step.cur} = v."_node"`,
      `  WHERE v."_depth" < ${max}${guard}`,
    ].join('\n');
    state.ctes.push({ name: `${name}(${columns})`, sql, recursive: true });
    const reached = `SELECT "_start", "_node", "_depth"${nodesColumn} FROM ${name} WHERE "_depth" >= ${Math.max(min, 1)}`;
    paths = min === 0 ? `${reached}\nUNION ALL\n${zero}` : reached;
  }
  if (!spec.shortest) return state.cte(max === 0 ? 'z' : 'p', paths);
  if (spec.shortest === 'shortest' && nodes)
    // One path per pair of ends, as Cypher's shortestPath returns one: the first by length.
    return state.cte(
      's',
      `SELECT "_start", "_node", "_depth", "_nodes" FROM (SELECT r.*, row_number() OVER (PARTITION BY "_start", "_node" ORDER BY "_depth") AS "_rank" FROM (${paths}) AS r) AS ranked WHERE "_rank" = 1`,
    );
  const shortest = state.cte(
    's',
    `SELECT "_start", "_node", min("_depth") AS "_depth" FROM (${paths}) AS r GROUP BY "_start", "_node"`,
  );
  if (spec.shortest === 'shortest') return shortest;
  // allShortestPaths: every path of the shortest length.
  return state.cte(
    'a',
    `SELECT r."_start", r."_node", r."_depth"${nodes ? ', r."_nodes"' : ''} FROM (${paths}) AS r JOIN ${shortest} AS s ON s."_start" = r."_start" AND s."_node" = r."_node" AND s."_depth" = r."_depth"`,
  );
}

/** The paths of {@link variableLengthRelation} as join chains of 1..max hops (a UNION ALL). */
function unrolled(
  spec: VariableLengthSpec,
  mode: VariableLengthSpec['mode'],
  zero: string,
  state: CompileState,
): string {
  const chains: string[] = [];
  for (let length = Math.max(spec.min, 1); length <= spec.max; length++) {
    const hops = Array.from({ length }, () =>
      edgeRelation(spec.options, state.alias('h'), new Set(), undefined),
    );
    const from = hops
      .map((h, i) => (i === 0 ? h.item : `JOIN ${h.item} ON ${h.cur} = ${hops[i - 1]!.next}`))
      .join('\n    ');
    const conditions = [anchored(spec, hops[0]!.cur)];
    for (let i = 0; i < hops.length; i++)
      for (let j = 0; j < i; j++) {
        if (mode === 'TRAIL')
          conditions.push(
            `NOT (${hops[i]!.identity.map((c, k) => `${c} = ${hops[j]!.identity[k]}`).join(' AND ')})`,
          );
        if (mode === 'ACYCLIC') conditions.push(`${hops[i]!.next} <> ${hops[j]!.next}`);
      }
    if (mode === 'ACYCLIC') for (const h of hops) conditions.push(`${h.next} <> ${hops[0]!.cur}`);
    const nodes = spec.nodes
      ? `, ${keyList([hops[0]!.cur, ...hops.map((h) => h.next)], spec.nodes.reversed)} AS "_nodes"`
      : '';
    chains.push(
      `SELECT ${hops[0]!.cur} AS "_start", ${hops[length - 1]!.next} AS "_node", ${length} AS "_depth"${nodes}\n  FROM ${from}\n  WHERE ${conditions.join(' AND ')}`,
    );
  }
  if (spec.min === 0) chains.push(zero);
  return chains.join('\nUNION ALL\n');
}

/**
 * The paths of {@link variableLengthRelation} read from one chain of hops:
 * `h1 [LEFT] JOIN h2 … LEFT JOIN hmax`, each hop joined on the previous one's
 * end with the path's guards in its ON clause (hops before `min` are inner
 * joins, later ones LEFT JOINs, so a path that stops early keeps its row).
 * Each hop's edge table is then read once, filtered by the keys the previous
 * hop reached, instead of once per path length as the UNION ALL of
 * {@link unrolled} chains reads it (1 + 2 + … + max scans). A path of length
 * d is a distinct (start, edges 1..d) prefix of the chain's rows, so every
 * path is counted once. Only for edge types with a key: without one, two
 * parallel edges would be one prefix.
 */
function chained(
  spec: VariableLengthSpec,
  mode: VariableLengthSpec['mode'],
  zero: string,
  state: CompileState,
): string {
  const first = Math.max(spec.min, 1);
  const hops = Array.from({ length: spec.max }, () =>
    edgeRelation(spec.options, state.alias('h'), new Set(), undefined),
  );
  let from = hops[0]!.item;
  const where = [anchored(spec, hops[0]!.cur)];
  if (mode === 'ACYCLIC') where.push(`${hops[0]!.next} <> ${hops[0]!.cur}`);
  for (let i = 1; i < hops.length; i++) {
    const on = [`${hops[i]!.cur} = ${hops[i - 1]!.next}`];
    for (let j = 0; j < i; j++) {
      if (mode === 'TRAIL')
        on.push(`NOT (${hops[i]!.identity.map((c, k) => `${c} = ${hops[j]!.identity[k]}`).join(' AND ')})`);
      if (mode === 'ACYCLIC') on.push(`${hops[i]!.next} <> ${hops[j]!.next}`);
    }
    if (mode === 'ACYCLIC') on.push(`${hops[i]!.next} <> ${hops[0]!.cur}`);
    from += `\n    ${i < first ? 'JOIN' : 'LEFT JOIN'} ${hops[i]!.item} ON ${on.join(' AND ')}`;
  }
  // The chain's columns: the start, then each hop's identity and end.
  const id = (h: number, k: number) => `"_i${h}_${k}"`;
  const end = (h: number) => `"_n${h}"`;
  const columns = [`${hops[0]!.cur} AS "_s"`];
  hops.forEach((hop, h) => {
    hop.identity.forEach((c, k) => {
      columns.push(`${c} AS ${id(h, k)}`);
    });
    columns.push(`${hop.next} AS ${end(h)}`);
  });
  const chain = state.cte(
    'c',
    `SELECT ${columns.join(', ')}\n  FROM ${from}\n  WHERE ${where.join(' AND ')}`,
  );
  const branches: string[] = [];
  for (let length = first; length <= spec.max; length++) {
    const prefix = ['"_s"'];
    for (let h = 0; h < length; h++) {
      hops[h]!.identity.forEach((_, k) => {
        prefix.push(id(h, k));
      });
      prefix.push(end(h));
    }
    const nodes = spec.nodes
      ? `, ${keyList(['"_s"', ...Array.from({ length }, (_, h) => end(h))], spec.nodes.reversed)} AS "_nodes"`
      : '';
    const present = `${id(length - 1, 0)} IS NOT NULL`;
    // The longest paths are whole rows of the chain (each once); shorter ones are prefixes shared by several rows.
    const rows =
      length === spec.max
        ? `${chain} WHERE ${present}`
        : `(SELECT DISTINCT ${prefix.join(', ')} FROM ${chain} WHERE ${present}) AS "_d"`;
    branches.push(
      `SELECT "_s" AS "_start", ${end(length - 1)} AS "_node", ${length} AS "_depth"${nodes} FROM ${rows}`,
    );
  }
  if (spec.min === 0) branches.push(zero);
  return branches.join('\nUNION ALL\n');
}
