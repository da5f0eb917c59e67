/**
 * The plan cache seen from the gateway's Postgres wire, with node-pg over a
 * real PostgreSQL: unnamed statements (node-pg's parameterized queries) and
 * named prepared statements are planned once and answer exactly as
 * PostgreSQL itself does; the query service leaves no abort listener on the
 * signal a front end hands it.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, test } from 'node:test';
import { PostgresConnector, parsePostgresOptions } from '@spoke/connector-postgres';
import { QueryService, type RunningGateway, startGateway } from '@spoke/gateway';
import { collectBatches, createEngine, type FederatedEngine, planCacheOf } from '@spoke/planner';
import pg from 'pg';
import { type PostgresServer, startPostgres } from '../harness/index.js';

let server: PostgresServer;
let engine: FederatedEngine;
let service: QueryService;
let gateway: RunningGateway;
let direct: pg.Client;
let wire: pg.Client;

before(async () => {
  server = await startPostgres();
  server.psql(`
    CREATE TABLE big (id int8 PRIMARY KEY, k int4 NOT NULL, v text);
    INSERT INTO big SELECT g, g % 7, CASE WHEN g % 11 = 0 THEN NULL ELSE 'value ' || g END
      FROM generate_series(1, 2000) g;`);
  const connector = new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'pg' }), {
    sourceName: 'pg',
  });
  engine = await createEngine({ sources: { pg: connector } });
  service = new QueryService(engine);
  gateway = await startGateway(engine, { postgres: { host: '127.0.0.1', port: 0 } }, () => {}, { service });
  direct = new pg.Client({ connectionString: server.url });
  await direct.connect();
  wire = new pg.Client({ host: '127.0.0.1', port: gateway.postgres!.port, user: 'test', database: 'spoke' });
  await wire.connect();
});

after(async () => {
  await wire?.end();
  await direct?.end();
  await gateway?.close();
  await engine?.close();
  await server?.close();
});

const rowsOf = (result: pg.QueryResult) => result.rows.map((r) => ({ ...r }));

test('unnamed parameterized statements: one plan, every answer equal to PostgreSQL’s', async () => {
  const stats = planCacheOf(engine)!.stats;
  const hits = stats.hits;
  const misses = stats.misses;
  for (let i = 0; i < 60; i++) {
    const id = ((i * 37) % 2100) + 1; // some ids past the end: empty answers
    const spoke = await wire.query('SELECT id, k, v FROM pg.big WHERE id = $1', [id]);
    const pgResult = await direct.query('SELECT id, k, v FROM big WHERE id = $1', [id]);
    assert.deepEqual(rowsOf(spoke), rowsOf(pgResult), `id ${id}`);
  }
  // The first execution runs uncached, the second plans for the cache, the others hit.
  assert.equal(stats.misses - misses, 2, 'planned once');
  assert.ok(stats.hits - hits >= 58, `hits: ${stats.hits - hits}`);
});

test('a named prepared statement executed many times reuses the plan', async () => {
  const stats = planCacheOf(engine)!.stats;
  const hits = stats.hits;
  for (let i = 0; i < 30; i++) {
    const spoke = await wire.query({
      name: 'range',
      text: 'SELECT id, v FROM pg.big WHERE id BETWEEN $1 AND $2 AND k = $3 ORDER BY id',
      values: [i * 10, i * 10 + 60, i % 7],
    });
    const pgResult = await direct.query({
      name: 'range',
      text: 'SELECT id, v FROM big WHERE id BETWEEN $1 AND $2 AND k = $3 ORDER BY id',
      values: [i * 10, i * 10 + 60, i % 7],
    });
    assert.deepEqual(rowsOf(spoke), rowsOf(pgResult));
  }
  assert.ok(stats.hits - hits >= 28, `hits: ${stats.hits - hits}`);
});

test('the query service leaves no abort listener on a front end’s signal, whatever the outcome', async () => {
  const signal = new AbortController().signal;
  for (let i = 0; i < 30; i++) {
    const result = await service.query('SELECT id FROM pg.big WHERE id = $1', { params: [i + 1], signal });
    await collectBatches(result);
    await service
      .query('SELECT nope FROM pg.big WHERE id = $1', { params: [i + 1], signal })
      .then(collectBatches)
      .catch(() => {});
  }
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  // A front end that aborts: the query ends cancelled.
  const controller = new AbortController();
  const started = await service.query('SELECT id FROM pg.big ORDER BY id', { signal: controller.signal });
  controller.abort();
  await assert.rejects(collectBatches(started), (e: { code?: string }) => e.code === 'QUERY_CANCELLED');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});
