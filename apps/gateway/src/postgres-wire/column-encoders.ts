/**
 * Encoders from one Arrow column (a `Data` chunk) to DataRow field values, in
 * PostgreSQL's text format and, for the types drivers commonly request it
 * for, the binary format.
 *
 * Why raw buffers instead of `vector.get(i)`: arrow-js converts timestamps to
 * JS milliseconds (losing microseconds) and decimals to word arrays; reading
 * the stored integers keeps every value exact and avoids an object per value.
 * Note that arrow-js slices the value and offset buffers of a sliced `Data`,
 * so only the validity bitmap (and bit-packed booleans) need `data.offset`.
 */

import type { DataType } from '@spoke/core';
import { arrow } from '@spoke/core';
import type { ByteBuffer } from './byte-buffer.js';
import {
  formatBytea,
  formatDate,
  formatDecimal,
  formatFloat,
  formatInterval,
  formatTime,
  formatTimestamp,
  formatUuid,
  quoteArrayElement,
} from './pg-text.js';
import { ELEMENT_OF, type PgColumnType, PgOid } from './pg-types.js';
import { textToBinary } from './text-to-binary.js';

/** The subset of arrow-js `Data` the encoders read. */
export interface ColumnData {
  readonly type: DataType;
  readonly length: number;
  readonly offset: number;
  readonly nullCount: number;
  readonly nullBitmap: Uint8Array | undefined;
  readonly values: ArrayLike<number> &
    ArrayLike<bigint> & { subarray(start: number, end: number): Uint8Array };
  readonly valueOffsets: Int32Array | BigInt64Array;
  readonly children: ColumnData[];
  readonly dictionary?: { readonly data: readonly ColumnData[] };
  getValid(index: number): boolean;
}

/** Text of row `i`, or null for SQL NULL. */
type Formatter = (i: number) => string | null;

/** Writes row `i` as a DataRow field: int32 length (-1 for NULL) and bytes. */
export type FieldWriter = (out: ByteBuffer, i: number) => void;

const TIME_UNIT_TO_MICROS = [1_000_000n, 1_000n, 1n, 0n] as const;

function toMicros(value: bigint, unitIndex: number): bigint {
  return unitIndex === 3 ? value / 1000n : value * TIME_UNIT_TO_MICROS[unitIndex as 0 | 1 | 2];
}

function nullAware(data: ColumnData, format: (i: number) => string): Formatter {
  if (data.nullCount === 0) return format;
  return (i) => (data.getValid(i) ? format(i) : null);
}

function readDecimal(words: ArrayLike<number>, stride: number, i: number): bigint {
  let value = 0n;
  for (let w = stride - 1; w >= 0; w--) value = (value << 32n) | BigInt(words[i * stride + w]! >>> 0);
  const bits = BigInt(stride * 32);
  if (words[i * stride + stride - 1]! & 0x80000000) value -= 1n << bits;
  return value;
}

/** The text formatter for one column chunk. */
export function textFormatter(data: ColumnData, pg: PgColumnType): Formatter {
  const t = arrow.Type;
  const type = data.type as unknown as Record<string, unknown> & { typeId: number };
  const values = data.values;
  switch (type.typeId) {
    case t.Bool:
      return nullAware(data, (i) => {
        const bit = data.offset + i;
        return (values[bit >> 3] as number) & (1 << (bit & 7)) ? 't' : 'f';
      });
    case t.Int:
      return nullAware(data, (i) => String(values[i]));
    case t.Float:
      return type.precision === arrow.Precision.DOUBLE
        ? nullAware(data, (i) => formatFloat(values[i] as number, false))
        : type.precision === arrow.Precision.SINGLE
          ? nullAware(data, (i) => formatFloat(values[i] as number, true))
          : nullAware(data, (i) => formatFloat(arrow.util.uint16ToFloat64(values[i] as number), true));
    case t.Decimal: {
      const stride = ((type.bitWidth as number | undefined) ?? 128) / 32;
      const scale = type.scale as number;
      return nullAware(data, (i) =>
        formatDecimal(readDecimal(values as ArrayLike<number>, stride, i), scale),
      );
    }
    case t.Utf8:
    case t.LargeUtf8: {
      const decoder = new TextDecoder();
      const offsets = data.valueOffsets;
      return nullAware(data, (i) =>
        decoder.decode(values.subarray(Number(offsets[i]), Number(offsets[i + 1]))),
      );
    }
    case t.Binary:
    case t.LargeBinary: {
      const offsets = data.valueOffsets;
      return nullAware(data, (i) => formatBytea(values.subarray(Number(offsets[i]), Number(offsets[i + 1]))));
    }
    case t.FixedSizeBinary: {
      const width = type.byteWidth as number;
      const format = pg.oid === PgOid.uuid ? formatUuid : formatBytea;
      return nullAware(data, (i) => format(values.subarray(i * width, (i + 1) * width)));
    }
    case t.Date:
      // DateDay stores days; DateMillisecond stores milliseconds as int64.
      return type.unit === arrow.DateUnit.DAY
        ? nullAware(data, (i) => formatDate(values[i] as number))
        : nullAware(data, (i) => formatDate(Math.floor(Number(values[i]) / 86_400_000)));
    case t.Time: {
      const unitIndex = type.unit as number;
      return nullAware(data, (i) => formatTime(toMicros(BigInt(values[i] as number | bigint), unitIndex)));
    }
    case t.Timestamp: {
      const unitIndex = type.unit as number;
      const withZone = Boolean(type.timezone);
      return nullAware(data, (i) => {
        const raw = values[i] as bigint;
        // Keep DuckDB's ±infinity sentinels intact whatever the unit.
        const micros =
          raw >= 9223372036854775807n || raw <= -9223372036854775807n ? raw : toMicros(raw, unitIndex);
        return formatTimestamp(micros, withZone);
      });
    }
    case t.Duration: {
      const unitIndex = type.unit as number;
      return nullAware(data, (i) => formatInterval(0, 0, toMicros(values[i] as bigint, unitIndex)));
    }
    case t.Interval: {
      const words = values as ArrayLike<number>;
      if (type.unit === arrow.IntervalUnit.YEAR_MONTH)
        return nullAware(data, (i) => formatInterval(words[i]!, 0, 0n));
      if (type.unit === arrow.IntervalUnit.DAY_TIME) {
        return nullAware(data, (i) => formatInterval(0, words[2 * i]!, BigInt(words[2 * i + 1]!) * 1000n));
      }
      // MONTH_DAY_NANO: int32 months, int32 days, int64 nanoseconds, little-endian.
      return nullAware(data, (i) => {
        const nanos = (BigInt(words[4 * i + 3]! | 0) << 32n) | BigInt(words[4 * i + 2]! >>> 0);
        return formatInterval(words[4 * i]! | 0, words[4 * i + 1]! | 0, nanos / 1000n);
      });
    }
    case t.List:
    case t.FixedSizeList: {
      const child = data.children[0]!;
      const element = textFormatter(child, pg.element ?? pg);
      const nested = child.type.typeId === t.List || child.type.typeId === t.FixedSizeList;
      const offsets = data.valueOffsets;
      const size = type.typeId === t.FixedSizeList ? (type.listSize as number) : 0;
      return nullAware(data, (i) => {
        const start = size ? i * size : Number(offsets[i]);
        const end = size ? start + size : Number(offsets[i + 1]);
        const items: string[] = [];
        for (let j = start; j < end; j++) {
          const text = element(j);
          items.push(text === null ? 'NULL' : nested ? text : quoteArrayElement(text));
        }
        return `{${items.join(',')}}`;
      });
    }
    case t.Dictionary: {
      const dictionary = data.dictionary?.data[0];
      if (!dictionary) return () => null;
      const dictionaryText = textFormatter(dictionary, pg);
      return (i) => (data.nullCount > 0 && !data.getValid(i) ? null : dictionaryText(Number(values[i])));
    }
    case t.Null:
      return () => null;
    default: {
      // Structs, maps, unions: JSON through arrow-js's own accessors.
      const vector = arrow.makeVector(data as unknown as Parameters<typeof arrow.makeVector>[0]);
      return nullAware(data, (i) =>
        JSON.stringify(vector.get(i), (_key, value: unknown) =>
          typeof value === 'bigint' ? value.toString() : value,
        ),
      );
    }
  }
}

/** The DataRow writer for one column chunk in text format. */
export function textWriter(data: ColumnData, pg: PgColumnType): FieldWriter {
  const t = arrow.Type;
  if (data.type.typeId === t.Utf8 || data.type.typeId === t.LargeUtf8) {
    // Text is already UTF-8 in the Arrow buffer: copy it without decoding.
    const values = data.values;
    const offsets = data.valueOffsets;
    const hasNulls = data.nullCount > 0;
    return (out, i) => {
      if (hasNulls && !data.getValid(i)) return out.int32(-1);
      const start = Number(offsets[i]);
      const end = Number(offsets[i + 1]);
      out.int32(end - start);
      out.bytes(values as unknown as Uint8Array, start, end);
    };
  }
  const format = textFormatter(data, pg);
  return (out, i) => {
    const text = format(i);
    if (text === null) out.int32(-1);
    else out.lengthPrefixedText(text);
  };
}

const PG_EPOCH_DAYS = 10957;
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/**
 * The DataRow writer for one column chunk in binary format. Every column
 * Spoke sends has one: psycopg 3 reads the format of the first column and
 * applies it to all, so a column quietly sent as text next to a binary one
 * would be decoded as garbage.
 */
export function binaryWriter(data: ColumnData, pg: PgColumnType): FieldWriter {
  return directBinaryWriter(data, pg) ?? binaryFromText(data, pg);
}

/** The binary writer that reads Arrow's buffers directly, for the common types. */
function directBinaryWriter(data: ColumnData, pg: PgColumnType): FieldWriter | undefined {
  const t = arrow.Type;
  const type = data.type as unknown as Record<string, unknown> & { typeId: number };
  const values = data.values;
  const hasNulls = data.nullCount > 0;
  const field =
    (size: number, write: (out: ByteBuffer, i: number) => void): FieldWriter =>
    (out, i) => {
      if (hasNulls && !data.getValid(i)) return out.int32(-1);
      out.int32(size);
      write(out, i);
    };
  if (type.typeId === t.Dictionary) {
    const dictionary = data.dictionary?.data[0];
    if (!dictionary) return (out) => out.int32(-1);
    const inner = binaryWriter(dictionary, pg);
    return (out, i) => {
      if (hasNulls && !data.getValid(i)) return out.int32(-1);
      inner(out, Number(values[i]));
    };
  }
  if (type.typeId === t.Null) return (out) => out.int32(-1);
  switch (pg.oid) {
    case PgOid.bool:
      return type.typeId === t.Bool
        ? field(1, (out, i) => {
            const bit = data.offset + i;
            out.byte((values[bit >> 3] as number) & (1 << (bit & 7)) ? 1 : 0);
          })
        : undefined;
    case PgOid.int2:
      return type.typeId === t.Int ? field(2, (out, i) => out.int16(Number(values[i]))) : undefined;
    case PgOid.int4:
    case PgOid.oid:
      return type.typeId === t.Int ? field(4, (out, i) => out.int32(Number(values[i]) | 0)) : undefined;
    case PgOid.int8:
      return type.typeId === t.Int
        ? field(8, (out, i) => out.int64(BigInt(values[i] as number | bigint)))
        : undefined;
    case PgOid.float4:
      if (type.typeId !== t.Float) return undefined;
      return type.precision === arrow.Precision.HALF
        ? field(4, (out, i) => out.float32(arrow.util.uint16ToFloat64(values[i] as number)))
        : field(4, (out, i) => out.float32(values[i] as number));
    case PgOid.float8:
      return type.typeId === t.Float && type.precision === arrow.Precision.DOUBLE
        ? field(8, (out, i) => out.float64(values[i] as number))
        : undefined;
    case PgOid.text:
    case PgOid.varchar:
    case PgOid.bpchar:
    case PgOid.name:
    case PgOid.json:
    case PgOid.bytea: {
      if (type.typeId === t.FixedSizeBinary) {
        const width = type.byteWidth as number;
        return field(width, (out, i) =>
          out.bytes(values as unknown as Uint8Array, i * width, (i + 1) * width),
        );
      }
      const variable = [t.Utf8, t.LargeUtf8, t.Binary, t.LargeBinary] as number[];
      if (!variable.includes(type.typeId)) return undefined;
      const offsets = data.valueOffsets;
      return (out, i) => {
        if (hasNulls && !data.getValid(i)) return out.int32(-1);
        const start = Number(offsets[i]);
        const end = Number(offsets[i + 1]);
        out.int32(end - start);
        out.bytes(values as unknown as Uint8Array, start, end);
      };
    }
    case PgOid.uuid:
      return type.typeId === t.FixedSizeBinary
        ? field(16, (out, i) => out.bytes(values as unknown as Uint8Array, i * 16, (i + 1) * 16))
        : undefined;
    case PgOid.date:
      if (type.typeId !== t.Date) return undefined;
      return type.unit === arrow.DateUnit.DAY
        ? field(4, (out, i) => out.int32((values[i] as number) - PG_EPOCH_DAYS))
        : field(4, (out, i) => out.int32(Math.floor(Number(values[i]) / 86_400_000) - PG_EPOCH_DAYS));
    case PgOid.timestamp:
    case PgOid.timestamptz: {
      if (type.typeId !== t.Timestamp) return undefined;
      const unitIndex = type.unit as number;
      return field(8, (out, i) => {
        const raw = values[i] as bigint;
        if (raw >= 9223372036854775807n || raw <= -9223372036854775807n) return out.int64(raw);
        out.int64(toMicros(raw, unitIndex) - PG_EPOCH_MICROS);
      });
    }
    case PgOid.time: {
      if (type.typeId !== t.Time) return undefined;
      const unitIndex = type.unit as number;
      return field(8, (out, i) => out.int64(toMicros(BigInt(values[i] as number | bigint), unitIndex)));
    }
    case PgOid.interval:
      return intervalWriter(data, field);
    default:
      return ELEMENT_OF.has(pg.oid) ? arrayWriter(data, pg) : undefined;
  }
}

/** interval: int64 microseconds, int32 days, int32 months. */
function intervalWriter(
  data: ColumnData,
  field: (size: number, write: (out: ByteBuffer, i: number) => void) => FieldWriter,
): FieldWriter | undefined {
  const t = arrow.Type;
  const type = data.type as unknown as Record<string, unknown> & { typeId: number };
  const interval = (out: ByteBuffer, micros: bigint, days: number, months: number) => {
    out.int64(micros);
    out.int32(days);
    out.int32(months);
  };
  if (type.typeId === t.Duration) {
    const unitIndex = type.unit as number;
    return field(16, (out, i) => interval(out, toMicros(data.values[i] as bigint, unitIndex), 0, 0));
  }
  if (type.typeId !== t.Interval) return undefined;
  const words = data.values as ArrayLike<number>;
  if (type.unit === arrow.IntervalUnit.YEAR_MONTH)
    return field(16, (out, i) => interval(out, 0n, 0, words[i]!));
  if (type.unit === arrow.IntervalUnit.DAY_TIME) {
    return field(16, (out, i) => interval(out, BigInt(words[2 * i + 1]!) * 1000n, words[2 * i]!, 0));
  }
  return field(16, (out, i) => {
    const nanos = (BigInt(words[4 * i + 3]! | 0) << 32n) | BigInt(words[4 * i + 2]! >>> 0);
    interval(out, nanos / 1000n, words[4 * i + 1]! | 0, words[4 * i]! | 0);
  });
}

/**
 * PostgreSQL's binary array: int32 dimensions, int32 has-nulls, int32 element
 * OID, per dimension int32 size and int32 lower bound (1), then the elements
 * as length-prefixed binary values. Nested lists are the dimensions of one
 * array, as in PostgreSQL (sized by their first element at each level).
 */
function arrayWriter(data: ColumnData, pg: PgColumnType): FieldWriter | undefined {
  const t = arrow.Type;
  const isList = (d: ColumnData) => d.type.typeId === t.List || d.type.typeId === t.FixedSizeList;
  if (!isList(data)) return undefined;
  const levels: ColumnData[] = [];
  for (let level: ColumnData = data; isList(level); level = level.children[0]!) levels.push(level);
  const leaf = levels[levels.length - 1]!.children[0]!;
  const element = binaryWriter(leaf, pg.element ?? pg);
  const range = (d: ColumnData, i: number): [number, number] => {
    if (d.type.typeId === t.FixedSizeList) {
      const size = (d.type as unknown as { listSize: number }).listSize;
      return [i * size, (i + 1) * size];
    }
    return [Number(d.valueOffsets[i]), Number(d.valueOffsets[i + 1])];
  };
  const elementOid = (pg.element ?? pg).oid;
  return (out, i) => {
    if (data.nullCount > 0 && !data.getValid(i)) return out.int32(-1);
    // The dimensions, following the first element at each level.
    const dims: number[] = [];
    let ranges: [number, number][] = [range(data, i)];
    for (let l = 0; l < levels.length; l++) {
      const [start, end] = ranges[0]!;
      dims.push(end - start);
      if (l + 1 < levels.length) {
        const next: [number, number][] = [];
        for (const [s, e] of ranges) for (let j = s; j < e; j++) next.push(range(levels[l + 1]!, j));
        ranges = next;
      }
    }
    const at = out.length;
    out.int32(0);
    const empty = dims.includes(0);
    out.int32(empty ? 0 : dims.length);
    const nullsAt = out.length;
    out.int32(0);
    out.int32(elementOid);
    if (!empty) {
      for (const dim of dims) {
        out.int32(dim);
        out.int32(1);
      }
      let hasNull = false;
      for (const [s, e] of ranges) {
        for (let j = s; j < e; j++) {
          if (leaf.nullCount > 0 && !leaf.getValid(j)) hasNull = true;
          element(out, j);
        }
      }
      if (hasNull) out.setInt32(nullsAt, 1);
    }
    out.setInt32(at, out.length - at - 4);
  };
}

/**
 * Everything else (numeric, jsonb, uuid carried as text, the JSON of structs
 * and maps, text-typed odd columns): the text form, converted to the binary
 * form of the type RowDescription names.
 */
function binaryFromText(data: ColumnData, pg: PgColumnType): FieldWriter {
  const format = textFormatter(data, pg);
  const encode = textToBinary(pg.oid);
  return (out, i) => {
    const text = format(i);
    if (text === null) return out.int32(-1);
    const bytes = encode(text);
    out.int32(bytes.length);
    out.bytes(bytes);
  };
}
