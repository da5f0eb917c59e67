/**
 * When a DuckDB source's data last changed (`SpokeConnector.freshness`):
 * the database file's mtime (or its write-ahead log's, whichever is later)
 * for the source — an estimate, as a checkpoint rewrites the file without
 * changing data — and, for tables over Parquet/CSV files, the latest mtime of
 * their files, exact. An in-memory database with no files cannot say.
 */
import { stat } from 'node:fs/promises';
import { laterEstimate, type SourceFreshness, type TableFreshness, throwIfAborted } from '@spoke/core';
import { FILES_SCHEMA } from './duckdb-catalog.js';

/** A file's mtime, or undefined when it does not exist (a WAL after a checkpoint). */
async function mtime(path: string): Promise<Date | undefined> {
  try {
    return (await stat(path)).mtime;
  } catch {
    return undefined;
  }
}

/**
 * Reads the files' times; see the file comment.
 *
 * @param path - the database file, when there is one
 * @param fileTables - the files of each `files:` table, by table name
 */
export async function duckdbFreshness(
  path: string | undefined,
  fileTables: ReadonlyMap<string, readonly string[]>,
  signal?: AbortSignal,
): Promise<SourceFreshness | undefined> {
  let latest: TableFreshness['lastModified'];
  if (path !== undefined) {
    for (const file of [path, `${path}.wal`]) {
      const at = await mtime(file);
      if (at) latest = laterEstimate(latest, { value: at, exact: false });
    }
  }
  const tables: TableFreshness[] = [];
  for (const [name, files] of fileTables) {
    throwIfAborted(signal);
    let at: Date | undefined;
    for (const file of files) {
      const m = await mtime(file);
      if (m && (!at || m > at)) at = m;
    }
    const lastModified = at ? { value: at, exact: true } : undefined;
    tables.push({ schema: FILES_SCHEMA, table: name, ...(lastModified ? { lastModified } : {}) });
    latest = laterEstimate(latest, lastModified);
  }
  if (path === undefined && fileTables.size === 0) return undefined;
  return { method: 'file mtime', ...(latest ? { lastModified: latest } : {}), tables };
}
