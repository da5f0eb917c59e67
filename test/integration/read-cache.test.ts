/**
 * The engine's read cache (`packages/planner/src/executor/read-cache.ts`)
 * over a real PostgreSQL and the Parquet connector on a local folder and on
 * s3rver: a PostgreSQL fact table joined with a Parquet dimension answers
 * as DuckDB does over the same rows on every run; the second run reads the
 * dimension from the cache (stats, EXPLAIN ANALYZE, and no GET reaching
 * the object store — its memory cache is off, so every real read GETs);
 * a replaced object is seen after `listingTtlSeconds` and an INSERT at
 * once; filters, parameter values and row-filter policies are entries of
 * their own; cancelled and concurrent queries leave the cache consistent
 * (its entries are exactly the tables DuckDB holds, within `maxBytes`).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { createParquetConnector, type ParquetConnector } from '@spoke/connector-parquet';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import type { QueryContext, ScalarValue } from '@spoke/core';
import { createGatewayEngine, createGatewayServices, parseConfig, startGateway } from '@spoke/gateway';
import { openStore } from '@spoke/object-store';
import {
  type CachedEngineOptions,
  collectBatches,
  createEngine,
  createSecurityPolicy,
  type ExplainPlan,
  type FederatedEngine,
  formatExplain,
} from '@spoke/planner';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB, diffRows } from '@spoke/testing';
import { type PostgresServer, startPostgres } from '../harness/index.js';
import { type S3Server, startS3Server } from '../harness/s3-server.js';

/** Valid in PostgreSQL and DuckDB alike, so both hold the same facts. */
const FACT = `CREATE TABLE fact AS SELECT i AS id, (i % 70) + 1 AS dim_id, (i * 7) % 1000 AS amount
  FROM generate_series(1, 3000) AS t(i)`;

/** The dimension's rows, version by version (DuckDB SQL); some scores are NaN and ±Infinity. */
const DIM = (version: number) =>
  version === 1
    ? `SELECT i::BIGINT AS id, 'name ' || i AS name,
         CASE i % 3 WHEN 0 THEN 'EU' WHEN 1 THEN 'US' ELSE 'APAC' END AS region,
         CASE WHEN i % 10 = 0 THEN 'NaN'::DOUBLE WHEN i % 10 = 5 THEN 'Infinity'::DOUBLE ELSE i * 1.5 END AS score
       FROM range(1, 61) t(i)`
    : `SELECT i::BIGINT AS id, 'v${version} ' || i AS name,
         CASE i % 2 WHEN 0 THEN 'EU' ELSE 'US' END AS region, i * 2.5 AS score
       FROM range(${version * 3}, ${40 + version}) t(i)`;

const JOIN = (
  src: string,
) => `SELECT d.region, count(*) AS n, sum(f.amount) AS total, max(d.name) AS last_name
  FROM pg.fact f JOIN ${src}.dim d ON d.id = f.dim_id GROUP BY d.region`;

const LAKES = ['lake', 's3lake'] as const;
type Lake = (typeof LAKES)[number];

let pg: PostgresServer;
let s3: S3Server;
let dir: string;
let writer: { db: DuckDBInstance; run(sql: string): Promise<void> };
/** The reference: `pg.fact`, and `lake.dim` / `s3lake.dim` as each lake holds them now. */
let ref: DuckDBInstance;
let refConnection: Awaited<ReturnType<DuckDBInstance['connect']>>;
const engines: FederatedEngine[] = [];

const s3Options = () => ({
  endpoint: s3.endpoint,
  forcePathStyle: 'true',
  accessKeyId: s3.accessKeyId,
  secretAccessKey: s3.secretAccessKey,
  region: s3.region,
});

/** Writes version `version` of the dimension as `dim/part-0.parquet` of `lake`, and into the reference. */
async function writeDim(lake: Lake, version: number): Promise<void> {
  const file = join(dir, `${lake}-v${version}-${Date.now()}.parquet`);
  await writer.run(`COPY (${DIM(version)}) TO '${file}' (FORMAT parquet)`);
  if (lake === 'lake') {
    // A rename: readers see the old object or the new one, never half of it.
    mkdirSync(join(dir, 'lake', 'dim'), { recursive: true });
    renameSync(file, join(dir, 'lake', 'dim', 'part-0.parquet'));
  } else {
    const store = openStore('s3://spoke/lake/', { s3: { ...s3Options(), forcePathStyle: true } });
    await store.put('dim/part-0.parquet', new Uint8Array(readFileSync(file)));
    await store.close();
    rmSync(file);
  }
  await refConnection.run(`CREATE OR REPLACE TABLE ${lake}.dim AS ${DIM(version)}`);
}

before(async () => {
  pg = await startPostgres();
  pg.psql(FACT);
  pg.psql('ANALYZE');
  s3 = await startS3Server({ buckets: ['spoke'] });
  dir = mkdtempSync(join(tmpdir(), 'spoke-read-cache-'));
  const db = await DuckDBInstance.create(':memory:');
  const wc = await db.connect();
  writer = { db, run: async (sql) => void (await wc.run(sql)) };
  ref = await DuckDBInstance.create(':memory:');
  refConnection = await ref.connect();
  for (const name of ['pg', ...LAKES]) await refConnection.run(`ATTACH ':memory:' AS ${name}`);
  await refConnection.run(`USE pg`);
  await refConnection.run(FACT);
  await refConnection.run(`USE memory`);
  for (const lake of LAKES) await writeDim(lake, 1);
});

after(async () => {
  for (const engine of engines) await engine.close().catch(() => undefined);
  refConnection?.closeSync();
  ref?.closeSync();
  writer?.db.closeSync();
  await s3?.close();
  await pg?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An engine over fresh connectors (the engine closes them), and the Parquet connectors to watch. */
async function engineWith(options: Partial<CachedEngineOptions> = {}) {
  const parquet = { listingTtlSeconds: 0.2, cacheMemoryBytes: 0 };
  const lakes: Record<Lake, ParquetConnector> = {
    lake: await createParquetConnector(
      { url: `file://${join(dir, 'lake')}/`, ...parquet },
      { sourceName: 'lake', baseDir: dir },
    ),
    s3lake: await createParquetConnector(
      { url: 's3://spoke/lake/', s3: s3Options(), ...parquet },
      { sourceName: 's3lake', baseDir: dir },
    ),
  };
  const engine = await createEngine({
    sources: {
      pg: await postgresConnector.create({ url: pg.url }, { sourceName: 'pg', baseDir: dir }),
      ...lakes,
    },
    readCache: { maxBytes: 4 * 1024 * 1024 },
    ...options,
  });
  engines.push(engine);
  return { engine, lakes, gets: (lake: Lake) => lakes[lake].metrics().object_gets ?? 0 };
}

async function reference(sql: string): Promise<unknown[][]> {
  const result = await refConnection.run(sql);
  const chunks = await result.fetchAllChunks();
  return canonicalRowsFromDuckDB(
    chunks,
    result.columnTypes().map((t) => /INT/.test(String(t))),
  ) as unknown[][];
}

/** Runs `sql` through Spoke and asserts it answers as the reference runs `refSql`; returns the rows. */
async function assertAnswer(
  engine: FederatedEngine,
  sql: string,
  options: { params?: ScalarValue[]; context?: Partial<QueryContext>; refSql?: string } = {},
): Promise<unknown[][]> {
  const result = await engine.query(sql, {
    ...(options.params ? { params: options.params } : {}),
    ...(options.context ? { context: options.context } : {}),
  });
  const actual = canonicalRowsFromBatches(await collectBatches(result)) as unknown[][];
  const expected = await reference(options.refSql ?? sql);
  const { extra, missing } = diffRows(actual as never, expected as never);
  assert.deepEqual(
    { extra, missing },
    { extra: [], missing: [] },
    `${sql} ${JSON.stringify(options.params ?? [], (_k, v) => (typeof v === 'bigint' ? `${v}n` : Number.isFinite(v) || typeof v !== 'number' ? v : String(v)))}: ${actual.length} rows, expected ${expected.length}`,
  );
  assert.ok(expected.length > 0, 'a comparison over some rows');
  return actual;
}

/** The dimension's read in a plan. */
function dimRead(plan: ExplainPlan) {
  const read = plan.sources.find((s) => s.table?.endsWith('dim'));
  assert.ok(read, JSON.stringify(plan.sources.map((s) => s.table)));
  return read;
}

/** The `__spoke_read_…` tables in the engine's DuckDB, once the drops in flight are done (≤ 5 s). */
async function cacheTables(engine: FederatedEngine, expected: number): Promise<number> {
  const connection = await engine.instance.connect();
  try {
    let count = -1;
    for (const until = Date.now() + 5000; Date.now() < until; await delay(20)) {
      const reader = await connection.runAndReadAll(
        `SELECT count(*)::INTEGER FROM duckdb_tables() WHERE schema_name = 'main' AND table_name LIKE '__spoke_read_%'`,
      );
      count = reader.getRows()[0]?.[0] as number;
      if (count === expected) break;
    }
    return count;
  } finally {
    connection.closeSync();
  }
}

/** The read cache's counters; the cache must be on. */
function statsOf(engine: FederatedEngine) {
  assert.ok(engine.readCache, 'the read cache is on');
  return engine.readCache.stats();
}

for (const lake of LAKES) {
  describe(`read cache over ${lake === 'lake' ? 'a local folder' : 's3rver'}`, () => {
    test('the federated join answers right every time; from the second run on, nothing is read from the object store', async () => {
      const { engine, gets } = await engineWith();
      const sql = JOIN(lake);
      let before = gets(lake);
      await assertAnswer(engine, sql);
      assert.ok(gets(lake) > before, 'the first run reads the object');
      assert.deepEqual(statsOf(engine), {
        hits: 0,
        misses: 1,
        evictions: 0,
        entries: 1,
        bytes: statsOf(engine).bytes,
      });
      assert.ok(statsOf(engine).bytes > 0);
      before = gets(lake);
      for (let run = 0; run < 3; run++) await assertAnswer(engine, sql);
      assert.equal(gets(lake) - before, 0, 'no GET on a hit');
      assert.equal(statsOf(engine).hits, 3);
      assert.equal(statsOf(engine).misses, 1);

      const plan = await engine.explain(sql, { analyze: true });
      const dim = dimRead(plan);
      assert.equal(dim.readCache, 'hit');
      assert.equal(dim.cachedRows, 60);
      assert.equal(dim.actualRows, 0);
      assert.match(
        formatExplain(plan).join('\n'),
        /60 rows from the read cache \(nothing read from the source\)/,
      );
      assert.equal(gets(lake) - before, 0);
      // The same through SQL.
      const text = canonicalRowsFromBatches(
        await collectBatches(await engine.query(`EXPLAIN ANALYZE ${sql}`)),
      ).join('\n');
      assert.match(text, /60 rows from the read cache/);
      assert.equal(await cacheTables(engine, 1), 1);
    });

    test('a few PostgreSQL rows joined with the kept dimension: the residual runs in memory, with the same answer', async () => {
      const { engine, gets } = await engineWith();
      const sql = `SELECT f.id, f.amount, d.name, d.region, d.score FROM pg.fact f JOIN ${lake}.dim d
        ON d.id = f.dim_id WHERE f.id BETWEEN $1 AND $2 ORDER BY f.id`;
      const ranges: [number, number][] = [
        [1, 40],
        [100, 180],
        [2900, 3100],
        [1, 40],
      ];
      for (const [lo, hi] of ranges) {
        const rows = await assertAnswer(engine, sql, {
          params: [lo, hi],
          refSql: sql.replace('$1', String(lo)).replace('$2', String(hi)),
        });
        const ids = rows.map((r) => Number(r[0]));
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => a - b),
          'ordered by f.id',
        );
      }
      const before = gets(lake);
      const plan = await engine.explain(sql, { analyze: true, params: [500, 520] });
      assert.equal(plan.analyze?.residualInMemory, true, formatExplain(plan).join('\n'));
      assert.equal(dimRead(plan).readCache, 'hit');
      assert.equal(dimRead(plan).strategy, 'pull (read cache)');
      assert.match(
        formatExplain(plan).join('\n'),
        /Residual \(run in memory on the rows read, without DuckDB\)/,
      );
      assert.equal(gets(lake), before, 'nothing read from the object store');
    });

    test('a first EXPLAIN ANALYZE says the read was kept', async () => {
      const { engine } = await engineWith();
      const plan = await engine.explain(JOIN(lake), { analyze: true });
      const dim = dimRead(plan);
      assert.equal(dim.readCache, 'kept');
      assert.equal(dim.actualRows, 60);
      assert.match(formatExplain(plan).join('\n'), /kept in the read cache/);
    });

    test('a replaced object is seen after listingTtlSeconds, never the stale rows', async () => {
      const { engine, gets } = await engineWith();
      const sql = JOIN(lake);
      const old = await assertAnswer(engine, sql);
      await assertAnswer(engine, sql);
      assert.equal(statsOf(engine).hits, 1);
      try {
        await writeDim(lake, 2);
        await delay(300); // past listingTtlSeconds (0.2)
        const before = gets(lake);
        const fresh = await assertAnswer(engine, sql);
        assert.notDeepEqual(fresh, old);
        assert.ok(gets(lake) > before, 'the new object was read');
        assert.equal(statsOf(engine).hits, 1, 'not served from the old snapshot');
        await assertAnswer(engine, sql);
        assert.equal(statsOf(engine).hits, 2, 'the new snapshot is kept in turn');
        // Back to the first rows (a new object again): the answer follows.
        await writeDim(lake, 1);
        await delay(300);
        await assertAnswer(engine, sql);
      } finally {
        await writeDim(lake, 1);
      }
    });

    test('an INSERT through Spoke is seen at once', async () => {
      const { engine } = await engineWith({ readCache: { maxBytes: 4 * 1024 * 1024 } });
      const sql = JOIN(lake);
      await assertAnswer(engine, sql);
      await assertAnswer(engine, sql);
      const hits = statsOf(engine).hits;
      try {
        const insert = await engine.query(
          `INSERT INTO ${lake}.dim SELECT 61 AS id, 'inserted' AS name, 'LATAM' AS region, 1.0 AS score`,
        );
        await collectBatches(insert);
        await refConnection.run(`INSERT INTO ${lake}.dim VALUES (61, 'inserted', 'LATAM', 1.0)`);
        const rows = await assertAnswer(engine, sql);
        assert.ok(
          rows.some((r) => r[0] === 'LATAM'),
          'the inserted row joins',
        );
        assert.equal(statsOf(engine).hits, hits, 'no hit on the old snapshot');
      } finally {
        // Remove the inserted object: back to the one object of version 1.
        if (lake === 'lake') {
          for (const name of (await import('node:fs')).readdirSync(join(dir, 'lake', 'dim')))
            if (name !== 'part-0.parquet') rmSync(join(dir, 'lake', 'dim', name));
        } else {
          const store = openStore('s3://spoke/lake/', { s3: { ...s3Options(), forcePathStyle: true } });
          for await (const object of store.list('dim/'))
            if (!object.key.endsWith('part-0.parquet')) await store.delete(object.key);
          await store.close();
        }
        await writeDim(lake, 1);
      }
    });
  });
}

describe('read cache: what makes a different entry', () => {
  test('different filters and different parameter values are different entries', async () => {
    const { engine, gets } = await engineWith();
    const by = (op: string) =>
      `SELECT f.id, f.amount, d.name FROM pg.fact f JOIN lake.dim d ON d.id = f.dim_id WHERE d.id ${op} $1`;
    const cases: [string, ScalarValue, string][] = [
      ['<=', 10, '10'],
      ['<=', 20, '20'],
      ['<=', 10n, '10'],
      ['>=', 10, '10'],
      ['=', 7, '7'],
      ['=', 8, '8'],
    ];
    for (const [op, value, literal] of cases)
      await assertAnswer(engine, by(op), { params: [value], refSql: by(op).replace('$1', literal) });
    // 10n and 10 may or may not be one entry (both are int8 after binding); each other case is a miss.
    const { misses, hits, entries } = statsOf(engine);
    assert.ok(misses >= 5 && entries >= 5, JSON.stringify(statsOf(engine)));
    assert.equal(misses + hits, cases.length);
    // Each again: all hits, nothing read.
    const before = gets('lake');
    for (const [op, value, literal] of cases)
      await assertAnswer(engine, by(op), { params: [value], refSql: by(op).replace('$1', literal) });
    assert.equal(statsOf(engine).hits, hits + cases.length);
    assert.equal(gets('lake'), before);
  });

  test('floating-point parameters NaN and Infinity are different entries (JSON spells both null)', async () => {
    const { engine } = await engineWith();
    const sql = `SELECT f.id, d.name FROM pg.fact f JOIN lake.dim d ON d.id = f.dim_id WHERE d.score = $1`;
    const cases: [number, string][] = [
      [Number.NaN, "'NaN'::DOUBLE"],
      [Number.POSITIVE_INFINITY, "'Infinity'::DOUBLE"],
      [Number.NaN, "'NaN'::DOUBLE"],
      [4.5, '4.5'],
    ];
    for (const [value, literal] of cases)
      await assertAnswer(engine, sql, { params: [value], refSql: sql.replace('$1', literal) });
  });

  test("two users with different row filters never see each other's rows", async () => {
    const policy = await createSecurityPolicy([
      { name: 'eu_rows', on: 'lake.dim', rule: 'row_filter', predicate: "region = 'EU'", roles: ['eu'] },
      { name: 'us_rows', on: 'lake.dim', rule: 'row_filter', predicate: "region = 'US'", roles: ['us'] },
    ]);
    const { engine } = await engineWith({ policy });
    const sql = JOIN('lake');
    const EU: Partial<QueryContext> = { user: 'eve', roles: ['eu'] };
    const US: Partial<QueryContext> = { user: 'sam', roles: ['us'] };
    const refFor = (region: string) =>
      sql.replace('lake.dim d', `(SELECT * FROM lake.dim WHERE region = '${region}') d`);
    for (let round = 0; round < 3; round++) {
      const eu = await assertAnswer(engine, sql, { context: EU, refSql: refFor('EU') });
      assert.deepEqual(
        eu.map((r) => r[0]),
        ['EU'],
      );
      const us = await assertAnswer(engine, sql, { context: US, refSql: refFor('US') });
      assert.deepEqual(
        us.map((r) => r[0]),
        ['US'],
      );
    }
    // Unrestricted callers see every region, whatever the others left in the cache.
    await assertAnswer(engine, sql, { context: { user: 'root', roles: ['admin'] } });
    assert.ok(statsOf(engine).hits >= 4, JSON.stringify(statsOf(engine)));
  });
});

describe('read cache: policies that depend on the caller', () => {
  test("one row filter over the caller's attribute: users of the same role never share rows", async () => {
    const policy = await createSecurityPolicy([
      {
        name: 'own_region',
        on: 's3lake.dim',
        rule: 'row_filter',
        predicate: "region = current_user_attr('region')",
        roles: ['analyst'],
      },
    ]);
    const { engine } = await engineWith({ policy });
    const sql = JOIN('s3lake');
    const as = (user: string, region: string): Partial<QueryContext> => ({
      user,
      roles: ['analyst'],
      attributes: { region },
    });
    for (let round = 0; round < 2; round++)
      for (const [user, region] of [
        ['eve', 'EU'],
        ['sam', 'US'],
        ['ana', 'APAC'],
      ] as const) {
        const rows = await assertAnswer(engine, sql, {
          context: as(user, region),
          refSql: sql.replace('s3lake.dim d', `(SELECT * FROM s3lake.dim WHERE region = '${region}') d`),
        });
        assert.deepEqual(
          rows.map((r) => r[0]),
          [region],
        );
      }
  });
});

describe('read cache: off', () => {
  test('readCache: false reads the source every time', async () => {
    const { engine, gets } = await engineWith({ readCache: false });
    assert.equal(engine.readCache, undefined);
    for (let run = 0; run < 3; run++) {
      const before = gets('s3lake');
      await assertAnswer(engine, JOIN('s3lake'));
      assert.ok(gets('s3lake') > before, `run ${run} read the object`);
    }
    const plan = await engine.explain(JOIN('s3lake'), { analyze: true });
    assert.equal(dimRead(plan).readCache, undefined);
    assert.equal(dimRead(plan).actualRows, 60);
  });

  test('with duckdb.queryMemoryLimit nothing is cached', async () => {
    const { engine, gets } = await engineWith({ duckdb: { queryMemoryLimit: '256MB' } });
    assert.equal(engine.readCache, undefined);
    for (let run = 0; run < 3; run++) {
      const before = gets('lake');
      await assertAnswer(engine, JOIN('lake'));
      assert.ok(gets('lake') > before, `run ${run} read the object`);
    }
  });
});

describe('read cache under load', () => {
  test('cancelled queries leave the cache consistent, and the next query right', async () => {
    const { engine } = await engineWith();
    const sql = `SELECT f.id, d.name FROM pg.fact f JOIN s3lake.dim d ON d.id = f.dim_id WHERE d.id <= $1`;
    let cancelled = 0;
    for (const [i, after] of [0, 1, 2, 4, 8, 16, 32].entries()) {
      const controller = new AbortController();
      const running = engine
        .query(sql, { params: [10 + i], signal: controller.signal })
        .then((result) => collectBatches(result));
      setTimeout(() => controller.abort(new Error('cancelled by the test')), after);
      await running.then(
        () => undefined,
        () => void cancelled++,
      );
    }
    // A query stopped while its result streams (the consumer goes away).
    const result = await engine.query(sql, { params: [60] });
    for await (const _ of result.batches) break;
    assert.ok(cancelled > 0, 'some query was cancelled mid-way');
    const stats = statsOf(engine);
    assert.equal(
      await cacheTables(engine, stats.entries),
      stats.entries,
      'entries are the tables DuckDB holds',
    );
    for (let i = 0; i < 7; i++)
      await assertAnswer(engine, sql, { params: [10 + i], refSql: sql.replace('$1', String(10 + i)) });
    await assertAnswer(engine, sql, { params: [60], refSql: sql.replace('$1', '60') });
    const settled = statsOf(engine);
    assert.equal(await cacheTables(engine, settled.entries), settled.entries);
    assert.ok(settled.hits + settled.misses >= 8 + 7 - cancelled, JSON.stringify(settled));
  });

  test('30 concurrent queries: all right; entries and bytes stay within a small maxBytes', async () => {
    // One entry of `d.id <= v` (v ≤ 60) is a few hundred bytes of Arrow plus the 64 KiB charged for its
    // DuckDB table: this budget holds four of the twelve different requests.
    const maxBytes = 4 * 64 * 1024 + 4 * 1024;
    const { engine } = await engineWith({ readCache: { maxBytes, maxEntryBytes: maxBytes } });
    const sql = `SELECT d.region, count(*) AS n, sum(f.amount) AS total
      FROM pg.fact f JOIN s3lake.dim d ON d.id = f.dim_id WHERE d.id <= $1 GROUP BY d.region`;
    const values = Array.from({ length: 30 }, (_, i) => 5 + ((i * 7) % 12) * 5);
    for (let round = 0; round < 2; round++) {
      await Promise.all(
        values.map((v) => assertAnswer(engine, sql, { params: [v], refSql: sql.replace('$1', String(v)) })),
      );
      const stats = statsOf(engine);
      assert.ok(stats.bytes <= maxBytes, JSON.stringify(stats));
      assert.equal(stats.hits + stats.misses, 30 * (round + 1));
      assert.equal(await cacheTables(engine, stats.entries), stats.entries, 'no table left behind');
    }
    const stats = statsOf(engine);
    assert.ok(stats.evictions > 0, `evictions forced: ${JSON.stringify(stats)}`);
    assert.ok(stats.hits > 0, `some hits: ${JSON.stringify(stats)}`);
  });
});

describe('read cache: memory', () => {
  // Each entry is a DuckDB table whose storage costs tens of KiB however few its rows (~53 KiB for
  // one row, ~2,000× its Arrow bytes): the cache charges that per entry, so many small distinct reads
  // (point lookups with new parameter values) cannot grow DuckDB's memory far past maxBytes.
  test("DuckDB's memory for kept reads stays near maxBytes when the reads are many and small", async () => {
    const maxBytes = 1024 * 1024;
    const { engine } = await engineWith({ readCache: { maxBytes } });
    // 200 different pairs of ids: 200 entries of one or two rows.
    const sql = `SELECT f.id, d.name FROM pg.fact f JOIN lake.dim d ON d.id = f.dim_id WHERE d.id IN ($1, $2)`;
    for (let i = 0; i < 200; i++)
      await collectBatches(await engine.query(sql, { params: [1 + (i % 60), 1 + Math.floor(i / 60)] }));
    const stats = statsOf(engine);
    assert.ok(stats.bytes <= maxBytes, JSON.stringify(stats));
    const connection = await engine.instance.connect();
    try {
      const reader = await connection.runAndReadAll(
        'SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()',
      );
      const used = Number(reader.getRows()[0]?.[0]);
      assert.ok(
        used <= 4 * maxBytes,
        `DuckDB holds ${used} bytes for ${stats.entries} entries of ${stats.bytes} Arrow bytes (maxBytes ${maxBytes})`,
      );
    } finally {
      connection.closeSync();
    }
  });
});

describe('read cache in the gateway', () => {
  test('duckdb.readCache reaches the engine: the second query is a hit, and /metrics counts it', async () => {
    const yaml = `server: { http: { port: 0 } }
duckdb: { readCache: { maxBytes: 1MB, maxEntryBytes: 256KB } }
sources:
  pg: { connector: postgres, url: ${JSON.stringify(pg.url)} }
  lake: { connector: parquet, url: ${JSON.stringify(`file://${join(dir, 'lake')}/`)}, cacheMemoryBytes: 0 }
`;
    const config = parseConfig(yaml, dir, 'spoke.yaml', { env: {} });
    const engine = await createGatewayEngine(config);
    const gateway = await startGateway(
      engine,
      config.server,
      () => {},
      createGatewayServices(engine, config),
    );
    try {
      const url = gateway.http!.url;
      const sql = JOIN('lake');
      const expected = await reference(sql);
      for (let run = 0; run < 2; run++) {
        const res = await fetch(`${url}/v1/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sql }),
        });
        assert.equal(res.status, 200);
        const body = (await res.json()) as { rows: unknown[][] };
        assert.deepEqual(
          body.rows.map((r) => r.map(String)).sort(),
          expected.map((r) => r.map(String)).sort(),
        );
      }
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const value = (name: string) =>
        Number(new RegExp(`^spoke_read_cache\\{name="${name}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
      assert.equal(value('hits'), 1, metrics);
      assert.equal(value('misses'), 1);
      assert.equal(value('entries'), 1);
      assert.ok(value('bytes') > 0 && value('bytes') <= 256 * 1024);
    } finally {
      await gateway.close();
      await engine.close();
    }
  });
});
