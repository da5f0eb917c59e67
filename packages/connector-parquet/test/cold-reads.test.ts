/**
 * Cold reads on S3 (issue 20, item 5): footers and column ranges fetched
 * concurrently and ahead of the decoder across objects, footers cached on
 * disk by URL + ETag (surviving a new connector, invalidated by an
 * overwrite), cancellation stopping the GETs in flight, and answers equal
 * to DuckDB's on the same files. GETs are observed by wrapping the
 * connector's S3 store (s3rver underneath, real requests).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ErrorCode, Ex, SpokeError, Types } from '@spoke/core';
import type { GetOptions, ObjectStore } from '@spoke/object-store';
import { openStore } from '@spoke/object-store';
import { type S3Server, startS3Server } from '../../../test/harness/s3-server.js';
import { createParquetConnector, type ParquetConnector, type ParquetTable } from '../src/index.js';
import { cleanup, collect, duck, request, s3Options, tempDir, toRows, uploadDir } from './helpers.js';

const ctx = { sourceName: 'lake', baseDir: '/' };
const FILES = 6;
const ROWS = 40_000;
let s3: S3Server;
let db: Awaited<ReturnType<typeof duck>>;
let local: string;
const dirs: string[] = [];

const rowsOf = (from: number, to: number) =>
  `SELECT i::BIGINT AS id, (hash(i) % 1000000)::BIGINT AS v, 'c' || (i % 13) AS cat FROM range(${from}, ${to}) t(i)`;

before(async () => {
  s3 = await startS3Server({ buckets: ['cold'] });
  db = await duck();
  local = tempDir();
  dirs.push(local);
  mkdirSync(join(local, 'multi'));
  for (let f = 0; f < FILES; f++)
    await db.conn.run(
      `COPY (${rowsOf(f * ROWS, (f + 1) * ROWS)}) TO '${join(local, 'multi', `p${f}.parquet`)}' (FORMAT parquet, ROW_GROUP_SIZE 5000)`,
    );
  await uploadDir(s3, local, 'cold', 'lake/');
});

after(async () => {
  db?.close();
  await s3?.close();
  cleanup(dirs);
});

/** Watches the GETs a connector's S3 store sends: how many at once, to which objects, and a delay per GET. */
function watch(c: ParquetConnector, delayMs: number | ((key: string) => number) = 0) {
  const inner = c.store.inner as ObjectStore & { get: ObjectStore['get'] };
  const original = inner.get.bind(inner);
  const w = { inFlight: 0, peak: 0, gets: 0, aborted: 0, keys: [] as string[] };
  inner.get = async (key: string, options?: GetOptions) => {
    w.inFlight++;
    w.peak = Math.max(w.peak, w.inFlight);
    w.gets++;
    w.keys.push(key);
    try {
      // A slower link, so that overlap and cancellation are visible; the request itself is real.
      const ms = typeof delayMs === 'number' ? delayMs : delayMs(key);
      if (ms > 0) await delay(ms, undefined, options?.signal ? { signal: options.signal } : {});
      return await original(key, options);
    } catch (error) {
      if (options?.signal?.aborted) w.aborted++;
      throw error;
    } finally {
      w.inFlight--;
    }
  };
  return w;
}

const connect = (extra: Record<string, unknown> = {}) =>
  createParquetConnector(
    { url: 's3://cold/lake/', s3: { ...s3Options(s3), forcePathStyle: 'true' }, ...extra },
    ctx,
  );

describe('cold reads on S3', () => {
  test('footers are fetched concurrently, one speculative tail GET per object', async () => {
    const c = await connect();
    const w = watch(c, 15);
    const t = await c.catalog.getTable('main', 'multi');
    assert.ok(t);
    await t.schema();
    assert.equal(w.gets, FILES, 'one GET per footer (the 64 KiB tail holds it)');
    assert.ok(w.peak >= FILES, `all ${FILES} footers in flight at once (peak ${w.peak})`);
    assert.equal(c.metrics().footers_fetched, FILES);
    await c.close();
  });

  test('column ranges are fetched concurrently and ahead of the decoder, across objects', async () => {
    const c = await connect();
    const t = await c.catalog.getTable('main', 'multi');
    assert.ok(t);
    await t.schema();
    const w = watch(c, 15);
    const objectsAtFirstBatch: number[] = [];
    let sum = 0n;
    let rows = 0;
    for await (const b of t.scan(request(['v']))) {
      if (objectsAtFirstBatch.length === 0) objectsAtFirstBatch.push(new Set(w.keys).size);
      rows += b.numRows;
      for (const v of b.getChildAt(0) as unknown as Iterable<bigint>) sum += v;
    }
    assert.ok(w.peak > 1 && w.peak <= 8, `GETs in flight at once: ${w.peak} (bounded by 8)`);
    assert.ok(
      (objectsAtFirstBatch[0] ?? 0) >= 2,
      `by the first batch, ranges of ${objectsAtFirstBatch[0]} objects were requested (read-ahead crosses objects)`,
    );
    const [expected] = await db.rows(
      `SELECT sum(v)::BIGINT AS s, count(*)::BIGINT AS n FROM read_parquet('${join(local, 'multi', '*.parquet')}')`,
    );
    assert.equal(sum, expected?.s);
    assert.equal(BigInt(rows), expected?.n);
    await c.close();
  });

  test('a selective filter and a limit answer as DuckDB does on the same files', async () => {
    const c = await connect();
    const t = await c.catalog.getTable('main', 'multi');
    assert.ok(t);
    const glob = `'${join(local, 'multi', '*.parquet')}'`;
    const filter = Ex.and(
      Ex.between(Ex.col('id'), Ex.lit(37_000n, Types.int64), Ex.lit(83_999n, Types.int64)),
      Ex.cmp('=', Ex.col('cat'), Ex.lit('c7', Types.utf8)),
    );
    const got = toRows(await collect(t, request(['id', 'v', 'cat'], [filter])));
    const want = await db.rows(
      `SELECT id, v, cat FROM read_parquet(${glob}) WHERE id BETWEEN 37000 AND 83999 AND cat = 'c7' ORDER BY id`,
    );
    assert.equal(got.length, want.length);
    assert.ok(want.length > 3000);
    assert.deepEqual(
      got.sort((a, b) => Number((a.id as bigint) - (b.id as bigint))),
      want.map((r) => ({ id: r.id, v: r.v, cat: r.cat })),
    );
    // A limit without filters reads only the row groups it needs (no read-ahead beyond one part).
    const w = watch(c);
    const limited = toRows(await collect(t, request(['id'], [], { limit: 7 })));
    assert.deepEqual(
      limited.map((r) => r.id),
      [0n, 1n, 2n, 3n, 4n, 5n, 6n],
    );
    assert.ok(w.gets <= 2, `a 7-row limit sent ${w.gets} GETs`);
    await c.close();
  });

  test('footers survive a new connector on the same cache directory; an overwrite (new ETag) refetches', async () => {
    const cacheDirectory = tempDir('spoke-pq-cache-');
    dirs.push(cacheDirectory);
    const first = await connect({ cacheDirectory });
    await (await first.catalog.getTable('main', 'multi'))?.schema();
    assert.equal(first.metrics().footers_fetched, FILES);
    await first.close();

    // A restart: footers from disk, no GET at all to learn the schema and statistics.
    const second = await connect({ cacheDirectory });
    const w = watch(second);
    const t2 = await second.catalog.getTable('main', 'multi');
    assert.ok(t2);
    await t2.schema();
    const stats = await (t2 as ParquetTable).statistics();
    assert.equal(stats?.rowCount?.value, FILES * ROWS);
    assert.equal(w.gets, 0, 'footers read from the disk cache');
    assert.equal(second.metrics().footer_disk_hits, FILES);
    assert.equal(second.metrics().footers_fetched, 0);
    await second.close();

    // Overwrite one object with other rows (and a column more): its ETag changes.
    const other = join(local, 'other.parquet');
    await db.conn.run(
      `COPY (SELECT i::BIGINT AS id, 7::BIGINT AS v, 'new' AS cat, i * 2 AS extra FROM range(1000000, 1000123) t(i)) TO '${other}' (FORMAT parquet)`,
    );
    const raw = openStore('s3://cold/lake/', { s3: s3Options(s3) });
    await raw.put('multi/p3.parquet', new Uint8Array(readFileSync(other)));
    await raw.close();
    const third = await connect({ cacheDirectory });
    const w3 = watch(third);
    const t3 = await third.catalog.getTable('main', 'multi');
    assert.ok(t3);
    const schema = await t3.schema();
    assert.ok(
      schema.fields.some((f) => f.name === 'extra'),
      'the new footer is read',
    );
    assert.equal(third.metrics().footers_fetched, 1, 'only the overwritten object');
    assert.equal(third.metrics().footer_disk_hits, FILES - 1);
    assert.deepEqual(w3.keys, ['multi/p3.parquet']);
    const rows = toRows(
      await collect(
        t3,
        request(['id', 'extra'], [Ex.cmp('>=', Ex.col('id'), Ex.lit(1_000_000n, Types.int64))]),
      ),
    );
    assert.equal(rows.length, 123);
    assert.equal(rows[0]?.extra, 2_000_000n);
    // Put the original back for the other tests.
    const back = openStore('s3://cold/lake/', { s3: s3Options(s3) });
    await back.put('multi/p3.parquet', new Uint8Array(readFileSync(join(local, 'multi', 'p3.parquet'))));
    await back.close();
    await third.close();
  });

  test('cancelling a scan aborts its GETs in flight; an early stop aborts the read-ahead', async () => {
    const c = await connect();
    const t = await c.catalog.getTable('main', 'multi');
    assert.ok(t);
    await t.schema();
    // Later objects answer later (p0 after 30 ms, p5 after 180 ms): the first batch comes while they are in flight.
    const slower = (key: string) => 30 * (1 + Number(/p(\d)\.parquet$/.exec(key)?.[1] ?? 0));
    const w = watch(c, slower);
    const controller = new AbortController();
    await assert.rejects(
      (async () => {
        for await (const _ of t.scan(request(['id', 'v', 'cat'], [], { signal: controller.signal }))) {
          controller.abort();
        }
      })(),
      (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.QUERY_CANCELLED,
    );
    await delay(100);
    assert.equal(w.inFlight, 0, 'nothing left in flight');
    assert.ok(w.aborted > 0, 'GETs in flight were aborted');
    const sent = w.gets;
    // An early stop (the consumer leaves after one batch): the read-ahead is aborted, not fetched to the end.
    const w2 = watch(c, slower);
    for await (const _ of t.scan(request(['id', 'v', 'cat']))) break;
    await delay(100);
    assert.equal(w2.inFlight, 0);
    assert.ok(w2.aborted > 0, 'read-ahead GETs were aborted');
    assert.ok(sent > 0);
    await c.close();
  });

  test("a first scan's column ranges are requested as each footer arrives, not after the slowest, and only once", async () => {
    const c = await connect();
    const t = await c.catalog.getTable('main', 'multi');
    assert.ok(t);
    // p5's GETs take 400 ms; the rows wanted are all in p2.
    const log: { key: string; start: number; end: number; range: string }[] = [];
    const inner = c.store.inner as ObjectStore & { get: ObjectStore['get'] };
    const original = inner.get.bind(inner);
    const t0 = performance.now();
    inner.get = async (key: string, options?: GetOptions) => {
      const start = performance.now() - t0;
      if (key.endsWith('p5.parquet'))
        await delay(400, undefined, options?.signal ? { signal: options.signal } : {});
      const bytes = await original(key, options);
      log.push({ key, start, end: performance.now() - t0, range: JSON.stringify(options?.range) });
      return bytes;
    };
    const filter = Ex.between(Ex.col('id'), Ex.lit(81_000n, Types.int64), Ex.lit(82_999n, Types.int64));
    const got = toRows(await collect(t, request(['id', 'v', 'cat'], [filter])));
    const want = await db.rows(
      `SELECT id, v, cat FROM read_parquet('${join(local, 'multi', '*.parquet')}') WHERE id BETWEEN 81000 AND 82999 ORDER BY id`,
    );
    assert.equal(got.length, 2000);
    assert.deepEqual(
      got.sort((a, b) => Number((a.id as bigint) - (b.id as bigint))),
      want.map((r) => ({ id: r.id, v: r.v, cat: r.cat })),
    );
    const slowFooter = log.find((g) => g.key.endsWith('p5.parquet'));
    const p2 = log.filter((g) => g.key.endsWith('p2.parquet'));
    assert.ok(slowFooter && p2.length >= 2, JSON.stringify(log));
    const data = p2.slice(1); // the first is p2's footer
    assert.ok(
      data.every((g) => g.start < slowFooter.end - 200),
      `p2's ranges requested at ${data.map((g) => g.start.toFixed(0))} ms, p5's footer came at ${slowFooter.end.toFixed(0)} ms`,
    );
    // The scan's own requests for those ranges were served by the prefetch's: each range went out once.
    const ranges = log.map((g) => `${g.key} ${g.range}`);
    assert.equal(new Set(ranges).size, ranges.length, `a range was fetched twice: ${ranges.join(', ')}`);
    assert.equal(log.length, FILES + data.length);
    await c.close();
  });

  test('a first scan cancelled while its footers load stops the ranges it prefetched', async () => {
    const c = await connect();
    const t = await c.catalog.getTable('main', 'multi');
    assert.ok(t);
    const w = watch(c, (key) => (key.endsWith('p5.parquet') ? 400 : 40));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await assert.rejects(
      collect(t, request(['id', 'v', 'cat'], [], { signal: controller.signal })),
      (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.QUERY_CANCELLED,
    );
    await delay(100);
    assert.equal(w.inFlight, 0, 'nothing left in flight');
    assert.ok(w.gets > FILES, `ranges were prefetched before the cancel (${w.gets} GETs)`);
    assert.ok(w.aborted > 0, 'GETs in flight were aborted');
    await c.close();
  });
});
