/**
 * Federated statements in the plan cache (`plan-cache/federated-plan.ts`),
 * over a real PostgreSQL and a DuckDB file: a statement joining the two is
 * planned once, and each later execution plans only its scans with its own
 * parameters. Every execution must answer exactly as the engine's uncached
 * path does — rows, column names and types, errors — whatever the
 * parameters, also when many run at once; a plan is planned afresh when its
 * scans change shape or an estimate moves far, and never shared by callers
 * the security policies treat differently.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { PostgresConnector, parsePostgresOptions } from '@spoke/connector-postgres';
import type { QueryContext, ScalarValue } from '@spoke/core';
import {
  createEngine,
  createSecurityPolicy,
  FederatedEngine,
  type PlanCache,
  planCacheOf,
} from '@spoke/planner';
import { type PostgresServer, startPostgres } from '../harness/index.js';
import { type Outcome, outcome } from './query-outcome.js';

let server: PostgresServer;
let dir: string;
let engine: FederatedEngine;
let cache: PlanCache;

const ANALYST: Partial<QueryContext> = { user: 'ann', roles: ['analyst'] };
const ADMIN: Partial<QueryContext> = { user: 'root', roles: ['admin'] };

/** The bench's small federated join: ten rows of a large PostgreSQL table joined with a DuckDB dimension. */
const JOIN =
  'SELECT b.id, b.v, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.id BETWEEN $1 AND $2 ORDER BY b.id';

/** The two sources: PostgreSQL's `big` and the DuckDB file's `dim`. */
async function sources() {
  return {
    pg: new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'pg' }), {
      sourceName: 'pg',
    }),
    lake: await duckdbConnector.create(
      { path: join(dir, 'lake.duckdb') },
      { sourceName: 'lake', baseDir: dir },
    ),
  };
}

before(async () => {
  server = await startPostgres();
  server.psql(`
    CREATE TABLE big (id int4 PRIMARY KEY, k int4, v text, amount numeric(10,2));
    INSERT INTO big SELECT g, CASE WHEN g % 97 = 0 THEN NULL ELSE g % 500 END, 'v' || g, g * 0.25
      FROM generate_series(1, 50000) g;
    ANALYZE big;`);
  dir = mkdtempSync(join(tmpdir(), 'spoke-plan-cache-federated-'));
  const instance = await DuckDBInstance.create(join(dir, 'lake.duckdb'));
  const connection = await instance.connect();
  await connection.run(
    `CREATE TABLE dim AS SELECT i::INTEGER AS k, 'name ' || i AS name, (i % 7)::INTEGER AS grp
     FROM range(0, 1000) t(i) WHERE i % 10 <> 3`,
  );
  connection.closeSync();
  instance.closeSync();
  const policy = await createSecurityPolicy([
    { name: 'v_mask', on: 'pg.big.v', rule: 'mask', mask: 'partial', roles: ['*'], except_roles: ['admin'] },
  ]);
  engine = await createEngine({
    sources: await sources(),
    policy,
    // Plans age out after 5 s by default; a slow machine must not turn these tests' hits into re-plans.
    planCache: { federatedMaxAgeMs: 600_000 },
  });
  cache = planCacheOf(engine)!;
});

after(async () => {
  await engine?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Values as text for messages (bigints included). */
const show = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

/** The engine's own answer, past the cache. */
const uncached = (sql: string, params: readonly ScalarValue[], context: Partial<QueryContext>) =>
  outcome(() => FederatedEngine.prototype.query.call(engine, sql, { params: [...params], context }));

/** Through the cache (`runs` times: the first sight goes uncached, the second fills, later ones hit) and past it. */
async function same(
  sql: string,
  params: readonly ScalarValue[],
  context: Partial<QueryContext> = ADMIN,
  runs = 3,
): Promise<Outcome> {
  const expected = await uncached(sql, params, context);
  for (let run = 0; run < runs; run++) {
    const cached = await outcome(() => engine.query(sql, { params: [...params], context }));
    assert.deepEqual(cached, expected, `${sql} ${show(params)} (run ${run + 1})`);
  }
  return expected;
}

describe('plan cache: federated statements answer as the uncached engine', () => {
  test('the small federated join: one plan, every parameter value answered exactly', async () => {
    const before = { ...cache.stats };
    for (const [low, high] of [
      [1, 10],
      [96, 105], // a NULL join key (97) in range
      [2, 11],
      [49995, 50004], // past the end of the table
      [0, -5], // an empty range
      [503, 512], // keys whose dimension rows are missing (k % 10 = 3)
      [1000, 1009],
      [33, 42],
    ] as const) {
      const got = await same(JOIN, [low, high]);
      assert.ok('rows' in got, show(got));
    }
    const hits = cache.stats.federatedHits - before.federatedHits;
    assert.ok(hits >= 15, `federated hits ${hits}`);
    // The empty range is estimated at one row, not ten: its three runs are planned from scratch.
    const replanned = cache.stats.replanned - before.replanned;
    assert.ok(replanned <= 3, `replanned ${replanned}`);
  });

  test('parameters of other kinds and places: text, NULL, bigint, fractional; in the select list and ON', async () => {
    await same('SELECT b.id, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.v = $1 ORDER BY 1', [
      'v42',
    ]);
    await same('SELECT b.id, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.v = $1 ORDER BY 1', [
      null,
    ]);
    await same(
      'SELECT b.id, b.amount FROM pg.big b JOIN lake.dim d ON d.k = b.k AND d.grp = $2 WHERE b.id < $1 ORDER BY 1',
      [60, 3],
    );
    await same(
      'SELECT b.id, $3 AS tag, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.id BETWEEN $1 AND $2 ORDER BY 1',
      [20, 29, 'a tag'],
    );
    await same(
      'SELECT b.id, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.amount > $1 AND b.id < $2 ORDER BY 1',
      [10.5, 80n],
    );
    // A filter on the dimension implies one on PostgreSQL's join column (implied filters carry the value).
    await same(
      'SELECT count(*) AS n, min(b.id) AS lo FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE d.k = $1',
      [7],
    );
    await same(
      'SELECT count(*) AS n, min(b.id) AS lo FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE d.k = $1',
      [8],
    );
    // Aggregates, DISTINCT and an outer join in the residual.
    await same(
      `SELECT d.grp, count(*) AS n, sum(b.amount) AS s FROM pg.big b LEFT JOIN lake.dim d ON d.k = b.k
       WHERE b.id BETWEEN $1 AND $2 GROUP BY d.grp ORDER BY d.grp NULLS FIRST`,
      [1, 400],
    );
  });

  test('the same text with parameters of another type, or of a value a source refuses, still answers exactly', async () => {
    const sql =
      'SELECT b.id, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.id < $1 AND b.id > $2 ORDER BY 1';
    for (const params of [
      [30, 20],
      ['40', '30'],
      [50n, 40n],
      [null, 1],
      [60, 50],
      [25.5, 20],
    ] as ScalarValue[][])
      await same(sql, params);
  });

  test('errors are the engine’s own: a missing $n, a value of the wrong type, division by zero', async () => {
    const missing = await same(JOIN, [1]);
    assert.ok('error' in missing);
    assert.equal((missing.error.details as { sqlstate?: string }).sqlstate, '42P02');
    const wrongType = await same(JOIN, ['one', 'ten']);
    assert.ok('error' in wrongType);
    // The plan is cached by now: the same text with good values answers again.
    assert.ok('rows' in (await same(JOIN, [5, 14])));
    const division = await same(
      'SELECT b.id / (b.id - $1) AS x, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.id BETWEEN 1 AND 9',
      [4],
    );
    assert.ok('error' in division, 'division by zero fails');
  });

  test('twenty executions at once, each with its own parameters, each answer its own', async () => {
    const ranges = Array.from({ length: 20 }, (_, i) => [i * 37 + 1, i * 37 + 12] as const);
    const expected = await Promise.all(ranges.map((r) => uncached(JOIN, r, ADMIN)));
    const hits = cache.stats.federatedHits;
    for (let round = 0; round < 3; round++) {
      const got = await Promise.all(
        ranges.map((r) => outcome(() => engine.query(JOIN, { params: [...r], context: ADMIN }))),
      );
      assert.deepEqual(got, expected);
    }
    assert.ok(cache.stats.federatedHits - hits >= 40, `federated hits ${cache.stats.federatedHits - hits}`);
  });

  test('an estimate that moves far is planned from scratch, and still answers exactly', async () => {
    const replanned = cache.stats.replanned;
    // Ten rows, then most of the table: the read of `big` is estimated thousands of times larger.
    await same(JOIN, [1, 10]);
    await same(JOIN, [1, 45000], ADMIN, 1);
    assert.ok(cache.stats.replanned > replanned, 'the wide range was planned from scratch');
    await same(JOIN, [11, 20]);
  });

  test('a plan filled by parameters no source takes gives way to the next ordinary execution', async () => {
    const sql =
      'SELECT b.id, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.id BETWEEN $1 AND $2 AND d.grp >= 0 ORDER BY 1';
    await uncached(sql, [1, 10], ADMIN); // first sight
    // Text where numbers belong: no filter is pushed, the plan reads all of `big`, and the execution fails.
    const wrong = await outcome(() => engine.query(sql, { params: ['one', 'ten'], context: ADMIN }));
    assert.deepEqual(wrong, await uncached(sql, ['one', 'ten'], ADMIN));
    assert.ok('error' in wrong);
    const hits = cache.stats.federatedHits;
    for (let i = 0; i < 4; i++) await same(sql, [i * 10 + 1, i * 10 + 10], ADMIN, 2);
    assert.ok(cache.stats.federatedHits - hits >= 6, `federated hits ${cache.stats.federatedHits - hits}`);
  });

  test('an aged plan is planned again, and answers as before', async () => {
    const aging = await createEngine({
      sources: await sources(),
      planCache: { federatedMaxAgeMs: 2_000 },
    });
    try {
      const agingCache = planCacheOf(aging)!;
      const run = (low: number) =>
        outcome(() => aging.query(JOIN, { params: [low, low + 9], context: ADMIN }));
      const expected = await uncached(JOIN, [1, 10], ADMIN);
      for (let i = 0; i < 3; i++) assert.deepEqual(await run(1), expected); // first sight, fill, hit
      assert.equal(agingCache.stats.federatedHits, 1);
      const misses = agingCache.stats.misses;
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      assert.deepEqual(await run(1), expected);
      assert.equal(agingCache.stats.misses, misses + 1, 'planned again once aged');
      assert.deepEqual(await run(1), expected);
      assert.equal(agingCache.stats.federatedHits, 2, 'and reused after');
    } finally {
      await aging.close();
    }
  });
});

describe('plan cache: federated statements and the policies', () => {
  test('callers the policies treat differently never share a plan: masked for analysts, raw for admins', async () => {
    const sql =
      'SELECT b.id, b.v, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.id BETWEEN $1 AND $2 ORDER BY 1';
    const admin = await same(sql, [1, 5], ADMIN);
    const analyst = await same(sql, [1, 5], ANALYST);
    assert.ok('rows' in admin && 'rows' in analyst);
    assert.notDeepEqual(admin.rows, analyst.rows, 'the mask applies to the analyst only');
    // Alternating callers on the warm cache keep their own answers.
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await outcome(() => engine.query(sql, { params: [1, 5], context: ADMIN })), admin);
      assert.deepEqual(await outcome(() => engine.query(sql, { params: [1, 5], context: ANALYST })), analyst);
    }
  });

  test('SPOKE_PLAN_CACHE_FEDERATED=off and { federated: false } keep federated statements out', async () => {
    const { PlanCache } = await import('@spoke/planner');
    assert.equal(new PlanCache({ federated: false }).federated, false);
    assert.equal(new PlanCache().federated, process.env.SPOKE_PLAN_CACHE_FEDERATED !== 'off');
  });
});
