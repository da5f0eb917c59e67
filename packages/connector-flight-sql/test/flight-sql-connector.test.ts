/**
 * The connector against a Spoke gateway's Flight SQL endpoint: the peer is
 * recognised, its sources are schemas, queries through a local engine equal
 * DuckDB's on the same data (scans and whole pushed-down sub-queries),
 * remote errors keep their code, SQLSTATE and message, cancelling stops the
 * remote query, and bad options are refused by name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, Ex, type RecordBatch, SpokeError, Types } from '@spoke/core';
import { createEngine, type FederatedEngine } from '@spoke/planner';
import { connector, type FlightSqlConnector } from '../src/index.js';
import { type SpokeEndpoint, startSpokeEndpoint } from './spoke-endpoint.js';

const DATA = [
  `CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name, CASE WHEN i % 3 = 0 THEN 'FR' ELSE 'DE' END AS country FROM range(1, 201) r(i)`,
  `CREATE TABLE orders AS SELECT i AS id, (i * 7) % 200 + 1 AS customer_id, (i % 50) * 1.5 AS amount FROM range(1, 5001) r(i)`,
  `CREATE TABLE big AS SELECT i AS id, md5(i::VARCHAR) AS h FROM range(0, 2000000) r(i)`,
];

async function duckdbAnswer(sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const statement of DATA.slice(0, 2)) await connection.run(statement);
    const reader = await connection.runAndReadAll(sql);
    return reader
      .getRows()
      .map((row) =>
        row.map((v) =>
          typeof v === 'bigint' ? Number(v) : v === null ? null : typeof v === 'object' ? String(v) : v,
        ),
      );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function rows(engine: FederatedEngine, sql: string): Promise<unknown[][]> {
  const result = await engine.query(sql);
  const out: unknown[][] = [];
  for await (const batch of result.batches) {
    for (let i = 0; i < batch.numRows; i++)
      out.push(
        batch.schema.fields.map((_, c) => {
          const v = batch.getChildAt(c)?.get(i);
          return typeof v === 'bigint'
            ? Number(v)
            : v === null
              ? null
              : typeof v === 'object'
                ? String(v)
                : v;
        }),
      );
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<SpokeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), `expected a SpokeError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

async function drain(batches: AsyncIterable<RecordBatch>): Promise<number> {
  let n = 0;
  for await (const batch of batches) n += batch.numRows;
  return n;
}

describe('flight-sql connector against a Spoke gateway', { timeout: 120_000 }, () => {
  let endpoint: SpokeEndpoint;
  let remote: FlightSqlConnector;
  let engine: FederatedEngine;

  before(async () => {
    endpoint = await startSpokeEndpoint(DATA);
    remote = (await connector.create(
      { url: endpoint.url },
      { sourceName: 'R', baseDir: '.' },
    )) as FlightSqlConnector;
    engine = await createEngine({ sources: { R: remote } });
  });

  after(async () => {
    await engine?.close();
    await endpoint?.close();
  });

  test('recognises a Spoke peer; its sources are schemas, with their tables and Arrow types', async () => {
    assert.deepEqual(await remote.catalog.listSchemas(), ['duck']);
    assert.equal(remote.isSpokePeer, true);
    const tables = await remote.catalog.listTables('duck');
    for (const name of ['big', 'customers', 'orders', 'spoke_conformance'])
      assert.ok(tables.includes(name), name);
    const customers = await remote.catalog.getTable('duck', 'customers');
    const schema = await customers!.schema();
    assert.deepEqual(
      schema.fields.map((f) => `${f.name}:${f.type}`),
      ['id:Int64', 'name:Utf8', 'country:Utf8'],
    );
    assert.equal(await remote.catalog.getTable('duck', 'nope'), undefined);
  });

  test("with one remote source, R.table names its tables, even as a fresh connector's first query", async () => {
    const fresh = await connector.create({ url: endpoint.url }, { sourceName: 'R2', baseDir: '.' });
    const local = await createEngine({ sources: { R2: fresh } });
    try {
      const sql = "SELECT count(*) AS n FROM R2.customers WHERE country = 'FR'";
      assert.deepEqual(await rows(local, sql), await duckdbAnswer(sql.replace('R2.', '')));
      const join =
        "SELECT count(*) AS n FROM R2.orders o JOIN R2.customers c ON o.customer_id = c.id WHERE c.country = 'DE'";
      assert.deepEqual(await rows(local, join), await duckdbAnswer(join.replaceAll('R2.', '')));
    } finally {
      await local.close();
    }
  });

  test('scans with filters, top-N and limits equal DuckDB on the same data', async () => {
    const before = remote.metrics();
    const sql = `SELECT id, name FROM R.duck.customers WHERE country = 'FR' AND id > 100 ORDER BY id DESC LIMIT 5`;
    assert.deepEqual(await rows(engine, sql), await duckdbAnswer(sql.replace('R.duck.', '')));
    const after = remote.metrics();
    assert.equal(after.statements! - before.statements!, 1);
    assert.equal(after.rows_received! - before.rows_received!, 5, 'the limit was applied at the remote');
    assert.ok(after.bytes_received! > before.bytes_received!);
  });

  test('a join with an aggregate goes to the peer as one statement and equals DuckDB', async () => {
    const sql =
      'SELECT c.country, count(*) AS n, CAST(sum(o.amount) AS DOUBLE) AS total FROM R.duck.orders o JOIN R.duck.customers c ON o.customer_id = c.id WHERE o.amount > 10 GROUP BY c.country ORDER BY c.country';
    const plan = (await engine.explain(sql)) as unknown as {
      sources: { source: string; kind: string; sql: string; params: unknown[] }[];
      residualSql: string;
    };
    assert.equal(plan.sources.length, 1);
    assert.equal(plan.sources[0]!.kind, 'sql');
    assert.match(plan.sources[0]!.sql, /FROM duck\.main\.orders AS o JOIN duck\.main\.customers/);
    assert.deepEqual(plan.sources[0]!.params, [10], 'the literal is bound');
    assert.match(plan.residualSql, /none/);
    assert.deepEqual(await rows(engine, sql), await duckdbAnswer(sql.replaceAll('R.duck.', '')));
  });

  test("a Spoke peer's row estimates reach the cost model (capped counts run at the peer)", async () => {
    const big = await remote.catalog.getTable('duck', 'big');
    const statistics = await big!.statistics?.();
    // 2,000,000 rows: past the cap, a lower bound.
    assert.deepEqual(statistics?.rowCount, { value: 1_000_001, exact: false });
    const customers = await remote.catalog.getTable('duck', 'customers');
    assert.deepEqual((await customers!.statistics?.())?.rowCount, { value: 200, exact: true });
    // With a filter: the peer counts what the filter keeps.
    const filtered = await big!.estimateRows?.([Ex.cmp('<', Ex.col('id'), Ex.lit(1000n, Types.int64))]);
    assert.equal(filtered, 1000);
  });

  test('literals in pushed-down statements are bound, never spliced', async () => {
    const sql = `SELECT count(*) AS n FROM R.duck.customers WHERE name = 'it''s \\ ''; DROP TABLE x; --' OR round(id * 1.0, 2) = 3`;
    assert.deepEqual(await rows(engine, sql), [[1]]);
  });

  test('remote errors keep their code, SQLSTATE and message', async () => {
    const syntax = await rejection(drain(execute(remote, { sql: 'SELEC 1', params: [] }, options())));
    assert.equal(syntax.code, ErrorCode.SYNTAX_ERROR);
    assert.equal(syntax.source, 'R');
    assert.equal(syntax.details?.sqlstate, '42601');
    assert.equal(syntax.details?.remoteCode, 'SYNTAX_ERROR');
    assert.match(String(syntax.details?.remoteMessage), /syntax error/i);

    const missing = await rejection(
      drain(execute(remote, { sql: 'SELECT * FROM duck.nope', params: [] }, options())),
    );
    assert.equal(missing.code, ErrorCode.TABLE_NOT_FOUND);
    assert.equal(missing.details?.sqlstate, '42P01');
    assert.match(missing.message, /^R: .*nope/);

    const malformed = await rejection(remote.client.doAction('spoke.explain', Buffer.from('not json')));
    assert.equal(malformed.details?.grpcStatus, 'INVALID_ARGUMENT');
    assert.match(malformed.message, /spoke\.explain: send \{"query"/);

    const local = await rejection(engine.query('SELECT * FROM R.duck.nope'));
    assert.equal(local.code, ErrorCode.TABLE_NOT_FOUND);
  });

  test('cancelling stops the remote query; so does a consumer that stops reading', async () => {
    const controller = new AbortController();
    const batches = execute(
      remote,
      { sql: 'SELECT id, h FROM duck.big', params: [] },
      { signal: controller.signal, context: {} as never },
    );
    const iterator = batches[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(endpoint.service.list().length, 1, 'the remote query runs');
    controller.abort(new Error('test cancels'));
    const error = await rejection(
      (async () => {
        for (;;) if ((await iterator.next()).done) return;
      })(),
    );
    assert.equal(error.code, ErrorCode.QUERY_CANCELLED);
    await waitFor(() => endpoint.service.list().length === 0, 'the remote query stopped');

    // Early return: the generator's finally cancels the remote.
    const second = execute(remote, { sql: 'SELECT id, h FROM duck.big', params: [] }, options());
    for await (const _ of second) break;
    await waitFor(
      () => endpoint.service.list().length === 0,
      'the remote query stopped after an early return',
    );
  });

  test('peer: generic treats the gateway as any Flight SQL server: db_schemas, ANSI SQL, equal answers', async () => {
    const generic = (await connector.create(
      { url: endpoint.url, peer: 'generic' },
      { sourceName: 'G', baseDir: '.' },
    )) as FlightSqlConnector;
    const local = await createEngine({ sources: { G: generic } });
    try {
      assert.deepEqual(await generic.catalog.listSchemas(), ['main']);
      assert.equal(generic.isSpokePeer, false);
      const sql = `SELECT country, count(*) AS n FROM G.main.customers WHERE id <= 150 AND name <> 'x' GROUP BY country ORDER BY country`;
      assert.deepEqual(await rows(local, sql), await duckdbAnswer(sql.replace('G.main.', '')));
    } finally {
      await local.close();
    }
  });

  test('bad options are refused naming the key', async () => {
    const create = (options: Record<string, unknown>) =>
      rejection(connector.create(options, { sourceName: 'X', baseDir: '.' }));
    assert.match((await create({})).message, /sources\.X\.url/);
    assert.match((await create({ url: 'http://h:1' })).message, /sources\.X\.url: unsupported scheme http:/);
    assert.match((await create({ url: 'grpc://h' })).message, /port/);
    assert.match(
      (await create({ url: 'grpc://h:1', token: 't', username: 'u', password: 'p' })).message,
      /sources\.X\.token/,
    );
    assert.match((await create({ url: 'grpc://h:1', username: 'u' })).message, /sources\.X\.password/);
    assert.match(
      (await create({ url: 'grpc://h:1', tls: { ca: 'x.pem' } })).message,
      /sources\.X\.tls: .*grpc\+tls/,
    );
    assert.match(
      (await create({ url: 'grpc+tls://h:1', tls: { ca: 'missing.pem' } })).message,
      /sources\.X\.tls\.ca: cannot read/,
    );
    assert.match((await create({ url: 'grpc://h:1', peer: 'maybe' })).message, /sources\.X\.peer/);
  });

  test('an unreachable server is SOURCE_UNAVAILABLE naming the source', async () => {
    const dead = await connector.create({ url: 'grpc://127.0.0.1:1' }, { sourceName: 'gone', baseDir: '.' });
    try {
      const error = await rejection(dead.catalog.listSchemas());
      assert.equal(error.code, ErrorCode.SOURCE_UNAVAILABLE);
      assert.equal(error.source, 'gone');
    } finally {
      await dead.close();
    }
  });
});

/** Runs SQL on the connector's push-down executor. */
function execute(
  c: FlightSqlConnector,
  query: { sql: string; params: [] },
  opts: ReturnType<typeof options>,
): AsyncIterable<RecordBatch> {
  if (!c.sql) assert.fail('the connector has no SQL executor');
  return c.sql.execute(query, opts);
}

function options() {
  return { signal: new AbortController().signal, context: {} as never };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
