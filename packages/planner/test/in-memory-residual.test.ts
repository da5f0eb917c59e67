/**
 * The in-memory residual (`executor/in-memory-residual.ts`): every query runs
 * twice over the same three DuckDB files — once where the residual may run
 * in memory, once with `inMemoryResidual: false`, where DuckDB runs it — and
 * the answers must be the same rows, the same column names and the same
 * Arrow types. EXPLAIN ANALYZE says which path ran, so each case also checks
 * that the path it means to test was taken.
 *
 * The data holds what differs between a naive join and DuckDB's: NULL keys,
 * duplicate keys on both sides, 32-bit keys joined with 64-bit ones, text
 * whose code-point order differs from JavaScript's UTF-16 order, and a
 * table large enough to arrive in several batches.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { compareValues } from '../src/executor/arrow-take.js';
import {
  collectBatches,
  createEngine,
  createSecurityPolicy,
  type FederatedEngine,
  type QueryResult,
} from '../src/index.js';
import { recording } from './support/recording-connector.js';

let dir: string;
let inMemory: FederatedEngine;
let duckdbOnly: FederatedEngine;

/** Texts whose orders differ: UTF-16 puts U+E000/U+FF21 after 😀 (a surrogate pair), code points before. */
const TEXTS = ['a', 'B', '', 'é', '\uE000', '\uFF21', '😀', 'z', 'Z ', 'ab', 'a b'];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-in-memory-'));
  const make = async (file: string, statements: string[]) => {
    const instance = await DuckDBInstance.create(join(dir, file));
    const connection = await instance.connect();
    for (const sql of statements) await connection.run(sql);
    connection.closeSync();
    instance.closeSync();
  };
  const texts = TEXTS.map((t) => `'${t.replaceAll("'", "''")}'`).join(', ');
  await make('a.duckdb', [
    `CREATE TABLE l AS SELECT i::BIGINT AS id,
       CASE WHEN i % 17 = 0 THEN NULL ELSE (i % 40)::INTEGER END AS k,
       CASE WHEN i % 13 = 0 THEN NULL ELSE ([${texts}])[1 + i % ${TEXTS.length}] END AS name,
       DATE '2024-01-01' + (i % 30)::INTEGER AS d,
       TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i * 1000003) AS ts,
       i % 3 = 0 AS flag,
       (i / 7.0)::DOUBLE AS x,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 1.25 - 900)::DECIMAL(12,3) END AS amount,
       (i * 3.5)::DECIMAL(30,4) AS big_amount,
       CASE i % 6 WHEN 0 THEN 'NaN'::FLOAT WHEN 1 THEN 'Infinity'::FLOAT WHEN 2 THEN '-Infinity'::FLOAT
         WHEN 3 THEN -0.0::FLOAT WHEN 4 THEN NULL ELSE i / 3.0 END AS f
     FROM range(6000) t(i)`,
    `CREATE TABLE big AS SELECT i::BIGINT AS id, (i % 40)::INTEGER AS k, 'n' || i AS name FROM range(12000) t(i)`,
  ]);
  await make('b.duckdb', [
    `CREATE TABLE r AS SELECT CASE WHEN i = 5 THEN NULL ELSE (i % 25)::BIGINT END AS k,
       'label ' || i AS label, (i % 4)::SMALLINT AS code,
       ([${texts}])[1 + i % ${TEXTS.length}] AS name
     FROM range(60) t(i)`,
  ]);
  await make('c.duckdb', [
    `CREATE TABLE t3 AS SELECT i::INTEGER AS code, 'title ' || i AS title FROM range(3) t(i)`,
  ]);
  const sources = async () => ({
    a: await duckdbConnector.create({ path: join(dir, 'a.duckdb') }, { sourceName: 'a', baseDir: dir }),
    b: await duckdbConnector.create({ path: join(dir, 'b.duckdb') }, { sourceName: 'b', baseDir: dir }),
    c: await duckdbConnector.create({ path: join(dir, 'c.duckdb') }, { sourceName: 'c', baseDir: dir }),
  });
  inMemory = await createEngine({ sources: await sources() });
  duckdbOnly = await createEngine({ sources: await sources(), inMemoryResidual: false });
});

after(async () => {
  await inMemory?.close();
  await duckdbOnly?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** JSON that keeps bigints, NaN, ±Infinity and -0 apart from look-alikes. */
function exactJson(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)))
    return Object.is(v, -0) ? '-0' : String(v);
  return v;
}

/** A result's rows as text (bigints and dates kept exact), and its schema as names and Arrow types. */
async function shape(result: QueryResult): Promise<{ columns: string[]; rows: string[] }> {
  const batches = await collectBatches(result);
  // Each batch's columns hold the result schema's types (compared on the data: apache-arrow's RecordBatch
  // gives its schema the last type of columns sharing a name, on either path).
  for (const b of batches)
    assert.deepEqual(
      b.data.children.map((c) => String(c.type)),
      result.schema.fields.map((f) => String(f.type)),
    );
  return {
    columns: result.schema.fields.map(
      (f) => `${f.name}: ${f.type} nullable=${f.nullable} ${[...f.metadata]}`,
    ),
    rows: batches.flatMap((b) =>
      b.toArray().map((r) => JSON.stringify(Object.values(r.toJSON()), exactJson)),
    ),
  };
}

/**
 * Runs `sql` both ways and compares. `ordered`: the ORDER BY gives a total
 * order, so the rows must come in the same order; otherwise they are
 * compared as multisets. `expectInMemory` is the path the first engine must
 * have taken.
 */
async function assertSame(
  sql: string,
  options: { ordered?: boolean; expectInMemory: boolean; params?: unknown[] },
): Promise<string[]> {
  const params = options.params ? { params: options.params as never } : {};
  const got = await shape(await inMemory.query(sql, params));
  const expected = await shape(await duckdbOnly.query(sql, params));
  assert.deepEqual(got.columns, expected.columns, `columns of ${sql}`);
  if (options.ordered) assert.deepEqual(got.rows, expected.rows, sql);
  else assert.deepEqual([...got.rows].sort(), [...expected.rows].sort(), sql);
  const analyzed = await inMemory.explain(sql, { analyze: true, ...params });
  assert.equal(!!analyzed.analyze?.residualInMemory, options.expectInMemory, `path of ${sql}`);
  const other = await duckdbOnly.explain(sql, { analyze: true, ...params });
  assert.equal(!!other.analyze?.residualInMemory, false);
  return got.rows;
}

describe('in-memory residual: the same answer as DuckDB', () => {
  test('an int4 = int8 join with NULL and duplicate keys on both sides, ordered', async () => {
    const rows = await assertSame(
      'SELECT l.id, l.k, r.label, r.code FROM a.l JOIN b.r ON r.k = l.k ORDER BY l.id, r.label',
      { ordered: true, expectInMemory: true },
    );
    assert.ok(rows.length > 6000, `many-to-many: ${rows.length} rows`);
  });

  test('text ordered by code point, DESC with NULLS LAST, then LIMIT and OFFSET', async () => {
    await assertSame(
      'SELECT l.name, l.id, r.label FROM a.l JOIN b.r ON r.k = l.k ORDER BY l.name DESC NULLS LAST, l.id, r.label LIMIT 40 OFFSET 7',
      { ordered: true, expectInMemory: true },
    );
    const rows = await assertSame(
      'SELECT l.name, l.id, r.label FROM a.l JOIN b.r ON r.k = l.k ORDER BY l.name, l.id, r.label',
      { ordered: true, expectInMemory: true },
    );
    // NULLs last ascending (PostgreSQL's order), and 😀 after U+FF21 (code points, not UTF-16 units).
    assert.match(rows.at(-1) ?? '', /^\[null,/);
    const names = rows.map((r) => JSON.parse(r)[0]).filter((n) => n !== null);
    assert.ok(names.indexOf('😀') > names.lastIndexOf('\uFF21'));
  });

  test('NULLS FIRST, dates, timestamps and booleans carried through', async () => {
    await assertSame(
      'SELECT l.d, l.ts, l.flag, l.name, r.name AS rname FROM a.l JOIN b.r ON r.k = l.k ORDER BY l.name NULLS FIRST, l.ts DESC, r.label',
      { ordered: true, expectInMemory: true },
    );
    await assertSame(
      'SELECT r.label, l.d FROM b.r JOIN a.l ON l.k = r.k ORDER BY l.d DESC, l.id, r.label LIMIT 25',
      {
        ordered: true,
        expectInMemory: true,
      },
    );
  });

  test('ORDER BY an output alias', async () => {
    await assertSame(
      'SELECT l.id AS ident, r.label FROM a.l JOIN b.r ON r.k = l.k ORDER BY ident DESC, r.label LIMIT 30',
      {
        ordered: true,
        expectInMemory: true,
      },
    );
  });

  test('ORDER BY a name that is an output alias and an input column: the output column', async () => {
    const rows = await assertSame(
      'SELECT l.id AS k, r.label FROM a.l JOIN b.r ON r.k = l.k ORDER BY k DESC, r.label LIMIT 30',
      { ordered: true, expectInMemory: true },
    );
    // Ordered by l.id (the output column k), as PostgreSQL does, not by the join key k (at most 24).
    const ids = rows.map((r) => BigInt(String(JSON.parse(r)[0]).replace('n', '')));
    assert.ok(ids[0]! > 5000n && ids.every((id, i) => i === 0 || id <= ids[i - 1]!), String(ids));
  });

  test('decimals (with NULLs, negative, 128-bit) and floats (NaN, ±Infinity, -0) carried through', async () => {
    await assertSame(
      'SELECT l.id, l.amount, l.big_amount, l.x, l.f, r.label FROM a.l JOIN b.r ON r.k = l.k ORDER BY l.id, r.label LIMIT 500',
      { ordered: true, expectInMemory: true },
    );
  });

  test('a text join and a two-column join', async () => {
    await assertSame('SELECT l.id, r.label FROM a.l JOIN b.r ON r.name = l.name', { expectInMemory: true });
    await assertSame(
      'SELECT l.id, r.label FROM a.l JOIN b.r ON r.k = l.k AND r.name = l.name ORDER BY l.id, r.label',
      {
        ordered: true,
        expectInMemory: true,
      },
    );
  });

  test('three sources joined in a chain, output names as written (duplicates kept)', async () => {
    await assertSame(
      'SELECT l.id, r.k, l.k, t3.title AS code FROM a.l JOIN b.r ON r.k = l.k JOIN c.t3 ON t3.code = r.code ORDER BY l.id, r.label',
      { ordered: true, expectInMemory: true },
    );
  });

  test('filters the sources apply exactly, with parameters, and an empty answer', async () => {
    await assertSame(
      'SELECT l.id, r.label FROM a.l JOIN b.r ON r.k = l.k WHERE l.id BETWEEN $1 AND $2 ORDER BY l.id, r.label',
      { ordered: true, expectInMemory: true, params: [100, 180] },
    );
    const none = await assertSame('SELECT l.id, r.label FROM a.l JOIN b.r ON r.k = l.k WHERE l.id < 0', {
      expectInMemory: true,
    });
    assert.equal(none.length, 0);
  });

  test('what stays with DuckDB still answers alike', async () => {
    for (const sql of [
      // An expression, a residual WHERE, an outer join, an aggregate, a float key, DISTINCT.
      'SELECT l.id + 1 AS next, r.label FROM a.l JOIN b.r ON r.k = l.k',
      'SELECT l.id, r.label FROM a.l JOIN b.r ON r.k = l.k WHERE l.id % 2 = r.code % 2',
      'SELECT l.id, r.label FROM a.l LEFT JOIN b.r ON r.k = l.k',
      'SELECT r.label, count(*) AS n FROM a.l JOIN b.r ON r.k = l.k GROUP BY r.label',
      'SELECT l.id, r.label FROM a.l JOIN b.r ON r.k = l.x',
      'SELECT DISTINCT r.label FROM a.l JOIN b.r ON r.k = l.k',
      'SELECT l.id, r.label FROM a.l JOIN b.r ON r.k = l.k ORDER BY l.x',
    ]) {
      await assertSame(sql, { expectInMemory: false });
    }
  });
});

describe('in-memory residual with the read cache', () => {
  test('a kept read past the in-memory limit is not served from memory (estimated small, found large)', async () => {
    // `a` names a snapshot, so its reads are kept; `b.r` may not send keys, so `big` is read whole (and kept).
    // The LIKE's selectivity is a guess (a quarter of 12,000 rows): the read is expected small enough.
    const open = async () => ({
      a: recording(
        await duckdbConnector.create({ path: join(dir, 'a.duckdb') }, { sourceName: 'a', baseDir: dir }),
        undefined,
        async () => 'v1',
      ),
      b: await duckdbConnector.create({ path: join(dir, 'b.duckdb') }, { sourceName: 'b', baseDir: dir }),
    });
    const policy = await createSecurityPolicy({ 'b.r': 'never_upload' });
    const cached = await createEngine({ sources: await open(), policy });
    const plain = await createEngine({
      sources: await open(),
      policy,
      inMemoryResidual: false,
      readCache: false,
    });
    try {
      const sql = "SELECT g.id, r.label FROM a.big g JOIN b.r ON r.k = g.k WHERE g.name LIKE 'n%'";
      const expected = (await shape(await plain.query(sql))).rows.sort();
      assert.ok(expected.length > 12000);
      for (let run = 0; run < 3; run++) {
        assert.deepEqual((await shape(await cached.query(sql))).rows.sort(), expected, `run ${run}`);
      }
      assert.equal(cached.readCache?.stats().hits, 2, 'the read was kept and served from the cache');
      const plan = await cached.explain(sql, { analyze: true });
      assert.equal(plan.analyze?.residualInMemory, undefined, 'DuckDB ran it: the kept rows are too many');
    } finally {
      await cached.close();
      await plain.close();
    }
  });
});

describe('compareValues', () => {
  test('orders text by code point, as UTF-8 bytes do', () => {
    const sorted = [...TEXTS].sort(compareValues);
    const byBytes = [...TEXTS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(sorted, byBytes);
    assert.notDeepEqual([...TEXTS].sort(), byBytes, 'the data must tell the two orders apart');
  });

  test('compares numbers with bigints and booleans', () => {
    assert.ok(compareValues(1, 2n) < 0);
    assert.ok(compareValues(3n, 2) > 0);
    assert.equal(compareValues(5, 5n), 0);
    assert.ok(compareValues(false, true) < 0);
  });
});
