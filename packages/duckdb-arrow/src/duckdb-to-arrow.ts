/**
 * Streams a DuckDB result out as Arrow record batches — the second half of the
 * engine's hot path (DuckDB's answer goes to the client as Arrow).
 *
 * Chunks (≤ 2048 rows) are fetched one at a time and appended to per-column
 * builders until a batch of about {@link DEFAULT_BATCH_ROWS} rows is full, so
 * memory stays bounded by one batch whatever the result's size. Fixed-width
 * columns copy the vector's bytes in bulk; strings build Arrow's offsets and
 * data buffers directly, reading DuckDB's out-of-line string bytes in runs of
 * adjacent memory (one native call per run instead of one per value).
 *
 * A caller that knows the Arrow types it wants (a connector writing its
 * table's schema) passes them as `schema`: each builder then writes that type
 * wherever DuckDB's vectors already hold its bytes ({@link duckdbFitsArrowType}),
 * at the same speed.
 */
import type { DuckDBEnumType, DuckDBResult, DuckDBType } from '@duckdb/node-api';
import { DuckDBMaterializedResult, DuckDBTypeId, DuckDBVector } from '@duckdb/node-api';
import type { Vector as DuckDBRawVector } from '@duckdb/node-bindings';
import type { DataType, Field, RecordBatch, Schema } from '@spoke/core';
import { arrow, ErrorCode, PG_TYPE_METADATA_KEY, recordBatch, SpokeError, throwIfAborted } from '@spoke/core';
import type { Data } from 'apache-arrow';
import { duckdbToArrowType, MAX_DECIMAL_PRECISION } from './duckdb-type-mapping.js';
import { countSetBits, duckdb, GrowableBytes, getBit, textEncoder, VECTOR_SIZE } from './vector-memory.js';

/**
 * Offsets allocated for a string or list column before its batch's size is
 * known (they double as rows come): small answers stay small.
 */
const FIRST_ROWS = 1024;

/** Rows per Arrow batch: 32 DuckDB chunks. */
export const DEFAULT_BATCH_ROWS = 65_536;

/** Options for {@link streamResultAsArrow}. */
export interface StreamResultOptions {
  /** Target rows per batch (a batch closes at the first chunk boundary at or past it). Default {@link DEFAULT_BATCH_ROWS}. */
  readonly batchRows?: number;
  /**
   * Rows per batch at most: a batch closes before a chunk that would take it
   * past this, and one chunk larger than it (a limit below DuckDB's 2048-row
   * chunks) is sliced. `batchRows` is lowered to it. Default: no bound.
   */
  readonly maxBatchRows?: number;
  /**
   * The schema the batches carry (one field per result column, in order):
   * its names, nullability and metadata, and its types written in place of
   * DuckDB's mapping ({@link duckdbToArrowType}) — a `TIMESTAMP` column as
   * `Timestamp(µs, 'UTC')`, a `NULL` column as any type. Every field must
   * pass {@link duckdbFitsArrowType} for its column, else the first batch
   * throws `SOURCE_ERROR` naming the column (check first to word your own).
   */
  readonly schema?: Schema;
}

/**
 * The Arrow schema of a DuckDB result: one nullable field per column, in
 * order, types from {@link duckdbToArrowType}. Duplicate column names are
 * kept (Arrow allows them).
 */
export function resultArrowSchema(result: DuckDBResult): Schema {
  return duckdbColumnsArrowSchema(result.columnNames(), result.columnTypes());
}

/**
 * The Arrow schema for DuckDB columns given by name and type (see
 * {@link resultArrowSchema}). Columns that arrive as text but are not text —
 * `JSON`, `UUID`, `INTERVAL` — carry their PostgreSQL type in the field
 * metadata ({@link PG_TYPE_METADATA_KEY}), so clients are told `json`,
 * `uuid`, `interval` rather than `text`.
 */
export function duckdbColumnsArrowSchema(names: readonly string[], types: readonly DuckDBType[]): Schema {
  return new arrow.Schema(names.map((n, i) => duckdbColumnField(n, types[i] as DuckDBType)));
}

/** A nullable Arrow field for a DuckDB column: {@link duckdbToArrowType}, and the PostgreSQL type of text-carried types. */
export function duckdbColumnField(name: string, type: DuckDBType): Field {
  const pgType = textCarriedPgType(type);
  const metadata = pgType ? new Map([[PG_TYPE_METADATA_KEY, pgType]]) : undefined;
  return new arrow.Field(name, duckdbToArrowType(type), true, metadata);
}

/** The PostgreSQL type of a DuckDB type that streams out as text without being text, else `undefined`. */
export function textCarriedPgType(type: DuckDBType): string | undefined {
  if (type.alias === 'JSON') return 'json';
  if (type.typeId === DuckDBTypeId.UUID) return 'uuid';
  if (type.typeId === DuckDBTypeId.INTERVAL) return 'interval';
  return undefined;
}

/**
 * True when a DuckDB column can stream out as the Arrow type `type` with no
 * value changed: the bytes DuckDB holds are what that Arrow type stores (or
 * what the streamer converts to it, as for {@link duckdbToArrowType}).
 *
 * Beyond DuckDB's own mapping it accepts: any time zone (or none) on a
 * microsecond Timestamp for every DuckDB timestamp type; Utf8 for every type
 * the streamer renders as text; any field names and nullability inside lists;
 * and every type for a `NULL` column (`SELECT NULL AS x`, a column a file
 * lacks). Struct fields must match by name and position.
 */
export function duckdbFitsArrowType(duck: DuckDBType, type: DataType): boolean {
  const T = arrow.Type;
  const t = type as DataType & Record<string, unknown>;
  switch (duck.typeId) {
    case DuckDBTypeId.SQLNULL:
      return true;
    case DuckDBTypeId.BOOLEAN:
      return type.typeId === T.Bool;
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT: {
      const own = duckdbToArrowType(duck) as DataType & Record<string, unknown>;
      return type.typeId === T.Int && t.bitWidth === own.bitWidth && t.isSigned === own.isSigned;
    }
    case DuckDBTypeId.FLOAT:
      return type.typeId === T.Float && t.precision === arrow.Precision.SINGLE;
    case DuckDBTypeId.DOUBLE:
      return type.typeId === T.Float && t.precision === arrow.Precision.DOUBLE;
    case DuckDBTypeId.DECIMAL:
      return (
        type.typeId === T.Decimal &&
        t.bitWidth === 128 &&
        t.precision === duck.width &&
        t.scale === duck.scale
      );
    case DuckDBTypeId.HUGEINT:
      return (
        type.typeId === T.Decimal &&
        t.bitWidth === 128 &&
        t.precision === MAX_DECIMAL_PRECISION &&
        t.scale === 0
      );
    case DuckDBTypeId.DATE:
      return type.typeId === T.Date && t.unit === arrow.DateUnit.DAY;
    case DuckDBTypeId.TIME:
      return type.typeId === T.Time && t.unit === arrow.TimeUnit.MICROSECOND && t.bitWidth === 64;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return type.typeId === T.Timestamp && t.unit === arrow.TimeUnit.MICROSECOND;
    case DuckDBTypeId.BLOB:
      return type.typeId === T.Binary;
    case DuckDBTypeId.LIST:
      return type.typeId === T.List && duckdbFitsArrowType(duck.valueType, childType(type));
    case DuckDBTypeId.ARRAY:
      return (
        type.typeId === T.FixedSizeList &&
        t.listSize === duck.length &&
        duckdbFitsArrowType(duck.valueType, childType(type))
      );
    case DuckDBTypeId.STRUCT: {
      const fields = (type.children ?? []) as Field[];
      return (
        type.typeId === T.Struct &&
        fields.length === duck.entryTypes.length &&
        fields.every(
          (f, k) =>
            f.name === duck.entryNames[k] && duckdbFitsArrowType(duck.entryTypes[k] as DuckDBType, f.type),
        )
      );
    }
    default:
      // VARCHAR, UUID, ENUM, INTERVAL and the types without an Arrow twin all stream out as text.
      return type.typeId === T.Utf8;
  }
}

function childType(type: DataType): DataType {
  return ((type.children as Field[])[0] as Field).type;
}

/** The schema the batches carry: `wanted` checked against the result's columns, or DuckDB's mapping. */
function outputSchema(
  names: readonly string[],
  types: readonly DuckDBType[],
  wanted: Schema | undefined,
): Schema {
  if (!wanted) return duckdbColumnsArrowSchema(names, types);
  if (wanted.fields.length !== types.length)
    throw new SpokeError(
      ErrorCode.INTERNAL,
      `streamResultAsArrow: the schema has ${wanted.fields.length} fields but the result has ${types.length} columns`,
    );
  wanted.fields.forEach((f, i) => {
    const duck = types[i] as DuckDBType;
    if (!duckdbFitsArrowType(duck, f.type))
      throw new SpokeError(
        ErrorCode.SOURCE_ERROR,
        `column "${f.name}" is ${duck.toString()} in DuckDB and cannot be written as Arrow ${String(f.type)}`,
        { details: { column: f.name } },
      );
  });
  return wanted;
}

/**
 * Reads `result` chunk by chunk and yields Arrow record batches of about
 * 64k rows with the schema {@link resultArrowSchema} gives (or
 * `options.schema`). Works with streaming results (`connection.stream(sql)`)
 * and materialized ones (`connection.run(sql)`), whose chunks are read in
 * place without an await each.
 *
 * `signal` is checked before each chunk; when it fires the generator
 * throws {@link ErrorCode.QUERY_CANCELLED}. An empty result yields nothing.
 */
export async function* streamResultAsArrow(
  result: DuckDBResult,
  signal?: AbortSignal,
  options: StreamResultOptions = {},
): AsyncGenerator<RecordBatch> {
  const max =
    options.maxBatchRows === undefined ? Number.POSITIVE_INFINITY : Math.max(1, options.maxBatchRows);
  const target = Math.min(max, Math.max(1, options.batchRows ?? DEFAULT_BATCH_ROWS));
  const types = result.columnTypes();
  const schema = outputSchema(result.columnNames(), types, options.schema);
  const initialRows = Math.min(target, DEFAULT_BATCH_ROWS) + VECTOR_SIZE;
  const builders = types.map((t, i) => makeBuilder(t, (schema.fields[i] as Field).type, initialRows));
  const materialized = result instanceof DuckDBMaterializedResult ? result : undefined;
  let next = 0;
  let rows = 0;
  for (;;) {
    throwIfAborted(signal);
    const chunk = materialized
      ? next < materialized.chunkCount
        ? materialized.getChunk(next++)
        : null
      : await result.fetchChunk();
    if (!chunk) break;
    const count = chunk.rowCount;
    if (count === 0) break;
    if (rows > 0 && rows + count > max) {
      yield* sliced(makeBatch(schema, builders, rows), max);
      rows = 0;
    }
    for (let c = 0; c < builders.length; c++) {
      (builders[c] as ColumnBuilder).append(
        duckdb.data_chunk_get_vector(chunk.chunk, c),
        count,
        null,
        0,
        count,
      );
    }
    rows += count;
    if (rows >= target) {
      yield* sliced(makeBatch(schema, builders, rows), max);
      rows = 0;
    }
  }
  if (rows > 0) yield* sliced(makeBatch(schema, builders, rows), max);
}

/** `batch` in slices of at most `size` rows (zero-copy views). */
function* sliced(batch: RecordBatch, size: number): Generator<RecordBatch> {
  if (batch.numRows <= size) {
    yield batch;
    return;
  }
  for (let off = 0; off < batch.numRows; off += size)
    yield batch.slice(off, Math.min(batch.numRows, off + size));
}

function makeBatch(schema: Schema, builders: ColumnBuilder[], rows: number): RecordBatch {
  const children = builders.map((b) => b.finish());
  const data = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: rows,
    nullCount: 0,
    children,
  });
  return recordBatch(schema, data);
}

/**
 * Accumulates rows of one column from DuckDB vectors and hands them over as
 * one Arrow Data.
 *
 * `append` reads rows [start, start+count) of the vector, or, when `sel` is
 * given, rows sel[0..count) (a list whose entries are not laid out in order).
 * `extent` is how many rows the vector holds, bounding what is read.
 */
interface ColumnBuilder {
  append(vector: DuckDBRawVector, extent: number, sel: Int32Array | null, start: number, count: number): void;
  /** The rows appended since the last call, as Arrow Data; starts afresh. */
  finish(): Data;
}

/** The row index of the i-th appended row. */
function rowAt(sel: Int32Array | null, start: number, i: number): number {
  return sel ? (sel[i] as number) : start + i;
}

/** Arrow validity for a builder: allocated at the first NULL only. */
class ValidityBuilder {
  private bits: GrowableBytes | null = null;
  private length = 0;
  private nulls = 0;

  constructor(private readonly initialRows: number) {}

  /**
   * Appends the validity of the selected rows and returns the vector's
   * validity bytes (null when every row is valid) so value loops can skip NULL
   * slots, whose bytes may be garbage.
   */
  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): Uint8Array | null {
    const source = duckdb.vector_get_validity(vector, Math.ceil(extent / 64) * 8) as Uint8Array | null;
    if (!source) {
      if (this.bits) this.setOnes(count);
      this.length += count;
      return null;
    }
    if (!this.bits) {
      this.bits = new GrowableBytes(Math.ceil(Math.max(this.initialRows, this.length + count) / 8));
      const bytes = this.bits.ensure(Math.ceil((this.length + count) / 8));
      bytes.fill(0xff, 0, Math.ceil(this.length / 8));
    }
    const bytes = this.bits.ensure(Math.ceil((this.length + count) / 8) + 1);
    if (!sel && (start & 7) === 0 && (this.length & 7) === 0) {
      const n = Math.ceil(count / 8);
      bytes.set(source.subarray(start >>> 3, (start >>> 3) + n), this.length >>> 3);
      const setBits = countSetBits(bytes.subarray(this.length >>> 3), count);
      this.nulls += count - setBits;
    } else {
      for (let i = 0; i < count; i++) {
        const at = this.length + i;
        if (getBit(source, rowAt(sel, start, i)))
          bytes[at >>> 3] = (bytes[at >>> 3] as number) | (1 << (at & 7));
        else {
          bytes[at >>> 3] = (bytes[at >>> 3] as number) & ~(1 << (at & 7));
          this.nulls++;
        }
      }
    }
    this.length += count;
    return source;
  }

  private setOnes(count: number): void {
    const bytes = (this.bits as GrowableBytes).ensure(Math.ceil((this.length + count) / 8) + 1);
    for (let i = 0; i < count; i++) {
      const at = this.length + i;
      bytes[at >>> 3] = (bytes[at >>> 3] as number) | (1 << (at & 7));
    }
  }

  /** The bitmap and null count of the rows so far; starts afresh. */
  finish(): { nullBitmap: Uint8Array | undefined; nullCount: number } {
    const out =
      this.bits && this.nulls > 0
        ? { nullBitmap: this.bits.take(Math.ceil(this.length / 8)), nullCount: this.nulls }
        : { nullBitmap: undefined, nullCount: 0 };
    this.bits = null;
    this.length = 0;
    this.nulls = 0;
    return out;
  }
}

/** Builds the arrow-js Data props, leaving out an absent bitmap (exactOptionalPropertyTypes). */
function validityProps(v: { nullBitmap: Uint8Array | undefined; nullCount: number }): {
  nullCount: number;
  nullBitmap?: Uint8Array;
} {
  return v.nullBitmap ? { nullCount: v.nullCount, nullBitmap: v.nullBitmap } : { nullCount: 0 };
}

/**
 * Fixed-width values whose DuckDB and Arrow bytes agree: copied in bulk.
 * `transform`, when given, rewrites the appended bytes in place afterwards.
 */
class FixedBuilder implements ColumnBuilder {
  private readonly values: GrowableBytes;
  private readonly validity: ValidityBuilder;
  private length = 0;

  constructor(
    private readonly type: DataType,
    private readonly width: number,
    initialRows: number,
  ) {
    this.values = new GrowableBytes(initialRows * width);
    this.validity = new ValidityBuilder(initialRows);
  }

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    this.validity.append(vector, extent, sel, start, count);
    const w = this.width;
    const source = duckdb.vector_get_data(vector, extent * w);
    const out = this.values.ensure((this.length + count) * w);
    if (!sel) out.set(source.subarray(start * w, (start + count) * w), this.length * w);
    else {
      for (let i = 0; i < count; i++) {
        const r = sel[i] as number;
        out.set(source.subarray(r * w, r * w + w), (this.length + i) * w);
      }
    }
    this.length += count;
  }

  finish(): Data {
    const data = this.values.take(this.length * this.width);
    const length = this.length;
    this.length = 0;
    return arrow.makeData({
      type: this.type as never,
      length,
      ...validityProps(this.validity.finish()),
      data,
    } as never);
  }
}

/**
 * Values that need a per-value conversion into a fixed-width Arrow layout
 * (booleans to bits, narrow decimals to 128 bits, other time units to µs).
 * `convert` reads `count` selected rows from the vector's bytes into `out`
 * at row `at`.
 */
class ConvertingBuilder implements ColumnBuilder {
  private readonly values: GrowableBytes;
  private readonly validity: ValidityBuilder;
  private length = 0;

  constructor(
    private readonly type: DataType,
    private readonly sourceWidth: number,
    /** Output bytes per row; 0 means bits (booleans). */
    private readonly outWidth: number,
    /** Converts rows rows[from], …, rows[from+count-1] of `source` into `out` from row `at`. */
    private readonly convert: (
      source: Uint8Array,
      out: Uint8Array,
      at: number,
      rows: Int32Array,
      from: number,
      count: number,
    ) => void,
    initialRows: number,
  ) {
    this.values = new GrowableBytes(outWidth === 0 ? Math.ceil(initialRows / 8) : initialRows * outWidth);
    this.validity = new ValidityBuilder(initialRows);
  }

  private bytesFor(rows: number): number {
    return this.outWidth === 0 ? Math.ceil(rows / 8) + 1 : rows * this.outWidth;
  }

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    this.validity.append(vector, extent, sel, start, count);
    const source = duckdb.vector_get_data(vector, extent * this.sourceWidth);
    const out = this.values.ensure(this.bytesFor(this.length + count));
    this.convert(source, out, this.length, sel ?? identityRows(start + count), sel ? 0 : start, count);
    this.length += count;
  }

  finish(): Data {
    const data = this.values.take(
      this.outWidth === 0 ? Math.ceil(this.length / 8) : this.length * this.outWidth,
    );
    const length = this.length;
    this.length = 0;
    return arrow.makeData({
      type: this.type as never,
      length,
      ...validityProps(this.validity.finish()),
      data,
    } as never);
  }
}

let identity = new Int32Array(0);
/** [0, 1, …, n-1], shared: row indexes for the common unselected case. */
function identityRows(n: number): Int32Array {
  if (identity.length < n) {
    identity = new Int32Array(Math.max(n, identity.length * 2, VECTOR_SIZE));
    for (let i = 0; i < identity.length; i++) identity[i] = i;
  }
  return identity;
}

/** Aligned typed views over a copied vector buffer (vector_get_data returns a fresh, aligned copy). */
function aligned<T>(
  source: Uint8Array,
  make: (buffer: ArrayBuffer, offset: number, length: number) => T,
  width: number,
): T {
  if (source.byteOffset % width === 0)
    return make(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / width);
  const copy = source.slice();
  return make(copy.buffer, 0, copy.byteLength / width);
}

function booleanBuilder(type: DataType, initialRows: number): ColumnBuilder {
  return new ConvertingBuilder(
    type,
    1,
    0,
    (source, out, at, rows, from, count) => {
      for (let i = 0; i < count; i++) {
        const bit = at + i;
        if (source[rows[from + i] as number]) out[bit >>> 3] = (out[bit >>> 3] as number) | (1 << (bit & 7));
        else out[bit >>> 3] = (out[bit >>> 3] as number) & ~(1 << (bit & 7));
      }
    },
    initialRows,
  );
}

/** DuckDB DECIMAL stored in 2, 4 or 8 bytes, sign-extended to Arrow's 16. */
function widenedDecimalBuilder(type: DataType, sourceWidth: 2 | 4 | 8, initialRows: number): ColumnBuilder {
  return new ConvertingBuilder(
    type,
    sourceWidth,
    16,
    (source, out, at, rows, from, count) => {
      const dst = aligned(out, (b, o, l) => new Int32Array(b, o, l), 4);
      if (sourceWidth === 8) {
        const src = aligned(source, (b, o, l) => new Int32Array(b, o, l), 4);
        for (let i = 0; i < count; i++) {
          const r = rows[from + i] as number;
          const hi = src[2 * r + 1] as number;
          const ext = hi < 0 ? -1 : 0;
          const d = 4 * (at + i);
          dst[d] = src[2 * r] as number;
          dst[d + 1] = hi;
          dst[d + 2] = ext;
          dst[d + 3] = ext;
        }
      } else {
        const src =
          sourceWidth === 4
            ? aligned(source, (b, o, l) => new Int32Array(b, o, l), 4)
            : aligned(source, (b, o, l) => new Int16Array(b, o, l), 2);
        for (let i = 0; i < count; i++) {
          const v = src[rows[from + i] as number] as number;
          const ext = v < 0 ? -1 : 0;
          const d = 4 * (at + i);
          dst[d] = v;
          dst[d + 1] = ext;
          dst[d + 2] = ext;
          dst[d + 3] = ext;
        }
      }
    },
    initialRows,
  );
}

const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

/** TIMESTAMP_S / _MS / _NS to microseconds (±infinity kept as the int64 extremes). */
function scaledTimestampBuilder(
  type: DataType,
  scale: (v: bigint) => bigint,
  initialRows: number,
): ColumnBuilder {
  return new ConvertingBuilder(
    type,
    8,
    8,
    (source, out, at, rows, from, count) => {
      const src = aligned(source, (b, o, l) => new BigInt64Array(b, o, l), 8);
      const dst = aligned(out, (b, o, l) => new BigInt64Array(b, o, l), 8);
      for (let i = 0; i < count; i++) {
        const v = src[rows[from + i] as number] as bigint;
        dst[at + i] = v === INT64_MAX || v === INT64_MIN ? v : BigInt.asIntN(64, scale(v));
      }
    },
    initialRows,
  );
}

/** Arrow Utf8 / Binary: int32 offsets plus a data buffer, built directly from DuckDB string slots. */
class StringBuilder implements ColumnBuilder {
  private offsets: Int32Array;
  private readonly data: GrowableBytes;
  private readonly validity: ValidityBuilder;
  private length = 0;
  private dataLength = 0;
  /** Scratch: the 8-byte pointer handed to get_data_from_pointer. */
  private readonly pointerCell = new ArrayBuffer(8);
  private readonly pointerView = new DataView(this.pointerCell);
  /** Pending out-of-line strings of the current run: destination, pointer, length. */
  private pendingDst = new Float64Array(0);
  private pendingPtr = new Float64Array(0);
  private pendingLen = new Int32Array(0);

  constructor(
    private readonly type: DataType,
    private readonly initialRows: number,
  ) {
    this.offsets = new Int32Array(Math.min(initialRows, FIRST_ROWS) + 1);
    this.data = new GrowableBytes(initialRows * 16);
    this.validity = new ValidityBuilder(initialRows);
  }

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    const valid = this.validity.append(vector, extent, sel, start, count);
    this.appendSlots(duckdb.vector_get_data(vector, extent * 16), valid, sel, start, count);
  }

  /** Appends already-decoded strings (enum, UUID, interval and fallback text). */
  appendText(values: readonly (string | Uint8Array | null)[]): void {
    const count = values.length;
    this.ensureOffsets(count);
    let length = this.length;
    let dataLength = this.dataLength;
    for (const value of values) {
      if (value !== null) {
        const bytes = typeof value === 'string' ? textEncoder.encode(value) : value;
        const out = this.data.ensure(dataLength + bytes.length);
        out.set(bytes, dataLength);
        dataLength += bytes.length;
      }
      length++;
      this.offsets[length] = dataLength;
    }
    this.length = length;
    this.dataLength = dataLength;
  }

  /** The validity builder, for callers that append text (they append validity themselves). */
  get validityBuilder(): ValidityBuilder {
    return this.validity;
  }

  private ensureOffsets(count: number): void {
    if (this.length + count + 1 > this.offsets.length) {
      let next = this.offsets.length * 2;
      while (next < this.length + count + 1) next *= 2;
      const grown = new Int32Array(next);
      grown.set(this.offsets.subarray(0, this.length + 1));
      this.offsets = grown;
    }
  }

  /**
   * One pass over the slots: inline strings (≤ 12 bytes) are copied at once;
   * out-of-line ones are grouped into runs of memory whose gaps are below a
   * page, each run fetched with one native call. A gap below 4096 bytes
   * between two readable bytes cannot hide an unmapped page, so reading the
   * whole run is safe.
   */
  private appendSlots(
    source: Uint8Array,
    valid: Uint8Array | null,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    this.ensureOffsets(count);
    if (this.pendingDst.length < count) {
      this.pendingDst = new Float64Array(count);
      this.pendingPtr = new Float64Array(count);
      this.pendingLen = new Int32Array(count);
    }
    const offsets = this.offsets;
    let out = this.data.bytes;
    let dataLength = this.dataLength;
    let length = this.length;
    let pending = 0;
    let runStart = -1;
    let runEnd = -1;
    const pendingDst = this.pendingDst;
    const pendingPtr = this.pendingPtr;
    const pendingLen = this.pendingLen;
    const flushRun = (): void => {
      if (pending === 0) return;
      this.pointerView.setBigUint64(0, BigInt(runStart), true);
      const run = duckdb.get_data_from_pointer(this.pointerCell, 0, runEnd - runStart);
      for (let k = 0; k < pending; k++) {
        const from = (pendingPtr[k] as number) - runStart;
        const size = pendingLen[k] as number;
        const to = pendingDst[k] as number;
        // A byte loop beats subarray()+set() (an allocation each) for the short strings that dominate.
        if (size < 64) for (let b = 0; b < size; b++) out[to + b] = run[from + b] as number;
        else out.set(run.subarray(from, from + size), to);
      }
      pending = 0;
    };
    // vector_get_data returns a fresh copy, so its buffer is 8-byte aligned.
    const words = aligned(source, (b, o, l) => new Uint32Array(b, o, l), 4);
    for (let i = 0; i < count; i++) {
      const r = sel ? (sel[i] as number) : start + i;
      if (valid && !getBit(valid, r)) {
        length++;
        offsets[length] = dataLength;
        continue;
      }
      const slot = r * 16;
      const size = words[r * 4] as number;
      if (dataLength + size > out.length) {
        out = this.data.ensure(dataLength + size);
      }
      if (size <= 12) {
        for (let b = 0; b < size; b++) out[dataLength + b] = source[slot + 4 + b] as number;
      } else {
        const pointer = (words[r * 4 + 2] as number) + (words[r * 4 + 3] as number) * 4294967296;
        if (
          pending > 0 &&
          pointer >= runStart &&
          pointer - runEnd < 4096 &&
          pointer + size - runStart < 1 << 24
        ) {
          if (pointer + size > runEnd) runEnd = pointer + size;
        } else {
          flushRun();
          runStart = pointer;
          runEnd = pointer + size;
        }
        pendingDst[pending] = dataLength;
        pendingPtr[pending] = pointer;
        pendingLen[pending] = size;
        pending++;
      }
      dataLength += size;
      length++;
      offsets[length] = dataLength;
    }
    flushRun();
    this.length = length;
    this.dataLength = dataLength;
  }

  finish(): Data {
    const length = this.length;
    const valueOffsets = this.offsets.slice(0, length + 1);
    const data = this.data.take(this.dataLength);
    this.offsets = new Int32Array(Math.min(this.initialRows, FIRST_ROWS) + 1);
    this.length = 0;
    this.dataLength = 0;
    return arrow.makeData({
      type: this.type as never,
      length,
      ...validityProps(this.validity.finish()),
      valueOffsets,
      data,
    } as never);
  }
}

/**
 * Strings made in JS from each value (ENUM, UUID, INTERVAL and types without
 * an Arrow counterpart): `render` turns the selected rows' bytes into text.
 */
class TextBuilder implements ColumnBuilder {
  private readonly strings: StringBuilder;

  constructor(
    type: DataType,
    private readonly width: number,
    private readonly render: (
      vector: DuckDBRawVector,
      extent: number,
      source: Uint8Array,
      row: number,
    ) => string,
    initialRows: number,
  ) {
    this.strings = new StringBuilder(type, initialRows);
  }

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    const valid = this.strings.validityBuilder.append(vector, extent, sel, start, count);
    const source = this.width > 0 ? duckdb.vector_get_data(vector, extent * this.width) : new Uint8Array(0);
    const values: (string | null)[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const r = rowAt(sel, start, i);
      values[i] = valid && !getBit(valid, r) ? null : this.render(vector, extent, source, r);
    }
    this.strings.appendText(values);
  }

  finish(): Data {
    return this.strings.finish();
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** DuckDB stores a UUID as a HUGEINT with the top bit flipped (so it sorts like the text). */
function uuidText(source: Uint8Array, row: number): string {
  const at = row * 16;
  let hex = '';
  // Upper 64 bits (bytes 8..15, little-endian) first, most significant byte first.
  for (let b = 15; b >= 8; b--)
    hex += HEX[b === 15 ? (source[at + b] as number) ^ 0x80 : (source[at + b] as number)];
  for (let b = 7; b >= 0; b--) hex += HEX[source[at + b] as number];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * An interval in PostgreSQL's default output style (IntervalStyle =
 * 'postgres'): `1 year 2 mons 3 days 04:05:06.5`, `-1 days +02:03:00`,
 * `00:00:00` for zero. Mirrors PostgreSQL's EncodeInterval.
 */
export function formatPostgresInterval(months: number, days: number, micros: bigint): string {
  const parts: string[] = [];
  let isBefore = false;
  const addPart = (value: number, unit: string): void => {
    if (value === 0) return;
    parts.push(`${isBefore && value > 0 ? '+' : ''}${value} ${unit}${value !== 1 ? 's' : ''}`);
    isBefore = value < 0;
  };
  const years = Math.trunc(months / 12);
  const mons = months - years * 12;
  addPart(years, 'year');
  addPart(mons, 'mon');
  addPart(days, 'day');
  if (micros !== 0n || parts.length === 0) {
    const negative = micros < 0n;
    const abs = negative ? -micros : micros;
    const hours = abs / 3_600_000_000n;
    const minutes = (abs / 60_000_000n) % 60n;
    const seconds = (abs / 1_000_000n) % 60n;
    const fraction = abs % 1_000_000n;
    let time = `${hours.toString().padStart(2, '0')}:${minutes.toString().padStart(2, '0')}:${seconds.toString().padStart(2, '0')}`;
    if (fraction !== 0n) time += `.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}`;
    parts.push(`${negative ? '-' : isBefore ? '+' : ''}${time}`);
  }
  return parts.join(' ');
}

function intervalText(source: Uint8Array, row: number): string {
  const view = new DataView(source.buffer, source.byteOffset + row * 16, 16);
  return formatPostgresInterval(view.getInt32(0, true), view.getInt32(4, true), view.getBigInt64(8, true));
}

function enumBuilder(type: DataType, enumType: DuckDBEnumType, initialRows: number): ColumnBuilder {
  const width =
    enumType.internalTypeId === DuckDBTypeId.UTINYINT
      ? 1
      : enumType.internalTypeId === DuckDBTypeId.USMALLINT
        ? 2
        : 4;
  const values = enumType.values;
  return new TextBuilder(
    type,
    width,
    (_vector, _extent, source, row) => {
      const view = new DataView(source.buffer, source.byteOffset);
      const index =
        width === 1
          ? view.getUint8(row)
          : width === 2
            ? view.getUint16(row * 2, true)
            : view.getUint32(row * 4, true);
      return values[index] ?? '';
    },
    initialRows,
  );
}

/** Types without an Arrow counterpart: node-api reads the value and gives DuckDB's text for it. */
function fallbackTextBuilder(type: DataType, duckType: DuckDBType, initialRows: number): ColumnBuilder {
  let cached: { vector: DuckDBRawVector; extent: number; reader: DuckDBVector } | undefined;
  return new TextBuilder(
    type,
    0,
    (vector, extent, _source, row) => {
      if (!cached || cached.vector !== vector || cached.extent !== extent) {
        cached = { vector, extent, reader: DuckDBVector.create(vector, extent, duckType) };
      }
      return String(cached.reader.getItem(row));
    },
    initialRows,
  );
}

class ListBuilder implements ColumnBuilder {
  private offsets: Int32Array;
  private readonly validity: ValidityBuilder;
  private length = 0;

  constructor(
    private readonly type: DataType,
    private readonly child: ColumnBuilder,
    private readonly initialRows: number,
  ) {
    this.offsets = new Int32Array(Math.min(initialRows, FIRST_ROWS) + 1);
    this.validity = new ValidityBuilder(initialRows);
  }

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    const valid = this.validity.append(vector, extent, sel, start, count);
    // list_entry_t: {u64 offset; u64 length}; read as 32-bit halves (a chunk's child stays far below 2^32).
    const entries = aligned(
      duckdb.vector_get_data(vector, extent * 16),
      (b, o, l) => new Uint32Array(b, o, l),
      4,
    );
    if (this.length + count + 1 > this.offsets.length) {
      let next = this.offsets.length * 2;
      while (next < this.length + count + 1) next *= 2;
      const grown = new Int32Array(next);
      grown.set(this.offsets.subarray(0, this.length + 1));
      this.offsets = grown;
    }
    let contiguous = true;
    let first = -1;
    let expected = -1;
    let total = 0;
    const base = this.offsets[this.length] as number;
    for (let i = 0; i < count; i++) {
      const r = rowAt(sel, start, i);
      let size = 0;
      if (!valid || getBit(valid, r)) {
        const offset = (entries[4 * r] as number) + (entries[4 * r + 1] as number) * 4294967296;
        size = (entries[4 * r + 2] as number) + (entries[4 * r + 3] as number) * 4294967296;
        if (size > 0) {
          if (first < 0) {
            first = offset;
            expected = offset;
          }
          if (offset !== expected) contiguous = false;
          expected = offset + size;
        }
      }
      total += size;
      this.offsets[this.length + i + 1] = base + total;
    }
    this.length += count;
    if (total === 0) return;
    const childVector = duckdb.list_vector_get_child(vector);
    const childExtent = duckdb.list_vector_get_size(vector);
    if (contiguous) {
      this.child.append(childVector, childExtent, null, first, total);
      return;
    }
    const childSel = new Int32Array(total);
    let k = 0;
    for (let i = 0; i < count; i++) {
      const r = rowAt(sel, start, i);
      if (valid && !getBit(valid, r)) continue;
      const offset = (entries[4 * r] as number) + (entries[4 * r + 1] as number) * 4294967296;
      const size = (entries[4 * r + 2] as number) + (entries[4 * r + 3] as number) * 4294967296;
      for (let j = 0; j < size; j++) childSel[k++] = offset + j;
    }
    this.child.append(childVector, childExtent, childSel, 0, total);
  }

  finish(): Data {
    const length = this.length;
    const valueOffsets = this.offsets.slice(0, length + 1);
    this.offsets = new Int32Array(Math.min(this.initialRows, FIRST_ROWS) + 1);
    this.length = 0;
    return arrow.makeData({
      type: this.type as never,
      length,
      ...validityProps(this.validity.finish()),
      valueOffsets,
      child: this.child.finish(),
    } as never);
  }
}

/** ARRAY → FixedSizeList: row r's values are child rows r·n … r·n+n−1. */
class FixedSizeListBuilder implements ColumnBuilder {
  private readonly validity: ValidityBuilder;
  private length = 0;

  constructor(
    private readonly type: DataType,
    private readonly size: number,
    private readonly child: ColumnBuilder,
    initialRows: number,
  ) {
    this.validity = new ValidityBuilder(initialRows);
  }

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    this.validity.append(vector, extent, sel, start, count);
    const n = this.size;
    const childVector = duckdb.array_vector_get_child(vector);
    if (!sel) this.child.append(childVector, extent * n, null, start * n, count * n);
    else {
      const childSel = new Int32Array(count * n);
      for (let i = 0; i < count; i++)
        for (let j = 0; j < n; j++) childSel[i * n + j] = (sel[i] as number) * n + j;
      this.child.append(childVector, extent * n, childSel, 0, count * n);
    }
    this.length += count;
  }

  finish(): Data {
    const length = this.length;
    this.length = 0;
    return arrow.makeData({
      type: this.type as never,
      length,
      ...validityProps(this.validity.finish()),
      child: this.child.finish(),
    } as never);
  }
}

class StructBuilder implements ColumnBuilder {
  private readonly validity: ValidityBuilder;
  private length = 0;

  constructor(
    private readonly type: DataType,
    private readonly children: ColumnBuilder[],
    initialRows: number,
  ) {
    this.validity = new ValidityBuilder(initialRows);
  }

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    this.validity.append(vector, extent, sel, start, count);
    for (let k = 0; k < this.children.length; k++) {
      (this.children[k] as ColumnBuilder).append(
        duckdb.struct_vector_get_child(vector, k),
        extent,
        sel,
        start,
        count,
      );
    }
    this.length += count;
  }

  finish(): Data {
    const length = this.length;
    this.length = 0;
    return arrow.makeData({
      type: this.type as never,
      length,
      ...validityProps(this.validity.finish()),
      children: this.children.map((c) => c.finish()),
    } as never);
  }
}

/** A `NULL` column (DuckDB's SQLNULL type): every row NULL, of whatever type the schema says. */
class NullBuilder implements ColumnBuilder {
  private length = 0;

  constructor(private readonly type: DataType) {}

  append(
    _vector: DuckDBRawVector,
    _extent: number,
    _sel: Int32Array | null,
    _start: number,
    count: number,
  ): void {
    this.length += count;
  }

  finish(): Data {
    const n = this.length;
    this.length = 0;
    // Rare (a column a file lacks, `SELECT NULL`), so arrow-js builds the buffers each type needs.
    return arrow.vectorFromArray(new Array(n).fill(null), this.type as never).data[0] as Data;
  }
}

/**
 * The builder for a DuckDB column written as Arrow `type`: {@link duckdbToArrowType}'s,
 * or one {@link duckdbFitsArrowType} accepts (the layout comes from `duckType`).
 */
function makeBuilder(duckType: DuckDBType, type: DataType, initialRows: number): ColumnBuilder {
  switch (duckType.typeId) {
    case DuckDBTypeId.SQLNULL:
      return new NullBuilder(type);
    case DuckDBTypeId.BOOLEAN:
      return booleanBuilder(type, initialRows);
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
      return new FixedBuilder(type, 1, initialRows);
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.USMALLINT:
      return new FixedBuilder(type, 2, initialRows);
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DATE:
      return new FixedBuilder(type, 4, initialRows);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new FixedBuilder(type, 8, initialRows);
    case DuckDBTypeId.HUGEINT:
      return new FixedBuilder(type, 16, initialRows);
    case DuckDBTypeId.DECIMAL:
      if (duckType.width > 18) return new FixedBuilder(type, 16, initialRows);
      return widenedDecimalBuilder(type, duckType.width > 9 ? 8 : duckType.width > 4 ? 4 : 2, initialRows);
    case DuckDBTypeId.TIMESTAMP_S:
      return scaledTimestampBuilder(type, (v) => v * 1_000_000n, initialRows);
    case DuckDBTypeId.TIMESTAMP_MS:
      return scaledTimestampBuilder(type, (v) => v * 1_000n, initialRows);
    case DuckDBTypeId.TIMESTAMP_NS:
      return scaledTimestampBuilder(
        type,
        (v) => {
          const q = v / 1000n;
          return v % 1000n < 0n ? q - 1n : q;
        },
        initialRows,
      );
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
      return new StringBuilder(type, initialRows);
    case DuckDBTypeId.UUID:
      return new TextBuilder(type, 16, (_v, _e, source, row) => uuidText(source, row), initialRows);
    case DuckDBTypeId.INTERVAL:
      return new TextBuilder(type, 16, (_v, _e, source, row) => intervalText(source, row), initialRows);
    case DuckDBTypeId.ENUM:
      return enumBuilder(type, duckType, initialRows);
    case DuckDBTypeId.LIST: {
      const childType = ((type.children as Field[])[0] as Field).type;
      return new ListBuilder(type, makeBuilder(duckType.valueType, childType, initialRows), initialRows);
    }
    case DuckDBTypeId.ARRAY: {
      const childType = ((type.children as Field[])[0] as Field).type;
      return new FixedSizeListBuilder(
        type,
        duckType.length,
        makeBuilder(duckType.valueType, childType, initialRows * duckType.length),
        initialRows,
      );
    }
    case DuckDBTypeId.STRUCT: {
      const fields = type.children as Field[];
      return new StructBuilder(
        type,
        duckType.entryTypes.map((t, k) => makeBuilder(t, (fields[k] as Field).type, initialRows)),
        initialRows,
      );
    }
    default:
      return fallbackTextBuilder(type, duckType, initialRows);
  }
}
