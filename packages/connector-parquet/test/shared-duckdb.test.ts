/**
 * The DuckDB decoder instance is shared by the process's Parquet connectors
 * (`shared-duckdb.ts`): a second connector decodes on the instance the
 * first started, closing one connector leaves the others decoding, and the
 * instance closes once no connector holds it (after the idle delay), a
 * later connector starting a new one. Answers compared with DuckDB's on
 * the same files; subset files are gone once a connector is closed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Ex, Types } from '@spoke/core';
import { createParquetConnector, type ParquetConnector } from '../src/index.js';
import {
  holdSharedDuckDB,
  releaseSharedDuckDB,
  setSharedDuckDBIdleClose,
  sharedDuckDB,
} from '../src/shared-duckdb.js';
import { cleanup, collect, duck, request, tempDir, toRows } from './helpers.js';

const ctx = { sourceName: 'lake', baseDir: '/' };
let db: Awaited<ReturnType<typeof duck>>;
let local: string;
const dirs: string[] = [];

before(async () => {
  db = await duck();
  local = tempDir();
  dirs.push(local);
  mkdirSync(join(local, 't'));
  for (let f = 0; f < 2; f++)
    await db.conn.run(
      `COPY (SELECT i::BIGINT AS id, 'c' || (i % 7) AS cat FROM range(${f * 20000}, ${(f + 1) * 20000}) t(i))
       TO '${join(local, 't', `p${f}.parquet`)}' (FORMAT parquet, ROW_GROUP_SIZE 4000)`,
    );
});

after(() => {
  db?.close();
  cleanup(dirs);
});

/** A selective scan of t on `c`, checked against DuckDB on the same files. */
async function checkScan(c: ParquetConnector, lo: number): Promise<void> {
  const table = await c.catalog.getTable('main', 't');
  assert.ok(table);
  const filter = Ex.between(
    Ex.col('id'),
    Ex.lit(BigInt(lo), Types.int64),
    Ex.lit(BigInt(lo + 4999), Types.int64),
  );
  const got = toRows(await collect(table, request(['id', 'cat'], [filter])));
  const want = await db.rows(
    `SELECT id, cat FROM read_parquet('${join(local, 't', '*.parquet')}') WHERE id BETWEEN ${lo} AND ${lo + 4999} ORDER BY id`,
  );
  assert.equal(got.length, 5000);
  assert.deepEqual(
    got.sort((a, b) => Number(a.id) - Number(b.id)),
    want.map((r) => ({ id: BigInt(r.id as number), cat: r.cat })),
  );
}

describe('the shared DuckDB decoder instance', () => {
  test('connectors share one instance; closing one leaves the others decoding', async () => {
    const cacheA = tempDir();
    dirs.push(cacheA);
    const a = await createParquetConnector({ url: local, cacheDirectory: cacheA }, ctx);
    const b = await createParquetConnector({ url: local }, ctx);
    try {
      await checkScan(a, 17_000);
      await checkScan(b, 3_000);
      await a.close();
      // b decodes on the same instance a used: a's close must not have closed it.
      await checkScan(b, 25_000);
      // a's scratch directory (with its subset files) is gone.
      assert.deepEqual(
        readdirSync(cacheA).filter((n) => n.startsWith('spoke-parquet-')),
        [],
      );
    } finally {
      await a.close();
      await b.close();
    }
    const c = await createParquetConnector({ url: local }, ctx);
    try {
      await checkScan(c, 33_000);
    } finally {
      await c.close();
    }
  });

  test('the instance closes once no holder is left (after the idle delay); the next holder starts another', async () => {
    const previous = setSharedDuckDBIdleClose(20);
    try {
      holdSharedDuckDB();
      const first = await sharedDuckDB();
      holdSharedDuckDB();
      assert.equal(await sharedDuckDB(), first, 'a second holder gets the same instance');
      releaseSharedDuckDB();
      await delay(60);
      assert.equal(await sharedDuckDB(), first, 'still held by one: still open');
      (await first.connect()).closeSync();
      releaseSharedDuckDB();
      // Held again within the delay: kept.
      holdSharedDuckDB();
      await delay(60);
      assert.equal(await sharedDuckDB(), first);
      releaseSharedDuckDB();
      await delay(80);
      await assert.rejects(first.connect(), 'closed once no holder is left');
      holdSharedDuckDB();
      const second = await sharedDuckDB();
      assert.notEqual(second, first);
      (await second.connect()).closeSync();
      releaseSharedDuckDB();
    } finally {
      setSharedDuckDBIdleClose(previous);
    }
  });
});
