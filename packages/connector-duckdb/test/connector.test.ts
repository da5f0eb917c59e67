import assert from 'node:assert/strict';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, Ex, type RecordBatch, SpokeError, Types } from '@spoke/core';
import { canonicalRowsFromBatches, DuckDBReference, FIXTURE_TABLE } from '@spoke/testing';
import { connector, type DuckDBConnector, type DuckDBTable } from '../src/index.js';
import { tempDir, writeFixture } from './fixtures.js';

const context = (baseDir: string) => ({ sourceName: 'warehouse', baseDir });
const isConfigError = (pattern: RegExp) => (e: unknown) =>
  SpokeError.isInstance(e) && e.code === ErrorCode.INVALID_CONFIG && pattern.test(e.message);

describe('duckdb connector', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let reference: DuckDBReference;
  before(async () => {
    ({ dir, remove } = tempDir());
    await writeFixture(dir, { parquet: true });
    // A second schema, a view and a CSV file for the catalog tests.
    const instance = await DuckDBInstance.create(join(dir, 'fixture.duckdb'));
    const c = await instance.connect();
    await c.run('CREATE SCHEMA sales');
    await c.run(
      'CREATE TABLE sales.orders (id INTEGER, amount DECIMAL(12,2), placed TIMESTAMP_NS, tags VARCHAR[], code UUID)',
    );
    await c.run(
      "INSERT INTO sales.orders VALUES (1, 10.50, '2024-01-01 10:00:00.123456789', ['a','b'], 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), (2, NULL, NULL, NULL, NULL)",
    );
    await c.run('CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 5');
    c.closeSync();
    instance.closeSync();
    writeFileSync(join(dir, 'people.csv'), 'name,age\nada,36\n"o\'brien, pat",41\n');
    reference = await DuckDBReference.create();
  });
  after(async () => {
    reference.close();
    await remove();
  });

  describe('options', () => {
    test('needs path or files', async () => {
      await assert.rejects(
        connector.create({}, context(dir)),
        isConfigError(/sources\.warehouse: set "path"/),
      );
    });
    test('unknown keys are refused with a suggestion', async () => {
      await assert.rejects(
        connector.create({ pth: 'x.duckdb' }, context(dir)),
        isConfigError(/sources\.warehouse\.pth: unknown option \(did you mean "path"\?\)/),
      );
    });
    test('a missing database file names the path', async () => {
      await assert.rejects(
        connector.create({ path: 'nope.duckdb' }, context(dir)),
        isConfigError(
          new RegExp(`sources\\.warehouse\\.path: database file not found: ${join(dir, 'nope.duckdb')}`),
        ),
      );
    });
    test('a glob matching nothing names the glob', async () => {
      await assert.rejects(
        connector.create({ files: { t: 'missing/*.parquet' } }, context(dir)),
        isConfigError(/sources\.warehouse\.files\.t: no file matches .*missing\/\*\.parquet/),
      );
    });
    test('an unknown file format is refused', async () => {
      await assert.rejects(
        connector.create({ files: { t: 'data/*.xlsx' } }, context(dir)),
        isConfigError(/files\.t: cannot tell the format/),
      );
    });
    test('bad memoryLimit and threads', async () => {
      await assert.rejects(
        connector.create({ path: 'fixture.duckdb', memoryLimit: 'lots' }, context(dir)),
        isConfigError(/memoryLimit: expected a size/),
      );
      await assert.rejects(
        connector.create({ path: 'fixture.duckdb', threads: 'two' }, context(dir)),
        isConfigError(/threads: expected an integer/),
      );
      await assert.rejects(
        connector.create({ path: 'fixture.duckdb', threads: 0 }, context(dir)),
        isConfigError(/threads: expected at least 1/),
      );
    });
    test('a file table may not shadow a database table', async () => {
      await assert.rejects(
        connector.create(
          { path: 'fixture.duckdb', files: { [FIXTURE_TABLE]: 'parquet/*.parquet' } },
          context(dir),
        ),
        isConfigError(/files\.spoke_conformance: the database already has a table "main\.spoke_conformance"/),
      );
    });
    test('memoryLimit and threads reach DuckDB; the file opens read-only', async () => {
      const c = (await connector.create(
        { path: 'fixture.duckdb', memoryLimit: '256MB', threads: 1 },
        context(dir),
      )) as DuckDBConnector;
      try {
        const settings = await c.database.withConnection(
          async (conn) =>
            (
              await conn.runAndReadAll(
                "SELECT current_setting('threads'), current_setting('memory_limit'), current_setting('access_mode')",
              )
            ).getRows()[0],
        );
        assert.equal(Number(settings![0]), 1);
        assert.match(String(settings![1]), /^2(44|56)/);
        assert.equal(String(settings![2]).toLowerCase(), 'read_only');
      } finally {
        await c.close();
      }
    });
  });

  describe('catalog and scans', () => {
    let c: DuckDBConnector;
    before(async () => {
      c = (await connector.create(
        { path: 'fixture.duckdb', files: { people: 'people.csv', fixture_parquet: 'parquet/*.parquet' } },
        context(dir),
      )) as DuckDBConnector;
    });
    after(() => c.close());

    const collect = async (batches: AsyncIterable<RecordBatch>) => {
      const out: RecordBatch[] = [];
      for await (const b of batches) out.push(b);
      return out;
    };
    const scanRequest = (projection: string[], extra: object = {}) => ({
      projection,
      filters: [],
      signal: new AbortController().signal,
      context: { queryId: 'q', roles: [] },
      ...extra,
    });

    test('lists schemas, tables, views and file tables', async () => {
      assert.deepEqual(await c.catalog.listSchemas(), ['main', 'sales']);
      assert.deepEqual(await c.catalog.listTables('main'), [
        'fixture_parquet',
        'people',
        'spoke_conformance',
      ]);
      assert.deepEqual(await c.catalog.listTables('sales'), ['big_orders', 'orders']);
      await assert.rejects(
        c.catalog.listTables('sails'),
        (e: unknown) =>
          SpokeError.isInstance(e) &&
          e.code === ErrorCode.TABLE_NOT_FOUND &&
          /did you mean "sales"/.test(e.message),
      );
      assert.equal(await c.catalog.getTable('sales', 'nope'), undefined);
      assert.equal(await c.catalog.getTable('sales', 'ORDERS'), undefined, 'names match exactly');
    });

    test('exotic DuckDB types arrive as their Spoke mapping', async () => {
      const orders = (await c.catalog.getTable('sales', 'orders'))!;
      const schema = await orders.schema();
      assert.deepEqual(
        schema.fields.map((f) => `${f.name}:${String(f.type)}`),
        ['id:Int32', 'amount:Decimal[12e+2]', 'placed:Timestamp<MICROSECOND>', 'tags:Utf8', 'code:Utf8'],
      );
      const rows = canonicalRowsFromBatches(
        await collect(orders.scan(scanRequest(['code', 'tags', 'placed', 'amount']))),
      );
      assert.deepEqual(rows, [
        ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '[a, b]', '2024-01-01 10:00:00.123456', '10.5'],
        [null, null, null, null],
      ]);
      const view = (await c.catalog.getTable('sales', 'big_orders'))!;
      assert.equal(
        (await collect(view.scan(scanRequest(['id'])))).reduce((n, b) => n + b.numRows, 0),
        1,
      );
      assert.equal(await view.statistics?.(), undefined);
    });

    test('CSV files are tables', async () => {
      const people = (await c.catalog.getTable('main', 'people'))!;
      const rows = canonicalRowsFromBatches(await collect(people.scan(scanRequest(['name', 'age']))));
      assert.deepEqual(rows, [
        ['ada', 36n],
        ["o'brien, pat", 41n],
      ]);
      const stats = await people.statistics?.();
      assert.ok(stats?.totalBytes?.exact);
    });

    test('filters, limit and top-N are pushed into the SQL, and the answers equal DuckDB', async () => {
      for (const name of [FIXTURE_TABLE, 'fixture_parquet']) {
        const table = (await c.catalog.getTable('main', name)) as DuckDBTable;
        const filters = [
          Ex.like(Ex.col('c_text'), Ex.lit('%o%', Types.utf8)),
          Ex.cmp('>', Ex.col('c_int32'), Ex.lit(-100, Types.int32)),
        ];
        assert.deepEqual(await table.supportsFilters(filters), ['exact', 'exact']);
        const orderBy = [
          { expr: Ex.col('c_int32'), direction: 'desc' as const, nulls: 'last' as const },
          { expr: Ex.col('id'), direction: 'asc' as const, nulls: 'last' as const },
        ];
        const request = { projection: ['id', 'c_int32', 'c_text'], filters, orderBy, limit: 4 };
        const { sql, params } = await table.renderScan(request);
        assert.match(
          sql,
          /WHERE \("c_text" LIKE CAST\(\$1 AS VARCHAR\) ESCAPE '\\'\) AND \("c_int32" > CAST\(\$2 AS INTEGER\)\) ORDER BY "c_int32" DESC NULLS LAST, "id" ASC NULLS LAST LIMIT 4$/,
        );
        assert.deepEqual(params, ['%o%', -100]);
        if (name === 'fixture_parquet')
          assert.match(
            sql,
            /FROM read_parquet\(\['.*part-0\.parquet', '.*part-1\.parquet'\]\) AS "fixture_parquet"/,
          );
        else assert.match(sql, /FROM "main"\."spoke_conformance"/);
        const actual = canonicalRowsFromBatches(
          await collect(table.scan(scanRequest(request.projection, request))),
        );
        const expected = await reference.evaluate(request);
        assert.equal(actual.length, 4);
        assert.deepEqual(actual, expected);
      }
    });

    test('a filter on a column the table lacks, or that cannot be rendered, is unsupported', async () => {
      const table = (await c.catalog.getTable('main', FIXTURE_TABLE))!;
      assert.deepEqual(
        await table.supportsFilters!([
          Ex.isNull(Ex.col('nope')),
          Ex.cmp('=', Ex.col('id'), Ex.lit([1], Types.list(Types.int32))),
        ]),
        ['unsupported', 'exact'],
      );
    });

    test('a scan with no rows still carries its schema', async () => {
      const table = (await c.catalog.getTable('main', FIXTURE_TABLE))!;
      const batches = await collect(
        table.scan(
          scanRequest(['id', 'c_text'], { filters: [Ex.cmp('<', Ex.col('id'), Ex.lit(0, Types.int32))] }),
        ),
      );
      assert.equal(batches.length, 1);
      assert.equal(batches[0]!.numRows, 0);
      assert.deepEqual(
        batches[0]!.schema.fields.map((f) => f.name),
        ['id', 'c_text'],
      );
    });

    test('DuckDB errors become SOURCE_ERROR with the cause kept', async () => {
      const table = (await c.catalog.getTable('main', FIXTURE_TABLE))!;
      // Text such as 'hello world' is not an integer.
      const overflow = Ex.cmp('=', Ex.cast(Ex.col('c_text'), Types.int32), Ex.lit(1, Types.int32));
      await assert.rejects(
        collect(table.scan(scanRequest(['id'], { filters: [overflow] }))),
        (e: unknown) =>
          SpokeError.isInstance(e) &&
          e.code === ErrorCode.SOURCE_ERROR &&
          e.source === 'warehouse' &&
          e.cause instanceof Error,
      );
    });

    test('statistics: estimated rows for a table, exact rows and null counts for Parquet', async () => {
      const table = (await c.catalog.getTable('main', FIXTURE_TABLE))!;
      assert.deepEqual((await table.statistics!())?.rowCount, { value: 200, exact: false });
      const parquet = (await c.catalog.getTable('main', 'fixture_parquet'))!;
      const stats = await parquet.statistics!();
      assert.deepEqual(stats?.rowCount, { value: 200, exact: true });
      const [[nulls]] = await reference.query('SELECT count(*) - count(c_text) FROM spoke_conformance');
      assert.deepEqual(stats?.columns?.c_text?.nullCount, { value: Number(nulls), exact: true });
    });

    test("statistics: a table's distinct counts, bounds and absent NULLs from DuckDB's own, checked against the data", async () => {
      const table = (await c.catalog.getTable('main', FIXTURE_TABLE))!;
      const columns = (await table.statistics!())?.columns ?? {};
      let distinct = 0;
      let bounds = 0;
      for (const [name, stats] of Object.entries(columns)) {
        const q = `"${name.replaceAll('"', '""')}"`;
        const [[trueDistinct, nulls, min, max]] = await reference.query(
          `SELECT count(DISTINCT ${q}), count(*) - count(${q}), min(${q})::VARCHAR, max(${q})::VARCHAR FROM spoke_conformance`,
        );
        if (stats.distinctCount) {
          distinct++;
          assert.equal(stats.distinctCount.exact, false);
          // A HyperLogLog estimate: close, not exact.
          const error = Math.abs(stats.distinctCount.value - Number(trueDistinct));
          assert.ok(
            error <= Math.max(3, 0.3 * Number(trueDistinct)),
            `${name}: ${stats.distinctCount.value} vs ${trueDistinct}`,
          );
        }
        if (stats.nullCount)
          assert.deepEqual([stats.nullCount, Number(nulls)], [{ value: 0, exact: true }, 0], name);
        if (stats.min || stats.max) {
          bounds++;
          assert.deepEqual([String(stats.min?.value), String(stats.max?.value)], [min, max], name);
        }
      }
      assert.ok(
        distinct >= 3 && bounds >= 1,
        JSON.stringify(columns, (_k, v) => (typeof v === 'bigint' ? `${v}` : v)),
      );
    });

    test('the file stays read-only', async () => {
      await assert.rejects(
        c.database.withConnection((conn) => conn.run('CREATE TABLE main.x (a INTEGER)')),
        (e: unknown) =>
          SpokeError.isInstance(e) && e.code === ErrorCode.SOURCE_ERROR && /read-only/i.test(e.message),
      );
    });
  });

  test('freshness: the database file mtime (estimated), and each files: table its newest file (exact)', async () => {
    const c = (await connector.create(
      { path: 'fixture.duckdb', files: { people: 'people.csv' } },
      context(dir),
    )) as DuckDBConnector;
    try {
      const older = new Date('2024-03-01T12:00:00Z');
      utimesSync(join(dir, 'people.csv'), older, older);
      const f = await c.freshness();
      assert.equal(f?.method, 'file mtime');
      assert.deepEqual(f?.tables, [
        { schema: 'main', table: 'people', lastModified: { value: older, exact: true } },
      ]);
      const db = statSync(join(dir, 'fixture.duckdb')).mtime;
      assert.deepEqual(f?.lastModified, { value: db, exact: false });
      // Touching the file makes the table, and the source, fresher.
      const newer = new Date(db.getTime() + 60_000);
      utimesSync(join(dir, 'people.csv'), newer, newer);
      assert.deepEqual((await c.freshness())?.lastModified, { value: newer, exact: true });
    } finally {
      await c.close();
    }
  });

  test('snapshot: a files: table names its files as they are; a database table names none', async () => {
    const c = await connector.create(
      { path: 'fixture.duckdb', files: { people: 'people.csv' } },
      context(dir),
    );
    try {
      const people = (await c.catalog.getTable('main', 'people')) as DuckDBTable;
      const first = await people.snapshot();
      assert.ok(first?.includes('people.csv'), String(first));
      assert.equal(await people.snapshot(), first, 'unchanged file, same token');
      // Touched (or rewritten): another token, so the engine reads it again.
      const later = new Date(statSync(join(dir, 'people.csv')).mtime.getTime() + 5_000);
      utimesSync(join(dir, 'people.csv'), later, later);
      assert.notEqual(await people.snapshot(), first);
      const table = (await c.catalog.getTable('main', FIXTURE_TABLE)) as DuckDBTable;
      assert.equal(await table.snapshot(), undefined);
    } finally {
      await c.close();
    }
  });
  test('a large scan aborted mid-stream stops with QUERY_CANCELLED', async () => {
    const { dir: d, remove: rm } = tempDir();
    try {
      const instance = await DuckDBInstance.create(join(d, 'big.duckdb'));
      const conn = await instance.connect();
      await conn.run('CREATE TABLE big AS SELECT range AS n, md5(range::VARCHAR) AS s FROM range(500000)');
      conn.closeSync();
      instance.closeSync();
      const c = await connector.create({ path: 'big.duckdb' }, context(d));
      try {
        const table = (await c.catalog.getTable('main', 'big'))!;
        const controller = new AbortController();
        let rows = 0;
        const started = Date.now();
        await assert.rejects(
          (async () => {
            for await (const b of table.scan({
              projection: ['n', 's'],
              filters: [],
              signal: controller.signal,
              context: { queryId: 'q', roles: [] },
            })) {
              rows += b.numRows;
              if (rows >= 10_000) controller.abort();
            }
          })(),
          (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.QUERY_CANCELLED,
        );
        assert.ok(rows < 500_000, `stopped after ${rows} rows`);
        assert.ok(Date.now() - started < 5000);
      } finally {
        await c.close();
      }
    } finally {
      await rm();
    }
  });
});
