/**
 * Export to the lake through the planner: `CREATE TABLE lake.t AS SELECT …
 * FROM src.sales` writes a Parquet object under the lake's url (file:// and
 * s3:// on s3rver), the new table is listed and readable at once (and by a
 * fresh connector), and `INSERT INTO lake.t SELECT …` appends an object.
 * Answers are compared with DuckDB running the same SQL on the source file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type RecordBatch, SpokeError } from '@spoke/core';
import { openStore } from '@spoke/object-store';
import { collectBatches, createEngine, type FederatedEngine } from '@spoke/planner';
import { type S3Server, startS3Server } from '../../../test/harness/s3-server.js';
import { createParquetConnector, type ParquetConnector } from '../src/index.js';
import { cleanup, duck, s3Options, tempDir, toRows } from './helpers.js';

const SALES = `SELECT i::BIGINT AS id, (i * 1.25)::DECIMAL(12,2) AS amount,
  CASE WHEN i % 10 = 0 THEN NULL ELSE 'name-' || i END AS name,
  TIMESTAMP '2024-01-01 00:00:00.123456' + to_microseconds(i * 1000003) AS ts,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS tz,
  DATE '2020-01-01' + (i % 1000)::INT AS d,
  [i, i + 1] AS tags, {'k': i % 7, 'v': 'x' || (i % 3)} AS info,
  i % 3 = 0 AS flag, (i / 3.0)::DOUBLE AS ratio
  FROM range(30000) t(i)`;
/** The export's SELECT list, over `src.sales` (Spoke) and `sales` (DuckDB). */
const EXPORT = `id, amount, name, ts, tz, d, tags, info, flag, ratio * 2 AS ratio2`;

let s3: S3Server;
let db: Awaited<ReturnType<typeof duck>>;
let srcDir: string;
const dirs: string[] = [];

before(async () => {
  s3 = await startS3Server({ buckets: ['lake'] });
  db = await duck();
  srcDir = tempDir();
  dirs.push(srcDir);
  await db.conn.run(
    `COPY (${SALES}) TO '${join(srcDir, 'sales.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 4096)`,
  );
  await db.conn.run(`CREATE VIEW sales AS SELECT * FROM read_parquet('${join(srcDir, 'sales.parquet')}')`);
});

after(async () => {
  db.close();
  await s3.close();
  cleanup(dirs);
});

async function run(
  engine: FederatedEngine,
  sql: string,
): Promise<{ rows: RecordBatch[]; affected: number | undefined }> {
  const result = await engine.query(sql);
  const rows = await collectBatches(result);
  return { rows, affected: result.rowsAffected?.() };
}

/** DuckDB's answer as JSON text per row, sorted (bigints and decimals as text). */
async function duckRows(sql: string): Promise<string[]> {
  return (await db.rows(sql))
    .map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))
    .sort();
}

for (const where of ['file', 's3'] as const) {
  describe(`CREATE TABLE … AS SELECT into the lake (${where}://)`, () => {
    let lakeDir: string;
    let lakeUrl: string;
    let engine: FederatedEngine;
    let lake: ParquetConnector;
    const lakeOptions = () =>
      where === 's3' ? { url: lakeUrl, s3: { ...s3Options(s3), forcePathStyle: 'true' } } : { url: lakeUrl };
    /** The bytes of a lake object, copied to a local file DuckDB can read. */
    const localCopy = async (key: string): Promise<string> => {
      if (where === 'file') return join(lakeDir, key);
      const store = openStore(lakeUrl, { s3: s3Options(s3) });
      const path = join(lakeDir, key.replaceAll('/', '_'));
      writeFileSync(path, await store.get(key));
      await store.close();
      return path;
    };

    before(async () => {
      lakeDir = tempDir();
      dirs.push(lakeDir);
      lakeUrl = where === 's3' ? 's3://lake/warehouse/' : `${pathToFileURL(lakeDir).href}/`;
      // One existing table, so the catalog is discovered before the export.
      await db.conn.run(`COPY (SELECT 1 AS x) TO '${join(lakeDir, 'seed.parquet')}' (FORMAT parquet)`);
      if (where === 's3') {
        const store = openStore(lakeUrl, { s3: s3Options(s3) });
        await store.put('old/seed.parquet', new Uint8Array(readFileSync(join(lakeDir, 'seed.parquet'))));
        await store.close();
      } else {
        await db.conn.run(`COPY (SELECT 1 AS x) TO '${join(lakeDir, 'old.parquet')}' (FORMAT parquet)`);
      }
      lake = await createParquetConnector(lakeOptions(), { sourceName: 'lake', baseDir: '/' });
      const src = await createParquetConnector(
        { url: pathToFileURL(srcDir).href },
        { sourceName: 'src', baseDir: '/' },
      );
      engine = await createEngine({ sources: { lake, src } });
    });
    after(async () => {
      await engine.close();
    });

    test('ORDER BY … LIMIT through the planner returns the top rows, not the first ones', async () => {
      const top = await run(engine, 'SELECT id FROM src.sales WHERE id > 10 ORDER BY amount DESC, id LIMIT 5');
      const expected = await db.rows('SELECT id FROM sales WHERE id > 10 ORDER BY amount DESC, id LIMIT 5');
      assert.deepEqual(
        toRows(top.rows).map((r) => String((r as Record<string, unknown>).id)),
        expected.map((r) => String((r as Record<string, unknown>).id)),
      );
    });

    test('writes one Parquet object with the rows DuckDB selects, listed and readable at once', {
      timeout: 60_000,
    }, async () => {
      assert.deepEqual(
        [...(await lake.catalog.listTables('main'))].sort(),
        where === 's3' ? ['old'] : ['old', 'seed'],
      );
      const created = await run(
        engine,
        `CREATE TABLE lake.exports_2024 AS SELECT ${EXPORT} FROM src.sales WHERE id % 3 = 0`,
      );
      assert.equal(created.affected, 10_000);
      assert.ok((await lake.catalog.listTables('main')).includes('exports_2024'));
      // The object, read by DuckDB itself, holds exactly DuckDB's answer.
      const file = await localCopy('exports_2024/part-0.parquet');
      if (where === 'file') assert.ok(existsSync(file));
      const expected = `SELECT ${EXPORT} FROM sales WHERE id % 3 = 0`;
      const missing = await db.rows(
        `SELECT count(*)::INT AS n FROM ((${expected}) EXCEPT ALL SELECT * FROM read_parquet('${file}'))`,
      );
      const extra = await db.rows(
        `SELECT count(*)::INT AS n FROM (SELECT * FROM read_parquet('${file}') EXCEPT ALL (${expected}))`,
      );
      assert.deepEqual([missing[0]?.n, extra[0]?.n], [0, 0]);
      // Read back through Spoke: the same rows (as text, so both sides render alike), the same aggregates.
      const text = `CAST(id AS VARCHAR) AS id, name, CAST(amount AS VARCHAR) AS amount, CAST(ts AS VARCHAR) AS ts, CAST(tz AS VARCHAR) AS tz, CAST(d AS VARCHAR) AS d, CAST(tags AS VARCHAR) AS tags, CAST((info).v AS VARCHAR) AS v, CAST(flag AS VARCHAR) AS flag`;
      const back = await run(engine, `SELECT ${text} FROM lake.exports_2024 WHERE id < 3000`);
      const got = toRows(back.rows)
        .map((r) => JSON.stringify(r))
        .sort();
      const want = (await duckRows(`SELECT ${text} FROM sales WHERE id % 3 = 0 AND id < 3000`)).sort();
      assert.equal(got.length, 1000);
      assert.deepEqual(got, want);
      const agg = await run(
        engine,
        'SELECT count(*) AS n, CAST(sum(amount) AS VARCHAR) AS s, count(name) AS c, CAST(max(ts) AS VARCHAR) AS m FROM lake.exports_2024',
      );
      const [row] = toRows(agg.rows);
      const [ref] = await db.rows(
        `SELECT count(*) AS n, CAST(sum(amount) AS VARCHAR) AS s, count(name) AS c, CAST(max(ts) AS VARCHAR) AS m FROM sales WHERE id % 3 = 0`,
      );
      assert.deepEqual(
        [row?.n, row?.s, row?.c, row?.m].map(String),
        [ref?.n, ref?.s, ref?.c, ref?.m].map(String),
      );
      // A fresh connector discovers it as a top-level prefix.
      const fresh = await createParquetConnector(lakeOptions(), { sourceName: 'lake2', baseDir: '/' });
      try {
        assert.ok((await fresh.catalog.listTables('main')).includes('exports_2024'));
        const table = await fresh.catalog.getTable('main', 'exports_2024');
        assert.equal(
          (await table?.schema())?.fields.map((f) => `${f.name}:${String(f.type)}`).join(', '),
          'id:Int64, amount:Decimal[12e+2], name:Utf8, ts:Timestamp<MICROSECOND>, tz:Timestamp<MICROSECOND, UTC>, d:Date32<DAY>, tags:List<Int64>, info:Struct<{k:Int64, v:Utf8}>, flag:Bool, ratio2:Float64',
        );
      } finally {
        await fresh.close();
      }
    });

    test('an existing name is refused with INVALID_QUERY, a name discovery would skip too', {
      timeout: 30_000,
    }, async () => {
      for (const sql of [
        'CREATE TABLE lake.exports_2024 AS SELECT 1 AS x',
        'CREATE TABLE lake.old AS SELECT 1 AS x',
        'CREATE TABLE lake."_hidden" AS SELECT 1 AS x',
      ])
        await assert.rejects(
          run(engine, sql),
          (e: unknown) => SpokeError.isInstance(e) && e.code === 'INVALID_QUERY',
          sql,
        );
      // Objects under the name count even when the catalog does not list them (configured tables).
      const configured = await createParquetConnector(
        { ...lakeOptions(), tables: { only: where === 's3' ? 'old/' : 'old.parquet' } },
        { sourceName: 'lake3', baseDir: '/' },
      );
      try {
        await assert.rejects(
          configured.catalog.createTable?.(
            'main',
            'exports_2024',
            await (await configured.catalog.getTable('main', 'only'))!.schema(),
            (async function* () {})(),
            {
              signal: new AbortController().signal,
              context: { user: 't', roles: [], queryId: 'q' } as never,
            },
          ) ?? Promise.reject(new Error('no createTable')),
          (e: unknown) => SpokeError.isInstance(e) && e.code === 'INVALID_QUERY',
        );
      } finally {
        await configured.close();
      }
    });

    test("INSERT appends an object with the table's types; an empty CTAS creates an empty table", {
      timeout: 60_000,
    }, async () => {
      await run(
        engine,
        `CREATE TABLE lake.appended AS SELECT id, name, amount FROM src.sales WHERE id < 100`,
      );
      const inserted = await run(
        engine,
        `INSERT INTO lake.appended (id, name) SELECT CAST(id AS INTEGER), upper(name) FROM src.sales WHERE id BETWEEN 100 AND 149`,
      );
      assert.equal(inserted.affected, 50);
      const back = toRows(
        (
          await run(
            engine,
            'SELECT count(*) AS n, count(amount) AS a, sum(id) AS s, count(name) AS c FROM lake.appended',
          )
        ).rows,
      )[0];
      const [ref] = await db.rows(
        `SELECT count(*) AS n, count(amount) FILTER (WHERE id < 100) AS a, sum(id) AS s, count(name) AS c FROM sales WHERE id < 150`,
      );
      assert.deepEqual(
        [back?.n, back?.a, back?.s, back?.c].map(String),
        [ref?.n, ref?.a, ref?.s, ref?.c].map(String),
      );
      const upper = toRows((await run(engine, `SELECT name FROM lake.appended WHERE id = 101`)).rows);
      assert.deepEqual(
        upper.map((r) => r.name),
        ['NAME-101'],
      );

      const empty = await run(
        engine,
        'CREATE TABLE lake.empty_export AS SELECT id, name FROM src.sales WHERE id < 0',
      );
      assert.equal(empty.affected, 0);
      const count = toRows((await run(engine, 'SELECT count(*) AS n FROM lake.empty_export')).rows)[0];
      assert.equal(String(count?.n), '0');
    });
  });
}
