/**
 * `streamResultAsArrow(result, signal, { schema, maxBatchRows })`: batches
 * written as the caller's Arrow types (a connector's table schema) where
 * DuckDB's bytes already hold them, batch bounds, and materialized results
 * read in place. Values are checked against DuckDB's own answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DATE, INTEGER, LIST, SQLNULL, STRUCT, TIMESTAMP, TIMESTAMP_NS, VARCHAR } from '@duckdb/node-api';
import type { DataType, Field, RecordBatch } from '@spoke/core';
import { arrow, SpokeError } from '@spoke/core';
import { createDuckDBInstance, duckdbFitsArrowType, streamResultAsArrow } from '../src/index.js';

const F = (name: string, type: DataType, nullable = true): Field => new arrow.Field(name, type, nullable);

async function collect(iterable: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of iterable) out.push(b);
  return out;
}

/** Every row of `batches` as plain arrays (Arrow's own getters, so the declared types decide how values read). */
function rowsOf(batches: readonly RecordBatch[]): unknown[][] {
  const out: unknown[][] = [];
  for (const b of batches)
    for (let r = 0; r < b.numRows; r++)
      out.push(b.schema.fields.map((_, c) => plain(b.getChildAt(c)?.get(r))));
  return out;
}

function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && 'toJSON' in v) return plain((v as { toJSON(): unknown }).toJSON());
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

describe('streamResultAsArrow with a target schema', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  before(async () => {
    instance = await createDuckDBInstance();
    connection = await instance.connect();
  });
  after(() => {
    connection.closeSync();
    instance.closeSync();
  });

  test('writes the given types, names and nullability where DuckDB differs, values unchanged', {
    timeout: 30_000,
  }, async () => {
    const sql = `SELECT i::BIGINT AS id,
        TIMESTAMP '2024-01-02 03:04:05.678901' + to_microseconds(i) AS ts,
        CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || i END AS s,
        [i, i + 1] AS l,
        {'a': i::INTEGER, 'b': 'x'} AS st
      FROM range(5000) t(i)`;
    const schema = new arrow.Schema([
      F('ID', new arrow.Int64(), false),
      F('ts', new arrow.TimestampMicrosecond('UTC')),
      F('s', new arrow.Utf8()),
      F('l', new arrow.List(F('element', new arrow.Int64(), false))),
      F('st', new arrow.Struct([F('a', new arrow.Int32()), F('b', new arrow.Utf8())])),
    ]);
    const result = await connection.stream(sql);
    const batches = await collect(streamResultAsArrow(result, undefined, { schema }));
    assert.ok(batches.length > 0);
    for (const b of batches) {
      assert.deepEqual(
        b.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`),
        schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`),
      );
      assert.equal(String(b.getChildAt(1)?.type), 'Timestamp<MICROSECOND, UTC>');
    }
    const got = rowsOf(batches);
    // The timestamps' raw microseconds (arrow-js reads them as fractional epoch milliseconds).
    const micros = batches.flatMap((b) =>
      [...((b.getChildAt(1)?.data[0]?.values ?? []) as BigInt64Array)].slice(0, b.numRows),
    );
    assert.equal(got.length, 5000);
    // DuckDB's own answer, read value by value.
    const expected = (
      await connection.runAndReadAll(`SELECT id, epoch_us(ts), s, l, st.a, st.b FROM (${sql}) ORDER BY id`)
    ).getRows();
    got.forEach((row, i) => {
      const [id, us, s, l, a, b] = expected[i] as unknown[];
      assert.equal(row[0], id);
      assert.equal(micros[i], us);
      assert.equal(row[2], s);
      assert.deepEqual(row[3], (l as { items: bigint[] }).items);
      assert.equal(JSON.stringify(row[4]), JSON.stringify({ a, b }));
    });
    assert.equal(
      batches.reduce((n, b) => n + (b.getChildAt(2)?.nullCount ?? 0), 0),
      Math.ceil(5000 / 3),
    );
  });

  test('a column that does not fit is refused with SOURCE_ERROR naming it', { timeout: 30_000 }, async () => {
    const result = await connection.stream('SELECT 1::INTEGER AS n');
    await assert.rejects(
      collect(
        streamResultAsArrow(result, undefined, { schema: new arrow.Schema([F('n', new arrow.Int64())]) }),
      ),
      (e: unknown) => SpokeError.isInstance(e) && e.code === 'SOURCE_ERROR' && /"n"/.test(e.message),
    );
  });

  test('duckdbFitsArrowType', () => {
    assert.ok(duckdbFitsArrowType(INTEGER, new arrow.Int32()));
    assert.ok(!duckdbFitsArrowType(INTEGER, new arrow.Int64()));
    assert.ok(!duckdbFitsArrowType(INTEGER, new arrow.Uint32()));
    assert.ok(duckdbFitsArrowType(TIMESTAMP, new arrow.TimestampMicrosecond('Europe/Paris')));
    assert.ok(duckdbFitsArrowType(TIMESTAMP_NS, new arrow.TimestampMicrosecond()));
    assert.ok(!duckdbFitsArrowType(TIMESTAMP, new arrow.TimestampNanosecond()));
    assert.ok(!duckdbFitsArrowType(DATE, new arrow.DateMillisecond()));
    assert.ok(duckdbFitsArrowType(LIST(INTEGER), new arrow.List(F('x', new arrow.Int32()))));
    assert.ok(!duckdbFitsArrowType(LIST(INTEGER), new arrow.List(F('x', new arrow.Utf8()))));
    assert.ok(duckdbFitsArrowType(STRUCT({ a: VARCHAR }), new arrow.Struct([F('a', new arrow.Utf8())])));
    assert.ok(!duckdbFitsArrowType(STRUCT({ a: VARCHAR }), new arrow.Struct([F('b', new arrow.Utf8())])));
    assert.ok(duckdbFitsArrowType(SQLNULL, new arrow.Struct([F('b', new arrow.Utf8())])));
    assert.ok(!duckdbFitsArrowType(VARCHAR, new arrow.Binary()));
  });

  test('maxBatchRows bounds every batch, below and above the chunk size', { timeout: 30_000 }, async () => {
    for (const max of [1000, 5000]) {
      const result = await connection.stream('SELECT range AS i FROM range(20000)');
      const batches = await collect(streamResultAsArrow(result, undefined, { maxBatchRows: max }));
      assert.ok(batches.every((b) => b.numRows <= max && b.numRows > 0));
      assert.deepEqual(
        rowsOf(batches).map((r) => r[0]),
        Array.from({ length: 20000 }, (_, i) => BigInt(i)),
      );
    }
  });

  test('a materialized result streams the same batches as a streaming one', { timeout: 30_000 }, async () => {
    const sql = "SELECT range AS i, 'row ' || range AS s FROM range(70000) ORDER BY i";
    const streamed = await collect(streamResultAsArrow(await connection.stream(sql)));
    const materialized = await collect(streamResultAsArrow(await connection.run(sql)));
    assert.deepEqual(
      materialized.map((b) => b.numRows),
      streamed.map((b) => b.numRows),
    );
    assert.deepEqual(rowsOf(materialized), rowsOf(streamed));
    // Cancellation is checked per chunk on this path too.
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      collect(streamResultAsArrow(await connection.run(sql), controller.signal)),
      (e: unknown) => SpokeError.isInstance(e) && e.code === 'QUERY_CANCELLED',
    );
  });
});
