import { createHash } from 'node:crypto';
import { checkKey, clampRange, objectNotFound } from './errors.js';
import {
  emptyTransferStats,
  type GetOptions,
  type ObjectMeta,
  type ObjectStore,
  type PutOptions,
  type TransferStats,
} from './object-store.js';

interface MemoryObject {
  readonly bytes: Uint8Array;
  readonly meta: ObjectMeta;
}

// Named spaces outlive a store instance so that two stores opened on the same
// `memory://name` URL (a writer and a reader in a test) see the same objects.
const spaces = new Map<string, Map<string, MemoryObject>>();

/** Objects held in process memory: for tests and for hot in-process data. */
export class MemoryObjectStore implements ObjectStore {
  readonly stats: TransferStats = emptyTransferStats();
  readonly #objects: Map<string, MemoryObject>;

  constructor(readonly url: string) {
    const name = url.replace(/^memory:\/\//, '').replace(/\/+$/, '');
    const space = spaces.get(name) ?? new Map<string, MemoryObject>();
    spaces.set(name, space);
    this.#objects = space;
  }

  urlOf(key: string): string {
    return `${this.url.replace(/\/+$/, '')}/${key}`;
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const object = this.#objects.get(key);
    if (!object) throw objectNotFound(this.urlOf(key));
    const { start, end } = clampRange(options.range, object.bytes.byteLength);
    this.stats.gets++;
    this.stats.bytesRead += end - start;
    return object.bytes.slice(start, end);
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    this.stats.heads++;
    return this.#objects.get(key)?.meta;
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<ObjectMeta> {
    checkKey(key);
    const bytes = body.slice();
    const meta: ObjectMeta = {
      key,
      size: bytes.byteLength,
      etag: createHash('md5').update(bytes).digest('hex'),
      lastModified: new Date(),
      storageClass: options.storageClass ?? 'hot',
    };
    this.#objects.set(key, { bytes, meta });
    this.stats.puts++;
    this.stats.bytesWritten += bytes.byteLength;
    return meta;
  }

  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    this.stats.lists++;
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const object = this.#objects.get(key);
      if (object) yield object.meta;
    }
  }

  async delete(key: string): Promise<void> {
    this.#objects.delete(key);
  }

  async close(): Promise<void> {}

  /** Drops a named memory space (tests). */
  static clear(name: string): void {
    spaces.delete(name);
  }
}
