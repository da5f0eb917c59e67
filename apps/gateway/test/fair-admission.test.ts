/**
 * Fair admission: a user at their own concurrency cap waits without holding
 * a global slot and without holding up anyone else; other users' queries
 * start at once while a global slot is free; waiters that can run are served
 * in arrival order. Unit tests of {@link Admission}, then the attack that
 * found the bug, over the Postgres wire with real clients.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Admission } from '../src/service/admission.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway, userYaml } from './operator-fixture.js';

/** Whether `promise` has settled after the pending microtasks and timers ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('Admission', () => {
  it('starts another user at once while a user at their cap waits (the queue is not a barrier)', async () => {
    const admission = new Admission({ maxTotal: 4, maxPerUser: 1, queueTimeoutMs: 10_000 });
    const a1 = await admission.acquire('alice');
    const a2 = admission.acquire('alice');
    assert.equal(await settled(a2), false, "alice's second query waits for her own slot");
    assert.equal(admission.queued, 1);
    const b1 = admission.acquire('bob');
    assert.equal(await settled(b1), true, 'bob starts although alice has a waiter queued');
    assert.equal(admission.running, 2, "alice's waiter holds no slot");
    (await b1)();
    assert.equal(await settled(a2), false, "bob's release does not admit alice past her cap");
    a1();
    assert.equal(await settled(a2), true, "alice's own release admits her waiter");
    (await a2)();
    assert.equal(admission.running, 0);
  });

  it('a waiter at its per-user cap does not take the last global slot from others', async () => {
    const admission = new Admission({ maxTotal: 2, maxPerUser: 1, queueTimeoutMs: 10_000 });
    const a1 = await admission.acquire('alice');
    const a2 = admission.acquire('alice');
    const b1 = admission.acquire('bob');
    assert.equal(await settled(b1), true);
    assert.equal(admission.running, 2);
    const c1 = admission.acquire('carol');
    assert.equal(await settled(c1), false, 'both global slots are taken');
    // Bob's release frees a global slot: alice (first in line) is still at her cap, so carol gets it.
    (await b1)();
    assert.equal(await settled(c1), true);
    assert.equal(await settled(a2), false);
    a1();
    assert.equal(await settled(a2), true);
    (await a2)();
    (await c1)();
    assert.equal(admission.running, 0);
    assert.equal(admission.queued, 0);
  });

  it('serves waiters that can run in arrival order', async () => {
    const admission = new Admission({ maxTotal: 1, queueTimeoutMs: 10_000 });
    const order: string[] = [];
    const first = await admission.acquire('u0');
    const waiting = ['u1', 'u2', 'u3'].map((user) =>
      admission.acquire(user).then((release) => {
        order.push(user);
        return release;
      }),
    );
    first();
    for (const w of waiting) (await w)();
    assert.deepEqual(order, ['u1', 'u2', 'u3']);
  });

  it('a query that fits does not overtake an earlier waiter that can run', async () => {
    const admission = new Admission({ maxTotal: 1, queueTimeoutMs: 10_000 });
    const first = await admission.acquire('alice');
    const bob = admission.acquire('bob');
    first();
    // Bob was admitted by the release itself, before carol arrives.
    const carol = admission.acquire('carol');
    assert.equal(await settled(bob), true);
    assert.equal(await settled(carol), false);
    (await bob)();
    (await carol)();
  });

  it('times out with "too busy" naming the cap, and forgets a cancelled waiter', async () => {
    const admission = new Admission({ maxTotal: 4, maxPerUser: 1, queueTimeoutMs: 50 });
    const a1 = await admission.acquire('alice');
    await assert.rejects(admission.acquire('alice'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'RESOURCE_EXHAUSTED');
      assert.match(error.message, /^too busy: user "alice" already runs 1 queries .* waited 0\.05s/);
      return true;
    });
    const controller = new AbortController();
    const waiting = admission.acquire('alice', controller.signal);
    controller.abort();
    await assert.rejects(waiting, { code: 'QUERY_CANCELLED' });
    assert.equal(admission.queued, 0);
    a1();
    a1(); // releasing twice is harmless
    assert.equal(admission.running, 0);
  });

  it('refuses at once past maxQueued', async () => {
    const admission = new Admission({ maxTotal: 1, queueTimeoutMs: 10_000, maxQueued: 1 });
    const first = await admission.acquire('a');
    const second = admission.acquire('b');
    await assert.rejects(admission.acquire('c'), /too busy: 1 queries are running .* and 1 are waiting/);
    first();
    (await second)();
  });
});

describe('fair admission over the Postgres wire', { timeout: 120_000 }, () => {
  /** Computes for minutes before its first row: holds its slot until cancelled. */
  const SLOW = 'SELECT count(*) AS n FROM lake.sales a CROSS JOIN lake.sales b WHERE a.id + b.id < 0';
  let fixture: DemoFixture;
  let gw: OperatorGateway;
  const clients: pg.Client[] = [];

  async function connect(user: string): Promise<pg.Client> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user,
      password: `${user}-pw`,
      database: 'spoke',
    });
    client.on('error', () => {});
    await client.connect();
    clients.push(client);
    return client;
  }

  async function waitFor(condition: () => boolean, what: string): Promise<void> {
    const until = Date.now() + 15_000;
    while (!condition()) {
      if (Date.now() > until) throw new Error(`${what}: not within 15 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    fixture = await demoFixture();
    gw = await startOperatorGateway(
      fixture,
      `users:\n${await userYaml('alice', 'alice-pw')}\n${await userYaml('bob', 'bob-pw')}\n` +
        'limits: { max_concurrent_queries: 2, max_concurrent_per_user: 1, queue_timeout: 20s }',
    );
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.end()));
    await gw?.close();
    await fixture?.close();
  });

  it("a user at their cap queues; another user's query starts at once", async () => {
    const service = gw.services.service;
    const alice1 = await connect('alice');
    const alice2 = await connect('alice');
    const bob = await connect('bob');
    const held = alice1.query(SLOW).catch((e: unknown) => e);
    await waitFor(
      () => service.list().some((q) => q.user === 'alice' && q.state === 'running'),
      "alice's first query running",
    );
    const extra = alice2.query('SELECT count(*)::int AS n FROM crm.customers');
    await waitFor(
      () => service.list().some((q) => q.user === 'alice' && q.state === 'queued'),
      "alice's second query queued",
    );
    // Before the fix bob queued behind alice's waiter until the queue timeout.
    const started = Date.now();
    const { rows } = await bob.query('SELECT count(*)::int AS n FROM crm.customers');
    const took = Date.now() - started;
    assert.deepEqual(rows, [{ n: 1000 }]);
    assert.ok(took < 5_000, `bob's query took ${took} ms`);
    const states = service.list().map((q) => `${q.user}:${q.state}`);
    assert.ok(states.includes('alice:queued'), `alice's extra query is still waiting: ${states}`);
    assert.equal(service.activeQueries, 1, "alice's waiter holds no slot");
    // Cancelling alice's first query admits her second.
    const running = service.list().find((q) => q.user === 'alice' && q.state === 'running')!;
    assert.equal(service.cancel(running.queryId), 'cancelled');
    assert.equal(((await held) as { code?: string }).code, '57014');
    assert.deepEqual((await extra).rows, [{ n: 1000 }]);
    await waitFor(() => service.activeQueries === 0, 'every slot released');
  });
});
