import {
  type ConnectorContext,
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
 */
export function defineConnector(definition: {
  name: string;
  create(options: Readonly<Record<string, unknown>>, context: ConnectorContext): Promise<SpokeConnector>;
}): ConnectorFactory {
  return { specificationVersion: SPECIFICATION_VERSION, name: definition.name, create: definition.create };
}
