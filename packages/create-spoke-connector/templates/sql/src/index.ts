import { DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, SpokeError } from '@spoke/core';
import { defineConnector, parseOptions } from '@spoke/sdk';
import { MySourceConnector } from './my-source-connector.js';

/**
 * The options a `my-source` source takes in the gateway's config, besides
 * `connector: my-source`. `parseOptions` checks them: a missing or mistyped
 * option is `INVALID_CONFIG` naming `sources.NAME.KEY`, an unknown one gets
 * the closest known key suggested. Add yours here and in the README's table.
 */
export const OPTIONS = {
  path: {
    type: 'string',
    required: true,
    description: 'the database file, opened read-only, relative to the config file',
  },
} as const;

/**
 * What the package exports, as `connector` and as its default export. The
 * gateway imports the package (`connector: my-source` finds
 * `spoke-connector-my-source`), checks `specificationVersion` against its
 * own, and calls `create` once per configured source.
 */
export const connector = defineConnector({
  name: 'my-source',
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
