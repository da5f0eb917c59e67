/**
 * Rows already read, kept loaded in the residual DuckDB for the next query
 * that asks for the same rows: a small dimension table in Parquet, joined
 * on every request, is read and loaded once instead of on every query.
 *
 * Only reads of tables that name their snapshot (`SpokeTable.snapshot`)
 * are kept, under a key made of the source, the table, that token and the
 * whole request (columns, filters with their values, limit, order) — so a
 * changed object, a different filter or another policy's row filter is a
 * different entry, and nothing is served that the source would not answer
 * now. Entries are tables of the instance's `main` schema, which every
 * query's connection sees; a query uses one through a temporary view of
 * its own and pins it until its result is drained, so an entry evicted
 * meanwhile is dropped only after its last reader. Least recently used
 * entries go first once the bytes kept pass the budget.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Expr, RecordBatch, ScalarValue, SortKey } from '@spoke/core';

/**
 * What a kept table costs DuckDB beyond its rows: each holds about 53 KiB
 * (measured with `duckdb_memory()`) however few rows it has, so a budget in
 * rows' bytes alone would let many one-row reads take far more memory.
 */
export const ENTRY_OVERHEAD_BYTES = 64 * 1024;

/** Options of the read cache (`createEngine({ readCache })`). */
export interface ReadCacheOptions {
  /** Bytes kept at most, over all entries: their rows' Arrow bytes plus {@link ENTRY_OVERHEAD_BYTES} each. Default 64 MiB. */
  readonly maxBytes?: number;
  /** A read estimated (or found) larger than this is not kept. Default a quarter of `maxBytes`. */
  readonly maxEntryBytes?: number;
  /** Bytes charged per entry for its DuckDB table, on top of its rows. Default {@link ENTRY_OVERHEAD_BYTES}. */
  readonly entryOverheadBytes?: number;
}

/** The read cache's counters. */
export interface ReadCacheStats {
  /** Reads answered from a kept table. */
  readonly hits: number;
  /** Reads of cacheable tables that went to the source. */
  readonly misses: number;
  /** Entries dropped to stay within the budget, or replaced by a newer snapshot. */
  readonly evictions: number;
  readonly entries: number;
  /** Bytes charged against `maxBytes`: the rows' Arrow bytes plus the overhead per entry. */
  readonly bytes: number;
}

/** What a read is, for the cache: everything that decides its rows. */
export interface ReadCacheKeyParts {
  readonly source: string;
  readonly schema: string;
  readonly table: string;
  readonly snapshot: string;
  readonly projection: readonly string[];
  readonly filters: readonly Expr[];
  readonly limit?: number | undefined;
  readonly orderBy?: readonly SortKey[] | undefined;
}

/** A kept table a query reads, pinned until {@link PinnedRead.release}. */
export interface PinnedRead {
  /** The table in the instance's `main` schema (unquoted). */
  readonly table: string;
  readonly rows: number;
  readonly bytes: number;
  /** Whether the table is kept for later queries (else it is dropped once released). */
  readonly kept: boolean;
  /**
   * The rows as Arrow batches too, for a small read (see {@link ReadCache.add}): a
   * residual that runs without DuckDB (`in-memory-residual.ts`) reads them here.
   */
  readonly batches?: readonly RecordBatch[];
  /** Unpins it (once; later calls do nothing). */
  readonly release: () => void;
}

interface Entry {
  readonly key: string;
  readonly table: string;
  readonly rows: number;
  readonly bytes: number;
  readonly batches?: readonly RecordBatch[];
  readonly family?: string;
  pins: number;
  /** Out of the map (evicted or replaced): dropped when the last pin goes. */
  evicted: boolean;
}

/** Renders a read's key; values keep their types (bigint, bytes) apart from look-alikes. */
export function readCacheKey(parts: ReadCacheKeyParts): string {
  return keyText([
    parts.source,
    parts.schema,
    parts.table,
    parts.snapshot,
    parts.projection,
    parts.filters,
    parts.limit ?? null,
    parts.orderBy ?? null,
  ]);
}

/**
 * `value` (filters, requests: JSON-like, with scalar values) as text two
 * values share only when they are equal: bigints, bytes, NaN, ±Infinity and
 * -0 kept apart from the look-alikes JSON would give them.
 */
export function keyText(value: unknown): string {
  return JSON.stringify(value, (_key, v: ScalarValue | object) => {
    if (typeof v === 'bigint') return { bigint: v.toString() };
    // JSON spells NaN and ±Infinity as null, and -0 as 0: filters on them would share a key.
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)))
      return { number: Object.is(v, -0) ? '-0' : String(v) };
    if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('base64') };
    return v;
  });
}

/** What an entry counts against the budget: its rows, twice when kept as Arrow too, and the table's overhead. */
function chargedBytes(entry: Entry, overhead: number): number {
  return entry.bytes * (entry.batches ? 2 : 1) + overhead;
}

/** Loaded reads by key, within a byte budget (see the file's comment). */
export class ReadCache {
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  readonly entryOverheadBytes: number;
  /** In least-recently-used order: a hit moves its entry to the end. */
  readonly #entries = new Map<string, Entry>();
  /** Kept entries per family (the key with an empty snapshot). */
  readonly #families = new Map<string, number>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #nextTable = 0;
  /** Drops run one at a time on a connection of the cache's own. */
  #dropTail: Promise<unknown> = Promise.resolve();
  #connection: Promise<DuckDBConnection> | undefined;
  #closed = false;

  constructor(
    readonly instance: DuckDBInstance,
    options: ReadCacheOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxEntryBytes = options.maxEntryBytes ?? Math.floor(this.maxBytes / 4);
    this.entryOverheadBytes = options.entryOverheadBytes ?? ENTRY_OVERHEAD_BYTES;
    if (!(this.maxBytes >= 0) || !(this.maxEntryBytes >= 0) || !(this.entryOverheadBytes >= 0))
      throw new RangeError('readCache sizes must be non-negative numbers of bytes');
  }

  /** The kept table for `key`, pinned; `undefined` (counted as a miss) when there is none. */
  acquire(key: string): PinnedRead | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return this.#pin(entry);
  }

  /** Whether a read is kept under `key` (nothing pinned, nothing counted). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Whether a read is kept under `key` with its Arrow batches (nothing pinned, nothing counted). */
  holdsBatches(key: string): boolean {
    return this.#entries.get(key)?.batches !== undefined;
  }

  /**
   * Whether a read of `family` — a key made with an empty snapshot — is kept
   * for some snapshot (nothing pinned, nothing counted): the planner's
   * question, answered without asking the table for its snapshot. A kept read
   * of an older snapshot still says yes; the query then reads the source.
   */
  holdsFamily(family: string): boolean {
    return (this.#families.get(family) ?? 0) > 0;
  }

  /** A fresh name for a table about to be loaded for the cache. */
  newTable(): string {
    return `__spoke_read_${this.#nextTable++}`;
  }

  /**
   * Keeps `table` (just loaded in `main`) under `key` and pins it for the
   * caller. When `keep` is false, it is too large, or another query kept the
   * same key meanwhile, it is not kept: it is dropped once the caller
   * releases it. `batches`, the same rows as Arrow, are kept with the table
   * (and their bytes charged a second time); `family` is the key made with
   * an empty snapshot ({@link holdsFamily}).
   */
  add(
    key: string,
    table: string,
    rows: number,
    bytes: number,
    keep = true,
    batches?: readonly RecordBatch[],
    family?: string,
  ): PinnedRead {
    const entry: Entry = {
      key,
      table,
      rows,
      bytes,
      ...(batches ? { batches } : {}),
      ...(family !== undefined ? { family } : {}),
      pins: 0,
      evicted: true,
    };
    if (!keep || this.#closed || bytes > this.maxEntryBytes || this.#entries.has(key))
      return this.#pin(entry);
    entry.evicted = false;
    this.#entries.set(key, entry);
    if (family !== undefined) this.#families.set(family, (this.#families.get(family) ?? 0) + 1);
    this.#bytes += chargedBytes(entry, this.entryOverheadBytes);
    const pinned = this.#pin(entry);
    this.#evictOverBudget();
    return pinned;
  }

  /** Drops a table that was being loaded for the cache and never kept (the load failed). */
  discard(table: string): void {
    this.#drop(table);
  }

  stats(): ReadCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      entries: this.#entries.size,
      bytes: this.#bytes,
    };
  }

  /** Forgets every entry (their tables go with the instance) and stops keeping new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
    this.#families.clear();
    this.#bytes = 0;
    await this.#dropTail;
    if (this.#connection) (await this.#connection.catch(() => undefined))?.closeSync();
  }

  #pin(entry: Entry): PinnedRead {
    entry.pins++;
    let released = false;
    return {
      table: entry.table,
      rows: entry.rows,
      bytes: entry.bytes,
      kept: !entry.evicted,
      ...(entry.batches ? { batches: entry.batches } : {}),
      release: () => {
        if (released) return;
        released = true;
        entry.pins--;
        if (entry.evicted && entry.pins === 0) this.#drop(entry.table);
      },
    };
  }

  #evictOverBudget(): void {
    for (const entry of this.#entries.values()) {
      if (this.#bytes <= this.maxBytes) return;
      this.#entries.delete(entry.key);
      this.#forgetFamily(entry);
      this.#bytes -= chargedBytes(entry, this.entryOverheadBytes);
      this.#evictions++;
      entry.evicted = true;
      if (entry.pins === 0) this.#drop(entry.table);
    }
  }

  #forgetFamily(entry: Entry): void {
    if (entry.family === undefined) return;
    const left = (this.#families.get(entry.family) ?? 1) - 1;
    if (left > 0) this.#families.set(entry.family, left);
    else this.#families.delete(entry.family);
  }

  #drop(table: string): void {
    if (this.#closed) return;
    this.#connection ??= this.instance.connect();
    const connection = this.#connection;
    // Best effort: a table that cannot be dropped (the instance is closing) goes with the instance.
    this.#dropTail = this.#dropTail
      .then(async () => (await connection).run(`DROP TABLE IF EXISTS main."${table}"`))
      .catch(() => undefined);
  }
}
