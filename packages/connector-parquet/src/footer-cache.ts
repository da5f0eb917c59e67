/**
 * Parquet footers, cached in memory (parsed) and on disk (their raw Thrift
 * bytes, under `<cacheDirectory>/footers/`), keyed by the object's URL and
 * the ETag its listing gave: an overwritten object has a new ETag, so its
 * old footer is never served. A new connector on the same cache directory
 * (a restart, another gateway worker) reads its footers from disk instead of
 * one GET per object.
 *
 * On a miss the footer is fetched in one speculative GET of the object's
 * tail (which holds the footer of most files), plus one more GET only when
 * the footer is larger than that.
 */
import { join } from 'node:path';
import { type CachingObjectStore, DiskCache } from '@spoke/object-store';
import { parquetMetadata } from 'hyparquet';
import { corrupt, type FileRef, type Footer, SPOKE_PARSERS } from './parquet-file.js';

/** The tail fetched first: the footer of most files, length and magic included. */
export const FOOTER_FETCH = 64 * 1024;

/** Counters, for tests and metrics. */
export interface FooterCacheStats {
  /** Footers read from the disk cache. */
  diskHits: number;
  /** Footers fetched from the object store. */
  fetched: number;
}

/** Parsed footers of one connector, backed by an optional disk cache. */
export class FooterCache {
  readonly stats: FooterCacheStats = { diskHits: 0, fetched: 0 };
  readonly #memory = new Map<string, Promise<Footer>>();
  readonly #disk: DiskCache | undefined;
  readonly #writes = new Set<Promise<void>>();

  constructor(
    readonly store: CachingObjectStore,
    readonly sourceName: string,
    /** The connector's `cacheDirectory`; no disk cache without one. */
    cacheDirectory?: string,
    diskBytes = 256 * 1024 * 1024,
  ) {
    this.#disk = cacheDirectory ? new DiskCache(join(cacheDirectory, 'footers'), diskBytes) : undefined;
  }

  /** The footer of `file`, from memory, disk or the store (one request per object at a time). */
  get(file: FileRef, signal?: AbortSignal): Promise<Footer> {
    const key = this.#key(file);
    let footer = this.#memory.get(key);
    if (!footer) {
      footer = this.#load(file, key, signal);
      this.#memory.set(key, footer);
      footer.catch(() => this.#memory.delete(key));
    }
    return footer;
  }

  #key(file: FileRef): string {
    // Without an ETag, size and time stand in for it (a rewrite of equal size in the same second would not show).
    const version = file.etag ?? `${file.size}@${file.lastModified?.getTime() ?? 'unknown'}`;
    return `${this.store.urlOf(file.key)}\n${version}\n${file.size}`;
  }

  async #load(file: FileRef, key: string, signal?: AbortSignal): Promise<Footer> {
    const { store, sourceName } = this;
    if (file.size < 12) throw corrupt(store, file, new Error(`only ${file.size} bytes`), sourceName);
    const cached = await this.#disk?.get(key);
    if (cached) {
      try {
        const footer = parseTail(cached, file.size);
        this.stats.diskHits++;
        return footer;
      } catch {
        // A damaged cache file: fetch the footer again (and overwrite the entry).
      }
    }
    const tail = await fetchTail(store, file, signal, sourceName);
    this.stats.fetched++;
    let footer: Footer;
    try {
      footer = parseTail(tail, file.size);
    } catch (error) {
      throw corrupt(store, file, error, sourceName);
    }
    // Only the footer, its length and magic go to disk, not the whole speculative tail.
    if (this.#disk) {
      // Written behind the answer; a failed write only costs a later fetch.
      const write = this.#disk
        .set(key, tail.subarray(tail.byteLength - footer.raw.byteLength - 8))
        .catch(() => undefined);
      this.#writes.add(write);
      void write.then(() => this.#writes.delete(write));
    }
    return footer;
  }

  /** Waits for the disk writes in flight (the connector's `close()` does). */
  async flush(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all([...this.#writes]);
  }
}

/**
 * The object's tail holding the whole footer: one GET of the last
 * {@link FOOTER_FETCH} bytes (straight from the store: the parsed footer is
 * what is cached), and one more for the rest of a larger footer.
 */
async function fetchTail(
  store: CachingObjectStore,
  file: FileRef,
  signal: AbortSignal | undefined,
  sourceName: string,
): Promise<Uint8Array> {
  const get = (start: number, end: number) =>
    store.inner.get(file.key, { range: { start, end }, ...(signal ? { signal } : {}) });
  const from = Math.max(0, file.size - FOOTER_FETCH);
  const tail = await get(from, file.size);
  if (tail.byteLength !== file.size - from)
    throw corrupt(
      store,
      file,
      new Error(`expected ${file.size} bytes, the object ended at ${from + tail.byteLength}`),
      sourceName,
    );
  checkMagic(tail, store, file, sourceName);
  const length = new DataView(tail.buffer, tail.byteOffset + tail.byteLength - 8, 4).getUint32(0, true);
  if (length + 8 > file.size - 4)
    throw corrupt(
      store,
      file,
      new Error(`footer length ${length} exceeds the object's ${file.size} bytes`),
      sourceName,
    );
  if (length + 8 <= tail.byteLength) return tail;
  const head = await get(file.size - 8 - length, from);
  const whole = new Uint8Array(head.byteLength + tail.byteLength);
  whole.set(head);
  whole.set(tail, head.byteLength);
  return whole;
}

function checkMagic(tail: Uint8Array, store: CachingObjectStore, file: FileRef, sourceName: string): void {
  const n = tail.byteLength;
  if (tail[n - 4] !== 0x50 || tail[n - 3] !== 0x41 || tail[n - 2] !== 0x52 || tail[n - 1] !== 0x31)
    throw corrupt(store, file, new Error('no PAR1 magic at its end: not a Parquet object'), sourceName);
}

/** Parses a buffer ending with `footer, length, PAR1` (statistics decoded with {@link SPOKE_PARSERS}). */
function parseTail(tail: Uint8Array, size: number): Footer {
  const n = tail.byteLength;
  const length = new DataView(tail.buffer, tail.byteOffset + n - 8, 4).getUint32(0, true);
  if (length + 8 > n) throw new Error(`footer of ${length} bytes, ${n - 8} at hand`);
  const metadata = parquetMetadata(tail.subarray(n - 8 - length), { parsers: SPOKE_PARSERS });
  // A copy: the tail's buffer may be much larger than the footer, and the raw footer lives as long as it is cached.
  const raw = tail.slice(n - 8 - length, n - 8);
  return { metadata, raw, start: size - 8 - length };
}
