/**
 * Decoded Parquet values → Arrow `Data`, built directly into typed arrays
 * (no per-value builder calls): the decoder hands us typed arrays for
 * required columns and plain arrays with `null`s for optional ones.
 */
import { arrow, type DataType } from '@spoke/core';
import type { ColumnShape } from './parquet-type-mapping.js';

type AnyData = ReturnType<typeof arrow.makeData>;
type Values = ArrayLike<unknown>;

const encoder = new TextEncoder();

/** Builds the Arrow data for one column from its decoded values. */
export function buildColumn(shape: ColumnShape, values: Values): AnyData {
  return build(shape, values);
}

function validity(values: Values): { bitmap: Uint8Array | undefined; nullCount: number } {
  // Typed arrays cannot hold nulls: skip the scan.
  if (ArrayBuffer.isView(values)) return { bitmap: undefined, nullCount: 0 };
  let nullCount = 0;
  const n = values.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) nullCount++;
    else bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  }
  return { bitmap: nullCount === 0 ? undefined : bitmap, nullCount };
}

function build(shape: ColumnShape, values: Values): AnyData {
  const type = shape.field.type as DataType;
  const length = values.length;
  const { bitmap, nullCount } = validity(values);
  const base = { type, length, nullCount, ...(bitmap ? { nullBitmap: bitmap } : {}) } as Record<
    string,
    unknown
  >;
  const T = arrow.Type;
  switch (type.typeId) {
    case T.Bool: {
      const data = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++)
        if (values[i] === true) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
      return arrow.makeData({ ...base, data } as never);
    }
    case T.Int:
    case T.Float: {
      const ArrayType = (
        type as unknown as { ArrayType: new (n: number) => ArrayLike<unknown> & Record<number, unknown> }
      ).ArrayType;
      if (values instanceof ArrayType) return arrow.makeData({ ...base, data: values } as never);
      const data = new ArrayType(length);
      const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
      if (shape.leaf === 'float16' || !big) {
        for (let i = 0; i < length; i++) {
          const v = values[i];
          if (v !== null && v !== undefined) data[i] = Number(v);
        }
      } else {
        for (let i = 0; i < length; i++) {
          const v = values[i];
          if (v !== null && v !== undefined) data[i] = BigInt(v as bigint);
        }
      }
      return arrow.makeData({ ...base, data } as never);
    }
    case T.Date: {
      const data = new Int32Array(length);
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) data[i] = Number(v);
      }
      return arrow.makeData({ ...base, data } as never);
    }
    case T.Time:
    case T.Timestamp: {
      const data = new BigInt64Array(length);
      const leaf = shape.leaf;
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        const b = BigInt(v as bigint | number);
        data[i] = leaf === 'time-millis' ? b * 1000n : leaf === 'time-nanos' ? b / 1000n : b;
      }
      return arrow.makeData({ ...base, data } as never);
    }
    case T.Decimal: {
      const data = new Uint32Array(length * 4);
      // Two 64-bit lanes per value: the unscaled int64 (or int32) goes in the low lane, its sign in the high one.
      const lanes = new BigInt64Array(data.buffer);
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) {
          lanes[i * 2] = v;
          lanes[i * 2 + 1] = v < 0n ? -1n : 0n;
        } else if (typeof v === 'number') {
          data[i * 4] = v >>> 0;
          const fill = v < 0 ? 0xffffffff : 0;
          data[i * 4 + 1] = fill;
          data[i * 4 + 2] = fill;
          data[i * 4 + 3] = fill;
        } else {
          let b = decimalToBigInt(v);
          for (let w = 0; w < 4; w++) {
            data[i * 4 + w] = Number(b & 0xffffffffn);
            b >>= 32n;
          }
        }
      }
      return arrow.makeData({ ...base, data } as never);
    }
    case T.Utf8:
    case T.Binary: {
      const parts: Uint8Array[] = new Array(length);
      const valueOffsets = new Int32Array(length + 1);
      let total = 0;
      for (let i = 0; i < length; i++) {
        const v = values[i];
        let bytes: Uint8Array;
        if (v === null || v === undefined) bytes = EMPTY;
        else if (v instanceof Uint8Array) bytes = v;
        else if (typeof v === 'string') bytes = encoder.encode(v);
        else bytes = encoder.encode(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
        parts[i] = bytes;
        total += bytes.byteLength;
        valueOffsets[i + 1] = total;
      }
      const data = new Uint8Array(total);
      for (let i = 0; i < length; i++) data.set(parts[i] as Uint8Array, valueOffsets[i] as number);
      return arrow.makeData({ ...base, valueOffsets, data } as never);
    }
    case T.List: {
      const item = shape.children[0] as ColumnShape;
      const valueOffsets = new Int32Array(length + 1);
      const flat: unknown[] = [];
      for (let i = 0; i < length; i++) {
        const v = values[i] as ArrayLike<unknown> | null | undefined;
        if (v !== null && v !== undefined) for (let j = 0; j < v.length; j++) flat.push(v[j]);
        valueOffsets[i + 1] = flat.length;
      }
      return arrow.makeData({ ...base, valueOffsets, child: build(item, flat) } as never);
    }
    case T.Struct: {
      const children = shape.children.map((child) => {
        const name = child.field.name;
        const column = new Array(length);
        for (let i = 0; i < length; i++) {
          const v = values[i] as Record<string, unknown> | null | undefined;
          column[i] = v === null || v === undefined ? null : v[name];
        }
        return build(child, column);
      });
      return arrow.makeData({ ...base, children } as never);
    }
    default:
      throw new Error(`no Arrow conversion for ${String(type)}`);
  }
}

const EMPTY = new Uint8Array(0);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A decimal's unscaled value from what the decoder hands over: int32 number, int64 bigint, or big-endian two's-complement bytes. */
function decimalToBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (v instanceof Uint8Array) {
    let b = 0n;
    for (const byte of v) b = (b << 8n) | BigInt(byte);
    const bits = BigInt(v.byteLength * 8);
    if (v.byteLength > 0 && (v[0] as number) & 0x80) b -= 1n << bits;
    return b;
  }
  return BigInt(String(v));
}
