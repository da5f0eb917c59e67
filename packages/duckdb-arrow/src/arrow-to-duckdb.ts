/**
 * Loads Arrow record batches into a DuckDB temporary table — the first half
 * of the engine's hot path (sources answer in Arrow, DuckDB runs the rest).
 *
 * Each batch is cut into data chunks of {@link VECTOR_SIZE} rows and handed to
 * DuckDB's appender. Chunk vectors are filled from the Arrow buffers directly:
 * fixed-width columns (integers, floats, dates, microsecond times and
 * timestamps, 128-bit decimals) with one `memcpy` per column per chunk, the
 * validity bitmap likewise; strings of up to 12 bytes are written inline into
 * DuckDB's 16-byte string slots in bulk, longer ones one call each (DuckDB must
 * own their bytes). Only types that need a conversion (booleans, narrower
 * decimals, other time units) go value by value, on typed arrays.
 */
import type { DuckDBAppender, DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { DuckDBDataChunk, DuckDBTypeId } from '@duckdb/node-api';
import type { Vector as DuckDBRawVector } from '@duckdb/node-bindings';
import type { DataType, Field, RecordBatch, Schema } from '@spoke/core';
import { arrow, ErrorCode, PG_TYPE_METADATA_KEY, SpokeError, throwIfAborted } from '@spoke/core';
import type { Data } from 'apache-arrow';
import { arrowToDuckDBType, listChild, quoteIdentifier } from './duckdb-type-mapping.js';
import {
  bitsFrom,
  duckdb,
  getBit,
  int32Array,
  int64Array,
  textEncoder,
  VECTOR_SIZE,
} from './vector-memory.js';

/** What {@link loadBatches} did. */
export interface LoadResult {
  /** Rows appended. */
  readonly rows: number;
}

/**
 * Writes `count` rows of an Arrow column, from its row `start` (relative to
 * the Data's own offset), into a DuckDB vector from its row 0.
 */
type ColumnWriter = (vector: DuckDBRawVector, data: Data, start: number, count: number) => void;

/** Where {@link loadBatches} creates its table. */
export interface LoadTarget {
  /**
   * `false`: a table of the database's `main` schema, which every connection
   * of the instance sees (a cache's), instead of the connection's own
   * temporary table. Default true.
   */
  readonly temporary?: boolean;
}

/**
 * Creates the temporary table `tableName` (or, with `target.temporary`
 * false, a table every connection sees) with the DuckDB types of `schema`'s
 * fields and appends every batch of `batches` to it.
 *
 * Batches must have `schema`'s columns in order. `signal` is checked between
 * data chunks; when it fires the load stops with
 * {@link ErrorCode.QUERY_CANCELLED}. On any failure the half-loaded table is
 * dropped, so the name can be reused.
 *
 * @param connection the connection whose temporary schema receives the table
 * @param tableName unquoted table name (quoted here)
 * @param schema the Arrow schema of the batches
 * @param batches the rows; iterated once
 * @param signal cancels the load
 * @param target where the table goes (default: the connection's temporary schema)
 */
export async function loadBatches(
  connection: DuckDBConnection,
  tableName: string,
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
  signal?: AbortSignal,
  target: LoadTarget = {},
): Promise<LoadResult> {
  throwIfAborted(signal);
  const fields = schema.fields as Field[];
  if (fields.length === 0) {
    throw new SpokeError(
      ErrorCode.UNSUPPORTED,
      `cannot load a table without columns into DuckDB (${tableName})`,
    );
  }
  const columns = fields.map((f) => arrowToDuckDBType(f.type));
  const temporary = target.temporary ?? true;
  const qualified = `${temporary ? 'temp.main' : 'main'}.${quoteIdentifier(tableName)}`;
  const ddl = `CREATE ${temporary ? 'TEMP ' : ''}TABLE ${qualified} (${fields
    .map((f, i) => `${quoteIdentifier(f.name)} ${columns[i]?.sql}`)
    .join(', ')})`;
  await connection.run(ddl);

  let appender: DuckDBAppender | undefined;
  let rows = 0;
  try {
    appender = temporary
      ? await connection.createAppender(tableName, 'main', 'temp')
      : await connection.createAppender(tableName, 'main');
    const types = columns.map((c) => c.type);
    const writers = fields.map((f, i) => makeWriter(f.type, types[i] as DuckDBType));
    const chunk = DuckDBDataChunk.create(types);
    const vectors = types.map((_, i) => duckdb.data_chunk_get_vector(chunk.chunk, i));
    for await (const batch of batches) {
      const columnData = batch.data.children as Data[];
      if (columnData.length !== fields.length) {
        throw new SpokeError(
          ErrorCode.INTERNAL,
          `batch for ${tableName} has ${columnData.length} columns, its schema ${fields.length}`,
        );
      }
      const batchRows = batch.numRows;
      for (let start = 0; start < batchRows; start += VECTOR_SIZE) {
        throwIfAborted(signal);
        const count = Math.min(VECTOR_SIZE, batchRows - start);
        // Reset returns every vector to all-valid and empties list children; it also zeroes the size.
        chunk.reset();
        chunk.rowCount = count;
        for (let c = 0; c < writers.length; c++) {
          (writers[c] as ColumnWriter)(vectors[c] as DuckDBRawVector, columnData[c] as Data, start, count);
        }
        appender.appendDataChunk(chunk);
        rows += count;
      }
    }
    throwIfAborted(signal);
    appender.flushSync();
    appender.closeSync();
    appender = undefined;
    for (const f of fields) await retypeTextColumn(connection, qualified, f);
    return { rows };
  } catch (error) {
    if (appender) {
      try {
        appender.clear();
        appender.closeSync();
      } catch {
        // The table is dropped below anyway.
      }
    }
    await connection.run(`DROP TABLE IF EXISTS ${qualified}`).catch(() => undefined);
    throw error;
  }
}

/**
 * Text that is a uuid, json or interval by its PostgreSQL type (field
 * metadata) becomes that DuckDB type once loaded, so the residual's answer
 * carries the type on (`duckdbColumnField`) and clients are told uuid, json
 * or interval rather than text. An interval column is converted only when
 * every value parses (PostgreSQL's output style, `-1 days +02:00:00`); one
 * DuckDB cannot hold (PostgreSQL's range is wider) keeps the column as text.
 */
async function retypeTextColumn(
  connection: DuckDBConnection,
  /** The table, qualified and quoted. */
  table: string,
  field: Field,
): Promise<void> {
  const pgType = field.metadata.get(PG_TYPE_METADATA_KEY);
  if (field.type.typeId !== arrow.Type.Utf8 || !pgType) return;
  const column = quoteIdentifier(field.name);
  if (pgType === 'uuid' || pgType === 'json') {
    await connection.run(`ALTER TABLE ${table} ALTER ${column} SET DATA TYPE ${pgType.toUpperCase()}`);
  } else if (pgType === 'interval') {
    // DuckDB reads PostgreSQL's interval text except a `+` before the time part.
    const parsed = `TRY_CAST(replace(${column}, '+', '') AS INTERVAL)`;
    const failing = await connection.run(
      `SELECT count(*) FROM ${table} WHERE ${column} IS NOT NULL AND ${parsed} IS NULL`,
    );
    if (Number((await failing.getRows())[0]?.[0] ?? 1) !== 0) return;
    await connection.run(`ALTER TABLE ${table} ALTER ${column} SET DATA TYPE INTERVAL USING ${parsed}`);
  }
}

/** Copies the Arrow validity of rows [start, start+count) into the vector's validity mask. */
function writeValidity(vector: DuckDBRawVector, data: Data, start: number, count: number): void {
  const bitmap = data.nullBitmap as Uint8Array | undefined;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return;
  const bits = bitsFrom(bitmap, data.offset + start, count);
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(
    vector,
    0,
    bits.buffer as ArrayBuffer,
    bits.byteOffset,
    bits.byteLength,
  );
}

/** The validity of rows [start, start+count) as a bitmap from bit 0, or null when all are valid. */
function validityBits(data: Data, start: number, count: number): Uint8Array | null {
  const bitmap = data.nullBitmap as Uint8Array | undefined;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return null;
  return bitsFrom(bitmap, data.offset + start, count);
}

/** Reusable scratch memory per writer, grown on demand (list children can exceed a chunk). */
class Scratch {
  private buffer = new ArrayBuffer(0);
  get(bytes: number): ArrayBuffer {
    if (this.buffer.byteLength < bytes)
      this.buffer = new ArrayBuffer(Math.max(bytes, this.buffer.byteLength * 2));
    return this.buffer;
  }
}

function copyBytes(
  vector: DuckDBRawVector,
  buffer: ArrayBufferLike,
  byteOffset: number,
  byteCount: number,
): void {
  if (byteCount > 0) duckdb.copy_data_to_vector(vector, 0, buffer as ArrayBuffer, byteOffset, byteCount);
}

/** Arrow values are indexed relative to the Data (arrow-js slices value buffers, not bitmaps). */
function fixedWriter(width: number): ColumnWriter {
  return (vector, data, start, count) => {
    const values = data.values as ArrayBufferView;
    copyBytes(vector, values.buffer, values.byteOffset + start * width, count * width);
    writeValidity(vector, data, start, count);
  };
}

function boolWriter(): ColumnWriter {
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const bits = data.values as Uint8Array;
    const out = new Uint8Array(scratch.get(count), 0, count);
    const first = data.offset + start;
    for (let i = 0; i < count; i++) out[i] = getBit(bits, first + i);
    copyBytes(vector, out.buffer, 0, count);
    writeValidity(vector, data, start, count);
  };
}

/** Half floats widen to FLOAT. */
function float16Writer(): ColumnWriter {
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const values = data.values as Uint16Array;
    const out = new Float32Array(scratch.get(count * 4), 0, count);
    for (let i = 0; i < count; i++) out[i] = halfToFloat(values[start + i] as number);
    copyBytes(vector, out.buffer, 0, count * 4);
    writeValidity(vector, data, start, count);
  };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Arrow's Decimal128 is always 16 bytes; DuckDB stores DECIMAL(p) in 2, 4, 8
 * or 16 bytes by precision. Narrowing keeps the low words (the value fits by
 * definition of the precision).
 */
function decimalWriter(precision: number): ColumnWriter {
  if (precision > 18) return fixedWriter(16);
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const values = data.values as ArrayBufferView;
    const src = int32Array(values, start * 16, count * 4);
    if (precision > 9) {
      const out = new Int32Array(scratch.get(count * 8), 0, count * 2);
      for (let i = 0; i < count; i++) {
        out[2 * i] = src[4 * i] as number;
        out[2 * i + 1] = src[4 * i + 1] as number;
      }
      copyBytes(vector, out.buffer, 0, count * 8);
    } else if (precision > 4) {
      const out = new Int32Array(scratch.get(count * 4), 0, count);
      for (let i = 0; i < count; i++) out[i] = src[4 * i] as number;
      copyBytes(vector, out.buffer, 0, count * 4);
    } else {
      const out = new Int16Array(scratch.get(count * 2), 0, count);
      for (let i = 0; i < count; i++) out[i] = src[4 * i] as number;
      copyBytes(vector, out.buffer, 0, count * 2);
    }
    writeValidity(vector, data, start, count);
  };
}

/** Floor division of 64-bit integers (BigInt division truncates toward zero). */
function floorDiv(value: bigint, divisor: bigint): bigint {
  const q = value / divisor;
  return value % divisor < 0n ? q - 1n : q;
}

/** int64 input scaled to int64 output: times and timestamps in other units than microseconds. */
function int64ScaledWriter(scale: (v: bigint) => bigint): ColumnWriter {
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const src = int64Array(data.values as ArrayBufferView, start * 8, count);
    const out = new BigInt64Array(scratch.get(count * 8), 0, count);
    for (let i = 0; i < count; i++) out[i] = scale(src[i] as bigint);
    copyBytes(vector, out.buffer, 0, count * 8);
    writeValidity(vector, data, start, count);
  };
}

/** int32 input widened to int64 microseconds: TimeSecond / TimeMillisecond. */
function int32ToMicrosWriter(factor: number): ColumnWriter {
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const src = int32Array(data.values as ArrayBufferView, start * 4, count);
    const result = new BigInt64Array(scratch.get(count * 8), 0, count);
    const scale = BigInt(factor);
    for (let i = 0; i < count; i++) result[i] = BigInt(src[i] as number) * scale;
    copyBytes(vector, result.buffer, 0, count * 8);
    writeValidity(vector, data, start, count);
  };
}

const MS_PER_DAY = 86_400_000n;

/** DateMillisecond (int64 ms) to DATE (int32 days). */
function dateMillisecondWriter(): ColumnWriter {
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const src = int64Array(data.values as ArrayBufferView, start * 8, count);
    const out = new Int32Array(scratch.get(count * 4), 0, count);
    for (let i = 0; i < count; i++) out[i] = Number(floorDiv(src[i] as bigint, MS_PER_DAY));
    copyBytes(vector, out.buffer, 0, count * 4);
    writeValidity(vector, data, start, count);
  };
}

/**
 * Writes DuckDB string slots: `{u32 length; 12 bytes inline}` when the value
 * has at most 12 bytes, else `{u32 length; 4-byte prefix; pointer}` into
 * memory DuckDB must own. Inline slots are built in JS and copied in one go;
 * long values go through `vector_assign_string_element_len`, after the bulk
 * copy so it does not overwrite them.
 */
function writeStringSlots(
  vector: DuckDBRawVector,
  count: number,
  scratch: Scratch,
  valueAt: (row: number) => Uint8Array | null,
): void {
  const slots = new Uint8Array(scratch.get(count * 16), 0, count * 16);
  slots.fill(0);
  const view = new DataView(slots.buffer, 0, count * 16);
  const longRows: number[] = [];
  const longValues: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const value = valueAt(i);
    if (value === null) continue;
    const length = value.length;
    if (length <= 12) {
      const at = i * 16;
      view.setUint32(at, length, true);
      for (let b = 0; b < length; b++) slots[at + 4 + b] = value[b] as number;
    } else {
      longRows.push(i);
      longValues.push(value);
    }
  }
  copyBytes(vector, slots.buffer, 0, count * 16);
  for (let k = 0; k < longRows.length; k++) {
    duckdb.vector_assign_string_element_len(vector, longRows[k] as number, longValues[k] as Uint8Array);
  }
}

/** Utf8 / Binary (int32 offsets) and their Large variants (int64 offsets). */
function stringWriter(): ColumnWriter {
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const values = data.values as Uint8Array;
    const valid = validityBits(data, start, count);
    const large = offsets instanceof BigInt64Array;
    writeStringSlots(vector, count, scratch, (i) => {
      if (valid && !getBit(valid, i)) return null;
      const a = large ? Number(offsets[start + i]) : (offsets[start + i] as number);
      const b = large ? Number(offsets[start + i + 1]) : (offsets[start + i + 1] as number);
      return values.subarray(a, b);
    });
    writeValidity(vector, data, start, count);
  };
}

/** Dictionary-encoded strings: each dictionary entry is encoded once, then referenced per row. */
function dictionaryStringWriter(): ColumnWriter {
  const scratch = new Scratch();
  const encoded = new WeakMap<object, (Uint8Array | null)[]>();
  return (vector, data, start, count) => {
    const dictionary = data.dictionary as unknown as
      | { length: number; get(i: number): string | null }
      | undefined;
    if (!dictionary)
      throw new SpokeError(ErrorCode.INTERNAL, 'dictionary-encoded column without a dictionary');
    let entries = encoded.get(dictionary);
    if (!entries) {
      entries = [];
      for (let k = 0; k < dictionary.length; k++) {
        const s = dictionary.get(k);
        entries.push(s === null ? null : textEncoder.encode(s));
      }
      encoded.set(dictionary, entries);
    }
    const dict = entries;
    const indices = data.values as ArrayLike<number | bigint>;
    const valid = validityBits(data, start, count);
    const nullRows = new Uint8Array(count);
    writeStringSlots(vector, count, scratch, (i) => {
      if (valid && !getBit(valid, i)) return null;
      const value = dict[Number(indices[start + i])] ?? null;
      if (value === null) nullRows[i] = 1;
      return value;
    });
    writeValidity(vector, data, start, count);
    if (nullRows.includes(1)) {
      duckdb.vector_ensure_validity_writable(vector);
      const bits = currentValidity(vector, count);
      for (let i = 0; i < count; i++)
        if (nullRows[i]) bits[i >>> 3] = (bits[i >>> 3] as number) & ~(1 << (i & 7));
      duckdb.copy_data_to_vector_validity(
        vector,
        0,
        bits.buffer as ArrayBuffer,
        bits.byteOffset,
        bits.byteLength,
      );
    }
  };
}

/** A copy of the first `count` bits of the vector's validity (all ones when it has none). */
function currentValidity(vector: DuckDBRawVector, count: number): Uint8Array {
  const words = Math.ceil(count / 64);
  const existing = duckdb.vector_get_validity(vector, words * 8) as Uint8Array | null;
  const out = new Uint8Array(words * 8);
  if (existing) out.set(existing.subarray(0, words * 8));
  else out.fill(0xff);
  return out;
}

/**
 * Types with no DuckDB counterpart (Map, Union, Interval, Duration,
 * Decimal256…) load as VARCHAR text, value by value: rare, so simplicity wins.
 */
function textWriter(type: DataType): ColumnWriter {
  return (vector, data, start, count) => {
    const column = arrow.makeVector(data as Data<typeof type>);
    const bits = new Uint8Array(Math.ceil(count / 64) * 8).fill(0xff);
    let nulls = 0;
    for (let i = 0; i < count; i++) {
      const value: unknown = column.get(start + i);
      if (value === null || value === undefined) {
        bits[i >>> 3] = (bits[i >>> 3] as number) & ~(1 << (i & 7));
        nulls++;
      } else {
        duckdb.vector_assign_string_element(vector, i, valueToText(value));
      }
    }
    if (nulls > 0) {
      duckdb.vector_ensure_validity_writable(vector);
      duckdb.copy_data_to_vector_validity(vector, 0, bits.buffer, 0, bits.byteLength);
    }
  };
}

/** Text for a JS value read from Arrow: JSON for composites, bigint-safe. */
export function valueToText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function listWriter(child: ColumnWriter): ColumnWriter {
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const large = offsets instanceof BigInt64Array;
    const at = (i: number): number => (large ? Number(offsets[i]) : (offsets[i] as number));
    const first = at(start);
    const childCount = at(start + count) - first;
    // list_entry_t is {u64 offset; u64 length}; offsets here are relative to this chunk's child range.
    const entries = new Float64Array(scratch.get(count * 16), 0, count * 2);
    const words = new Uint32Array(entries.buffer, 0, count * 4);
    for (let i = 0; i < count; i++) {
      const a = at(start + i);
      words[4 * i] = a - first;
      words[4 * i + 1] = 0;
      words[4 * i + 2] = at(start + i + 1) - a;
      words[4 * i + 3] = 0;
    }
    copyBytes(vector, entries.buffer, 0, count * 16);
    duckdb.list_vector_reserve(vector, childCount);
    if (childCount > 0) {
      // The child vector's memory moves when reserved: fetch it afterwards.
      child(duckdb.list_vector_get_child(vector), (data.children as Data[])[0] as Data, first, childCount);
    }
    duckdb.list_vector_set_size(vector, childCount);
    writeValidity(vector, data, start, count);
  };
}

/** FixedSizeList → ARRAY: the child holds `size` values per row, contiguously. */
function arrayWriter(size: number, child: ColumnWriter): ColumnWriter {
  return (vector, data, start, count) => {
    child(
      duckdb.array_vector_get_child(vector),
      (data.children as Data[])[0] as Data,
      start * size,
      count * size,
    );
    writeValidity(vector, data, start, count);
  };
}

/**
 * Struct children are written row-aligned with the parent. A NULL struct's
 * children are made NULL too: DuckDB expects that of its struct vectors.
 */
function structWriter(children: ColumnWriter[]): ColumnWriter {
  return (vector, data, start, count) => {
    const childData = data.children as Data[];
    const parent = validityBits(data, start, count);
    for (let k = 0; k < children.length; k++) {
      const childVector = duckdb.struct_vector_get_child(vector, k);
      (children[k] as ColumnWriter)(childVector, childData[k] as Data, start, count);
      if (parent) {
        duckdb.vector_ensure_validity_writable(childVector);
        const bits = currentValidity(childVector, count);
        for (let b = 0; b < parent.length; b++) bits[b] = (bits[b] as number) & (parent[b] as number);
        duckdb.copy_data_to_vector_validity(childVector, 0, bits.buffer as ArrayBuffer, 0, bits.byteLength);
      }
    }
    writeValidity(vector, data, start, count);
  };
}

/** The writer for an Arrow type loaded as the DuckDB type `target` (from {@link arrowToDuckDBType}). */
function makeWriter(type: DataType, target: DuckDBType): ColumnWriter {
  const T = arrow.Type;
  const t = type as DataType & Record<string, unknown>;
  const textTarget = target.typeId === DuckDBTypeId.VARCHAR;
  switch (type.typeId) {
    case T.Bool:
      return boolWriter();
    case T.Int:
      return fixedWriter((t.bitWidth as number) / 8);
    case T.Float:
      if ((t.precision as number) === arrow.Precision.HALF) return float16Writer();
      return fixedWriter((t.precision as number) === arrow.Precision.DOUBLE ? 8 : 4);
    case T.Decimal:
      if (textTarget) return textWriter(type);
      return decimalWriter(t.precision as number);
    case T.Utf8:
    case T.LargeUtf8:
    case T.Binary:
    case T.LargeBinary:
      return stringWriter();
    case T.Date:
      return (t.unit as number) === arrow.DateUnit.DAY ? fixedWriter(4) : dateMillisecondWriter();
    case T.Time:
      switch (t.unit as number) {
        case arrow.TimeUnit.SECOND:
          return int32ToMicrosWriter(1_000_000);
        case arrow.TimeUnit.MILLISECOND:
          return int32ToMicrosWriter(1_000);
        case arrow.TimeUnit.MICROSECOND:
          return fixedWriter(8);
        default:
          return int64ScaledWriter((v) => floorDiv(v, 1000n));
      }
    case T.Timestamp:
      switch (t.unit as number) {
        case arrow.TimeUnit.SECOND:
          return int64ScaledWriter((v) => v * 1_000_000n);
        case arrow.TimeUnit.MILLISECOND:
          return int64ScaledWriter((v) => v * 1_000n);
        case arrow.TimeUnit.MICROSECOND:
          return fixedWriter(8);
        default:
          return int64ScaledWriter((v) => floorDiv(v, 1000n));
      }
    case T.List: {
      if (target.typeId !== DuckDBTypeId.LIST) return textWriter(type);
      return listWriter(makeWriter(listChild(type).type, target.valueType));
    }
    case T.FixedSizeList: {
      const childWriter = (valueType: DuckDBType) => makeWriter(listChild(type).type, valueType);
      if (target.typeId === DuckDBTypeId.ARRAY)
        return arrayWriter(t.listSize as number, childWriter(target.valueType));
      if (target.typeId === DuckDBTypeId.LIST) return emptyListWriter();
      return textWriter(type);
    }
    case T.Struct: {
      if (target.typeId !== DuckDBTypeId.STRUCT) return textWriter(type);
      const fields = type.children as Field[];
      return structWriter(fields.map((f, k) => makeWriter(f.type, target.entryTypes[k] as DuckDBType)));
    }
    case T.Dictionary: {
      const valueType = (t.dictionary as DataType).typeId;
      if (valueType === T.Utf8 || valueType === T.LargeUtf8) return dictionaryStringWriter();
      return textWriter(type);
    }
    default:
      return textWriter(type);
  }
}

/** FixedSizeList of size 0 becomes LIST: every row is an empty list. */
function emptyListWriter(): ColumnWriter {
  const scratch = new Scratch();
  return (vector, data, start, count) => {
    const entries = new Uint8Array(scratch.get(count * 16), 0, count * 16);
    entries.fill(0);
    copyBytes(vector, entries.buffer, 0, count * 16);
    duckdb.list_vector_set_size(vector, 0);
    writeValidity(vector, data, start, count);
  };
}
