/**
 * Join at the remote: gateway L uploads a small local table to gateway R
 * (Flight DoPut, a relation for one query) and R runs the whole statement —
 * only the answer crosses the link back. Two processes, a throttled link
 * (test/harness/two-gateways.ts).
 *
 * - a small local table × a large remote one, aggregated: the optimizer
 *   joins at R; the answer equals DuckDB's on the union of the data; a few
 *   hundred bytes come back where reading the matching rows brought
 *   hundreds of kB; the relation is gone from R once the query ended;
 * - the same query over a `never_upload` table runs at L, and none of that
 *   table's values is among the bytes L sent to R;
 * - an uploaded relation is readable only by the user who uploaded it, and
 *   dropped on request.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { FlightSqlClient } from '@spoke/connector-flight-sql';
import { arrow, type RecordBatch } from '@spoke/core';
import { type PostgresServer, startPostgres } from '../harness/index.js';
// Not through the harness index: it imports @spoke/gateway, which packages' own tests run before it is built.
import { startTwoGateways, TWO_GATEWAYS_PASSWORD, type TwoGateways } from '../harness/two-gateways.js';
import { canonical, duckdbRows } from './answers.js';

/** 30,000 customers' orders at R: 10 per customer. */
const ORDERS_PG = `CREATE TABLE orders AS SELECT i AS id, 'K-' || lpad(((i * 7) % 30000 + 1)::text, 5, '0') AS customer_code, ((i % 50) * 1.5)::numeric(10,2) AS amount FROM generate_series(1, 300000) i`;
const ORDERS_DUCKDB = `CREATE TABLE orders AS SELECT i AS id, 'K-' || lpad(((i * 7) % 30000 + 1)::VARCHAR, 5, '0') AS customer_code, ((i % 50) * 1.5)::DECIMAL(10,2) AS amount FROM range(1, 300001) r(i)`;
/** L's accounts: 3,000 of the customers (every tenth). */
const ACCOUNTS_SQL = `CREATE TABLE accounts AS SELECT 'K-' || lpad((i * 10)::VARCHAR, 5, '0') AS code, ['retail', 'smb', 'enterprise'][i % 3 + 1] AS segment FROM range(1, 3001) r(i)`;
/** The same rows, under a `never_upload` policy at L. */
const VAULT_SQL = ACCOUNTS_SQL.replace('TABLE accounts', 'TABLE vault');

const joinQuery = (table: string) =>
  `SELECT a.segment, count(*) AS n, sum(o.amount) AS total FROM local.${table} a JOIN R.pg.orders o ON o.customer_code = a.code GROUP BY a.segment ORDER BY a.segment`;

interface ExplainedRequest {
  readonly source: string;
  readonly relation: string;
  readonly strategy?: string;
  readonly site?: string;
  readonly actualRows?: number;
  readonly uploadedBytes?: number;
}

describe('join at the remote: a small local table goes up, the answer comes back', {
  timeout: 240_000,
}, () => {
  let postgres: PostgresServer;
  let gateways: TwoGateways;
  let dir: string;

  before(async () => {
    postgres = await startPostgres();
    postgres.psql(`${ORDERS_PG}; CREATE INDEX ON orders (customer_code);
CREATE TABLE contacts AS SELECT 'K-' || lpad(i::text, 5, '0') AS code, 'person' || i || '@example.com' AS email FROM generate_series(1, 30000) i;
ANALYZE;`);
    dir = mkdtempSync(join(tmpdir(), 'spoke-join-at-remote-'));
    const instance = await DuckDBInstance.create(join(dir, 'local.duckdb'));
    const connection = await instance.connect();
    await connection.run(ACCOUNTS_SQL);
    await connection.run(VAULT_SQL);
    connection.closeSync();
    instance.closeSync();
    gateways = await startTwoGateways({
      dir,
      remoteSources: `  pg: { connector: postgres, url: "${postgres.url}" }`,
      localSources: `  local: { connector: duckdb, path: local.duckdb }`,
      localPolicies: '  - { name: keep_vault_here, on: local.vault, rule: never_upload }',
      remotePolicies:
        '  - { name: contact_email, on: pg.contacts.email, rule: mask, mask: email, roles: [peer] }',
      // A wide-area link: 20 ms each way, 10 MB/s both ways.
      upstream: { latencyMs: 20, bytesPerSecond: 10_000_000 },
      downstream: { latencyMs: 20, bytesPerSecond: 10_000_000 },
      remoteLink: 'from-profile',
    });
  });

  after(async () => {
    await gateways?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await postgres?.close();
  });

  test('a small local table joined with a large remote one runs at R, and equals DuckDB', async (t) => {
    const plan = await gateways.local.explain(joinQuery('accounts'));
    assert.equal(plan.status, 200, JSON.stringify(plan));
    const sources = plan.sources as ExplainedRequest[];
    const atRemote = sources.find((s) => s.source === 'R');
    assert.match(String(atRemote?.strategy), /^join at R/, JSON.stringify(sources, null, 1));
    assert.equal(atRemote?.site, 'R');
    const upload = sources.find((s) => s.source === 'local');
    assert.match(String(upload?.strategy), /^upload to R/);
    assert.ok(
      (plan.links as { site: string; estimatedBytesUp: number }[]).some(
        (l) => l.site === 'R' && l.estimatedBytesUp > 0,
      ),
    );

    // The same plan as SQL EXPLAIN prints it: the upload, the statement at R, the link.
    const text = await gateways.local.query(`EXPLAIN ${joinQuery('accounts')}`);
    const lines = (text.rows ?? []).map((r) => String(r[0]));
    assert.ok(
      lines.some((l) => /^Scan local\.main\.accounts -> spoke_upload\.spoke_[0-9a-f]+$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.startsWith('Source R: join at R')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /^Link to R: expected .* down, .* up$/.test(l)),
      lines.join('\n'),
    );

    gateways.proxy.reset();
    const answer = await gateways.local.query(joinQuery('accounts'));
    assert.equal(answer.status, 200, JSON.stringify(answer.error));
    const expected = await duckdbRows(
      [ACCOUNTS_SQL, ORDERS_DUCKDB],
      joinQuery('accounts').replace('local.', '').replace('R.pg.', ''),
    );
    assert.equal(canonical(answer.rows), canonical(expected));
    t.diagnostic(`join at R: ${gateways.proxy.bytesUp} bytes up, ${gateways.proxy.bytesDown} bytes down`);
    // 3,000 codes went up; three groups came back (plus the protocol's framing), not 30,000 orders.
    assert.ok(gateways.proxy.bytesUp > 3000 * 7, `the accounts went up (${gateways.proxy.bytesUp} bytes)`);
    assert.ok(
      gateways.proxy.bytesDown < 30_000,
      `only the answer came back (${gateways.proxy.bytesDown} bytes)`,
    );
  });

  test('EXPLAIN ANALYZE shows the bytes moved, and R holds nothing once the query ended', async () => {
    const plan = await gateways.local.explain(joinQuery('accounts'), { analyze: true });
    assert.equal(plan.status, 200, JSON.stringify(plan));
    const sources = plan.sources as ExplainedRequest[];
    const upload = sources.find((s) => s.source === 'local')!;
    assert.equal(upload.actualRows, 3000);
    assert.ok((upload.uploadedBytes ?? 0) > 3000 * 7);
    const links = plan.links as { site: string; actualBytesUp?: number; actualBytesDown?: number }[];
    assert.equal(links[0]?.actualBytesUp, upload.uploadedBytes);
    assert.ok((links[0]?.actualBytesDown ?? 0) > 0);
    // The relation was dropped when the statement ended: R no longer knows it, even to its owner.
    const name = upload.relation.split('.')[1]!;
    const again = await gateways.remote.query(`SELECT count(*) FROM spoke_upload.${name}`, 'peer');
    assert.equal(again.status, 404, JSON.stringify(again));
    assert.equal(again.error?.code, 'TABLE_NOT_FOUND');
  });

  test("a never_upload table's join runs at L, and none of its values reaches R", async () => {
    const plan = await gateways.local.explain(joinQuery('vault'));
    const sources = plan.sources as ExplainedRequest[];
    assert.ok(!sources.some((s) => /^(join at|upload to)/.test(String(s.strategy))), JSON.stringify(sources));
    gateways.proxy.reset();
    const answer = await gateways.local.query(joinQuery('vault'));
    assert.equal(answer.status, 200, JSON.stringify(answer.error));
    const expected = await duckdbRows(
      [VAULT_SQL, ORDERS_DUCKDB],
      joinQuery('vault').replace('local.', '').replace('R.pg.', ''),
    );
    assert.equal(canonical(answer.rows), canonical(expected));
    const sent = gateways.proxy.captured().toString('latin1');
    assert.ok(sent.length > 0, 'the capture saw the statements L sent');
    assert.ok(!/K-\d{5}/.test(sent), 'no customer code of the vault (nor any key) went up');
    assert.ok(gateways.proxy.bytesDown > 30_000 * 8, 'the remote rows came down instead');
  });

  test("R's policies hold on a statement joined at R with uploaded rows", async () => {
    const sql =
      'SELECT a.segment, min(c.email) AS first_email, count(*) AS n FROM local.accounts a JOIN R.pg.contacts c ON c.code = a.code GROUP BY a.segment ORDER BY a.segment';
    const plan = await gateways.local.explain(sql);
    const sources = plan.sources as ExplainedRequest[];
    assert.match(
      String(sources.find((s) => s.source === 'R')?.strategy),
      /^join at R/,
      JSON.stringify(sources),
    );
    const answer = await gateways.local.query(sql);
    assert.equal(answer.status, 200, JSON.stringify(answer.error));
    assert.equal(answer.rows?.length, 3);
    for (const row of answer.rows ?? []) {
      assert.equal(row[2], 1000);
      // R masks contacts.email for the peer user, also when joined with what L uploaded.
      assert.equal(row[1], '***@***.com');
    }
    const unmasked = await gateways.remote.query('SELECT min(email) AS e FROM pg.contacts', 'admin');
    assert.match(String(unmasked.rows?.[0]?.[0]), /^person\d+@example\.com$/, 'admin sees the addresses');
  });

  test('an uploaded relation is read only by its uploader, and dropped on request', async () => {
    const client = (user: string) =>
      new FlightSqlClient({
        address: `127.0.0.1:${gateways.remote.flightPort}`,
        sourceName: 'test',
        auth: { username: user, password: TWO_GATEWAYS_PASSWORD },
      });
    const peer = client('peer');
    const admin = client('admin');
    try {
      const schema = new arrow.Schema([new arrow.Field('code', new arrow.Utf8(), true)]);
      const rows = arrow.tableFromArrays({ code: ['K-00010', 'K-00020'] });
      async function* batches(): AsyncGenerator<RecordBatch> {
        yield* rows.batches as RecordBatch[];
      }
      const sent = await peer.ingest('spoke_test_upload', schema, batches(), new AbortController().signal);
      assert.equal(sent.rows, 2);
      const read = async (c: FlightSqlClient) => {
        let n = 0;
        for await (const b of c.query(
          'SELECT count(*) AS n FROM spoke_upload.spoke_test_upload u JOIN pg.orders o ON o.customer_code = u.code',
          [],
          new AbortController().signal,
        ))
          if (b.numRows) n = Number(b.getChildAt(0)?.get(0));
        return n;
      };
      assert.equal(await read(peer), 20);
      await assert.rejects(read(admin), /does not exist/);
      // A second upload under the same name is refused while the first is held.
      await assert.rejects(
        peer.ingest('spoke_test_upload', schema, batches(), new AbortController().signal),
        /already exists/,
      );
      await assert.rejects(
        peer.ingest('no such; name', schema, batches(), new AbortController().signal),
        /must be an identifier/,
      );
      await peer.doAction('spoke.drop-upload', new TextEncoder().encode('spoke_test_upload'));
      await assert.rejects(read(peer), /does not exist/);
    } finally {
      peer.close();
      admin.close();
    }
  });
});
