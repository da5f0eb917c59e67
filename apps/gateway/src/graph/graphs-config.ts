/**
 * The config's `graphs:` section: property graphs over the configured
 * sources' tables, by name. Its shape is checked here (errors name
 * `graphs.<graph>.<label>.<option>`); the tables and columns are checked
 * against the catalog when the engine starts (`graph-engine.ts`).
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { type GraphDefinition, parseGraphDefinition } from '@spoke/graph/definitions';

/** Graphs by name. */
export type GraphsConfig = Readonly<Record<string, GraphDefinition>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses the `graphs:` section. */
export function graphsSection(raw: unknown): GraphsConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SpokeError(
      ErrorCode.INVALID_CONFIG,
      'graphs must be a mapping of graph names to graph definitions',
    );
  const graphs: Record<string, GraphDefinition> = {};
  for (const [name, definition] of Object.entries(raw as Record<string, unknown>)) {
    if (!NAME.test(name))
      throw new SpokeError(ErrorCode.INVALID_CONFIG, `graphs.${name}: a graph name is letters, digits and _`);
    graphs[name] = parseGraphDefinition(name, definition);
  }
  return graphs;
}
