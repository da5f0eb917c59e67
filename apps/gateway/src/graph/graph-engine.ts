/**
 * Graph queries in the gateway: the configured graphs, checked against the
 * catalog at start-up, and the `cypher(graph, query [, params])` table
 * function every client can call in SQL (as Apache AGE spells it):
 *
 *     SELECT * FROM cypher('social', $$ MATCH (a:Person)-[:KNOWS]->(b) RETURN b.name $$) AS (name text)
 *
 * The planner expands the call before binding (see the planner's
 * table-functions.ts) into the SQL `@spoke/graph` compiles, so a graph query
 * gets the binder, security policies (masks and row filters apply to graph
 * results), push-down and limits of any other query. `POST /v1/cypher` and
 * `spoke cypher` send exactly that statement.
 */
import { ErrorCode, type ScalarValue, SpokeError } from '@spoke/core';
import {
  checkGraphAgainstCatalog,
  cypherCallParameters,
  type GraphCatalogColumn,
  type GraphDefinition,
  rewriteGraphTable,
  variableLengthFor,
} from '@spoke/graph/definitions';
import type { FederatedEngine, QueryEngine, TableFunctionExpander } from '@spoke/planner';
import type { GraphsConfig } from './graphs-config.js';

const GRAPHS = Symbol.for('@spoke/gateway/graphs');

/** The statement `POST /v1/cypher` and `spoke cypher` run: graph, query and parameters (JSON) bound as $1..$3. */
export const CYPHER_STATEMENT = 'SELECT * FROM cypher($1, $2, $3)';

/**
 * {@link CYPHER_STATEMENT} labelled with the Cypher as a comment, so the audit
 * record and the list of running queries show what was asked (one line, at
 * most 500 characters, no comment end inside: the label is never syntax).
 */
export function cypherStatementFor(query: string): string {
  const label = query
    .slice(0, 500)
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\*\//g, '* /')
    .replace(/\/\*/g, '/ *')
    .replace(/\s+/g, ' ')
    .trim();
  return `/* cypher: ${label} */ ${CYPHER_STATEMENT}`;
}

/** The parameters of {@link CYPHER_STATEMENT}. */
export function cypherParams(
  graph: string,
  query: string,
  params: Readonly<Record<string, unknown>> = {},
): ScalarValue[] {
  return [graph, query, JSON.stringify(params)];
}

/** The graphs `engine` was started with (empty when none are configured). */
export function graphsOf(engine: QueryEngine): ReadonlyMap<string, GraphDefinition> {
  return (engine as { [GRAPHS]?: ReadonlyMap<string, GraphDefinition> })[GRAPHS] ?? new Map();
}

/** Records `graphs` on the engine served, for the front ends (EXPLAIN of /v1/cypher). */
export function attachGraphs(engine: QueryEngine, graphs: ReadonlyMap<string, GraphDefinition>): void {
  Object.defineProperty(engine, GRAPHS, { value: graphs, enumerable: false });
}

function graphNamed(graphs: ReadonlyMap<string, GraphDefinition>, name: unknown): GraphDefinition {
  if (typeof name !== 'string')
    throw new SpokeError(ErrorCode.INVALID_QUERY, 'cypher(graph, query [, params]): graph must be text', {
      details: { sqlstate: '22023' },
    });
  const graph = graphs.get(name);
  if (!graph)
    throw new SpokeError(
      ErrorCode.TABLE_NOT_FOUND,
      graphs.size === 0
        ? `graph "${name}" does not exist: no graphs are configured (add a graphs: section to the config)`
        : `graph "${name}" does not exist (graphs: ${[...graphs.keys()].join(', ')})`,
      { details: { sqlstate: '42P01' } },
    );
  return graph;
}

let cypherCompiler: Promise<typeof import('@spoke/graph')> | undefined;

/**
 * `@spoke/graph` with its Cypher parser, loaded at the first Cypher query: the
 * parser takes about a quarter of a second to load, which every gateway and
 * `spoke` command would otherwise pay at start-up.
 */
function loadCypherCompiler(): Promise<typeof import('@spoke/graph')> {
  cypherCompiler ??= import('@spoke/graph');
  return cypherCompiler;
}

/** Compiles `cypher(graph, query [, params])` arguments to SQL (parameters as quoted literals). */
export async function compileCypherCall(
  graphs: ReadonlyMap<string, GraphDefinition>,
  args: readonly ScalarValue[],
): Promise<{ sql: string; columns: readonly string[] }> {
  if (args.length < 2)
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `cypher() takes (graph, query [, params [, $1, …]]), got ${args.length} argument(s)`,
      { details: { sqlstate: '42883' } },
    );
  const graph = graphNamed(graphs, args[0]);
  if (typeof args[1] !== 'string')
    throw new SpokeError(ErrorCode.INVALID_QUERY, 'cypher(): the query must be text', {
      details: { sqlstate: '22023' },
    });
  const params = cypherCallParameters(args[2], args.slice(3));
  const { compileCypher } = await loadCypherCompiler();
  const compiled = compileCypher(args[1], graph, { params, paramStyle: 'inline' });
  return { sql: compiled.sql, columns: compiled.columns };
}

/** The `cypher` table function over `graphs`. */
export function cypherExpander(graphs: ReadonlyMap<string, GraphDefinition>): TableFunctionExpander {
  // SQL/PGQ's GRAPH_TABLE (g MATCH … COLUMNS (…)) is rewritten into cypher('g', …) before parsing.
  return { rewrite: rewriteGraphTable, expand: ({ args }) => compileCypherCall(graphs, args) };
}

/** The columns of every table `graph` names (undefined for a table that does not exist). */
export async function catalogColumns(
  engine: FederatedEngine,
  ...graphs: GraphDefinition[]
): Promise<Map<string, readonly GraphCatalogColumn[] | undefined>> {
  const columns = new Map<string, readonly GraphCatalogColumn[] | undefined>();
  for (const graph of graphs)
    for (const { table } of [...Object.values(graph.vertices), ...Object.values(graph.edges)]) {
      if (columns.has(table)) continue;
      const [source, a, b] = table.split('.') as [string, string, string | undefined];
      try {
        const resolved = await engine.registry.resolve(source, b === undefined ? undefined : a, b ?? a);
        columns.set(
          table,
          resolved.arrowSchema.fields.map((f) => ({ name: f.name, type: String(f.type) })),
        );
      } catch (error) {
        if (!SpokeError.isInstance(error) || error.code !== ErrorCode.TABLE_NOT_FOUND) throw error;
        columns.set(table, undefined);
      }
    }
  return columns;
}

/**
 * Checks each graph against the tables it names (they exist, the columns
 * exist, edge ends have their vertex key's type) and fills in each label's
 * properties from its table's columns. A problem is a config error naming the
 * graph, the label and the column.
 */
export async function checkGraphs(
  config: GraphsConfig,
  engine: FederatedEngine,
): Promise<Map<string, GraphDefinition>> {
  const columns = await catalogColumns(engine, ...Object.values(config));
  const graphs = new Map<string, GraphDefinition>();
  for (const [name, graph] of Object.entries(config)) {
    const checked = checkGraphAgainstCatalog(name, graph, (t) => columns.get(t));
    // Every table in one source that runs recursive CTEs (DuckDB): graph queries go there whole, as recursions.
    const variableLength = variableLengthFor(
      checked,
      (source) => engine.registry.sources.get(source)?.sql?.dialect.capabilities,
    );
    graphs.set(name, { ...checked, variableLength });
  }
  return graphs;
}

/**
 * Checks the configured graphs against the catalog and registers the
 * `cypher` table function on `engine` (also without graphs, so a call gets
 * "no graphs are configured" rather than "no such function").
 */
export async function installGraphs(
  engine: FederatedEngine,
  config: GraphsConfig | undefined,
): Promise<Map<string, GraphDefinition>> {
  const graphs = config ? await checkGraphs(config, engine) : new Map<string, GraphDefinition>();
  engine.tableFunctions = new Map([...(engine.tableFunctions ?? []), ['cypher', cypherExpander(graphs)]]);
  return graphs;
}
