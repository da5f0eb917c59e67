/**
 * `limits.query_timeout` counts from a statement's arrival — the wait for a
 * slot, parsing and planning included — and the service answers on time
 * even while the engine is still busy with a statement (planning that never
 * looks at the abort signal): the abandoned call keeps its slot until it
 * settles, and its late result is closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RecordBatch } from '@spoke/core';
import type { QueryEngine, QueryOptions, QueryResult } from '@spoke/planner';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import { QueryService } from '../src/service/query-service.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway } from './operator-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`${what}: not within 20 s`);
    await sleep(20);
  }
}

let fixture: DemoFixture;
before(async () => {
  fixture = await demoFixture();
});
after(async () => {
  await fixture?.close();
});

describe('QueryService: the timeout covers everything from arrival', { timeout: 120_000 }, () => {
  let engine: QueryEngine;
  before(async () => {
    engine = await createGatewayEngine(fixture.config);
  });
  after(async () => {
    await engine?.close();
  });

  /**
   * The real engine behind a planning phase of `planMs` that ignores the
   * abort signal (as synchronous planning does); records whether the
   * result's batches were closed.
   */
  function slowPlanning(planMs: number) {
    const seen = { calls: 0, settled: false, closed: false };
    const wrapped: QueryEngine = {
      ...engine,
      query: async (sql: string, options?: QueryOptions): Promise<QueryResult> => {
        seen.calls++;
        await sleep(planMs);
        const { signal: _ignored, ...rest } = options ?? {};
        const result = await engine.query(sql, rest);
        seen.settled = true;
        const inner = result.batches;
        return {
          ...result,
          batches: (async function* (): AsyncGenerator<RecordBatch> {
            try {
              yield* inner;
            } finally {
              seen.closed = true;
            }
          })(),
        };
      },
    };
    return { wrapped, seen };
  }

  it('answers QUERY_TIMEOUT on time while planning still runs, holds the slot until it ends, closes the late result', async () => {
    const { wrapped, seen } = slowPlanning(1500);
    const service = new QueryService(wrapped, { limits: { queryTimeoutMs: 200, queueTimeoutMs: 10_000 } });
    const started = Date.now();
    await assert.rejects(
      service.query('SELECT count(*) AS n FROM crm.customers'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'QUERY_TIMEOUT');
        assert.equal(error.message, 'query ran longer than 200ms (limits.query_timeout)');
        return true;
      },
    );
    const took = Date.now() - started;
    assert.ok(took < 1000, `the timeout answered after ${took} ms (planning takes 1500 ms)`);
    assert.equal(seen.settled, false);
    assert.equal(service.activeQueries, 1, 'the abandoned call keeps its slot');
    assert.deepEqual(service.list(), [], 'but the query is over for the client and the query list');
    await waitFor(
      () => seen.settled && service.activeQueries === 0,
      'the slot released after planning ended',
    );
    await waitFor(() => seen.closed, "the late result's batches closed");
    await service.close();
  });

  it('counts the wait for a slot', async () => {
    const { wrapped } = slowPlanning(5_000);
    const service = new QueryService(wrapped, {
      limits: { queryTimeoutMs: 300, maxConcurrentQueries: 1, queueTimeoutMs: 10_000 },
    });
    const first = service.query('SELECT 1 AS one').catch((e: unknown) => e);
    await waitFor(() => service.activeQueries === 1, 'the first query running');
    const started = Date.now();
    await assert.rejects(service.query('SELECT 2 AS two'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'QUERY_TIMEOUT');
      assert.equal(error.message, 'query ran longer than 300ms (limits.query_timeout), waiting for a slot');
      return true;
    });
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms; the queue timeout is 10 s`);
    assert.equal(((await first) as { code?: string }).code, 'QUERY_TIMEOUT');
    await service.close();
  });

  it('a statement that fits in time is not affected', async () => {
    const service = new QueryService(engine, { limits: { queryTimeoutMs: 10_000, queueTimeoutMs: 10_000 } });
    const result = await service.query('SELECT count(*) AS n FROM crm.customers');
    const rows: unknown[] = [];
    for await (const batch of result.batches) rows.push(...batch.toArray().map((r) => Number(r.n)));
    assert.deepEqual(rows, [1000]);
    await service.close();
  });
});

describe('query_timeout over HTTP while a huge statement is still being parsed', { timeout: 180_000 }, () => {
  let gw: OperatorGateway;
  before(async () => {
    gw = await startOperatorGateway(fixture, 'limits: { query_timeout: 300ms, max_query_bytes: 8MB }');
  });
  after(async () => {
    await gw?.close();
  });

  it('a 4 MB IN list answers 504 QUERY_TIMEOUT at about the timeout, then the gateway serves again', async () => {
    const items: string[] = [];
    for (let i = 0, size = 0; size < 4 * 1024 * 1024; i++) {
      items.push(String(i));
      size += String(i).length + 1;
    }
    const sql = `SELECT count(*) AS n FROM lake.sales WHERE id IN (${items.join(',')})`;
    const started = Date.now();
    const res = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
    const took = Date.now() - started;
    assert.equal(res.status, 504);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'QUERY_TIMEOUT');
    // Parsing alone takes over a second at this size; before, the timeout started after it, and planning overran it.
    assert.ok(took < 1_500, `answered after ${took} ms`);
    await waitFor(() => gw.services.service.activeQueries === 0, 'the abandoned statement finished');
    const again = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT count(*) AS n FROM crm.customers' }),
    });
    assert.deepEqual(await again.json(), { columns: [{ name: 'n', type: 'int64' }], rows: [[1000]] });
  });
});
