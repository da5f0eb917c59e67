/**
 * PostgreSQL's binary `numeric` format, both ways: int16 ndigits, int16
 * weight (of the first base-10000 digit), int16 sign (0x0000 +, 0x4000 −,
 * 0xC000 NaN, 0xD000 +Infinity, 0xF000 −Infinity), int16 dscale (digits
 * after the point), then ndigits int16 base-10000 digits. psycopg 3, asyncpg
 * and pgjdbc (BigDecimal parameters) use it.
 */
import { ErrorCode, SpokeError } from '@spoke/core';

const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

/** The binary form of a numeric in text (`-123.4500`, `NaN`, `Infinity`). */
export function encodeNumeric(text: string): Buffer {
  const header = (sign: number, weight = 0, dscale = 0, digits: readonly number[] = []) => {
    const out = Buffer.alloc(8 + 2 * digits.length);
    out.writeInt16BE(digits.length, 0);
    out.writeInt16BE(weight, 2);
    out.writeUInt16BE(sign, 4);
    out.writeInt16BE(dscale, 6);
    for (const [k, d] of digits.entries()) out.writeInt16BE(d, 8 + 2 * k);
    return out;
  };
  const value = text.trim();
  const lower = value.toLowerCase();
  if (lower === 'nan') return header(NUMERIC_NAN);
  if (lower === 'infinity' || lower === '+infinity') return header(NUMERIC_PINF);
  if (lower === '-infinity') return header(NUMERIC_NINF);
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(value);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new SpokeError(ErrorCode.INVALID_QUERY, `invalid input syntax for type numeric: "${text}"`, {
      details: { sqlstate: '22P02' },
    });
  }
  let whole = match[2] ?? '';
  let fraction = match[3] ?? '';
  const exponent = Number(match[4] ?? 0);
  // Move the point for an exponent, so the digits are plain again.
  if (exponent > 0) {
    fraction = fraction.padEnd(exponent, '0');
    whole += fraction.slice(0, exponent);
    fraction = fraction.slice(exponent);
  } else if (exponent < 0) {
    whole = whole.padStart(-exponent, '0');
    fraction = whole.slice(whole.length + exponent) + fraction;
    whole = whole.slice(0, whole.length + exponent);
  }
  const dscale = fraction.length;
  const sign = match[1] === '-' ? NUMERIC_NEG : NUMERIC_POS;
  whole = whole.replace(/^0+/, '');
  const wholeGroups = Math.ceil(whole.length / 4);
  const padded =
    whole.padStart(wholeGroups * 4, '0') + fraction.padEnd(Math.ceil(fraction.length / 4) * 4, '0');
  const digits: number[] = [];
  for (let k = 0; k < padded.length; k += 4) digits.push(Number(padded.slice(k, k + 4)));
  let weight = wholeGroups - 1;
  while (digits.length > 0 && digits[0] === 0) {
    digits.shift();
    weight--;
  }
  while (digits.length > 0 && digits[digits.length - 1] === 0) digits.pop();
  if (digits.length === 0) return header(NUMERIC_POS, 0, dscale);
  return header(sign, weight, dscale, digits);
}

/** The text of a binary numeric (exact: a string, as text parameters are). */
export function decodeNumeric(bytes: Buffer): string {
  if (bytes.length < 8) {
    throw new SpokeError(ErrorCode.INVALID_QUERY, 'insufficient data left in message for a numeric', {
      details: { sqlstate: '08P01' },
    });
  }
  const ndigits = bytes.readInt16BE(0);
  const weight = bytes.readInt16BE(2);
  const sign = bytes.readUInt16BE(4);
  const dscale = bytes.readInt16BE(6);
  if (sign === NUMERIC_NAN) return 'NaN';
  if (sign === NUMERIC_PINF) return 'Infinity';
  if (sign === NUMERIC_NINF) return '-Infinity';
  if (bytes.length < 8 + 2 * ndigits || (sign !== NUMERIC_POS && sign !== NUMERIC_NEG)) {
    throw new SpokeError(ErrorCode.INVALID_QUERY, 'invalid external "numeric" value', {
      details: { sqlstate: '22P03' },
    });
  }
  let whole = '';
  let fraction = '';
  for (let k = 0; k < ndigits; k++) {
    const group = String(bytes.readInt16BE(8 + 2 * k)).padStart(4, '0');
    if (k <= weight) whole += group;
    else fraction += group;
  }
  // Groups between the last digit and the point (weight beyond ndigits) are zeros; so are those before the first fractional digit.
  if (weight >= ndigits) whole += '0000'.repeat(weight - ndigits + 1);
  if (weight < -1) fraction = '0000'.repeat(-weight - 1) + fraction;
  whole = whole.replace(/^0+/, '') || '0';
  fraction = fraction.padEnd(dscale, '0').slice(0, dscale);
  const body = dscale > 0 ? `${whole}.${fraction}` : whole;
  return sign === NUMERIC_NEG && /[1-9]/.test(body) ? `-${body}` : body;
}
