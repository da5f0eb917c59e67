/**
 * Closing the engine ends every query in flight (issue 20): results that
 * were never read, or read only in part — a PostgreSQL query streaming
 * through COPY on a pool client, a federated query whose residual holds a
 * DuckDB connection (PostgreSQL ⋈ a DuckDB table), a DuckDB statement and
 * a Parquet file read in place, a query still being planned — do not keep
 * `close()` waiting: it resolves promptly, PostgreSQL is left with no
 * session of ours, and a consumer that iterates such a result afterwards
 * gets a SpokeError saying the engine was closed, not a hang or a crash.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import { ErrorCode, SpokeError } from '@spoke/core';
import { createEngine, type FederatedEngine, type QueryResult } from '@spoke/planner';
import { type PostgresServer, startPostgres } from '../harness/index.js';

/** Rows enough that a COPY or a DuckDB stream is far from finished when the first batch arrives. */
const ROWS = 300_000;

let pg: PostgresServer;
let dir: string;

before(async () => {
  pg = await startPostgres();
  pg.psql(`CREATE TABLE big AS SELECT i AS id, i % 100 AS dim_id, repeat('x', 40) || i AS label
    FROM generate_series(1, ${ROWS}) AS t(i)`);
  pg.psql('ANALYZE');
  dir = mkdtempSync(join(tmpdir(), 'spoke-engine-close-'));
  const db = await DuckDBInstance.create(join(dir, 'crm.duckdb'));
  const c = await db.connect();
  await c.run(`CREATE TABLE dim AS SELECT i AS id, 'name ' || i AS name FROM range(100) t(i)`);
  await c.run(`CREATE TABLE events AS SELECT i AS id, i % 7 AS kind FROM range(${ROWS}) t(i)`);
  await c.run(
    `COPY (SELECT i AS id, 'row ' || i AS note FROM range(${ROWS}) t(i)) TO '${join(dir, 'lake.parquet')}' (FORMAT parquet)`,
  );
  c.closeSync();
  db.closeSync();
});

after(async () => {
  await pg?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An engine over fresh connectors: `pg` (COPY, small batches) and `crm` (a DuckDB file and a Parquet file, statements run in place). */
async function newEngine(): Promise<FederatedEngine> {
  return createEngine({
    sources: {
      pg: await postgresConnector.create(
        { url: pg.url, batchRows: 1000, applicationName: 'spoke-engine-close' },
        { sourceName: 'pg', baseDir: dir },
      ),
      crm: await duckdbConnector.create(
        { path: join(dir, 'crm.duckdb'), files: { lake: join(dir, 'lake.parquet') }, wholeStatements: true },
        { sourceName: 'crm', baseDir: dir },
      ),
    },
  });
}

/** `engine.close()`, or `'timed out'` after 10 s. */
async function closeWithin10s(engine: FederatedEngine): Promise<'closed' | 'timed out'> {
  const timer = new AbortController();
  const outcome = await Promise.race([
    engine.close().then(() => 'closed' as const),
    delay(10_000, 'timed out' as const, { signal: timer.signal }),
  ]);
  timer.abort();
  return outcome;
}

/** Iterating `result` to the end rejects with the engine-closed SpokeError (within 10 s). */
async function assertClosedError(result: QueryResult, what: string): Promise<void> {
  const drain = (async () => {
    let rows = 0;
    for await (const batch of result.batches) rows += batch.numRows;
    return rows;
  })();
  const timer = new AbortController();
  const outcome = await Promise.race([
    drain.then(
      (rows) => ({ rows }),
      (error: unknown) => ({ error }),
    ),
    delay(10_000, { hung: true } as const, { signal: timer.signal }),
  ]);
  timer.abort();
  assert.ok(!('hung' in outcome), `${what}: iterating after close hung`);
  assert.ok(
    'error' in outcome,
    `${what}: iterating after close gave ${'rows' in outcome ? outcome.rows : '?'} rows, not an error`,
  );
  assertShutdownError(outcome.error, what);
}

function assertShutdownError(error: unknown, what: string): void {
  assert.ok(SpokeError.isInstance(error), `${what}: not a SpokeError: ${error}`);
  assert.equal(error.code, ErrorCode.QUERY_CANCELLED, `${what}: ${error.message}`);
  assert.match(error.message, /engine was closed/, what);
  assert.equal(error.details?.sqlstate, '57P01', what);
}

/** Our sessions still open in PostgreSQL (the connector names itself `spoke-engine-close`), after up to 5 s. */
async function ourSessions(): Promise<number> {
  let count = -1;
  for (const until = Date.now() + 5000; Date.now() < until; await delay(50)) {
    count = Number(
      pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'spoke-engine-close'`).trim(),
    );
    if (count === 0) break;
  }
  return count;
}

test('close() ends a PostgreSQL COPY stream that was never read and one read in part', async () => {
  const engine = await newEngine();
  const unread = await engine.query('SELECT id, label FROM pg.big');
  const partly = await engine.query('SELECT id, label FROM pg.big WHERE id > 10');
  const first = await partly.batches[Symbol.asyncIterator]().next();
  assert.equal(first.done, false);
  assert.ok(
    Number(pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'spoke-engine-close'`)) >=
      2,
  );
  assert.equal(await closeWithin10s(engine), 'closed');
  assert.equal(await ourSessions(), 0, 'PostgreSQL still holds sessions of the closed engine');
  await assertClosedError(unread, 'unread COPY');
  await assertClosedError(partly, 'partly read COPY');
});

test('close() ends a federated query (PostgreSQL ⋈ DuckDB) whose residual was never read', async () => {
  const engine = await newEngine();
  const federated = await engine.query(
    'SELECT b.id, b.label, d.name FROM pg.big b JOIN crm.dim d ON d.id = b.dim_id',
  );
  assert.deepEqual(
    federated.schema.fields.map((f) => f.name),
    ['id', 'label', 'name'],
  );
  assert.equal(await closeWithin10s(engine), 'closed');
  assert.equal(await ourSessions(), 0);
  await assertClosedError(federated, 'federated residual');
});

test('close() ends DuckDB and Parquet statements run in place, unread and read in part', async () => {
  const engine = await newEngine();
  const events = await engine.query('SELECT id, kind FROM crm.events');
  const lake = await engine.query('SELECT id, note FROM crm.lake');
  assert.equal((await lake.batches[Symbol.asyncIterator]().next()).done, false);
  assert.equal(await closeWithin10s(engine), 'closed');
  await assertClosedError(events, 'DuckDB in place');
  await assertClosedError(lake, 'Parquet in place');
});

test('close() while queries are still starting: they fail with the same error, and nothing is left open', async () => {
  const engine = await newEngine();
  const started = [
    engine.query('SELECT b.id, d.name FROM pg.big b JOIN crm.dim d ON d.id = b.dim_id'),
    engine.query('SELECT count(*) FROM pg.big'),
    engine.query('SELECT id FROM crm.events'),
  ].map((query) =>
    query.then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    ),
  );
  // Closed once the federated one's PostgreSQL read is running (a connection taken, COPY sent).
  for (const until = Date.now() + 5000; Date.now() < until; await delay(10)) {
    const active = pg.psql(
      `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'spoke-engine-close' AND query LIKE 'COPY%'`,
    );
    if (Number(active) > 0) break;
  }
  assert.equal(await closeWithin10s(engine), 'closed');
  for (const [i, query] of started.entries()) {
    const outcome = await query;
    if ('error' in outcome) assertShutdownError(outcome.error, `query ${i}`);
    else await assertClosedError(outcome.result, `query ${i}`);
  }
  assert.equal(await ourSessions(), 0);
  // A closed engine refuses new queries with the same error.
  await assert.rejects(engine.query('SELECT 1'), (error) => {
    assertShutdownError(error, 'after close');
    return true;
  });
});
