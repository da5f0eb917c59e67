/**
 * Eager aggregation below a join (`src/strategies/eager-aggregation.ts`):
 * two DuckDB database files as two SQL sources (`crm`, `shop`); `shop`'s
 * tables report their columns' distinct counts (as PostgreSQL's pg_stats
 * would), so the rule sees that grouping orders by their join keys pays.
 * Every answer equals DuckDB's running the very same SQL over the same
 * files; names and Arrow types equal the plain federated plan's (the same
 * sources without distinct counts, where the rule never applies); EXPLAIN
 * shows the choice, and the shapes it must not touch are left alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdb } from '@spoke/connector-duckdb';
import type { SpokeCatalog, SpokeConnector, SpokeTable, TableStatistics } from '@spoke/core';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB, diffRows } from '@spoke/testing';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';
import { createSecurityPolicy } from '../src/policy/index.js';

let dir: string;
let eager: FederatedEngine;
let plain: FederatedEngine;
/** `eager`'s sources under a row filter for the role `clerk`. */
let guarded: FederatedEngine;
let reference: DuckDBConnection;
let referenceDb: DuckDBInstance;
const opened: SpokeConnector[] = [];

/** `inner` with each table's distinct counts (computed exactly from the file) added to its statistics. */
async function withDistinctCounts(inner: SpokeConnector, path: string): Promise<SpokeConnector> {
  const db = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  const distinct = new Map<string, Record<string, { value: number; exact: boolean }>>();
  for (const [table] of (await c.runAndReadAll('SELECT table_name FROM duckdb_tables()')).getRows()) {
    const columns = (
      await c.runAndReadAll(`SELECT column_name FROM duckdb_columns() WHERE table_name = '${table}'`)
    ).getRows();
    const counts: Record<string, { value: number; exact: boolean }> = {};
    for (const [column] of columns) {
      const n = (
        await c.runAndReadAll(`SELECT count(DISTINCT "${column}") FROM "${table}"`)
      ).getRows()[0]![0];
      counts[String(column)] = { value: Number(n), exact: true };
    }
    distinct.set(String(table), counts);
  }
  c.closeSync();
  db.closeSync();
  const wrap = (table: SpokeTable): SpokeTable =>
    new Proxy(table, {
      get(target, key) {
        if (key === 'statistics')
          return async (signal?: AbortSignal): Promise<TableStatistics | undefined> => {
            const stats = await target.statistics?.(signal);
            const columns: Record<string, object> = {};
            for (const [name, d] of Object.entries(distinct.get(target.name) ?? {}))
              columns[name] = { ...stats?.columns?.[name], distinctCount: d };
            return { ...stats, columns };
          };
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const catalog: SpokeCatalog = {
    defaultSchema: inner.catalog.defaultSchema,
    listSchemas: (s) => inner.catalog.listSchemas(s),
    listTables: (schema, s) => inner.catalog.listTables(schema, s),
    getTable: async (schema, name, s) => {
      const t = await inner.catalog.getTable(schema, name, s);
      return t && wrap(t);
    },
  };
  return {
    specificationVersion: inner.specificationVersion,
    catalog,
    ...(inner.sql ? { sql: inner.sql } : {}),
    close: () => inner.close(),
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-eager-'));
  const crmPath = join(dir, 'crm.duckdb');
  const shopPath = join(dir, 'shop.duckdb');
  {
    const db = await DuckDBInstance.create(crmPath);
    const c = await db.connect();
    // Customers 1..60 and a NULL id; region pairs (region, id % 3) for two-column keys.
    await c.run(`CREATE TABLE customers AS
      SELECT CAST(i AS INTEGER) AS id, 'c' || i AS name, CAST(i % 3 AS INTEGER) AS region_id, i % 2 = 0 AS vip
      FROM range(1, 61) t(i)
      UNION ALL SELECT NULL, 'nobody', 1, false`);
    c.closeSync();
    db.closeSync();
  }
  {
    const db = await DuckDBInstance.create(shopPath);
    const c = await db.connect();
    // 2,000 orders over 50 customers (11..60 and NULL: customers 1..10 have none), amounts as decimals,
    // quantities as integers (some NULL), weights as doubles, dates.
    await c.run(`CREATE TABLE orders AS
      SELECT CAST(i AS INTEGER) AS id,
        CASE WHEN i % 97 = 0 THEN NULL ELSE CAST(11 + i % 50 AS INTEGER) END AS customer_id,
        CAST((11 + i % 50) % 3 AS INTEGER) AS region_id,
        CAST((i * 37) % 1000 / 10 AS DECIMAL(10,2)) AS amount,
        CASE WHEN i % 7 = 0 THEN NULL ELSE CAST(i % 13 AS INTEGER) END AS qty,
        CAST(i % 17 AS DOUBLE) / 4 AS weight,
        DATE '2024-01-01' + CAST(i % 300 AS INTEGER) AS placed,
        CASE i % 4 WHEN 0 THEN 'open' WHEN 1 THEN 'shipped' ELSE 'returned' END AS status
      FROM range(1, 2001) t(i)`);
    await c.run('CREATE TABLE empty_orders AS SELECT * FROM orders WHERE false');
    c.closeSync();
    db.closeSync();
  }
  const open = async (name: string, path: string) => {
    const c = await duckdb.create({ path, wholeStatements: true } as never, {
      sourceName: name,
      baseDir: dir,
    });
    opened.push(c);
    return c;
  };
  eager = await createEngine({
    sources: {
      crm: await withDistinctCounts(await open('crm', crmPath), crmPath),
      shop: await withDistinctCounts(await open('shop', shopPath), shopPath),
    },
  });
  guarded = await createEngine({
    sources: {
      crm: await withDistinctCounts(await open('crm', crmPath), crmPath),
      shop: await withDistinctCounts(await open('shop', shopPath), shopPath),
    },
    policy: await createSecurityPolicy([
      {
        name: 'no_returns',
        on: 'shop.orders',
        rule: 'row_filter',
        predicate: "status <> 'returned'",
        roles: ['clerk'],
      },
    ]),
  });
  plain = await createEngine({
    sources: { crm: await open('crm', crmPath), shop: await open('shop', shopPath) },
  });
  referenceDb = await DuckDBInstance.create(':memory:');
  reference = await referenceDb.connect();
  await reference.run(`ATTACH '${crmPath}' AS crm (READ_ONLY)`);
  await reference.run(`ATTACH '${shopPath}' AS shop (READ_ONLY)`);
});

after(async () => {
  await eager?.close();
  await plain?.close();
  await guarded?.close();
  reference?.closeSync();
  referenceDb?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function answer(e: FederatedEngine, sql: string) {
  const batches = await collectBatches(await e.query(sql));
  const fields = batches[0]?.schema.fields ?? [];
  return {
    rows: canonicalRowsFromBatches(batches),
    columns: fields.map((f) => `${f.name}:${f.type}`),
  };
}

async function referenceRows(sql: string) {
  const result = await reference.run(sql);
  const chunks = await result.fetchAllChunks();
  const ints = result.columnTypes().map((t) => /INT/.test(String(t)));
  return canonicalRowsFromDuckDB(chunks, ints);
}

async function strategies(sql: string): Promise<string[]> {
  const plan = await eager.explain(sql);
  return plan.sources.map((s) => s.strategy ?? '');
}

/** Rewritten (EXPLAIN says so), the answer DuckDB's, names and types the plain plan's. */
async function assertRewritten(sql: string, keys: string) {
  const chosen = await strategies(sql);
  assert.ok(
    chosen.some((s) => s.startsWith(`eager aggregation (by ${keys})`)),
    `expected eager aggregation by ${keys}: ${chosen.join(' | ')}`,
  );
  const got = await answer(eager, sql);
  assert.deepEqual(diffRows(got.rows, await referenceRows(sql)), { extra: [], missing: [] }, sql);
  const base = await answer(plain, sql);
  assert.deepEqual(got.columns, base.columns, `result names and types: ${sql}`);
  assert.ok(got.rows.length > 0 || /empty_orders/.test(sql), 'a test that proves something has rows');
}

/** Left alone: no eager aggregation in EXPLAIN, and still DuckDB's answer. */
async function assertLeftAlone(sql: string) {
  const chosen = await strategies(sql);
  assert.ok(!chosen.some((s) => s.startsWith('eager aggregation')), `not rewritten: ${chosen.join(' | ')}`);
  const got = await answer(eager, sql);
  assert.deepEqual(diffRows(got.rows, await referenceRows(sql)), { extra: [], missing: [] }, sql);
}

describe('eager aggregation: rewritten', () => {
  test('LEFT JOIN count(b.x) by the customer (TPC-H Q13 shape), ON filter on b inside', async () => {
    await assertRewritten(
      `SELECT c.id, count(o.id) FROM crm.customers c LEFT JOIN shop.orders o
         ON c.id = o.customer_id AND o.status <> 'returned' GROUP BY c.id`,
      'customer_id',
    );
    // Q13 itself: the aggregate inside a FROM sub-query with a column alias list.
    await assertRewritten(
      `SELECT c_count, count(*) AS custdist FROM (
         SELECT c.id, count(o.id) FROM crm.customers c LEFT OUTER JOIN shop.orders o
           ON c.id = o.customer_id AND o.status NOT LIKE '%ret%'
         GROUP BY c.id) AS c_orders (c_custkey, c_count)
       GROUP BY c_count`,
      'customer_id',
    );
  });
  test('INNER JOIN count(*), sum, min, max over integers, decimals, doubles and dates', async () => {
    await assertRewritten(
      `SELECT c.name, count(*) AS n, sum(o.qty) AS q, sum(o.amount) AS total, sum(o.weight) AS w,
         min(o.amount) AS lo, max(o.qty) AS hi, min(o.placed) AS first_order, max(o.placed) AS last_order
       FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.name`,
      'customer_id',
    );
  });
  test('LEFT JOIN sum/min/max: customers without orders get NULLs, counts 0', async () => {
    await assertRewritten(
      `SELECT c.id, sum(o.amount) AS total, min(o.qty), max(o.placed), count(o.qty) AS counted
       FROM crm.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id`,
      'customer_id',
    );
  });
  test('comma join with the keys and b-only filters in WHERE; b.k in the select list and GROUP BY', async () => {
    await assertRewritten(
      `SELECT o.customer_id, c.vip, sum(o.qty) AS q, count(o.amount)
       FROM crm.customers c, shop.orders o
       WHERE c.id = o.customer_id AND o.placed >= DATE '2024-03-01' AND c.vip
       GROUP BY o.customer_id, c.vip ORDER BY sum(o.qty) DESC, o.customer_id`,
      'customer_id',
    );
  });
  test('two key columns', async () => {
    await assertRewritten(
      `SELECT c.region_id, count(o.id) AS n, sum(o.amount) AS total
       FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id AND o.region_id = c.region_id
       GROUP BY c.region_id HAVING count(o.id) > 10`,
      'customer_id, region_id',
    );
  });
  test('no GROUP BY: one row; and an empty b', async () => {
    await assertRewritten(
      `SELECT count(o.id) AS n, sum(o.qty) AS q FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id WHERE c.vip`,
      'customer_id',
    );
  });
});

describe('eager aggregation: left alone', () => {
  test('an empty table is not worth grouping, and answers as before', async () => {
    await assertLeftAlone(
      `SELECT c.id, count(o.id) FROM crm.customers c LEFT JOIN shop.empty_orders o ON c.id = o.customer_id GROUP BY c.id`,
    );
  });
  test('an aggregate over the other table', async () => {
    await assertLeftAlone(
      `SELECT c.region_id, count(o.id), sum(c.id) AS s FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.region_id`,
    );
  });
  test('a DISTINCT aggregate', async () => {
    await assertLeftAlone(
      `SELECT c.id, count(DISTINCT o.qty) FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id`,
    );
  });
  test("b's non-key column outside an aggregate", async () => {
    await assertLeftAlone(
      `SELECT c.id, o.status, count(o.id) FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id, o.status`,
    );
  });
  test('FULL and RIGHT joins', async () => {
    await assertLeftAlone(
      `SELECT c.id, count(o.id) FROM crm.customers c FULL JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id`,
    );
    await assertLeftAlone(
      `SELECT c.id, count(o.id) FROM crm.customers c RIGHT JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id`,
    );
  });
  test('LEFT JOIN with count(*) (an unmatched customer counts one)', async () => {
    await assertLeftAlone(
      `SELECT c.id, count(*) FROM crm.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id`,
    );
  });
  test('b on the preserved side of a LEFT join; a text min; avg; a window', async () => {
    await assertLeftAlone(
      `SELECT o.customer_id, count(c.id) FROM shop.orders o LEFT JOIN crm.customers c ON o.customer_id = c.id GROUP BY o.customer_id`,
    );
    await assertLeftAlone(
      `SELECT c.id, min(o.status) FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id`,
    );
    await assertLeftAlone(
      `SELECT c.id, avg(o.qty) FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id`,
    );
    await assertLeftAlone(
      `SELECT c.id, sum(count(o.id)) OVER () FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id`,
    );
  });
  test('a key that is nearly unique (grouping would not cut the rows)', async () => {
    await assertLeftAlone(
      `SELECT c.id, count(o.qty) FROM crm.customers c JOIN shop.orders o ON o.id = c.id GROUP BY c.id`,
    );
  });
});

describe('eager aggregation under security policies', () => {
  const sql = `SELECT c.id, count(o.id) AS n, sum(o.qty) AS q FROM crm.customers c
    LEFT JOIN shop.orders o ON c.id = o.customer_id GROUP BY c.id`;
  test('a table a policy acts on is not pre-aggregated, and the policy still holds', async () => {
    const clerk = { user: 'cleo', roles: ['clerk'] };
    const plan = await guarded.explain(sql, { context: clerk });
    assert.ok(
      !plan.sources.some((s) => s.strategy?.startsWith('eager aggregation')),
      JSON.stringify(plan.sources),
    );
    const got = canonicalRowsFromBatches(await collectBatches(await guarded.query(sql, { context: clerk })));
    const expected = await referenceRows(
      sql.replace('shop.orders o', "(SELECT * FROM shop.orders WHERE status <> 'returned') o"),
    );
    assert.deepEqual(diffRows(got, expected), { extra: [], missing: [] });
  });
  test('a caller no policy concerns gets it', async () => {
    const boss = { user: 'bo', roles: ['boss'] };
    const plan = await guarded.explain(sql, { context: boss });
    assert.ok(plan.sources.some((s) => s.strategy?.startsWith('eager aggregation (by customer_id)')));
    const got = canonicalRowsFromBatches(await collectBatches(await guarded.query(sql, { context: boss })));
    assert.deepEqual(diffRows(got, await referenceRows(sql)), { extra: [], missing: [] });
  });
});
