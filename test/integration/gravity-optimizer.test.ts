/**
 * The gravity optimizer against a real PostgreSQL: which strategy each read
 * gets for given sizes and link speeds, that a `never_upload` table's join
 * keys never reach another source (read back from PostgreSQL's own
 * statement log), and that EXPLAIN ANALYZE reports the rows PostgreSQL
 * says it returned (pg_stat_statements). Every answer is compared with
 * DuckDB running the same SQL over the same data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import type { SpokeConnector } from '@spoke/core';
import {
  collectBatches,
  createEngine,
  createSecurityPolicy,
  type ExplainPlan,
  type FederatedEngine,
} from '@spoke/planner';
import { canonicalRowsFromBatches, diffRows } from '@spoke/testing';
import { type PgAndDuckDBFile, startPgAndDuckDBFile } from './pg-and-duckdb-file.js';

/** Statements both PostgreSQL and DuckDB accept, so both hold the same rows. */
const PG_TABLES = [
  `CREATE TABLE orders AS SELECT i AS id, (i % 2000) + 1 AS customer_id,
     CASE WHEN i % 10 < 4 THEN 'web' ELSE 'store' END AS channel
   FROM generate_series(1, 60000) AS t(i)`,
  `CREATE TABLE items AS SELECT i AS id, (i % 60000) + 1 AS order_id, i % 7 AS qty
   FROM generate_series(1, 240000) AS t(i)`,
  // Customers 1..2000 pay, some with no customer at all (NULL); 2001.. have no customer row.
  `CREATE TABLE payments AS SELECT i AS id, CASE WHEN i % 97 = 0 THEN NULL ELSE (i % 2100) + 1 END AS customer_id,
     CAST(((i * 37) % 10000) / 100.0 AS NUMERIC(10,2)) AS amount, i % 5 AS units, CAST(i AS BIGINT) * 1000000000 AS big,
     CAST(i % 13 AS DOUBLE PRECISION) / 4 AS ratio, DATE '2024-01-01' + CAST(i % 300 AS INTEGER) AS paid_on
   FROM generate_series(1, 30000) AS t(i)`,
  // 900,000 visits, a third of them from ads, by every one of the 2,000 customers.
  `CREATE TABLE visits AS SELECT i AS id, (i % 2000) + 1 AS customer_id,
     CASE WHEN i % 3 = 0 THEN 'ad' ELSE 'direct' END AS kind
   FROM generate_series(1, 900000) AS t(i)`,
  // 30,000 clicks by 20 customers only.
  `CREATE TABLE clicks AS SELECT i AS id, (i % 20) * 97 + 1 AS customer_id FROM generate_series(1, 30000) AS t(i)`,
];
const CRM_TABLE = `CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name,
  CASE WHEN i % 40 = 0 THEN 'EU' ELSE 'US' END AS region FROM range(1, 2001) t(i)`;
// 600,000 shipments, one per order id 1..600,000: PostgreSQL's items name only the first 60,000 orders.
const SHIPMENTS_TABLE = `CREATE TABLE shipments AS SELECT i AS order_id, i % 100 AS weight FROM range(1, 600001) t(i)`;

/** A slow, far-away PostgreSQL as the cost model should assume it: waiting for keys pays there. */
const SLOW_PG = { pg: { latencyMs: 5, mbps: 10, rowsPerSecond: 20_000 } };

let sources: PgAndDuckDBFile;
const engines: FederatedEngine[] = [];

async function engineWith(options: {
  links?: Record<string, (typeof SLOW_PG)['pg']>;
  /** `never_upload` on crm.customers (true) or on the table named. */
  neverUpload?: true | string;
  sequential?: boolean;
  /** PostgreSQL's estimate for orders replaced by this (stale statistics). */
  staleOrders?: number;
  /** PostgreSQL's estimate for visits replaced by this. */
  staleVisits?: number;
  /** crm's DuckDB takes whole statements (its sub-queries go to it whole). */
  crmWhole?: boolean;
  /** PostgreSQL's tables take at most this many keys (a source without arrays takes 20,000). */
  keyLimit?: number;
}) {
  const context = { sourceName: '', baseDir: sources.dir };
  let postgres = await postgresConnector.create({ url: sources.pg.url }, { ...context, sourceName: 'pg' });
  if (options.staleVisits !== undefined)
    postgres = withStaleEstimate(postgres, 'visits', options.staleVisits);
  const engine = await createEngine({
    sources: {
      pg: withKeyLimit(
        options.staleOrders === undefined
          ? postgres
          : withStaleEstimate(postgres, 'orders', options.staleOrders),
        options.keyLimit,
      ),
      // A source read by scans (its DuckDB does not take whole statements): the strategies here are for reads.
      crm: await duckdbConnector.create(
        { path: sources.crmFile, wholeStatements: options.crmWhole === true },
        { ...context, sourceName: 'crm' },
      ),
    },
    ...(options.links ? { links: options.links } : {}),
    // The read strategies are what these tests measure: orders ⋈ items would otherwise join inside PostgreSQL
    // (`join in source`, tested in join-in-source.test.ts) where that is cheaper.
    joinInSource: false,
    ...(options.sequential ? { optimizer: 'sequential' as const } : {}),
    ...(options.neverUpload
      ? {
          policy: await createSecurityPolicy({
            [options.neverUpload === true ? 'crm.customers' : options.neverUpload]: 'never_upload',
          }),
        }
      : {}),
  });
  engines.push(engine);
  return engine;
}

/** The connector, except that its tables take at most `limit` keys (as a source whose IN lists are placeholders). */
function withKeyLimit(connector: SpokeConnector, limit: number | undefined): SpokeConnector {
  if (limit === undefined) return connector;
  const bind = (target: object, name: string | symbol) => {
    const value = Reflect.get(target, name, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const catalog = new Proxy(connector.catalog, {
    get: (target, name) =>
      name === 'getTable'
        ? async (schema: string, name: string, signal?: AbortSignal) => {
            const found = await target.getTable(schema, name, signal);
            return (
              found &&
              new Proxy(found, {
                get: (t, member) => (member === 'valueListLimit' ? limit : bind(t, member)),
              })
            );
          }
        : bind(target, name),
  });
  return new Proxy(connector, { get: (target, name) => (name === 'catalog' ? catalog : bind(target, name)) });
}

/** The connector, except that `table`'s row estimates are `rows` whatever the filters: statistics gone stale. */
function withStaleEstimate(connector: SpokeConnector, table: string, rows: number): SpokeConnector {
  const bind = (target: object, name: string | symbol) => {
    const value = Reflect.get(target, name, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const catalog = new Proxy(connector.catalog, {
    get: (target, name) =>
      name === 'getTable'
        ? async (schema: string, name: string, signal?: AbortSignal) => {
            const found = await target.getTable(schema, name, signal);
            if (!found || name !== table) return found;
            return new Proxy(found, {
              get: (t, member) => (member === 'estimateRows' ? async () => rows : bind(t, member)),
            });
          }
        : bind(target, name),
  });
  return new Proxy(connector, { get: (target, name) => (name === 'catalog' ? catalog : bind(target, name)) });
}

async function assertSameAnswer(engine: FederatedEngine, sql: string): Promise<void> {
  const actual = canonicalRowsFromBatches(await collectBatches(await engine.query(sql)));
  const expected = await sources.reference(sql);
  assert.deepEqual(diffRows(actual as never, expected as never), { extra: [], missing: [] }, sql);
}

function read(plan: ExplainPlan, table: string) {
  const found = plan.sources.filter((s) => s.table?.endsWith(`.${table}`));
  assert.equal(
    found.length,
    1,
    `one read of ${table} in ${JSON.stringify(plan.sources.map((s) => s.table))}`,
  );
  return found[0]!;
}

before(async () => {
  sources = await startPgAndDuckDBFile({
    pgTables: PG_TABLES,
    crmTables: [CRM_TABLE, SHIPMENTS_TABLE],
    settings: { shared_preload_libraries: 'pg_stat_statements' },
    pgSetup: ['CREATE EXTENSION pg_stat_statements'],
  });
});

after(async () => {
  for (const e of engines) await e.close();
  await sources?.close();
});

const EU_ORDERS = `SELECT c.name, o.id, o.channel FROM crm.customers c JOIN pg.orders o ON o.customer_id = c.id
  WHERE c.region = 'EU'`;
const WEB_ITEMS = `SELECT c.region, sum(i.qty) AS qty, count(*) AS n
  FROM pg.orders o JOIN pg.items i ON i.order_id = o.id JOIN crm.customers c ON c.id = o.customer_id
  WHERE o.channel = 'web' GROUP BY c.region`;

describe('strategies by size and link', () => {
  test('over a slow link, the big side waits for the small side keys', async () => {
    const engine = await engineWith({ links: SLOW_PG });
    await assertSameAnswer(engine, EU_ORDERS);
    const plan = await engine.explain(EU_ORDERS, { analyze: true });
    const orders = read(plan, 'orders');
    assert.match(orders.strategy ?? '', /semi-join by keys \(c\)/);
    assert.equal(orders.keysSent, 50);
    assert.equal(orders.actualRows, 1500);
    assert.ok(plan.cost !== undefined && plan.alternatives?.length, 'a cost and the alternatives it beat');
  });
  test('between two nearby sources, a read does not wait for keys that would not pay', async () => {
    const engine = await engineWith({});
    // Every customer: their keys would keep all of orders. (An aggregate over customers too, so that
    // orders is read as rows rather than grouped at PostgreSQL by eager aggregation.)
    const sql =
      'SELECT count(*), count(c.name) FROM crm.customers c JOIN pg.orders o ON o.customer_id = c.id';
    await assertSameAnswer(engine, sql);
    const orders = read(await engine.explain(sql), 'orders');
    assert.equal(orders.strategy, 'pull');
    assert.equal(orders.dynamicFilters, undefined);
  });
  test('24,000 keys go to PostgreSQL as one array (= ANY), and the answer is exact', async () => {
    const engine = await engineWith({ links: SLOW_PG });
    // Planned first, on the configured link alone: later plans use what this read teaches the link profile.
    const mark = sources.logLength();
    const plan = await engine.explain(WEB_ITEMS, { analyze: true });
    const items = read(plan, 'items');
    assert.match(items.strategy ?? '', /semi-join by keys \(o\)/);
    assert.equal(items.keysSent, 24000);
    assert.equal(items.actualRows, 96000);
    assert.match(sources.statementLog(mark), /order_id"? = ANY\(CAST\('\{/);
    await assertSameAnswer(engine, WEB_ITEMS);
  });
  test('two tables of one source restrict each other inside it when the keys are too many to send', async () => {
    const engine = await engineWith({ keyLimit: 20_000 });
    await assertSameAnswer(engine, WEB_ITEMS);
    const plan = await engine.explain(WEB_ITEMS, { analyze: true });
    const items = read(plan, 'items');
    assert.match(items.strategy ?? '', /semi-join in source \(o\)/);
    assert.match(items.sql ?? '', /IN \(SELECT/i);
    // Four orders in ten are `web` — 24,000 keys, too many for a list — so the source keeps 96,000 of the 240,000 items.
    assert.equal(items.actualRows, 96000);
  });
  test('two reads asking the same rows of one table are read once', async () => {
    const engine = await engineWith({});
    const sql = `SELECT count(*) FROM pg.orders o
      WHERE o.customer_id IN (SELECT id FROM crm.customers WHERE region = 'EU')
        AND o.customer_id + 1 IN (SELECT id + 1 FROM crm.customers WHERE region = 'EU')`;
    await assertSameAnswer(engine, sql);
    const plan = await engine.explain(sql, { analyze: true });
    const customers = plan.sources.filter((s) => s.table?.endsWith('.customers'));
    assert.equal(customers.length, 2);
    const shared = customers.find((s) => s.strategy?.startsWith('shared'));
    assert.ok(shared, JSON.stringify(customers.map((s) => s.strategy)));
    assert.equal(shared.actualRows, 0, 'nothing read again');
    assert.equal(customers.find((s) => s !== shared)?.actualRows, 50);
  });
  test('the previous planner (sequential) gives the same answers', async () => {
    const engine = await engineWith({ sequential: true });
    await assertSameAnswer(engine, EU_ORDERS);
    await assertSameAnswer(engine, WEB_ITEMS);
    const plan = await engine.explain(EU_ORDERS);
    assert.match(read(plan, 'orders').strategy ?? '', /^sequential/);
  });
});

describe('read order', () => {
  test('a larger read on a fast link with few distinct keys is read first and feeds a smaller read on a slow link', async () => {
    // crm behind a slow link: its 2,000 customers cost a second whole. Smallest first would read them first,
    // whole; the 30,000 clicks from PostgreSQL (a fast link) name only 20 customers, so reading them first and
    // sending their 20 keys to crm is far cheaper — an order only the search over orders finds.
    const engine = await engineWith({ links: { crm: { latencyMs: 20, mbps: 1, rowsPerSecond: 2_000 } } });
    const sql = `SELECT c.region, count(*) AS n, sum(o.id) AS ids FROM pg.clicks k
      JOIN crm.customers c ON c.id = k.customer_id JOIN pg.orders o ON o.customer_id = c.id
      WHERE o.id <= 5000 GROUP BY c.region`;
    const plan = await engine.explain(sql);
    const customers = read(plan, 'customers');
    assert.match(customers.strategy ?? '', /semi-join by keys \(.*k.*\)/, JSON.stringify(plan.sources));
    const order = plan.sources.map((s) => s.table);
    assert.ok(order.indexOf('public.clicks') < order.indexOf('main.customers'), order.join(', '));
    const beaten = plan.alternatives?.find((a) => /smallest first, each waiting/.test(a.strategy));
    assert.ok(
      beaten && plan.cost !== undefined && plan.cost < beaten.cost,
      JSON.stringify(plan.alternatives),
    );
    await assertSameAnswer(engine, sql);
    const analyzed = read(await engine.explain(sql, { analyze: true }), 'customers');
    assert.ok(analyzed.actualRows! <= 20, `customers read: ${analyzed.actualRows} rows`);
    assert.ok(analyzed.keysSent! <= 20);
  });
});

describe('eager aggregation at the source', () => {
  const LEFT = `SELECT c.region, count(p.id) AS n, sum(p.amount) AS total, sum(p.units) AS units, sum(p.big) AS big,
      sum(p.ratio) AS ratio, min(p.paid_on) AS first, max(p.amount) AS top
    FROM crm.customers c LEFT JOIN pg.payments p ON p.customer_id = c.id AND p.units > 0
    GROUP BY c.region`;
  const INNER = `SELECT c.id, count(*) AS n, sum(p.amount) AS total, max(p.paid_on) AS last
    FROM crm.customers c JOIN pg.payments p ON p.customer_id = c.id
    WHERE p.paid_on < DATE '2024-06-01' AND c.region = 'EU'
    GROUP BY c.id HAVING count(*) > 2 ORDER BY c.id`;
  const Q13_SHAPE = `SELECT n, count(*) AS customers FROM (
      SELECT c.id, count(p.id) AS n FROM crm.customers c LEFT JOIN pg.payments p ON c.id = p.customer_id GROUP BY c.id
    ) AS per_customer GROUP BY n ORDER BY customers DESC, n DESC`;

  for (const [name, sql] of [
    ['LEFT JOIN with a filter in ON: count, sum of numeric, int, bigint and double, min/max', LEFT],
    ['INNER JOIN with WHERE filters, count(*), HAVING and ORDER BY', INNER],
    ["TPC-H Q13's shape (in a FROM sub-query)", Q13_SHAPE],
  ] as const) {
    test(`${name}: PostgreSQL groups by the join key; answer, names and types as without the rule`, async () => {
      const engine = await engineWith({});
      const plan = await engine.explain(sql, { analyze: true });
      const eager = plan.sources.filter((s) => /eager aggregation \(by customer_id\)/.test(s.strategy ?? ''));
      assert.equal(eager.length, 1, JSON.stringify(plan.sources.map((s) => [s.table, s.strategy])));
      assert.match(eager[0]!.sql ?? '', /GROUP BY/i);
      assert.ok((eager[0]!.actualRows ?? Infinity) <= 2101, `${eager[0]!.actualRows} rows sent`);
      await assertSameAnswer(engine, sql);
      // The previous planner has no such rule: the same names and Arrow types.
      const plain = await engineWith({ sequential: true });
      const schemaOf = async (e: FederatedEngine) =>
        (await e.query(sql)).schema.fields.map((f) => `${f.name}: ${f.type}`);
      assert.deepEqual(await schemaOf(engine), await schemaOf(plain));
    });
  }

  test('a nearly unique key, or an aggregate over the other table, is left alone', async () => {
    const engine = await engineWith({});
    for (const sql of [
      'SELECT count(p.id) AS n FROM crm.customers c JOIN pg.payments p ON p.id = c.id',
      `SELECT c.region, sum(p.amount) AS total, count(c.name) AS names
         FROM crm.customers c JOIN pg.payments p ON p.customer_id = c.id GROUP BY c.region`,
    ]) {
      const plan = await engine.explain(sql);
      assert.ok(!plan.sources.some((s) => /eager/.test(s.strategy ?? '')), sql);
      await assertSameAnswer(engine, sql);
    }
  });
});

describe('limits through outer joins and unions', () => {
  test('a top-N over the preserved side of a LEFT JOIN, or over UNION ALL branches, reaches PostgreSQL', async () => {
    const engine = await engineWith({});
    for (const [sql, limit] of [
      [
        `SELECT o.id, o.channel, c.name FROM pg.orders o LEFT JOIN crm.customers c ON c.id = o.customer_id
         WHERE o.channel = 'web' ORDER BY o.id DESC LIMIT 7`,
        7,
      ],
      [
        `SELECT id, channel AS label FROM pg.orders UNION ALL SELECT id, region FROM crm.customers
         ORDER BY id DESC LIMIT 5 OFFSET 1`,
        6,
      ],
    ] as const) {
      const mark = sources.logLength();
      await assertSameAnswer(engine, sql);
      // PostgreSQL was asked for the first rows only, in the query's order — not all 60,000 orders.
      const log = sources.statementLog(mark);
      assert.match(log, new RegExp(`"orders"[^\\n]*ORDER BY "id" DESC[^\\n]*LIMIT ${limit}\\)`), log);
      const plan = await engine.explain(sql, { analyze: true });
      assert.equal(read(plan, 'orders').actualRows, limit, sql);
    }
  });
});

describe('semi-join by key range', () => {
  // 34,000 items with qty 3 name 34,000 orders — too many for the DuckDB file's key list (20,000) — all among the
  // first 60,000 of the 600,000 shipments: their range keeps a tenth of the shipments.
  const ITEMS_SHIPPED = `SELECT count(*) AS n, sum(s.weight) AS weight FROM pg.items i
    JOIN crm.shipments s ON s.order_id = i.order_id WHERE i.qty = 3`;

  test('keys too many for a list but in a narrow band of the other table go as their range', async () => {
    const engine = await engineWith({});
    const plan = await engine.explain(ITEMS_SHIPPED, { analyze: true });
    const shipments = read(plan, 'shipments');
    assert.equal(shipments.strategy, 'semi-join by key range (i)', JSON.stringify(plan.sources));
    const [[low, high]] = (await sources.reference(
      'SELECT min(order_id), max(order_id) FROM pg.items WHERE qty = 3',
    )) as [[number, number]];
    assert.deepEqual(shipments.keyRanges, [`order_id ${low}..${high}`]);
    assert.equal(shipments.keysSent, 0);
    assert.equal(shipments.actualRows, Number(high) - Number(low) + 1, 'only the shipments in the range');
    assert.ok(shipments.actualRows! <= 60_000);
    const text = (await collectBatches(await engine.query(`EXPLAIN ANALYZE ${ITEMS_SHIPPED}`)))
      .flatMap((b) => b.toArray().map((r) => String(r['QUERY PLAN'])))
      .join('\n');
    assert.match(text, /Strategy: semi-join by key range \(i\)/);
    assert.match(text, new RegExp(`key range sent \\(order_id ${low}\\.\\.${high}\\)`));
    await assertSameAnswer(engine, ITEMS_SHIPPED);
  });

  test("a never_upload table's key range is not sent either", async () => {
    const engine = await engineWith({ neverUpload: 'pg.items' });
    const plan = await engine.explain(ITEMS_SHIPPED, { analyze: true });
    const shipments = read(plan, 'shipments');
    assert.equal(shipments.strategy, 'pull');
    assert.equal(shipments.keyRanges, undefined);
    assert.equal(shipments.actualRows, 600_000);
    await assertSameAnswer(engine, ITEMS_SHIPPED);
  });
});

describe('policies constrain the plan', () => {
  test('a never_upload table sends no join keys to another source, whatever the cost', async () => {
    const allowed = await engineWith({ links: SLOW_PG });
    let mark = sources.logLength();
    await collectBatches(await allowed.query(EU_ORDERS));
    // Control: without the rule the keys do travel, and PostgreSQL receives them.
    assert.match(sources.statementLog(mark), /customer_id" IN \(|customer_id IN \(/);

    const guarded = await engineWith({ links: SLOW_PG, neverUpload: true });
    await assertSameAnswer(guarded, EU_ORDERS);
    mark = sources.logLength();
    await collectBatches(await guarded.query(EU_ORDERS));
    const received = sources.statementLog(mark);
    assert.match(received, /orders/, 'PostgreSQL was read');
    assert.doesNotMatch(received, /customer_id"? IN \(|customer_id"? = ANY/);
    const orders = read(await guarded.explain(EU_ORDERS), 'orders');
    assert.equal(orders.strategy, 'pull');
  });
});

describe('policies constrain sub-queries too', () => {
  test("a never_upload table's sub-query answer is not sent to another source as keys", async () => {
    const sql = `SELECT count(*) AS n, sum(o.id) AS ids FROM pg.orders o
      WHERE o.customer_id IN (SELECT id FROM crm.customers WHERE region = 'EU')`;
    // Control: crm answers the sub-query whole, and its keys restrict the read of orders at PostgreSQL.
    const allowed = await engineWith({ links: SLOW_PG, crmWhole: true });
    await assertSameAnswer(allowed, sql);
    let mark = sources.logLength();
    await collectBatches(await allowed.query(sql));
    assert.match(sources.statementLog(mark), /customer_id"? IN \(|customer_id"? = ANY/);

    const guarded = await engineWith({ links: SLOW_PG, crmWhole: true, neverUpload: true });
    await assertSameAnswer(guarded, sql);
    mark = sources.logLength();
    await collectBatches(await guarded.query(sql));
    const received = sources.statementLog(mark);
    assert.match(received, /orders/, 'PostgreSQL was read');
    assert.doesNotMatch(received, /customer_id"? IN \(|customer_id"? = ANY|'customer \d+'/);
    const plan = await guarded.explain(sql, { analyze: true });
    assert.equal(read(plan, 'orders').keysSent, 0);
  });
});

describe('re-planning on evidence', () => {
  test('keys planned from a stale estimate but too many to send: the read switches to a semi-join in the source', async () => {
    // PostgreSQL "says" 10 web orders; there are 24,000 — too many keys for a list of 20,000.
    const engine = await engineWith({ staleOrders: 10, keyLimit: 20_000 });
    const planned = read(await engine.explain(WEB_ITEMS), 'items');
    assert.match(planned.strategy ?? '', /semi-join by keys \(o\)/);
    await assertSameAnswer(engine, WEB_ITEMS);
    const items = read(await engine.explain(WEB_ITEMS, { analyze: true }), 'items');
    assert.match(items.replanned ?? '', /semi-join in source: the keys of o were too many to send/);
    assert.equal(items.actualRows, 96000, 'reduced inside PostgreSQL, not read whole (240,000)');
    assert.equal(items.keysSent, 0);
  });

  test('a wait for keys that turn out too many ends at the first rows that show it, not at the last', async () => {
    // PostgreSQL "says" 10 ad visits; there are 300,000, from all 2,000 customers: more keys than half of
    // customers' own, so the list would be dropped anyway. The read of customers stops waiting once the
    // visits' first rows show that, instead of waiting for all of them.
    // A slow crm link makes the wait for 10 keys worth it, by the estimate.
    const engine = await engineWith({ staleVisits: 10, links: { crm: SLOW_PG.pg } });
    const sql = `SELECT c.region, count(*) AS n, sum(v.id) AS ids FROM pg.visits v
      JOIN crm.customers c ON c.id = v.customer_id WHERE v.kind = 'ad' GROUP BY c.region`;
    const planned = read(await engine.explain(sql), 'customers');
    assert.match(planned.strategy ?? '', /semi-join by keys \(v\)/, 'the stale estimate makes it wait');
    await assertSameAnswer(engine, sql);
    const plan = await engine.explain(sql, { analyze: true });
    const customers = read(plan, 'customers');
    const visits = read(plan, 'visits');
    assert.match(
      customers.replanned ?? '',
      /stopped waiting for the keys of v \(more than 1000 after \d+ rows, estimated 10\)/,
    );
    assert.equal(customers.keysSent, 0);
    assert.equal(customers.actualRows, 2000);
    assert.equal(visits.actualRows, 300_000);
    assert.ok(
      customers.waitedMs! < visits.elapsedMs! * 0.75,
      `customers waited ${customers.waitedMs} ms, visits took ${visits.elapsedMs} ms`,
    );
  });
});

describe('EXPLAIN ANALYZE', () => {
  test('actual rows per read equal what PostgreSQL says it returned (pg_stat_statements)', async () => {
    const engine = await engineWith({});
    // Plan once first: estimates and statistics are cached, so the analyzed run asks PostgreSQL only for rows.
    await engine.explain(WEB_ITEMS);
    sources.pg.psql('SELECT pg_stat_statements_reset()');
    const plan = await engine.explain(WEB_ITEMS, { analyze: true });
    const fromPg = plan.sources.filter((s) => s.source === 'pg');
    assert.equal(fromPg.length, 2);
    const seen = sources.pg
      .psql(
        "SELECT rows FROM pg_stat_statements WHERE query ILIKE 'COPY%' AND query NOT ILIKE '%pg_stat_statements%' ORDER BY rows",
      )
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
    assert.deepEqual(
      fromPg.map((s) => s.actualRows).sort((a, b) => a! - b!),
      seen,
      'each read returned exactly the rows PostgreSQL counted',
    );
    for (const s of plan.sources) {
      assert.ok(s.elapsedMs !== undefined && s.elapsedMs >= 0);
      assert.ok((s.actualBytes ?? 0) > 0);
    }
    assert.equal(plan.analyze?.rows, 1);
  });
  test('EXPLAIN ANALYZE in SQL prints estimates next to actuals', async () => {
    const engine = await engineWith({ keyLimit: 20_000 });
    const result = await engine.query(`EXPLAIN ANALYZE ${WEB_ITEMS}`);
    const text = (await collectBatches(result))
      .flatMap((b) => b.toArray().map((r) => String(r['QUERY PLAN'])))
      .join('\n');
    assert.match(text, /Strategy: semi-join in source/);
    assert.match(text, /Actual: 96000 rows/);
    assert.match(text, /Execution: 1 rows in/);
  });
});
