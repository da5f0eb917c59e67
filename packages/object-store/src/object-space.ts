import { createHash } from 'node:crypto';
import type { GetOptions, ObjectMeta, ObjectStore, PutOptions } from './object-store.js';
import { type BlobKey, formatSpokeKey, parseSpokeKey, storeKeyOf } from './spoke-key.js';

/**
 * The Spoke key space over one backend: resolves
 * `spoke://{tenant}/{dataset}/{version}/{fragment}` and
 * `spoke://{tenant}/blobs/sha256-…` keys to locations in the store, and
 * writes content-addressed blobs once.
 */
export class ObjectSpace {
  constructor(readonly store: ObjectStore) {}

  /** The store location of a Spoke key. */
  locate(spokeKey: string): string {
    return storeKeyOf(spokeKey);
  }

  get(spokeKey: string, options?: GetOptions): Promise<Uint8Array> {
    return this.store.get(this.locate(spokeKey), options);
  }

  head(spokeKey: string, signal?: AbortSignal): Promise<ObjectMeta | undefined> {
    return this.store.head(this.locate(spokeKey), signal);
  }

  /** Writes a path-based fragment (a manifest, a data file of one version). */
  put(spokeKey: string, bytes: Uint8Array, options?: PutOptions): Promise<ObjectMeta> {
    return this.store.put(this.locate(spokeKey), bytes, options);
  }

  /**
   * Stores `bytes` under their SHA-256 and returns the blob's key. Writing
   * the same bytes again (from any dataset or version) finds the blob and
   * uploads nothing.
   */
  async putBlob(
    tenant: string,
    bytes: Uint8Array,
    options?: PutOptions,
  ): Promise<{ key: string; written: boolean }> {
    const blob: BlobKey = { kind: 'blob', tenant, sha256: createHash('sha256').update(bytes).digest('hex') };
    const key = formatSpokeKey(blob);
    parseSpokeKey(key); // validates the tenant
    const location = storeKeyOf(blob);
    const existing = await this.store.head(location, options?.signal);
    if (existing && existing.size === bytes.byteLength) return { key, written: false };
    await this.store.put(location, bytes, options);
    return { key, written: true };
  }

  /** Every Spoke key under a tenant (and optionally a dataset and version). */
  async *list(tenant: string, dataset?: string, version?: string): AsyncIterable<string> {
    const prefix = [tenant, dataset, version].filter((p) => p !== undefined).join('/');
    for await (const meta of this.store.list(`${prefix}/`)) yield `spoke://${meta.key}`;
  }
}
