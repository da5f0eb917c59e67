/**
 * Which shape of variable-length relationship suits a graph, from where its
 * tables live: see `CompileCypherOptions.variableLength`.
 */
import type { SqlCapabilities } from '@spoke/core';
import type { GraphDefinition } from '../graph-definition.js';

/** The one source every vertex and edge table of `graph` is in, or `undefined` when they span several. */
export function graphSource(graph: GraphDefinition): string | undefined {
  const sources = new Set(
    [...Object.values(graph.vertices), ...Object.values(graph.edges)].map((t) => t.table.split('.')[0]),
  );
  return sources.size === 1 ? [...sources][0] : undefined;
}

/**
 * `recursive` when every table of `graph` is in one source whose SQL dialect
 * runs recursive CTEs (the planner then sends a graph query there whole, and
 * the source walks the edges in place); `auto` otherwise, where chains of
 * joins let the planner filter each hop's edge scan by the keys the previous
 * hop reached. `capabilities` gives a source's dialect capabilities (undefined
 * for a source that runs no SQL).
 */
export function variableLengthFor(
  graph: GraphDefinition,
  capabilities: (source: string) => SqlCapabilities | undefined,
): 'auto' | 'recursive' {
  const source = graphSource(graph);
  return source !== undefined && capabilities(source)?.recursiveCtes === true ? 'recursive' : 'auto';
}
