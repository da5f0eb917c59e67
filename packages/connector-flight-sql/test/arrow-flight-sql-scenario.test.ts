/**
 * The Arrow project's `flight_sql` integration scenario, client side, run by
 * this connector's Flight SQL client against the ported stand-in server
 * (`arrow-scenario-server.ts`): the same requests, and the answers' schemas
 * checked as the scenario's `Validate` does. Then the connector reads a
 * non-Spoke server's catalog and sends it ANSI SQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, type Schema, SpokeError } from '@spoke/core';
import { createEngine } from '@spoke/planner';
import { connector, FlightSqlClient, type FlightSqlConnector } from '../src/index.js';
import { SCENARIO_SCHEMAS, type ScenarioServer, startScenarioServer } from './arrow-scenario-server.js';

function sameSchema(expected: Schema, actual: Schema): void {
  assert.deepEqual(
    actual.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
    expected.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
  );
}

describe('Arrow Flight SQL integration scenario (flight_sql)', { timeout: 60_000 }, () => {
  let server: ScenarioServer;
  let client: FlightSqlClient;

  before(async () => {
    server = await startScenarioServer('scenario');
    client = new FlightSqlClient({ address: server.url.slice('grpc://'.length), sourceName: 'arrow' });
  });
  after(async () => {
    client?.close();
    await server?.close();
  });

  test('metadata retrieval: catalogs, db schemas, tables with schema, table types, SqlInfo', async () => {
    sameSchema(SCENARIO_SCHEMAS.catalogs, (await client.command('CommandGetCatalogs', {})).schema);
    sameSchema(
      SCENARIO_SCHEMAS.dbSchemas,
      (
        await client.command('CommandGetDbSchemas', {
          catalog: 'catalog',
          db_schema_filter_pattern: 'db_schema_filter_pattern',
        })
      ).schema,
    );
    sameSchema(
      SCENARIO_SCHEMAS.tables,
      (
        await client.command('CommandGetTables', {
          catalog: 'catalog',
          db_schema_filter_pattern: 'db_schema_filter_pattern',
          table_name_filter_pattern: 'table_filter_pattern',
          include_schema: true,
          table_types: ['table', 'view'],
        })
      ).schema,
    );
    sameSchema(SCENARIO_SCHEMAS.tableTypes, (await client.command('CommandGetTableTypes', {})).schema);
    sameSchema(SCENARIO_SCHEMAS.sqlInfo, (await client.sqlInfo([0, 3])).schema);
  });

  test('statement execution: "SELECT STATEMENT" answers <id: int64>', async () => {
    const table = await client.command('CommandStatementQuery', { query: 'SELECT STATEMENT' });
    sameSchema(SCENARIO_SCHEMAS.query, table.schema);
    assert.equal(table.numRows, 0);
    // The streaming path (what the connector's scans use) reads the same answer.
    let rows = 0;
    for await (const batch of client.query('SELECT STATEMENT', [], new AbortController().signal))
      rows += batch.numRows;
    assert.equal(rows, 0);
  });

  test('prepared statement execution: handle "SELECT PREPARED STATEMENT HANDLE"', async () => {
    const table = await client.executePrepared('SELECT PREPARED STATEMENT');
    sameSchema(SCENARIO_SCHEMAS.query, table.schema);
  });

  test("a request the scenario does not expect fails with the server's message, as a SpokeError", async () => {
    await assert.rejects(
      client.command('CommandStatementQuery', { query: 'SELECT OTHER' }),
      (error: unknown) =>
        SpokeError.isInstance(error) &&
        error.code === ErrorCode.SOURCE_ERROR &&
        error.details?.grpcStatus === 'INVALID_ARGUMENT' &&
        error.details?.sqlstate === '42000' &&
        /expected "SELECT STATEMENT", got "SELECT OTHER"/.test(error.message),
    );
  });
});

describe('a Flight SQL server that is not Spoke', { timeout: 60_000 }, () => {
  let server: ScenarioServer;
  let remote: FlightSqlConnector;

  before(async () => {
    server = await startScenarioServer('catalog');
    remote = (await connector.create(
      { url: server.url },
      { sourceName: 'X', baseDir: '.' },
    )) as FlightSqlConnector;
  });
  after(async () => {
    await remote?.close();
    await server?.close();
  });

  test('its catalog appears by db_schema; scans go as ANSI SQL with three-part names and inlined literals', async () => {
    assert.deepEqual(await remote.catalog.listSchemas(), ['sales']);
    assert.equal(remote.isSpokePeer, false);
    assert.deepEqual(await remote.catalog.listTables('sales'), ['orders']);
    const engine = await createEngine({ sources: { X: remote } });
    try {
      const result = await engine.query('SELECT id, amount FROM X.sales.orders WHERE amount > 2 ORDER BY id');
      const rows: [number, number][] = [];
      for await (const batch of result.batches)
        for (let i = 0; i < batch.numRows; i++)
          rows.push([Number(batch.getChild('id')?.get(i)), Number(batch.getChild('amount')?.get(i))]);
      assert.deepEqual(rows, [
        [2, 2.5],
        [3, 3.5],
        [4, 4.5],
      ]);
      assert.ok(server.queries.length >= 1);
    } finally {
      await engine.close();
    }
  });
});

describe('a Flight SQL server that ignores include_schema', { timeout: 60_000 }, () => {
  test('each table is described with GetSchema of a SELECT * (planned, not run)', async () => {
    const server = await startScenarioServer('catalog', { withoutTableSchemas: true });
    const remote = (await connector.create(
      { url: server.url },
      { sourceName: 'X', baseDir: '.' },
    )) as FlightSqlConnector;
    try {
      const table = await remote.catalog.getTable('sales', 'orders');
      assert.deepEqual(
        (await table!.schema()).fields.map((f) => `${f.name}:${f.type}`),
        ['id:Int64', 'amount:Float64'],
      );
      assert.deepEqual(server.queries, ['SELECT * FROM "cat"."sales"."orders"']);
    } finally {
      await remote.close();
      await server.close();
    }
  });
});

describe('a distributed Flight SQL server: endpoints at other locations', { timeout: 60_000 }, () => {
  test('each endpoint is read from its location, an unreachable location skipped for the next', async () => {
    const answers = new Map();
    const worker = await startScenarioServer('catalog', { answers });
    // Port 1 refuses connections: the first location fails, the worker answers.
    const coordinator = await startScenarioServer('catalog', {
      answers,
      secondEndpointAt: ['grpc://127.0.0.1:1', worker.url],
    });
    const remote = (await connector.create(
      { url: coordinator.url },
      { sourceName: 'X', baseDir: '.' },
    )) as FlightSqlConnector;
    const engine = await createEngine({ sources: { X: remote } });
    try {
      const result = await engine.query('SELECT id, amount FROM X.sales.orders WHERE amount > 2 ORDER BY id');
      const ids: number[] = [];
      for await (const batch of result.batches)
        for (let i = 0; i < batch.numRows; i++) ids.push(Number(batch.getChild('id')?.get(i)));
      assert.deepEqual(ids, [2, 3, 4], 'both endpoints were read');
      assert.equal(worker.queries.length, 0, 'the worker only served a ticket');
    } finally {
      await engine.close();
      await coordinator.close();
      await worker.close();
    }
  });

  test('a location that is not grpc is refused by name', async () => {
    const coordinator = await startScenarioServer('catalog', { secondEndpointAt: ['http://elsewhere:80'] });
    const remote = (await connector.create(
      { url: coordinator.url },
      { sourceName: 'X', baseDir: '.' },
    )) as FlightSqlConnector;
    const engine = await createEngine({ sources: { X: remote } });
    try {
      await assert.rejects(
        (async () => {
          const result = await engine.query('SELECT id FROM X.sales.orders WHERE amount > 2');
          for await (const _ of result.batches);
        })(),
        /X: .*cannot reach: "http:\/\/elsewhere:80"/,
      );
    } finally {
      await engine.close();
      await coordinator.close();
    }
  });
});
