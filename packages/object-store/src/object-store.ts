/**
 * The one async API every backend implements: get, ranged get, head, put,
 * list by prefix, delete. Keys are relative to the store's root (a bucket and
 * prefix, a directory, a named memory space) and use `/` as the separator;
 * there are no directories, only key prefixes.
 */

/**
 * Where an object sits on the cost/latency ladder. Tiering moves an object
 * between classes without changing its key, so caches and manifests stay valid.
 */
export type StorageClass = 'hot' | 'standard' | 'infrequent' | 'archive';

/** The storage classes, hottest first. */
export const STORAGE_CLASSES: readonly StorageClass[] = ['hot', 'standard', 'infrequent', 'archive'];

/** What a store knows about one object without reading it. */
export interface ObjectMeta {
  /** The key, relative to the store root. */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /** Changes whenever the bytes change (S3 ETag, or size+mtime for files). Caches key mutable objects by it. */
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
  readonly storageClass: StorageClass;
}

/** A half-open byte range `[start, end)`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Options for {@link ObjectStore.get}. */
export interface GetOptions {
  /** Only these bytes (clamped to the object's size). */
  readonly range?: ByteRange;
  readonly signal?: AbortSignal;
}

/** Options for {@link ObjectStore.put}. */
export interface PutOptions {
  /** Recorded as object metadata; defaults to the backend's natural class. */
  readonly storageClass?: StorageClass;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** Counters every backend keeps, so tests and benchmarks can prove what was fetched. */
export interface TransferStats {
  /** GET requests (whole or ranged). */
  gets: number;
  /** Bytes returned by GETs. */
  bytesRead: number;
  /** HEAD requests. */
  heads: number;
  /** PUT requests (a multipart upload counts each part). */
  puts: number;
  /** Bytes written. */
  bytesWritten: number;
  /** LIST requests (pages). */
  lists: number;
}

/** A fresh, zeroed {@link TransferStats}. */
export function emptyTransferStats(): TransferStats {
  return { gets: 0, bytesRead: 0, heads: 0, puts: 0, bytesWritten: 0, lists: 0 };
}

/** The backend-neutral object API. */
export interface ObjectStore {
  /** The URL the store was opened with (`s3://bucket/prefix/`, `file:///dir/`, `memory://name/`). */
  readonly url: string;
  /** Transfer counters since the store was opened (or last reset). */
  readonly stats: TransferStats;
  /** The object's bytes, or a range of them. Throws `SOURCE_ERROR` with `details.notFound` when missing. */
  get(key: string, options?: GetOptions): Promise<Uint8Array>;
  /** The object's metadata, or `undefined` when it does not exist. */
  head(key: string, signal?: AbortSignal): Promise<ObjectMeta | undefined>;
  /** Writes the object whole (large bodies go up in parts where the backend supports it). */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectMeta>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectMeta>;
  /** Deletes the object; deleting a missing object is not an error. */
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** The absolute URL of `key` (for messages and cache keys). */
  urlOf(key: string): string;
  /** Releases clients and handles. */
  close(): Promise<void>;
}
