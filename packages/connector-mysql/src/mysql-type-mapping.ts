/**
 * MySQL/MariaDB column types → Spoke types, and the decoding of mysql2's
 * values (read with `supportBigNumbers`, `bigNumberStrings`, `dateStrings`,
 * `jsonStrings`, so nothing is rounded or shifted by a time zone on the way).
 *
 * | MySQL / MariaDB | Arrow | notes |
 * | --- | --- | --- |
 * | tinyint(1), bool, boolean | bool | MySQL's BOOLEAN is tinyint(1) |
 * | bit(1) | bool | |
 * | tinyint / unsigned | int8 / uint8 | |
 * | smallint / unsigned | int16 / uint16 | |
 * | mediumint, int / unsigned | int32 / uint32 | |
 * | bigint / unsigned | int64 / uint64 | read as text: no digit lost |
 * | bit(n), n > 1 | uint64 | |
 * | decimal(p,s), p ≤ 38 | decimal(p,s) | exact |
 * | decimal(p,s), p > 38 | utf8 | Arrow decimal128 holds 38 digits |
 * | float | float32 | |
 * | double | float64 | |
 * | char, varchar, *text, enum, set | utf8 | |
 * | json (MySQL), json alias (MariaDB: longtext) | utf8 | JSON text |
 * | binary, varbinary, *blob | binary | |
 * | date | date | zero dates (`0000-00-00`) read as NULL |
 * | datetime(n) | timestamp | wall-clock, no time zone |
 * | timestamp(n) | timestamp with time zone | the session runs with `time_zone = '+00:00'`, so values are UTC |
 * | time(n) | time | values outside 00:00–24:00 fail the scan (Arrow time is time of day) |
 * | year | int16 | |
 * | geometry and others | binary | the server's internal bytes |
 */
import { ErrorCode, type ScalarType, SpokeError } from '@spoke/core';
import { unscaledDecimal } from '@spoke/sdk';

/** A column as information_schema.columns describes it. */
export interface MysqlColumnInfo {
  readonly dataType: string;
  readonly columnType: string;
  readonly numericPrecision: number | null;
  readonly numericScale: number | null;
  readonly characterSet: string | null;
}

/** How one MySQL column is delivered. */
export interface MysqlTypeMapping {
  readonly type: ScalarType;
  /** True for character columns: compared with a binary collation to match DuckDB. */
  readonly isString: boolean;
  /** Turns mysql2's value into what the Arrow column builder takes. */
  readonly decode: (value: unknown) => boolean | number | bigint | string | Uint8Array | null;
}

const ident = (v: unknown) => v as never;
const toBigInt = (v: unknown) => (typeof v === 'bigint' ? v : BigInt(v as string | number));

/** Days since 1970-01-01 of `YYYY-MM-DD`; NULL for MySQL's zero date. */
export function parseDate(text: string): number | null {
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  if (m === 0 || d === 0) return null;
  if (y >= 100) return Date.UTC(y, m - 1, d) / 86_400_000;
  // Date.UTC reads years 0–99 as 1900–1999.
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return Math.round(t.getTime() / 86_400_000);
}

/** Microseconds since the epoch of `YYYY-MM-DD HH:MM:SS[.ffffff]` read as UTC; NULL for the zero date. */
export function parseDateTime(text: string): bigint | null {
  const days = parseDate(text);
  if (days === null) return null;
  const seconds =
    Number(text.slice(11, 13)) * 3600 + Number(text.slice(14, 16)) * 60 + Number(text.slice(17, 19));
  const frac = text.length > 20 ? Number(text.slice(20).padEnd(6, '0').slice(0, 6)) : 0;
  return (BigInt(days) * 86_400n + BigInt(seconds)) * 1_000_000n + BigInt(frac);
}

/** Microseconds of `[-]HH:MM:SS[.ffffff]`; fails for values outside a day. */
export function parseTime(text: string): bigint {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const [hms = '', frac = ''] = body.split('.');
  const [h = 0, m = 0, s = 0] = hms.split(':').map(Number);
  const micros =
    (BigInt(h) * 3600n + BigInt(m) * 60n + BigInt(s)) * 1_000_000n +
    BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
  if (negative || micros >= 86_400_000_000n) {
    throw new SpokeError(
      ErrorCode.SOURCE_ERROR,
      `MySQL TIME value ${text} is not a time of day, which is all Arrow's time type holds`,
    );
  }
  return micros;
}

function bitsToBigInt(v: unknown): bigint {
  const b = v as Uint8Array;
  let out = 0n;
  for (const byte of b) out = (out << 8n) | BigInt(byte);
  return out;
}

/** Maps one column. */
export function mapMysqlType(column: MysqlColumnInfo): MysqlTypeMapping {
  const dt = column.dataType.toLowerCase();
  const ct = column.columnType.toLowerCase();
  const unsigned = ct.includes('unsigned');
  const plain = (type: ScalarType, decode: MysqlTypeMapping['decode'] = ident): MysqlTypeMapping => ({
    type,
    isString: false,
    decode,
  });
  switch (dt) {
    case 'tinyint':
      if (ct === 'tinyint(1)') return plain({ id: 'bool' }, (v) => v !== 0);
      return plain({ id: unsigned ? 'uint8' : 'int8' });
    case 'smallint':
      return plain({ id: unsigned ? 'uint16' : 'int16' });
    case 'mediumint':
    case 'int':
    case 'integer':
      return plain({ id: unsigned ? 'uint32' : 'int32' });
    case 'bigint':
      return plain({ id: unsigned ? 'uint64' : 'int64' }, toBigInt);
    case 'bit':
      if (ct === 'bit(1)') return plain({ id: 'bool' }, (v) => bitsToBigInt(v) !== 0n);
      return plain({ id: 'uint64' }, bitsToBigInt);
    case 'decimal':
    case 'numeric': {
      const precision = column.numericPrecision ?? 10;
      const scale = column.numericScale ?? 0;
      if (precision > 38) return plain({ id: 'utf8' }, (v) => String(v));
      return plain({ id: 'decimal', precision, scale }, (v) => unscaledDecimal(String(v), scale));
    }
    case 'float':
      return plain({ id: 'float32' });
    case 'double':
    case 'real':
      return plain({ id: 'float64' });
    case 'char':
    case 'varchar':
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
    case 'enum':
    case 'set':
    case 'json':
      return {
        type: { id: 'utf8' },
        isString: dt !== 'json' && column.characterSet !== null,
        decode: (v) => (typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8')),
      };
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return plain({ id: 'binary' });
    case 'date':
      return plain({ id: 'date' }, (v) => parseDate(String(v)));
    case 'datetime':
      return plain({ id: 'timestamp' }, (v) => parseDateTime(String(v)));
    case 'timestamp':
      return plain({ id: 'timestamp', timezone: 'UTC' }, (v) => parseDateTime(String(v)));
    case 'time':
      return plain({ id: 'time' }, (v) => parseTime(String(v)));
    case 'year':
      return plain({ id: 'int16' });
    default:
      return plain({ id: 'binary' }, (v) => (typeof v === 'string' ? Buffer.from(v) : (v as Uint8Array)));
  }
}
