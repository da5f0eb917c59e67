import {
  type ConnectorContext,
  type ConnectorDocs,
  type ConnectorFactory,
  SPECIFICATION_VERSION,
  type SpokeCatalog,
  type SpokeConnector,
  type SqlExecutor,
} from '@spoke/core';

/** A connector with the contract's defaults: no SQL push-down, nothing to close. */
export abstract class BaseConnector implements SpokeConnector {
  readonly specificationVersion = SPECIFICATION_VERSION;
  abstract readonly catalog: SpokeCatalog;
  readonly sql?: SqlExecutor;

  async close(): Promise<void> {}
}

/**
 * Declares what a connector package exports:
 *
 * ```ts
 * export const connector = defineConnector({ name: 'duckdb', create: (options, context) => … });
 * export default connector;
 * ```
 *
 * `options`, `types` and `capabilities` are optional declarations that
 * `spoke connector-docs` turns into the README's tables:
 *
 * ```ts
 * defineConnector({ name: 'duckdb', options: OPTIONS, capabilities: { filters: 'exact', limit: true, topN: true }, create });
 * ```
 */
export function defineConnector(definition: {
  name: string;
  create(options: Readonly<Record<string, unknown>>, context: ConnectorContext): Promise<SpokeConnector>;
  /** The option spec `create` checks with `parseOptions`; documented by `spoke connector-docs`. */
  options?: ConnectorDocs['options'];
  /** The type mapping, one row per source type. */
  types?: ConnectorDocs['types'];
  /** What the connector pushes down — pass the same object to `@spoke/testing`'s `runConformance`. */
  capabilities?: ConnectorDocs['capabilities'];
}): ConnectorFactory {
  const docs: ConnectorDocs = {
    ...(definition.options ? { options: definition.options } : {}),
    ...(definition.types ? { types: definition.types } : {}),
    ...(definition.capabilities ? { capabilities: definition.capabilities } : {}),
  };
  return {
    specificationVersion: SPECIFICATION_VERSION,
    name: definition.name,
    create: definition.create,
    ...(Object.keys(docs).length ? { docs } : {}),
  };
}
