import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CacheStats, emptyCacheStats } from './lru-memory-cache.js';

/**
 * L2: byte arrays as files in a local directory, least recently used evicted
 * first, bounded by a byte budget. Entries found in the directory at start
 * are kept (oldest first in LRU order), so the cache survives a restart.
 */
export class DiskCache {
  readonly stats: CacheStats = emptyCacheStats();
  readonly #entries = new Map<string, number>();

  constructor(
    readonly directory: string,
    readonly budgetBytes: number,
  ) {
    mkdirSync(directory, { recursive: true });
    const found = readdirSync(directory)
      .filter((name) => name.endsWith('.bin'))
      .map((name) => {
        const s = statSync(join(directory, name));
        return { name, size: s.size, mtime: s.mtimeMs };
      })
      .sort((a, b) => a.mtime - b.mtime);
    for (const f of found) {
      this.#entries.set(f.name, f.size);
      this.stats.bytes += f.size;
      this.stats.entries++;
    }
  }

  #file(key: string): string {
    return `${createHash('sha256').update(key).digest('hex')}.bin`;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const name = this.#file(key);
    const size = this.#entries.get(name);
    if (size === undefined) {
      this.stats.misses++;
      return undefined;
    }
    try {
      // A view of the Buffer readFile made (its own memory): `new Uint8Array(buffer)` would copy it.
      const buffer = await readFile(join(this.directory, name));
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      this.#entries.delete(name);
      this.#entries.set(name, size);
      this.stats.hits++;
      this.stats.bytesServed += bytes.byteLength;
      return bytes;
    } catch {
      // Removed behind our back (another process, a cleaner): a miss, not an error.
      this.#forget(name, size);
      this.stats.misses++;
      return undefined;
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    if (value.byteLength > this.budgetBytes) return;
    const name = this.#file(key);
    const old = this.#entries.get(name);
    if (old !== undefined) this.#forget(name, old);
    const temp = join(this.directory, `${name}.${randomUUID()}.tmp`);
    await writeFile(temp, value);
    await rename(temp, join(this.directory, name));
    this.#entries.set(name, value.byteLength);
    this.stats.bytes += value.byteLength;
    this.stats.entries++;
    this.stats.bytesStored += value.byteLength;
    const evict: string[] = [];
    for (const [n, size] of this.#entries) {
      if (this.stats.bytes <= this.budgetBytes) break;
      this.#forget(n, size);
      this.stats.evictions++;
      evict.push(n);
    }
    await Promise.all(evict.map((n) => rm(join(this.directory, n), { force: true })));
  }

  #forget(name: string, size: number): void {
    this.#entries.delete(name);
    this.stats.bytes -= size;
    this.stats.entries--;
  }
}
