/**
 * DuckDB result chunks → Arrow, in bulk: fixed-width vectors are copied
 * with one `memcpy` each, strings are built straight into Arrow's offsets
 * and data buffers (out-of-line bytes read in runs of adjacent memory).
 *
 * This is a trimmed copy of `@spoke/planner`'s `execution/duckdb-to-arrow.ts`
 * (and its `vector-memory.ts` helpers), limited to the types DuckDB produces
 * when it reads Parquet, and writing the Arrow types of the table's schema
 * rather than DuckDB's. A connector may not depend on the planner; the
 * shared converter belongs in `@spoke/sdk` (see the README), and this copy
 * goes away when it moves there.
 */
import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import duckdb, { type Vector as DuckDBRawVector } from '@duckdb/node-bindings';
import { arrow, type DataType, type Field } from '@spoke/core';

type Data = ReturnType<typeof arrow.makeData>;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Every byte copy below assumes Arrow's and DuckDB's little-endian layouts agree with the host.
  throw new Error('@spoke/connector-parquet requires a little-endian host');
}

/** Rows per DuckDB data chunk. */
export const VECTOR_SIZE: number = duckdb.vector_size();

/**
 * Accumulates one column from DuckDB vectors. `append` reads rows
 * [start, start+count) of the vector, or rows sel[0..count) when `sel` is
 * given; `extent` is how many rows the vector holds.
 */
export interface ColumnBuilder {
  append(vector: DuckDBRawVector, extent: number, sel: Int32Array | null, start: number, count: number): void;
  /** The rows appended since the last call, as Arrow Data; starts afresh. */
  finish(): Data;
}

/**
 * Whether DuckDB's type for a column can be written as `type` by
 * {@link makeBuilder} without changing any value. `SQLNULL` (a column the
 * file lacks, selected as `NULL`) fits everything.
 */
export function fits(duck: DuckDBType, type: DataType): boolean {
  const T = arrow.Type;
  const id = duck.typeId;
  if (id === DuckDBTypeId.SQLNULL) return true;
  switch (type.typeId) {
    case T.Bool:
      return id === DuckDBTypeId.BOOLEAN;
    case T.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      const want = isSigned
        ? {
            8: DuckDBTypeId.TINYINT,
            16: DuckDBTypeId.SMALLINT,
            32: DuckDBTypeId.INTEGER,
            64: DuckDBTypeId.BIGINT,
          }
        : {
            8: DuckDBTypeId.UTINYINT,
            16: DuckDBTypeId.USMALLINT,
            32: DuckDBTypeId.UINTEGER,
            64: DuckDBTypeId.UBIGINT,
          };
      return id === want[bitWidth as 8 | 16 | 32 | 64];
    }
    case T.Float:
      return (type as unknown as { precision: number }).precision === arrow.Precision.DOUBLE
        ? id === DuckDBTypeId.DOUBLE
        : id === DuckDBTypeId.FLOAT;
    case T.Decimal: {
      const { scale, precision } = type as unknown as { scale: number; precision: number };
      return id === DuckDBTypeId.DECIMAL && duck.scale === scale && duck.width === precision;
    }
    case T.Date:
      return id === DuckDBTypeId.DATE;
    case T.Time:
      return id === DuckDBTypeId.TIME;
    case T.Timestamp:
      return (
        id === DuckDBTypeId.TIMESTAMP ||
        id === DuckDBTypeId.TIMESTAMP_TZ ||
        id === DuckDBTypeId.TIMESTAMP_MS ||
        id === DuckDBTypeId.TIMESTAMP_NS ||
        id === DuckDBTypeId.TIMESTAMP_S
      );
    case T.Utf8:
      return id === DuckDBTypeId.VARCHAR || id === DuckDBTypeId.UUID;
    case T.Binary:
      return id === DuckDBTypeId.BLOB;
    case T.List: {
      const item = (type.children as Field[])[0] as Field;
      return id === DuckDBTypeId.LIST && fits(duck.valueType, item.type);
    }
    case T.Struct: {
      const fields = type.children as Field[];
      return (
        id === DuckDBTypeId.STRUCT &&
        duck.entryTypes.length === fields.length &&
        fields.every(
          (f, k) => duck.entryNames[k] === f.name && fits(duck.entryTypes[k] as DuckDBType, f.type),
        )
      );
    }
    default:
      return false;
  }
}

/** The builder writing DuckDB's `duck` vectors as Arrow `type` (check {@link fits} first). */
export function makeBuilder(duck: DuckDBType, type: DataType, initialRows: number): ColumnBuilder {
  switch (duck.typeId) {
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
    case DuckDBTypeId.DECIMAL:
      if (duck.width > 18) return new FixedBuilder(type, 16, initialRows);
      return widenedDecimalBuilder(type, duck.width > 9 ? 8 : duck.width > 4 ? 4 : 2, initialRows);
    case DuckDBTypeId.TIMESTAMP_S:
      return scaledTimestampBuilder(type, (v) => v * 1_000_000n, initialRows);
    case DuckDBTypeId.TIMESTAMP_MS:
      return scaledTimestampBuilder(type, (v) => v * 1_000n, initialRows);
    case DuckDBTypeId.TIMESTAMP_NS:
      // Toward zero, as the JavaScript decoder does (ns / 1000n).
      return scaledTimestampBuilder(type, (v) => v / 1000n, initialRows);
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
      return new StringBuilder(type, initialRows);
    case DuckDBTypeId.UUID:
      return new UuidBuilder(type, initialRows);
    case DuckDBTypeId.LIST: {
      const item = ((type.children as Field[])[0] as Field).type;
      return new ListBuilder(type, makeBuilder(duck.valueType, item, initialRows), initialRows);
    }
    case DuckDBTypeId.STRUCT: {
      const fields = type.children as Field[];
      return new StructBuilder(
        type,
        duck.entryTypes.map((t, k) => makeBuilder(t, (fields[k] as Field).type, initialRows)),
        initialRows,
      );
    }
    default:
      throw new Error(`no Arrow conversion for DuckDB type ${duck.toString()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Memory helpers

function getBit(bits: Uint8Array, i: number): number {
  return ((bits[i >>> 3] as number) >>> (i & 7)) & 1;
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >>> 1] as number);

function countSetBits(bits: Uint8Array, n: number): number {
  let count = 0;
  const full = n >>> 3;
  for (let i = 0; i < full; i++) count += POPCOUNT[bits[i] as number] as number;
  const rest = n & 7;
  if (rest) count += POPCOUNT[(bits[full] as number) & ((1 << rest) - 1)] as number;
  return count;
}

/** A byte buffer that doubles when it fills. */
class GrowableBytes {
  bytes: Uint8Array;

  constructor(initial: number) {
    this.bytes = new Uint8Array(Math.max(64, initial));
  }

  ensure(size: number): Uint8Array {
    if (size > this.bytes.length) {
      let next = this.bytes.length * 2;
      while (next < size) next *= 2;
      const grown = new Uint8Array(next);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    return this.bytes;
  }

  /** Hands the first `size` bytes over (as a view) and starts a fresh buffer of the same capacity. */
  take(size: number): Uint8Array {
    const out = this.bytes.subarray(0, size);
    this.bytes = new Uint8Array(this.bytes.length);
    return out;
  }
}

/** Aligned typed views over a buffer (vector_get_data returns a fresh, aligned copy). */
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

function rowAt(sel: Int32Array | null, start: number, i: number): number {
  return sel ? (sel[i] as number) : start + i;
}

let identity = new Int32Array(0);
function identityRows(n: number): Int32Array {
  if (identity.length < n) {
    identity = new Int32Array(Math.max(n, identity.length * 2, VECTOR_SIZE));
    for (let i = 0; i < identity.length; i++) identity[i] = i;
  }
  return identity;
}

function validityProps(v: { nullBitmap: Uint8Array | undefined; nullCount: number }): {
  nullCount: number;
  nullBitmap?: Uint8Array;
} {
  return v.nullBitmap ? { nullCount: v.nullCount, nullBitmap: v.nullBitmap } : { nullCount: 0 };
}

// ---------------------------------------------------------------------------------------------
// Builders

/** Arrow validity, allocated at the first NULL only (DuckDB's mask has Arrow's bytes). */
class ValidityBuilder {
  private bits: GrowableBytes | null = null;
  private length = 0;
  private nulls = 0;

  constructor(private readonly initialRows: number) {}

  /** Appends the rows' validity; returns the vector's mask (null when all valid) for value loops. */
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
      this.nulls += count - countSetBits(bytes.subarray(this.length >>> 3), count);
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

/** A column the file does not have: every row NULL. */
class NullBuilder implements ColumnBuilder {
  private length = 0;

  constructor(private readonly type: DataType) {}

  append(_v: DuckDBRawVector, _e: number, _s: Int32Array | null, _start: number, count: number): void {
    this.length += count;
  }

  finish(): Data {
    const n = this.length;
    this.length = 0;
    return arrow.vectorFromArray(new Array(n).fill(null), this.type as never).data[0] as Data;
  }
}

/** Fixed-width values whose DuckDB and Arrow bytes agree: copied in bulk. */
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

/** Values converted one by one into a fixed-width Arrow layout (`outWidth` 0 means bits). */
class ConvertingBuilder implements ColumnBuilder {
  private readonly values: GrowableBytes;
  private readonly validity: ValidityBuilder;
  private length = 0;

  constructor(
    private readonly type: DataType,
    private readonly sourceWidth: number,
    private readonly outWidth: number,
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

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    this.validity.append(vector, extent, sel, start, count);
    const source = duckdb.vector_get_data(vector, extent * this.sourceWidth);
    const total = this.length + count;
    const out = this.values.ensure(this.outWidth === 0 ? Math.ceil(total / 8) + 1 : total * this.outWidth);
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

/** DECIMAL stored in 2, 4 or 8 bytes, sign-extended to Arrow's 16. */
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

/** Utf8 / Binary: int32 offsets plus a data buffer, built directly from DuckDB's 16-byte string slots. */
class StringBuilder implements ColumnBuilder {
  private offsets: Int32Array;
  private readonly data: GrowableBytes;
  readonly validity: ValidityBuilder;
  private length = 0;
  private dataLength = 0;
  private readonly pointerCell = new ArrayBuffer(8);
  private readonly pointerView = new DataView(this.pointerCell);
  private pendingDst = new Float64Array(VECTOR_SIZE);
  private pendingPtr = new Float64Array(VECTOR_SIZE);
  private pendingLen = new Int32Array(VECTOR_SIZE);

  constructor(
    private readonly type: DataType,
    private readonly initialRows: number,
  ) {
    this.offsets = new Int32Array(initialRows + 1);
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

  /** Appends bytes made in JS (UUID text); the caller appended validity. */
  appendBytes(values: readonly (Uint8Array | null)[]): void {
    this.ensureOffsets(values.length);
    for (const value of values) {
      if (value !== null) {
        this.data.ensure(this.dataLength + value.length).set(value, this.dataLength);
        this.dataLength += value.length;
      }
      this.length++;
      this.offsets[this.length] = this.dataLength;
    }
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
   * Inline strings (≤ 12 bytes) are copied from the slot; out-of-line ones
   * are grouped into runs of memory whose gaps are below a page, each run
   * fetched with one native call (a gap below 4096 bytes between two
   * readable bytes cannot hide an unmapped page).
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
    const { pendingDst, pendingPtr, pendingLen } = this;
    const flushRun = (): void => {
      if (pending === 0) return;
      this.pointerView.setBigUint64(0, BigInt(runStart), true);
      const run = duckdb.get_data_from_pointer(this.pointerCell, 0, runEnd - runStart);
      for (let k = 0; k < pending; k++) {
        const from = (pendingPtr[k] as number) - runStart;
        const size = pendingLen[k] as number;
        const to = pendingDst[k] as number;
        if (size < 64) for (let b = 0; b < size; b++) out[to + b] = run[from + b] as number;
        else out.set(run.subarray(from, from + size), to);
      }
      pending = 0;
    };
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
        // Pending copies target the old buffer's positions, which `ensure` keeps.
        flushRun();
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
    this.offsets = new Int32Array(this.initialRows + 1);
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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const encoder = new TextEncoder();

/** DuckDB stores a UUID as a HUGEINT with the top bit flipped (so it sorts like the text). */
class UuidBuilder implements ColumnBuilder {
  private readonly strings: StringBuilder;

  constructor(type: DataType, initialRows: number) {
    this.strings = new StringBuilder(type, initialRows);
  }

  append(
    vector: DuckDBRawVector,
    extent: number,
    sel: Int32Array | null,
    start: number,
    count: number,
  ): void {
    const valid = this.strings.validity.append(vector, extent, sel, start, count);
    const source = duckdb.vector_get_data(vector, extent * 16);
    const values: (Uint8Array | null)[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const r = rowAt(sel, start, i);
      if (valid && !getBit(valid, r)) {
        values[i] = null;
        continue;
      }
      const at = r * 16;
      let hex = '';
      for (let b = 15; b >= 8; b--)
        hex += HEX[b === 15 ? (source[at + b] as number) ^ 0x80 : (source[at + b] as number)];
      for (let b = 7; b >= 0; b--) hex += HEX[source[at + b] as number];
      values[i] = encoder.encode(
        `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
      );
    }
    this.strings.appendBytes(values);
  }

  finish(): Data {
    return this.strings.finish();
  }
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
    this.offsets = new Int32Array(initialRows + 1);
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
    // list_entry_t: {u64 offset; u64 length}, read as 32-bit halves.
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
    this.offsets = new Int32Array(this.initialRows + 1);
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
    for (let k = 0; k < this.children.length; k++)
      (this.children[k] as ColumnBuilder).append(
        duckdb.struct_vector_get_child(vector, k),
        extent,
        sel,
        start,
        count,
      );
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
