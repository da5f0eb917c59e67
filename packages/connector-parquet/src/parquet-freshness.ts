/**
 * When a Parquet source's data last changed (`SpokeConnector.freshness`):
 * per table, the latest `LastModified` of its objects (S3) or files (mtime),
 * listed as a scan would list them. Exact for objects written or replaced; an
 * object deleted leaves no time behind, so a deletion does not show.
 */
import {
  laterEstimate,
  type SourceFreshness,
  type SpokeCatalog,
  type TableFreshness,
  throwIfAborted,
} from '@spoke/core';
import type { ObjectStore } from '@spoke/object-store';
import { ParquetTable } from './parquet-table.js';
import { listTableFiles } from './table-files.js';

/** Lists every table's objects; see the file comment. */
export async function parquetFreshness(
  catalog: SpokeCatalog,
  store: ObjectStore,
  signal?: AbortSignal,
): Promise<SourceFreshness> {
  const tables: TableFreshness[] = [];
  let latest: TableFreshness['lastModified'];
  for (const schema of await catalog.listSchemas(signal)) {
    for (const name of await catalog.listTables(schema, signal)) {
      throwIfAborted(signal);
      const table = await catalog.getTable(schema, name, signal);
      if (!(table instanceof ParquetTable)) continue;
      let at: Date | undefined;
      for (const file of await listTableFiles(store, table.location, signal))
        if (file.lastModified && (!at || file.lastModified > at)) at = file.lastModified;
      const lastModified = at ? { value: at, exact: true } : undefined;
      tables.push({ schema, table: name, ...(lastModified ? { lastModified } : {}) });
      latest = laterEstimate(latest, lastModified);
    }
  }
  return { method: 'object LastModified', ...(latest ? { lastModified: latest } : {}), tables };
}
