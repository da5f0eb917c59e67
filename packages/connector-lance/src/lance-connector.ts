import * as lancedb from '@lancedb/lancedb';
import {
  arrow,
  type ConnectorContext,
  ErrorCode,
  type RecordBatch,
  type Schema,
  type SourceFreshness,
  SpokeError,
} from '@spoke/core';
import { BaseConnector, defineConnector } from '@spoke/sdk';
import { coerceBatch } from './coerce-batch.js';
import { CompactionPolicy } from './compaction-policy.js';
import { LanceCatalog } from './lance-catalog.js';
import { isTableNotFound, lanceError } from './lance-errors.js';
import { lanceFreshness } from './lance-freshness.js';
import { type LanceOptions, parseLanceOptions } from './lance-options.js';
import { type LanceHandleCache, LanceTable, type LanceVersion } from './lance-table.js';
import type { BatchSource, VacuumReport } from './lance-writer.js';

/** Options for {@link LanceConnector.createTableFrom}. */
export interface CreateTableOptions {
  /** `create` (default) fails when the table exists; `overwrite` replaces it as a new version. */
  readonly mode?: 'create' | 'overwrite';
  readonly signal?: AbortSignal;
}

/**
 * A Lance source: every Lance table under one uri (a local directory or
 * `s3://bucket/prefix`), through LanceDB.
 */
export class LanceConnector extends BaseConnector {
  readonly catalog: LanceCatalog;
  /** The background compaction policy, when `autoCompactFragments` is set. */
  readonly compaction: CompactionPolicy | undefined;
  readonly #db: lancedb.Connection;
  readonly #options: LanceOptions;
  readonly #source: string;
  readonly #tables = new Map<string, Promise<lancedb.Table>>();
  /** What the table objects over one handle share (see `LanceHandleCache`). */
  readonly #caches = new WeakMap<lancedb.Table, LanceHandleCache>();

  private constructor(
    db: lancedb.Connection,
    options: LanceOptions,
    source: string,
    onReport?: (report: VacuumReport) => void,
  ) {
    super();
    this.#db = db;
    this.#options = options;
    this.#source = source;
    this.catalog = new LanceCatalog(this);
    this.compaction =
      options.autoCompactFragments > 0
        ? new CompactionPolicy(
            {
              tableNames: () => this.tableNames(),
              fragmentCount: async (name) =>
                (await this.#latest(name)).statistics().then((s) => s.fragmentCount),
              vacuum: async (name) => (await this.#latest(name)).compact(),
            },
            {
              fragmentThreshold: options.autoCompactFragments,
              intervalMs: options.autoCompactIntervalSeconds * 1000,
              ...(onReport ? { onReport } : {}),
            },
          )
        : undefined;
    this.compaction?.start();
  }

  /**
   * Connects to the uri in `options` (see `lanceOptionSpec`). `onCompaction`
   * receives the reports of the background compaction policy.
   */
  static async open(
    options: Readonly<Record<string, unknown>>,
    context: ConnectorContext,
    onCompaction?: (report: VacuumReport) => void,
  ): Promise<LanceConnector> {
    const parsed = parseLanceOptions(options, context);
    try {
      const db = await lancedb.connect(parsed.uri, {
        readConsistencyInterval: parsed.readConsistencyInterval,
        manifestEnabled: parsed.manifestEnabled,
        ...(parsed.storageOptions ? { storageOptions: parsed.storageOptions } : {}),
      });
      return new LanceConnector(db, parsed, context.sourceName, onCompaction);
    } catch (error) {
      throw lanceError(error, context.sourceName, `connecting to ${parsed.uri}`);
    }
  }

  /** The names of every table under the uri, sorted. */
  async tableNames(): Promise<string[]> {
    try {
      const names: string[] = [];
      for (;;) {
        const page = await this.#db.tableNames({
          limit: 1000,
          ...(names.length ? { startAfter: names.at(-1)! } : {}),
        });
        names.push(...page);
        if (page.length < 1000) return names.sort();
      }
    } catch (error) {
      throw lanceError(error, this.#source, 'listing Lance tables');
    }
  }

  /** The table `name` (latest) or one of its past versions (read-only); `undefined` when it does not exist. */
  async openTable(name: string, version?: number): Promise<LanceTable | undefined> {
    const key = version === undefined ? name : `${name}@v${version}`;
    let handle = this.#tables.get(key);
    if (!handle) {
      // Per-table options replace the connection's storage options (a version-pinned open on S3
      // otherwise loses the endpoint and region), so they are passed again.
      const storage = this.#options.storageOptions ? { storageOptions: this.#options.storageOptions } : {};
      handle = this.#db.openTable(name, undefined, version === undefined ? storage : { ...storage, version });
      this.#tables.set(key, handle);
    }
    try {
      const opened = await handle;
      let cache = this.#caches.get(opened);
      if (!cache) {
        cache = {};
        this.#caches.set(opened, cache);
      }
      return new LanceTable(key, {
        handle: opened,
        cache,
        strongConsistency: this.#options.readConsistencyInterval === 0,
        lanceName: name,
        ...(version === undefined ? {} : { version }),
        source: this.#source,
        search: {
          nprobes: this.#options.nprobes,
          refineFactor: this.#options.refineFactor,
          ef: this.#options.ef,
        },
        versionRetentionSeconds: this.#options.versionRetentionSeconds,
      });
    } catch (error) {
      this.#tables.delete(key);
      if (isTableNotFound(error)) return undefined;
      throw lanceError(error, this.#source, `opening Lance table "${key}"`);
    }
  }

  /** When each table last changed (its latest version's time): see lance-freshness.ts. */
  freshness(signal?: AbortSignal): Promise<SourceFreshness> {
    return lanceFreshness(this, signal);
  }

  /** The versions of table `name`, oldest first (`TABLE_NOT_FOUND` when it does not exist). */
  async listVersions(name: string): Promise<LanceVersion[]> {
    return (await this.#latest(name)).listVersions();
  }

  /**
   * `CREATE TABLE lance.name AS SELECT …`: creates the table with `schema`
   * and the rows of `batches`, as its version 1 (or a new version with
   * `mode: 'overwrite'`).
   */
  async createTableFrom(
    name: string,
    schema: Schema,
    batches: BatchSource,
    options: CreateTableOptions = {},
  ): Promise<LanceTable> {
    const collected: RecordBatch[] = [];
    for await (const batch of batches) {
      if (options.signal?.aborted) throw SpokeError.cancelled(options.signal);
      if (batch.numRows) collected.push(coerceBatch(batch, schema));
    }
    const mode = options.mode ?? 'create';
    try {
      const created = collected.length
        ? await this.#db.createTable(name, new arrow.Table(schema, collected) as never, {
            mode,
            existOk: false,
          })
        : await this.#db.createEmptyTable(name, schema as never, { mode, existOk: false });
      this.#tables.set(name, Promise.resolve(created));
    } catch (error) {
      if (/already exists/i.test(error instanceof Error ? error.message : '')) {
        throw new SpokeError(ErrorCode.INVALID_QUERY, `Lance table "${name}" already exists`, {
          source: this.#source,
          cause: error,
        });
      }
      throw lanceError(error, this.#source, `creating Lance table "${name}"`);
    }
    return (await this.openTable(name))!;
  }

  /** `DROP TABLE lance.name`: removes the table and all its versions. */
  async dropTable(name: string): Promise<void> {
    for (const key of [...this.#tables.keys()])
      if (key === name || key.startsWith(`${name}@v`)) this.#tables.delete(key);
    try {
      await this.#db.dropTable(name);
    } catch (error) {
      throw lanceError(error, this.#source, `dropping Lance table "${name}"`);
    }
  }

  override async close(): Promise<void> {
    await this.compaction?.stop();
    for (const handle of this.#tables.values()) (await handle.catch(() => undefined))?.close();
    this.#tables.clear();
    if (this.#db.isOpen()) this.#db.close();
  }

  async #latest(name: string): Promise<LanceTable> {
    const table = await this.openTable(name);
    if (!table)
      throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `Lance table "${name}" does not exist`, {
        source: this.#source,
      });
    return table;
  }
}

/** The connector factory the gateway loads for `connector: lance`. */
export const connector = defineConnector({
  name: 'lance',
  create: (options, context) => LanceConnector.open(options, context),
});
