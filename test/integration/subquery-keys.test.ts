/**
 * Dynamic filters into pushed FROM sub-queries (`pushdown/subquery-key-edges.ts`) against a real
 * PostgreSQL, with a DuckDB-file source as the other side: the keys of a small read of the DuckDB file
 * reach an eager-aggregated sub-query (before its GROUP BY) and a join-in-source sub-query inside their
 * SQL (PostgreSQL's `log_statement = all` log), answers equal DuckDB running the same SQL over the same
 * data, EXPLAIN / EXPLAIN ANALYZE show the dynamic filter and the keys sent, and a `never_upload`
 * table's keys never reach the sub-query.
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

async function engineWith(options: { joinInSource?: boolean; neverUpload?: boolean } = {}) {
  const context = { sourceName: '', baseDir: sources.dir };
  const engine = await createEngine({
    sources: {
      pg: await postgresConnector.create({ url: sources.pg.url }, { ...context, sourceName: 'pg' }),
      crm: await duckdbConnector.create({ path: sources.crmFile }, { ...context, sourceName: 'crm' }),
    },
    links: SLOW_PG,
    joinInSource: options.joinInSource ?? true,
    ...(options.neverUpload
      ? { policy: await createSecurityPolicy({ 'crm.customers': 'never_upload' }) }
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

/** The requests EXPLAIN shows whose strategy starts with `prefix`. */
function requests(plan: ExplainPlan, prefix: string) {
  return plan.sources.filter((s) => (s.strategy ?? '').startsWith(prefix));
}

before(async () => {
  sources = await startPgAndDuckDBFile({ pgTables: PG_TABLES, crmTables: [CRM_TABLE] });
});

after(async () => {
  for (const e of engines) await e.close();
  await sources?.close();
});

/** Orders grouped by customer at PostgreSQL (eager aggregation), joined with the 50 EU customers of crm. */
const EAGER = `SELECT c.name, count(o.id) AS n, sum(o.id) AS ids
  FROM crm.customers c JOIN pg.orders o ON o.customer_id = c.id WHERE c.region = 'EU' GROUP BY c.name`;
/** Orders and items joined inside PostgreSQL, joined with the 50 EU customers of crm by a renamed column. */
const JOINED = `SELECT c.region, o.id, i.id FROM pg.items i, pg.orders o, crm.customers c
  WHERE i.order_id = o.id AND o.customer_id = c.id AND i.qty = 38 AND c.region = 'EU' ORDER BY o.id, i.id LIMIT 20`;

/** The statements PostgreSQL logged while `sql` ran on `engine`. */
async function loggedWhile(engine: FederatedEngine, sql: string): Promise<string> {
  const mark = sources.logLength();
  await collectBatches(await engine.query(sql));
  return sources.statementLog(mark);
}

describe('keys into pushed sub-queries', () => {
  test('an eager-aggregated sub-query takes the keys before its GROUP BY', async () => {
    const engine = await engineWith({ joinInSource: false });
    const plan = await engine.explain(EAGER);
    const [eager] = requests(plan, 'eager aggregation');
    assert.ok(eager, JSON.stringify(plan.sources.map((s) => s.strategy)));
    assert.match(eager.strategy!, /semi-join by keys \(c\)/);
    assert.match(eager.dynamicFilters?.[0] ?? '', /customer_id.*IN \(keys of c\.id/);
    // The keys are parameters inside the grouped statement, before GROUP BY: never text in the SQL.
    const log = await loggedWhile(engine, EAGER);
    // The dialect binds them as parameters; PostgreSQL's COPY takes none, so its connector inlines them typed.
    assert.match(
      log,
      /FROM public\.orders AS o WHERE o\.customer_id IN \(CAST\(\(\d+\) AS int\), .*\) GROUP BY o\.customer_id/,
    );
    assert.doesNotMatch(log, /customer_id IN \(\d/);
    await assertSameAnswer(engine, EAGER);
    const analyzed = await engine.explain(EAGER, { analyze: true });
    const [read] = requests(analyzed, 'eager aggregation');
    assert.equal(read?.keysSent, 50);
    assert.equal(read?.actualRows, 50);
  });
  test('a join-in-source sub-query takes the keys on its renamed column', async () => {
    const engine = await engineWith({ joinInSource: true });
    const plan = await engine.explain(JOINED);
    const [joined] = requests(plan, 'join in source');
    assert.ok(joined, JSON.stringify(plan.sources.map((s) => s.strategy)));
    assert.match(joined.strategy!, /semi-join by keys \(c\)/);
    assert.match(
      joined.dynamicFilters?.[0] ?? '',
      /__spoke_jis_\d+ \(o\.customer_id, inside the sub-query\)/,
    );
    const log = await loggedWhile(engine, JOINED);
    assert.match(log, /JOIN public\.\w+ AS \w+ ON .* WHERE .*o\.customer_id IN \(CAST\(\(\d+\) AS int\), /);
    await assertSameAnswer(engine, JOINED);
    const [read] = requests(await engine.explain(JOINED, { analyze: true }), 'join in source');
    assert.equal(read?.keysSent, 50);
  });
  test('answers equal DuckDB with other shapes: a LEFT join into the grouped sub-query, a sub-query of the query', async () => {
    const engine = await engineWith({ joinInSource: true });
    for (const sql of [
      `SELECT c.name, count(o.id) AS n FROM crm.customers c LEFT JOIN pg.orders o ON o.customer_id = c.id
        WHERE c.region = 'EU' GROUP BY c.name`,
      `SELECT c.name, t.total FROM crm.customers c
        JOIN (SELECT customer_id, sum(id) AS total FROM pg.orders WHERE channel = 'store' GROUP BY customer_id) t
          ON t.customer_id = c.id WHERE c.region = 'EU'`,
      // Not a plain column: the sub-query's aggregate is joined, nothing is sent.
      `SELECT c.name, t.n FROM crm.customers c
        JOIN (SELECT customer_id, count(*) AS n FROM pg.orders GROUP BY customer_id) t ON t.n = c.id
        WHERE c.id < 100`,
    ]) {
      await assertSameAnswer(engine, sql);
    }
    const log = await loggedWhile(
      engine,
      `SELECT c.name, t.total FROM crm.customers c
        JOIN (SELECT customer_id, sum(id) AS total FROM pg.orders WHERE channel = 'store' GROUP BY customer_id) t
          ON t.customer_id = c.id WHERE c.region = 'EU'`,
    );
    assert.match(log, /customer_id IN \(CAST\(\(\d+\) AS int\), .*GROUP BY/);
  });
  test('shapes a key filter would change are left alone', async () => {
    const engine = await engineWith({ joinInSource: false });
    for (const sql of [
      // An aggregate joined: not a plain column.
      `SELECT c.name, t.n FROM crm.customers c
        JOIN (SELECT customer_id, count(*) AS n FROM pg.orders GROUP BY customer_id) t ON t.n = c.id WHERE c.id < 100`,
      // A LIMIT inside: filtering first would let other rows in.
      `SELECT c.name, t.id FROM crm.customers c
        JOIN (SELECT id, customer_id FROM pg.orders ORDER BY id LIMIT 3000) t ON t.customer_id = c.id
        WHERE c.region = 'EU'`,
      // The sub-query on the preserved side of a LEFT join: its unmatched rows must stay.
      `SELECT t.customer_id, t.total, c.name FROM (SELECT customer_id, sum(id) AS total FROM pg.orders
        GROUP BY customer_id) t LEFT JOIN crm.customers c ON t.customer_id = c.id AND c.region = 'EU'`,
    ]) {
      const plan = await engine.explain(sql);
      // The reference's own `ORDER BY id LIMIT` inside a join answered 76 rows instead of 75 now and then: its equivalent.
      await assertSameAnswer(engine, sql, {
        referenceSql: sql.replace('ORDER BY id LIMIT 3000', 'WHERE id <= 3000'),
      });
      for (const s of plan.sources) assert.equal(s.dynamicFilters, undefined, `${sql}: ${JSON.stringify(s)}`);
    }
  });
  test("a never_upload table's keys never reach the sub-query", async () => {
    const engine = await engineWith({ joinInSource: true, neverUpload: true });
    for (const sql of [EAGER, JOINED]) {
      const plan = await engine.explain(sql);
      for (const s of plan.sources) assert.equal(s.dynamicFilters, undefined, JSON.stringify(s));
      const log = await loggedWhile(engine, sql);
      assert.ok(
        /public\.orders/.test(log),
        `PostgreSQL was asked: ${JSON.stringify(plan.sources.map((s) => [s.strategy, s.sql]))}`,
      );
      assert.doesNotMatch(log, /customer_id IN \(/);
      assert.doesNotMatch(log, /= ANY\(/);
      await assertSameAnswer(engine, sql);
    }
  });
});
