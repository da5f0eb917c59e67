import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import {
  arrow,
  columnsOf,
  ErrorCode,
  Ex,
  formatScalarType,
  fromArrowType,
  SpokeError,
  splitConjunction,
  Types,
  throwIfAborted,
  toArrowType,
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
