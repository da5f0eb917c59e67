import { ErrorCode, SpokeError } from '@spoke/core';

/** `spoke://{tenant}/{dataset}/{version}/{fragment}`: a path-based key, immutable once written. */
export interface FragmentKey {
  readonly kind: 'fragment';
  readonly tenant: string;
  readonly dataset: string;
  readonly version: string;
  /** May contain `/` (`manifest`, `data/part-0001.parquet`). */
  readonly fragment: string;
}

/** `spoke://{tenant}/blobs/sha256-{hex}`: a content-addressed key, shared by every version and dataset. */
export interface BlobKey {
  readonly kind: 'blob';
  readonly tenant: string;
  /** Lower-case hex SHA-256 of the bytes. */
  readonly sha256: string;
}

/** Either kind of Spoke object key. */
export type SpokeKey = FragmentKey | BlobKey;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=-]*$/;

function check(value: string, what: string, whole: string): string {
  if (!SEGMENT.test(value))
    throw new SpokeError(ErrorCode.INVALID_QUERY, `invalid ${what} "${value}" in object key "${whole}"`);
  return value;
}

/** Parses a `spoke://` key, refusing anything that is neither form. */
export function parseSpokeKey(key: string): SpokeKey {
  if (!key.startsWith('spoke://'))
    throw new SpokeError(ErrorCode.INVALID_QUERY, `"${key}" is not a spoke:// key`);
  const parts = key.slice('spoke://'.length).split('/');
  const [tenant = '', second = '', third = ''] = parts;
  check(tenant, 'tenant', key);
  if (second === 'blobs') {
    const match = /^sha256-([0-9a-f]{64})$/.exec(third);
    if (!match?.[1] || parts.length !== 3)
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `"${key}": a blob key is spoke://tenant/blobs/sha256-<64 hex digits>`,
      );
    return { kind: 'blob', tenant, sha256: match[1] };
  }
  if (parts.length < 4)
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `"${key}": expected spoke://{tenant}/{dataset}/{version}/{fragment}`,
    );
  check(second, 'dataset', key);
  check(third, 'version', key);
  for (const part of parts.slice(3)) check(part, 'fragment', key);
  return { kind: 'fragment', tenant, dataset: second, version: third, fragment: parts.slice(3).join('/') };
}

/** Formats a key back to its `spoke://` form. */
export function formatSpokeKey(key: SpokeKey): string {
  return key.kind === 'blob'
    ? `spoke://${key.tenant}/blobs/sha256-${key.sha256}`
    : `spoke://${key.tenant}/${key.dataset}/${key.version}/${key.fragment}`;
}

/** The backend location (store-relative key) a Spoke key resolves to: the same path below the store root. */
export function storeKeyOf(key: SpokeKey | string): string {
  const k = typeof key === 'string' ? parseSpokeKey(key) : key;
  return formatSpokeKey(k).slice('spoke://'.length);
}
