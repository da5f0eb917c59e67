/**
 * Join push-down between tables of one SQL source (`strategies/join-in-source.ts`) against a real
 * PostgreSQL, with a DuckDB-file source as the other side: answers equal DuckDB running the same SQL
 * over the same data (two and three PostgreSQL tables, duplicate column names, filters on either side,
 * aggregates above), the statement PostgreSQL received holds the JOIN (its `log_statement = all` log),
 * the shapes the rule leaves alone (a LEFT join, a correlated sub-query) are left alone, and EXPLAIN
 * shows the strategy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { connector as postgresConnector } from '@spoke/connector-postgres';
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
  `CREATE TABLE items AS SELECT i AS id, (i % 60000) + 1 AS order_id, i % 50 AS qty
   FROM generate_series(1, 240000) AS t(i)`,
  `CREATE TABLE channels AS SELECT * FROM (VALUES ('web', 'online'), ('store', 'in person')) AS t(name, label)`,
  `CREATE TABLE payments AS SELECT i AS id, (i % 2000) + 1 AS customer_id, i % 100 AS amount
   FROM generate_series(1, 4000) AS t(i)`,
];
const CRM_TABLE = `CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name,
  CASE WHEN i % 40 = 0 THEN 'EU' ELSE 'US' END AS region FROM range(1, 2001) t(i)`;

let sources: PgAndDuckDBFile;
const engines: FederatedEngine[] = [];

/** A far-away PostgreSQL: rows over the link cost more than the source's scans, as the rule assumes. */
const SLOW_PG = { pg: { latencyMs: 5, mbps: 10, rowsPerSecond: 20_000 } };

async function engineWith(options: { joinInSource?: boolean; clerkFilter?: string } = {}) {
  const context = { sourceName: '', baseDir: sources.dir };
  const engine = await createEngine({
    sources: {
      pg: await postgresConnector.create({ url: sources.pg.url }, { ...context, sourceName: 'pg' }),
      crm: await duckdbConnector.create({ path: sources.crmFile }, { ...context, sourceName: 'crm' }),
    },
    links: SLOW_PG,
    joinInSource: options.joinInSource ?? true,
    ...(options.clerkFilter
      ? {
          policy: await createSecurityPolicy([
            {
              name: 'even_items',
              on: 'pg.items',
              rule: 'row_filter',
              predicate: options.clerkFilter,
              roles: ['clerk'],
            },
          ]),
        }
      : {}),
  });
  engines.push(engine);
  return engine;
}

async function assertSameAnswer(
  engine: FederatedEngine,
  sql: string,
  options: { context?: { user: string; roles: string[] }; referenceSql?: string } = {},
): Promise<void> {
  const actual = canonicalRowsFromBatches(
    await collectBatches(await engine.query(sql, options.context ? { context: options.context } : {})),
  );
  const expected = await sources.reference(options.referenceSql ?? sql);
  assert.ok(expected.length > 0, `the reference answers rows for ${sql}`);
  assert.deepEqual(diffRows(actual as never, expected as never), { extra: [], missing: [] }, sql);
}

/** The request EXPLAIN shows for the joined sub-query, if any. */
function joined(plan: ExplainPlan) {
  return plan.sources.filter((s) => /^join in source \(/.test(s.strategy ?? ''));
}

before(async () => {
  sources = await startPgAndDuckDBFile({ pgTables: PG_TABLES, crmTables: [CRM_TABLE] });
});

after(async () => {
  for (const e of engines) await e.close();
  await sources?.close();
});

/** Two PostgreSQL tables with a selective filter on items: the joined rows are far fewer than orders. */
const TWO = `SELECT c.name, o.id, i.id
  FROM crm.customers c JOIN pg.orders o ON o.customer_id = c.id JOIN pg.items i ON i.order_id = o.id
  WHERE i.qty = 2 AND o.channel = 'web'`;
const AGGREGATE = `SELECT c.region, count(*) AS n, sum(i.qty) AS qty, max(o.id) AS last
  FROM crm.customers c, pg.orders o, pg.items i
  WHERE c.id = o.customer_id AND o.id = i.order_id AND i.qty BETWEEN 3 AND 4 GROUP BY c.region ORDER BY c.region`;
const THREE = `SELECT ch.label, c.region, count(*) AS n, sum(i.id) AS ids
  FROM pg.items i JOIN pg.orders o ON i.order_id = o.id JOIN pg.channels ch ON ch.name = o.channel
  JOIN crm.customers c ON c.id = o.customer_id
  WHERE i.qty = 11 GROUP BY ch.label, c.region`;

describe('tables of one source joined inside it', () => {
  test('two tables, duplicate column names, filters on both: the answer exact whichever plan the cost picks', async () => {
    const engine = await engineWith();
    await assertSameAnswer(engine, TWO);
    // Here the separate reads reduce each other inside PostgreSQL: the joined read would bring as many rows.
    const plan = await engine.explain(TWO);
    for (const s of joined(plan)) assert.match(s.sql ?? '', /JOIN/);
  });
  test('two tables with a narrow result: joined in PostgreSQL, duplicate names renamed', async () => {
    const engine = await engineWith();
    const sql = `SELECT c.region, o.id, i.id FROM pg.items i, pg.orders o, crm.customers c
      WHERE i.order_id = o.id AND o.customer_id = c.id AND i.qty = 11 ORDER BY o.id, i.id LIMIT 20`;
    // Planned first, on the configured link alone (later plans use what the reads teach the link profile).
    const plan = await engine.explain(sql);
    assert.equal(joined(plan).length, 1, JSON.stringify(plan.sources.map((s) => s.strategy)));
    await assertSameAnswer(engine, sql);
    assert.match(joined(plan)[0]!.sql ?? '', /__spoke_jis_0.*__spoke_jis_1/);
  });
  test('a filter on the other source only, an aggregate above', async () => {
    const engine = await engineWith();
    await assertSameAnswer(engine, AGGREGATE);
    const sql = `SELECT c.region, count(*) AS n FROM crm.customers c, pg.orders o, pg.items i
      WHERE c.id = o.customer_id AND o.id = i.order_id AND i.qty = 9 AND c.name LIKE 'customer 1%'
      GROUP BY c.region`;
    await assertSameAnswer(engine, sql);
  });
  test('a conjunct with a sub-query over the same source, correlated with the group, moves inside', async () => {
    const engine = await engineWith();
    const sql = `SELECT c.region, count(*) AS n, min(i.id) AS first FROM pg.items i, pg.orders o, crm.customers c
      WHERE i.order_id = o.id AND o.customer_id = c.id AND i.qty = 11
        AND EXISTS (SELECT 1 FROM pg.payments p WHERE p.customer_id = o.customer_id AND p.amount < 20)
      GROUP BY c.region`;
    const pushed = joined(await engine.explain(sql));
    assert.equal(pushed.length, 1);
    await assertSameAnswer(engine, sql);
    assert.match(pushed[0]!.sql ?? '', /JOIN.*EXISTS \(SELECT/is);
  });
  test('a table under a row filter for the caller is not grouped; the filter holds', async () => {
    const engine = await engineWith({ clerkFilter: 'id % 4 = 1' });
    const sql = `SELECT c.region, o.id, i.id FROM pg.items i, pg.orders o, crm.customers c
      WHERE i.order_id = o.id AND o.customer_id = c.id AND i.qty = 11`;
    const clerk = { user: 'cleo', roles: ['clerk'] };
    // Planned first, on the configured link alone (later plans use what the reads teach the link profile).
    // A caller the policy does not concern: the two tables join in PostgreSQL.
    assert.equal(joined(await engine.explain(sql)).length, 1);
    assert.equal(joined(await engine.explain(sql, { context: clerk })).length, 0);
    await assertSameAnswer(engine, sql, { context: clerk, referenceSql: `${sql} AND i.id % 4 = 1` });
    await assertSameAnswer(engine, sql);
  });
  test('three tables of PostgreSQL with a table of the other source', async () => {
    const engine = await engineWith();
    const plan = await engine.explain(THREE);
    const pushed = joined(plan);
    assert.equal(pushed.length, 1, JSON.stringify(plan.sources.map((s) => s.strategy)));
    assert.match(pushed[0]!.strategy!, /⋈.*⋈/);
    assert.match(pushed[0]!.sql ?? '', /JOIN.*JOIN/is);
    const mark = sources.logLength();
    await assertSameAnswer(engine, THREE);
    assert.match(
      sources.statementLog(mark),
      /FROM public\.\w+ AS \w+ (INNER )?JOIN public\.\w+ AS \w+ ON .* JOIN public\.\w+ AS \w+ ON/i,
    );
  });
  test('the same answers with the rule off', async () => {
    const engine = await engineWith({ joinInSource: false });
    for (const sql of [TWO, THREE]) {
      await assertSameAnswer(engine, sql);
      assert.equal(joined(await engine.explain(sql)).length, 0);
    }
  });
});

describe('shapes left alone', () => {
  test('a LEFT join between the two tables', async () => {
    const engine = await engineWith();
    const sql = `SELECT c.name, o.id, i.id AS item FROM crm.customers c JOIN pg.orders o ON o.customer_id = c.id
      LEFT JOIN pg.items i ON i.order_id = o.id AND i.qty = 2 WHERE o.channel = 'web' AND c.name LIKE 'customer 1%'`;
    await assertSameAnswer(engine, sql);
    const mark = sources.logLength();
    const plan = await engine.explain(sql);
    assert.equal(joined(plan).length, 0);
    await collectBatches(await engine.query(sql));
    assert.doesNotMatch(sources.statementLog(mark), /orders.*JOIN.*items/is);
  });
  test('a sub-query in the select list correlated with a table of the group', async () => {
    const engine = await engineWith();
    const sql = `SELECT o.id, (SELECT sum(p.amount) FROM pg.payments p WHERE p.customer_id = o.customer_id) AS paid
      FROM crm.customers c, pg.orders o, pg.items i
      WHERE c.id = o.customer_id AND o.id = i.order_id AND i.qty = 2 AND o.channel = 'web'`;
    await assertSameAnswer(engine, sql);
    assert.equal(joined(await engine.explain(sql)).length, 0);
  });
  test('SELECT * is left alone', async () => {
    const engine = await engineWith();
    const sql = `SELECT * FROM crm.customers c, pg.orders o, pg.items i
      WHERE c.id = o.customer_id AND o.id = i.order_id AND i.qty = 2 AND o.channel = 'web'`;
    await assertSameAnswer(engine, sql);
    assert.equal(joined(await engine.explain(sql)).length, 0);
  });
});
