/**
 * Limits with real clients: the per-query timeout, maximum result rows and
 * bytes, and the concurrency limits with their FIFO queue ("too busy" after
 * the queue timeout; a queued query runs once a slot frees).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway, userYaml } from './operator-fixture.js';

/** A query that streams ten billion rows: it runs until cancelled. */
const ENDLESS = 'SELECT a.id AS a, b.id AS b FROM lake.sales a CROSS JOIN lake.sales b';
/** A query that computes for minutes before its first row. */
const SLOW = 'SELECT count(*) AS n FROM lake.sales a CROSS JOIN lake.sales b WHERE a.id + b.id < 0';

function basic(user: string): string {
  return `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`;
}

async function query(url: string, user: string, sql: string, signal?: AbortSignal) {
  const res = await fetch(`${url}/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(user) },
    body: JSON.stringify({ sql }),
    signal: signal ?? AbortSignal.timeout(30_000),
  });
  return res;
}

let fixture: DemoFixture;
let users: string;

before(async () => {
  fixture = await demoFixture();
  users = `users:\n${await userYaml('alice', 'alice-pw')}\n${await userYaml('bob', 'bob-pw')}\n${await userYaml('carol', 'carol-pw')}\n`;
});
after(async () => {
  await fixture?.close();
});

describe('per-query limits', { timeout: 120_000 }, () => {
  let gw: OperatorGateway;
  before(async () => {
    gw = await startOperatorGateway(
      fixture,
      `${users}limits: { query_timeout: 2s, max_result_rows: 50000, max_result_bytes: 2MB }`,
    );
  });
  after(async () => {
    await gw?.close();
  });

  it('a query past limits.query_timeout fails with 57014 (node-postgres) and 504 (HTTP)', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'alice',
      password: 'alice-pw',
      database: 'spoke',
    });
    await client.connect();
    try {
      const started = Date.now();
      await assert.rejects(client.query(SLOW), (error: Error & { code?: string }) => {
        assert.equal(error.code, '57014');
        assert.match(error.message, /query ran longer than 2s \(limits\.query_timeout\)/);
        return true;
      });
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
      // The session is still usable. On a saturated machine the interrupted DuckDB work may hold the
      // cores for a while after the error is sent, long enough for the next statement to meet the 2 s
      // limit too: that one outcome is tried again (a session left broken fails every try).
      for (let attempt = 1; ; attempt++) {
        try {
          assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== '57014' || attempt === 3) throw error;
        }
      }
    } finally {
      await client.end();
    }
    const res = await query(gw.url, 'bob', SLOW);
    assert.equal(res.status, 504);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'QUERY_TIMEOUT');
  });

  it('more rows than limits.max_result_rows stops the query with RESOURCE_EXHAUSTED', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'alice',
      password: 'alice-pw',
      database: 'spoke',
    });
    await client.connect();
    try {
      await assert.rejects(client.query('SELECT id FROM lake.sales'), (error: Error & { code?: string }) => {
        assert.equal(error.code, '53000');
        assert.match(error.message, /more than 50000 rows \(limits\.max_result_rows\)/);
        return true;
      });
      const { rows } = await client.query('SELECT id FROM lake.sales ORDER BY id LIMIT 50000');
      assert.equal(rows.length, 50000);
    } finally {
      await client.end();
    }
    const res = await query(gw.url, 'bob', 'SELECT id FROM lake.sales');
    const body = (await res.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'RESOURCE_EXHAUSTED');
  });

  it('more bytes than limits.max_result_bytes stops the query with RESOURCE_EXHAUSTED', async () => {
    const res = await query(
      gw.url,
      'carol',
      "SELECT s.*, repeat('x', 200) AS pad FROM lake.sales s LIMIT 40000",
    );
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'RESOURCE_EXHAUSTED');
    assert.match(body.error.message, /larger than 2097152 bytes \(limits\.max_result_bytes\)/);
  });
});

describe('concurrency limits', { timeout: 120_000 }, () => {
  let gw: OperatorGateway;
  before(async () => {
    gw = await startOperatorGateway(
      fixture,
      `${users}limits: { max_concurrent_queries: 2, max_concurrent_per_user: 1, queue_timeout: 700ms }`,
    );
  });
  after(async () => {
    await gw?.close();
  });

  /** Responses held, so that fetch does not cancel an unread body when the response is garbage collected. */
  const responses: Response[] = [];

  /** Starts a query that holds its slot until `controller` aborts (the body is never read). */
  async function hold(user: string): Promise<AbortController> {
    const controller = new AbortController();
    const res = await query(gw.url, user, ENDLESS, controller.signal);
    assert.equal(res.status, 200);
    responses.push(res);
    return controller;
  }

  async function waitFor(condition: () => boolean): Promise<void> {
    const until = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > until) throw new Error('condition not met in 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a user at max_concurrent_per_user waits, then gets 429 "too busy"; others still run', async () => {
    const held = await hold('alice');
    try {
      const started = Date.now();
      const res = await query(gw.url, 'alice', 'SELECT 1 AS one');
      assert.equal(res.status, 429);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'RESOURCE_EXHAUSTED');
      assert.match(
        body.error.message,
        /^too busy: user "alice" already runs 1 queries \(limits\.max_concurrent_per_user\); waited 0\.7s/,
      );
      assert.ok(Date.now() - started >= 650);
      const other = await query(gw.url, 'bob', 'SELECT count(*) AS n FROM crm.customers');
      assert.deepEqual(await other.json(), { columns: [{ name: 'n', type: 'int64' }], rows: [[1000]] });
    } finally {
      held.abort();
    }
    await waitFor(() => gw.services.service.activeQueries === 0);
  });

  it('past max_concurrent_queries queries queue in order and run when a slot frees', async () => {
    const a = await hold('alice');
    const b = await hold('bob');
    try {
      assert.equal(gw.services.service.activeQueries, 2, JSON.stringify(gw.services.service.list()));
      // Carol waits past the queue timeout: both slots are taken.
      const refused = await query(gw.url, 'carol', 'SELECT 1 AS one');
      assert.equal(refused.status, 429);
      assert.match(
        ((await refused.json()) as { error: { message: string } }).error.message,
        /too busy: 2 queries are running \(limits\.max_concurrent_queries is 2\)/,
      );
      // Freed within the queue timeout, the slot goes to the waiting query.
      const waiting = query(gw.url, 'carol', 'SELECT count(*) AS n FROM crm.customers');
      await waitFor(() => gw.services.service.metrics.render().includes('spoke_queued_queries 1'));
      a.abort();
      const res = await waiting;
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { rows: unknown }).rows, [[1000]]);
    } finally {
      a.abort();
      b.abort();
    }
    await waitFor(() => gw.services.service.activeQueries === 0);
  });
});
