/**
 * Decodes MySQL/MariaDB binary-protocol result rows (the answer to
 * COM_STMT_EXECUTE) straight from the packet bytes into Arrow buffers: no
 * row object, no JS string or number per cell on the common paths.
 *
 * A binary row is `0x00`, a NULL bitmap of `(columns + 9) / 8` bytes (bit
 * `i + 2` is column `i`), then each non-NULL value: integers and floats as
 * little-endian bytes (1/2/4/8), DATE/DATETIME/TIMESTAMP as a length byte
 * and year/month/day/hour/minute/second/microsecond fields, TIME as a length
 * byte and sign/days/hours/…, everything else (DECIMAL text, strings, blobs,
 * BIT, JSON, geometry) as a length-encoded byte string.
 *
 * Each column is decoded by the Arrow type the connector maps it to (see
 * mysql-type-mapping.ts) and the type the server sends. The usual pairs have
 * a byte-level path; any other pair (a view whose column type differs from
 * what the server sends, say) reads the value as mysql2 would and goes
 * through the mapping's `decode`, so every mapped type keeps its exact value.
 */
import {
  arrow,
  ErrorCode,
  type Field,
  type RecordBatch,
  recordBatch,
  type ScalarType,
  type Schema,
  SpokeError,
} from '@spoke/core';
import { type ColumnBuilder, columnBuilder, unscaledDecimal } from '@spoke/sdk';
import type { MysqlTypeMapping } from './mysql-type-mapping.js';
import { type ColumnData, WireColumn, type WireLayout } from './wire-column.js';

/** A result column as the server describes it (mysql2's ColumnDefinition has these). */
export interface WireField {
  readonly name: string;
  /** MYSQL_TYPE_* code. */
  readonly columnType: number;
  readonly flags: number;
  /** Collation id; 63 is `binary`. */
  readonly characterSet: number;
}

/** MYSQL_TYPE_* codes (the protocol's column types). */
export const MysqlWireType = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;
const T = MysqlWireType;

const UNSIGNED_FLAG = 32;
const BINARY_CHARSET = 63;
/** A batch whose variable-length bytes pass this is sent early: Arrow's offsets are 32-bit. */
const MAX_BATCH_BYTES = 512 * 1024 * 1024;
/** Values a column makes room for at its first row (then doubling up to the batch size). */
const FIRST_ROWS = 256;
const TWO_32 = 4_294_967_296;

// How each column is decoded (the `kinds` of a decoder).
const COPY1 = 1; // TINY → int8/uint8
const COPY2 = 2; // SHORT, YEAR → int16/uint16
const COPY4 = 3; // LONG, INT24 → int32/uint32; FLOAT → float32
const COPY8 = 4; // LONGLONG → int64/uint64; DOUBLE → float64
const BOOL_BYTE = 5; // TINY → bool
const BOOL_BITS = 6; // BIT → bool
const BITS_U64 = 7; // BIT(n) → uint64
const DECIMAL = 8; // DECIMAL text → decimal128
const BYTES = 9; // strings, blobs, JSON, geometry, DECIMAL(p > 38) → utf8/binary
const DATE = 10; // DATE → date32
const TIMESTAMP = 11; // DATE/DATETIME/TIMESTAMP → timestamp[µs]
const TIME = 12; // TIME → time64[µs]
const VALUE = 13; // anything else: a JS value through the mapping's decode

/** Which byte-level path reads `wire` into `target`, or VALUE. */
function kindOf(target: ScalarType, wire: WireField): number {
  const w = wire.columnType;
  const lenenc = isLengthEncoded(w);
  switch (target.id) {
    case 'bool':
      return w === T.TINY ? BOOL_BYTE : w === T.BIT ? BOOL_BITS : VALUE;
    case 'int8':
    case 'uint8':
      return w === T.TINY ? COPY1 : VALUE;
    case 'int16':
    case 'uint16':
      return w === T.SHORT || w === T.YEAR ? COPY2 : VALUE;
    case 'int32':
    case 'uint32':
      return w === T.LONG || w === T.INT24 ? COPY4 : VALUE;
    case 'int64':
      return w === T.LONGLONG ? COPY8 : VALUE;
    case 'uint64':
      return w === T.LONGLONG ? COPY8 : w === T.BIT ? BITS_U64 : VALUE;
    case 'float32':
      return w === T.FLOAT ? COPY4 : VALUE;
    case 'float64':
      return w === T.DOUBLE ? COPY8 : VALUE;
    case 'decimal':
      return w === T.NEWDECIMAL || w === T.DECIMAL ? DECIMAL : VALUE;
    case 'utf8':
      // Bytes in the `binary` character set need not be UTF-8 (JSON's are): those are decoded, as before.
      return lenenc && w !== T.BIT && (wire.characterSet !== BINARY_CHARSET || w === T.JSON || isDecimal(w))
        ? BYTES
        : VALUE;
    case 'binary':
      return lenenc && !isDecimal(w) ? BYTES : VALUE;
    case 'date':
      return w === T.DATE || w === T.NEWDATE ? DATE : VALUE;
    case 'timestamp':
      return w === T.DATETIME || w === T.TIMESTAMP || w === T.DATE ? TIMESTAMP : VALUE;
    case 'time':
      return w === T.TIME ? TIME : VALUE;
    default:
      return VALUE;
  }
}

function isDecimal(w: number): boolean {
  return w === T.NEWDECIMAL || w === T.DECIMAL;
}

/** Whether values of wire type `w` are length-encoded byte strings in binary rows. */
function isLengthEncoded(w: number): boolean {
  return w === T.DECIMAL || w === T.NEWDECIMAL || w === T.VARCHAR || w === T.BIT || w >= T.JSON;
}

function layoutOf(kind: number): WireLayout {
  switch (kind) {
    case COPY1:
      return { kind: 'fixed', width: 1 };
    case COPY2:
      return { kind: 'fixed', width: 2 };
    case COPY4:
    case DATE:
      return { kind: 'fixed', width: 4 };
    case COPY8:
    case BITS_U64:
    case TIMESTAMP:
    case TIME:
      return { kind: 'fixed', width: 8 };
    case DECIMAL:
      return { kind: 'fixed', width: 16 };
    case BOOL_BYTE:
    case BOOL_BITS:
      return { kind: 'bits' };
    default:
      // BYTES; a VALUE column keeps its values in a generic builder and never fills this one.
      return { kind: 'var' };
  }
}

/** Rows → Arrow record batches for one result set. */
export class BinaryRowDecoder {
  /** Rows in the batch being built. */
  rows = 0;
  /** True once the batch's variable-length bytes are large enough to send now. */
  full = false;
  /** The first value that could not be decoded; rows after it are skipped. */
  error: SpokeError | undefined;
  readonly #schema: Schema;
  readonly #kinds: Int32Array;
  readonly #columns: WireColumn[];
  /** The columns on the VALUE path (undefined elsewhere). */
  readonly #values: (ValueColumn | undefined)[];
  readonly #scales: Int32Array;
  readonly #nullBytes: number;
  readonly #batchRows: number;
  #capacity = 0;
  #reserve: number;
  /** Where the VALUE path's reader stopped. */
  #pos = 0;

  constructor(
    schema: Schema,
    mappings: readonly MysqlTypeMapping[],
    fields: readonly WireField[],
    batchRows: number,
  ) {
    if (fields.length !== mappings.length) {
      throw new SpokeError(
        ErrorCode.SOURCE_ERROR,
        `the server sent ${fields.length} columns where ${mappings.length} were expected (did the table change?)`,
      );
    }
    this.#schema = schema;
    this.#batchRows = Math.max(1, batchRows);
    this.#reserve = Math.min(FIRST_ROWS, this.#batchRows);
    this.#nullBytes = (fields.length + 9) >> 3;
    this.#kinds = new Int32Array(fields.length);
    this.#scales = new Int32Array(fields.length);
    this.#columns = [];
    this.#values = [];
    for (let i = 0; i < fields.length; i++) {
      const mapping = mappings[i]!;
      const kind = kindOf(mapping.type, fields[i]!);
      this.#kinds[i] = kind;
      this.#scales[i] = mapping.type.id === 'decimal' ? mapping.type.scale : 0;
      this.#columns.push(new WireColumn(schema.fields[i]!.type, layoutOf(kind)));
      this.#values.push(kind === VALUE ? new ValueColumn(mapping, fields[i]!) : undefined);
    }
  }

  /** Decodes the row whose `0x00` header byte is `b[start]`. */
  decode(b: Uint8Array, start: number): void {
    if (this.error) return;
    const row = this.rows;
    if (row >= this.#capacity) this.#grow();
    const kinds = this.#kinds;
    const columns = this.#columns;
    const nullAt = start + 1;
    let o = nullAt + this.#nullBytes;
    for (let c = 0; c < kinds.length; c++) {
      const col = columns[c]!;
      const bit = c + 2;
      if ((b[nullAt + (bit >> 3)]! & (1 << (bit & 7))) !== 0) {
        const value = this.#values[c];
        if (value) value.builder.append(null);
        else col.setNull(row);
        continue;
      }
      switch (kinds[c]) {
        case COPY1:
          col.bytes[row] = b[o]!;
          o += 1;
          break;
        case COPY2: {
          const at = row << 1;
          col.bytes[at] = b[o]!;
          col.bytes[at + 1] = b[o + 1]!;
          o += 2;
          break;
        }
        case COPY4:
          col.i32[row] = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
          o += 4;
          break;
        case COPY8: {
          const at = row << 1;
          const i32 = col.i32;
          i32[at] = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
          i32[at + 1] = b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24);
          o += 8;
          break;
        }
        case BYTES: {
          const len = lengthEncoded(b, o);
          o += lengthSize(b[o]!);
          const end = col.end;
          const out = end + len > col.bytes.length ? col.reserveBytes(len) : col.bytes;
          if (len < 32) {
            for (let i = 0; i < len; i++) out[end + i] = b[o + i]!;
          } else {
            out.set(b.subarray(o, o + len), end);
          }
          o += len;
          col.end = end + len;
          col.offsets[row + 1] = end + len;
          if (end + len > MAX_BATCH_BYTES) this.full = true;
          break;
        }
        case DATE: {
          const n = b[o]!;
          const days = n >= 4 ? civilDays(b[o + 1]! | (b[o + 2]! << 8), b[o + 3]!, b[o + 4]!) : null;
          if (days === null) col.setNull(row);
          else col.i32[row] = days;
          o += 1 + n;
          break;
        }
        case TIMESTAMP: {
          const n = b[o]!;
          const days = n >= 4 ? civilDays(b[o + 1]! | (b[o + 2]! << 8), b[o + 3]!, b[o + 4]!) : null;
          if (days === null) col.setNull(row);
          else {
            const seconds = days * 86_400 + (n >= 7 ? b[o + 5]! * 3600 + b[o + 6]! * 60 + b[o + 7]! : 0);
            writeMicros(col.i32, row << 1, seconds, n >= 11 ? uint32At(b, o + 8) : 0);
          }
          o += 1 + n;
          break;
        }
        case TIME: {
          const n = b[o]!;
          if (n >= 8) {
            const negative = b[o + 1] !== 0;
            const days = uint32At(b, o + 2);
            const micros = n >= 12 ? uint32At(b, o + 9) : 0;
            if (negative || days !== 0) {
              this.error = notTimeOfDay(negative, days * 24 + b[o + 6]!, b[o + 7]!, b[o + 8]!, micros);
              return;
            }
            writeMicros(col.i32, row << 1, b[o + 6]! * 3600 + b[o + 7]! * 60 + b[o + 8]!, micros);
          }
          o += 1 + n;
          break;
        }
        case BOOL_BYTE:
          if (b[o] !== 0) col.bytes[row >> 3]! |= 1 << (row & 7);
          o += 1;
          break;
        case BOOL_BITS:
        case BITS_U64: {
          const len = lengthEncoded(b, o);
          o += lengthSize(b[o]!);
          let lo = 0;
          let hi = 0;
          let any = 0;
          for (let i = 0; i < len; i++) {
            const byte = b[o + i]!;
            any |= byte;
            hi = ((hi << 8) | (lo >>> 24)) >>> 0;
            lo = ((lo << 8) | byte) >>> 0;
          }
          if (kinds[c] === BOOL_BITS) {
            if (any !== 0) col.bytes[row >> 3]! |= 1 << (row & 7);
          } else {
            col.i32[row << 1] = lo | 0;
            col.i32[(row << 1) + 1] = hi | 0;
          }
          o += len;
          break;
        }
        case DECIMAL: {
          const len = lengthEncoded(b, o);
          o += lengthSize(b[o]!);
          writeDecimal(col.i32, row << 2, b, o, len, this.#scales[c]!);
          o += len;
          break;
        }
        default: {
          const value = this.#values[c]!;
          const v = value.read(this, b, o);
          o = this.#pos;
          try {
            value.builder.append(value.mapping.decode(v));
          } catch (e) {
            this.error = SpokeError.isInstance(e)
              ? e
              : new SpokeError(
                  ErrorCode.SOURCE_ERROR,
                  `column ${this.#schema.fields[c]!.name}: ${String(e)}`,
                );
            return;
          }
        }
      }
    }
    this.rows = row + 1;
  }

  /** Records where the VALUE path's reader stopped (called by {@link ValueColumn.read}). */
  setPos(pos: number): void {
    this.#pos = pos;
  }

  #grow(): void {
    const capacity = Math.min(this.#batchRows, Math.max(this.#capacity * 2, this.#reserve, this.rows + 1));
    for (let i = 0; i < this.#columns.length; i++) {
      if (!this.#values[i]) this.#columns[i]!.grow(capacity, this.rows);
    }
    this.#capacity = capacity;
  }

  /** The rows decoded since the last flush as a record batch; the decoder starts a new one. */
  flush(): RecordBatch {
    const rows = this.rows;
    const children: ColumnData[] = this.#columns.map((col, i) => {
      const value = this.#values[i];
      return value ? (value.builder.flush() as ColumnData) : col.finish(rows);
    });
    const data = arrow.makeData({
      type: new arrow.Struct(this.#schema.fields as Field[]),
      length: rows,
      nullCount: 0,
      children,
    });
    this.#reserve = Math.max(this.#reserve, Math.min(rows, this.#batchRows));
    this.#capacity = 0;
    this.rows = 0;
    this.full = false;
    return recordBatch(this.#schema, data);
  }
}

/** The length-encoded integer at `b[o]` (a string's length: one byte, or 0xfc/0xfd/0xfe and 2, 3 or 8 bytes). */
function lengthEncoded(b: Uint8Array, o: number): number {
  const first = b[o]!;
  if (first < 0xfb) return first;
  if (first === 0xfc) return b[o + 1]! | (b[o + 2]! << 8);
  if (first === 0xfd) return b[o + 1]! | (b[o + 2]! << 8) | (b[o + 3]! << 16);
  return uint32At(b, o + 1) + uint32At(b, o + 5) * TWO_32;
}

/** Bytes taken by a length-encoded integer whose first byte is `first`. */
function lengthSize(first: number): number {
  return first < 0xfb ? 1 : first === 0xfc ? 3 : first === 0xfd ? 4 : 9;
}

function uint32At(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (as `Date.UTC`, for
 * every year 0–9999); null for MySQL's zero dates (month or day 0).
 */
export function civilDays(year: number, month: number, day: number): number | null {
  if (month === 0 || day === 0) return null;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Writes `seconds · 10⁶ + micros` as a little-endian int64 at `i32[at]`, `i32[at + 1]`. */
function writeMicros(i32: Int32Array, at: number, seconds: number, micros: number): void {
  if (seconds > -9e9 && seconds < 9e9) {
    // Below 2^53: exact as a double.
    const v = seconds * 1_000_000 + micros;
    const hi = Math.floor(v / TWO_32);
    i32[at] = (v - hi * TWO_32) | 0;
    i32[at + 1] = hi | 0;
    return;
  }
  const v = BigInt.asUintN(64, BigInt(seconds) * 1_000_000n + BigInt(micros));
  i32[at] = Number(v & 0xffffffffn) | 0;
  i32[at + 1] = Number(v >> 32n) | 0;
}

/** Parses DECIMAL text `b[o, o + len)` into a Decimal128 with `scale` at `i32[at…at + 3]` (extra digits truncated). */
function writeDecimal(
  i32: Int32Array,
  at: number,
  b: Uint8Array,
  o: number,
  len: number,
  scale: number,
): void {
  let i = o;
  const end = o + len;
  let negative = false;
  if (b[i] === 45 /* - */) {
    negative = true;
    i++;
  } else if (b[i] === 43 /* + */) i++;
  // The magnitude is a double (exact) while below 2^49, then 32-bit words fed 4 digits at a time: DECIMAL(38, s)
  // needs 128 bits, and word arithmetic is several times faster than BigInt.
  let small = 0;
  let wide = false;
  let chunk = 0;
  let chunkDigits = 0;
  let frac = -1;
  let digits = 0;
  for (; i < end; i++) {
    const ch = b[i]!;
    if (ch === 46 /* . */) {
      frac = 0;
      continue;
    }
    if (frac >= 0) {
      if (frac === scale) continue;
      frac++;
    }
    const d = ch - 48;
    if (digits > 0 || d !== 0) digits++;
    if (!wide) {
      if (small < 2 ** 49) {
        small = small * 10 + d;
        continue;
      }
      startWords(small);
      wide = true;
    }
    chunk = chunk * 10 + d;
    if (++chunkDigits === 4) {
      multiplyAdd(10_000, chunk);
      chunk = 0;
      chunkDigits = 0;
    }
  }
  if (chunkDigits > 0) multiplyAdd(10 ** chunkDigits, chunk);
  // Trailing zeros up to the column's scale.
  let pad = scale - Math.max(frac, 0);
  if (digits > 0) digits += pad;
  if (!wide && pad > 0) {
    const scaled = small * 10 ** pad;
    if (pad <= 22 && scaled < 2 ** 53) {
      small = scaled;
      pad = 0;
    } else {
      startWords(small);
      wide = true;
    }
  }
  for (; pad > 0; pad -= 4) multiplyAdd(10 ** Math.min(pad, 4), 0);
  if (digits > 38) {
    // More than Decimal128 holds (not a DECIMAL(p ≤ 38) value): BigInt, wrapping as the generic builder does.
    let text = '';
    for (let k = o; k < end; k++) text += String.fromCharCode(b[k]!);
    writeBigInt128(i32, at, unscaledDecimal(text, scale));
  } else if (!wide) writeInt128(i32, at, negative, small);
  else writeWords(i32, at, negative);
}

/** The four 32-bit words of a magnitude too large for a double (least significant first). */
const WORDS = new Float64Array(4);

/** Loads a magnitude below 2^53 into {@link WORDS}. */
function startWords(value: number): void {
  WORDS[1] = Math.floor(value / TWO_32);
  WORDS[0] = value - WORDS[1] * TWO_32;
  WORDS[2] = 0;
  WORDS[3] = 0;
}

/** `WORDS = WORDS · factor + add`, for `factor`, `add` ≤ 10⁴: every step stays below 2^46, exact in a double. */
function multiplyAdd(factor: number, add: number): void {
  let carry = add;
  for (let k = 0; k < 4; k++) {
    const x = WORDS[k]! * factor + carry;
    carry = Math.floor(x / TWO_32);
    WORDS[k] = x - carry * TWO_32;
  }
}

/** Writes ±{@link WORDS} as a little-endian two's-complement int128. */
function writeWords(i32: Int32Array, at: number, negative: boolean): void {
  let carry = negative ? 1 : 0;
  for (let k = 0; k < 4; k++) {
    let w = WORDS[k]!;
    if (negative) {
      // Two's complement: invert, add one.
      w = TWO_32 - 1 - w + carry;
      carry = w >= TWO_32 ? 1 : 0;
      if (carry) w -= TWO_32;
    }
    i32[at + k] = w | 0;
  }
}

/** Writes ±`magnitude` (an integer below 2^53) as a little-endian two's-complement int128. */
function writeInt128(i32: Int32Array, at: number, negative: boolean, magnitude: number): void {
  const hi = Math.floor(magnitude / TWO_32);
  const lo = magnitude - hi * TWO_32;
  if (!negative || magnitude === 0) {
    i32[at] = lo | 0;
    i32[at + 1] = hi | 0;
    return;
  }
  // -m = ~m + 1 over 128 bits; m < 2^64, so the upper words are all ones.
  const nlo = (~lo + 1) >>> 0;
  const carry = lo === 0 ? 1 : 0;
  i32[at] = nlo | 0;
  i32[at + 1] = (~hi + carry) | 0;
  i32[at + 2] = -1;
  i32[at + 3] = -1;
}

function writeBigInt128(i32: Int32Array, at: number, value: bigint): void {
  let v = BigInt.asUintN(128, value);
  for (let w = 0; w < 4; w++) {
    i32[at + w] = Number(v & 0xffffffffn) | 0;
    v >>= 32n;
  }
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The error for a TIME outside a day, which Arrow's time type cannot hold. */
function notTimeOfDay(
  negative: boolean,
  hours: number,
  minutes: number,
  seconds: number,
  micros: number,
): SpokeError {
  const text = `${negative ? '-' : ''}${two(hours)}:${two(minutes)}:${two(seconds)}${micros ? `.${String(micros).padStart(6, '0')}` : ''}`;
  return new SpokeError(
    ErrorCode.SOURCE_ERROR,
    `MySQL TIME value ${text} is not a time of day, which is all Arrow's time type holds`,
  );
}

/**
 * A column on the VALUE path: each value read as mysql2 hands it over with
 * the connector's options (`bigNumberStrings`, `dateStrings`, `jsonStrings`),
 * then decoded by the type mapping into a generic column builder.
 */
class ValueColumn {
  readonly builder: ColumnBuilder;
  readonly #unsigned: boolean;
  readonly #binary: boolean;
  readonly #wire: number;

  constructor(
    readonly mapping: MysqlTypeMapping,
    field: WireField,
  ) {
    this.builder = columnBuilder(mapping.type);
    this.#unsigned = (field.flags & UNSIGNED_FLAG) !== 0;
    this.#binary = field.characterSet === BINARY_CHARSET;
    this.#wire = field.columnType;
  }

  /** The value at `b[o]`; leaves the position after it with `decoder.setPos`. */
  read(decoder: BinaryRowDecoder, b: Uint8Array, o: number): unknown {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (this.#wire) {
      case T.TINY:
        decoder.setPos(o + 1);
        return this.#unsigned ? view.getUint8(o) : view.getInt8(o);
      case T.SHORT:
      case T.YEAR:
        decoder.setPos(o + 2);
        return this.#unsigned || this.#wire === T.YEAR ? view.getUint16(o, true) : view.getInt16(o, true);
      case T.LONG:
      case T.INT24:
        decoder.setPos(o + 4);
        return this.#unsigned ? view.getUint32(o, true) : view.getInt32(o, true);
      case T.LONGLONG:
        decoder.setPos(o + 8);
        return (this.#unsigned ? view.getBigUint64(o, true) : view.getBigInt64(o, true)).toString();
      case T.FLOAT:
        decoder.setPos(o + 4);
        return view.getFloat32(o, true);
      case T.DOUBLE:
        decoder.setPos(o + 8);
        return view.getFloat64(o, true);
      case T.NULL:
        decoder.setPos(o);
        return null;
      case T.DATE:
      case T.NEWDATE:
      case T.DATETIME:
      case T.TIMESTAMP: {
        const n = b[o]!;
        decoder.setPos(o + 1 + n);
        const y = n >= 4 ? view.getUint16(o + 1, true) : 0;
        const date = `${String(y).padStart(4, '0')}-${two(n >= 4 ? b[o + 3]! : 0)}-${two(n >= 4 ? b[o + 4]! : 0)}`;
        if (this.#wire === T.DATE || this.#wire === T.NEWDATE) return date;
        const time = `${two(n >= 7 ? b[o + 5]! : 0)}:${two(n >= 7 ? b[o + 6]! : 0)}:${two(n >= 7 ? b[o + 7]! : 0)}`;
        const micros = n >= 11 ? view.getUint32(o + 8, true) : 0;
        return `${date} ${time}${micros ? `.${String(micros).padStart(6, '0')}` : ''}`;
      }
      case T.TIME: {
        const n = b[o]!;
        decoder.setPos(o + 1 + n);
        if (n < 8) return '00:00:00';
        const negative = b[o + 1] !== 0;
        const hours = view.getUint32(o + 2, true) * 24 + b[o + 6]!;
        const micros = n >= 12 ? view.getUint32(o + 9, true) : 0;
        return `${negative ? '-' : ''}${two(hours)}:${two(b[o + 7]!)}:${two(b[o + 8]!)}${micros ? `.${String(micros).padStart(6, '0')}` : ''}`;
      }
      default: {
        const len = lengthEncoded(b, o);
        const p = o + lengthSize(b[o]!);
        decoder.setPos(p + len);
        const bytes = Buffer.from(b.buffer, b.byteOffset + p, len);
        if (this.#wire === T.BIT || this.#wire === T.GEOMETRY || (this.#binary && this.#wire !== T.JSON)) {
          // A copy: the packet buffer is reused.
          return Buffer.from(bytes);
        }
        return bytes.toString(isDecimal(this.#wire) ? 'latin1' : 'utf8');
      }
    }
  }
}
