import { SpokeError } from '@spoke/core';
import { DiskCache } from './disk-cache.js';
import { type CacheStats, LruMemoryCache } from './lru-memory-cache.js';
import type { GetOptions, ObjectMeta, ObjectStore, PutOptions, TransferStats } from './object-store.js';
import { withRequestSignal } from './request-signal.js';

/** Options for {@link CachingObjectStore}. */
export interface CacheOptions {
  /** L1 (memory) budget in bytes. Default 256 MiB; 0 turns L1 off. */
  readonly memoryBytes?: number;
  /** L2 (local disk) directory; L2 is off without one. */
  readonly diskDirectory?: string;
  /** L2 budget in bytes. Default 4 GiB. */
  readonly diskBytes?: number;
  /**
   * Keys whose bytes never change for a given key (versioned fragments,
   * content-addressed blobs): cached without an ETag, so no HEAD is needed.
   * Default: keys that start with a tenant and contain `/blobs/sha256-` or a `/v<digits>/` version segment.
   */
  readonly isImmutable?: (key: string) => boolean;
}

/** Options for a cached {@link CachingObjectStore.get}. */
export interface CachedGetOptions extends GetOptions {
  /**
   * The object's current ETag, when the caller already has it (from a HEAD or
   * a listing): the cache entry is keyed by it, so a changed object misses.
   */
  readonly etag?: string;
}

/** L2 writes still in flight beyond this many bytes make a read wait for them (bounded memory). */
const MAX_PENDING_L2_BYTES = 64 * 1024 * 1024;

const DEFAULT_IMMUTABLE = (key: string): boolean =>
  /(^|\/)blobs\/sha256-[0-9a-f]{64}$/.test(key) || /(^|\/)v\d+\//.test(key);

/**
 * A store whose reads go through L1 (memory) and L2 (local disk) caches,
 * both LRU with byte budgets, keyed by the object's URL, its ETag (for
 * mutable locations) and the byte range. Immutable keys need no
 * invalidation: a new version is a new key. A read of a range already being
 * read waits for that read instead of sending another GET (a scan asking for
 * bytes a prefetch has on their way, two queries on the same data).
 */
export class CachingObjectStore implements ObjectStore {
  readonly l1: LruMemoryCache | undefined;
  readonly l2: DiskCache | undefined;
  readonly #isImmutable: (key: string) => boolean;
  readonly #pendingL2 = new Set<Promise<void>>();
  #pendingL2Bytes = 0;
  /** Reads in flight (past L1), by cache key. */
  readonly #reading = new Map<string, Promise<Uint8Array>>();

  constructor(
    readonly inner: ObjectStore,
    options: CacheOptions = {},
  ) {
    const memory = options.memoryBytes ?? 256 * 1024 * 1024;
    this.l1 = memory > 0 ? new LruMemoryCache(memory) : undefined;
    this.l2 = options.diskDirectory
      ? new DiskCache(options.diskDirectory, options.diskBytes ?? 4 * 1024 ** 3)
      : undefined;
    this.#isImmutable = options.isImmutable ?? DEFAULT_IMMUTABLE;
  }

  get url(): string {
    return this.inner.url;
  }

  /** The backend's transfer counters: what actually left the cache. */
  get stats(): TransferStats {
    return this.inner.stats;
  }

  /** Both levels' counters. */
  cacheStats(): { l1: CacheStats | undefined; l2: CacheStats | undefined } {
    return { l1: this.l1?.stats, l2: this.l2?.stats };
  }

  urlOf(key: string): string {
    return this.inner.urlOf(key);
  }

  async get(key: string, options: CachedGetOptions = {}): Promise<Uint8Array> {
    let etag = options.etag;
    if (etag === undefined && !this.#isImmutable(key)) {
      const meta = await this.inner.head(key, options.signal);
      etag = meta?.etag ?? 'missing';
    }
    const range = options.range ? `${options.range.start}-${options.range.end}` : 'all';
    const cacheKey = `${this.inner.urlOf(key)}\n${etag ?? 'immutable'}\n${range}`;
    const fromL1 = this.l1?.get(cacheKey);
    if (fromL1) return fromL1;
    const shared = this.#reading.get(cacheKey);
    if (shared) {
      try {
        return await waitFor(shared, options.signal);
      } catch (error) {
        // Cancelled: so are we. The other read failed (it was cancelled itself, or the store refused): read anew.
        if (options.signal?.aborted) throw error;
      }
    }
    const reading = this.#read(key, options, cacheKey);
    this.#reading.set(cacheKey, reading);
    const forget = () => {
      if (this.#reading.get(cacheKey) === reading) this.#reading.delete(cacheKey);
    };
    reading.then(forget, forget);
    return reading;
  }

  /** A read past L1: L2, else the store (then L1 and, behind the answer, L2). */
  async #read(key: string, options: CachedGetOptions, cacheKey: string): Promise<Uint8Array> {
    const fromL2 = await this.l2?.get(cacheKey);
    if (fromL2) {
      this.l1?.set(cacheKey, fromL2);
      return fromL2;
    }
    const bytes = await this.inner.get(key, options);
    this.l1?.set(cacheKey, bytes);
    if (this.l2) await this.#storeL2(this.l2, cacheKey, bytes);
    return bytes;
  }

  /**
   * Writes to L2 behind the read: the caller gets its bytes without waiting
   * for the disk (a cold scan would otherwise write each range before
   * decoding it). A failed write only costs a later miss. Past
   * {@link MAX_PENDING_L2_BYTES} in flight, the read waits for them.
   */
  async #storeL2(l2: DiskCache, cacheKey: string, bytes: Uint8Array): Promise<void> {
    const write = l2.set(cacheKey, bytes).catch(() => undefined);
    this.#pendingL2.add(write);
    this.#pendingL2Bytes += bytes.byteLength;
    void write.then(() => {
      this.#pendingL2.delete(write);
      this.#pendingL2Bytes -= bytes.byteLength;
    });
    if (this.#pendingL2Bytes > MAX_PENDING_L2_BYTES) await this.flush();
  }

  /** Waits for the L2 writes in flight (a new cache on the same directory then sees them). */
  async flush(): Promise<void> {
    while (this.#pendingL2.size > 0) await Promise.all([...this.#pendingL2]);
  }

  head(key: string, signal?: AbortSignal): Promise<ObjectMeta | undefined> {
    return this.inner.head(key, signal);
  }

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectMeta> {
    return this.inner.put(key, body, options);
  }

  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectMeta> {
    return this.inner.list(prefix, signal);
  }

  delete(key: string, signal?: AbortSignal): Promise<void> {
    return this.inner.delete(key, signal);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.inner.close();
  }
}

/**
 * Waits for another caller's read, or until `signal` aborts (then throws
 * `QUERY_CANCELLED`; the read goes on for its own caller). One abort listener
 * per signal however many reads wait on it (`request-signal.ts`).
 */
function waitFor(read: Promise<Uint8Array>, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (!signal) return read;
  if (signal.aborted) return Promise.reject(SpokeError.cancelled(signal));
  return withRequestSignal(
    signal,
    (own) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const onAbort = () => reject(SpokeError.cancelled(signal));
        own?.addEventListener('abort', onAbort, { once: true });
        read.then(resolve, reject).finally(() => own?.removeEventListener('abort', onAbort));
      }),
  );
}
