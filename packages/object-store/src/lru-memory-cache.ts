/** Counters a cache level keeps. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Bytes answered from this level. */
  bytesServed: number;
  /** Bytes written into this level. */
  bytesStored: number;
  evictions: number;
  /** Entries and bytes held now. */
  entries: number;
  bytes: number;
}

/** A fresh, zeroed {@link CacheStats}. */
export function emptyCacheStats(): CacheStats {
  return { hits: 0, misses: 0, bytesServed: 0, bytesStored: 0, evictions: 0, entries: 0, bytes: 0 };
}

/** L1: byte arrays in process memory, least recently used evicted first, bounded by a byte budget. */
export class LruMemoryCache {
  readonly stats: CacheStats = emptyCacheStats();
  // A Map iterates in insertion order; re-inserting on each hit makes the first key the least recently used.
  readonly #entries = new Map<string, Uint8Array>();

  constructor(readonly budgetBytes: number) {}

  get(key: string): Uint8Array | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.stats.hits++;
    this.stats.bytesServed += value.byteLength;
    return value;
  }

  set(key: string, value: Uint8Array): void {
    if (value.byteLength > this.budgetBytes) return;
    const old = this.#entries.get(key);
    if (old) {
      this.#entries.delete(key);
      this.stats.bytes -= old.byteLength;
      this.stats.entries--;
    }
    this.#entries.set(key, value);
    this.stats.bytes += value.byteLength;
    this.stats.entries++;
    this.stats.bytesStored += value.byteLength;
    for (const [k, v] of this.#entries) {
      if (this.stats.bytes <= this.budgetBytes) break;
      this.#entries.delete(k);
      this.stats.bytes -= v.byteLength;
      this.stats.entries--;
      this.stats.evictions++;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.stats.bytes = 0;
    this.stats.entries = 0;
  }
}
