/**
 * Property graphs in the prompt, so that a question about connections can be
 * answered with `cypher('graph', $$ MATCH … $$)` or SQL/PGQ's GRAPH_TABLE.
 * A graph is shown only as far as the asker may see it: a vertex label whose
 * table is not in their catalog is left out, with every edge type touching
 * it or stored in a table they cannot see; a graph with nothing left is not
 * mentioned at all.
 */
import type { GroundedTable } from './grounded-catalog.js';
import type { JoinPath } from './join-paths.js';

/** The parts of a graph definition the prompt uses (`@spoke/graph`'s `GraphDefinition` has them). */
export interface PromptGraph {
  readonly vertices: Readonly<Record<string, { readonly table: string; readonly key: string }>>;
  readonly edges: Readonly<
    Record<
      string,
      {
        readonly table: string;
        readonly from: string;
        readonly to: string;
        /** The edge table's columns holding the keys of its ends (declared keys: joins the prompt can state). */
        readonly source?: string;
        readonly target?: string;
      }
    >
  >;
}

/**
 * The joins graph definitions declare between tables shown in the prompt:
 * an edge table's end column equals its vertex table's key. Unlike the
 * joins guessed from column names, these are keys an operator wrote down.
 */
export function graphJoinPaths(
  graphs: ReadonlyMap<string, PromptGraph> | undefined,
  shown: readonly GroundedTable[],
): JoinPath[] {
  const out: JoinPath[] = [];
  for (const graph of graphs?.values() ?? [])
    for (const edge of Object.values(graph.edges)) {
      const table = visibleTable(edge.table, shown);
      if (!table) continue;
      for (const [column, label] of [
        [edge.source, edge.from],
        [edge.target, edge.to],
      ] as const) {
        const vertex = graph.vertices[label];
        const end = vertex ? visibleTable(vertex.table, shown) : undefined;
        if (column === undefined || !vertex || !end || (end === table && column === vertex.key)) continue;
        if (!table.columns.some((c) => c.name === column)) continue;
        const [left, right] = [`${table.qualified}.${column}`, `${end.qualified}.${vertex.key}`].sort() as [
          string,
          string,
        ];
        out.push({ left, right });
      }
    }
  return out;
}

/** `source.table` or `source.schema.table` → the visible table it names, if any. */
function visibleTable(name: string, visible: readonly GroundedTable[]): GroundedTable | undefined {
  const parts = name.toLowerCase().split('.');
  return visible.find((t) =>
    parts.length === 3
      ? t.source.toLowerCase() === parts[0] &&
        t.schema.toLowerCase() === parts[1] &&
        t.name.toLowerCase() === parts[2]
      : t.source.toLowerCase() === parts[0] && t.name.toLowerCase() === parts[1],
  );
}

/** One graph as the asker may see it, rendered; undefined when nothing of it is visible. */
function renderGraph(
  name: string,
  graph: PromptGraph,
  visible: readonly GroundedTable[],
): string | undefined {
  const vertices = Object.entries(graph.vertices).flatMap(([label, v]) => {
    const table = visibleTable(v.table, visible);
    return table ? [{ label, table: table.qualified, key: v.key }] : [];
  });
  const labels = new Set(vertices.map((v) => v.label));
  const edges = Object.entries(graph.edges).filter(
    ([, e]) => labels.has(e.from) && labels.has(e.to) && visibleTable(e.table, visible) !== undefined,
  );
  if (vertices.length === 0) return undefined;
  const lines = [`- graph ${name}:`];
  for (const v of vertices)
    lines.push(
      `  (:${v.label}) vertices are rows of ${v.table} (key ${v.key}; its columns are the properties)`,
    );
  for (const [type, e] of edges) lines.push(`  (:${e.from})-[:${type}]->(:${e.to})`);
  return lines.join('\n');
}

/** The prompt's section on graphs, or undefined when the asker can see none. */
export function renderGraphs(
  graphs: ReadonlyMap<string, PromptGraph> | undefined,
  visible: readonly GroundedTable[],
): string | undefined {
  if (!graphs || graphs.size === 0) return undefined;
  const rendered = [...graphs].flatMap(([name, g]) => renderGraph(name, g, visible) ?? []);
  if (rendered.length === 0) return undefined;
  return [
    'Property graphs (for questions about connections and paths), queried in SQL as Apache AGE or SQL/PGQ spell it:',
    ...rendered,
    'Write Cypher with the labels and types above; a variable-length path is -[:TYPE*1..3]->:',
    "  SELECT * FROM cypher('graph', $$ MATCH (a:Label)-[:TYPE]->(b:Label) WHERE a.prop = 'x' RETURN b.prop AS prop, count(*) AS n $$) AS (prop text, n bigint)",
    '  SELECT g.prop FROM GRAPH_TABLE (graph MATCH (a IS Label)-[IS TYPE]->(b IS Label) COLUMNS (b.prop AS prop)) AS g',
    'The rows of cypher() and GRAPH_TABLE join ordinary tables in the same query.',
  ].join('\n');
}
