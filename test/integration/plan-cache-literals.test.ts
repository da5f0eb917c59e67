/**
 * Literal-only differences share a plan, over a real PostgreSQL: statements
 * that differ only in the constants they compare with (as simple-protocol
 * clients and ORMs inlining literals send them) are answered from one cached
 * plan (the cache's counters say so), with exactly the rows, column names and
 * types, and errors (SQLSTATE, message, position) of the engine's uncached
 * path; constants that decide more than a value (LIMIT, ORDER BY, the select
 * list) are never shared, and callers the policies treat differently never
 * share a plan.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PostgresConnector, parsePostgresOptions } from '@spoke/connector-postgres';
import { type QueryContext, } from '@spoke/core';
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
let engine: FederatedEngine;
let cache: PlanCache;

const ANALYST: Partial<QueryContext> = { user: 'ann', roles: ['analyst'] };
const ADMIN: Partial<QueryContext> = { user: 'root', roles: ['admin'] };

before(async () => {
  server = await startPostgres();
  server.psql(`
    CREATE TABLE t (id int4 PRIMARY KEY, name text NOT NULL, amount numeric(10,2), region text, big int8, ok boolean);
    INSERT INTO t SELECT g, 'name ' || g, g * 1.25, CASE WHEN g % 3 = 0 THEN NULL ELSE 'r' || (g % 3) END,
      g * 10000000000, g % 2 = 0
      FROM generate_series(1, 100) g;
    INSERT INTO t VALUES (101, 'it''s', -2.50, 'o''hara', -30000000000, NULL), (102, 'ünï', 0.10, 'é', 0, true);`);
  const connector = new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'pg' }), {
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

/** The statement through the cache (twice) and through the engine's own path: the same outcome. */
async function same(sql: string, context: Partial<QueryContext> = ADMIN): Promise<Outcome> {
  const options = { context };
  const uncached = await outcome(() => FederatedEngine.prototype.query.call(engine, sql, options));
  for (let run = 0; run < 2; run++)
    assert.deepEqual(await outcome(() => engine.query(sql, options)), uncached, sql);
  return uncached;
}

const counters = () => ({ ...cache.stats });

describe('plan cache: literal-only differences share a plan', () => {
  test('point queries with inlined ids share one plan and answer as the uncached engine', async () => {
    const before = counters();
    const ids = [1, 2, 3, 50, 99, 100, 101, 0, -1, 2147483647, 1_234_567];
    for (const id of ids) {
      const got = await same(`SELECT id, name, amount FROM pg.t WHERE id = ${id}`);
      assert.ok('rows' in got);
      assert.equal(got.rows.length, id >= 1 && id <= 101 ? 1 : 0, String(id));
    }
    // 22 cached runs: the first sees the shape, the second plans it, every later one is a literal hit.
    const hits = cache.stats.literalHits - before.literalHits;
    assert.ok(hits >= ids.length * 2 - 2, `literal hits ${hits}`);
    assert.ok(
      cache.stats.templateHits - before.templateHits >= hits - 2,
      'int4 constants render from a template',
    );
  });

  test('strings with quotes, negative and int8 numbers, numerics with scale', async () => {
    const before = counters();
    for (const name of ["'name 7'", "'it''s'", "'ünï'", "E'it\\'s'", "''", '$$name 9$$', "'name 7 '"])
      await same(`SELECT id, name FROM pg.t WHERE name = ${name}`);
    for (const region of ["'o''hara'", "'r1'", "'é'"])
      await same(`SELECT id FROM pg.t WHERE region = ${region} AND id < 20 ORDER BY id`);
    for (const big of [
      '-30000000000',
      '500000000000',
      '3000000000',
      '-9223372036854775808',
      '99999999999999999999',
    ])
      await same(`SELECT id, big FROM pg.t WHERE big = ${big}`);
    const numerics = cache.stats.literalHits;
    for (const amount of ['1.25', '1.250', '-2.5', '-2.50', '0.1', '2.5e0', '125e-2', '10.0', '-3.0'])
      await same(`SELECT id, amount FROM pg.t WHERE amount = ${amount}`);
    // Numerics keep their written scale: rendered from the parser's own constants, still one shared plan.
    assert.ok(
      cache.stats.literalHits - numerics >= 16,
      `numeric literal hits ${cache.stats.literalHits - numerics}`,
    );
    for (const [lo, hi] of [
      ['1', '5'],
      ['-10', '0.5'],
      ['2.50', '3.75'],
    ])
      await same(`SELECT id, amount FROM pg.t WHERE amount BETWEEN ${lo} AND ${hi} ORDER BY id`);
    for (const list of ['1, 2, 3', '4, 5, 6', "'7', '8', '9'"])
      await same(`SELECT id FROM pg.t WHERE id IN (${list})`);
    for (const like of ["'name 1%'", "'name 2_'", "'%''%'"])
      await same(`SELECT id FROM pg.t WHERE name LIKE ${like}`);
    assert.ok(
      cache.stats.literalHits - before.literalHits >= 40,
      `literal hits ${cache.stats.literalHits - before.literalHits}`,
    );
  });

  test('NULL and booleans stay in the text and answer as the engine does', async () => {
    await same('SELECT id FROM pg.t WHERE region = NULL');
    await same('SELECT id FROM pg.t WHERE region IS NULL AND id < 10 ORDER BY id');
    await same('SELECT id FROM pg.t WHERE region IS NULL AND id < 20 ORDER BY id');
    await same('SELECT id FROM pg.t WHERE ok = true AND id < 5 ORDER BY id');
    await same('SELECT id FROM pg.t WHERE ok = false AND id < 5 ORDER BY id');
    await same('SELECT id FROM pg.t WHERE ok IS NULL AND id > 99');
  });

  test('LIMIT, ORDER BY and select-list constants are not shared', async () => {
    for (const n of [1, 2, 3, 4]) {
      const got = await same(`SELECT id FROM pg.t WHERE id > 10 ORDER BY id LIMIT ${n}`);
      assert.ok('rows' in got);
      assert.equal(got.rows.length, n);
    }
    for (const n of [1, 2, 3]) {
      const got = await same(`SELECT id, name FROM pg.t WHERE id < 4 ORDER BY ${n}`);
      // There is no third column to sort by.
      assert.equal('rows' in got, n < 3);
    }
    for (const c of ['5', "'x'", '2.50', '3000000000']) {
      const got = await same(`SELECT id, ${c} FROM pg.t WHERE id = 7`);
      assert.ok('rows' in got && got.rows.length === 1, c);
    }
    for (const n of [2, 3])
      await same(`SELECT region, count(*) FROM pg.t WHERE id > ${n} GROUP BY 1 ORDER BY 1`);
    for (const d of ["'1 day'", "'2 days'"])
      await same(`SELECT id FROM pg.t WHERE id = 3 AND now() > now() - INTERVAL ${d}`);
  });

  test('kinds are part of the shape: int4, int8 and numeric constants get their own plans', async () => {
    for (const v of ['5', '6', '5000000000', '6000000000', '5.0', '6.00', "'5'", "'6'"])
      await same(`SELECT id FROM pg.t WHERE id = ${v}`);
  });

  test('errors are the engine’s own (code, message, details), whatever the constant', async () => {
    for (const bad of ["'abc'", "'x y'", "'1.5'", "'99999999999'"]) {
      const got = await same(`SELECT id FROM pg.t WHERE id = ${bad}`);
      assert.ok('error' in got, bad);
      assert.match(got.error.message, /invalid input syntax for type integer|out of range/, bad);
    }
    for (const n of [1, 2]) assert.ok('error' in (await same(`SELECT nope FROM pg.t WHERE id = ${n}`)));
    for (const n of [1, 2]) assert.ok('error' in (await same(`SELECT id FROM pg.nope WHERE id = ${n}`)));
    for (const n of [1, 2]) assert.ok('error' in (await same(`SELECT id FROM pg.t WHERE id = ${n} AND`)));
    for (const n of [3, 4]) assert.ok('error' in (await same(`SELECT id FROM pg.t WHERE id / 0 = ${n}`)));
  });

  test('a shape the cache would not plan as the engine plans the statement is not shared', async () => {
    // aggregate_only refuses comparing a protected text column with a parameter (not known to be text),
    // and allows a string literal: the shape cannot be planned, each statement runs the engine's path.
    const policy = await createSecurityPolicy([
      { name: 't_agg', on: 'pg.t', rule: 'aggregate_only', roles: ['analyst'], min_group_size: 1 },
    ]);
    const other = await createEngine({
      sources: {
        pg: new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'pg' }), {
          sourceName: 'pg',
        }),
      },
      policy,
    });
    try {
      const otherCache = planCacheOf(other)!;
      for (const name of ["'name 5'", "'name 6'", "'name 7'", "'name 8'"]) {
        const sql = `SELECT count(*) FROM pg.t WHERE name = ${name}`;
        const options = { context: ANALYST };
        const uncached = await outcome(() => FederatedEngine.prototype.query.call(other, sql, options));
        assert.ok('rows' in uncached, 'error' in uncached ? uncached.error.message : sql);
        for (let run = 0; run < 2; run++)
          assert.deepEqual(await outcome(() => other.query(sql, options)), uncached, sql);
      }
      // The statement itself is cacheable (its exact text hits), its literal-free shape is not.
      await outcome(() =>
        other.query("SELECT count(*) FROM pg.t WHERE name = 'name 8'", { context: ANALYST }),
      );
      assert.ok(otherCache.stats.hits > 0, 'the exact text hits');
      assert.equal(otherCache.stats.literalHits, 0);
    } finally {
      await other.close();
    }
  });

  test('planCache: { literals: false } keys statements by their exact text only', async () => {
    const other = await createEngine({
      sources: {
        pg: new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'pg' }), {
          sourceName: 'pg',
        }),
      },
      planCache: { literals: false },
    });
    try {
      const otherCache = planCacheOf(other)!;
      for (const id of [1, 2, 3, 4, 5, 5, 5]) {
        const got = await outcome(() => other.query(`SELECT id FROM pg.t WHERE id = ${id}`));
        assert.ok('rows' in got && got.rows.length === 1);
      }
      assert.equal(otherCache.stats.literalHits, 0);
      assert.equal(otherCache.stats.hits, 1, 'the third `id = 5` hits its exact text');
    } finally {
      await other.close();
    }
  });

  test('callers the policies treat differently get their own shared plans (masked for analysts)', async () => {
    const masked = await same('SELECT id, name FROM pg.t WHERE id = 12', ANALYST);
    const raw = await same('SELECT id, name FROM pg.t WHERE id = 12', ADMIN);
    assert.notDeepEqual(masked, raw);
    for (const id of [13, 14, 15]) {
      const a = await same(`SELECT id, name FROM pg.t WHERE id = ${id}`, ANALYST);
      const b = await same(`SELECT id, name FROM pg.t WHERE id = ${id}`, ADMIN);
      assert.ok('rows' in a && 'rows' in b);
      assert.notEqual(a.rows[0]![1], b.rows[0]![1], 'the analyst sees the name masked');
      assert.equal(b.rows[0]![1], `name ${id}`);
    }
  });
});
