import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import {
  abortReason,
  arrow,
  batchesOf,
  columnsOf,
  ErrorCode,
  Ex,
  formatScalarType,
  fromArrowType,
  mapStreamErrors,
  noBatches,
  type RecordBatch,
  recordBatch,
  resumedStream,
  SpokeError,
  splitConjunction,
  Types,
  throwIfAborted,
  toArrowType,
  withFields,
} from '../src/index.js';

test('arrow is the CommonJS build, the one LanceDB loads', () => {
  const cjs = createRequire(import.meta.url)('apache-arrow');
  assert.equal(arrow.RecordBatch, cjs.RecordBatch);
  const table = arrow.tableFromArrays({ a: Int32Array.from([1, 2]) });
  assert.ok(table instanceof cjs.Table);
});

test('SpokeError is recognised by its marker, across copies', () => {
  const err = new SpokeError(ErrorCode.TABLE_NOT_FOUND, 'no such table', {
    cause: new Error('pg'),
    source: 'crm',
  });
  assert.ok(SpokeError.isInstance(err));
  assert.equal(err.code, 'TABLE_NOT_FOUND');
  assert.equal(err.source, 'crm');
  assert.equal((err.cause as Error).message, 'pg');
  // A structurally identical error from "another copy" of the package carries the same Symbol.for marker.
  const foreign = Object.assign(new Error('x'), {
    [Symbol.for('@spoke/core/SpokeError')]: true,
    code: 'UNSUPPORTED',
  });
  assert.ok(SpokeError.isInstance(foreign));
  assert.ok(!SpokeError.isInstance(new Error('plain')));
  assert.ok(!SpokeError.isInstance(null));
});

test('throwIfAborted throws QUERY_CANCELLED only after abort', () => {
  const controller = new AbortController();
  throwIfAborted(controller.signal);
  controller.abort(new Error('stop'));
  assert.throws(
    () => throwIfAborted(controller.signal),
    (e: unknown) => SpokeError.isInstance(e) && e.code === 'QUERY_CANCELLED',
  );
});

test('scalar types round-trip through Arrow types', () => {
  const types = [
    Types.bool,
    Types.int16,
    Types.int32,
    Types.int64,
    Types.float32,
    Types.float64,
    Types.utf8,
    Types.binary,
    Types.date,
    Types.time,
    Types.timestamp,
    Types.timestamptz,
    Types.decimal(12, 2),
    Types.list(Types.int32),
  ];
  for (const type of types) assert.deepEqual(fromArrowType(toArrowType(type)), type, formatScalarType(type));
  assert.equal(formatScalarType(Types.timestamptz), 'timestamp with time zone');
  assert.equal(fromArrowType(new arrow.Struct([])), undefined);
  assert.equal(toArrowType(Types.interval).typeId, arrow.Type.Utf8);
});

test('expression helpers find columns and split conjunctions', () => {
  const e = Ex.and(
    Ex.cmp('>', Ex.col('a'), Ex.lit(1, Types.int32)),
    Ex.and(Ex.isNull(Ex.col('b')), Ex.like(Ex.col('c'), Ex.lit('x%', Types.utf8))),
  );
  assert.deepEqual(columnsOf(e).sort(), ['a', 'b', 'c']);
  assert.equal(splitConjunction(e).length, 3);
});

test('recordBatch keeps its schema and is the batch the constructor makes', () => {
  const fields = [
    new arrow.Field('id', new arrow.Int64(), true),
    new arrow.Field('id', new arrow.Utf8(), true),
    new arrow.Field('n', new arrow.Int32(), false),
  ];
  const schema = new arrow.Schema(fields, new Map([['origin', 'test']]));
  const children = [
    arrow.vectorFromArray([1n, null, 3n], new arrow.Int64()).data[0]!,
    arrow.vectorFromArray(['a', 'b', null], new arrow.Utf8()).data[0]!,
    arrow.vectorFromArray([7, 8, 9], new arrow.Int32()).data[0]!,
  ];
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: 3, nullCount: 0, children });
  const batch = recordBatch(schema, data);
  assert.ok(batch instanceof arrow.RecordBatch);
  assert.equal(batch.schema, schema, 'the schema given, repeated names and all');
  assert.equal(batch.numRows, 3);
  assert.deepEqual(
    [0, 1, 2].map((c) => [...batch.getChildAt(c)!]),
    [
      [1n, null, 3n],
      ['a', 'b', null],
      [7, 8, 9],
    ],
  );
  // Through IPC and back: the rows survive (an IPC writer ended the stream without them when the schema lied).
  const writer = new arrow.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  writer.write(batch);
  writer.finish();
  const reader = arrow.RecordBatchReader.from(writer.toUint8Array(true)).open();
  const written = reader.schema;
  const read = [...reader];
  assert.deepEqual(
    written.fields.map((f) => String(f.type)),
    ['Int64', 'Utf8', 'Int32'],
  );
  assert.equal(read.length, 1);
  assert.equal(read[0]!.numRows, 3);
  assert.deepEqual([...arrow.makeVector(read[0]!.data.children[1]!)], ['a', 'b', null]);
  // Columns shorter than the batch: the constructor's path, which pads them with NULLs.
  const short = arrow.makeData({
    type: new arrow.Struct(fields),
    length: 4,
    nullCount: 0,
    children: children.map((c) => c.slice(0, 2)),
  });
  const padded = recordBatch(schema, short);
  assert.equal(padded.numRows, 2);
  assert.equal(padded.schema, schema);
});

test('batch streams: batchesOf, noBatches, resumedStream, mapStreamErrors', async () => {
  const batch = (n: number) => arrow.tableFromArrays({ n: Int32Array.from([n]) }).batches[0]!;
  const collect = async (stream: AsyncIterable<RecordBatch>) => {
    const out: number[] = [];
    for await (const b of stream) out.push(b.getChildAt(0)!.get(0) as number);
    return out;
  };
  assert.deepEqual(await collect(batchesOf([batch(1), batch(2)])), [1, 2]);
  assert.deepEqual(await collect(noBatches()), []);
  // A stream whose first batch was read to learn its schema gives every batch once, in order.
  const source = batchesOf([batch(1), batch(2), batch(3)]);
  const first = await source.next();
  assert.deepEqual(await collect(resumedStream(first.value as RecordBatch, source)), [1, 2, 3]);
  // Errors are mapped; batches before the error still arrive; stopping early closes the source.
  async function* failing() {
    yield batch(1);
    throw new Error('source broke');
  }
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const b of mapStreamErrors(
        failing(),
        (e) => new SpokeError(ErrorCode.SOURCE_ERROR, `x: ${(e as Error).message}`),
      ))
        seen.push(b.getChildAt(0)!.get(0) as number);
    })(),
    (e: unknown) => SpokeError.isInstance(e) && e.message === 'x: source broke',
  );
  assert.deepEqual(seen, [1]);
  let closed = false;
  async function* endless() {
    try {
      for (let i = 0; ; i++) yield batch(i);
    } finally {
      closed = true;
    }
  }
  for await (const _ of mapStreamErrors(endless(), (e) => e)) break;
  assert.ok(closed, 'the source is closed when the reader stops');
});

test('withFields is a spread whose results share their shape', () => {
  const base = { command: 'SELECT', batches: 1 };
  const out = withFields(base, { appliedRules: ['r'], batches: 2 });
  assert.deepEqual(out, { command: 'SELECT', batches: 2, appliedRules: ['r'] });
  assert.deepEqual(base, { command: 'SELECT', batches: 1 }, 'the base is not changed');
  assert.deepEqual(withFields({ a: 1 }, { b: 2 }, { a: 3 }), { a: 3, b: 2 });
  const symbol = Symbol('s');
  assert.equal(withFields({ [symbol]: 1 }, {})[symbol], 1, 'own symbols are copied, as by a spread');
});

test('abortReason: the SpokeError a signal was aborted with, else QUERY_CANCELLED', () => {
  const timeout = new SpokeError(ErrorCode.QUERY_TIMEOUT, 'query ran longer than 1s');
  const a = new AbortController();
  a.abort(timeout);
  assert.equal(abortReason(a.signal), timeout);
  const b = new AbortController();
  b.abort(new Error('plain'));
  const reason = abortReason(b.signal);
  assert.equal(reason.code, ErrorCode.QUERY_CANCELLED);
  assert.equal((reason.cause as Error).message, 'plain');
});
