/**
 * Writes into the lake through the connector's own store: `CREATE TABLE
 * lake.t AS SELECT …` makes `<url>/t/part-0.parquet`, and `INSERT INTO
 * lake.t SELECT …` adds another `part-…` object beside it. A table is a
 * prefix of Parquet objects (as discovery and `tables` already read them),
 * so a new one is listed and readable at once, and each write is one new
 * object: readers see all of it or none of it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, type RecordBatch, type Schema, SpokeError, throwIfAborted } from '@spoke/core';
import type { ParquetSource } from './parquet-table.js';
import { encodeParquetFile, PARQUET_CONTENT_TYPE } from './write-parquet.js';

/** The object a new table's first rows go to, below the connector's url. */
export function firstPartKey(table: string): string {
  return `${table}/part-0.parquet`;
}

/**
 * The object an append goes to: after every earlier part in key order (a
 * time stamp), unique across writers (a random suffix).
 */
export function nextPartKey(prefix: string): string {
  const stamp = Date.now().toString().padStart(15, '0');
  return `${prefix}part-${stamp}-${randomUUID().slice(0, 8)}.parquet`;
}

/**
 * Refuses table names that would not come back as the same table: a name
 * must be one path segment, and discovery skips objects whose name starts
 * with `_` or `.`.
 */
export function checkTableName(name: string, sourceName: string): void {
  if (
    !name ||
    /[/\\]/.test(name) ||
    name.startsWith('_') ||
    name.startsWith('.') ||
    name.endsWith('.parquet')
  )
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `"${name}" cannot name a Parquet table: use one path segment, not starting with "_" or "." nor ending in ".parquet"`,
      { source: sourceName },
    );
}

/** True when any object already answers to the table name (`name/…` or `name.parquet`). */
export async function tableObjectsExist(
  source: ParquetSource,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if (await source.store.head(`${name}.parquet`, signal)) return true;
  for await (const _ of source.store.list(`${name}/`, signal)) return true;
  return false;
}

/**
 * Encodes `batches` as Parquet (DuckDB, in a scratch directory) and puts the
 * file at `key` through the connector's store. Returns the rows written.
 */
export async function putParquetObject(
  source: ParquetSource,
  key: string,
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
  signal: AbortSignal,
  /** An existing table's schema: the object gets its columns and types (see `encodeParquetFile`). */
  as?: Schema,
): Promise<number> {
  const { store } = source;
  const dir = await mkdtemp(join(source.scratchParent ?? tmpdir(), 'spoke-parquet-write-'));
  try {
    const path = join(dir, 'part.parquet');
    const { rows } = await encodeParquetFile(path, batches, {
      schema,
      signal,
      tempDirectory: dir,
      target: store.urlOf(key),
      ...(as ? { as } : {}),
    });
    throwIfAborted(signal);
    await store.put(key, new Uint8Array(await readFile(path)), { contentType: PARQUET_CONTENT_TYPE, signal });
    return rows;
  } catch (error) {
    if (signal.aborted) throw SpokeError.cancelled(signal);
    if (SpokeError.isInstance(error)) throw error;
    throw new SpokeError(
      ErrorCode.SOURCE_ERROR,
      `writing ${store.urlOf(key)} failed: ${(error as Error)?.message ?? String(error)}`,
      { cause: error, source: source.sourceName, details: { object: store.urlOf(key) } },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
