/**
 * Low-level helpers shared by the Arrow ↔ DuckDB converters: the raw DuckDB
 * bindings, growable byte buffers and bitmap arithmetic.
 *
 * Why raw bindings: `@duckdb/node-api`'s vector classes read and write one JS
 * value at a time. The C API lets us copy a whole Arrow buffer into a vector
 * with one `memcpy` (`copy_data_to_vector`), and DuckDB's validity mask (64-bit
 * words, bit i = row i valid) has the same bytes as Arrow's validity bitmap on
 * little-endian machines, so it copies in bulk too.
 */
import duckdb from '@duckdb/node-bindings';

export { duckdb };

/** Rows per DuckDB data chunk (2048 in every build we ship). */
export const VECTOR_SIZE: number = duckdb.vector_size();

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Every byte copy below assumes Arrow's and DuckDB's little-endian layouts agree with the host.
  throw new Error('@spoke/planner execution requires a little-endian host');
}

/** Bit i of an LSB-first bitmap. */
export function getBit(bits: Uint8Array, i: number): number {
  return ((bits[i >>> 3] as number) >>> (i & 7)) & 1;
}

/** Sets bit i of an LSB-first bitmap to 1. */
export function setBit(bits: Uint8Array, i: number): void {
  bits[i >>> 3] = (bits[i >>> 3] as number) | (1 << (i & 7));
}

/** Clears bit i of an LSB-first bitmap. */
export function clearBit(bits: Uint8Array, i: number): void {
  bits[i >>> 3] = (bits[i >>> 3] as number) & ~(1 << (i & 7));
}

/** Set bits in each byte value, for counting nulls in bulk. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >>> 1] as number);

/** Number of set bits among the first `n` bits of `bits` (from bit 0). */
export function countSetBits(bits: Uint8Array, n: number): number {
  let count = 0;
  const full = n >>> 3;
  for (let i = 0; i < full; i++) count += POPCOUNT[bits[i] as number] as number;
  const rest = n & 7;
  if (rest) count += POPCOUNT[(bits[full] as number) & ((1 << rest) - 1)] as number;
  return count;
}

/**
 * `n` bits of `src` starting at bit `from`, as a new bitmap starting at bit 0.
 * Bytes are copied as a view when `from` is byte-aligned.
 */
export function bitsFrom(src: Uint8Array, from: number, n: number): Uint8Array {
  const bytes = (n + 7) >>> 3;
  const firstByte = from >>> 3;
  const shift = from & 7;
  if (shift === 0) {
    if (firstByte + bytes <= src.length) return src.subarray(firstByte, firstByte + bytes);
    const out = new Uint8Array(bytes);
    out.set(src.subarray(firstByte, Math.min(src.length, firstByte + bytes)));
    return out;
  }
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    const lo = (src[firstByte + i] ?? 0) >>> shift;
    const hi = ((src[firstByte + i + 1] ?? 0) << (8 - shift)) & 0xff;
    out[i] = lo | hi;
  }
  return out;
}

/** The most a {@link GrowableBytes} allocates before it knows how much its batch needs. */
const FIRST_BYTES = 4096;
const NO_BYTES = new Uint8Array(0);

/**
 * A byte buffer that doubles when it fills, for building Arrow buffers of
 * unknown final size. Nothing is allocated until the first {@link ensure}, and
 * that first allocation is small (at most {@link FIRST_BYTES}): a batch's
 * worth of megabytes allocated up front for a ten-row answer, twice per query,
 * kept the garbage collector running full collections. After {@link take},
 * the next batch starts at the size this one reached.
 */
export class GrowableBytes {
  bytes: Uint8Array = NO_BYTES;
  /** The size of the next allocation from empty. */
  #reserve: number;

  constructor(initial: number) {
    this.#reserve = Math.max(64, Math.min(initial, FIRST_BYTES));
  }

  /** Makes room for `size` bytes in total, keeping the content (new bytes are zero). */
  ensure(size: number): Uint8Array {
    if (size > this.bytes.length) {
      let next = Math.max(this.bytes.length * 2, this.#reserve);
      while (next < size) next *= 2;
      const grown = new Uint8Array(next);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    return this.bytes;
  }

  /** Hands the first `size` bytes over (as a view); the next {@link ensure} starts a fresh buffer. */
  take(size: number): Uint8Array {
    const out = this.bytes.subarray(0, size);
    this.#reserve = Math.max(this.#reserve, this.bytes.length);
    this.bytes = NO_BYTES;
    return out;
  }
}

/** A view of `count` 8-byte little-endian integers from `view` at byte `byteOffset`, copying only when misaligned. */
export function int64Array(view: ArrayBufferView, byteOffset: number, count: number): BigInt64Array {
  const abs = view.byteOffset + byteOffset;
  if (abs % 8 === 0) return new BigInt64Array(view.buffer, abs, count);
  return new BigInt64Array(new Uint8Array(view.buffer, abs, count * 8).slice().buffer);
}

/** A view of `count` 4-byte little-endian integers from `view` at byte `byteOffset`, copying only when misaligned. */
export function int32Array(view: ArrayBufferView, byteOffset: number, count: number): Int32Array {
  const abs = view.byteOffset + byteOffset;
  if (abs % 4 === 0) return new Int32Array(view.buffer, abs, count);
  return new Int32Array(new Uint8Array(view.buffer, abs, count * 4).slice().buffer);
}

/** Shared UTF-8 codecs. */
export const textEncoder = new TextEncoder();
export const textDecoder = new TextDecoder();
