/**
 * End to end: `spoke serve` (the real CLI, as a child process) over two
 * sources — a DuckDB database file and a folder of Parquet files — queried
 * through the Postgres wire protocol (node `pg` and `psql`), HTTP and
 * `spoke query`. Every answer is compared with DuckDB running the same SQL
 * over the same files.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { SPOKE_CLI } from '../harness/spoke-cli.js';
import { startSpokeServe } from '../harness/spoke-serve.js';

const run = promisify(execFile);

let dir: string;
let configPath: string;
let server: ChildProcess;
let httpPort: number;
let pgPort: number;
let reference: (sql: string) => Promise<string[][]>;
let closeReference: () => void;

const QUERIES = [
  'SELECT count(*) AS n FROM crm.customers',
  "SELECT id, name FROM crm.customers WHERE region = 'EU' AND id < 40 ORDER BY id",
  `SELECT c.region, count(*) AS orders, sum(s.amount) AS revenue
     FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.region ORDER BY c.region`,
  `SELECT c.name, s.amount FROM crm.customers c LEFT JOIN lake.sales s ON s.customer_id = c.id AND s.amount > 90
     WHERE c.id BETWEEN 5 AND 9 ORDER BY c.name, s.amount`,
  `WITH big AS (SELECT customer_id, max(amount) AS m FROM lake.sales GROUP BY customer_id)
     SELECT region, count(*) FROM crm.customers c JOIN big ON big.customer_id = c.id WHERE big.m > 50 GROUP BY region ORDER BY 1`,
];

/** Text the way both sides compare: NULL as null, decimals without trailing zeros. */
function norm(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  return /^-?\d+\.\d+$/.test(s) ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-it-'));
  const db = await DuckDBInstance.create(join(dir, 'crm.duckdb'));
  const c = await db.connect();
  await c.run(`CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name,
    CASE i % 3 WHEN 0 THEN 'EU' WHEN 1 THEN 'US' ELSE 'APAC' END AS region FROM range(1, 201) t(i)`);
  await c.run(`COPY (SELECT i AS id, (i % 250) + 1 AS customer_id, CAST(((i * 37) % 10000) / 100 AS DECIMAL(10,2)) AS amount
    FROM range(0, 3000) t(i)) TO '${join(dir, 'sales_1.parquet')}' (FORMAT parquet)`);
  await c.run(`COPY (SELECT i AS id, (i % 250) + 1 AS customer_id, CAST(((i * 53) % 10000) / 100 AS DECIMAL(10,2)) AS amount
    FROM range(3000, 5000) t(i)) TO '${join(dir, 'sales_2.parquet')}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();

  const ref = await DuckDBInstance.create(':memory:');
  const rc = await ref.connect();
  await rc.run(`ATTACH '${join(dir, 'crm.duckdb')}' AS crm (READ_ONLY)`);
  await rc.run(`ATTACH ':memory:' AS lake`);
  await rc.run(`CREATE VIEW lake.sales AS SELECT * FROM read_parquet('${join(dir, 'sales_*.parquet')}')`);
  reference = async (sql) => {
    const reader = await rc.runAndReadAll(sql);
    return reader.getRowsJS().map((r) => r.map((v) => norm(v)!));
  };
  closeReference = () => {
    rc.closeSync();
    ref.closeSync();
  };

  const started = await startSpokeServe({
    dir,
    config: `sources:
  crm: { connector: duckdb, path: crm.duckdb }
  lake: { connector: duckdb, files: { sales: "sales_*.parquet" } }
`,
  });
  server = started.process;
  httpPort = started.httpPort;
  pgPort = started.pgPort;
  configPath = join(dir, 'spoke.yaml');
});

after(() => {
  server?.kill('SIGTERM');
  closeReference?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('federated queries through every front end equal DuckDB on the same files', () => {
  test('node pg (extended protocol)', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: pgPort, user: 'spoke', database: 'spoke' });
    await client.connect();
    try {
      for (const sql of QUERIES) {
        const res = await client.query({ text: sql, rowMode: 'array' });
        assert.deepEqual(
          res.rows.map((r: unknown[]) => r.map(norm)),
          await reference(sql),
          sql,
        );
      }
      const param = await client.query({
        text: 'SELECT name FROM crm.customers WHERE id = $1',
        values: [42],
        rowMode: 'array',
      });
      assert.deepEqual(param.rows, [['customer 42']]);
    } finally {
      await client.end();
    }
  });

  test('psql', async () => {
    for (const sql of QUERIES) {
      const { stdout } = await run(
        'psql',
        ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'spoke', '-X', '-A', '-t', '-F', '\t', '-c', sql],
        {
          env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
        },
      );
      const rows = stdout
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => l.split('\t').map((v) => (v === '' ? null : norm(v))));
      assert.deepEqual(rows, await reference(sql), sql);
    }
    const { stdout } = await run('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(pgPort),
      '-U',
      'spoke',
      '-X',
      '-c',
      '\\dt',
    ]);
    assert.match(stdout, /customers/);
    assert.match(stdout, /sales/);
  });

  test('HTTP', async () => {
    for (const sql of QUERIES) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { rows: unknown[][] };
      assert.deepEqual(
        body.rows.map((r) => r.map(norm)),
        await reference(sql),
        sql,
      );
    }
    const bad = await fetch(`http://127.0.0.1:${httpPort}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT * FROM crm.custmers' }),
    });
    assert.equal(bad.status, 404);
    const err = (await bad.json()) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'TABLE_NOT_FOUND');
    assert.match(err.error.message, /did you mean "customers"/);
  });

  test('spoke query and spoke explain', async () => {
    const sql = QUERIES[2]!;
    const { stdout } = await run(process.execPath, [
      SPOKE_CLI,
      'query',
      '--config',
      configPath,
      '--format',
      'json',
      sql,
    ]);
    const objects = JSON.parse(stdout) as Record<string, unknown>[];
    assert.deepEqual(
      objects.map((o) => Object.values(o).map(norm)),
      await reference(sql),
    );
    const explained = await run(process.execPath, [
      SPOKE_CLI,
      'explain',
      '--config',
      configPath,
      "SELECT name FROM crm.customers WHERE region = 'EU'",
    ]);
    assert.match(explained.stdout, /region = 'EU'/);
    assert.match(explained.stdout, /exact/);
    await assert.rejects(
      run(process.execPath, [SPOKE_CLI, 'query', '--config', configPath, 'SELECT nope FROM crm.customers']),
      (e: unknown) => {
        const x = e as { code: number; stderr: string };
        assert.equal(x.code, 1);
        assert.match(x.stderr, /column "nope" does not exist/);
        return true;
      },
    );
  });
});
