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
import type { DuckDBConnection } from '@duckdb/node-api';
import { ErrorCode, SpokeError } from '@spoke/core';
import { DuckDBDialect } from '@spoke/sdk';
import { holdSharedDuckDB, releaseSharedDuckDB, sharedDuckDB } from './shared-duckdb.js';

/** Idle connections kept per connector (about one per concurrent scan). */
const MAX_IDLE = 4;

/**
 * A connector's use of the process's DuckDB (`shared-duckdb.ts`): its idle
 * connections and scratch directory. It holds the instance from its first
 * connection (or {@link warm}) until {@link close}.
 */
export class DuckDBDecoder {
  readonly dialect = new DuckDBDialect();
  /** Whether this decoder counts as a holder of the shared instance. */
  #held = false;
  #idle: DuckDBConnection[] = [];
  #dir: Promise<string> | undefined;
  #seq = 0;
  /** Subset files being deleted ({@link discard}). */
  readonly #removing = new Set<Promise<void>>();
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
    if (!this.#held) {
      this.#held = true;
      holdSharedDuckDB();
    }
    // A failed start is retried by the next scan, not remembered (sharedDuckDB forgets it).
    const instance = await sharedDuckDB();
    const connection = await instance.connect();
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
    if (this.#closed || this.#held) return;
    this.#warming = this.connect().then(
      (c) => this.release(c),
      () => undefined, // the scan that needs DuckDB reports the failure
    );
  }

  /** A fresh path for a subset file (never reused, so no DuckDB cache can see stale bytes). */
  async scratchPath(): Promise<string> {
    return join(await this.#scratchDir(), `subset-${process.pid}-${++this.#seq}.parquet`);
  }

  /**
   * The connector's scratch directory, made at the first scan that needs it
   * (a connector that never decodes, or is never closed, leaves none); a
   * failure is retried.
   */
  #scratchDir(): Promise<string> {
    if (!this.#dir) {
      const dir = mkdtemp(join(this.scratchParent ?? tmpdir(), 'spoke-parquet-'));
      this.#dir = dir;
      dir.catch(() => {
        if (this.#dir === dir) this.#dir = undefined;
      });
    }
    return this.#dir;
  }

  /**
   * Deletes a subset file DuckDB is done with, behind the scan: a scan ends
   * without waiting for the file system (about a millisecond, more on a busy
   * disk). {@link close} waits for the deletions.
   */
  discard(path: string): void {
    const removal = rm(path, { force: true }).catch(() => undefined);
    this.#removing.add(removal);
    void removal.then(() => this.#removing.delete(removal));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#warming;
    for (const c of this.#idle.splice(0)) c.closeSync();
    await Promise.all(this.#removing);
    const dir = this.#dir;
    this.#dir = undefined;
    if (this.#held) releaseSharedDuckDB();
    this.#held = false;
    if (dir) await dir.then((d) => rm(d, { recursive: true, force: true })).catch(() => undefined);
  }
}
