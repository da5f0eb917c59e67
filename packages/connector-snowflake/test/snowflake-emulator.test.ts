import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ex, SpokeError, type SpokeTable, Types } from '@spoke/core';
import { loadModule, parseSync } from 'libpg-query';
import {
  type SnowflakeEmulator,
  startSnowflakeEmulator,
} from '../../../test/harness/snowflake-emulator/index.js';
import { connector, type SnowflakeConnector } from '../src/index.js';
import { collect, ctx, rowsOf, runCancellation, runSharedCases } from './shared-cases.js';

const context = { sourceName: 'sf', baseDir: process.cwd() };

describe('connector-snowflake against the Snowflake protocol emulator (snowflake-sdk over HTTP)', {
  timeout: 110_000,
}, () => {
  let emu: SnowflakeEmulator;
  let sf: SnowflakeConnector;
  let keyDir: string;
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

  before(async () => {
    await loadModule();
    emu = await startSnowflakeEmulator({
      inlineRows: 500,
      chunkRows: 3000,
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      setup: async (c) => {
        await c.run(
          `CREATE TABLE "ORDERS" ("ID" DECIMAL(18,0), "CUSTOMER" VARCHAR, "AMOUNT" DECIMAL(12,2), "PAID" BOOLEAN, "DAY" DATE, "AT" TIMESTAMP, "DOC" JSON)`,
        );
        await c.run(`INSERT INTO "ORDERS" VALUES
          (1, 'alice', 10.50, true, DATE '2024-01-01', TIMESTAMP '2024-01-01 10:00:00.5', '{"k": 1}'),
          (2, 'Alice', 20.25, false, DATE '2024-01-02', TIMESTAMP '2024-01-02 11:00:00', '[1,2]'),
          (3, 'bob', NULL, NULL, NULL, NULL, NULL),
          (4, 'carol', 7.75, true, DATE '2024-02-01', TIMESTAMP '2024-02-01 00:00:00', '"s"'),
          (5, NULL, 1.00, false, DATE '2023-12-31', TIMESTAMP '2023-12-31 23:59:59.999999', 'null')`);
        await c.run(`CREATE TABLE "CUSTOMERS" ("NAME" VARCHAR, "CITY" VARCHAR)`);
        await c.run(
          `INSERT INTO "CUSTOMERS" VALUES ('alice', 'Paris'), ('Alice', 'Rome'), ('bob', 'Berlin')`,
        );
        await c.run(
          `CREATE TABLE "BIG" AS SELECT CAST(range AS DECIMAL(18,0)) AS "N", 'row ' || range AS "S" FROM range(20000)`,
        );
      },
    });
    sf = (await connector.create(
      {
        account: emu.account,
        username: emu.user,
        password: emu.password,
        database: emu.database,
        accessUrl: emu.accessUrl,
        poolSize: 2,
        batchRows: 1000,
      },
      context,
    )) as SnowflakeConnector;
    keyDir = mkdtempSync(join(tmpdir(), 'spoke-sf-key-'));
  });

  after(async () => {
    await sf?.close();
    await emu?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  const table = async (name: string): Promise<SpokeTable> => {
    const t = await sf.catalog.getTable('PUBLIC', name);
    assert.ok(t, name);
    return t;
  };
  const scan = async (name: string, request: Partial<Parameters<SpokeTable['scan']>[0]> = {}) => {
    const t = await table(name);
    const schema = await t.schema();
    return collect(
      t.scan({
        projection: schema.fields.map((f) => f.name),
        filters: [],
        signal: new AbortController().signal,
        context: ctx,
        ...request,
      }),
    );
  };

  test('shared cases: every Snowflake type decodes exactly', async () => {
    await runSharedCases(sf);
  });

  test('catalog: schemas and tables from INFORMATION_SCHEMA, column types from result metadata', async () => {
    assert.deepEqual(await sf.catalog.listSchemas(), ['PUBLIC']);
    assert.deepEqual(await sf.catalog.listTables('PUBLIC'), ['BIG', 'CUSTOMERS', 'ORDERS']);
    assert.equal(await sf.catalog.getTable('PUBLIC', 'orders'), undefined, 'names are matched as stored');
    const schema = await (await table('ORDERS')).schema();
    assert.deepEqual(
      schema.fields.map((f) => `${f.name}:${String(f.type)}`),
      [
        'ID:Int64',
        'CUSTOMER:Utf8',
        'AMOUNT:Decimal[12e+2]',
        'PAID:Bool',
        'DAY:Date32<DAY>',
        'AT:Timestamp<MICROSECOND>',
        'DOC:Utf8',
      ],
    );
  });

  test('scans push filters and top-N; answers equal DuckDB on the same data', async () => {
    const cases: [Parameters<typeof Ex.and>[0], string][] = [
      [Ex.cmp('=', Ex.col('CUSTOMER'), Ex.lit('alice', Types.utf8)), `"CUSTOMER" = 'alice'`],
      [Ex.like(Ex.col('CUSTOMER'), Ex.lit('a%', Types.utf8), true), `"CUSTOMER" ILIKE 'a%'`],
      [Ex.like(Ex.col('CUSTOMER'), Ex.lit('a\\%', Types.utf8)), `"CUSTOMER" LIKE 'a\\%' ESCAPE '\\'`],
      [Ex.cmp('>', Ex.col('AMOUNT'), Ex.lit('8.00', Types.decimal(12, 2))), `"AMOUNT" > 8.00`],
      [
        Ex.cmp('>=', Ex.col('AT'), Ex.lit('2024-01-02 00:00:00', Types.timestamp)),
        `"AT" >= TIMESTAMP '2024-01-02 00:00:00'`,
      ],
      [Ex.isNull(Ex.col('PAID')), `"PAID" IS NULL`],
      [Ex.in(Ex.col('ID'), [Ex.lit(1n, Types.int64), Ex.lit(4n, Types.int64)]), `"ID" IN (1, 4)`],
    ];
    const t = await table('ORDERS');
    for (const [filter, where] of cases) {
      assert.deepEqual(await t.supportsFilters!([filter]), ['exact'], where);
      const got = rowsOf(await scan('ORDERS', { projection: ['ID'], filters: [filter] }))
        .map((r) => Number(r[0]))
        .sort();
      const want = (await emu.duckdb.runAndReadAll(`SELECT "ID" FROM "ORDERS" WHERE ${where} ORDER BY 1`))
        .getRowsJS()
        .map((r) => Number(r[0]));
      assert.deepEqual(got, want, where);
    }
    const top = rowsOf(
      await scan('ORDERS', {
        projection: ['ID'],
        orderBy: [{ expr: Ex.col('AMOUNT'), direction: 'desc', nulls: 'last' }],
        limit: 2,
      }),
    );
    assert.deepEqual(top, [['2'], ['1']]);
  });

  test('every statement carries the query tag; EXPLAIN-able SQL is what the emulator received', async () => {
    const description = (await sf.describeTable('PUBLIC', 'ORDERS'))!;
    const rendered = sf.renderScan(description, {
      projection: ['ID'],
      filters: [Ex.cmp('=', Ex.col('CUSTOMER'), Ex.lit('bob', Types.utf8))],
      limit: 1,
    });
    assert.equal(rendered.sql, 'SELECT "ID" FROM "SPOKE"."PUBLIC"."ORDERS" WHERE ("CUSTOMER" = ?) LIMIT 1');
    const before = emu.queries.length;
    await collect(
      sf.sql.execute(rendered, {
        signal: new AbortController().signal,
        context: { queryId: 'q-42', roles: [] },
      }),
    );
    const sent = emu.queries.slice(before).find((q) => q.sqlText === rendered.sql);
    assert.ok(sent, 'the rendered SQL reached the server unchanged');
    assert.equal(sent.parameters.QUERY_TAG, 'spoke:q-42');
    assert.ok(
      emu.queries.every((q) => String(q.parameters.QUERY_TAG ?? '').startsWith('spoke:')),
      'no statement without a tag',
    );
  });

  test('whole sub-query push-down renders Snowflake SQL and equals DuckDB', async () => {
    const queries = [
      `SELECT c.city, count(*) AS n, sum(o.amount) AS total FROM "PUBLIC"."ORDERS" o JOIN "PUBLIC"."CUSTOMERS" c ON c.name = o.customer GROUP BY c.city ORDER BY c.city`,
      `SELECT o.id, c.city FROM "PUBLIC"."ORDERS" o FULL JOIN "PUBLIC"."CUSTOMERS" c ON c.name = o.customer ORDER BY o.id NULLS FIRST, c.city`,
      `SELECT customer FROM "PUBLIC"."ORDERS" WHERE customer ILIKE 'A%' OR amount BETWEEN 5 AND 8 ORDER BY 1 LIMIT 5`,
      `SELECT DISTINCT paid FROM "PUBLIC"."ORDERS" ORDER BY paid`,
    ].map((q) =>
      q
        .replace(
          /\b(c|o)\.(city|name|customer|amount|id)\b/g,
          (_, a: string, b: string) => `${a}."${b.toUpperCase()}"`,
        )
        .replace(/\b(customer|amount|paid)\b(?!")/g, (m) => `"${m.toUpperCase()}"`),
    );
    for (const sql of queries) {
      const rendered = sf.dialect.renderSelect(parseSync(sql).stmts![0]!.stmt as never);
      const got = rowsOf(
        await collect(sf.sql.execute(rendered, { signal: new AbortController().signal, context: ctx })),
      );
      const want = (await emu.duckdb.runAndReadAll(sql))
        .getRowsJS()
        .map((r) =>
          r.map((v) =>
            v === null ? null : typeof v === 'bigint' ? v.toString() : typeof v === 'object' ? String(v) : v,
          ),
        );
      const norm = (rows: unknown[][]) =>
        rows.map((r) =>
          r.map((v) => (v === null ? null : /^-?\d+(\.\d+)?$/.test(String(v)) ? Number(v) : v)),
        );
      assert.deepEqual(norm(got), norm(want), `${sql}\n→ ${rendered.sql}`);
    }
  });

  test('large results stream in chunks the driver downloads, as Arrow batches', async () => {
    const chunksBefore = [...emu.server.requestCounts.keys()].filter((k) => k.startsWith('/chunks/')).length;
    let rows = 0;
    let batches = 0;
    let sum = 0n;
    for await (const batch of (await table('BIG')).scan({
      projection: ['N'],
      filters: [],
      signal: new AbortController().signal,
      context: ctx,
    })) {
      rows += batch.numRows;
      batches++;
      const values = batch.getChildAt(0)!.data[0]!.values as BigInt64Array;
      for (let i = 0; i < batch.numRows; i++) sum += values[i]!;
    }
    assert.equal(rows, 20000);
    assert.equal(sum, (19999n * 20000n) / 2n);
    assert.ok(batches >= 20, `${batches} batches`);
    const chunksAfter = [...emu.server.requestCounts.keys()].filter((k) => k.startsWith('/chunks/')).length;
    assert.ok(chunksAfter - chunksBefore >= 6, 'rows beyond the first came as downloaded chunks');
  });

  test('statistics: ROW_COUNT and BYTES from INFORMATION_SCHEMA.TABLES', async () => {
    const stats = await (await table('ORDERS')).statistics!();
    assert.deepEqual(stats?.rowCount, { value: 5, exact: true });
    assert.ok(stats?.totalBytes && stats.totalBytes.value > 0);
  });

  test('cancellation goes through the driver (abort-request) and surfaces QUERY_CANCELLED', async () => {
    await runCancellation(sf);
    const last = emu.queries.filter((q) => q.sqlText.includes('SYSTEM$WAIT')).at(-1);
    assert.equal(last?.status, 'aborted');
  });

  test('key-pair (JWT) login; wrong password is UNAUTHENTICATED; options are validated', async () => {
    const keyPath = join(keyDir, 'key.p8');
    writeFileSync(keyPath, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const kp = (await connector.create(
      {
        account: emu.account,
        username: emu.user,
        privateKeyPath: keyPath,
        database: emu.database,
        accessUrl: emu.accessUrl,
      },
      context,
    )) as SnowflakeConnector;
    assert.deepEqual(await kp.catalog.listSchemas(), ['PUBLIC']);
    await kp.close();
    const bad = (await connector.create(
      {
        account: emu.account,
        username: emu.user,
        password: 'nope',
        database: emu.database,
        accessUrl: emu.accessUrl,
      },
      context,
    )) as SnowflakeConnector;
    await assert.rejects(
      bad.catalog.listSchemas(),
      (e) => SpokeError.isInstance(e) && e.code === 'UNAUTHENTICATED',
    );
    await bad.close();
    await assert.rejects(
      connector.create({ account: 'a', username: 'u', database: 'd' }, context),
      (e) => SpokeError.isInstance(e) && e.code === 'INVALID_CONFIG' && /password/.test(e.message),
    );
  });
});
