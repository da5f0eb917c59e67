/**
 * Row access and row selection on Arrow columns held in memory — what the
 * in-memory residual (`in-memory-residual.ts`) needs to join, order and
 * project a few source rows without DuckDB: the value of a row (as a join or
 * sort key) and a new column of chosen rows ("take").
 *
 * Only the types {@link takeableType} accepts are handled, each on its own
 * buffers (no per-value Vector calls): integers, dates in days, timestamps,
 * booleans and UTF-8 text.
 */
import { arrow, type DataType, type RecordBatch } from '@spoke/core';
import type { Bool, Data, Date_, Decimal, Float, Timestamp, Utf8 } from 'apache-arrow';

/** A key or sort value: integers as number (bigint for 64-bit), text as string; null for SQL NULL. */
export type RowValue = number | bigint | string | boolean | null;

/**
 * One column of a relation, as the chunks of its batches: row `r` of the
 * relation is row `r - starts[k]` of chunk `k`.
 */
export class ChunkedColumn {
  readonly chunks: readonly Data[];
  /** First relation row of each chunk, and the total at the end. */
  readonly starts: Int32Array;

  constructor(batches: readonly RecordBatch[], index: number) {
    this.chunks = batches.map((b) => b.data.children[index] as Data);
    this.starts = new Int32Array(this.chunks.length + 1);
    for (let k = 0; k < this.chunks.length; k++)
      this.starts[k + 1] = (this.starts[k] as number) + (this.chunks[k] as Data).length;
  }

  /** Rows over all chunks. */
  get length(): number {
    return this.starts[this.chunks.length] as number;
  }

  /** Every row's value, in row order. */
  values(): RowValue[] {
    const out: RowValue[] = new Array(this.length);
    let r = 0;
    for (const data of this.chunks) {
      const read = valueReader(data);
      for (let i = 0; i < data.length; i++) out[r++] = read(i);
    }
    return out;
  }
}

const T = arrow.Type;

/**
 * True for the Arrow types this file takes: those it also orders
 * ({@link orderableType}), 128-bit decimals and 32- and 64-bit floats
 * (carried bit for bit: NaN, ±Infinity and -0 included).
 */
export function takeableType(type: DataType): boolean {
  switch (type.typeId) {
    case T.Decimal:
      return (type as Decimal).bitWidth === 128;
    case T.Float:
      return (type as Float).precision !== arrow.Precision.HALF;
    default:
      return orderableType(type);
  }
}

/**
 * True for the Arrow types this file reads as values and orders: integers
 * of every width, `Date` in days, microsecond timestamps, booleans and UTF-8
 * text.
 */
export function orderableType(type: DataType): boolean {
  switch (type.typeId) {
    case T.Int:
    case T.Bool:
    case T.Utf8:
      return true;
    case T.Date:
      return (type as Date_).unit === arrow.DateUnit.DAY;
    case T.Timestamp:
      return (type as Timestamp).unit === arrow.TimeUnit.MICROSECOND;
    default:
      return false;
  }
}

const decoder = new TextDecoder();

/** Reads row `i` of one chunk (relative to its offset) as a {@link RowValue}. */
function valueReader(data: Data): (i: number) => RowValue {
  const offset = data.offset;
  const valid = (i: number) => data.nullCount === 0 || data.getValid(i);
  switch (data.type.typeId) {
    case T.Bool: {
      const bits = data.values as Uint8Array;
      return (i) =>
        valid(i) ? ((bits[(offset + i) >> 3] as number) & (1 << ((offset + i) & 7))) !== 0 : null;
    }
    case T.Utf8: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      return (i) =>
        valid(i)
          ? decoder.decode(bytes.subarray(offsets[offset + i] as number, offsets[offset + i + 1] as number))
          : null;
    }
    default: {
      // Integers, days, microseconds: one element per row (64-bit ones as bigint).
      const values = data.values as ArrayLike<number | bigint>;
      return (i) => (valid(i) ? (values[offset + i] as number | bigint) : null);
    }
  }
}

/**
 * A new column of `column`'s rows `rows` (relation row numbers, in output
 * order), of the same type.
 */
export function take(column: ChunkedColumn, rows: Int32Array): Data {
  const type = column.chunks[0]?.type as DataType;
  const n = rows.length;
  const single = column.chunks.length === 1 ? (column.chunks[0] as Data) : undefined;
  // Where each output row comes from: its chunk and its row there.
  const chunkOf = new Int32Array(n);
  const rowOf = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const r = rows[j] as number;
    if (single) {
      rowOf[j] = r;
      continue;
    }
    let k = 0;
    while (r >= (column.starts[k + 1] as number)) k++;
    chunkOf[j] = k;
    rowOf[j] = r - (column.starts[k] as number);
  }
  const chunk = (j: number) => single ?? (column.chunks[chunkOf[j] as number] as Data);
  let nullCount = 0;
  const nullBitmap = new Uint8Array((n + 7) >> 3);
  for (let j = 0; j < n; j++) {
    const data = chunk(j);
    if (data.nullCount === 0 || data.getValid(rowOf[j] as number)) nullBitmap[j >> 3]! |= 1 << (j & 7);
    else nullCount++;
  }
  const validity = nullCount > 0 ? { nullCount, nullBitmap } : { nullCount: 0 };
  switch (type.typeId) {
    case T.Bool: {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let j = 0; j < n; j++) {
        const data = chunk(j);
        const at = data.offset + (rowOf[j] as number);
        if (((data.values as Uint8Array)[at >> 3]! & (1 << (at & 7))) !== 0) bits[j >> 3]! |= 1 << (j & 7);
      }
      return arrow.makeData({ type: type as Bool, length: n, data: bits, ...validity });
    }
    case T.Utf8: {
      let total = 0;
      for (let j = 0; j < n; j++) {
        const data = chunk(j);
        const at = data.offset + (rowOf[j] as number);
        const offsets = data.valueOffsets as Int32Array;
        total += (offsets[at + 1] as number) - (offsets[at] as number);
      }
      const valueOffsets = new Int32Array(n + 1);
      const bytes = new Uint8Array(total);
      let end = 0;
      for (let j = 0; j < n; j++) {
        const data = chunk(j);
        const at = data.offset + (rowOf[j] as number);
        const offsets = data.valueOffsets as Int32Array;
        const from = offsets[at] as number;
        const to = offsets[at + 1] as number;
        bytes.set((data.values as Uint8Array).subarray(from, to), end);
        end += to - from;
        valueOffsets[j + 1] = end;
      }
      return arrow.makeData({ type: type as Utf8, length: n, valueOffsets, data: bytes, ...validity });
    }
    default: {
      // `stride` elements per row (four 32-bit words for a decimal, one otherwise), into a typed array of the
      // column's own kind.
      const stride = type.typeId === T.Decimal ? 4 : 1;
      const first = (single ?? column.chunks[0]) as Data;
      const Kind = (first.values as { constructor: new (n: number) => ArrayLike<number | bigint> })
        .constructor;
      const values = new Kind(n * stride) as unknown as { [i: number]: number | bigint };
      for (let j = 0; j < n; j++) {
        const data = chunk(j);
        const from = (data.offset + (rowOf[j] as number)) * stride;
        const source = data.values as ArrayLike<number | bigint>;
        for (let w = 0; w < stride; w++) values[j * stride + w] = source[from + w] as number | bigint;
      }
      return arrow.makeData({ type, length: n, data: values, ...validity } as never) as Data;
    }
  }
}

/**
 * Orders two non-null {@link RowValue}s of one column: numbers and bigints
 * by value, booleans false first, text by Unicode code point — the order of
 * its UTF-8 bytes, which is how DuckDB compares text without a collation
 * (JavaScript's `<` compares UTF-16 units, which puts U+E000–U+FFFF after
 * the characters beyond U+FFFF).
 */
export function compareValues(a: RowValue, b: RowValue): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  // biome-ignore lint/suspicious/noExplicitAny: numbers, bigints and booleans compare with < across kinds.
  return (a as any) < (b as any) ? -1 : (a as any) > (b as any) ? 1 : 0;
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–U+DFFF) stand for code points above U+FFFF: move them above U+E000–U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
