/**
 * `percentile_cont` answers double precision, as PostgreSQL's does, over
 * numeric and real columns (DuckDB's own keeps DECIMAL / FLOAT); over
 * integers it already did, `percentile_disc` keeps its input type in both.
 * (DuckDB has no `percentile_cont` over intervals: such a query is refused, as before.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { arrow } from '@spoke/core';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';

let dir: string;
let engine: FederatedEngine;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-percentile-'));
  const path = join(dir, 'shop.duckdb');
  const db = await DuckDBInstance.create(path);
  const c = await db.connect();
  await c.run(`CREATE TABLE sales AS SELECT i AS id, i % 3 AS g, CAST(i * 1.25 AS DECIMAL(12,2)) AS amount,
    CAST(i / 3.0 AS REAL) AS ratio FROM range(1, 12) t(i)`);
  c.closeSync();
  db.closeSync();
  engine = await createEngine({
    sources: { shop: await duckdb.create({ path }, { sourceName: 'shop', baseDir: dir }) },
  });
});

after(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('percentile_cont', () => {
  test('over numeric and real columns: double precision, as in PostgreSQL', async () => {
    const [batch] = await collectBatches(
      await engine.query(`SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY s.amount) AS a,
        percentile_cont(0.25) WITHIN GROUP (ORDER BY ratio) AS r, percentile_cont(0.5) WITHIN GROUP (ORDER BY id) AS i,
        percentile_disc(0.5) WITHIN GROUP (ORDER BY amount) AS d
        FROM shop.sales s GROUP BY g ORDER BY g`),
    );
    const types = Object.fromEntries(batch!.schema.fields.map((f) => [f.name, f.type]));
    assert.ok(
      arrow.DataType.isFloat(types.a) && types.a.precision === arrow.Precision.DOUBLE,
      String(types.a),
    );
    assert.ok(
      arrow.DataType.isFloat(types.r) && types.r.precision === arrow.Precision.DOUBLE,
      String(types.r),
    );
    assert.ok(arrow.DataType.isFloat(types.i), String(types.i));
    assert.ok(arrow.DataType.isDecimal(types.d), `percentile_disc keeps numeric: ${types.d}`);
    // Values as PostgreSQL computes them: over the amounts as double precision.
    const rows = batch!.toArray().map((r) => r.toJSON());
    // g = 0: ids 3, 6, 9 → amounts 3.75, 7.5, 11.25; g = 1: 1, 4, 7, 10 → 1.25, 5, 8.75, 12.5 (median 6.875); g = 2: 2.5, 6.25, 10, 13.75.
    assert.deepEqual(
      rows.map((r) => r.a),
      [7.5, 6.875, 8.125],
    );
    // g = 1, ratios of 1, 4, 7, 10 as real: the 25th percentile of their double values (PostgreSQL casts first).
    const [r1, r4] = [Math.fround(1 / 3), Math.fround(4 / 3)];
    assert.ok(Math.abs((rows[1]!.r as number) - (r1 + 0.75 * (r4 - r1))) < 1e-12, String(rows[1]!.r));
  });
});
