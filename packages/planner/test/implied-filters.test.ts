/**
 * Filters implied through equi-joins (`pushdown/implied-filters.ts`): what
 * each table is asked (recorded at the connector), and that the answer
 * equals DuckDB's on the same SQL over the same files — including the cases
 * where a filter must not be implied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { type Expr, formatExpression } from '@spoke/core';
import { collectBatches, createEngine, createSecurityPolicy, type FederatedEngine } from '../src/index.js';
import { createFixtures, type Fixtures } from './support/fixtures.js';
import { type RecordingConnector, recording } from './support/recording-connector.js';

let fx: Fixtures;
let crm: RecordingConnector;
let shop: RecordingConnector;
const engines: FederatedEngine[] = [];

before(async () => {
  fx = await createFixtures();
});

after(async () => {
  for (const e of engines) await e.close();
  fx?.close();
});

async function engineWith(options: { neverUploadCustomers?: boolean } = {}): Promise<FederatedEngine> {
  crm = recording(await duckdbConnector.create({ path: fx.crmPath }, { sourceName: 'crm', baseDir: fx.dir }));
  shop = recording(
    await duckdbConnector.create({ path: fx.shopPath }, { sourceName: 'shop', baseDir: fx.dir }),
  );
  const engine = await createEngine({
    sources: { crm, shop },
    ...(options.neverUploadCustomers
      ? { policy: await createSecurityPolicy({ 'crm.customers': 'never_upload' }) }
      : {}),
  });
  engines.push(engine);
  return engine;
}

/** The filters each scan of `table` was sent, as text, one list per scan. */
function asked(connector: RecordingConnector, table: string): string[][] {
  return connector.requests
    .filter((r) => r.table === table)
    .map((r) => (r.request.filters ?? []).map((f: Expr) => formatExpression(f)));
}

async function assertSameAnswer(engine: FederatedEngine, sql: string, params?: unknown[]): Promise<void> {
  const batches = await collectBatches(await engine.query(sql, params ? { params: params as never } : {}));
  const got = batches.flatMap((b) =>
    b
      .toArray()
      .map((r) => JSON.parse(JSON.stringify(r.toJSON(), (_, v) => (typeof v === 'bigint' ? String(v) : v)))),
  );
  const expected = await fx.reference(sql, params);
  assert.deepEqual(
    got.map((r) => JSON.stringify(Object.values(r).map(String))).sort(),
    expected.map((r) => JSON.stringify(Object.values(r).map(String))).sort(),
    sql,
  );
}

describe('a filter on one side of an equi-join narrows the other side', () => {
  test('a range on the join column', async () => {
    const engine = await engineWith();
    const sql = `SELECT c.region, count(*) AS n, sum(o.amount) AS amount FROM crm.customers c
      JOIN shop.orders o ON o.customer_id = c.id WHERE c.id > 90 GROUP BY c.region`;
    await assertSameAnswer(engine, sql);
    const [orderFilters] = asked(shop, 'orders');
    assert.ok(orderFilters?.includes('customer_id > 90'), JSON.stringify(orderFilters));
    const plan = await engine.explain(sql);
    const orders = plan.sources.find((s) => s.table === 'main.orders');
    assert.deepEqual(orders?.filters, [{ sql: 'o.customer_id > 90', support: 'exact' }]);
  });

  test('BETWEEN with parameters, and an IN list, the other way round', async () => {
    const engine = await engineWith();
    const between = `SELECT count(*) AS n FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
      WHERE o.customer_id BETWEEN $1 AND $2`;
    await assertSameAnswer(engine, between, [10, 20]);
    assert.ok(
      asked(crm, 'customers')[0]?.includes('id BETWEEN 10 AND 20'),
      JSON.stringify(asked(crm, 'customers')),
    );
    const list = `SELECT count(*) AS n FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
      WHERE c.id IN (3, 5, 7)`;
    await assertSameAnswer(engine, list);
    assert.ok(
      asked(shop, 'orders').at(-1)?.includes('customer_id IN (3, 5, 7)'),
      JSON.stringify(asked(shop, 'orders')),
    );
  });

  test('a cached plan asks each execution with its own parameters', async () => {
    const engine = await engineWith();
    const sql = `SELECT count(*) AS n, sum(o.amount) AS amount FROM crm.customers c
      JOIN shop.orders o ON o.customer_id = c.id WHERE c.id BETWEEN $1 AND $2`;
    for (const [low, high] of [
      [10, 20],
      [50, 52],
      [90, 99],
    ]) {
      await assertSameAnswer(engine, sql, [low, high]);
      assert.ok(
        asked(shop, 'orders').at(-1)?.includes(`customer_id BETWEEN ${low} AND ${high}`),
        JSON.stringify(asked(shop, 'orders').at(-1)),
      );
    }
    // A literal-only variant of one statement shares its plan too (plan-cache/literal-shape.ts).
    for (const id of [7, 42]) {
      const literal = `SELECT count(*) AS n FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id WHERE c.id = ${id}`;
      await assertSameAnswer(engine, literal);
      assert.ok(asked(shop, 'orders').at(-1)?.includes(`customer_id = ${id}`));
    }
  });

  test('along a chain of joins: the second hop is narrowed too', async () => {
    const engine = await engineWith();
    const sql = `SELECT count(*) AS n FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
      JOIN shop.orders o2 ON o2.customer_id = o.customer_id WHERE c.id = 7`;
    await assertSameAnswer(engine, sql);
    // Both reads of orders ask customer_id = 7 (the same request, so read once and shared).
    const plan = await engine.explain(sql);
    const orders = plan.sources.filter((s) => s.table === 'main.orders');
    assert.equal(orders.length, 2);
    for (const read of orders)
      assert.ok(
        read.filters.some((f) => /customer_id = 7/.test(f.sql)),
        JSON.stringify(orders.map((o) => o.filters)),
      );
    for (const filters of asked(shop, 'orders')) assert.ok(filters.includes('customer_id = 7'));
  });
});

describe('where a filter is not implied', () => {
  test("an ON condition on a LEFT JOIN's inner side does not narrow the preserved side", async () => {
    const engine = await engineWith();
    const sql = `SELECT count(*) AS n, count(o.id) AS matched FROM crm.customers c
      LEFT JOIN shop.orders o ON o.customer_id = c.id AND o.customer_id > 50`;
    await assertSameAnswer(engine, sql);
    assert.deepEqual(asked(crm, 'customers'), [[]], 'every customer is read');
  });

  test('text join columns are left alone (a source may collate them otherwise)', async () => {
    const engine = await engineWith();
    const sql = `SELECT count(*) AS n FROM crm.customers a JOIN crm.customers b ON b.name = a.name
      WHERE a.name > 'customer 5'`;
    await assertSameAnswer(engine, sql);
    const scans = asked(crm, 'customers');
    assert.equal(scans.length, 2);
    // a's own filter only: b's scan is asked nothing.
    assert.deepEqual(scans.map((s) => s.length).sort(), [0, 1], JSON.stringify(scans));
  });

  test("a never_upload table's filter constants stay at home", async () => {
    const engine = await engineWith({ neverUploadCustomers: true });
    const sql = `SELECT count(*) AS n FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
      WHERE c.id > 90`;
    await assertSameAnswer(engine, sql);
    assert.deepEqual(asked(shop, 'orders'), [[]]);
  });
});
