import {
  ErrorCode,
  type RecordBatch,
  type Schema,
  type SpokeCatalog,
  SpokeError,
  type WriteOptions,
  type WriteResult,
} from '@spoke/core';
import type { LanceConnector } from './lance-connector.js';
import type { LanceTable } from './lance-table.js';

/** The one schema a Lance source has: every table under its `uri`. */
export const LANCE_SCHEMA = 'default';

/** `docs@v3` → `{ table: 'docs', version: 3 }`; a plain name has no version. */
export function parseTableName(name: string): { table: string; version?: number } {
  const m = /^(.+)@v(\d+)$/.exec(name);
  return m ? { table: m[1]!, version: Number(m[2]) } : { table: name };
}

/**
 * The catalog of a Lance source: one schema, `default`, listing every table
 * under the uri. `getTable(schema, 'docs@v3')` returns version 3 of `docs`,
 * read-only (time travel); past versions are not listed.
 */
export class LanceCatalog implements SpokeCatalog {
  readonly defaultSchema = LANCE_SCHEMA;

  constructor(private readonly connector: LanceConnector) {}

  async listSchemas(): Promise<readonly string[]> {
    return [LANCE_SCHEMA];
  }

  async listTables(schema: string): Promise<readonly string[]> {
    this.#check(schema);
    return this.connector.tableNames();
  }

  async getTable(schema: string, table: string): Promise<LanceTable | undefined> {
    if (schema !== LANCE_SCHEMA) return undefined;
    const { table: name, version } = parseTableName(table);
    return this.connector.openTable(name, version);
  }

  /** `CREATE TABLE lance.t AS SELECT …`: a new Lance table, its first version. */
  async createTable(
    schema: string,
    name: string,
    arrowSchema: Schema,
    batches: AsyncIterable<RecordBatch>,
    options: WriteOptions,
  ): Promise<WriteResult> {
    this.#check(schema);
    const collected: RecordBatch[] = [];
    for await (const batch of batches) {
      if (options.signal.aborted) throw SpokeError.cancelled(options.signal);
      collected.push(batch);
    }
    const table = await this.connector.createTableFrom(name, arrowSchema, collected);
    const stats = await table.statistics();
    return { rows: collected.reduce((n, b) => n + b.numRows, 0), version: stats.version };
  }

  #check(schema: string): void {
    if (schema !== LANCE_SCHEMA) {
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `schema "${schema}" does not exist (a Lance source has one schema, "${LANCE_SCHEMA}")`,
      );
    }
  }
}
