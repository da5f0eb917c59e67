import { readFile } from 'node:fs/promises';
import {
  arrow,
  type RecordBatch,
  type ScanRequest,
  type Schema,
  type Table,
  throwIfAborted,
} from '@spoke/core';
import { BaseTable, projectBatch } from '@spoke/sdk';

/**
 * One table of a `my-source` source: an Arrow IPC file, read whole into
 * memory on first use. Replace `load` with your source's read; keep the
 * rest of the contract:
 *
 * - `schema()` is what the gateway plans with, and every batch `scan` yields
 *   has exactly the fields of `request.projection`, in that order, with
 *   these types;
 * - `supportsFilters` (inherited: every filter `unsupported`) says which
 *   filters `scan` applies; the gateway applies the others, and `limit`
 *   and `orderBy` unless the table declares them (see the connector guide);
 * - `statistics` (inherited: none) lets the planner order joins.
 */
export class MySourceTable extends BaseTable {
  #rows: Promise<Table> | undefined;

  constructor(
    name: string,
    readonly path: string,
  ) {
    super(name);
  }

  /** The rows, read once; concurrent scans share the read. */
  load(): Promise<Table> {
    this.#rows ??= readFile(this.path).then((bytes) => arrow.tableFromIPC(bytes));
    return this.#rows;
  }

  /** The columns and their Arrow types. */
  async schema(): Promise<Schema> {
    return (await this.load()).schema;
  }

  /**
   * The rows as Arrow batches with `request.projection`'s columns (none:
   * batches that only carry a row count). Stops with `QUERY_CANCELLED` once
   * `request.signal` aborts.
   */
  async *scan(request: ScanRequest): AsyncGenerator<RecordBatch> {
    const rows = await this.load();
    for (const batch of rows.batches) {
      throwIfAborted(request.signal);
      yield projectBatch(batch, request.projection);
    }
  }
}
