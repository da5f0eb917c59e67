/**
 * Which objects make up a table: a glob or a prefix under the connector's
 * root, with hive partition values (`year=2024/month=05/`) read from the path.
 */
import type { ObjectMeta, ObjectStore } from '@spoke/object-store';
import type { FileRef } from './parquet-file.js';

/** How a table's files are found. */
export interface TableLocation {
  /** A key prefix (`sales/`), a single object (`sales.parquet`) or a glob (`sales/**\/*.parquet`). */
  readonly path: string;
  /** `hive`: `name=value` path segments become columns. `none`: they are ignored. */
  readonly partitioning: 'hive' | 'none';
}

const GLOB_CHARS = /[*?[{]/;

/** Converts a glob (`*`, `**`, `?`, `{a,b}`) to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      const end = glob.indexOf('}', i);
      re += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map(escapeRegExp)
        .join('|')})`;
      i = end;
    } else re += escapeRegExp(ch);
  }
  return new RegExp(`^${re}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
}

function isDataFile(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  // Writers leave markers (`_SUCCESS`), checksums (`.crc`) and temporary files beside the data.
  return !name.startsWith('_') && !name.startsWith('.') && !name.endsWith('.crc') && !name.endsWith('.tmp');
}

/** Hive partition values in `key` below `base`, in path order. */
export function hivePartitions(key: string, base: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const rel = key.startsWith(base) ? key.slice(base.length) : key;
  const segments = rel.split('/').slice(0, -1);
  for (const seg of segments) {
    const eq = seg.indexOf('=');
    if (eq <= 0) continue;
    const value = decodeURIComponent(seg.slice(eq + 1));
    out[decodeURIComponent(seg.slice(0, eq))] = value === '__HIVE_DEFAULT_PARTITION__' ? null : value;
  }
  return out;
}

/** Lists the table's data files, sorted by key. */
export async function listTableFiles(
  store: ObjectStore,
  location: TableLocation,
  signal?: AbortSignal,
): Promise<FileRef[]> {
  const { path } = location;
  const globAt = path.search(GLOB_CHARS);
  let listPrefix: string;
  let accept: (meta: ObjectMeta) => boolean;
  let base: string;
  if (globAt >= 0) {
    listPrefix = path.slice(0, path.lastIndexOf('/', globAt) + 1);
    base = listPrefix;
    const re = globToRegExp(path);
    accept = (m) => re.test(m.key) && isDataFile(m.key);
  } else if (path.endsWith('/') || path === '') {
    listPrefix = base = path;
    accept = (m) => isDataFile(m.key);
  } else {
    // A single object, or a prefix written without its slash.
    listPrefix = path;
    base = path.slice(0, path.lastIndexOf('/') + 1);
    accept = (m) => (m.key === path || m.key.startsWith(`${path}/`)) && isDataFile(m.key);
    if (!path.endsWith('.parquet')) base = `${path}/`;
  }
  const files: FileRef[] = [];
  for await (const meta of store.list(listPrefix, signal)) {
    if (!accept(meta)) continue;
    files.push({
      key: meta.key,
      size: meta.size,
      etag: meta.etag,
      ...(meta.lastModified ? { lastModified: meta.lastModified } : {}),
      partitions: location.partitioning === 'hive' ? hivePartitions(meta.key, globAt >= 0 ? '' : base) : {},
    });
  }
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return files;
}

/** When no tables are configured: each top-level prefix (or top-level `.parquet` object) is a table. */
export async function discoverTables(
  store: ObjectStore,
  signal?: AbortSignal,
): Promise<Map<string, TableLocation>> {
  const tables = new Map<string, TableLocation>();
  for await (const meta of store.list('', signal)) {
    if (!isDataFile(meta.key)) continue;
    const slash = meta.key.indexOf('/');
    if (slash > 0) {
      const name = meta.key.slice(0, slash);
      if (!tables.has(name)) tables.set(name, { path: `${name}/`, partitioning: 'hive' });
    } else if (meta.key.endsWith('.parquet')) {
      tables.set(meta.key.slice(0, -'.parquet'.length), { path: meta.key, partitioning: 'hive' });
    }
  }
  return tables;
}
