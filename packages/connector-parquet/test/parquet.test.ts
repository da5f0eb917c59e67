import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Ex, SpokeError, Types } from '@spoke/core';
import { openStore } from '@spoke/object-store';
import { parquetWriteFile } from 'hyparquet-writer';
import { type S3Server, startS3Server } from '../../../test/harness/s3-server.js';
import {
  createParquetConnector,
  type ParquetConnector,
  type ParquetTable,
  writeParquet,
} from '../src/index.js';
import { cleanup, collect, duck, request, s3Options, tempDir, toRows, uploadDir } from './helpers.js';

const ctx = { sourceName: 'lake', baseDir: '/' };
let s3: S3Server;
let db: Awaited<ReturnType<typeof duck>>;
let local: string;
const dirs: string[] = [];

const SALES = `SELECT i::BIGINT AS id, (i * 1.25)::DECIMAL(12,2) AS amount,
  (i * 1234567.891011)::DECIMAL(38,6) AS big,
  CASE WHEN i % 10 = 0 THEN NULL ELSE 'name-' || i END AS name,
  TIMESTAMP '2024-01-01 00:00:00.123456' + to_microseconds(i * 1000003) AS ts,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS tz,
  DATE '2020-01-01' + (i % 1000)::INT AS d,
  [i, i + 1] AS tags, {'k': i % 7, 'v': 'x' || (i % 3)} AS info,
  i % 3 = 0 AS flag, i / 3.0 AS ratio, repeat('p', 40) || i AS payload
  FROM range(20000) t(i)`;

before(async () => {
  s3 = await startS3Server({ buckets: ['lake'] });
  db = await duck();
  local = tempDir();
  dirs.push(local);
  const q = (p: string) => `'${join(local, p)}'`;
  for (const d of ['merged', 'clash']) mkdirSync(join(local, d));
  await db.conn.run(`COPY (${SALES}) TO ${q('sales.parquet')} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  await db.conn.run(
    `CREATE TABLE ev AS SELECT i AS id, 2022 + (i % 3) AS year, 1 + (i % 2) AS month, 'e' || i AS note FROM range(3000) t(i)`,
  );
  await db.conn.run(`COPY ev TO '${join(local, 'events')}' (FORMAT parquet, PARTITION_BY (year, month))`);
  // Schema merge: the second file adds a column.
  await db.conn.run(`COPY (SELECT i AS id, 'a' || i AS s FROM range(5) t(i)) TO ${q('merged/a.parquet')}`);
  await db.conn.run(
    `COPY (SELECT i + 5 AS id, 'b' || i AS s, i * 2.5 AS extra FROM range(5) t(i)) TO ${q('merged/b.parquet')}`,
  );
  await db.conn.run(`COPY (SELECT i AS id FROM range(5) t(i)) TO ${q('clash/a.parquet')}`);
  // Another writer's file, with page indexes and bloom filters after the row groups (DuckDB writes neither).
  mkdirSync(join(local, 'indexed'));
  await parquetWriteFile({
    filename: join(local, 'indexed', 'x.parquet'),
    columnData: [
      {
        name: 'id',
        data: BigInt64Array.from({ length: 5000 }, (_, i) => BigInt(i)),
        type: 'INT64',
        nullable: false,
        columnIndex: true,
        bloomFilter: true,
      },
      {
        name: 'name',
        data: Array.from({ length: 5000 }, (_, i) => (i % 10 === 0 ? null : `n${i % 50}`)),
        type: 'STRING',
        columnIndex: true,
        bloomFilter: true,
      },
      {
        name: 'x',
        data: Float64Array.from({ length: 5000 }, (_, i) => i / 4),
        type: 'DOUBLE',
        columnIndex: true,
      },
    ],
    rowGroupSize: 1000,
    pageSize: 1024,
  });
  // A MAP column: Spoke carries it as JSON text, DuckDB as a MAP.
  mkdirSync(join(local, 'maps'));
  await db.conn.run(`COPY (SELECT i AS id, MAP {'k': i} AS m FROM range(10) t(i)) TO ${q('maps/m.parquet')}`);
  await db.conn.run(`COPY (SELECT 'x' || i AS id FROM range(5) t(i)) TO ${q('clash/b.parquet')}`);
  await uploadDir(s3, local, 'lake', 'warehouse/');
  // Corrupt and truncated objects, on S3 only.
  const raw = openStore('s3://lake/warehouse/', { s3: s3Options(s3) });
  const good = await raw.get('merged/a.parquet');
  await raw.put('truncated/t.parquet', good.subarray(0, good.byteLength - 20));
  await raw.put('garbage/g.parquet', new TextEncoder().encode('this is not parquet at all, not even close'));
  const badFooter = good.slice();
  badFooter.fill(7, badFooter.byteLength - 200, badFooter.byteLength - 8);
  await raw.put('badfooter/b.parquet', badFooter);
  await raw.close();
});

after(async () => {
  db?.close();
  await s3?.close();
  cleanup(dirs);
});

async function lake(extra: Record<string, unknown> = {}): Promise<ParquetConnector> {
  return createParquetConnector(
    { url: 's3://lake/warehouse/', s3: { ...s3Options(s3), forcePathStyle: 'true' }, ...extra },
    ctx,
  );
}

async function table(c: ParquetConnector, name: string): Promise<ParquetTable> {
  const t = await c.catalog.getTable('main', name);
  assert.ok(t, `table ${name}`);
  return t as ParquetTable;
}

describe('parquet freshness', () => {
  test('each table is as fresh as its latest object (S3 LastModified, as HEAD reports it)', async () => {
    const raw = openStore('s3://lake/fresh/', { s3: s3Options(s3) });
    const good = await openStore('s3://lake/warehouse/', { s3: s3Options(s3) }).get('merged/a.parquet');
    await raw.put('one/a.parquet', good);
    await raw.put('two/a.parquet', good);
    // S3 times are whole seconds: the second object of `one` lands in a later second.
    await new Promise((r) => setTimeout(r, 1100));
    await raw.put('one/b.parquet', good);
    const c = await createParquetConnector(
      { url: 's3://lake/fresh/', s3: { ...s3Options(s3), forcePathStyle: 'true' } },
      ctx,
    );
    try {
      const f = await c.freshness();
      assert.equal(f.method, 'object LastModified');
      const at = (name: string) => f.tables?.find((t) => t.table === name)?.lastModified;
      const b = (await raw.head('one/b.parquet'))!.lastModified!;
      assert.deepEqual(at('one'), { value: b, exact: true });
      assert.deepEqual(at('two'), { value: (await raw.head('two/a.parquet'))!.lastModified!, exact: true });
      assert.ok(at('two')!.value < b);
      assert.deepEqual(f.lastModified, { value: b, exact: true });
    } finally {
      await c.close();
      await raw.close();
    }
  });
});

describe('parquet connector', { timeout: 90_000 }, () => {
  test('discovers tables from top-level prefixes and objects', async () => {
    const c = await lake();
    const names = [...(await c.catalog.listTables('main'))].sort();
    for (const n of ['sales', 'events', 'merged', 'clash', 'truncated']) assert.ok(names.includes(n), n);
    await c.close();
  });

  test('every type round-trips exactly (scan → Arrow → writeParquet → DuckDB compares)', async () => {
    const c = await lake();
    const t = await table(c, 'sales');
    const schema = await t.schema();
    assert.deepEqual(
      schema.fields.map((f) => `${f.name}:${f.type}`),
      [
        'id:Int64',
        'amount:Decimal[12e+2]',
        'big:Decimal[38e+6]',
        'name:Utf8',
        'ts:Timestamp<MICROSECOND>',
        'tz:Timestamp<MICROSECOND, UTC>',
        'd:Date32<DAY>',
        'tags:List<Int64>',
        'info:Struct<{k:Int64, v:Utf8}>',
        'flag:Bool',
        'ratio:Float64',
        'payload:Utf8',
      ].map((s) => s),
    );
    const batches = await collect(t, request(schema.fields.map((f) => f.name)));
    assert.equal(
      batches.reduce((n, b) => n + b.numRows, 0),
      20000,
    );
    const out = join(tempDir(), 'copy.parquet');
    dirs.push(join(out, '..'));
    const written = await writeParquet(pathToFileURL(out).href, batches);
    assert.equal(written.rows, 20000);
    const diff = await db.rows(
      `SELECT count(*)::INT AS n FROM ((SELECT * FROM (${SALES}) EXCEPT SELECT * FROM '${out}') UNION ALL (SELECT * FROM '${out}' EXCEPT SELECT * FROM (${SALES})))`,
    );
    assert.equal(diff[0]?.n, 0);
    await c.close();
  });

  test('row-group pruning and projection, proven by bytes fetched', async () => {
    const c = await lake({ cacheMemoryBytes: 0 });
    const t = await table(c, 'sales');
    await t.schema();
    const before = c.store.stats.bytesRead;
    await collect(t, request(['id', 'payload']));
    const full = c.store.stats.bytesRead - before;
    const filter = Ex.between(Ex.col('id'), Ex.lit(10000n, Types.int64), Ex.lit(10199n, Types.int64));
    // DuckDB decodes the surviving row groups and applies the filter: exact.
    assert.deepEqual(await t.supportsFilters([filter]), ['exact']);
    const mid = c.store.stats.bytesRead;
    const rows = toRows(await collect(t, request(['id', 'payload'], [filter])));
    const pruned = c.store.stats.bytesRead - mid;
    assert.deepEqual(
      rows.map((r) => r.id),
      Array.from({ length: 200 }, (_, i) => 10000n + BigInt(i)),
    );
    assert.ok(t.lastScan.rowGroupsPruned >= 8, JSON.stringify(t.lastScan));
    assert.ok(pruned * 5 < full, `pruned ${pruned} vs full ${full}`);
    // Projection: one small column costs less than the wide one.
    const p0 = c.store.stats.bytesRead;
    await collect(t, request(['flag']));
    assert.ok(c.store.stats.bytesRead - p0 < full / 4);
    // IN and IS NULL prune too; a literal outside every range prunes everything.
    await collect(
      t,
      request(['id'], [Ex.in(Ex.col('id'), [Ex.lit(5n, Types.int64), Ex.lit(6n, Types.int64)])]),
    );
    assert.equal(t.lastScan.rowGroupsScanned, 1);
    await collect(t, request(['id'], [Ex.isNull(Ex.col('id'))]));
    assert.equal(t.lastScan.rowGroupsScanned, 0);
    await collect(
      t,
      request(['id'], [Ex.cmp('>', Ex.col('ts'), Ex.lit('2030-01-01 00:00:00', Types.timestamp))]),
    );
    assert.equal(t.lastScan.rowGroupsScanned, 0);
    await collect(t, request(['id'], [Ex.cmp('=', Ex.col('amount'), Ex.lit('12.50', Types.decimal(12, 2)))]));
    assert.equal(t.lastScan.rowGroupsScanned, 1);
    await c.close();
  });

  test('hive partition pruning is exact and reads only matching objects', async () => {
    const c = await lake({ cacheMemoryBytes: 0 });
    const t = await table(c, 'events');
    const schema = await t.schema();
    assert.deepEqual(schema.fields.map((f) => f.name).sort(), ['id', 'month', 'note', 'year']);
    const filter = Ex.cmp('=', Ex.col('year'), Ex.lit(2024, Types.int32));
    assert.deepEqual(await t.supportsFilters([filter, Ex.cmp('>', Ex.col('id'), Ex.lit(3, Types.int32))]), [
      'exact',
      'exact',
    ]);
    const b0 = c.store.stats.bytesRead;
    const rows = toRows(await collect(t, request(['id', 'year', 'month'], [filter])));
    assert.equal(t.lastScan.filesScanned, 2);
    assert.equal(t.lastScan.filesPruned, 4);
    const expected = await db.rows(`SELECT count(*)::INT AS n FROM ev WHERE year = 2024`);
    assert.equal(rows.length, expected[0]?.n);
    assert.ok(rows.every((r) => r.year === 2024n));
    assert.ok(c.store.stats.bytesRead - b0 > 0);
    // Limit with an exact filter stops early.
    const limited = toRows(await collect(t, request(['id'], [filter], { limit: 7 })));
    assert.equal(limited.length, 7);
    // count(*): no column read at all.
    const g0 = c.store.stats.gets;
    const counted = await collect(t, request([], [Ex.in(Ex.col('month'), [Ex.lit(2, Types.int32)])]));
    assert.equal(
      counted.reduce((n, b) => n + b.numRows, 0),
      1500,
    );
    assert.equal(c.store.stats.gets, g0);
    await c.close();
  });

  test('multi-file schema merge: missing columns are NULL, incompatible types name both files', async () => {
    const c = await lake();
    const t = await table(c, 'merged');
    const schema = await t.schema();
    assert.deepEqual(
      schema.fields.map((f) => f.name),
      ['id', 's', 'extra'],
    );
    const rows = toRows(await collect(t, request(['id', 'extra'])));
    assert.equal(rows.length, 10);
    assert.equal(rows.filter((r) => r.extra === null).length, 5);
    const clash = await table(c, 'clash');
    await assert.rejects(
      clash.schema(),
      (e: Error) => /clash\/a\.parquet/.test(e.message) && /clash\/b\.parquet/.test(e.message),
    );
    await c.close();
  });

  test('corrupt, truncated and missing objects fail with an error naming the object', async () => {
    const c = await lake();
    for (const name of ['truncated', 'garbage', 'badfooter']) {
      const t = await table(c, name);
      await assert.rejects(
        (async () => {
          await t.schema();
          await collect(t, request(['id']));
        })(),
        (e: Error) => SpokeError.isInstance(e) && e.message.includes(`s3://lake/warehouse/${name}/`),
        name,
      );
    }
    const missing = await createParquetConnector(
      {
        url: 's3://lake/warehouse/',
        s3: { ...s3Options(s3), forcePathStyle: 'true' },
        tables: { gone: 'nowhere/x.parquet' },
      },
      ctx,
    );
    await assert.rejects(
      (await missing.catalog.getTable('main', 'gone'))!.schema(),
      /no Parquet objects at s3:\/\/lake\/warehouse\/nowhere/,
    );
    await missing.close();
    await c.close();
  });

  test('the JavaScript decoder: filters prune whole row groups and are inexact', async () => {
    const c = await lake({ cacheMemoryBytes: 0, decoder: 'js' });
    const t = await table(c, 'sales');
    const filter = Ex.between(Ex.col('id'), Ex.lit(10000n, Types.int64), Ex.lit(10199n, Types.int64));
    assert.deepEqual(await t.supportsFilters([filter]), ['inexact']);
    const rows = toRows(await collect(t, request(['id'], [filter])));
    assert.ok(rows.some((r) => r.id === 10000n) && rows.some((r) => r.id === 10199n));
    assert.ok(rows.length > 200 && rows.length < 20000 / 4, `rows ${rows.length}`);
    assert.equal(rows.length % 2048, 0, 'whole row groups');
    await assert.rejects(lake({ decoder: 'wasm' }), /decoder: expected duckdb or js/);
    await c.close();
  });

  test('DuckDB decoding answers exactly as DuckDB on the same files', async () => {
    const c = await lake();
    const sales = await table(c, 'sales');
    // Nested columns, NULLs, decimals and a LIKE, with a limit-free and a limited scan.
    const like = Ex.like(Ex.col('name'), Ex.lit('name-1%', Types.utf8));
    const amount = Ex.cmp('>', Ex.col('amount'), Ex.lit('100.00', Types.decimal(12, 2)));
    assert.deepEqual(await sales.supportsFilters([like, amount]), ['exact', 'exact']);
    const rows = toRows(await collect(sales, request(['id', 'name', 'tags', 'info'], [like, amount])));
    const expected = await db.rows(
      `SELECT id::VARCHAR AS id FROM '${join(local, 'sales.parquet')}' WHERE name LIKE 'name-1%' AND amount > 100`,
    );
    assert.deepEqual(rows.map((r) => String(r.id)).sort(), expected.map((r) => String(r.id)).sort());
    assert.ok(rows.every((r) => String(r.name).startsWith('name-1')));
    const limited = toRows(await collect(sales, request(['id', 'name'], [like, amount], { limit: 5 })));
    assert.equal(limited.length, 5);
    assert.ok(limited.every((r) => String(r.name).startsWith('name-1')));
    // count(*) with a filter on a data column: DuckDB counts.
    const counted = await collect(
      sales,
      request([], [Ex.cmp('<', Ex.col('id'), Ex.lit(1234n, Types.int64))]),
    );
    assert.equal(
      counted.reduce((n, b) => n + b.numRows, 0),
      1234,
    );
    // Small batches: batchRows holds even below DuckDB's 2048-row chunks.
    const small = await lake({ batchRows: 1000 });
    const batches = await collect(await table(small, 'sales'), request(['id'], [amount]));
    assert.ok(batches.every((b) => b.numRows <= 1000));
    assert.equal(
      batches.reduce((n, b) => n + b.numRows, 0),
      20000 - 81,
    );
    await small.close();
    // Hive partitions: a filter mixing a partition column and a data column, and partition columns only.
    const events = await table(c, 'events');
    const mixed = Ex.or(
      Ex.cmp('=', Ex.col('year'), Ex.lit(2024, Types.int32)),
      Ex.cmp('<', Ex.col('id'), Ex.lit(10, Types.int32)),
    );
    assert.deepEqual(await events.supportsFilters([mixed]), ['exact']);
    const ev = toRows(await collect(events, request(['id', 'year'], [mixed])));
    const evExpected = await db.rows(`SELECT count(*)::INT AS n FROM ev WHERE year = 2024 OR id < 10`);
    assert.equal(ev.length, evExpected[0]?.n);
    const years = toRows(
      await collect(events, request(['year'], [Ex.cmp('<', Ex.col('id'), Ex.lit(30, Types.int32))])),
    );
    assert.deepEqual(
      years.map((r) => r.year).sort(),
      Array.from({ length: 30 }, (_, i) => BigInt(2022 + (i % 3))).sort(),
    );
    // A column missing from one file reads as NULL there, in filters too.
    const merged = await table(c, 'merged');
    const extra = toRows(
      await collect(
        merged,
        request(['id', 'extra'], [Ex.cmp('>', Ex.col('extra'), Ex.lit(3, Types.float64))]),
      ),
    );
    assert.deepEqual(
      extra.map((r) => r.id),
      [7n, 8n, 9n],
    );
    const nulls = toRows(await collect(merged, request(['id'], [Ex.isNull(Ex.col('extra'))])));
    assert.equal(nulls.length, 5);
    await c.close();
  });

  test('top-N: every part gives its first rows in the order, merged in DuckDB, equal to DuckDB on the files', async () => {
    const c = await lake();
    const sales = await table(c, 'sales');
    const key = (column: string, direction: 'asc' | 'desc', nulls: 'first' | 'last') => ({
      expr: Ex.col(column),
      direction,
      nulls,
    });
    assert.equal(await sales.supportsOrderBy([key('amount', 'desc', 'first')]), true);
    assert.equal(await sales.supportsOrderBy([key('nope', 'asc', 'last')]), false);
    const file = `'${join(local, 'sales.parquet')}'`;
    const ids = (batches: Awaited<ReturnType<typeof collect>>) => toRows(batches).map((r) => String(r.id));
    const duckIds = async (sql: string) => (await db.rows(sql)).map((r) => String(r.id));
    // The order's column is not in the projection; a filter too.
    const amount = Ex.cmp('>', Ex.col('amount'), Ex.lit('100.00', Types.decimal(12, 2)));
    const top = await collect(
      sales,
      request(['id', 'name'], [amount], { limit: 7, orderBy: [key('amount', 'desc', 'first')] }),
    );
    assert.deepEqual(
      top[0]?.schema.fields.map((f) => f.name),
      ['id', 'name'],
    );
    assert.deepEqual(
      ids(top),
      await duckIds(`SELECT id FROM ${file} WHERE amount > 100 ORDER BY amount DESC LIMIT 7`),
    );
    // NULLs first, then a second key.
    assert.deepEqual(
      ids(
        await collect(
          sales,
          request(['id', 'name'], [], {
            limit: 5,
            orderBy: [key('name', 'asc', 'first'), key('id', 'asc', 'last')],
          }),
        ),
      ),
      await duckIds(`SELECT id FROM ${file} ORDER BY name ASC NULLS FIRST, id LIMIT 5`),
    );
    // Six objects (hive partitions): the first rows of the whole, not of one object; a partition column as a key.
    const events = await table(c, 'events');
    assert.deepEqual(
      ids(
        await collect(
          events,
          request(['id', 'year'], [], { limit: 4, orderBy: [key('id', 'desc', 'first')] }),
        ),
      ),
      await duckIds('SELECT id FROM ev ORDER BY id DESC LIMIT 4'),
    );
    const byYear = toRows(
      await collect(
        events,
        request(['id', 'year'], [], {
          limit: 3,
          orderBy: [key('year', 'desc', 'first'), key('id', 'asc', 'last')],
        }),
      ),
    );
    assert.deepEqual(
      byYear.map((r) => `${r.year}/${r.id}`),
      (await db.rows('SELECT year, id FROM ev ORDER BY year DESC, id LIMIT 3')).map(
        (r) => `${r.year}/${r.id}`,
      ),
    );
    // Row groups ranked by their min/max (ids ascend through the file's 10 row groups of 2,048): only those
    // that may hold the answer are read; a decimal key, or a filter, reads them all.
    const groups = () => ({
      scanned: sales.lastScan.rowGroupsScanned,
      pruned: sales.lastScan.rowGroupsPruned,
    });
    for (const [direction, limit] of [
      ['desc', 5],
      ['asc', 3000],
    ] as const) {
      assert.deepEqual(
        ids(await collect(sales, request(['id'], [], { limit, orderBy: [key('id', direction, 'last')] }))),
        await duckIds(`SELECT id FROM ${file} ORDER BY id ${direction} LIMIT ${limit}`),
      );
      assert.deepEqual(groups(), {
        scanned: direction === 'desc' ? 1 : 2,
        pruned: direction === 'desc' ? 9 : 8,
      });
    }
    await collect(sales, request(['id'], [], { limit: 5, orderBy: [key('amount', 'desc', 'first')] }));
    assert.deepEqual(groups(), { scanned: 10, pruned: 0 });
    const flagged = Ex.cmp('>=', Ex.col('id'), Ex.lit(0n, Types.int64));
    assert.deepEqual(
      ids(
        await collect(sales, request(['id'], [flagged], { limit: 5, orderBy: [key('id', 'desc', 'first')] })),
      ),
      await duckIds(`SELECT id FROM ${file} ORDER BY id DESC LIMIT 5`),
    );
    assert.equal(groups().scanned, 10);
    await c.close();
    // The JavaScript decoder cannot order: the planner keeps the order (and the limit) for itself.
    const js = await lake({ decoder: 'js' });
    assert.equal(await (await table(js, 'sales')).supportsOrderBy([key('id', 'asc', 'last')]), false);
    await js.close();
  });
  test("another writer's file: page indexes and bloom filters are never read from the holes", async () => {
    const c = await lake({ cacheMemoryBytes: 0 });
    const t = await table(c, 'indexed');
    const filters = [
      Ex.between(Ex.col('id'), Ex.lit(1500n, Types.int64), Ex.lit(3200n, Types.int64)),
      Ex.cmp('=', Ex.col('name'), Ex.lit('n7', Types.utf8)),
    ];
    assert.deepEqual(await t.supportsFilters(filters), ['exact', 'exact']);
    const b0 = c.store.stats.bytesRead;
    const rows = toRows(await collect(t, request(['id', 'name', 'x'], filters)));
    assert.equal(t.lastScan.rowGroupsScanned, 3);
    const expected = await db.rows(
      `SELECT id::VARCHAR AS id, x FROM '${join(local, 'indexed', 'x.parquet')}' WHERE id BETWEEN 1500 AND 3200 AND name = 'n7'`,
    );
    assert.deepEqual(rows.map((r) => `${r.id}:${r.x}`).sort(), expected.map((r) => `${r.id}:${r.x}`).sort());
    assert.ok(rows.every((r) => r.name === 'n7'));
    assert.ok(c.store.stats.bytesRead - b0 > 0);
    await c.close();
  });

  test('a column DuckDB reads as another type keeps the table on the JavaScript decoder', async () => {
    const c = await lake();
    const t = await table(c, 'maps');
    const filter = Ex.cmp('<', Ex.col('id'), Ex.lit(3n, Types.int64));
    assert.deepEqual(await t.supportsFilters([filter]), ['inexact']);
    const rows = toRows(await collect(t, request(['id', 'm'], [filter])));
    assert.equal(rows.length, 10);
    assert.equal(typeof rows[0]?.m, 'string');
    await c.close();
  });

  test('the scratch directory for DuckDB goes away with the connector', async () => {
    const cache = tempDir('spoke-pq-cache-');
    dirs.push(cache);
    const c = await lake({ cacheDirectory: cache });
    const t = await table(c, 'sales');
    await collect(t, request(['id'], [Ex.cmp('<', Ex.col('id'), Ex.lit(10n, Types.int64))]));
    await c.close();
    assert.deepEqual(
      readdirSync(cache).filter((n) => n.startsWith('spoke-parquet-')),
      [],
    );
  });

  test('a repeated query is served from cache', async () => {
    const c = await lake();
    const t = await table(c, 'sales');
    const filter = Ex.cmp('<', Ex.col('id'), Ex.lit(3000n, Types.int64));
    const first = toRows(await collect(t, request(['id', 'name'], [filter])));
    const gets = c.store.stats.gets;
    const hits = c.store.l1?.stats.hits ?? 0;
    const second = toRows(await collect(t, request(['id', 'name'], [filter])));
    assert.deepEqual(second, first);
    assert.equal(c.store.stats.gets, gets, 'no GET on the repeat');
    assert.ok((c.store.l1?.stats.hits ?? 0) > hits);
    await c.close();
  });

  test('statistics from footers', async () => {
    const c = await lake();
    const stats = await (await table(c, 'sales')).statistics();
    assert.deepEqual(stats?.rowCount, { value: 20000, exact: true });
    assert.ok((stats?.totalBytes?.value ?? 0) > 0);
    assert.equal(stats?.columns?.id?.min?.value, 0n);
    assert.equal(stats?.columns?.id?.max?.value, 19999n);
    assert.deepEqual(stats?.columns?.name?.nullCount, { value: 2000, exact: true });
    assert.equal(stats?.columns?.d?.min?.value, '2020-01-01');
    await c.close();
  });

  test('local files: configured tables, globs, and export to S3 read back', async () => {
    const c = await createParquetConnector(
      {
        url: local,
        tables: {
          s: 'sales.parquet',
          ev2023: { path: 'events/year=2023/**/*.parquet', partitioning: 'hive' },
        },
      },
      { sourceName: 'local', baseDir: '/' },
    );
    assert.deepEqual([...(await c.catalog.listTables('main'))], ['s', 'ev2023']);
    const ev = await c.catalog.getTable('main', 'ev2023');
    const rows = toRows(await collect(ev!, request(['year', 'id'])));
    assert.equal(rows.length, 1000);
    const s = await c.catalog.getTable('main', 's');
    const batches = await collect(
      s!,
      request(['id', 'amount', 'ts'], [Ex.cmp('<', Ex.col('id'), Ex.lit(100n, Types.int64))]),
    );
    await writeParquet('s3://lake/exports/x.parquet', batches, { s3: s3Options(s3) });
    const back = await lake();
    const x = await createParquetConnector(
      { url: 's3://lake/exports/', s3: { ...s3Options(s3), forcePathStyle: 'true' } },
      ctx,
    );
    const xt = await x.catalog.getTable('main', 'x');
    assert.deepEqual(toRows(await collect(xt!, request(['id', 'amount', 'ts']))), toRows(batches));
    await x.close();
    await back.close();
    await c.close();
  });
});
