/**
 * uuid, json and interval arrive as text but keep their PostgreSQL type (the
 * field's `spoke.pg_type`) from a DuckDB source, through the residual engine
 * (loaded as UUID/JSON/INTERVAL again) and out: what the Postgres wire then
 * describes to clients. Intervals read in PostgreSQL's output style.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { PG_TYPE_METADATA_KEY } from '@spoke/core';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';

let dir: string;
let engine: FederatedEngine;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-text-types-'));
  const file = join(dir, 't.duckdb');
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  await c.run(`CREATE TABLE t AS
    SELECT 1 AS id, '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID AS u,
           INTERVAL '1 year 2 months 3 days 04:05:06' AS i, '{"a": 1}'::JSON AS j
    UNION ALL SELECT 2, NULL, INTERVAL '-1 day 2 hours', NULL`);
  c.closeSync();
  db.closeSync();
  engine = await createEngine({
    sources: { d: await duckdb.create({ path: file }, { sourceName: 'd', baseDir: dir }) },
  });
});

after(async () => {
  await engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const [path, sql] of [
  ['read from the source', 'SELECT u, i, j FROM d.t ORDER BY id'],
  [
    'through the residual (a self-join)',
    'SELECT a.u, a.i, a.j FROM d.t a JOIN d.t b ON a.id = b.id ORDER BY a.id',
  ],
] as const) {
  test(`uuid, interval and json keep their PostgreSQL types, ${path}`, async () => {
    const result = await engine.query(sql);
    assert.deepEqual(
      result.schema.fields.map((f) => f.metadata.get(PG_TYPE_METADATA_KEY)),
      ['uuid', 'interval', 'json'],
    );
    const rows = (await collectBatches(result)).flatMap((b) => b.toArray().map((r) => r.toJSON()));
    assert.deepEqual(
      rows.map((r) => [r.u, r.i]),
      [
        ['6ba7b810-9dad-11d1-80b4-00c04fd430c8', '1 year 2 mons 3 days 04:05:06'],
        [null, '-1 days +02:00:00'],
      ],
    );
    assert.deepEqual(JSON.parse(String(rows[0]?.j)), { a: 1 });
  });
}
