import type { SpokeTable } from './table.js';
import type { CatalogWrites } from './writes.js';

/**
 * A connector's namespace: schemas holding tables. A query names a table as
 * `source.table` (the default schema) or `source.schema.table`.
 */
export interface SpokeCatalog extends CatalogWrites {
  /** The schema used when a query names `source.table`. */
  readonly defaultSchema: string;
  listSchemas(signal?: AbortSignal): Promise<readonly string[]>;
  listTables(schema: string, signal?: AbortSignal): Promise<readonly string[]>;
  /** The table, or `undefined` when it does not exist. Names are matched exactly. */
  getTable(schema: string, table: string, signal?: AbortSignal): Promise<SpokeTable | undefined>;
}
