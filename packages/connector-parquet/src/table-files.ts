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

/** What to list for a table, and which listed objects are its files. */
function matcher(location: TableLocation): {
  listPrefix: string;
  accept: (meta: ObjectMeta) => boolean;
  base: string;
  globbed: boolean;
} {
  const { path } = location;
  const globAt = path.search(GLOB_CHARS);
  if (globAt >= 0) {
    const listPrefix = path.slice(0, path.lastIndexOf('/', globAt) + 1);
    const re = globToRegExp(path);
    return {
      listPrefix,
      base: listPrefix,
      accept: (m) => re.test(m.key) && isDataFile(m.key),
      globbed: true,
    };
  }
  if (path.endsWith('/') || path === '')
    return {
      listPrefix: path,
      base: path,
      accept: (m) => m.key.startsWith(path) && isDataFile(m.key),
      globbed: false,
    };
  // A single object, or a prefix written without its slash.
  return {
    listPrefix: path,
    base: path.endsWith('.parquet') ? path.slice(0, path.lastIndexOf('/') + 1) : `${path}/`,
    accept: (m) => (m.key === path || m.key.startsWith(`${path}/`)) && isDataFile(m.key),
    globbed: false,
  };
}

/**
 * The table's data files among `objects` (a listing of its prefix, or of a
 * prefix above it, such as discovery's listing of the whole root), sorted by key.
 */
export function tableFilesOf(objects: Iterable<ObjectMeta>, location: TableLocation): FileRef[] {
  const { accept, base, globbed } = matcher(location);
  const files: FileRef[] = [];
  for (const meta of objects) {
    if (!accept(meta)) continue;
    files.push({
      key: meta.key,
      size: meta.size,
      etag: meta.etag,
      ...(meta.lastModified ? { lastModified: meta.lastModified } : {}),
      partitions: location.partitioning === 'hive' ? hivePartitions(meta.key, globbed ? '' : base) : {},
    });
  }
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return files;
}

/** Lists the table's data files, sorted by key. */
export async function listTableFiles(
  store: ObjectStore,
  location: TableLocation,
  signal?: AbortSignal,
): Promise<FileRef[]> {
  const objects: ObjectMeta[] = [];
  for await (const meta of store.list(matcher(location).listPrefix, signal)) objects.push(meta);
  return tableFilesOf(objects, location);
}

/** A listing already at hand, and when it was taken (a table's first load reuses discovery's). */
export interface Listing {
  readonly at: number;
  readonly objects: readonly ObjectMeta[];
}

/**
 * When no tables are configured: each top-level prefix (or top-level
 * `.parquet` object) is a table. The listing comes back too, so each table's
 * first load need not list its prefix again.
 */
export async function discoverTables(
  store: ObjectStore,
  signal?: AbortSignal,
): Promise<{ tables: Map<string, TableLocation>; listing: Listing }> {
  const tables = new Map<string, TableLocation>();
  const at = Date.now();
  const objects: ObjectMeta[] = [];
  for await (const meta of store.list('', signal)) {
    objects.push(meta);
    if (!isDataFile(meta.key)) continue;
    const slash = meta.key.indexOf('/');
    if (slash > 0) {
      const name = meta.key.slice(0, slash);
      if (!tables.has(name)) tables.set(name, { path: `${name}/`, partitioning: 'hive' });
    } else if (meta.key.endsWith('.parquet')) {
      tables.set(meta.key.slice(0, -'.parquet'.length), { path: meta.key, partitioning: 'hive' });
    }
  }
  return { tables, listing: { at, objects } };
}
