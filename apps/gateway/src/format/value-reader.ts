/**
 * Turns Arrow column values into JSON values (for the HTTP API and
 * `--format json`) or text (for `--format table|csv`).
 *
 * | Arrow type | JSON | text |
 * | --- | --- | --- |
 * | int8…int32, uint8…uint32 | number | digits |
 * | int64, uint64 | number when within ±2^53−1, else a string of the digits (exact) | digits |
 * | float32/64 | number; `NaN`, `Infinity`, `-Infinity` as those strings (JSON has no such numbers) | same |
 * | decimal | a string, exact: `"-12.50"` | same |
 * | utf8, interval | string | same |
 * | bool | true / false | `t` / `f`, as psql prints them |
 * | date | `"2024-03-01"`; `"infinity"`, `"-infinity"` past JS's range (DuckDB's ±infinity) | same |
 * | time | `"10:11:12.5"` | same |
 * | timestamp | `"2024-03-01T10:11:12.123456"` (no zone) | `2024-03-01 10:11:12.123456` |
 * | timestamp with time zone | `"2024-03-01T10:11:12.123456Z"` (always UTC) | `2024-03-01 10:11:12.123456+00` |
 * | binary | base64 string | `\x` and hex, as PostgreSQL prints bytea |
 * | list | array | the JSON array |
 * | struct, map | object | the JSON object |
 * | null | null | empty (csv) or nothing (table) |
 *
 * Time-like values are read from the raw integer buffers, not through
 * arrow-js's getters, which return milliseconds as floats and would lose
 * microseconds.
 */
import { arrow, type DataType, formatScalarType, fromArrowType, type Vector } from '@spoke/core';

/** `json` gives JSON-safe values; `text` gives strings (or `null`). */
export type ValueMode = 'json' | 'text';

/** Reads row `index` of one column. */
export type ValueReader = (index: number) => unknown;

type Data = Vector['data'][number];

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The name a column's type is shown with: `int64`, `decimal(12,2)`, `timestamp with time zone`, … */
export function typeName(type: DataType): string {
  // Dictionary encoding is a transport detail: show the values' type.
  if (type.typeId === arrow.Type.Dictionary)
    return typeName((type as unknown as { dictionary: DataType }).dictionary);
  const scalar = fromArrowType(type);
  return scalar ? formatScalarType(scalar) : String(type).toLowerCase();
}

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

/** `.123456` with trailing zeros dropped, or nothing when the fraction is zero. */
function fraction(micros: bigint, digits = 6): string {
  if (micros === 0n) return '';
  return `.${pad(micros, digits).replace(/0+$/, '')}`;
}

/** The largest instant a JS Date holds (±100,000,000 days around 1970). */
const MAX_DATE_MS = 8.64e15;

function isoDate(epochMs: number): string {
  // DuckDB writes ±infinity as the extreme values of the type, as PostgreSQL prints them.
  if (epochMs > MAX_DATE_MS) return 'infinity';
  if (epochMs < -MAX_DATE_MS) return '-infinity';
  const iso = new Date(epochMs).toISOString();
  return iso.slice(0, iso.indexOf('T'));
}

function floorDiv(a: bigint, b: bigint): [bigint, bigint] {
  let q = a / b;
  let r = a % b;
  if (r < 0n) {
    q -= 1n;
    r += b;
  }
  return [q, r];
}

/** Ticks per second for each Arrow TimeUnit (SECOND, MILLISECOND, MICROSECOND, NANOSECOND). */
const TICKS_PER_SECOND = [1n, 1000n, 1_000_000n, 1_000_000_000n];

function timestampText(ticks: bigint, unit: number, zoned: boolean, mode: ValueMode): string {
  const perSecond = TICKS_PER_SECOND[unit] ?? 1_000_000n;
  const [seconds, rest] = floorDiv(ticks, perSecond);
  const digits = unit === 3 ? 9 : 6;
  const sub = unit === 3 ? rest : (rest * 1_000_000n) / perSecond;
  const ms = Number(seconds) * 1000;
  if (ms > MAX_DATE_MS) return 'infinity';
  if (ms < -MAX_DATE_MS) return '-infinity';
  const iso = new Date(ms).toISOString();
  const base = iso.slice(0, iso.indexOf('.'));
  const frac = fraction(sub, digits);
  if (mode === 'json') return `${base}${frac}${zoned ? 'Z' : ''}`;
  return `${base.replace('T', ' ')}${frac}${zoned ? '+00' : ''}`;
}

function timeText(ticks: bigint, unit: number): string {
  const perSecond = TICKS_PER_SECOND[unit] ?? 1_000_000n;
  const [seconds, rest] = floorDiv(ticks, perSecond);
  const s = Number(seconds);
  const digits = unit === 3 ? 9 : 6;
  const sub = unit === 3 ? rest : (rest * 1_000_000n) / perSecond;
  return `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}${fraction(sub, digits)}`;
}

/** A two's-complement little-endian integer of `words` 32-bit words. */
function wordsToBigInt(words: Uint32Array, start: number, count: number): bigint {
  let value = 0n;
  for (let w = count - 1; w >= 0; w--) value = (value << 32n) | BigInt(words[start + w] as number);
  const bits = BigInt(count * 32);
  return value >= 1n << (bits - 1n) ? value - (1n << bits) : value;
}

/** An unscaled integer and a scale as exact decimal text: (-1250, 2) → `-12.50`. */
export function decimalText(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

function bigintValue(value: bigint, mode: ValueMode): unknown {
  if (mode === 'text') return value.toString();
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
}

function floatValue(value: number, mode: ValueMode): unknown {
  if (mode === 'text' || !Number.isFinite(value)) return String(value);
  return value;
}

function bytesValue(value: Uint8Array, mode: ValueMode): string {
  const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return mode === 'json' ? buffer.toString('base64') : `\\x${buffer.toString('hex')}`;
}

/** JSON-safe form of whatever an arrow-js getter returned, for types without a dedicated reader. */
function genericJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return bigintValue(value, 'json');
  if (typeof value === 'number') return floatValue(value, 'json');
  if (value instanceof Uint8Array) return bytesValue(value, 'json');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const json = (value as { toJSON?: () => unknown }).toJSON?.();
    if (Array.isArray(json)) return json.map(genericJson);
    if (json && typeof json === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(json)) out[k] = genericJson(v);
      return out;
    }
    if (json !== undefined) return genericJson(json);
    if (Symbol.iterator in value) return Array.from(value as Iterable<unknown>, genericJson);
  }
  return value;
}

function nested(value: unknown, mode: ValueMode): unknown {
  return mode === 'json' ? value : JSON.stringify(value);
}

/**
 * A reader for one column of one record batch: `reader(i)` is row `i`'s
 * value in `mode`, `null` for SQL NULL.
 */
export function valueReader(data: Data, mode: ValueMode): ValueReader {
  const vector = arrow.makeVector(data) as Vector;
  const type = data.type as DataType & Record<string, unknown>;
  const t = arrow.Type;
  const read = (fn: (i: number) => unknown): ValueReader =>
    data.nullCount === 0 ? fn : (i) => (vector.isValid(i) ? fn(i) : null);
  switch (type.typeId) {
    case t.Null:
      return () => null;
    case t.Bool:
      return read((i) => (mode === 'json' ? vector.get(i) : vector.get(i) ? 't' : 'f'));
    case t.Int: {
      if ((type.bitWidth as number) === 64)
        return read((i) => bigintValue(BigInt(vector.get(i) as bigint), mode));
      return read((i) => (mode === 'json' ? vector.get(i) : String(vector.get(i))));
    }
    case t.Float:
      return read((i) => floatValue(Number(vector.get(i)), mode));
    case t.Decimal: {
      const words = data.values as unknown as Uint32Array;
      const stride = (type.bitWidth as number) / 32;
      const scale = type.scale as number;
      return read((i) => decimalText(wordsToBigInt(words, (data.offset + i) * stride, stride), scale));
    }
    case t.Utf8:
    case t.LargeUtf8:
      return read((i) => vector.get(i));
    case t.Binary:
    case t.LargeBinary:
    case t.FixedSizeBinary:
      return read((i) => bytesValue(vector.get(i) as Uint8Array, mode));
    case t.Date:
      // Both Date32<DAY> and Date64<MILLISECOND> come back from the getter as epoch milliseconds.
      return read((i) => isoDate(Number(vector.get(i))));
    case t.Timestamp: {
      const values = data.values as unknown as BigInt64Array | Int32Array;
      const unit = type.unit as number;
      const zoned = Boolean(type.timezone);
      return read((i) =>
        timestampText(BigInt(values[data.offset + i] as bigint | number), unit, zoned, mode),
      );
    }
    case t.Time: {
      const values = data.values as unknown as BigInt64Array | Int32Array;
      const unit = type.unit as number;
      return read((i) => timeText(BigInt(values[data.offset + i] as bigint | number), unit));
    }
    case t.List:
    case t.FixedSizeList: {
      return read((i) => {
        const items = vector.get(i) as Vector;
        const out: unknown[] = [];
        for (const chunk of items.data) {
          const item = valueReader(chunk, 'json');
          for (let j = 0; j < chunk.length; j++) out.push(item(j));
        }
        return nested(out, mode);
      });
    }
    case t.Struct: {
      const children = (data.children as Data[]).map((child) => valueReader(child, 'json'));
      const names = (type.children as { name: string }[]).map((f) => f.name);
      return read((i) => {
        const out: Record<string, unknown> = {};
        names.forEach((name, c) => {
          out[name] = (children[c] as ValueReader)(i);
        });
        return nested(out, mode);
      });
    }
    default:
      return read((i) => {
        const json = genericJson(vector.get(i));
        return mode === 'json' || typeof json === 'string' ? json : JSON.stringify(json);
      });
  }
}
