/**
 * Decodes Bind parameter values into the engine's {@link ScalarValue}s.
 *
 * Parameters whose type the client left unspecified (OID 0, what node-postgres
 * always sends) stay strings, like PostgreSQL's `unknown` literals: the engine
 * resolves them against the context they are used in.
 */

import type { ScalarValue } from '@spoke/core';
import { ErrorCode, SpokeError } from '@spoke/core';
import { decodeNumeric } from './pg-numeric.js';
import { formatDate, formatInterval, formatTime, formatTimestamp, formatUuid } from './pg-text.js';
import { ELEMENT_OF, PgOid } from './pg-types.js';

const PG_EPOCH_DAYS = 10957;
const PG_EPOCH_MICROS = 946_684_800_000_000n;

function invalid(message: string): SpokeError {
  return new SpokeError(ErrorCode.INVALID_QUERY, message, { details: { sqlstate: '22P02' } });
}

function parseBoolean(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['t', 'true', 'y', 'yes', 'on', '1'].includes(value)) return true;
  if (['f', 'false', 'n', 'no', 'off', '0'].includes(value)) return false;
  throw invalid(`invalid input syntax for type boolean: "${text}"`);
}

function parseInteger(text: string, typeName: string): number {
  const value = text.trim();
  if (!/^[+-]?\d+$/.test(value)) throw invalid(`invalid input syntax for type ${typeName}: "${text}"`);
  return Number(value);
}

function parseByteaText(text: string): Uint8Array {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  // The legacy escape format: backslash-octal sequences and doubled backslashes.
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '\\') {
      bytes.push(0x5c);
      i++;
    } else if (text[i] === '\\') {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return Uint8Array.from(bytes);
}

/** Splits a one-dimensional PostgreSQL array literal (`{1,"a b",NULL}`) into element texts. */
function parseArrayText(text: string): (string | null)[] {
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) throw invalid(`malformed array literal: "${text}"`);
  const items: (string | null)[] = [];
  let i = 1;
  while (i < body.length - 1) {
    while (body[i] === ' ') i++;
    if (body[i] === '"') {
      let value = '';
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        value += body[i++];
      }
      i++;
      items.push(value);
    } else {
      let end = i;
      while (end < body.length - 1 && body[end] !== ',') end++;
      const raw = body.slice(i, end).trim();
      items.push(/^null$/i.test(raw) ? null : raw);
      i = end;
    }
    while (body[i] === ' ') i++;
    if (body[i] === ',') i++;
  }
  return items;
}

/** One text-format parameter. */
function fromText(text: string, oid: number): ScalarValue {
  switch (oid) {
    case PgOid.bool:
      return parseBoolean(text);
    case PgOid.int2:
    case PgOid.int4:
    case PgOid.oid:
      return parseInteger(text, oid === PgOid.int2 ? 'smallint' : 'integer');
    case PgOid.int8:
      parseInteger(text, 'bigint');
      return BigInt(text.trim());
    case PgOid.float4:
    case PgOid.float8: {
      const value = text.trim();
      const special: Record<string, number> = {
        nan: Number.NaN,
        infinity: Infinity,
        '-infinity': -Infinity,
        inf: Infinity,
      };
      const number = special[value.toLowerCase()] ?? Number(value);
      if (value === '' || (Number.isNaN(number) && value.toLowerCase() !== 'nan')) {
        throw invalid(`invalid input syntax for type double precision: "${text}"`);
      }
      return number;
    }
    case PgOid.bytea:
      return parseByteaText(text);
    default: {
      const element = ELEMENT_OF.get(oid);
      if (element !== undefined)
        return parseArrayText(text).map((item) => (item === null ? null : fromText(item, element)));
      // numeric (exact, as a string), text types, dates and times (already in ISO form), json, uuid, unknown.
      return text;
    }
  }
}

/** One binary-format parameter. */
function fromBinary(bytes: Buffer, oid: number): ScalarValue {
  switch (oid) {
    case PgOid.bool:
      return bytes[0] !== 0;
    case PgOid.int2:
      return bytes.readInt16BE(0);
    case PgOid.int4:
      return bytes.readInt32BE(0);
    case PgOid.oid:
      return bytes.readUInt32BE(0);
    case PgOid.int8:
      return bytes.readBigInt64BE(0);
    case PgOid.float4:
      return bytes.readFloatBE(0);
    case PgOid.float8:
      return bytes.readDoubleBE(0);
    case PgOid.bytea:
      return new Uint8Array(bytes);
    case PgOid.uuid:
      return formatUuid(bytes);
    case PgOid.date:
      return formatDate(bytes.readInt32BE(0) + PG_EPOCH_DAYS);
    case PgOid.time:
      return formatTime(bytes.readBigInt64BE(0));
    case PgOid.timestamp:
    case PgOid.timestamptz:
      // The engine's timestamp literals carry no zone: timestamptz values are UTC.
      return formatTimestamp(bytes.readBigInt64BE(0) + PG_EPOCH_MICROS, false);
    case PgOid.text:
    case PgOid.varchar:
    case PgOid.bpchar:
    case PgOid.name:
    case PgOid.json:
    case PgOid.unknown:
    case 0:
      return bytes.toString('utf8');
    case PgOid.jsonb:
      // jsonb's binary form is a version byte (1) followed by the text.
      return bytes.subarray(1).toString('utf8');
    case PgOid.numeric:
      // Exact, as a string: the engine reads it as PostgreSQL reads a numeric literal.
      return decodeNumeric(bytes);
    case PgOid.interval:
      return formatInterval(bytes.readInt32BE(12), bytes.readInt32BE(8), bytes.readBigInt64BE(0));
    case PgOid.char:
      return bytes.toString('utf8');
    default:
      if (ELEMENT_OF.has(oid)) return arrayFromBinary(bytes);
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `binary format for parameters of type ${oid} is not supported`,
        {
          details: { sqlstate: '0A000' },
        },
      );
  }
}

/** A one-dimensional binary array parameter (asyncpg and pgjdbc send them so). */
function arrayFromBinary(bytes: Buffer): ScalarValue {
  const dimensions = bytes.readInt32BE(0);
  const element = bytes.readInt32BE(8);
  if (dimensions === 0) return [];
  if (dimensions !== 1) {
    throw new SpokeError(ErrorCode.UNSUPPORTED, 'multi-dimensional array parameters are not supported', {
      details: { sqlstate: '0A000' },
    });
  }
  const count = bytes.readInt32BE(12);
  const items: ScalarValue[] = [];
  let at = 20;
  for (let k = 0; k < count; k++) {
    const length = bytes.readInt32BE(at);
    at += 4;
    if (length < 0) items.push(null);
    else {
      items.push(fromBinary(bytes.subarray(at, at + length), element));
      at += length;
    }
  }
  return items as ScalarValue;
}

/**
 * Decodes the parameters of a Bind message. `formats` follows the protocol:
 * none (all text), one (applies to all) or one per parameter.
 */
export function decodeParameters(
  raw: readonly (Buffer | null)[],
  formats: readonly number[],
  typeOids: readonly number[],
): ScalarValue[] {
  return raw.map((bytes, i) => {
    if (bytes === null) return null;
    const format = formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[i];
    const oid = typeOids[i] ?? 0;
    if (format !== 1) return fromText(bytes.toString('utf8'), oid);
    try {
      return fromBinary(bytes, oid);
    } catch (error) {
      if (error instanceof SpokeError) throw error;
      // Too few bytes for the type (a RangeError from the Buffer reads): PostgreSQL's own answer.
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `incorrect binary data format in bind parameter ${i + 1}`,
        {
          details: { sqlstate: '22P03' },
        },
      );
    }
  });
}
