/**
 * Snowflake result columns → Spoke types, and the decoding of the driver's
 * values (read with `fetchAsString: ['Number', 'JSON']` so numbers and
 * semi-structured values arrive as the server's text, and with the session's
 * TIME_OUTPUT_FORMAT set to microseconds).
 *
 * | Snowflake | Arrow | notes |
 * | --- | --- | --- |
 * | NUMBER(p,0), p ≤ 18 | int64 | |
 * | NUMBER(p,s) otherwise | decimal(p,s) | exact; Snowflake's INTEGER is NUMBER(38,0), hence decimal(38,0) |
 * | FLOAT / DOUBLE / REAL | float64 | `NaN`, `inf`, `-inf` kept |
 * | VARCHAR / STRING / TEXT / CHAR | utf8 | |
 * | BINARY | binary | |
 * | BOOLEAN | bool | |
 * | DATE | date | |
 * | TIME | time | microseconds (Snowflake keeps nanoseconds: truncated) |
 * | TIMESTAMP_NTZ | timestamp | wall clock, microseconds |
 * | TIMESTAMP_LTZ, TIMESTAMP_TZ | timestamp with time zone (UTC) | the instant; the original offset is dropped |
 * | VARIANT, OBJECT, ARRAY | utf8 | JSON text |
 */
import { ErrorCode, type ScalarType, SpokeError } from '@spoke/core';
import { unscaledDecimal } from '@spoke/sdk';

/** What the driver reports about a column (its `rowtype` entry). */
export interface SnowflakeColumnInfo {
  readonly type: string;
  readonly precision: number | null;
  readonly scale: number | null;
}

/** How one Snowflake column is delivered. */
export interface SnowflakeTypeMapping {
  readonly type: ScalarType;
  readonly decode: (value: unknown) => boolean | number | bigint | string | Uint8Array | null;
}

interface SfDate {
  getEpochSeconds(): number;
  getNanoSeconds(): number;
}

const micros = (v: unknown): bigint => {
  const d = v as SfDate;
  return BigInt(d.getEpochSeconds()) * 1_000_000n + BigInt(Math.floor(d.getNanoSeconds() / 1000));
};

/** `HH:MM:SS[.ffffff]` → microseconds since midnight. */
export function parseTimeText(text: string): bigint {
  const [hms = '', frac = ''] = text.split('.');
  const [h = 0, m = 0, s = 0] = hms.split(':').map(Number);
  return (
    (BigInt(h) * 3600n + BigInt(m) * 60n + BigInt(s)) * 1_000_000n +
    BigInt(frac.padEnd(6, '0').slice(0, 6) || '0')
  );
}

/** Maps one column. */
export function mapSnowflakeType(column: SnowflakeColumnInfo): SnowflakeTypeMapping {
  switch (column.type.toLowerCase()) {
    case 'fixed': {
      const precision = column.precision ?? 38;
      const scale = column.scale ?? 0;
      if (scale === 0 && precision <= 18) return { type: { id: 'int64' }, decode: (v) => BigInt(String(v)) };
      return { type: { id: 'decimal', precision, scale }, decode: (v) => unscaledDecimal(String(v), scale) };
    }
    case 'real':
      return {
        type: { id: 'float64' },
        decode: (v) => {
          const s = String(v).toLowerCase();
          if (s === 'inf' || s === 'infinity') return Number.POSITIVE_INFINITY;
          if (s === '-inf' || s === '-infinity') return Number.NEGATIVE_INFINITY;
          return Number(v);
        },
      };
    case 'text':
      return { type: { id: 'utf8' }, decode: (v) => String(v) };
    case 'binary':
      return { type: { id: 'binary' }, decode: (v) => v as Uint8Array };
    case 'boolean':
      return { type: { id: 'bool' }, decode: (v) => v === true || v === 'TRUE' || v === '1' };
    case 'date':
      return { type: { id: 'date' }, decode: (v) => Math.floor((v as SfDate).getEpochSeconds() / 86_400) };
    case 'time':
      return { type: { id: 'time' }, decode: (v) => parseTimeText(String(v)) };
    case 'timestamp_ntz':
      return { type: { id: 'timestamp' }, decode: micros };
    case 'timestamp_ltz':
    case 'timestamp_tz':
      return { type: { id: 'timestamp', timezone: 'UTC' }, decode: micros };
    case 'variant':
    case 'object':
    case 'array':
    case 'map':
      return { type: { id: 'utf8' }, decode: (v) => (typeof v === 'string' ? v : JSON.stringify(v)) };
    default:
      throw new SpokeError(ErrorCode.UNSUPPORTED, `Snowflake type ${column.type} has no Arrow mapping`);
  }
}
