import { ErrorCode, SpokeError } from '@spoke/core';
import { FileObjectStore } from './file-store.js';
import { MemoryObjectStore } from './memory-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore, type S3Options } from './s3-store.js';

/** Options for {@link openStore}: what each backend needs beyond its URL. */
export interface OpenStoreOptions {
  /** Used for `s3://` URLs. */
  readonly s3?: S3Options;
}

/**
 * Opens the backend a URL names, chosen at run time:
 * `memory://name/`, `file:///abs/dir/`, `s3://bucket/prefix/`.
 * Keys given to the store are relative to that root.
 */
export function openStore(url: string, options: OpenStoreOptions = {}): ObjectStore {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  switch (scheme) {
    case 'memory':
      return new MemoryObjectStore(url);
    case 'file':
      return new FileObjectStore(url);
    case 's3':
    case 's3a':
      return new S3ObjectStore(url.replace(/^s3a:/i, 's3:'), options.s3);
    default:
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `"${url}": unsupported object store URL (expected memory://, file:// or s3://)`,
      );
  }
}

/**
 * Splits an object URL into the store holding it (its parent "directory") and
 * its key: `s3://b/lake/x.parquet` → store `s3://b/lake/`, key `x.parquet`.
 */
export function openObject(url: string, options: OpenStoreOptions = {}): { store: ObjectStore; key: string } {
  const slash = url.lastIndexOf('/');
  if (slash < 0 || slash === url.length - 1 || url.slice(0, slash).endsWith(':/'))
    throw new SpokeError(ErrorCode.INVALID_QUERY, `"${url}" does not name an object`);
  return {
    store: openStore(url.slice(0, slash + 1), options),
    key: decodeURIComponent(url.slice(slash + 1)),
  };
}
