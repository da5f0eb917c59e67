/**
 * Column builders that turn driver rows into Arrow record batches without
 * going through arrow-js's generic builders (which cost several times more
 * per value). Each builder takes values already decoded to the form named
 * below and produces one Arrow `Data`.
 *
 * | ScalarType | value appended |
 * | --- | --- |
 * | bool | boolean |
 * | int8…int32, uint8…uint32, float32/64 | number |
 * | int64, uint64 | bigint |
 * | decimal | bigint, the unscaled value |
 * | utf8 | string |
 * | binary | Uint8Array |
 * | date | number, days since 1970-01-01 |
 * | time, timestamp | bigint, microseconds |
 *
 * Used by the SQL connectors that decode driver rows (MySQL, Snowflake).
 */
import {
  arrow,
  type DataType,
  type Field,
  type RecordBatch,
  recordBatch,
  type ScalarType,
  type Schema,
  toArrowType,
} from '@spoke/core';

/** A value a {@link ColumnBuilder} appends: what a driver hands back for one cell. */
export type ColumnValue = boolean | number | bigint | string | Uint8Array | null;

/** Accumulates one column's values. */
export interface ColumnBuilder {
  append(value: ColumnValue): void;
  /** The Arrow data for the values appended since the last call, and a reset. */
  flush(): ReturnType<typeof arrow.makeData>;
}

class Validity {
  bits = new Uint8Array(1024);
  nulls = 0;
  set(i: number, valid: boolean): void {
    if (i >> 3 >= this.bits.length) {
      const next = new Uint8Array(this.bits.length * 2);
      next.set(this.bits);
      this.bits = next;
    }
    if (valid) this.bits[i >> 3]! |= 1 << (i & 7);
    else this.nulls++;
  }
  take(length: number): Uint8Array | undefined {
    const out = this.nulls ? this.bits.slice(0, (length + 7) >> 3) : undefined;
    this.bits = new Uint8Array(Math.max(1024, this.bits.length));
    this.nulls = 0;
    return out;
  }
}

type TypedArrayCtor =
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

class FixedBuilder implements ColumnBuilder {
  values: ArrayLike<number | bigint> & {
    [i: number]: number | bigint;
    length: number;
    set(a: ArrayLike<number | bigint>): void;
  };
  length = 0;
  readonly validity = new Validity();
  constructor(
    readonly type: DataType,
    readonly ctor: TypedArrayCtor,
    readonly zero: number | bigint,
  ) {
    this.values = new ctor(1024) as never;
  }
  append(value: ColumnValue): void {
    if (this.length >= this.values.length) {
      const next = new this.ctor(this.values.length * 2) as never as typeof this.values;
      next.set(this.values as never);
      this.values = next;
    }
    this.validity.set(this.length, value !== null);
    this.values[this.length++] = value === null ? this.zero : (value as number | bigint);
  }
  flush() {
    const length = this.length;
    const data = arrow.makeData({
      type: this.type as never,
      length,
      nullCount: this.validity.nulls,
      data: (this.values as unknown as { slice(a: number, b: number): never }).slice(0, length),
      nullBitmap: this.validity.take(length),
    } as never);
    this.length = 0;
    return data;
  }
}

class BoolBuilder implements ColumnBuilder {
  bits = new Uint8Array(128);
  length = 0;
  readonly validity = new Validity();
  append(value: ColumnValue): void {
    if (this.length >> 3 >= this.bits.length) {
      const next = new Uint8Array(this.bits.length * 2);
      next.set(this.bits);
      this.bits = next;
    }
    this.validity.set(this.length, value !== null);
    if (value) this.bits[this.length >> 3]! |= 1 << (this.length & 7);
    this.length++;
  }
  flush() {
    const length = this.length;
    const data = arrow.makeData({
      type: new arrow.Bool(),
      length,
      nullCount: this.validity.nulls,
      data: this.bits.slice(0, (length + 7) >> 3),
      nullBitmap: this.validity.take(length),
    });
    this.bits = new Uint8Array(128);
    this.length = 0;
    return data;
  }
}

const encoder = new TextEncoder();

class VarBuilder implements ColumnBuilder {
  offsets = new Int32Array(1025);
  bytes = new Uint8Array(16_384);
  byteLength = 0;
  length = 0;
  readonly validity = new Validity();
  constructor(readonly utf8: boolean) {}
  #reserve(extra: number): void {
    if (this.byteLength + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.byteLength + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.byteLength));
    this.bytes = next;
  }
  append(value: ColumnValue): void {
    if (this.length + 1 >= this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    this.validity.set(this.length, value !== null);
    if (value !== null) {
      if (typeof value === 'string') {
        // At most 3 bytes per UTF-16 unit.
        this.#reserve(value.length * 3);
        this.byteLength += encoder.encodeInto(value, this.bytes.subarray(this.byteLength)).written;
      } else {
        const b = value as Uint8Array;
        this.#reserve(b.length);
        this.bytes.set(b, this.byteLength);
        this.byteLength += b.length;
      }
    }
    this.offsets[++this.length] = this.byteLength;
  }
  flush() {
    const length = this.length;
    const data = arrow.makeData({
      type: (this.utf8 ? new arrow.Utf8() : new arrow.Binary()) as never,
      length,
      nullCount: this.validity.nulls,
      valueOffsets: this.offsets.slice(0, length + 1),
      data: this.bytes.slice(0, this.byteLength),
      nullBitmap: this.validity.take(length),
    } as never);
    this.offsets = new Int32Array(Math.max(1025, this.offsets.length));
    this.byteLength = 0;
    this.length = 0;
    return data as ReturnType<typeof arrow.makeData>;
  }
}

const MASK32 = 0xffffffffn;

class DecimalBuilder implements ColumnBuilder {
  words = new Uint32Array(4 * 1024);
  length = 0;
  readonly validity = new Validity();
  constructor(readonly type: DataType) {}
  append(value: ColumnValue): void {
    if (this.length * 4 >= this.words.length) {
      const next = new Uint32Array(this.words.length * 2);
      next.set(this.words);
      this.words = next;
    }
    this.validity.set(this.length, value !== null);
    let v = value === null ? 0n : BigInt.asUintN(128, value as bigint);
    const at = this.length * 4;
    for (let w = 0; w < 4; w++) {
      this.words[at + w] = Number(v & MASK32);
      v >>= 32n;
    }
    this.length++;
  }
  flush() {
    const length = this.length;
    const data = arrow.makeData({
      type: this.type as never,
      length,
      nullCount: this.validity.nulls,
      data: this.words.slice(0, length * 4),
      nullBitmap: this.validity.take(length),
    } as never);
    this.length = 0;
    return data as ReturnType<typeof arrow.makeData>;
  }
}

/** A builder for values of `type` (see the table above for what to append). */
export function columnBuilder(type: ScalarType): ColumnBuilder {
  const arrowType = toArrowType(type);
  switch (type.id) {
    case 'bool':
      return new BoolBuilder();
    case 'int8':
      return new FixedBuilder(arrowType, Int8Array, 0);
    case 'int16':
      return new FixedBuilder(arrowType, Int16Array, 0);
    case 'int32':
      return new FixedBuilder(arrowType, Int32Array, 0);
    case 'int64':
      return new FixedBuilder(arrowType, BigInt64Array, 0n);
    case 'uint8':
      return new FixedBuilder(arrowType, Uint8Array, 0);
    case 'uint16':
      return new FixedBuilder(arrowType, Uint16Array, 0);
    case 'uint32':
      return new FixedBuilder(arrowType, Uint32Array, 0);
    case 'uint64':
      return new FixedBuilder(arrowType, BigUint64Array, 0n);
    case 'float32':
      return new FixedBuilder(arrowType, Float32Array, 0);
    case 'float64':
      return new FixedBuilder(arrowType, Float64Array, 0);
    case 'date':
      return new FixedBuilder(arrowType, Int32Array, 0);
    case 'time':
    case 'timestamp':
      return new FixedBuilder(arrowType, BigInt64Array, 0n);
    case 'decimal':
      return new DecimalBuilder(arrowType);
    case 'utf8':
    case 'interval':
      return new VarBuilder(true);
    case 'binary':
      return new VarBuilder(false);
    default:
      throw new Error(`no column builder for ${type.id}`);
  }
}

/** Builders for a whole schema, flushed together into record batches. */
export class BatchBuilder {
  readonly builders: ColumnBuilder[];
  rows = 0;

  constructor(
    readonly schema: Schema,
    types: readonly ScalarType[],
  ) {
    this.builders = types.map(columnBuilder);
  }

  /** The batch of the rows appended so far (each builder appended `rows` times), and a reset. */
  flush(): RecordBatch {
    const children = this.builders.map((b) => b.flush());
    const data = arrow.makeData({
      type: new arrow.Struct(this.schema.fields as Field[]),
      length: this.rows,
      nullCount: 0,
      children,
    });
    this.rows = 0;
    return recordBatch(this.schema, data);
  }
}

/** Parses exact decimal text (`-12.5`, `3`, `1e3` is refused) into its unscaled value at `scale`. */
export function unscaledDecimal(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const body = negative || text.startsWith('+') ? text.slice(1) : text;
  const [whole = '0', frac = ''] = body.split('.');
  const digits = `${whole}${frac.padEnd(scale, '0').slice(0, scale)}`;
  const v = BigInt(digits === '' ? '0' : digits);
  return negative ? -v : v;
}
