import {
  arrow,
  type DataType,
  ErrorCode,
  type ScalarType,
  type ScalarValue,
  SpokeError,
  toArrowType,
} from '@spoke/core';
import type { Data } from 'apache-arrow';
import { isoToDays, isoToMicros } from './temporal.js';

/**
 * Builds one Arrow column from IR-style values (see `ScalarValue` for how
 * each type is carried). Written against Arrow's buffers directly rather
 * than arrow-js builders, whose decimal and timestamp handling loses
 * precision (timestamps go through milliseconds).
 */
export function arrowDataFromScalars(type: ScalarType, values: readonly ScalarValue[]): Data {
  const arrowType: DataType = toArrowType(type);
  const length = values.length;
  const validity = new Uint8Array(Math.ceil(length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) nullCount++;
    else validity[i >> 3]! |= 1 << (i & 7);
  });
  const nullBitmap = nullCount ? validity : undefined;
  const common = { type: arrowType, length, nullCount, ...(nullBitmap ? { nullBitmap } : {}) };
  switch (type.id) {
    case 'bool': {
      const bits = new Uint8Array(Math.ceil(length / 8));
      values.forEach((v, i) => {
        if (v === true) bits[i >> 3]! |= 1 << (i & 7);
      });
      return arrow.makeData({ ...common, data: bits } as never);
    }
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'float32':
    case 'float64': {
      const Ctor = {
        int8: Int8Array,
        int16: Int16Array,
        int32: Int32Array,
        uint8: Uint8Array,
        uint16: Uint16Array,
        uint32: Uint32Array,
        float32: Float32Array,
        float64: Float64Array,
      }[type.id];
      const data = new Ctor(length);
      values.forEach((v, i) => {
        if (v !== null) data[i] = Number(v);
      });
      return arrow.makeData({ ...common, data } as never);
    }
    case 'int64':
    case 'uint64': {
      const data = type.id === 'int64' ? new BigInt64Array(length) : new BigUint64Array(length);
      values.forEach((v, i) => {
        if (v !== null) data[i] = BigInt(v as number | bigint);
      });
      return arrow.makeData({ ...common, data } as never);
    }
    case 'decimal': {
      const data = new Uint32Array(length * 4);
      values.forEach((v, i) => {
        if (v !== null) writeInt128(data, i, decimalToUnscaled(String(v), type.scale));
      });
      return arrow.makeData({ ...common, data } as never);
    }
    case 'date': {
      const data = new Int32Array(length);
      values.forEach((v, i) => {
        if (v !== null) data[i] = isoToDays(String(v));
      });
      return arrow.makeData({ ...common, data } as never);
    }
    case 'timestamp': {
      const data = new BigInt64Array(length);
      values.forEach((v, i) => {
        if (v !== null) data[i] = isoToMicros(String(v));
      });
      return arrow.makeData({ ...common, data } as never);
    }
    case 'utf8':
    case 'binary': {
      const encoder = new TextEncoder();
      const parts = values.map((v) =>
        v === null ? new Uint8Array(0) : type.id === 'utf8' ? encoder.encode(String(v)) : (v as Uint8Array),
      );
      const valueOffsets = new Int32Array(length + 1);
      let total = 0;
      parts.forEach((p, i) => {
        total += p.length;
        valueOffsets[i + 1] = total;
      });
      const data = new Uint8Array(total);
      parts.forEach((p, i) => {
        data.set(p, valueOffsets[i]!);
      });
      return arrow.makeData({ ...common, valueOffsets, data } as never);
    }
    default:
      throw new SpokeError(ErrorCode.UNSUPPORTED, `cannot build an Arrow column of type ${type.id}`);
  }
}

/** The unscaled integer of a decimal text at `scale` (`"-1.5"`, scale 4 → `-15000n`). */
export function decimalToUnscaled(text: string, scale: number): bigint {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`not a decimal: ${text}`);
  const fraction = (m[3] ?? '').padEnd(scale, '0');
  if (fraction.length > scale && /[^0]/.test(fraction.slice(scale)))
    throw new Error(`${text} has more than ${scale} decimals`);
  const unscaled = BigInt(m[2]! + fraction.slice(0, scale));
  return m[1] ? -unscaled : unscaled;
}

/** Writes a signed 128-bit integer as four little-endian 32-bit words at slot `index`. */
function writeInt128(words: Uint32Array, index: number, value: bigint): void {
  let v = BigInt.asUintN(128, value);
  for (let w = 0; w < 4; w++) {
    words[index * 4 + w] = Number(v & 0xffffffffn);
    v >>= 32n;
  }
}
