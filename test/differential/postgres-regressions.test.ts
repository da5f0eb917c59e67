/**
 * Minimized cases of wrong answers the TPC-H kit found that need a real
 * PostgreSQL: its unconstrained `numeric` results and its padded
 * `character(n)`. Each answer equals DuckDB's on the same rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import { collectBatches, createEngine, type FederatedEngine } from '@spoke/planner';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB } from '@spoke/testing';
import { type PostgresServer, startPostgres } from '../harness/index.js';

// Valid in PostgreSQL and DuckDB alike: the same rows on both sides.
const LINES = `CREATE TABLE lines AS SELECT CAST(i % 7 + 1 AS INTEGER) AS supp, CAST(i * 3.25 AS DECIMAL(15,2)) AS price,
  CAST((i % 11) / 100.0 AS DECIMAL(15,2)) AS discount, CAST(CASE WHEN i % 3 = 0 THEN 'AIR' ELSE 'MAIL' END AS CHAR(10)) AS mode
  FROM generate_series(1, 400) AS t(i)`;
const SUPPLIERS = `CREATE TABLE suppliers AS SELECT CAST(i AS INTEGER) AS id, 'Supplier#' || i AS name,
  CAST(CASE WHEN i % 2 = 0 THEN 'Brand#12' ELSE 'Brand#23' END AS CHAR(10)) AS brand FROM generate_series(1, 7) AS t(i)`;

let dir: string;
let pg: PostgresServer;
let engine: FederatedEngine;
let ref: DuckDBInstance;
let rc: DuckDBConnection;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-pg-regressions-'));
  pg = await startPostgres();
  pg.psql(`${LINES};`);
  ref = await DuckDBInstance.create(':memory:');
  rc = await ref.connect();
  await rc.run(`ATTACH '${join(dir, 'crm.duckdb')}' AS crm`);
  await rc.run(`USE crm`);
  await rc.run(SUPPLIERS);
  await rc.run('USE memory');
  await rc.run('DETACH crm');
  engine = await createEngine({
    sources: {
      pg: await postgresConnector.create({ url: pg.url }, { sourceName: 'pg', baseDir: dir }),
      crm: await duckdbConnector.create(
        { path: join(dir, 'crm.duckdb') },
        { sourceName: 'crm', baseDir: dir },
      ),
    },
  });
  await rc.run(`ATTACH '${join(dir, 'crm.duckdb')}' AS crm (READ_ONLY)`);
  await rc.run(`ATTACH ':memory:' AS pg`);
  await rc.run('USE pg');
  await rc.run(LINES);
});

after(async () => {
  await engine?.close();
  rc?.closeSync();
  ref?.closeSync();
  await pg?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function check(sql: string): Promise<void> {
  const result = await rc.run(sql);
  const expected = canonicalRowsFromDuckDB(
    await result.fetchAllChunks(),
    result.columnTypes().map((t) => /INT/.test(String(t))),
  );
  assert.ok(expected.length > 0 && expected.every((r) => r.every((v) => v !== null)));
  assert.deepEqual(canonicalRowsFromBatches(await collectBatches(await engine.query(sql))), expected);
}

test('a CTE compared with its max(): the pushed sum over decimal arithmetic keeps its type (TPC-H Q15)', async () => {
  // Unconstrained, PostgreSQL's sum arrived as text and DuckDB took the max of the text.
  const sql = `WITH revenue (supplier_no, total) AS (
      SELECT supp, sum(price * (1 - discount)) FROM pg.lines GROUP BY supp)
    SELECT id, name, total FROM crm.suppliers, revenue
    WHERE id = supplier_no AND total = (SELECT max(total) FROM revenue) ORDER BY id`;
  await check(sql);
  const plan = await engine.explain(sql);
  assert.match(plan.sources.map((s) => s.sql ?? '').join('\n'), /AS numeric\(38, 4\)/);
});

test('a sum over an OR of conjunctions with character(n) columns on both sides of a join (TPC-H Q19)', async () => {
  // PostgreSQL's character(n) arrived padded: every comparison made in DuckDB failed and the sum was NULL.
  await check(`SELECT sum(price * (1 - discount)) AS revenue FROM pg.lines, crm.suppliers
    WHERE (id = supp AND brand = 'Brand#12' AND mode IN ('AIR', 'REG AIR') AND price > 10)
       OR (id = supp AND brand = 'Brand#23' AND mode = 'MAIL' AND discount < 0.05)`);
});

test('CASE over a character(n) column of PostgreSQL in a federated query (TPC-H Q12)', async () => {
  await check(`SELECT name, sum(CASE WHEN mode = 'AIR' THEN 1 ELSE 0 END) AS air, sum(CASE WHEN mode <> 'AIR' THEN 1 ELSE 0 END) AS other
    FROM pg.lines JOIN crm.suppliers ON id = supp GROUP BY name ORDER BY name`);
});

test('character(n) values come without the padding', async () => {
  await check(
    `SELECT DISTINCT mode, brand FROM pg.lines JOIN crm.suppliers ON id = supp ORDER BY mode, brand`,
  );
});

test('decimal expressions in the select list pushed to PostgreSQL come as decimals, not text (random kit)', async () => {
  // PostgreSQL answers -d, abs(d), d + 1.5 and COALESCE(d, …) as unconstrained numerics, which arrived as
  // text ('1.5000'); DuckDB answers decimals. The pushed expressions are now cast to DuckDB's decimal type.
  const sql =
    'SELECT -(price) AS a, abs(discount) AS b, price + 1.5 AS c, COALESCE(discount, 0.0001) AS d FROM pg.lines ORDER BY 1, 2, 3, 4 LIMIT 20';
  await check(sql);
  const plan = await engine.explain(sql);
  assert.match(
    plan.sources.map((s) => s.sql ?? '').join('\n'),
    /CAST\(abs\(discount\) AS numeric\(15, 2\)\)/,
  );
});
