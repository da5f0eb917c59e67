/**
 * Two gateways as two processes (test/harness/two-gateways.ts): L holds a
 * DuckDB file, R a PostgreSQL database, L reads R through `connector:
 * flight-sql` across a throttled link.
 *
 * - a join at L of a local table with `R.pg.orders` equals DuckDB on the
 *   union of the data, and its bytes cross the link;
 * - a `never_upload` local table: none of its values (join keys included)
 *   is among the bytes L sends to R;
 * - a cancel at L (a Postgres CancelRequest) reaches R's source: the query
 *   PostgreSQL runs for R is gone;
 * - R's policies for the peer user hold through L: masks, `aggregate_only`
 *   (rows refused with POLICY_DENIED and SQLSTATE 42501 on L's Postgres wire,
 *   aggregates answered and equal to PostgreSQL's own).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { type PostgresServer, startPostgres } from '../harness/index.js';
// Not through the harness index: it imports @spoke/gateway, which packages' own tests run before it is built.
import { startTwoGateways, TWO_GATEWAYS_PASSWORD, type TwoGateways } from '../harness/two-gateways.js';
import { canonical, duckdbRows } from './answers.js';

/** The local table: 150 customers, codes K-0001…K-0150 (R's orders use the first 120). */
const CUSTOMERS_SQL = `CREATE TABLE customers AS SELECT 'K-' || lpad(i::VARCHAR, 4, '0') AS code, 'secret-name-' || i AS name, ['retail', 'smb', 'enterprise'][i % 3 + 1] AS segment FROM range(1, 151) r(i)`;
/** R's orders, the same formula in PostgreSQL and DuckDB. */
const ORDERS_PG = `CREATE TABLE orders AS SELECT i AS id, 'K-' || lpad(((i * 7) % 120 + 1)::text, 4, '0') AS customer_code, ((i % 50) * 1.5)::numeric(10,2) AS amount FROM generate_series(1, 3000) i`;
const ORDERS_DUCKDB = `CREATE TABLE orders AS SELECT i AS id, 'K-' || lpad(((i * 7) % 120 + 1)::VARCHAR, 4, '0') AS customer_code, ((i % 50) * 1.5)::DECIMAL(10,2) AS amount FROM range(1, 3001) r(i)`;

const JOIN_QUERY =
  'SELECT c.segment, count(*) AS n, sum(o.amount) AS total FROM local.customers c JOIN R.pg.orders o ON o.customer_code = c.code GROUP BY c.segment ORDER BY c.segment';

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

async function waitUntil(what: string, condition: () => boolean, ms = 15_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('two gateways: L reads R through Flight SQL over a throttled link', { timeout: 180_000 }, () => {
  let postgres: PostgresServer;
  let gateways: TwoGateways;

  before(async () => {
    postgres = await startPostgres();
    postgres.psql(`${ORDERS_PG};
CREATE TABLE people AS SELECT i AS id, 'person ' || i AS name, 'person' || i || '@example.com' AS email FROM generate_series(1, 20) i;
CREATE TABLE salaries AS SELECT i AS id, 'd' || (i % 4) AS dept, (1000 + i * 10)::numeric(10,2) AS salary FROM generate_series(1, 100) i;
CREATE VIEW sleepy AS SELECT pg_sleep(60)::text AS s;`);
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'spoke-hybrid-'));
    const instance = await DuckDBInstance.create(join(dir, 'local.duckdb'));
    const connection = await instance.connect();
    await connection.run(CUSTOMERS_SQL);
    connection.closeSync();
    instance.closeSync();
    gateways = await startTwoGateways({
      dir,
      remoteSources: `  pg: { connector: postgres, url: "${postgres.url}" }`,
      remotePolicies: `  - { name: salaries_aggregates, on: pg.salaries, rule: aggregate_only, min_group_size: 5, roles: [peer] }
  - { name: people_email, on: pg.people.email, rule: mask, mask: email, roles: [peer] }`,
      localSources: `  local: { connector: duckdb, path: local.duckdb }`,
      localPolicies: '  - { name: keep_customers_here, on: local.customers, rule: never_upload }',
      // A wide-area link: 20 ms each way, 20 MB/s down, 5 MB/s up.
      upstream: { latencyMs: 20, bytesPerSecond: 5_000_000 },
      downstream: { latencyMs: 20, bytesPerSecond: 20_000_000 },
      // L's cost model starts from the link's profile (sources.R.link).
      remoteLink: 'from-profile',
    });
  });

  after(async () => {
    await gateways?.close();
    if (gateways) {
      const { rmSync } = await import('node:fs');
      rmSync(gateways.dir, { recursive: true, force: true });
    }
    await postgres?.close();
  });

  test('a join of a local table with R.pg.orders equals DuckDB on the union of the data', async (t) => {
    gateways.proxy.reset();
    const started = performance.now();
    const answer = await gateways.local.query(JOIN_QUERY);
    t.diagnostic(
      `join through the link: ${(performance.now() - started).toFixed(0)} ms, ${gateways.proxy.bytesUp} bytes up, ${gateways.proxy.bytesDown} bytes down`,
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.error));
    const expected = await duckdbRows(
      [CUSTOMERS_SQL, ORDERS_DUCKDB],
      JOIN_QUERY.replace('local.', '').replace('R.pg.', ''),
    );
    assert.equal(canonical(answer.rows), canonical(expected));
    assert.ok(
      gateways.proxy.bytesDown > 3000 * 8,
      `R's rows crossed the link (${gateways.proxy.bytesDown} bytes)`,
    );
  });

  test("a never_upload table's values are never among the bytes L sends to R", async () => {
    gateways.proxy.reset();
    const answer = await gateways.local.query(JOIN_QUERY);
    assert.equal(answer.status, 200, JSON.stringify(answer.error));
    // A semi-join on a few local keys is where shipping the keys to R pays most, and without the
    // policy L's planner does send them (K-0001… appear in the capture): with never_upload they stay.
    const semi =
      "SELECT count(*) AS n, sum(amount) AS total FROM R.pg.orders WHERE customer_code IN (SELECT code FROM local.customers WHERE segment = 'smb' AND name LIKE 'secret-name-1%')";
    const semiAnswer = await gateways.local.query(semi);
    assert.equal(semiAnswer.status, 200, JSON.stringify(semiAnswer.error));
    assert.equal(
      canonical(semiAnswer.rows),
      canonical(
        await duckdbRows([CUSTOMERS_SQL, ORDERS_DUCKDB], semi.replace('local.', '').replace('R.pg.', '')),
      ),
    );
    const sent = gateways.proxy.captured();
    assert.ok(
      sent.includes(Buffer.from('orders')),
      'the capture holds what L sent: the SQL naming R.pg.orders',
    );
    const local = await duckdbRows([CUSTOMERS_SQL], 'SELECT code, name, segment FROM customers');
    for (const [code, name, segment] of local) {
      for (const value of [code, name])
        assert.ok(!sent.includes(Buffer.from(String(value))), `${value} went to R`);
      // Segments are a handful of words: checked too, as they are the local table's values.
      assert.ok(!sent.includes(Buffer.from(String(segment))), `${segment} went to R`);
    }
  });

  test("a CancelRequest at L reaches R's PostgreSQL", async () => {
    const sleeping = () =>
      Number(
        postgres
          .psql(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query ILIKE '%sleepy%'",
          )
          .trim()
          .split('\n')
          .find((line) => /^\s*\d+\s*$/.test(line)),
      );
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gateways.local.pgPort,
      user: 'admin',
      password: TWO_GATEWAYS_PASSWORD,
      database: 'spoke',
    });
    await client.connect();
    try {
      const query = client.query('SELECT s FROM R.pg.sleepy');
      query.catch(() => {});
      await waitUntil('the sleep reaches PostgreSQL', () => sleeping() >= 1);
      const cancel = connect(gateways.local.pgPort, '127.0.0.1');
      await once(cancel, 'connect');
      const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
      cancel.end(Buffer.concat([int32(16), int32(80877102), int32(processID), int32(secretKey)]));
      await assert.rejects(query, (error: Error & { code?: string }) => error.code === '57014');
      await waitUntil("the cancel reaches R's PostgreSQL", () => sleeping() === 0);
    } finally {
      await client.end();
    }
  });

  test("R's masks hold through L", async () => {
    const answer = await gateways.local.query('SELECT name, email FROM R.pg.people ORDER BY id LIMIT 5');
    assert.equal(answer.status, 200, JSON.stringify(answer.error));
    assert.equal(answer.rows?.length, 5);
    for (const [name, email] of answer.rows ?? []) {
      assert.match(String(name), /^person \d+$/);
      assert.doesNotMatch(String(email), /example\.com|person\d/, 'the email is masked');
    }
    // Filtering on the masked column at L finds nothing to leak.
    const probe = await gateways.local.query("SELECT count(*) FROM R.pg.people WHERE email LIKE 'person1%'");
    assert.equal(canonical(probe.rows), '[[0]]');
  });

  test("R's aggregate_only holds through L: rows refused (42501 on L's wire), aggregates answered", async () => {
    const rows = await gateways.local.query('SELECT * FROM R.pg.salaries');
    assert.equal(rows.error?.code, 'POLICY_DENIED', JSON.stringify(rows));
    assert.match(rows.error?.message ?? '', /^R: /);

    const client = new pg.Client({
      host: '127.0.0.1',
      port: gateways.local.pgPort,
      user: 'admin',
      password: TWO_GATEWAYS_PASSWORD,
      database: 'spoke',
    });
    await client.connect();
    try {
      await assert.rejects(
        client.query('SELECT id, salary FROM R.pg.salaries'),
        (error: { code?: string }) => {
          assert.equal(error.code, '42501');
          return true;
        },
      );
    } finally {
      await client.end();
    }

    const sql =
      'SELECT dept, count(*) AS n, avg(salary) AS mean FROM R.pg.salaries GROUP BY dept ORDER BY dept';
    const aggregates = await gateways.local.query(sql);
    assert.equal(aggregates.status, 200, JSON.stringify(aggregates.error));
    const direct = postgres
      .psql(`COPY (${sql.replace('R.pg.', '')}) TO STDOUT`)
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    assert.equal(canonical(aggregates.rows), canonical(direct));
  });
});

describe('two gateways over a TLS link', { timeout: 120_000 }, () => {
  let postgres: PostgresServer;
  let gateways: TwoGateways;

  before(async () => {
    postgres = await startPostgres();
    postgres.psql(ORDERS_PG);
    gateways = await startTwoGateways({
      remoteSources: `  pg: { connector: postgres, url: "${postgres.url}" }`,
      localSources: '',
      tls: true,
    });
  });

  after(async () => {
    await gateways?.close();
    await postgres?.close();
  });

  test('L reads R over grpc+tls; nothing L sends crosses the link in clear text', async () => {
    gateways.proxy.reset();
    const answer = await gateways.local.query(
      "SELECT count(*) AS n FROM R.pg.orders WHERE customer_code = 'K-0007'",
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.error));
    const expected = postgres.psql("SELECT count(*) FROM orders WHERE customer_code = 'K-0007'");
    assert.match(expected, new RegExp(`\\b${canonical(answer.rows).replace(/\D/g, '')}\\b`));
    const sent = gateways.proxy.captured();
    assert.ok(sent.byteLength > 0);
    for (const clear of ['SELECT', 'orders', 'K-0007', 'peer', TWO_GATEWAYS_PASSWORD])
      assert.ok(!sent.includes(Buffer.from(clear)), `"${clear}" crossed the link in clear text`);
  });
});
