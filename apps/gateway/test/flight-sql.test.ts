/**
 * The Arrow Flight SQL endpoint, driven by the Flight client built on the
 * same protocol definitions, over the real engine (two DuckDB files as the
 * sources `crm` and `shop`). Answers are compared with the HTTP API's over
 * the same engine and with DuckDB running the same SQL over the same files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { type ServiceError, status } from '@grpc/grpc-js';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { arrow, ErrorCode, SpokeError, type Table } from '@spoke/core';
import { createEngine, type FederatedEngine, type QueryEngine } from '@spoke/planner';
import {
  commandDescriptor,
  decodeSchema,
  ERROR_CODE_TRAILER,
  FlightSqlClient,
  flightDataToIpc,
  packAny,
  type RunningFlightServer,
  SqlInfo,
  startFlightServer,
} from '../src/flight/index.js';
import { typeName } from '../src/format/value-reader.js';
import { ARROW_STREAM_TYPE, type RunningHttpServer, startHttpServer } from '../src/http/http-server.js';

const BIG_ROWS = 2_000_000;

/** JSON that shows bigints and bytes unambiguously, for comparing answers. */
function show(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
    return v;
  });
}

/** Rows of an Arrow table as plain objects. */
function rowsOf(table: Table): Record<string, unknown>[] {
  return table.toArray().map((row) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row.toJSON())) {
      out[key] =
        value && typeof value === 'object' && 'toArray' in value
          ? [...(value as unknown as Iterable<unknown>)]
          : value;
    }
    return out;
  });
}

/** Column names and Arrow types. */
function shape(schema: { fields: readonly { name: string; type: unknown; nullable: boolean }[] }): string[] {
  return schema.fields.map((f) => `${f.name}: ${String(f.type)}`);
}

/** A value as DuckDB's JSON rows give it: numbers and bigints as digit strings. */
function canonical(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return value;
}

function canonicalRows(rows: readonly Record<string, unknown>[]): unknown[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, canonical(v)])));
}

async function expectGrpcError(
  promise: Promise<unknown>,
  code: status,
  message?: RegExp,
): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    const e = error as ServiceError;
    assert.equal(e.code, code, `expected status ${status[code]}, got ${status[e.code]}: ${e.details}`);
    if (message) assert.match(e.details, message);
    return e;
  }
  assert.fail(`expected status ${status[code]}, but the call succeeded`);
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Arrow Flight SQL endpoint', { timeout: 180_000 }, () => {
  let dir: string;
  let engine: FederatedEngine;
  /** The signals of the queries the Flight server started, to see them cancelled. */
  const signals: AbortSignal[] = [];
  /** The query contexts the Flight servers passed (who asked). */
  const contexts: unknown[] = [];
  let flight: RunningFlightServer;
  let http: RunningHttpServer;
  let client: FlightSqlClient;
  let watchedEngine: QueryEngine;
  let reference: Awaited<ReturnType<DuckDBInstance['connect']>>;
  let referenceDb: DuckDBInstance;

  async function duck(sql: string): Promise<Record<string, unknown>[]> {
    return (await reference.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  }

  async function httpArrow(sql: string, params?: unknown[]): Promise<Table> {
    const res = await fetch(`${http.url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ARROW_STREAM_TYPE },
      body: JSON.stringify(params ? { sql, params } : { sql }),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return arrow.tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spoke-flight-test-'));
    const crmPath = join(dir, 'crm.duckdb');
    const shopPath = join(dir, 'shop.duckdb');
    {
      const db = await DuckDBInstance.create(crmPath);
      const c = await db.connect();
      await c.run(`CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name,
        CASE i % 3 WHEN 0 THEN 'EU' WHEN 1 THEN 'US' ELSE NULL END AS region FROM range(1, 101) r(i)`);
      await c.run(`CREATE TABLE types AS SELECT * FROM (VALUES
        (1, true, 10::SMALLINT, 100000000000::BIGINT, 3.25::DOUBLE, 12345.67::DECIMAL(12,2), 'hello', DATE '2024-02-29',
         TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05+00', '\\x00\\xFF'::BLOB, [1, 2, NULL]::INTEGER[]),
        (2, false, -1::SMALLINT, -5::BIGINT, 'Infinity'::DOUBLE, -0.05::DECIMAL(12,2), 'wörld', DATE '1999-12-31',
         TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '2000-06-15 12:00:00+00', ''::BLOB, []::INTEGER[]),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
      ) t(id, b, i2, i8, f8, dec, txt, d, ts, tstz, bin, ints)`);
      await c.run(`CREATE TABLE big AS SELECT i AS id, 'row ' || i AS label FROM range(${BIG_ROWS}) r(i)`);
      c.closeSync();
      db.closeSync();
    }
    {
      const db = await DuckDBInstance.create(shopPath);
      const c = await db.connect();
      await c.run(`CREATE TABLE orders AS SELECT i AS id, (i % 120) + 1 AS customer_id,
        CAST((i * 7) % 1000 AS DECIMAL(10,2)) / 10 AS amount FROM range(1, 501) r(i)`);
      c.closeSync();
      db.closeSync();
    }
    const crm = await duckdb.create({ path: crmPath }, { sourceName: 'crm', baseDir: dir });
    const shop = await duckdb.create({ path: shopPath }, { sourceName: 'shop', baseDir: dir });
    engine = await createEngine({ sources: { crm, shop } });
    // The real engine, with the signal of each query noted on the way in.
    const watched: QueryEngine = {
      query: (sql, options) => {
        if (options?.signal) signals.push(options.signal);
        contexts.push(options?.context);
        return engine.query(sql, options);
      },
      explain: (sql, options) => engine.explain(sql, options),
      catalog: (signal) => engine.catalog(signal),
      close: () => engine.close(),
    };
    watchedEngine = watched;
    flight = await startFlightServer(watched, { host: '127.0.0.1', port: 0 });
    http = await startHttpServer(engine, { host: '127.0.0.1', port: 0 });
    client = new FlightSqlClient(`127.0.0.1:${flight.port}`);
    referenceDb = await DuckDBInstance.create(':memory:');
    reference = await referenceDb.connect();
    await reference.run(`SET TimeZone = 'UTC'`);
    await reference.run(`ATTACH '${crmPath}' AS crm (READ_ONLY)`);
    await reference.run(`ATTACH '${shopPath}' AS shop (READ_ONLY)`);
  });

  after(async () => {
    client?.close();
    await flight?.close();
    await http?.close();
    await engine?.close();
    reference?.closeSync();
    referenceDb?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('handshake', () => {
    it('trades basic credentials in the authorization header for a bearer token', async () => {
      const other = new FlightSqlClient(`127.0.0.1:${flight.port}`);
      try {
        const token = await other.handshake('alice', 'secret');
        assert.match(token, /^[A-Za-z0-9_-]{40,}$/);
        const table = await other.execute('SELECT 1 AS one');
        assert.deepEqual(rowsOf(table), [{ one: 1 }]);
      } finally {
        other.close();
      }
    });

    it('accepts a BasicAuth handshake payload too', async () => {
      const other = new FlightSqlClient(`127.0.0.1:${flight.port}`);
      try {
        const token = await other.handshake('bob', 'pw', 'payload');
        assert.ok(token.length > 20);
        assert.equal((await other.execute('SELECT 2 AS two')).numRows, 1);
      } finally {
        other.close();
      }
    });

    it('refuses an unknown bearer token with UNAUTHENTICATED', async () => {
      const other = new FlightSqlClient(`127.0.0.1:${flight.port}`);
      other.token = 'not-a-token';
      try {
        await expectGrpcError(other.execute('SELECT 1'), status.UNAUTHENTICATED, /handshake again/);
      } finally {
        other.close();
      }
    });

    it('with a password check configured, only the right password gets a token and calls need one', async () => {
      const guarded = await startFlightServer(engine, {
        host: '127.0.0.1',
        port: 0,
        verifyPassword: (user, password) => user === 'alice' && password === 'right',
      });
      const other = new FlightSqlClient(`127.0.0.1:${guarded.port}`);
      try {
        await expectGrpcError(
          other.handshake('alice', 'wrong'),
          status.UNAUTHENTICATED,
          /authentication failed/,
        );
        await expectGrpcError(other.execute('SELECT 1'), status.UNAUTHENTICATED);
        await other.handshake('alice', 'right');
        assert.deepEqual(rowsOf(await other.execute('SELECT 3 AS three')), [{ three: 3 }]);
        await other.handshake('alice', 'right', 'payload');
        assert.equal((await other.getCatalogs()).numRows, 2);
      } finally {
        other.close();
        await guarded.close();
      }
    });
  });

  describe('identity and transport', () => {
    it('a password check may answer roles and attributes, which reach the query context and engineFor', async () => {
      const callers: unknown[] = [];
      const guarded = await startFlightServer(watchedEngine, {
        host: '127.0.0.1',
        port: 0,
        verifyPassword: (_user, password) =>
          password === 'pw' ? { roles: ['analyst'], attributes: { region: 'EU' } } : undefined,
        engineFor: (caller) => {
          callers.push(caller);
          return watchedEngine;
        },
      });
      const other = new FlightSqlClient(`127.0.0.1:${guarded.port}`);
      try {
        await other.handshake('carol', 'pw');
        await other.execute('SELECT 1 AS x');
        assert.deepEqual(contexts.at(-1), {
          user: 'carol',
          roles: ['analyst'],
          attributes: { region: 'EU' },
        });
        await expectGrpcError(other.handshake('carol', 'nope'), status.UNAUTHENTICATED);
      } finally {
        other.close();
        await guarded.close();
      }
    });

    it('bearer tokens it did not issue (API keys, JWTs) go to verifyBearer', async () => {
      const guarded = await startFlightServer(watchedEngine, {
        host: '127.0.0.1',
        port: 0,
        verifyPassword: () => false,
        verifyBearer: (token) => {
          if (token !== 'key-123') throw new SpokeError(ErrorCode.UNAUTHENTICATED, 'invalid API key');
          return { user: 'service', roles: ['etl'] };
        },
      });
      const other = new FlightSqlClient(`127.0.0.1:${guarded.port}`);
      try {
        other.token = 'key-123';
        await other.execute('SELECT 1 AS x');
        assert.deepEqual(contexts.at(-1), { user: 'service', roles: ['etl'] });
        other.token = 'key-456';
        await expectGrpcError(other.execute('SELECT 1'), status.UNAUTHENTICATED, /invalid API key/);
      } finally {
        other.close();
        await guarded.close();
      }
    });

    it('a taken port fails to start with EADDRINUSE', async () => {
      await assert.rejects(startFlightServer(engine, { host: '127.0.0.1', port: flight.port }), {
        code: 'EADDRINUSE',
      });
    });

    it('serves TLS with a certificate and key file', async () => {
      const cert = join(dir, 'flight-cert.pem');
      const key = join(dir, 'flight-key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
      const secure = await startFlightServer(engine, {
        host: '127.0.0.1',
        port: 0,
        tls: { cert: await readFile(cert), key: await readFile(key) },
      });
      const other = new FlightSqlClient(`127.0.0.1:${secure.port}`, { rootCert: await readFile(cert) });
      const plain = new FlightSqlClient(`127.0.0.1:${secure.port}`);
      try {
        assert.deepEqual(rowsOf(await other.execute('SELECT 7 AS seven')), [{ seven: 7 }]);
        await expectGrpcError(plain.execute('SELECT 1'), status.UNAVAILABLE);
      } finally {
        other.close();
        plain.close();
        await secure.close();
      }
    });
  });

  describe('statements', () => {
    const queries = [
      `SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue
         FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
         GROUP BY c.region ORDER BY c.region NULLS LAST`,
      'SELECT id, name, region FROM crm.customers WHERE id % 7 = 0 ORDER BY id',
      'SELECT * FROM crm.types ORDER BY id',
      'SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM crm.big',
    ];

    for (const sql of queries) {
      it(`answers as HTTP and DuckDB do: ${sql.replace(/\s+/g, ' ').slice(0, 60)}…`, async () => {
        const viaFlight = await client.execute(sql);
        const viaHttp = await httpArrow(sql);
        assert.deepEqual(shape(viaFlight.schema), shape(viaHttp.schema));
        assert.equal(show(rowsOf(viaFlight)), show(rowsOf(viaHttp)));
        if (!sql.includes('types'))
          assert.deepEqual(canonicalRows(rowsOf(viaFlight)), canonicalRows(await duck(sql)));
      });
    }

    it('keeps every Arrow type of a wide row (decimal, timestamps, bytes) bit for bit', async () => {
      const table = await client.execute('SELECT * FROM crm.types ORDER BY id');
      const row = rowsOf(table)[0]!;
      assert.equal(row.i8, 100000000000n);
      assert.equal(table.schema.fields.find((f) => f.name === 'dec')?.type.typeId, arrow.Type.Decimal);
      assert.equal(table.schema.fields.find((f) => f.name === 'ts')?.type.typeId, arrow.Type.Timestamp);
      assert.deepEqual([...(row.bin as Uint8Array)], [0, 255]);
    });

    it('streams a large result as many FlightData messages: schema first, then record batches', async () => {
      const info = await client.getFlightInfo(
        commandDescriptor('CommandStatementQuery', { query: 'SELECT id, label FROM crm.big' }),
      );
      assert.equal(info.endpoint.length, 1);
      assert.deepEqual(shape(decodeSchema(info.schema)), ['id: Int64', 'label: Utf8']);
      const messages = await client.doGetMessages(info.endpoint[0]!.ticket!.ticket);
      const types = messages.map((m) => arrow.Message.decode(m.data_header).headerType);
      assert.equal(types[0], arrow.MessageHeader.Schema);
      assert.ok(types.slice(1).every((t) => t === arrow.MessageHeader.RecordBatch));
      assert.ok(messages.length > 3, `${messages.length} messages`);
      assert.ok(messages.every((m) => m.data_body.byteLength <= 3 * 1024 * 1024 + 64 * 1024));
      const table = arrow.tableFromIPC(flightDataToIpc(messages));
      assert.equal(table.numRows, BIG_ROWS);
      assert.equal(table.getChild('label')?.get(BIG_ROWS - 1), `row ${BIG_ROWS - 1}`);
    });

    it('streams columns that share a name, of different types, with every row', async () => {
      const sql = `SELECT c.id, c.name AS id, o.amount AS id FROM crm.customers c
        JOIN shop.orders o ON o.customer_id = c.id WHERE c.id < 20 ORDER BY 1, 3`;
      const info = await client.getFlightInfo(commandDescriptor('CommandStatementQuery', { query: sql }));
      const messages = await client.doGetMessages(info.endpoint[0]!.ticket!.ticket);
      // Read with the stream's own schema message (apache-arrow's Table would re-derive it by name).
      const reader = arrow.RecordBatchReader.from(flightDataToIpc(messages)).open({ autoDestroy: false });
      const types = reader.schema.fields.map((f) => String(f.type));
      assert.equal(new Set(types).size, 3, String(types));
      const rows = [...reader].reduce((n, b) => n + b.numRows, 0);
      const expected = await duck(sql);
      assert.ok(expected.length > 0);
      assert.equal(rows, expected.length);
    });

    it('cuts batches bigger than maxBodyBytes into slices with the same rows', async () => {
      const small = await startFlightServer(engine, { host: '127.0.0.1', port: 0, maxBodyBytes: 16 * 1024 });
      const other = new FlightSqlClient(`127.0.0.1:${small.port}`);
      try {
        const sql = 'SELECT id, label FROM crm.big WHERE id < 50000 ORDER BY id';
        const info = await other.getFlightInfo(commandDescriptor('CommandStatementQuery', { query: sql }));
        const messages = await other.doGetMessages(info.endpoint[0]!.ticket!.ticket);
        assert.ok(messages.length > 20, `${messages.length} messages`);
        assert.ok(messages.every((m) => m.data_body.byteLength <= 16 * 1024 + 1024));
        const table = arrow.tableFromIPC(flightDataToIpc(messages));
        assert.equal(table.numRows, 50_000);
        assert.equal(table.getChild('id')?.get(49_999), 49_999n);
      } finally {
        other.close();
        await small.close();
      }
    });

    it('GetSchema answers the schema DoGet then streams, without rows', async () => {
      const sql = 'SELECT c.name, o.amount FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id';
      const schema = await client.getSchema(commandDescriptor('CommandStatementQuery', { query: sql }));
      const table = await client.execute(sql);
      assert.deepEqual(shape(schema), shape(table.schema));
    });

    it('a ticket is single use', async () => {
      const info = await client.getFlightInfo(
        commandDescriptor('CommandStatementQuery', { query: 'SELECT 1 AS x' }),
      );
      await client.fetch(info);
      await expectGrpcError(client.fetch(info), status.NOT_FOUND, /ticket/);
    });
  });

  describe('prepared statements', () => {
    it('create, GetFlightInfo, DoGet, GetSchema, close', async () => {
      const sql = "SELECT id, name FROM crm.customers WHERE region = 'EU' ORDER BY id";
      const prepared = await client.prepare(sql);
      assert.ok(prepared.handle.byteLength > 0);
      assert.equal(prepared.parameterSchema, undefined);
      const table = await client.executePrepared(prepared.handle);
      assert.deepEqual(shape(prepared.datasetSchema!), shape(table.schema));
      assert.deepEqual(canonicalRows(rowsOf(table)), canonicalRows(await duck(sql)));
      // Runs again, as often as asked.
      assert.equal((await client.executePrepared(prepared.handle)).numRows, table.numRows);
      const schema = await client.getSchema(
        commandDescriptor('CommandPreparedStatementQuery', { prepared_statement_handle: prepared.handle }),
      );
      assert.deepEqual(shape(schema), shape(table.schema));
      await client.closePrepared(prepared.handle);
      await expectGrpcError(client.executePrepared(prepared.handle), status.NOT_FOUND, /prepared statement/);
    });

    it('binds parameters with DoPut and answers as HTTP does with the same params', async () => {
      const sql = 'SELECT id, name FROM crm.customers WHERE id > $1 AND name LIKE $2 ORDER BY id';
      const prepared = await client.prepare(sql);
      assert.equal(prepared.parameterSchema?.fields.length, 2);
      await expectGrpcError(
        client.executePrepared(prepared.handle),
        status.INVALID_ARGUMENT,
        /bind them with DoPut/,
      );
      const results = await client.bind(
        prepared.handle,
        arrow.tableFromArrays({ p1: BigInt64Array.from([90n]), p2: ['customer 9%'] }),
      );
      assert.equal(results.length, 1);
      const table = await client.executePrepared(prepared.handle);
      const viaHttp = await httpArrow(sql, [90, 'customer 9%']);
      assert.equal(show(rowsOf(table)), show(rowsOf(viaHttp)));
      assert.deepEqual(
        canonicalRows(rowsOf(table)),
        canonicalRows(
          await duck(
            `SELECT id, name FROM crm.customers WHERE id > 90 AND name LIKE 'customer 9%' ORDER BY id`,
          ),
        ),
      );
      await client.closePrepared(prepared.handle);
    });

    it("a prepared statement is its creator's only", async () => {
      const prepared = await client.prepare('SELECT 1 AS x');
      const other = new FlightSqlClient(`127.0.0.1:${flight.port}`);
      try {
        await other.handshake('mallory', 'x');
        await expectGrpcError(other.executePrepared(prepared.handle), status.NOT_FOUND);
      } finally {
        other.close();
        await client.closePrepared(prepared.handle);
      }
    });
  });

  describe('catalog commands', () => {
    interface HttpTable {
      source: string;
      schema: string;
      name: string;
      columns: { name: string; type: string; nullable: boolean }[];
    }
    let httpTables: HttpTable[];
    before(async () => {
      const res = await fetch(`${http.url}/v1/catalog`, { signal: AbortSignal.timeout(30_000) });
      httpTables = ((await res.json()) as { tables: HttpTable[] }).tables;
    });

    it('CommandGetCatalogs lists the sources', async () => {
      const table = await client.getCatalogs();
      assert.deepEqual(shape(table.schema), ['catalog_name: Utf8']);
      assert.equal(table.schema.fields[0]?.nullable, false);
      assert.deepEqual(
        rowsOf(table).map((r) => r.catalog_name),
        [...new Set(httpTables.map((t) => t.source))].sort(),
      );
    });

    it('CommandGetDbSchemas lists schemas, filtered by catalog and pattern', async () => {
      const all = rowsOf(await client.getDbSchemas());
      const expected = [...new Set(httpTables.map((t) => `${t.source}.${t.schema}`))].sort();
      assert.deepEqual(
        all.map((r) => `${r.catalog_name}.${r.db_schema_name}`),
        expected,
      );
      const shop = rowsOf(await client.getDbSchemas({ catalog: 'shop', db_schema_filter_pattern: 'ma_n' }));
      assert.deepEqual(shop, [{ catalog_name: 'shop', db_schema_name: 'main' }]);
      assert.equal((await client.getDbSchemas({ db_schema_filter_pattern: 'nothing%' })).numRows, 0);
    });

    it('CommandGetTables lists tables as the HTTP catalog does, with their Arrow schemas', async () => {
      const table = await client.getTables({ include_schema: true });
      assert.deepEqual(shape(table.schema), [
        'catalog_name: Utf8',
        'db_schema_name: Utf8',
        'table_name: Utf8',
        'table_type: Utf8',
        'table_schema: Binary',
      ]);
      const rows = rowsOf(table);
      assert.deepEqual(
        rows.map((r) => `${r.catalog_name}.${r.db_schema_name}.${r.table_name}`),
        httpTables.map((t) => `${t.source}.${t.schema}.${t.name}`).sort(),
      );
      for (const row of rows) {
        const expected = httpTables.find(
          (t) =>
            t.source === row.catalog_name && t.schema === row.db_schema_name && t.name === row.table_name,
        )!;
        assert.equal(row.table_type, 'TABLE');
        const schema = decodeSchema(row.table_schema as Uint8Array);
        assert.deepEqual(
          schema.fields.map((f) => ({ name: f.name, type: typeName(f.type), nullable: f.nullable })),
          expected.columns,
        );
      }
    });

    it('CommandGetTables filters by catalog, schema and table patterns and table types', async () => {
      const rows = rowsOf(await client.getTables({ catalog: 'crm', table_name_filter_pattern: '%s' }));
      assert.deepEqual(
        rows.map((r) => r.table_name),
        ['customers', 'types'],
      );
      assert.equal((await client.getTables({ table_types: ['VIEW'] })).numRows, 0);
      assert.equal((await client.getTables({ table_types: ['TABLE'], catalog: 'shop' })).numRows, 1);
      const without = await client.getTables({ table_name_filter_pattern: 'big' });
      assert.equal(without.schema.fields.length, 4);
      assert.deepEqual(rowsOf(without), [
        { catalog_name: 'crm', db_schema_name: 'main', table_name: 'big', table_type: 'TABLE' },
      ]);
    });

    it('GetSchema of a catalog command answers its fixed schema', async () => {
      const schema = await client.getSchema(commandDescriptor('CommandGetTables', { include_schema: true }));
      assert.equal(schema.fields.length, 5);
      const catalogs = await client.getSchema(commandDescriptor('CommandGetCatalogs', {}));
      assert.deepEqual(shape(catalogs), ['catalog_name: Utf8']);
    });

    it('CommandGetSqlInfo answers the server name, read-only and cancellation support', async () => {
      const table = await client.getSqlInfo([
        SqlInfo.FLIGHT_SQL_SERVER_NAME,
        SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY,
        SqlInfo.FLIGHT_SQL_SERVER_CANCEL,
        SqlInfo.SQL_IDENTIFIER_QUOTE_CHAR,
        99_999,
      ]);
      assert.equal(table.schema.fields[1]?.type.typeId, arrow.Type.Union);
      assert.deepEqual(rowsOf(table), [
        { info_name: 0, value: 'Spoke' },
        { info_name: 3, value: true },
        { info_name: 9, value: true },
        { info_name: 504, value: '"' },
      ]);
      assert.ok((await client.getSqlInfo()).numRows >= 8);
    });

    it('ListActions names the actions', async () => {
      const actions = (await client.listActions()).map((a) => a.type);
      for (const name of ['CreatePreparedStatement', 'ClosePreparedStatement', 'CancelFlightInfo'])
        assert.ok(actions.includes(name), name);
    });
  });

  describe('errors', () => {
    const cases: { sql: string; code: status; http: number; spoke: string }[] = [
      { sql: 'SELEC 1', code: status.INVALID_ARGUMENT, http: 400, spoke: 'SYNTAX_ERROR' },
      { sql: 'SELECT * FROM crm.nope', code: status.NOT_FOUND, http: 404, spoke: 'TABLE_NOT_FOUND' },
      {
        sql: 'SELECT nope FROM crm.customers',
        code: status.INVALID_ARGUMENT,
        http: 400,
        spoke: 'COLUMN_NOT_FOUND',
      },
      { sql: 'CREATE TABLE crm.t (a int)', code: status.UNIMPLEMENTED, http: 501, spoke: 'UNSUPPORTED' },
    ];
    for (const c of cases) {
      it(`${c.sql} → ${status[c.code]} (HTTP ${c.http}), with Spoke's code as a trailer`, async () => {
        const error = await expectGrpcError(client.execute(c.sql), c.code);
        assert.equal(error.metadata.get(ERROR_CODE_TRAILER)[0], c.spoke);
        const res = await fetch(`${http.url}/v1/query`, {
          method: 'POST',
          body: JSON.stringify({ sql: c.sql }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(res.status, c.http);
        assert.equal(body.error.code, c.spoke);
        assert.equal(error.details, body.error.message);
      });
    }

    it('malformed commands, unknown commands, tickets and actions get precise statuses', async () => {
      await expectGrpcError(
        client.getFlightInfo({ type: 'CMD', cmd: randomBytes(64), path: [] }),
        status.INVALID_ARGUMENT,
      );
      await expectGrpcError(
        client.getFlightInfo({ type: 'PATH', cmd: new Uint8Array(0), path: ['x'] }),
        status.INVALID_ARGUMENT,
      );
      // A Flight SQL command this server does not implement, packed by hand (an empty message).
      const url = Buffer.from('type.googleapis.com/arrow.flight.protocol.sql.CommandGetXdbcTypeInfo');
      const xdbc = Buffer.concat([Buffer.from([0x0a, url.length]), url]);
      await expectGrpcError(
        client.getFlightInfo({ type: 'CMD', cmd: xdbc, path: [] }),
        status.UNIMPLEMENTED,
        /CommandGetXdbcTypeInfo/,
      );
      await expectGrpcError(client.doGet(randomBytes(16)), status.INVALID_ARGUMENT);
      const ticket = packAny('TicketStatementQuery', { statement_handle: randomBytes(16) });
      await expectGrpcError(client.doGet(ticket), status.NOT_FOUND);
      await expectGrpcError(client.doAction('BeginTransaction', new Uint8Array(0)), status.UNIMPLEMENTED);
    });
  });

  describe('cancellation', () => {
    it('CancelFlightInfo cancels a statement waiting for its DoGet', async () => {
      const info = await client.getFlightInfo(
        commandDescriptor('CommandStatementQuery', { query: 'SELECT id, label FROM crm.big' }),
      );
      const signal = signals.at(-1)!;
      assert.equal(await client.cancelFlightInfo(info), 'CANCEL_STATUS_CANCELLED');
      assert.equal(signal.aborted, true);
      await expectGrpcError(client.fetch(info), status.NOT_FOUND);
      await expectGrpcError(client.cancelFlightInfo(info), status.NOT_FOUND);
    });

    it('CancelFlightInfo during DoGet ends the stream with CANCELLED', async () => {
      const info = await client.getFlightInfo(
        commandDescriptor('CommandStatementQuery', { query: 'SELECT id, label FROM crm.big' }),
      );
      const signal = signals.at(-1)!;
      const stream = client.doGetStream(info.endpoint[0]!.ticket!.ticket);
      const ended = new Promise<ServiceError | undefined>((resolve) => {
        stream.on('error', resolve);
        stream.on('end', () => resolve(undefined));
      });
      await new Promise((resolve) => stream.once('data', resolve));
      stream.pause(); // a slow reader: the server waits on back-pressure meanwhile
      assert.equal(await client.cancelFlightInfo(info), 'CANCEL_STATUS_CANCELLED');
      stream.resume();
      const error = await ended;
      assert.equal(error?.code, status.CANCELLED, String(error?.details));
      assert.equal(signal.aborted, true);
      await waitFor(() => flight.runningStatements === 0, 5000, 'the statement to finish');
    });

    it('a client cancelling its DoGet call aborts the query', async () => {
      const info = await client.getFlightInfo(
        commandDescriptor('CommandStatementQuery', { query: 'SELECT id, label FROM crm.big' }),
      );
      const signal = signals.at(-1)!;
      const stream = client.doGetStream(info.endpoint[0]!.ticket!.ticket);
      const ended = new Promise<ServiceError | undefined>((resolve) => {
        stream.on('error', resolve);
        stream.on('end', () => resolve(undefined));
      });
      await new Promise((resolve) => stream.once('data', resolve));
      stream.cancel();
      assert.equal((await ended)?.code, status.CANCELLED);
      await waitFor(() => signal.aborted, 5000, 'the query to be aborted');
      await waitFor(() => flight.runningStatements === 0, 5000, 'the statement to finish');
      // The engine goes on serving.
      assert.equal(
        (await client.execute('SELECT count(*) AS n FROM crm.customers')).getChild('n')?.get(0),
        100n,
      );
    });

    it('a ticket not redeemed in time expires and its query is cancelled', async () => {
      const short = await startFlightServer(
        {
          query: (sql, options) => {
            if (options?.signal) signals.push(options.signal);
            return engine.query(sql, options);
          },
          explain: (sql, options) => engine.explain(sql, options),
          catalog: (signal) => engine.catalog(signal),
          close: async () => {},
        },
        { host: '127.0.0.1', port: 0, ticketTtlMs: 200 },
      );
      const other = new FlightSqlClient(`127.0.0.1:${short.port}`);
      try {
        const info = await other.getFlightInfo(
          commandDescriptor('CommandStatementQuery', { query: 'SELECT id FROM crm.big' }),
        );
        const signal = signals.at(-1)!;
        assert.equal(short.runningStatements, 1);
        await waitFor(() => signal.aborted, 5000, 'the ticket to expire');
        assert.equal(short.runningStatements, 0);
        await expectGrpcError(other.fetch(info), status.NOT_FOUND);
      } finally {
        other.close();
        await short.close();
      }
    });

    it('closing the server cancels a DoGet in progress', async () => {
      const closing = await startFlightServer(engine, { host: '127.0.0.1', port: 0 });
      const other = new FlightSqlClient(`127.0.0.1:${closing.port}`);
      try {
        const info = await other.getFlightInfo(
          commandDescriptor('CommandStatementQuery', { query: 'SELECT id, label FROM crm.big' }),
        );
        const stream = other.doGetStream(info.endpoint[0]!.ticket!.ticket);
        const ended = new Promise<ServiceError | undefined>((resolve) => {
          stream.on('error', resolve);
          stream.on('end', () => resolve(undefined));
        });
        await new Promise((resolve) => stream.once('data', resolve));
        stream.pause();
        const started = Date.now();
        await closing.close();
        assert.ok(Date.now() - started < 5000);
        stream.resume();
        const error = await ended;
        assert.ok(error, 'the stream must not end as if complete');
      } finally {
        other.close();
        await closing.close();
      }
    });

    it('the legacy CancelQuery action cancels too', async () => {
      const info = await client.getFlightInfo(
        commandDescriptor('CommandStatementQuery', { query: 'SELECT id FROM crm.big' }),
      );
      const signal = signals.at(-1)!;
      assert.equal(await client.cancelQuery(info), 'CANCEL_RESULT_CANCELLED');
      assert.equal(signal.aborted, true);
    });
  });

  describe('robustness', () => {
    it('garbage bytes sent to the Flight port close that connection; the server stays up', async () => {
      for (const garbage of [randomBytes(4096), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]) {
        await new Promise<void>((resolve, reject) => {
          const socket = connect(flight.port, '127.0.0.1');
          const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error('the server kept a garbage connection open'));
          }, 10_000);
          socket.on('connect', () => socket.write(garbage));
          socket.on('data', () => {});
          socket.on('error', () => {});
          socket.on('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      assert.deepEqual(rowsOf(await client.execute('SELECT 42 AS answer')), [{ answer: 42 }]);
    });

    it('a gRPC call whose message is not protobuf fails alone', async () => {
      const { makeGenericClientConstructor, credentials, Metadata } = await import('@grpc/grpc-js');
      const Raw = makeGenericClientConstructor(
        {
          GetFlightInfo: {
            path: '/arrow.flight.protocol.FlightService/GetFlightInfo',
            requestStream: false,
            responseStream: false,
            requestSerialize: (value: Buffer) => value,
            requestDeserialize: (value: Buffer) => value,
            responseSerialize: (value: Buffer) => value,
            responseDeserialize: (value: Buffer) => value,
          },
        },
        'Raw',
      );
      const raw = new Raw(`127.0.0.1:${flight.port}`, credentials.createInsecure()) as unknown as {
        GetFlightInfo(
          v: Buffer,
          m: InstanceType<typeof Metadata>,
          cb: (e: ServiceError | null) => void,
        ): void;
        close(): void;
      };
      try {
        const error = await new Promise<ServiceError | null>((resolve) =>
          raw.GetFlightInfo(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), new Metadata(), resolve),
        );
        assert.ok(error, 'expected the call to fail');
        assert.ok([status.INTERNAL, status.INVALID_ARGUMENT].includes(error.code), status[error.code]);
      } finally {
        raw.close();
      }
      assert.equal((await client.getCatalogs()).numRows, 2);
    });
  });
});
