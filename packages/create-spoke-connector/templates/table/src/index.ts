import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode, SpokeError } from '@spoke/core';
import { BaseConnector, defineConnector, parseOptions, StaticCatalog } from '@spoke/sdk';
import { MySourceTable } from './my-source-table.js';

/**
 * The options a `my-source` source takes in the gateway's config, besides
 * `connector: my-source`. `parseOptions` checks them: a missing or mistyped
 * option is `INVALID_CONFIG` naming `sources.NAME.KEY`, an unknown one gets
 * the closest known key suggested. Add yours here and in the README's table.
 */
export const OPTIONS = {
  directory: {
    type: 'string',
    required: true,
    description: 'folder of Arrow IPC files, one table per `<table>.arrow`, relative to the config file',
  },
} as const;

/**
 * One configured source: a catalog (schema `main`, a table per file) and
 * the resources to release on `close()`. Scans of its tables may run
 * concurrently, several per query; anything shared (a pool, a client) must
 * allow that.
 */
export class MySourceConnector extends BaseConnector {
  constructor(readonly catalog: StaticCatalog) {
    super();
  }

  /** Releases what `create` opened (pools, clients): the gateway calls it on shutdown and reload. */
  override async close(): Promise<void> {}
}

/**
 * What the package exports, as `connector` and as its default export. The
 * gateway imports the package (`connector: my-source` finds
 * `spoke-connector-my-source`), checks `specificationVersion` against its
 * own, and calls `create` once per configured source. A source that cannot
 * be reached is `SOURCE_UNAVAILABLE`; bad options are `INVALID_CONFIG`.
 */
export const connector = defineConnector({
  name: 'my-source',
  options: OPTIONS,
  // What the tables push down: the README's matrix (spoke connector-docs) and the kit's cases come from it.
  capabilities: { filters: 'none', limit: false, topN: false },
  types: [{ source: 'any Arrow type', spoke: 'the same Arrow type' }],
  async create(options, context) {
    const { directory } = parseOptions(options, OPTIONS, context);
    const folder = resolve(context.baseDir, directory);
    const files = await readdir(folder).catch((error: Error) => {
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `sources.${context.sourceName}.directory: cannot read ${folder}: ${error.message}`,
        { source: context.sourceName, cause: error },
      );
    });
    const tables = files
      .filter((file) => file.endsWith('.arrow'))
      .map((file) => new MySourceTable(file.slice(0, -'.arrow'.length), resolve(folder, file)));
    return new MySourceConnector(new StaticCatalog('main', { main: tables }));
  },
});
export default connector;
