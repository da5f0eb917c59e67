/**
 * PostgreSQL joined with a DuckDB-file source through the engine: what the
 * planner sends to PostgreSQL (whole queries, sub-queries, CTEs, scans with
 * filters — read back through EXPLAIN) and the answers, equal to DuckDB
 * running the same SQL over the same data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import { collectBatches, createEngine, type FederatedEngine } from '@spoke/planner';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB, diffRows } from '@spoke/testing';
import { type PostgresServer, startPostgres } from '../harness/index.js';

/** Statements both PostgreSQL and DuckDB accept, so both hold the same rows. */
const PG_TABLES = [
  `CREATE TABLE orders AS SELECT i AS id, (i % 150) + 1 AS customer_id,
     CAST(((i * 37) % 10000) / 100.0 AS NUMERIC(10,2)) AS amount,
     CASE WHEN i % 4 = 0 THEN 'web' ELSE 'store' END AS channel
   FROM generate_series(1, 2000) AS t(i)`,
  `CREATE TABLE products AS SELECT i AS id, 'product ' || i AS title, i % 7 AS category FROM generate_series(1, 50) AS t(i)`,
];
const CRM_TABLE = `CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name,
  CASE i % 3 WHEN 0 THEN 'EU' WHEN 1 THEN 'US' ELSE 'APAC' END AS region FROM range(1, 201) t(i)`;

let pg: PostgresServer;
let dir: string;
let engine: FederatedEngine;
let reference: (sql: string) => Promise<unknown[][]>;
let closeReference: () => void;

before(async () => {
  pg = await startPostgres();
  for (const sql of PG_TABLES) pg.psql(sql);
  pg.psql('ANALYZE');
  dir = mkdtempSync(join(tmpdir(), 'spoke-pgfed-'));
  const file = join(dir, 'crm.duckdb');
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  await c.run(CRM_TABLE);
  c.closeSync();
  db.closeSync();

  const ref = await DuckDBInstance.create(':memory:');
  const rc = await ref.connect();
  await rc.run(`ATTACH '${file}' AS crm (READ_ONLY)`);
  await rc.run(`ATTACH ':memory:' AS pg`);
  await rc.run('USE pg');
  for (const sql of PG_TABLES) await rc.run(sql);
  await rc.run('USE memory');
  reference = async (sql) => {
    const result = await rc.run(sql);
    const chunks = await result.fetchAllChunks();
    return canonicalRowsFromDuckDB(
      chunks,
      result.columnTypes().map((t) => /INT/.test(String(t))),
    ) as unknown[][];
  };
  closeReference = () => {
    rc.closeSync();
    ref.closeSync();
  };
  engine = await createEngine({
    sources: {
      pg: await postgresConnector.create({ url: pg.url }, { sourceName: 'pg', baseDir: dir }),
      crm: await duckdbConnector.create({ path: file }, { sourceName: 'crm', baseDir: dir }),
    },
  });
});

after(async () => {
  await engine?.close();
  closeReference?.();
  await pg?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function same(sql: string, ordered = false) {
  const actual = canonicalRowsFromBatches(await collectBatches(await engine.query(sql))) as unknown[][];
  const expected = await reference(sql);
  if (ordered) assert.deepEqual(actual, expected, sql);
  else assert.deepEqual(diffRows(actual as never, expected as never), { extra: [], missing: [] }, sql);
  return engine.explain(sql);
}

describe('PostgreSQL federation', () => {
  test('a query on PostgreSQL alone is sent whole: join, GROUP BY, HAVING, ORDER BY … LIMIT', async () => {
    const plan = await same(
      `SELECT p.category, count(*) AS n, sum(o.amount) AS total FROM pg.orders o JOIN pg.products p ON p.id = o.customer_id
       WHERE o.channel = 'web' GROUP BY p.category HAVING count(*) > 3 ORDER BY total DESC LIMIT 3`,
      true,
    );
    assert.equal(plan.sources.length, 1);
    assert.equal(plan.sources[0]!.kind, 'sql');
    assert.match(plan.sources[0]!.sql!, /GROUP BY/i);
    assert.match(plan.sources[0]!.sql!, /JOIN/i);
    // The literal travels as a bound parameter, never inside the SQL text.
    assert.doesNotMatch(plan.sources[0]!.sql!, /'web'/);
    assert.ok(plan.sources[0]!.params!.includes('web'));
  });

  test('a CTE on PostgreSQL is aggregated there and joined with another source in DuckDB', async () => {
    const sql = `WITH spend AS (SELECT customer_id, sum(amount) AS total, count(DISTINCT channel) AS channels FROM pg.orders GROUP BY customer_id)
      SELECT c.region, count(*) AS customers, sum(s.total) AS revenue FROM crm.customers c JOIN spend s ON s.customer_id = c.id
      GROUP BY c.region`;
    const plan = await same(sql);
    const pushed = plan.sources.find((s) => s.source === 'pg')!;
    assert.equal(pushed.kind, 'sql');
    assert.match(pushed.sql!, /GROUP BY/i);
    assert.equal(plan.sources.find((s) => s.source === 'crm')!.kind, 'scan');
  });

  test('FROM sub-queries on PostgreSQL are pushed; scans of PostgreSQL tables carry their filters', async () => {
    const plan = await same(`SELECT c.name, t.n FROM crm.customers c
      JOIN (SELECT customer_id, count(*) AS n FROM pg.orders WHERE amount > 50 GROUP BY customer_id) t ON t.customer_id = c.id
      WHERE c.region = 'EU'`);
    assert.equal(plan.sources.filter((s) => s.kind === 'sql').length, 1);
    const scanPlan =
      await same(`SELECT c.name, o.amount FROM crm.customers c JOIN pg.orders o ON o.customer_id = c.id
      WHERE o.channel = 'web' AND o.amount BETWEEN 10 AND 20`);
    const orders = scanPlan.sources.find((s) => s.source === 'pg')!;
    assert.equal(orders.kind, 'scan');
    assert.deepEqual([...orders.columns].sort(), ['amount', 'channel', 'customer_id']);
    assert.equal(orders.filters.length, 2);
    assert.ok(orders.filters.every((f) => f.support === 'exact'));
  });

  test('parameters reach PostgreSQL bound', async () => {
    const result = await engine.query(
      'SELECT count(*) AS n FROM pg.orders WHERE channel = $1 AND amount > $2',
      { params: ['web', 50] },
    );
    const rows = canonicalRowsFromBatches(await collectBatches(result));
    const expected = await reference(
      "SELECT count(*) AS n FROM pg.orders WHERE channel = 'web' AND amount > 50",
    );
    assert.deepEqual(rows, expected);
  });
});
