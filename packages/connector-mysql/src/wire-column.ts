/**
 * One Arrow column being filled straight from MySQL's binary result rows
 * (see binary-row-decoder.ts): fixed-width values are copied as
 * little-endian bytes (the wire's byte order is Arrow's), booleans are set
 * as bits, strings and blobs are copied as bytes with offsets — no JS value
 * per cell. The decoder writes the public fields directly; this class keeps
 * the buffers sized and hands them over as Arrow `Data`.
 */
import { endianness } from 'node:os';
import { arrow, type DataType } from '@spoke/core';

// Values are stored through Int32Array views of little-endian wire bytes.
if (endianness() !== 'LE') throw new Error('@spoke/connector-mysql needs a little-endian machine');

/** A zero-length buffer: a column's state before its first row and after `finish()`. */
const NO_BYTES = new Uint8Array(0);
const NO_INTS = new Int32Array(0);
/** First size of a variable-length column's byte buffer. */
const INITIAL_VAR_BYTES = 4 * 1024;

/** The Arrow Data a column produces. */
export type ColumnData = ReturnType<typeof arrow.makeData>;

/** How a column's values are stored: bytes per value, or bits, or offsets + bytes. */
export type WireLayout =
  | { readonly kind: 'fixed'; readonly width: number }
  | { readonly kind: 'bits' }
  | { readonly kind: 'var' };

/**
 * The buffers of one column. Sizes grow geometrically as rows arrive (a
 * one-row answer allocates a few hundred bytes, not a batch's worth) and
 * the next batch starts at the size the last one reached.
 */
export class WireColumn {
  /** Fixed-width values (`width` bytes each), a bool column's bits, or a var column's value bytes. */
  bytes: Uint8Array = NO_BYTES;
  /** An Int32Array over `bytes` (fixed columns of width 4, 8 or 16). */
  i32: Int32Array = NO_INTS;
  /** A var column's value offsets (`rows + 1` of them). */
  offsets: Int32Array = NO_INTS;
  /** Bytes used in a var column's `bytes`. */
  end = 0;
  /** Validity bits, allocated at the first NULL. */
  nulls: Uint8Array | undefined;
  nullCount = 0;
  /** Values the buffers hold. */
  capacity = 0;
  readonly width: number;
  readonly isVar: boolean;
  readonly isBits: boolean;
  #varReserve = INITIAL_VAR_BYTES;

  constructor(
    readonly type: DataType,
    layout: WireLayout,
  ) {
    this.width = layout.kind === 'fixed' ? layout.width : 0;
    this.isVar = layout.kind === 'var';
    this.isBits = layout.kind === 'bits';
  }

  /** Grows the value buffers to `capacity` values, keeping the first `rows`. */
  grow(capacity: number, rows: number): void {
    if (capacity <= this.capacity) return;
    if (this.isVar) {
      const offsets = new Int32Array(capacity + 1);
      offsets.set(this.offsets.subarray(0, rows + 1));
      this.offsets = offsets;
      if (this.bytes.length === 0) this.bytes = new Uint8Array(this.#varReserve);
    } else {
      const size = this.isBits ? (capacity + 7) >> 3 : capacity * this.width;
      const bytes = new Uint8Array(size);
      bytes.set(this.bytes);
      this.bytes = bytes;
      if (this.width >= 4) this.i32 = new Int32Array(bytes.buffer, 0, size >> 2);
    }
    if (this.nulls) this.nulls = grownBits(this.nulls, capacity);
    this.capacity = capacity;
  }

  /** Makes room for `extra` more value bytes in a var column; returns the (new) buffer. */
  reserveBytes(extra: number): Uint8Array {
    const need = this.end + extra;
    if (need > this.bytes.length) {
      const next = new Uint8Array(Math.max(this.bytes.length * 2, need));
      next.set(this.bytes.subarray(0, this.end));
      this.bytes = next;
    }
    return this.bytes;
  }

  /** Marks value `row` NULL. Its fixed-width bytes are already zero (buffers are fresh and written once). */
  setNull(row: number): void {
    if (!this.nulls) this.nulls = new Uint8Array((this.capacity + 7) >> 3).fill(0xff);
    this.nulls[row >> 3]! &= ~(1 << (row & 7));
    this.nullCount++;
    if (this.isVar) this.offsets[row + 1] = this.end;
  }

  /** The first `rows` values as Arrow Data; the column starts empty again. */
  finish(rows: number): ColumnData {
    const validity =
      this.nulls && this.nullCount > 0
        ? { nullBitmap: this.nulls.subarray(0, (rows + 7) >> 3), nullCount: this.nullCount }
        : { nullCount: 0 };
    let data: ColumnData;
    if (this.isVar) {
      data = arrow.makeData({
        type: this.type as never,
        length: rows,
        valueOffsets: this.offsets.subarray(0, rows + 1),
        data: this.bytes.subarray(0, this.end),
        ...validity,
      });
      this.#varReserve = Math.max(INITIAL_VAR_BYTES, Math.min(this.end, 64 * 1024 * 1024));
      this.offsets = NO_INTS;
      this.end = 0;
    } else {
      data = arrow.makeData({
        type: this.type as never,
        length: rows,
        data: this.isBits
          ? this.bytes.subarray(0, (rows + 7) >> 3)
          : this.bytes.subarray(0, rows * this.width),
        ...validity,
      } as never);
      this.i32 = NO_INTS;
    }
    this.bytes = NO_BYTES;
    this.nulls = undefined;
    this.nullCount = 0;
    this.capacity = 0;
    return data;
  }
}

/** A validity bitmap of `capacity` bits: `bits` copied, the new bits set (valid). */
function grownBits(bits: Uint8Array, capacity: number): Uint8Array {
  const size = (capacity + 7) >> 3;
  if (size <= bits.length) return bits;
  const next = new Uint8Array(size).fill(0xff);
  next.set(bits);
  return next;
}
