/**
 * The acceptance query: one SQL statement joining PostgreSQL,
 * MariaDB and Snowflake (our protocol emulator, driven by the real
 * snowflake-sdk), sent with `psql` to a running `spoke serve`, equal to
 * DuckDB running the same SQL over the same rows; EXPLAIN shows the SQL each
 * source was sent.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { type PostgresServer, startPostgres } from '../harness/index.js';
import { type MariaDBServer, startMariaDB } from '../harness/mariadb-server.js';
import { type SnowflakeEmulator, startSnowflakeEmulator } from '../harness/snowflake-emulator/index.js';
import { startSpokeServe } from '../harness/spoke-serve.js';

const run = promisify(execFile);

// The same rows in every system: each statement is valid in the source's SQL and in DuckDB.
const ORDERS = `CREATE TABLE orders AS SELECT i AS id, (i % 40) + 1 AS customer_id, (i % 12) + 1 AS product_id,
  CAST(((i * 37) % 10000) / 100.0 AS NUMERIC(10,2)) AS amount FROM generate_series(1, 600) AS t(i)`;
const CUSTOMERS_DDL = 'CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40), country VARCHAR(2))';
const CUSTOMERS_ROWS = Array.from(
  { length: 40 },
  (_, k) => `(${k + 1}, 'customer ${k + 1}', '${['DE', 'FR', 'US', 'JP'][k % 4]}')`,
);
const PRODUCTS = `CREATE TABLE PRODUCTS AS SELECT i AS ID, 'product ' || i AS TITLE, CASE WHEN i % 2 = 0 THEN 'tools' ELSE 'toys' END AS CATEGORY
  FROM range(1, 13) t(i)`;
const QUERY = `SELECT c.country, p.category, count(*) AS orders, sum(o.amount) AS revenue
  FROM pg.orders o JOIN maria.customers c ON c.id = o.customer_id JOIN snow.products p ON p.id = o.product_id
  WHERE c.country <> 'JP' AND p.category = 'tools'
  GROUP BY c.country, p.category ORDER BY c.country, p.category`;

let pg: PostgresServer;
let maria: MariaDBServer;
let snow: SnowflakeEmulator;
let dir: string;
let server: ChildProcess;
let pgPort: number;
let expected: string[];

before(async () => {
  [pg, maria, snow] = await Promise.all([
    startPostgres(),
    startMariaDB(),
    startSnowflakeEmulator({ setup: async (db) => void (await db.run(PRODUCTS)) }),
  ]);
  pg.psql(ORDERS);
  await maria.sql(CUSTOMERS_DDL);
  await maria.sql(`INSERT INTO customers VALUES ${CUSTOMERS_ROWS.join(', ')}`);

  const ref = await DuckDBInstance.create(':memory:');
  const rc = await ref.connect();
  for (const [schema, ddl] of [
    ['pg', ORDERS],
    ['maria', `${CUSTOMERS_DDL}; INSERT INTO customers VALUES ${CUSTOMERS_ROWS.join(', ')}`],
    ['snow', PRODUCTS],
  ] as const) {
    await rc.run(`ATTACH ':memory:' AS ${schema}`);
    await rc.run(`USE ${schema}`);
    await rc.run(ddl);
  }
  const reader = await rc.runAndReadAll(QUERY);
  expected = reader.getRowsJS().map((r) => r.map((v) => String(v)).join('|'));
  rc.closeSync();
  ref.closeSync();

  dir = mkdtempSync(join(tmpdir(), 'spoke-three-'));
  const started = await startSpokeServe({
    dir,
    config: `sources:
  pg: { connector: postgres, url: "${pg.url}" }
  maria: { connector: mysql, url: "${maria.url}" }
  snow:
    connector: snowflake
    account: ${snow.account}
    username: ${snow.user}
    password: \${SNOW_PASSWORD}
    database: ${snow.database}
    schema: ${snow.schema}
    warehouse: ${snow.warehouse}
    accessUrl: ${snow.accessUrl}
`,
    env: { ...process.env, SNOW_PASSWORD: snow.password },
  });
  server = started.process;
  pgPort = started.pgPort;
});

after(async () => {
  server?.kill('SIGTERM');
  await Promise.all([pg?.close(), maria?.close(), snow?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const psql = (sql: string) =>
  run('psql', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'spoke', '-X', '-A', '-t', '-c', sql]).then(
    (r) => r.stdout.split('\n').filter((l) => l.length > 0),
  );

test('PostgreSQL ⋈ MariaDB ⋈ Snowflake from psql equals DuckDB on the same rows', async () => {
  const normalise = (line: string) =>
    line
      .split('|')
      .map((v) => (/^-?\d+\.\d+$/.test(v) ? String(Number(v)) : v))
      .join('|');
  assert.deepEqual((await psql(QUERY)).map(normalise), expected.map(normalise));
});

test('EXPLAIN shows what each source is sent', async () => {
  const plan = (await psql(`EXPLAIN ${QUERY}`)).join('\n');
  assert.match(plan, /Scan pg\.public\.orders/);
  assert.match(plan, /Scan maria\.\w+\.customers/);
  assert.match(plan, /Filter \[exact\]: c\.country <> 'JP'/);
  assert.match(plan, /Scan snow\.PUBLIC\.PRODUCTS/);
  assert.match(plan, /Filter \[exact\]: p\.category = 'tools'/);
  // A query on one SQL source alone is sent whole, in that source's dialect.
  const whole = (
    await psql(
      "EXPLAIN SELECT country, count(*) FROM maria.customers WHERE name LIKE 'customer 1%' GROUP BY country",
    )
  ).join('\n');
  assert.match(whole, /whole query pushed down/);
  assert.match(whole, /GROUP BY/i);
  assert.match(whole, /`country`/);
});
