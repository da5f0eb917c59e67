import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrow, type DataType } from '@spoke/core';
import { decimalText, typeName, type ValueMode, valueReader } from '../src/format/value-reader.js';

function read(
  type: DataType,
  values: unknown,
  mode: ValueMode,
  length: number,
  nullBitmap?: Uint8Array,
): unknown[] {
  const data = arrow.makeData({
    type,
    length,
    nullCount: nullBitmap ? -1 : 0,
    data: values,
    nullBitmap,
  } as never);
  const reader = valueReader(data as never, mode);
  return Array.from({ length }, (_, i) => reader(i));
}

describe('value rendering', () => {
  it('keeps int64 exact: numbers when safe, strings beyond 2^53', () => {
    const values = BigInt64Array.from([5n, -9007199254740991n, 9007199254740993n, -9223372036854775808n]);
    assert.deepEqual(read(new arrow.Int64(), values, 'json', 4), [
      5,
      -9007199254740991,
      '9007199254740993',
      '-9223372036854775808',
    ]);
    assert.deepEqual(read(new arrow.Int64(), values, 'text', 4), [
      '5',
      '-9007199254740991',
      '9007199254740993',
      '-9223372036854775808',
    ]);
  });

  it('renders decimals exactly, including negative and 38-digit values', () => {
    assert.equal(decimalText(-1250n, 2), '-12.50');
    assert.equal(decimalText(5n, 3), '0.005');
    assert.equal(decimalText(-5n, 3), '-0.005');
    assert.equal(decimalText(12n, 0), '12');
    const big = 10n ** 37n * 9n + 123n; // 38 digits
    const words = new Uint32Array(8);
    for (const [i, v] of [big, -1250n].entries()) {
      const twos = v < 0n ? (1n << 128n) + v : v;
      for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((twos >> BigInt(32 * w)) & 0xffffffffn);
    }
    assert.deepEqual(read(new arrow.Decimal(2, 38, 128), words, 'json', 2), [decimalText(big, 2), '-12.50']);
    assert.equal(decimalText(big, 2), '900000000000000000000000000000000001.23');
  });

  it('renders timestamps with microseconds, in UTC with Z when zoned', () => {
    const ticks = BigInt64Array.from([1704103200123456n, -1n, 0n, 9223372036854775807n]);
    assert.deepEqual(read(new arrow.TimestampMicrosecond('UTC'), ticks, 'json', 4), [
      '2024-01-01T10:00:00.123456Z',
      '1969-12-31T23:59:59.999999Z',
      '1970-01-01T00:00:00Z',
      'infinity',
    ]);
    assert.deepEqual(read(new arrow.TimestampMicrosecond(), ticks, 'text', 3), [
      '2024-01-01 10:00:00.123456',
      '1969-12-31 23:59:59.999999',
      '1970-01-01 00:00:00',
    ]);
    assert.deepEqual(read(new arrow.TimestampMicrosecond('UTC'), ticks, 'text', 1), [
      '2024-01-01 10:00:00.123456+00',
    ]);
    assert.deepEqual(
      read(new arrow.TimestampNanosecond('UTC'), BigInt64Array.from([1704103200123456789n]), 'json', 1),
      ['2024-01-01T10:00:00.123456789Z'],
    );
    assert.deepEqual(
      read(new arrow.TimestampMillisecond(), BigInt64Array.from([1704103200500n]), 'json', 1),
      ['2024-01-01T10:00:00.5'],
    );
  });

  it('renders dates, times, floats, booleans and bytes', () => {
    assert.deepEqual(read(new arrow.DateDay(), Int32Array.from([19756, -1]), 'json', 2), [
      '2024-02-03',
      '1969-12-31',
    ]);
    assert.deepEqual(read(new arrow.TimeMicrosecond(), BigInt64Array.from([36672500000n, 0n]), 'json', 2), [
      '10:11:12.5',
      '00:00:00',
    ]);
    assert.deepEqual(read(new arrow.Float64(), Float64Array.from([1.5, Number.NaN, -Infinity]), 'json', 3), [
      1.5,
      'NaN',
      '-Infinity',
    ]);
    assert.deepEqual(read(new arrow.Bool(), Uint8Array.from([0b01]), 'text', 2), ['t', 'f']);
    assert.deepEqual(read(new arrow.Bool(), Uint8Array.from([0b01]), 'json', 2), [true, false]);
    const bytes = arrow.vectorFromArray([Uint8Array.from([1, 2, 255])], new arrow.Binary());
    assert.deepEqual(
      [valueReader(bytes.data[0] as never, 'json')(0), valueReader(bytes.data[0] as never, 'text')(0)],
      ['AQL/', '\\x0102ff'],
    );
  });

  it('renders nulls, lists and structs', () => {
    const ints = read(new arrow.Int32(), Int32Array.from([1, 2, 3]), 'json', 3, Uint8Array.from([0b101]));
    assert.deepEqual(ints, [1, null, 3]);
    const list = arrow.vectorFromArray(
      [[1.5, 2], [], null],
      new arrow.List(new arrow.Field('item', new arrow.Float64(), true)),
    );
    const reader = valueReader(list.data[0] as never, 'json');
    assert.deepEqual([reader(0), reader(1), reader(2)], [[1.5, 2], [], null]);
    assert.equal(valueReader(list.data[0] as never, 'text')(0), '[1.5,2]');
    const struct = arrow.vectorFromArray(
      [{ a: 1, b: 'x' }],
      new arrow.Struct([new arrow.Field('a', new arrow.Int32()), new arrow.Field('b', new arrow.Utf8())]),
    );
    assert.deepEqual(valueReader(struct.data[0] as never, 'json')(0), { a: 1, b: 'x' });
  });

  it('names types as Spoke does', () => {
    assert.equal(typeName(new arrow.Decimal(2, 12, 128)), 'decimal(12,2)');
    assert.equal(typeName(new arrow.TimestampMicrosecond('UTC')), 'timestamp with time zone');
    assert.equal(typeName(new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())), 'utf8');
    assert.equal(typeName(new arrow.List(new arrow.Field('item', new arrow.Int64()))), 'int64[]');
  });
});
