/**
 * The planner's plan cache over a real PostgreSQL: every statement answers
 * exactly as the engine's uncached path does (rows, column names and types,
 * errors with their SQLSTATE and position), whatever the parameters; a plan
 * is dropped when its table changes in the catalog, and callers the security
 * policies treat differently never share one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PostgresConnector, parsePostgresOptions } from '@spoke/connector-postgres';
import { type QueryContext, type ScalarValue, } from '@spoke/core';
import {
  createEngine,
  createSecurityPolicy,
  FederatedEngine,
  type PlanCache,
  planCacheOf,
} from '@spoke/planner';
import { type PostgresServer, startPostgres } from '../harness/index.js';
import { outcome } from './query-outcome.js';

let server: PostgresServer;
let connector: PostgresConnector;
let engine: FederatedEngine;
let cache: PlanCache;

const ANALYST: Partial<QueryContext> = { user: 'ann', roles: ['analyst'] };
const ADMIN: Partial<QueryContext> = { user: 'root', roles: ['admin'] };

before(async () => {
  server = await startPostgres();
  server.psql(`
    CREATE TABLE t (id int4 PRIMARY KEY, name text NOT NULL, amount numeric(10,2), region text, big int8);
    INSERT INTO t SELECT g, 'name ' || g, g * 1.25, CASE WHEN g % 3 = 0 THEN NULL ELSE 'r' || (g % 3) END, g * 10000000000
      FROM generate_series(1, 100) g;
    CREATE TABLE u (id int4 PRIMARY KEY, t_id int4 NOT NULL, note text);
    INSERT INTO u SELECT g, g % 50 + 1, 'note ' || g FROM generate_series(1, 200) g;`);
  connector = new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'pg' }), {
    sourceName: 'pg',
  });
  const policy = await createSecurityPolicy([
    {
      name: 'name_mask',
      on: 'pg.t.name',
      rule: 'mask',
      mask: 'partial',
      roles: ['*'],
      except_roles: ['admin'],
    },
  ]);
  engine = await createEngine({ sources: { pg: connector }, policy });
  cache = planCacheOf(engine)!;
});

after(async () => {
  await engine?.close();
  await server?.close();
});

/**
 * The statement through the cache (the first run of a text goes uncached, the second fills the cache, later
 * ones hit), and through the engine's own path.
 */
async function same(sql: string, params: readonly ScalarValue[], context: Partial<QueryContext> = ADMIN) {
  const options = { params: [...params], context };
  const uncached = await outcome(() => FederatedEngine.prototype.query.call(engine, sql, options));
  for (let run = 0; run < 3; run++) {
    const cached = await outcome(() => engine.query(sql, options));
    assert.deepEqual(
      cached,
      uncached,
      `${sql} ${JSON.stringify(params, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`,
    );
  }
  return uncached;
}

describe('plan cache: same answers as the uncached engine', () => {
  test('point queries with many parameter values share one plan', async () => {
    const hits = cache.stats.hits;
    const templated = cache.stats.templateHits;
    // 1234567 is the value the render template probes with for a first int parameter.
    for (const id of [1, 2, 50, 99, 100, 101, -1, 0, 1_234_567]) {
      const got = await same('SELECT id, name, amount FROM pg.t WHERE id = $1', [id]);
      assert.ok('rows' in got);
      assert.equal(got.rows.length, id >= 1 && id <= 100 ? 1 : 0);
    }
    assert.ok(cache.stats.hits >= hits + 15, `hits ${cache.stats.hits - hits}`);
    // All but the first hit for int4 parameters use the render template; 0 and -1 are int4 too.
    assert.ok(
      cache.stats.templateHits >= templated + 14,
      `template hits ${cache.stats.templateHits - templated}`,
    );
  });

  test('parameters of every kind: text, NULL, bigint, fractional, boolean, out-of-int32 numbers', async () => {
    await same('SELECT id FROM pg.t WHERE name = $1', ['name 7']);
    await same("SELECT id FROM pg.t WHERE name = $1 OR name = 'name 8'", ["it's"]);
    await same('SELECT id FROM pg.t WHERE region = $1', [null]);
    await same('SELECT id FROM pg.t WHERE region IS NOT DISTINCT FROM $1 ORDER BY id LIMIT 3', [null]);
    await same('SELECT id, big FROM pg.t WHERE big = $1', [500000000000n]);
    await same('SELECT id, big FROM pg.t WHERE big > $1 ORDER BY id LIMIT 2', [3_000_000_000]);
    await same('SELECT id FROM pg.t WHERE amount = $1', [12.5]);
    await same('SELECT id FROM pg.t WHERE amount > $1 ORDER BY id LIMIT 3', ['120.00']);
    await same('SELECT id FROM pg.t WHERE (id > 98) = $1 ORDER BY id', [true]);
    await same('SELECT id FROM pg.t WHERE id = $1 AND id = $2', [5, 5]);
    await same('SELECT id FROM pg.t WHERE id = $2 OR id = $1 ORDER BY id', [5, 6]);
    // The same text, one parameter changing type between executions.
    await same('SELECT count(*) AS n FROM pg.t WHERE id < $1', [10]);
    await same('SELECT count(*) AS n FROM pg.t WHERE id < $1', ['20']);
    await same('SELECT count(*) AS n FROM pg.t WHERE id < $1', [30n]);
    await same('SELECT count(*) AS n FROM pg.t WHERE id < $1', [null]);
    await same('SELECT count(*) AS n FROM pg.t WHERE id < $1', [40]);
    // Parameters in positions the dialect keeps inline (ORDER BY position) are rendered each time.
    await same('SELECT id, name FROM pg.t WHERE id < 5 ORDER BY $1', [1]);
    await same('SELECT id, name FROM pg.t WHERE id < 5 ORDER BY $1', [2]);
    await same('SELECT id, name, $2 AS tag FROM pg.t WHERE name = $1', ['name 3', 'a tag']);
    await same('SELECT id, name, $2 AS tag FROM pg.t WHERE name = $1', ['name 4', 'name 4']);
  });

  test('scans, sorting, limits, aggregates and joins inside the source', async () => {
    await same('SELECT id, name FROM pg.t WHERE id BETWEEN $1 AND $2 ORDER BY id DESC', [10, 30]);
    await same('SELECT * FROM pg.t ORDER BY id LIMIT $1', [4]);
    await same(
      'SELECT region, count(*) AS n, sum(amount) AS s FROM pg.t GROUP BY region ORDER BY region',
      [],
    );
    await same(
      'SELECT t.id, u.note FROM pg.t t JOIN pg.u u ON u.t_id = t.id WHERE t.id = $1 ORDER BY u.id',
      [7],
    );
    await same('SELECT id FROM pg.t WHERE id IN ($1, $2, $3) ORDER BY 1', [3, 1, 2]);
    await same("SELECT upper(name) AS n, 'lit' AS l, 42 AS k FROM pg.t WHERE id = $1", [3]);
  });

  test('errors are the engine’s own: source errors located, a missing $n, unknown tables and columns', async () => {
    const division = await same('SELECT id / (id - $1) AS x FROM pg.t WHERE id = $1', [3]);
    assert.ok('error' in division, 'division by zero fails');
    const missing = await same('SELECT id FROM pg.t WHERE id = $2', [1]);
    assert.ok('error' in missing);
    assert.equal((missing.error.details as { sqlstate?: string }).sqlstate, '42P02');
    assert.ok('error' in (await same('SELECT id FROM pg.nope WHERE id = $1', [1])));
    assert.ok('error' in (await same('SELECT nope FROM pg.t WHERE id = $1', [1])));
    assert.ok('error' in (await same('SELECT id FROM pg.t WHERE id = $1', ['not a number'])));
  });

  test('statements the cache does not keep still answer: system catalog, session, federated', async () => {
    await same('SELECT 1 AS one', []);
    await same("SELECT relname FROM pg_catalog.pg_class WHERE relname = 'nothing'", []);
    await same('SELECT id FROM pg.t WHERE id = $1 AND now() > $2', [4, '2000-01-01']);
  });
});

describe('plan cache: invalidation', () => {
  test('a changed table (new column) drops the plan: SELECT * sees the new column', async () => {
    const sql = 'SELECT * FROM pg.t WHERE id = $1';
    const before = await same(sql, [5]);
    assert.ok('columns' in before);
    server.psql(`ALTER TABLE t ADD COLUMN extra text DEFAULT 'x'`);
    connector.invalidateCatalog();
    const invalidations = cache.stats.invalidations;
    const afterChange = await same(sql, [5]);
    assert.ok('columns' in afterChange);
    assert.equal(afterChange.columns.length, before.columns.length + 1);
    assert.ok(afterChange.columns.at(-1)!.startsWith('extra:'));
    assert.equal(cache.stats.invalidations, invalidations + 1);
  });

  test('a dropped table: the cached statement fails as the engine does', async () => {
    const sql = 'SELECT note FROM pg.u WHERE id = $1';
    await same(sql, [1]);
    server.psql('DROP TABLE u');
    connector.invalidateCatalog();
    const gone = await same(sql, [1]);
    assert.ok('error' in gone);
    assert.equal(gone.error.code, 'TABLE_NOT_FOUND');
  });

  test('callers the policies treat differently get their own plans (masked for analysts, raw for admins)', async () => {
    const sql = 'SELECT id, name FROM pg.t WHERE id = $1';
    const admin = await same(sql, [9], ADMIN);
    const analyst = await same(sql, [9], ANALYST);
    assert.ok('rows' in admin && 'rows' in analyst);
    assert.deepEqual(admin.rows, [[9n, 'name 9']]);
    assert.notDeepEqual(analyst.rows, admin.rows, 'the mask applies to analysts');
    // Interleaved: neither caller ever gets the other's plan.
    for (const id of [10, 11]) {
      const a = await same(sql, [id], ANALYST);
      const b = await same(sql, [id], ADMIN);
      assert.ok('rows' in a && 'rows' in b);
      assert.deepEqual(b.rows, [[BigInt(id), `name ${id}`]]);
      assert.notDeepEqual(a.rows, b.rows);
    }
  });

  test('planCache: false gives an engine without one', async () => {
    const plain = await createEngine({ sources: {}, planCache: false });
    try {
      assert.equal(planCacheOf(plain), undefined);
    } finally {
      await plain.close();
    }
  });
});
