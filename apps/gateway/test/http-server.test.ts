import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { arrow } from '@spoke/core';
import type { QueryEngine } from '@spoke/planner';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import { ARROW_STREAM_TYPE, type RunningHttpServer, startHttpServer } from '../src/http/http-server.js';
import { canonicalRows, type DemoFixture, demoFixture } from './demo-fixture.js';

const JOIN_SQL = `SELECT c.region, count(*) AS orders, sum(s.amount) AS revenue
  FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id
  GROUP BY c.region ORDER BY revenue DESC`;

interface Answer {
  status: number;
  type: string;
  body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: tests look into answers of several shapes
  json(): any;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: bytes,
    json: () => JSON.parse(bytes.toString('utf8')),
  };
}

describe('HTTP API', { timeout: 120_000 }, () => {
  let fixture: DemoFixture;
  let engine: QueryEngine;
  let server: RunningHttpServer;
  let base: string;

  before(async () => {
    fixture = await demoFixture();
    engine = await createGatewayEngine(fixture.config);
    server = await startHttpServer(engine, { host: '127.0.0.1', port: 0 });
    base = server.url;
  });
  after(async () => {
    await server?.close();
    await engine?.close();
    await fixture?.close();
  });

  it('listens on the port it was given (0: a free one) and answers /healthz', async () => {
    assert.ok(server.port > 0);
    const answer = await call(base, 'GET', '/healthz');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), { status: 'ok' });
  });

  it('lists the catalog of both sources with column types', async () => {
    const answer = await call(base, 'GET', '/v1/catalog');
    assert.equal(answer.status, 200);
    const tables = answer.json().tables as {
      source: string;
      schema: string;
      name: string;
      columns: { name: string; type: string; nullable: boolean }[];
    }[];
    const customers = tables.find((t) => t.source === 'crm' && t.name === 'customers');
    const sales = tables.find((t) => t.source === 'lake' && t.name === 'sales');
    assert.ok(customers && sales, JSON.stringify(tables.map((t) => `${t.source}.${t.schema}.${t.name}`)));
    assert.deepEqual(
      customers.columns.map((c) => c.name),
      ['id', 'name', 'email', 'region', 'tier', 'signup_date'],
    );
    const types = Object.fromEntries(sales.columns.map((c) => [c.name, c.type]));
    assert.equal(types.amount, 'decimal(12,2)');
    assert.equal(types.sold_at, 'timestamp with time zone');
    assert.equal(types.id, 'int64');
  });

  it('answers a cross-source join as JSON, equal to DuckDB on the same files', async () => {
    const answer = await call(base, 'POST', '/v1/query', { sql: JOIN_SQL });
    assert.equal(answer.status, 200, answer.body.toString());
    assert.match(answer.type, /^application\/json/);
    const body = answer.json();
    assert.deepEqual(body.columns, [
      { name: 'region', type: 'utf8' },
      { name: 'orders', type: 'int64' },
      { name: 'revenue', type: body.columns[2].type },
    ]);
    assert.match(body.columns[2].type, /^decimal\(\d+,2\)$/);
    const expected = (await fixture.duckdb(JOIN_SQL)).map((r) => [r.region, r.orders, r.revenue]);
    assert.equal(typeof body.rows[0][1], 'number', 'a safe int64 is a JSON number');
    assert.equal(typeof body.rows[0][2], 'string', 'a decimal is an exact string');
    assert.deepEqual(canonicalRows(body.rows), canonicalRows(expected));
  });

  it('renders dates, timestamps and decimals as documented', async () => {
    const sql = `SELECT s.id, s.amount, s.sold_at, c.signup_date, d.created_at
      FROM lake.sales s JOIN crm.customers c ON c.id = s.customer_id JOIN lake.documents d ON d.customer_id = c.id
      WHERE s.id <= 20 ORDER BY s.id, d.id`;
    const answer = await call(base, 'POST', '/v1/query', { sql });
    assert.equal(answer.status, 200, answer.body.toString());
    const body = answer.json();
    const expected = (await fixture.duckdb(sql)).map((r) => [
      r.id,
      r.amount,
      r.sold_at,
      r.signup_date,
      r.created_at,
    ]);
    assert.ok(expected.length > 0);
    assert.deepEqual(canonicalRows(body.rows), canonicalRows(expected));
    const [, amount, soldAt, signup, created] = body.rows[0];
    assert.match(amount, /^\d+\.\d\d$/);
    assert.match(soldAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.match(signup, /^\d{4}-\d\d-\d\d$/);
    assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);
  });

  it('binds $n parameters', async () => {
    const answer = await call(base, 'POST', '/v1/query', {
      sql: 'SELECT id, name FROM crm.customers WHERE region = $1 AND id < $2 ORDER BY id',
      params: ['APAC', 60],
    });
    assert.equal(answer.status, 200, answer.body.toString());
    const expected = await fixture.duckdb(
      `SELECT id, name FROM crm.customers WHERE region = 'APAC' AND id < 60 ORDER BY id`,
    );
    assert.ok(expected.length > 0);
    assert.deepEqual(canonicalRows(answer.json().rows), canonicalRows(expected.map((r) => [r.id, r.name])));
  });

  it('answers an Arrow IPC stream when the request accepts one', async () => {
    const sql = `SELECT c.region, count(*) AS orders, sum(s.amount) AS revenue, max(s.sold_at) AS last_sale
      FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.region ORDER BY c.region`;
    const answer = await call(
      base,
      'POST',
      '/v1/query',
      { sql },
      { accept: `${ARROW_STREAM_TYPE}, application/json;q=0.5` },
    );
    assert.equal(answer.status, 200, answer.body.toString());
    assert.equal(answer.type, ARROW_STREAM_TYPE);
    const table = arrow.tableFromIPC(answer.body);
    assert.deepEqual(
      table.schema.fields.map((f) => f.name),
      ['region', 'orders', 'revenue', 'last_sale'],
    );
    assert.equal(table.schema.fields[2]?.type.typeId, arrow.Type.Decimal);
    assert.equal((table.schema.fields[2]?.type as unknown as { scale: number } | undefined)?.scale, 2);
    const expected = await fixture.duckdb(
      `SELECT c.region, count(*) AS orders, sum(s.amount)::VARCHAR AS revenue, epoch_us(max(s.sold_at)) AS last_sale
       FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.region ORDER BY c.region`,
    );
    assert.equal(table.numRows, expected.length);
    const revenue = table.getChild('revenue')?.data[0];
    const lastSale = table.getChild('last_sale')?.data[0];
    assert.ok(revenue && lastSale);
    expected.forEach((row, i) => {
      assert.equal(table.getChild('region')?.get(i), row.region);
      assert.equal(String(table.getChild('orders')?.get(i)), row.orders);
      // The unscaled 128-bit integer, read from its low 64 bits (these sums are far below 2^63).
      const words = revenue.values as unknown as Uint32Array;
      const unscaled = (BigInt(words[i * 4 + 1] as number) << 32n) | BigInt(words[i * 4] as number);
      assert.equal(unscaled, BigInt(String(row.revenue).replace('.', '')));
      const ticks = (lastSale.values as unknown as BigInt64Array)[i];
      const unit = (lastSale.type as unknown as { unit: number }).unit;
      assert.equal(unit, arrow.TimeUnit.MICROSECOND);
      assert.equal(String(ticks), row.last_sale);
    });
  });

  it('answers columns that share a name, of different types, in an Arrow IPC stream', async () => {
    // apache-arrow's RecordBatch gives every column of a name the last one's type: the stream must not end early.
    for (const sql of [
      `SELECT c.id, c.name AS id, s.amount AS id FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id
        WHERE c.id < 5 ORDER BY c.id, s.amount`,
      'SELECT id, name AS id FROM crm.customers WHERE id < 5 ORDER BY 1',
    ]) {
      const json = await call(base, 'POST', '/v1/query', { sql });
      assert.equal(json.status, 200, json.body.toString());
      const expected = json.json().rows as unknown[][];
      assert.ok(expected.length > 0, sql);
      const ipc = await call(base, 'POST', '/v1/query', { sql }, { accept: ARROW_STREAM_TYPE });
      assert.equal(ipc.status, 200, ipc.body.toString());
      // Read with the stream's own schema message (apache-arrow's Table would re-derive it by name too).
      const reader = arrow.RecordBatchReader.from(ipc.body).open({ autoDestroy: false });
      const schema = reader.schema;
      const batches = [...reader];
      const types = schema.fields.map((f) => String(f.type));
      assert.equal(new Set(schema.fields.map((f) => f.name)).size, 1, sql);
      assert.equal(new Set(types).size, types.length, `different types: ${types}`);
      assert.equal(
        batches.reduce((n, b) => n + b.numRows, 0),
        expected.length,
        `rows of ${sql}`,
      );
      for (const b of batches)
        assert.deepEqual(
          b.data.children.map((c) => String(c.type)),
          types,
        );
    }
  });

  it('answers an empty result with its columns', async () => {
    const sql = `SELECT id, name FROM crm.customers WHERE id < 0`;
    const json = await call(base, 'POST', '/v1/query', { sql });
    assert.deepEqual(json.json(), {
      columns: [
        { name: 'id', type: 'int32' },
        { name: 'name', type: 'utf8' },
      ],
      rows: [],
    });
    const ipc = await call(base, 'POST', '/v1/query', { sql }, { accept: ARROW_STREAM_TYPE });
    const table = arrow.tableFromIPC(ipc.body);
    assert.equal(table.numRows, 0);
    assert.deepEqual(
      table.schema.fields.map((f) => f.name),
      ['id', 'name'],
    );
  });

  it('explains a query', async () => {
    const answer = await call(base, 'POST', '/v1/explain', { sql: JOIN_SQL });
    assert.equal(answer.status, 200, answer.body.toString());
    const plan = answer.json();
    assert.deepEqual([...new Set(plan.sources.map((s: { source: string }) => s.source))].sort(), [
      'crm',
      'lake',
    ]);
    assert.equal(typeof plan.residualSql, 'string');
    for (const s of plan.sources) if (s.kind === 'scan') assert.equal(typeof s.strategy, 'string');
  });

  it('explains with "analyze": true: the query runs and each read carries its actual figures', async () => {
    const answer = await call(base, 'POST', '/v1/explain', { sql: JOIN_SQL, analyze: true });
    assert.equal(answer.status, 200, answer.body.toString());
    const plan = answer.json();
    const rows = (await call(base, 'POST', '/v1/query', { sql: JOIN_SQL })).body.toString();
    assert.ok(plan.analyze.rows > 0 && rows.length > 0);
    for (const s of plan.sources) {
      assert.equal(typeof s.actualRows, 'number', JSON.stringify(s));
      // A read an earlier query already made of unchanged files comes from the read cache: nothing read.
      if (s.readCache === 'hit') assert.ok(s.actualRows === 0 && s.cachedRows > 0, JSON.stringify(s));
      else assert.ok(s.actualBytes > 0 && s.elapsedMs >= 0, JSON.stringify(s));
    }
    assert.ok(
      plan.sources.some((s: { readCache?: string }) => s.readCache === undefined),
      'the database table is read',
    );
    const bad = await call(base, 'POST', '/v1/explain', { sql: JOIN_SQL, analyze: 'yes' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().error.message, /"analyze" must be true or false/);
  });

  it('answers errors as {"error": {"code", "message"}} with a fitting status', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/query', { sql: 'SELEC 1' }, 400, 'SYNTAX_ERROR'],
      ['POST', '/v1/query', { sql: 'SELECT * FROM crm.no_such_table' }, 404, 'TABLE_NOT_FOUND'],
      ['POST', '/v1/query', { sql: 'SELECT no_such_column FROM crm.customers' }, 400, 'COLUMN_NOT_FOUND'],
      ['POST', '/v1/query', '{"sql": ', 400, 'BAD_REQUEST'],
      ['POST', '/v1/query', { query: 'SELECT 1' }, 400, 'BAD_REQUEST'],
      ['POST', '/v1/query', { sql: 'SELECT 1', params: 'x' }, 400, 'BAD_REQUEST'],
      ['POST', '/v1/explain', { sql: 'SELECT * FROM nowhere.t' }, 404, 'TABLE_NOT_FOUND'],
      ['GET', '/v1/query', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/v2/nothing', undefined, 404, 'NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await call(base, method, path, body);
      assert.equal(
        answer.status,
        status,
        `${method} ${path} ${JSON.stringify(body)}: ${answer.body.toString()}`,
      );
      assert.match(answer.type, /^application\/json/);
      const error = answer.json().error;
      assert.equal(error.code, code, JSON.stringify(error));
      assert.equal(typeof error.message, 'string');
      assert.ok(error.message.length > 0);
    }
  });

  it('refuses a body over the size limit', async () => {
    const small = await startHttpServer(engine, { host: '127.0.0.1', port: 0, maxBodyBytes: 100 });
    try {
      const answer = await call(small.url, 'POST', '/v1/query', { sql: `SELECT '${'x'.repeat(200)}'` });
      assert.equal(answer.status, 413);
      assert.equal(answer.json().error.code, 'PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  });

  it('cancels the query when the client goes away', async () => {
    // Ten billion rows: it only ends if the disconnect cancels it.
    const sql = 'SELECT a.id AS a, b.id AS b FROM lake.sales a CROSS JOIN lake.sales b';
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request(
        `${base}/v1/query`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > 256 * 1024) {
              req.destroy();
              resolve();
            }
          });
          res.on('error', () => {});
        },
      );
      req.on('error', (error) => (received > 0 ? resolve() : reject(error)));
      req.end(JSON.stringify({ sql }));
    });
    assert.ok(received > 0, 'rows started streaming before the disconnect');
    const deadline = Date.now() + 10_000;
    while (server.activeRequests > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.activeRequests, 0, 'the cancelled query is no longer running');
    // The engine is still usable afterwards.
    const answer = await call(base, 'POST', '/v1/query', { sql: 'SELECT count(*) AS n FROM crm.customers' });
    assert.deepEqual(answer.json().rows, [[1000]]);
  });
});
