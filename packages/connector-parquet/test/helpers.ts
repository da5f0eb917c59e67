import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { arrow, type RecordBatch, type ScanRequest, type SpokeTable } from '@spoke/core';
import { openStore } from '@spoke/object-store';
import type { S3Server } from '../../../test/harness/s3-server.js';

/** A DuckDB in-memory database used to write fixtures and compute expected answers. */
export async function duck() {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  return {
    conn,
    async rows(sql: string): Promise<Record<string, unknown>[]> {
      return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    },
    close() {
      conn.closeSync();
      db.closeSync();
    },
  };
}

export function tempDir(prefix = 'spoke-pq-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function s3Options(s3: S3Server) {
  return {
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    region: s3.region,
  };
}

/** Uploads every file under `dir` to `s3://bucket/prefix/…`. */
export async function uploadDir(s3: S3Server, dir: string, bucket: string, prefix: string): Promise<void> {
  const store = openStore(`s3://${bucket}/${prefix}`, { s3: s3Options(s3) });
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  for (const file of walk(dir))
    await store.put(relative(dir, file).split(sep).join('/'), new Uint8Array(readFileSync(file)));
  await store.close();
}

export function request(
  projection: string[],
  filters: ScanRequest['filters'] = [],
  extra: Partial<ScanRequest> = {},
): ScanRequest {
  return {
    projection,
    filters,
    signal: new AbortController().signal,
    context: { user: 'test', roles: [], queryId: 'q' } as never,
    ...extra,
  };
}

export async function collect(table: SpokeTable, req: ScanRequest): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of table.scan(req)) out.push(b);
  return out;
}

/** Rows as plain objects (bigints kept), for comparisons. */
export function toRows(batches: RecordBatch[]): Record<string, unknown>[] {
  if (batches.length === 0) return [];
  const t = new arrow.Table(batches);
  return t.toArray().map((r) => ({ ...(r as { toJSON(): Record<string, unknown> }).toJSON() }));
}

export function cleanup(dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
