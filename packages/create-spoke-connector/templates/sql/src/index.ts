import { DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, SpokeError } from '@spoke/core';
import { defineConnector, parseOptions } from '@spoke/sdk';
import { MySourceConnector } from './my-source-connector.js';

/**
 * The options of a `my-source` source in the gateway's config, checked by
 * `parseOptions` (`INVALID_CONFIG` naming `sources.NAME.KEY`).
 */
export const OPTIONS = {
  path: {
    type: 'string',
    required: true,
    description: 'the database file, opened read-only, relative to the config file',
  },
} as const;

/**
 * The package's export (`connector` and default): the gateway finds it by
 * `connector: my-source`, checks `specificationVersion`, calls `create` per source.
 */
export const connector = defineConnector({
  name: 'my-source',
  options: OPTIONS,
  // What the tables push down: the README's matrix (spoke connector-docs) and the kit's cases come from it.
  capabilities: { filters: 'exact', limit: true, topN: true },
  types: [{ source: 'each DuckDB type', spoke: 'its Arrow type', note: 'duckdbColumnField' }],
  async create(options, context) {
    const { path } = parseOptions(options, OPTIONS, context);
    // The example engine is DuckDB; put your driver's client or pool here.
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' }).catch((error: Error) => {
      // A missing or unreadable database is SOURCE_UNAVAILABLE (the contract's error rules).
      throw new SpokeError(ErrorCode.SOURCE_UNAVAILABLE, `cannot open ${path}: ${error.message}`, {
        source: context.sourceName,
        cause: error,
      });
    });
    return new MySourceConnector(context.sourceName, instance);
  },
});
export default connector;
export { MySourceConnector } from './my-source-connector.js';
