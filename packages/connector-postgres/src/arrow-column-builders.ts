/**
 * Arrow column builders fed straight from PostgreSQL's binary wire format:
 * fixed-width values are byte-swapped into typed arrays, strings are copied
 * as bytes with offsets (never decoded to JS strings), numerics become
 * Decimal128 words. One builder per column; `finish()` hands over the Data
 * and starts a fresh buffer, so memory is bounded by one batch.
 */
import { endianness } from 'node:os';
import { arrow, type DataType } from '@spoke/core';
import type { Data } from 'apache-arrow';
import type { PgType } from './postgres-type-mapping.js';

if (endianness() !== 'LE') throw new Error('@spoke/connector-postgres needs a little-endian machine');

/** Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
const PG_EPOCH_MICROS = 946_684_800_000_000;
/** High 32 bits of {@link PG_EPOCH_MICROS}. */
export const EPOCH_HI = Math.floor(PG_EPOCH_MICROS / 2 ** 32);
/** Low 32 bits of {@link PG_EPOCH_MICROS}. */
export const EPOCH_LO = PG_EPOCH_MICROS % 2 ** 32;
/** Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
export const PG_EPOCH_DAYS = 10_957;
/** First size of a variable-length column's byte buffer; later batches start at the size the last one reached. */
const INITIAL_VAR_BYTES = 1024;
/**
 * Values a builder makes room for at its first row. Buffers are allocated at
 * the first row and grow geometrically up to the batch size, so a one-row
 * answer (a point query) costs a few hundred bytes, not a batch's worth of
 * megabytes — per-query buffers that large made the garbage collector run
 * full collections every few queries (external memory pressure).
 */
const FIRST_VALUES = 64;
/** A zero-length buffer: a builder's state before its first row and after `finish()`. */
const NO_BYTES = new Uint8Array(0);
const NO_INT16 = new Int16Array(0);
const NO_INT32 = new Int32Array(0);
/** A variable-length column's offsets before its first row: just the first offset, 0 (never written). */
const FIRST_OFFSET = new Int32Array(1);
/** Bytes of one {@link BufferArena} chunk. */
const ARENA_CHUNK_BYTES = 4 * 1024;
/** Requests above this size get a buffer of their own. */
const ARENA_MAX_BYTES = 1024;

/**
 * Hands one decoder's small buffers out of shared 4 KiB chunks. Each
 * `new Uint8Array` is a separate off-heap allocation, tracked by V8 as
 * external memory, and a one-row answer made about ten of them (the first
 * rows' values, offsets and bytes of every column, the validity bitmaps, the
 * decoder's carry buffer): in the gateway, allocating them was the largest
 * single cost of a pushed-down point query. The regions are never reused,
 * so they are zero, and 8-byte aligned, so typed views can be laid over
 * them. A batch keeps its chunk alive, as a subarray of a larger buffer
 * always did; larger buffers (past the first rows) are allocated alone.
 */
export class BufferArena {
  #chunk = NO_BYTES;
  #used = 0;

  /** `n` zeroed bytes. */
  bytes(n: number): Uint8Array {
    if (n > ARENA_MAX_BYTES) return new Uint8Array(n);
    if (this.#used + n > this.#chunk.length) {
      this.#chunk = new Uint8Array(ARENA_CHUNK_BYTES);
      this.#used = 0;
    }
    const out = this.#chunk.subarray(this.#used, this.#used + n);
    this.#used += (n + 7) & ~7;
    return out;
  }

  /** `n` zeroed 32-bit integers. */
  int32(n: number): Int32Array {
    const bytes = this.bytes(n * 4);
    return new Int32Array(bytes.buffer, bytes.byteOffset, n);
  }
}

/** Appends binary wire values of one column. */
export interface ColumnBuilder {
  readonly type: DataType;
  readonly length: number;
  /** Appends the value in `buf[offset, offset + len)`; `view` is a DataView over the same bytes as `buf`. */
  append(buf: Uint8Array, view: DataView, offset: number, len: number): void;
  appendNull(): void;
  /** The column so far as Arrow Data; the builder starts empty again. */
  finish(): Data;
}

/** Validity bitmap, allocated on the first NULL. */
class Validity {
  bits: Uint8Array | undefined;
  nullCount = 0;

  constructor(private readonly arena: BufferArena) {}

  setNull(index: number, capacity: number): void {
    if (!this.bits) {
      this.bits = this.arena.bytes(Math.max(8, (Math.max(capacity, index + 1) + 7) >> 3)).fill(0xff);
    } else if (index >> 3 >= this.bits.length) {
      this.grow(Math.max(index + 1, capacity));
    }
    this.bits[index >> 3]! &= ~(1 << (index & 7));
    this.nullCount++;
  }

  /** Makes sure a bit exists (set) for `index`; only needed once a bitmap exists. */
  ensure(index: number): void {
    if (this.bits && index >> 3 >= this.bits.length) this.grow(index + 1);
  }

  private grow(minBits: number): void {
    const old = this.bits!;
    const next = this.arena.bytes(Math.max(old.length * 2, (minBits + 7) >> 3)).fill(0xff);
    next.set(old);
    this.bits = next;
  }

  take(length: number): { nullBitmap?: Uint8Array; nullCount: number } {
    const out =
      this.nullCount > 0 && this.bits
        ? { nullBitmap: this.bits.subarray(0, (length + 7) >> 3), nullCount: this.nullCount }
        : { nullCount: 0 };
    this.bits = undefined;
    this.nullCount = 0;
    return out;
  }
}

/**
 * Fixed-width values stored as bytes (`width` per value). The typed views
 * (`i16`, `i32`) over the same bytes let the generated row decoder
 * (row-decoder-generator.ts) store values directly; `capacity` is in values.
 */
export class FixedBuilder implements ColumnBuilder {
  length = 0;
  capacity: number;
  bytes: Uint8Array;
  i16: Int16Array;
  i32: Int32Array;
  protected readonly validity: Validity;
  /** Values allocated at the first row: {@link FIRST_VALUES}, then the size the last batch reached. */
  #reserve: number;

  constructor(
    private readonly arena: BufferArena,
    readonly type: DataType,
    readonly width: number,
    private readonly write: (
      out: Uint8Array,
      at: number,
      buf: Uint8Array,
      view: DataView,
      offset: number,
      len: number,
    ) => void,
    private readonly initial = 1024,
  ) {
    this.validity = new Validity(arena);
    this.#reserve = Math.min(initial, FIRST_VALUES);
    this.capacity = 0;
    this.bytes = NO_BYTES;
    this.i16 = NO_INT16;
    this.i32 = NO_INT32;
  }

  /** Grows (geometrically) to hold at least `minCapacity` values. */
  grow(minCapacity: number): void {
    if (minCapacity <= this.capacity) return;
    const capacity = Math.max(this.capacity * 2, minCapacity, this.#reserve);
    const next = this.arena.bytes(capacity * this.width);
    next.set(this.bytes.subarray(0, this.length * this.width));
    this.#use(next, capacity);
    this.validity.ensure(capacity - 1);
  }

  #use(bytes: Uint8Array, capacity: number): void {
    this.bytes = bytes;
    this.capacity = capacity;
    this.i16 = new Int16Array(bytes.buffer, bytes.byteOffset, (capacity * this.width) >> 1);
    this.i32 = new Int32Array(bytes.buffer, bytes.byteOffset, (capacity * this.width) >> 2);
  }

  append(buf: Uint8Array, view: DataView, offset: number, len: number): void {
    if (this.length >= this.capacity) this.grow(this.length + 1);
    this.write(this.bytes, this.length * this.width, buf, view, offset, len);
    this.validity.ensure(this.length);
    this.length++;
  }

  appendNull(): void {
    if (this.length >= this.capacity) this.grow(this.length + 1);
    this.bytes.fill(0, this.length * this.width, (this.length + 1) * this.width);
    this.validity.setNull(this.length, this.capacity);
    this.length++;
  }

  /** Marks value `index` NULL (its bytes are already zero: buffers are fresh and written once). */
  setNull(index: number): void {
    this.validity.setNull(index, this.capacity);
  }

  finish(): Data {
    const length = this.length;
    const data = arrow.makeData({
      type: this.type as never,
      length,
      data: this.bytes.subarray(0, length * this.width) as never,
      ...this.validity.take(length),
    } as never) as Data;
    // The next batch, if any, starts at the size this one reached (allocated at its first row, not now:
    // after the last batch nothing more is allocated).
    this.#reserve = Math.max(Math.min(this.initial, FIRST_VALUES), length);
    this.#use(NO_BYTES, 0);
    this.length = 0;
    return data;
  }
}

function swap2(out: Uint8Array, at: number, b: Uint8Array, o: number): void {
  out[at] = b[o + 1]!;
  out[at + 1] = b[o]!;
}
function swap4(out: Uint8Array, at: number, b: Uint8Array, o: number): void {
  out[at] = b[o + 3]!;
  out[at + 1] = b[o + 2]!;
  out[at + 2] = b[o + 1]!;
  out[at + 3] = b[o]!;
}
function swap8(out: Uint8Array, at: number, b: Uint8Array, o: number): void {
  out[at] = b[o + 7]!;
  out[at + 1] = b[o + 6]!;
  out[at + 2] = b[o + 5]!;
  out[at + 3] = b[o + 4]!;
  out[at + 4] = b[o + 3]!;
  out[at + 5] = b[o + 2]!;
  out[at + 6] = b[o + 1]!;
  out[at + 7] = b[o]!;
}

/** Writes big-endian int64 `(hi, lo)` + PostgreSQL's epoch offset as little-endian, keeping ±infinity sentinels. */
function writeTimestamp(out: Uint8Array, at: number, view: DataView, o: number): void {
  const hi = view.getInt32(o);
  const lo = view.getUint32(o + 4);
  let outHi = hi;
  let outLo = lo;
  // ±infinity are INT64_MAX / INT64_MIN on the wire, and in DuckDB: keep them.
  const infinite = (hi === 0x7fffffff && lo === 0xffffffff) || (hi === -0x80000000 && lo === 0);
  if (!infinite) {
    const sum = lo + EPOCH_LO;
    outLo = sum >>> 0;
    outHi = (hi + EPOCH_HI + (sum >= 2 ** 32 ? 1 : 0)) | 0;
  }
  out[at] = outLo & 0xff;
  out[at + 1] = (outLo >>> 8) & 0xff;
  out[at + 2] = (outLo >>> 16) & 0xff;
  out[at + 3] = outLo >>> 24;
  out[at + 4] = outHi & 0xff;
  out[at + 5] = (outHi >>> 8) & 0xff;
  out[at + 6] = (outHi >>> 16) & 0xff;
  out[at + 7] = (outHi >>> 24) & 0xff;
}

/** Booleans: one bit each. */
class BoolBuilder implements ColumnBuilder {
  readonly type = new arrow.Bool();
  length = 0;
  private bits: Uint8Array;
  private readonly validity: Validity;

  constructor(private readonly arena: BufferArena) {
    this.bits = arena.bytes(128);
    this.validity = new Validity(arena);
  }

  private reserve(): void {
    if (this.length >> 3 >= this.bits.length) {
      const next = this.arena.bytes(this.bits.length * 2);
      next.set(this.bits);
      this.bits = next;
    }
  }

  append(buf: Uint8Array, _view: DataView, offset: number): void {
    this.reserve();
    if (buf[offset]) this.bits[this.length >> 3]! |= 1 << (this.length & 7);
    this.validity.ensure(this.length);
    this.length++;
  }

  appendNull(): void {
    this.reserve();
    this.validity.setNull(this.length, this.bits.length * 8);
    this.length++;
  }

  finish(): Data {
    const length = this.length;
    const data = arrow.makeData({
      type: this.type,
      length,
      data: this.bits.subarray(0, (length + 7) >> 3),
      ...this.validity.take(length),
    } as never) as Data;
    this.bits = this.arena.bytes(Math.max(128, this.bits.length));
    this.length = 0;
    return data;
  }
}

/**
 * Variable-length bytes (Utf8 or Binary): bytes copied, offsets recorded.
 * `skip` drops a prefix (jsonb's version byte). The fields are public so the
 * generated row decoder can append without a call per value.
 */
export class VarBuilder implements ColumnBuilder {
  length = 0;
  /** Values the offsets have room for. */
  capacity: number;
  offsets: Int32Array;
  bytes: Uint8Array;
  end = 0;
  private readonly validity: Validity;
  /** Values, and bytes, allocated at the first row: small, then the sizes the last batch reached. */
  #reserve: number;
  #reserveBytes = INITIAL_VAR_BYTES;

  constructor(
    private readonly arena: BufferArena,
    readonly type: DataType,
    readonly skip = 0,
    private readonly initial = 1024,
  ) {
    this.validity = new Validity(arena);
    this.#reserve = Math.min(initial, FIRST_VALUES);
    this.capacity = 0;
    this.offsets = FIRST_OFFSET;
    this.bytes = NO_BYTES;
  }

  /** Grows the offsets (geometrically) to hold at least `minCapacity` values. */
  grow(minCapacity: number): void {
    if (minCapacity <= this.capacity) return;
    const capacity = Math.max(this.capacity * 2, minCapacity, this.#reserve);
    const next = this.arena.int32(capacity + 1);
    next.set(this.offsets.subarray(0, this.length + 1));
    this.offsets = next;
    this.capacity = capacity;
    this.validity.ensure(capacity - 1);
  }

  /** Makes room for `extra` more bytes after `end` (geometric growth); returns the (new) byte buffer. */
  growBytes(extra: number): Uint8Array {
    if (this.end + extra > this.bytes.length) {
      const next = this.arena.bytes(Math.max(this.bytes.length * 2, this.end + extra, this.#reserveBytes));
      next.set(this.bytes.subarray(0, this.end));
      this.bytes = next;
    }
    return this.bytes;
  }

  append(buf: Uint8Array, _view: DataView, offset: number, len: number): void {
    const from = offset + this.skip;
    const n = len - this.skip;
    if (this.length >= this.capacity) this.grow(this.length + 1);
    const out = this.end + n > this.bytes.length ? this.growBytes(n) : this.bytes;
    if (n < 24) {
      // Short strings: a loop beats allocating a subarray for set().
      let at = this.end;
      for (let i = from; i < from + n; i++) out[at++] = buf[i]!;
    } else {
      out.set(buf.subarray(from, from + n), this.end);
    }
    this.end += n;
    this.validity.ensure(this.length);
    this.offsets[++this.length] = this.end;
  }

  appendNull(): void {
    if (this.length >= this.capacity) this.grow(this.length + 1);
    this.validity.setNull(this.length, this.capacity);
    this.offsets[++this.length] = this.end;
  }

  /** Marks value `index` NULL; the caller writes its (empty) offset. */
  setNull(index: number): void {
    this.validity.setNull(index, this.capacity);
  }

  finish(): Data {
    const length = this.length;
    const data = arrow.makeData({
      type: this.type,
      length,
      valueOffsets: this.offsets.subarray(0, length + 1),
      data: this.bytes.subarray(0, this.end),
      ...this.validity.take(length),
    } as never) as Data;
    // The next batch starts at the sizes this one reached (no regrowing batch after batch), allocated at
    // its first row: after the last batch nothing more is allocated.
    this.#reserve = Math.max(Math.min(this.initial, FIRST_VALUES), length);
    this.#reserveBytes = Math.max(INITIAL_VAR_BYTES, this.end);
    this.capacity = 0;
    this.offsets = FIRST_OFFSET;
    this.bytes = NO_BYTES;
    this.end = 0;
    this.length = 0;
    return data;
  }
}

const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;

/**
 * Writes a binary `numeric` as a Decimal128 with `scale` (little-endian
 * two's complement words). NaN/±Infinity cannot be a decimal: they become NULL.
 * Returns false for those.
 */
function writeNumeric(out: Uint8Array, at: number, view: DataView, o: number, scale: number): boolean {
  const ndigits = view.getInt16(o);
  const weight = view.getInt16(o + 2);
  const sign = view.getUint16(o + 4);
  if (sign === NUMERIC_NAN || sign >= 0xd000) return false;
  // value = Σ digit[i] · 10000^(weight − i); unscaled = value · 10^scale
  const exp10 = (weight - ndigits + 1) * 4 + scale;
  let small = 0;
  let big: bigint | undefined;
  for (let i = 0; i < ndigits; i++) {
    const d = view.getInt16(o + 8 + i * 2);
    if (big === undefined && small < 2 ** 39) {
      small = small * 10000 + d; // stays below 2^53: exact
    } else {
      big ??= BigInt(small);
      big = big * 10000n + BigInt(d);
    }
  }
  let value: bigint;
  if (big === undefined && exp10 >= 0 && exp10 <= 15 && small * 10 ** exp10 < 2 ** 53) {
    value = BigInt(small * 10 ** exp10);
  } else if (big === undefined && exp10 < 0 && exp10 >= -15) {
    value = BigInt(Math.trunc(small / 10 ** -exp10));
  } else {
    const b = big ?? BigInt(small);
    value = exp10 >= 0 ? b * 10n ** BigInt(exp10) : b / 10n ** BigInt(-exp10);
  }
  if (sign === NUMERIC_NEG) value = -value;
  writeInt128(out, at, value);
  return true;
}

function writeInt128(out: Uint8Array, at: number, value: bigint): void {
  let v = BigInt.asUintN(128, value);
  for (let i = 0; i < 16; i++) {
    out[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Decimal128 from binary numeric (or money's int64). */
class DecimalBuilder extends FixedBuilder {
  constructor(
    arena: BufferArena,
    type: DataType,
    scale: number,
    private readonly money: boolean,
  ) {
    super(
      arena,
      type,
      16,
      money ? writeMoney : (out, at, _buf, view, offset) => writeNumeric(out, at, view, offset, scale),
    );
  }

  override append(buf: Uint8Array, view: DataView, offset: number, len: number): void {
    if (!this.money) {
      const sign = view.getUint16(offset + 4);
      // NaN and ±Infinity have no decimal form: they arrive as NULL (documented in the README).
      if (sign === NUMERIC_NAN || sign >= 0xd000) {
        this.appendNull();
        return;
      }
    }
    super.append(buf, view, offset, len);
  }
}

function writeMoney(out: Uint8Array, at: number, _buf: Uint8Array, view: DataView, o: number): void {
  writeInt128(out, at, view.getBigInt64(o));
}

/** Arrays (any dimensionality, flattened in row-major order) as Arrow lists. */
class ListBuilder implements ColumnBuilder {
  length = 0;
  private offsets: Int32Array;
  private readonly validity: Validity;

  constructor(
    private readonly arena: BufferArena,
    readonly type: DataType,
    private readonly child: ColumnBuilder,
  ) {
    this.offsets = arena.int32(65);
    this.validity = new Validity(arena);
  }

  append(buf: Uint8Array, view: DataView, offset: number): void {
    const ndim = view.getInt32(offset);
    let p = offset + 12; // ndim, has-null flag, element OID
    let count = ndim === 0 ? 0 : 1;
    for (let d = 0; d < ndim; d++) {
      count *= view.getInt32(p);
      p += 8; // size, lower bound
    }
    for (let i = 0; i < count; i++) {
      const len = view.getInt32(p);
      p += 4;
      if (len < 0) this.child.appendNull();
      else {
        this.child.append(buf, view, p, len);
        p += len;
      }
    }
    if (this.length + 2 > this.offsets.length) {
      const next = this.arena.int32(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    this.validity.ensure(this.length);
    this.offsets[++this.length] = this.child.length;
  }

  appendNull(): void {
    if (this.length + 2 > this.offsets.length) {
      const next = this.arena.int32(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    this.validity.setNull(this.length, this.offsets.length);
    this.offsets[++this.length] = this.child.length;
  }

  finish(): Data {
    const length = this.length;
    const data = arrow.makeData({
      type: this.type,
      length,
      valueOffsets: this.offsets.subarray(0, length + 1),
      child: this.child.finish(),
      ...this.validity.take(length),
    } as never) as Data;
    this.offsets = this.arena.int32(this.offsets.length);
    this.length = 0;
    return data;
  }
}

/**
 * A builder for one column of type `type`, sized for batches of about
 * `batchRows` rows; a decoder's builders share its `arena`.
 */
export function createColumnBuilder(
  type: PgType,
  batchRows = 65_536,
  arena: BufferArena = new BufferArena(),
): ColumnBuilder {
  const n = Math.min(batchRows, 65_536);
  switch (type.kind) {
    case 'bool':
      return new BoolBuilder(arena);
    case 'int2':
      return new FixedBuilder(arena, type.arrowType, 2, (out, at, b, _v, o) => swap2(out, at, b, o), n);
    case 'int4':
    case 'oid':
    case 'float4':
      return new FixedBuilder(arena, type.arrowType, 4, (out, at, b, _v, o) => swap4(out, at, b, o), n);
    case 'int8':
    case 'float8':
    case 'time':
      return new FixedBuilder(arena, type.arrowType, 8, (out, at, b, _v, o) => swap8(out, at, b, o), n);
    case 'timestamp':
    case 'timestamptz':
      return new FixedBuilder(
        arena,
        type.arrowType,
        8,
        (out, at, _b, v, o) => writeTimestamp(out, at, v, o),
        n,
      );
    case 'date':
      return new FixedBuilder(
        arena,
        type.arrowType,
        4,
        (out, at, _b, v, o) => {
          const days = v.getInt32(o);
          const shifted = days === 0x7fffffff || days === -0x80000000 ? days : days + PG_EPOCH_DAYS;
          out[at] = shifted & 0xff;
          out[at + 1] = (shifted >>> 8) & 0xff;
          out[at + 2] = (shifted >>> 16) & 0xff;
          out[at + 3] = (shifted >>> 24) & 0xff;
        },
        n,
      );
    case 'decimal':
      return new DecimalBuilder(arena, type.arrowType, type.scale ?? 0, false);
    case 'money':
      return new DecimalBuilder(arena, type.arrowType, 2, true);
    case 'bytea':
      return new VarBuilder(arena, type.arrowType, 0, n);
    case 'jsonb':
      return new VarBuilder(arena, type.arrowType, 1, n);
    case 'text':
      return new VarBuilder(arena, type.arrowType, 0, n);
    case 'array':
      return new ListBuilder(arena, type.arrowType, createColumnBuilder(type.element!, batchRows, arena));
  }
}
