/**
 * The connector's embedded DuckDB, used only to decode: a scan's selected
 * row groups and columns are written as a small local Parquet file
 * (`parquet-subset.ts`), DuckDB reads it with the scan's filters applied,
 * and its chunks become Arrow (`@spoke/duckdb-arrow`).
 *
 * Why DuckDB: its native Parquet reader decodes the row groups of the
 * benchmark about 15× faster than the JavaScript decoder, and applies the
 * filters exactly (pruning pages itself), so the scan returns only matching
 * rows and the filters can be reported `exact`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, SpokeError } from '@spoke/core';
import { DuckDBDialect } from '@spoke/sdk';

/** Idle connections kept per connector (about one per concurrent scan). */
const MAX_IDLE = 4;

/** One DuckDB instance per connector, created at the first scan that needs it. */
export class DuckDBDecoder {
  readonly dialect = new DuckDBDialect();
  #instance: Promise<DuckDBInstance> | undefined;
  #idle: DuckDBConnection[] = [];
  #dir: Promise<string> | undefined;
  #seq = 0;
  #closed = false;
  /** The background start of {@link warm}: close() waits for it (closing DuckDB under a connecting thread crashes). */
  #warming: Promise<void> | undefined;

  constructor(
    /** Where the scratch directory goes (the L2 cache directory when configured, else the system's). */
    readonly scratchParent: string | undefined,
    readonly sourceName: string,
  ) {}

  /** A new connection with the dialect's session settings. Close it with `closeSync()`. */
  async connect(): Promise<DuckDBConnection> {
    if (this.#closed)
      throw new SpokeError(ErrorCode.SOURCE_UNAVAILABLE, 'the parquet connector is closed', {
        source: this.sourceName,
      });
    if (!this.#instance) {
      const created = DuckDBInstance.create(':memory:');
      this.#instance = created;
      // A failed start is retried by the next scan, not remembered.
      created.catch(() => {
        if (this.#instance === created) this.#instance = undefined;
      });
    }
    const connection = await (await this.#instance).connect();
    try {
      for (const setting of this.dialect.sessionSettings) await connection.run(setting);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
    return connection;
  }

  /**
   * A connection for one scan: an idle one when there is one (a connection
   * and its session settings cost about half a millisecond). Hand it back
   * with {@link release}, or close it when its result was not read to the end.
   */
  async acquire(): Promise<DuckDBConnection> {
    return this.#idle.pop() ?? this.connect();
  }

  /** Returns a connection whose last result was read to the end. */
  release(connection: DuckDBConnection): void {
    if (this.#closed || this.#idle.length >= MAX_IDLE) connection.closeSync();
    else this.#idle.push(connection);
  }

  /**
   * Starts DuckDB in the background and readies one connection, so a first
   * scan does not wait for either (the footers are being fetched meanwhile).
   */
  warm(): void {
    if (this.#closed || this.#instance) return;
    this.#warming = this.connect().then(
      (c) => this.release(c),
      () => undefined, // the scan that needs DuckDB reports the failure
    );
  }

  /** A fresh path for a subset file (never reused, so no DuckDB cache can see stale bytes). */
  async scratchPath(): Promise<string> {
    this.#dir ??= mkdtemp(join(this.scratchParent ?? tmpdir(), 'spoke-parquet-'));
    return join(await this.#dir, `subset-${process.pid}-${++this.#seq}.parquet`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#warming;
    for (const c of this.#idle.splice(0)) c.closeSync();
    const instance = this.#instance;
    const dir = this.#dir;
    this.#instance = undefined;
    this.#dir = undefined;
    if (instance) (await instance.catch(() => undefined))?.closeSync();
    if (dir) await rm(await dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
