/**
 * Binding and push-down decisions, checked two ways: what each source was
 * asked (recorded scan requests, EXPLAIN) and the answer (equal to DuckDB
 * running the very same SQL over the same database files).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { type Expr, formatExpression, SpokeError } from '@spoke/core';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB, diffRows } from '@spoke/testing';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';
import { createFixtures, type Fixtures } from './support/fixtures.js';
import { type RecordingConnector, recording } from './support/recording-connector.js';

let fx: Fixtures;
let engine: FederatedEngine;
let crm: RecordingConnector;
let shop: RecordingConnector;
let inexactEngine: FederatedEngine;
let inexactCrm: RecordingConnector;
let reference: { run(sql: string): Promise<unknown[][]> };

before(async () => {
  fx = await createFixtures();
  const open = async (name: string, path: string) =>
    duckdb.create({ path }, { sourceName: name, baseDir: fx.dir });
  crm = recording(await open('crm', fx.crmPath));
  shop = recording(await open('shop', fx.shopPath));
  // `shop` behind a slow link (as a remote server would be): waiting for a small side's keys pays there.
  engine = await createEngine({
    sources: { crm, shop },
    links: { shop: { latencyMs: 5, rowsPerSecond: 2_000 } },
  });
  inexactCrm = recording(await open('crm', fx.crmPath), 'inexact');
  inexactEngine = await createEngine({
    sources: { crm: inexactCrm, shop: recording(await open('shop', fx.shopPath)) },
  });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`ATTACH '${fx.crmPath}' AS crm (READ_ONLY)`);
  await c.run(`ATTACH '${fx.shopPath}' AS shop (READ_ONLY)`);
  reference = {
    async run(sql: string) {
      const result = await c.run(sql);
      const chunks = await result.fetchAllChunks();
      const ints = result.columnTypes().map((t) => /INT/.test(String(t)));
      return canonicalRowsFromDuckDB(chunks, ints) as unknown[][];
    },
  };
});

after(async () => {
  await engine?.close();
  await inexactEngine?.close();
  fx?.close();
});

async function rows(e: FederatedEngine, sql: string, params: unknown[] = []) {
  const result = await e.query(sql, { params: params as never });
  return canonicalRowsFromBatches(await collectBatches(result)) as unknown[][];
}

/** The engine's answer equals DuckDB's on the same files (as multisets, or in order when `ordered`). */
async function assertSameAnswer(sql: string, ordered = false, e: FederatedEngine = engine) {
  const actual = await rows(e, sql);
  const expected = await reference.run(sql);
  if (ordered) {
    assert.deepEqual(actual, expected, sql);
  } else {
    const diff = diffRows(actual as never, expected as never);
    assert.deepEqual(diff, { extra: [], missing: [] }, sql);
  }
  return actual;
}

/** The filters the query itself put on a scan (without the dynamic join-key filters). */
const own = (r: { filters: readonly Expr[] }) =>
  r.filters.filter((f) => !(f.kind === 'in' && f.list.length > 3));

function lastRequest(c: RecordingConnector, table: string) {
  const r = [...c.requests].reverse().find((x) => x.table === table);
  assert.ok(r, `no scan of ${table}`);
  return r.request;
}

const show = (e: Expr): string => JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

describe('binding', () => {
  test('unknown table names the table and suggests the closest', async () => {
    await assert.rejects(engine.query('SELECT * FROM crm.customer'), (e: unknown) => {
      assert.ok(SpokeError.isInstance(e));
      assert.equal(e.code, 'TABLE_NOT_FOUND');
      assert.match(e.message, /crm\.customer.*did you mean "customers"/);
      return true;
    });
  });
  test('unknown source suggests the closest source', async () => {
    await assert.rejects(
      engine.query('SELECT * FROM crn.customers'),
      /source "crn" does not exist \(did you mean "crm"\?\)/,
    );
  });
  test('unqualified table suggests its qualified name', async () => {
    await assert.rejects(engine.query('SELECT * FROM customers'), /did you mean "crm\.customers"/);
  });
  test('unknown column names it and suggests the closest', async () => {
    await assert.rejects(engine.query('SELECT nmae FROM crm.customers'), (e: unknown) => {
      assert.ok(SpokeError.isInstance(e));
      assert.equal(e.code, 'COLUMN_NOT_FOUND');
      assert.match(e.message, /column "nmae" does not exist \(did you mean "name"\?\)/);
      return true;
    });
    await assert.rejects(engine.query('SELECT c.nmae FROM crm.customers c'), /c\.nmae does not exist/);
  });
  test("source.table.column (PostgreSQL's schema.table.column, as Metabase writes it) names an unaliased table", async () => {
    const sql = `SELECT "crm"."customers"."id", count(*) AS n FROM "crm"."customers"
      JOIN shop.orders ON shop.orders.customer_id = crm.customers.id
      WHERE crm.customers.id <= 3 GROUP BY "crm"."customers"."id" ORDER BY crm.customers.id`;
    const batches = await collectBatches(await engine.query(sql));
    const expected = await fx.reference(
      'SELECT c.id, count(*) AS n FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id WHERE c.id <= 3 GROUP BY c.id ORDER BY c.id',
    );
    assert.deepEqual(
      batches.flatMap((b) => b.toArray().map((r) => [Number(r.id), Number(r.n)])),
      expected.map((r) => [Number(r.id), Number(r.n)]),
    );
    assert.equal(batches[0]?.schema.fields[0]?.name, 'id');
    // With the source's schema too, and a refusal (42P01) once the table has an alias.
    await collectBatches(await engine.query('SELECT crm.main.customers.id FROM crm.main.customers LIMIT 1'));
    await assert.rejects(engine.query('SELECT crm.customers.id FROM crm.customers c'), (e: unknown) => {
      assert.ok(SpokeError.isInstance(e));
      assert.equal(e.code, 'TABLE_NOT_FOUND');
      assert.match(e.message, /missing FROM-clause entry for table "crm\.customers"/);
      return true;
    });
  });
  test('ambiguous column is an error', async () => {
    await assert.rejects(
      engine.query('SELECT id FROM crm.customers c JOIN shop.orders o ON c.id = o.customer_id'),
      /ambiguous/,
    );
  });
  test('syntax errors carry the position', async () => {
    await assert.rejects(
      engine.query('SELEC 1'),
      (e: unknown) => SpokeError.isInstance(e) && e.code === 'SYNTAX_ERROR',
    );
  });
  test('columns resolve through aliases, CTEs, sub-queries, USING and *', async () => {
    await assertSameAnswer(`WITH eu AS (SELECT id, name FROM crm.customers WHERE region = 'EU')
      SELECT e.name, t.total FROM eu e JOIN (SELECT customer_id AS id, sum(amount) AS total FROM shop.orders GROUP BY 1) t USING (id)`);
    await assertSameAnswer('SELECT * FROM crm.customers c WHERE c.id < 5');
    await assertSameAnswer(
      'SELECT c.* , o.amount FROM crm.customers c, shop.orders o WHERE c.id = o.customer_id AND o.id < 50',
    );
    await assertSameAnswer('SELECT count(*) FROM crm.main.customers');
  });
});

describe('push-down', () => {
  test('projection and exact filters reach the source; exact filters leave the residual', async () => {
    await assertSameAnswer("SELECT name FROM crm.customers WHERE id > 90 AND region = 'EU'");
    const r = lastRequest(crm, 'customers');
    assert.deepEqual([...r.projection].sort(), ['id', 'name', 'region']);
    assert.equal(r.filters.length, 2);
    const plan = await engine.explain("SELECT name FROM crm.customers WHERE id > 90 AND region = 'EU'");
    assert.equal(
      plan.sources[0]!.filters.every((f) => f.support === 'exact'),
      true,
    );
    assert.doesNotMatch(plan.residualSql, /WHERE/i);
  });
  test('EXISTS (SELECT * …) reads only the columns its WHERE needs (TPC-H Q21, Q22)', async () => {
    await assertSameAnswer(`SELECT c.id FROM crm.customers c
      WHERE EXISTS (SELECT * FROM shop.orders o WHERE o.customer_id = c.id AND o.returned)
        AND NOT EXISTS (SELECT o2.* FROM shop.orders o2 WHERE o2.customer_id = c.id AND o2.amount > 99)`);
    const scans = shop.requests.filter((r) => r.table === 'orders').slice(-2);
    assert.equal(scans.length, 2);
    for (const { request } of scans) assert.ok(!request.projection.includes('id'), request.projection.join());
  });
  test('count(*) asks for no column', async () => {
    await assertSameAnswer('SELECT count(*) FROM crm.customers');
    assert.deepEqual(lastRequest(crm, 'customers').projection, []);
  });
  test('string literals are typed by the column they meet', async () => {
    await assertSameAnswer("SELECT id FROM crm.customers WHERE signup_date >= '2024-03-01'");
    const f = lastRequest(crm, 'customers').filters[0]!;
    assert.match(show(f), /"id":"date"/);
  });
  test('no filter moves below the null-supplying side of an outer join', async () => {
    const sql = `SELECT c.id, o.id AS oid FROM crm.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id AND o.amount > 50
                 WHERE o.returned IS NULL AND c.region = 'US'`;
    await assertSameAnswer(sql);
    const orders = lastRequest(shop, 'orders');
    // The ON conjunct about the inner side may move; the WHERE conjunct about it may not.
    assert.equal(own(orders).length, 1);
    assert.match(show(own(orders)[0]!), /amount/);
    assert.equal(own(lastRequest(crm, 'customers')).length, 1);
  });
  test('OR across tables stays in DuckDB', async () => {
    await assertSameAnswer(`SELECT c.id, o.id FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
                            WHERE c.region = 'EU' OR o.amount > 90`);
    assert.equal(own(lastRequest(crm, 'customers')).length, 0);
    assert.equal(own(lastRequest(shop, 'orders')).length, 0);
  });
  test('an OR across tables still narrows each scan by what every branch says about it', async () => {
    const sql = `SELECT c.id, o.id FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
                 WHERE (c.region = 'EU' AND o.amount > 90) OR (c.region = 'US' AND o.amount < 5)`;
    await assertSameAnswer(sql);
    // Besides the join's own filters on customer_id (its keys, their range).
    const orders = own(lastRequest(shop, 'orders')).filter((f) => !/customer_id/.test(show(f)));
    assert.equal(orders.length, 1);
    assert.equal(orders[0]!.kind, 'or');
    assert.equal(own(lastRequest(crm, 'customers'))[0]?.kind, 'or');
    // Implied, not equivalent: the OR itself stays in the residual.
    assert.match((await engine.explain(sql)).residualSql, /OR/);
  });
  test('volatile functions are never pushed', async () => {
    await engine.query('SELECT id FROM crm.customers WHERE id > random() * 1000').then(collectBatches);
    assert.equal(lastRequest(crm, 'customers').filters.length, 0);
  });
  test('correlated sub-queries: the outer reference stays local', async () => {
    await assertSameAnswer(`SELECT c.id FROM crm.customers c WHERE c.id < 20 AND EXISTS
      (SELECT 1 FROM shop.orders o WHERE o.customer_id = c.id AND o.amount > 95)`);
    const orders = lastRequest(shop, 'orders');
    // The correlation is a join edge: its own filter, and the outer one the edge implies (c.id < 20, so
    // customer_id < 20) — which leaves the customers' keys nothing more to cut, so none are waited for.
    assert.deepEqual(own(orders).map(formatExpression), ['amount > 95', 'customer_id < 20']);
    assert.ok(!orders.filters.some((f) => f.kind === 'in'), orders.filters.map(formatExpression).join(', '));
  });
  test('limit and top-N are pushed for a single table with exact filters', async () => {
    await assertSameAnswer('SELECT id, name FROM crm.customers WHERE id > 10 ORDER BY id DESC LIMIT 5', true);
    const r = lastRequest(crm, 'customers');
    assert.equal(r.limit, 5);
    assert.equal(r.orderBy?.[0]?.direction, 'desc');
    await assertSameAnswer('SELECT id FROM crm.customers ORDER BY id LIMIT 3 OFFSET 2', true);
    assert.equal(lastRequest(crm, 'customers').limit, 5);
  });
  test('no limit is pushed past GROUP BY, joins or inexact filters', async () => {
    await assertSameAnswer(
      'SELECT region, count(*) FROM crm.customers GROUP BY region ORDER BY 2, 1 LIMIT 1',
      true,
    );
    assert.equal(lastRequest(crm, 'customers').limit, undefined);
    await assertSameAnswer(
      'SELECT c.id FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id ORDER BY 1 LIMIT 3',
      true,
    );
    assert.equal(lastRequest(crm, 'customers').limit, undefined);
    await assertSameAnswer(
      "SELECT id FROM crm.customers WHERE region = 'EU' ORDER BY id LIMIT 4",
      true,
      inexactEngine,
    );
    const r = lastRequest(inexactCrm, 'customers');
    assert.equal(r.limit, undefined);
    assert.equal(r.filters.length, 1);
  });
  test('limit and top-N go through outer joins to the preserved side', async () => {
    // Every order reaches the result once (customer 101–120 do not exist: NULL names), so the first 7 orders are the answer's.
    const sql = `SELECT o.id, o.amount, c.name FROM shop.orders o LEFT JOIN crm.customers c ON c.id = o.customer_id
                 WHERE o.amount > 10 ORDER BY o.id DESC LIMIT 7`;
    const answer = await assertSameAnswer(sql, true);
    assert.equal(answer.length, 7);
    const orders = lastRequest(shop, 'orders');
    assert.equal(orders.limit, 7);
    assert.equal(orders.orderBy?.[0]?.direction, 'desc');
    // The preserved side of a RIGHT join, with an offset; and an ORDER BY naming a select-list alias.
    await assertSameAnswer(
      `SELECT o.id AS order_id, c.region FROM crm.customers c RIGHT JOIN shop.orders o ON c.id = o.customer_id
       ORDER BY order_id LIMIT 4 OFFSET 2`,
      true,
    );
    assert.equal(lastRequest(shop, 'orders').limit, 6);
    // A chain of LEFT joins down to the table, and a LIMIT without order (its count is what can be checked).
    await assertSameAnswer(
      `SELECT count(*) FROM (SELECT o.id FROM shop.orders o LEFT JOIN crm.customers c ON c.id = o.customer_id
       LEFT JOIN crm.customers c2 ON c2.id = o.customer_id + 1 LIMIT 5) t`,
    );
    assert.equal(lastRequest(shop, 'orders').limit, 5);
  });
  test('limit and top-N go into each branch of a UNION ALL', async () => {
    // Hot rows in one source, the archive in another: each branch gives at most the first 6 of the whole.
    await assertSameAnswer(
      `SELECT id, amount FROM shop.orders WHERE amount > 5
       UNION ALL SELECT id, 0 FROM crm.customers ORDER BY id DESC LIMIT 6`,
      true,
    );
    for (const [c, table] of [
      [shop, 'orders'],
      [crm, 'customers'],
    ] as const) {
      const r = lastRequest(c, table);
      assert.equal(r.limit, 6, table);
      assert.equal(r.orderBy?.[0]?.direction, 'desc', table);
      assert.equal(r.orderBy?.[0]?.expr.kind === 'column' && r.orderBy[0].expr.name, 'id', table);
    }
    // `*` branches, an ORDER BY by position and by the first branch's name, an offset, nested UNION ALLs.
    await assertSameAnswer(
      'SELECT * FROM crm.customers UNION ALL SELECT * FROM crm.customers ORDER BY 1 LIMIT 3 OFFSET 2',
      true,
    );
    assert.equal(lastRequest(crm, 'customers').limit, 5);
    await assertSameAnswer(
      `SELECT name AS label, id FROM crm.customers UNION ALL (SELECT 'order', id FROM shop.orders
       UNION ALL SELECT name, id + 1000 FROM crm.customers) ORDER BY id DESC, label LIMIT 4`,
      true,
    );
    assert.equal(lastRequest(shop, 'orders').limit, 4);
    assert.equal(lastRequest(shop, 'orders').orderBy?.[0]?.expr.kind, 'column');
    // Both branches over customers get it, one ordered by its own expression for the key (id + 1000).
    const customers = crm.requests.filter((r) => r.table === 'customers').slice(-2);
    assert.deepEqual(
      customers.map((r) => r.request.limit),
      [4, 4],
    );
    assert.ok(customers.some((r) => r.request.orderBy?.[0]?.expr.kind === 'arithmetic'));
  });
  test('no limit goes into a UNION that may drop rows, or a branch that changes cardinality', async () => {
    await assertSameAnswer(
      'SELECT id FROM shop.orders UNION SELECT id FROM crm.customers ORDER BY 1 LIMIT 5',
      true,
    );
    assert.equal(lastRequest(shop, 'orders').limit, undefined);
    await assertSameAnswer(
      'SELECT id FROM shop.orders INTERSECT SELECT id FROM crm.customers ORDER BY 1 LIMIT 5',
      true,
    );
    assert.equal(lastRequest(shop, 'orders').limit, undefined);
    await assertSameAnswer(
      `SELECT customer_id, count(*) FROM shop.orders GROUP BY customer_id
       UNION ALL SELECT id, 1 FROM crm.customers ORDER BY 1, 2 LIMIT 5`,
      true,
    );
    assert.equal(lastRequest(shop, 'orders').limit, undefined);
    assert.equal(lastRequest(crm, 'customers').limit, 5);
  });
  test('no limit goes through a join that may drop rows, or past an order or filter of the other side', async () => {
    const cases = [
      // Inner and full joins may drop or add rows.
      `SELECT o.id, c.name FROM shop.orders o JOIN crm.customers c ON c.id = o.customer_id ORDER BY o.id LIMIT 5`,
      `SELECT o.id, c.name FROM shop.orders o FULL JOIN crm.customers c ON c.id = o.customer_id ORDER BY o.id NULLS LAST LIMIT 5`,
      // The other side decides the order, or filters the rows.
      `SELECT o.id, c.name FROM shop.orders o LEFT JOIN crm.customers c ON c.id = o.customer_id ORDER BY c.name NULLS LAST, o.id LIMIT 5`,
      `SELECT o.id, c.name FROM shop.orders o LEFT JOIN crm.customers c ON c.id = o.customer_id WHERE c.region = 'EU' ORDER BY o.id LIMIT 5`,
      `SELECT o.id, c.name FROM shop.orders o LEFT JOIN crm.customers c ON c.id = o.customer_id WHERE c.id IS NULL ORDER BY o.id LIMIT 5`,
      // The nullable side of a LEFT join.
      `SELECT c.id, o.id FROM crm.customers c LEFT JOIN shop.orders o ON c.id = o.customer_id ORDER BY o.id NULLS LAST, c.id LIMIT 5`,
    ];
    for (const sql of cases) {
      await assertSameAnswer(sql, true);
      assert.equal(lastRequest(shop, 'orders').limit, undefined, sql);
    }
  });
  test('dynamic filtering: the join keys of the small side restrict the scan of the big side', async () => {
    const sql = `SELECT c.name, o.amount FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
                 WHERE c.region = 'EU' AND c.id < 20`;
    await assertSameAnswer(sql);
    const orders = lastRequest(shop, 'orders');
    const keys = orders.filters.find((f) => f.kind === 'in');
    assert.ok(keys && keys.kind === 'in', 'orders was not restricted by the customers keys');
    assert.deepEqual(
      keys.list.map((k) => (k.kind === 'literal' ? Number(k.value) : NaN)).sort((a, b) => a - b),
      [3, 6, 9, 12, 15, 18],
    );
    const plan = await engine.explain(sql);
    assert.match(
      JSON.stringify(plan.sources.find((s) => s.table === 'main.orders')?.dynamicFilters),
      /customer_id IN \(keys of c\.id/,
    );
    // Only from the preserved side of an outer join into the other side, never the reverse.
    await assertSameAnswer(
      "SELECT c.id, o.id FROM crm.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id WHERE c.region = 'EU'",
    );
    assert.ok(lastRequest(shop, 'orders').filters.some((f) => f.kind === 'in'));
    await assertSameAnswer(
      'SELECT o.id, c.name FROM shop.orders o LEFT JOIN crm.customers c ON c.id = o.customer_id WHERE o.id < 30',
    );
    assert.ok(!lastRequest(crm, 'customers').filters.some((f) => f.kind === 'in'));
  });
  test('inexact filters are applied again in DuckDB', async () => {
    const sql = "SELECT id FROM crm.customers WHERE region = 'EU' AND id < 40";
    await assertSameAnswer(sql, false, inexactEngine);
    const plan = await inexactEngine.explain(sql);
    assert.deepEqual(
      plan.sources[0]!.filters.map((f) => f.support),
      ['inexact', 'inexact'],
    );
    assert.match(plan.residualSql, /WHERE/);
  });
  test('parameters are bound, in filters and in the residual', async () => {
    const result = await rows(engine, 'SELECT name FROM crm.customers WHERE id = $1 OR name = $2', [
      7,
      'customer 9',
    ]);
    assert.deepEqual(result.map((r) => r[0]).sort(), ['customer 7', 'customer 9']);
    const one = await rows(engine, 'SELECT name FROM crm.customers WHERE id = $1', ['12']);
    assert.deepEqual(one, [['customer 12']]);
  });
});

describe('execution', () => {
  test('cross-source joins, aggregates, windows, set operations', async () => {
    await assertSameAnswer(`SELECT c.region, count(*) AS n, sum(o.amount) AS total FROM crm.customers c
      JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.region`);
    await assertSameAnswer(
      `SELECT id, rank() OVER (PARTITION BY region ORDER BY id DESC) AS r FROM crm.customers`,
    );
    await assertSameAnswer(
      'SELECT id FROM crm.customers WHERE id < 5 UNION ALL SELECT id FROM shop.orders WHERE id < 3',
    );
    await assertSameAnswer(`SELECT customer_id FROM shop.orders EXCEPT SELECT id FROM crm.customers`);
  });
  test('EXPLAIN as SQL shows the scans and the residual', async () => {
    const text = (await rows(engine, "EXPLAIN SELECT name FROM crm.customers WHERE region = 'EU'"))
      .map((r) => r[0])
      .join('\n');
    assert.match(text, /Scan crm\.main\.customers/);
    assert.match(text, /Filter \[exact\]: region = 'EU'/);
    assert.match(text, /Residual \(DuckDB\)/);
  });
  test('session statements', async () => {
    const { Session } = await import('../src/index.js');
    const session = new Session();
    assert.equal((await engine.query("SET application_name = 'x'", { session })).command, 'SET');
    assert.deepEqual(
      canonicalRowsFromBatches(
        await collectBatches(await engine.query('SHOW application_name', { session })),
      ),
      [['x']],
    );
    assert.equal((await engine.query('BEGIN', { session })).command, 'BEGIN');
    assert.equal(session.transaction, 'in transaction');
    assert.equal((await engine.query('COMMIT', { session })).command, 'COMMIT');
  });
  test('PostgreSQL semantics: integer division truncates, with or without a source', async () => {
    assert.deepEqual(await rows(engine, 'SELECT id / 2 AS h FROM crm.customers WHERE id = 7'), [[3n]]);
    assert.deepEqual(await rows(engine, 'SELECT 7 / 2 AS h'), [[3n]]);
  });
  test('unsupported statements are refused clearly', async () => {
    await assert.rejects(
      engine.query('DELETE FROM crm.customers'),
      /crm.main.customers does not support DELETE/,
    );
    await assert.rejects(engine.query('TRUNCATE crm.customers'), /Truncate statements are not supported/);
  });
  test('a cancelled query stops with QUERY_CANCELLED', async () => {
    const controller = new AbortController();
    const result = await engine.query('SELECT a.id, b.id FROM shop.orders a, shop.orders b, shop.orders c', {
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(
      collectBatches(result),
      (e: unknown) => SpokeError.isInstance(e) && e.code === 'QUERY_CANCELLED',
    );
  });
});

describe('resources', () => {
  test('duckdb.queryMemoryLimit runs each federated query in a DuckDB of its own with that limit', async () => {
    const limited = await createEngine({
      sources: { crm: await duckdb.create({ path: fx.crmPath }, { sourceName: 'crm', baseDir: fx.dir }) },
      duckdb: { queryMemoryLimit: '64MB' },
    });
    try {
      // DuckDB's settings are not readable from user SQL (the allow-list): ask the instances themselves.
      const memoryLimit = async (instance: DuckDBInstance) => {
        const connection = await instance.connect();
        try {
          return (
            await connection.runAndReadAll("SELECT current_setting('memory_limit')")
          ).getRowsJS()[0]![0];
        } finally {
          connection.closeSync();
        }
      };
      const perQuery = await limited.queryInstance!();
      try {
        assert.match(String(await memoryLimit(perQuery)), /^6\d(\.\d+)? MiB$/);
        assert.notEqual(await memoryLimit(engine.instance), await memoryLimit(perQuery));
      } finally {
        perQuery.closeSync();
      }
      await assertSameAnswer('SELECT region, count(*) FROM crm.customers GROUP BY region', false, limited);
    } finally {
      await limited.close();
    }
  });

  test('a result closed before its first batch releases its DuckDB connection', async () => {
    const instance = engine.instance;
    const connect = instance.connect.bind(instance);
    let open = 0;
    instance.connect = async () => {
      const c = await connect();
      open++;
      const close = c.closeSync.bind(c);
      c.closeSync = () => {
        open--;
        close();
      };
      return c;
    };
    try {
      for (let i = 0; i < 20; i++) {
        const result = await engine.query(
          'SELECT c.id, o.id FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id',
        );
        await result.batches[Symbol.asyncIterator]().return?.();
      }
      assert.equal(open, 0);
      const drained = await engine.query('SELECT count(*) FROM crm.customers');
      await collectBatches(drained);
      assert.equal(open, 0);
    } finally {
      instance.connect = connect;
    }
  });
});

describe('top-N', () => {
  test('a table that cannot order does not get ORDER BY … LIMIT (its first rows would be the wrong ones)', async () => {
    const rec = recording(await duckdb.create({ path: fx.crmPath }, { sourceName: 'crm', baseDir: fx.dir }));
    // The same table, without the ability to order: the planner must keep both the order and the limit.
    const blind: typeof rec = {
      ...rec,
      catalog: {
        ...rec.catalog,
        defaultSchema: rec.catalog.defaultSchema,
        listSchemas: (s) => rec.catalog.listSchemas(s),
        listTables: (schema, s) => rec.catalog.listTables(schema, s),
        getTable: async (schema, name, s) => {
          const t = await rec.catalog.getTable(schema, name, s);
          return (
            t && {
              ...t,
              name: t.name,
              schema: (x) => t.schema(x),
              scan: (r) => t.scan(r),
              supportsFilters: (f) => t.supportsFilters!(f),
              supportsOrderBy: () => false,
            }
          );
        },
      },
    };
    const e = await createEngine({ sources: { crm: blind } });
    try {
      await assertSameAnswer('SELECT id FROM crm.customers WHERE id > 3 ORDER BY name DESC LIMIT 4', true, e);
      const r = lastRequest(rec, 'customers');
      assert.equal(r.limit, undefined);
      assert.equal(r.orderBy, undefined);
    } finally {
      await e.close();
    }
  });
});
