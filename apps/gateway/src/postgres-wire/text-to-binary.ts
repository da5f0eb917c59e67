/**
 * The binary form of a value from its PostgreSQL text, for columns that
 * travel through Spoke as text but are described with a closer type (numeric
 * from DECIMALs, and Utf8 columns a source marks as uuid, jsonb, date,
 * timestamp, interval… with the `spoke.pg_type` field metadata). A client
 * that asks for binary must get the bytes of the type RowDescription names.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { encodeNumeric } from './pg-numeric.js';
import { PgOid } from './pg-types.js';

const PG_EPOCH_DAYS = 10957;
const MICROS_PER_DAY = 86_400_000_000n;

function unreadable(text: string, type: string): SpokeError {
  return new SpokeError(
    ErrorCode.INVALID_QUERY,
    `cannot send "${text}" as binary ${type}: ask for it in text`,
    {
      details: { sqlstate: '22P03' },
    },
  );
}

/** Days since 1970-01-01 of a proleptic Gregorian date (years below 100 included). */
function epochDays(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return Math.floor(date.getTime() / 86_400_000);
}

const DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?/;

function dateDays(text: string): number {
  const m = DATE.exec(text);
  if (!m) throw unreadable(text, 'date');
  const year = m[4] ? 1 - Number(m[1]) : Number(m[1]);
  return epochDays(year, Number(m[2]), Number(m[3]));
}

function timeMicros(hours: string, minutes: string, seconds: string, fraction = ''): bigint {
  return (
    ((BigInt(hours) * 60n + BigInt(minutes)) * 60n + BigInt(seconds)) * 1_000_000n +
    BigInt(fraction.padEnd(6, '0').slice(0, 6) || '0')
  );
}

const TIME = /(\d\d):(\d\d):(\d\d)(?:\.(\d+))?/;

/** timestamp(tz): microseconds since 2000-01-01 (UTC for timestamptz, applying the text's offset). */
function timestampMicros(text: string): bigint {
  const lower = text.toLowerCase();
  if (lower === 'infinity') return 9223372036854775807n;
  if (lower === '-infinity') return -9223372036854775808n;
  const days = dateDays(text);
  const rest = text.slice(text.search(/[ T]/) + 1);
  const time = TIME.exec(rest);
  let micros = BigInt(days - PG_EPOCH_DAYS) * MICROS_PER_DAY;
  if (time) micros += timeMicros(time[1]!, time[2]!, time[3]!, time[4]);
  const zone = /([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$/.exec(
    time ? rest.slice(time.index + time[0].length) : '',
  );
  if (zone) {
    const offset =
      (BigInt(zone[2]!) * 3600n + BigInt(zone[3] ?? 0) * 60n + BigInt(zone[4] ?? 0)) * 1_000_000n;
    micros -= zone[1] === '-' ? -offset : offset;
  }
  return micros;
}

/** interval: int64 microseconds, int32 days, int32 months, from PostgreSQL's or DuckDB's text. */
function intervalBytes(text: string): Buffer {
  let months = 0;
  let days = 0;
  let micros = 0n;
  const part = /([+-]?\d+)\s+(years?|mons?|months?|days?)|([+-])?(\d+):(\d\d):(\d\d)(?:\.(\d+))?/gi;
  let matched = false;
  for (const m of text.matchAll(part)) {
    matched = true;
    if (m[1] !== undefined) {
      const n = Number(m[1]);
      const unit = m[2]!.toLowerCase();
      if (unit.startsWith('year')) months += 12 * n;
      else if (unit.startsWith('mon')) months += n;
      else days += n;
    } else {
      const value = timeMicros(m[4]!, m[5]!, m[6]!, m[7]);
      micros += m[3] === '-' ? -value : value;
    }
  }
  if (!matched) throw unreadable(text, 'interval');
  const out = Buffer.alloc(16);
  out.writeBigInt64BE(micros, 0);
  out.writeInt32BE(days, 8);
  out.writeInt32BE(months, 12);
  return out;
}

/** The encoder from text to the binary form of type `oid` (UTF-8 bytes for the text-like types). */
export function textToBinary(oid: number): (text: string) => Buffer {
  switch (oid) {
    case PgOid.numeric:
      return encodeNumeric;
    case PgOid.jsonb:
      // jsonb's binary form is a version byte (1) and the text.
      return (text) => Buffer.concat([Buffer.of(1), Buffer.from(text, 'utf8')]);
    case PgOid.uuid:
      return (text) => Buffer.from(text.replace(/[{}-]/g, ''), 'hex');
    case PgOid.bool:
      return (text) => Buffer.of(['t', 'true', 'on', 'yes', '1'].includes(text.toLowerCase()) ? 1 : 0);
    case PgOid.int2:
    case PgOid.int4:
    case PgOid.oid:
    case PgOid.int8: {
      const size = oid === PgOid.int2 ? 2 : oid === PgOid.int8 ? 8 : 4;
      return (text) => {
        const out = Buffer.alloc(size);
        if (size === 8) out.writeBigInt64BE(BigInt(text));
        else if (size === 4) out.writeInt32BE(Number(text) | 0);
        else out.writeInt16BE(Number(text));
        return out;
      };
    }
    case PgOid.float4:
    case PgOid.float8:
      return (text) => {
        const value = /^nan$/i.test(text)
          ? Number.NaN
          : Number(text.replace(/^(-?)inf(inity)?$/i, '$1Infinity'));
        const out = Buffer.alloc(oid === PgOid.float4 ? 4 : 8);
        if (oid === PgOid.float4) out.writeFloatBE(value);
        else out.writeDoubleBE(value);
        return out;
      };
    case PgOid.date:
      return (text) => {
        const out = Buffer.alloc(4);
        const lower = text.toLowerCase();
        out.writeInt32BE(
          lower === 'infinity'
            ? 0x7fffffff
            : lower === '-infinity'
              ? -0x80000000
              : dateDays(text) - PG_EPOCH_DAYS,
        );
        return out;
      };
    case PgOid.time:
      return (text) => {
        const m = TIME.exec(text);
        if (!m) throw unreadable(text, 'time');
        const out = Buffer.alloc(8);
        out.writeBigInt64BE(timeMicros(m[1]!, m[2]!, m[3]!, m[4]));
        return out;
      };
    case PgOid.timestamp:
    case PgOid.timestamptz:
      return (text) => {
        const out = Buffer.alloc(8);
        out.writeBigInt64BE(timestampMicros(text));
        return out;
      };
    case PgOid.interval:
      return intervalBytes;
    default:
      // text, varchar, name, json, and the text carried for anything without a closer type.
      return (text) => Buffer.from(text, 'utf8');
  }
}
