/**
 * PostgreSQL's text output formats for scalar values (what `typoutput`
 * produces with DateStyle ISO and IntervalStyle postgres), from the raw
 * numbers Arrow stores.
 */

const INT64_MAX = 9223372036854775807n;
const INT64_MIN_PLUS_1 = -9223372036854775807n;
const MICROS_PER_DAY = 86_400_000_000n;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Days since 1970-01-01 → proleptic Gregorian [year, month, day] (Howard Hinnant's civil_from_days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** `YYYY-MM-DD` and whether the year is BC (PostgreSQL has no year 0: year 0 is 1 BC). */
function dateParts(days: number): { text: string; bc: boolean } {
  const [year, month, day] = civilFromDays(days);
  const bc = year <= 0;
  return { text: `${pad(bc ? 1 - year : year, 4)}-${pad(month, 2)}-${pad(day, 2)}`, bc };
}

/** `.ffffff` without trailing zeros, or nothing. */
function fraction(micros: number): string {
  if (micros === 0) return '';
  return `.${pad(micros, 6).replace(/0+$/, '')}`;
}

/** `HH:MM:SS[.ffffff]` for microseconds since midnight. */
export function formatTime(micros: bigint): string {
  const us = Number(micros);
  const seconds = Math.floor(us / 1_000_000);
  return `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}${fraction(us % 1_000_000)}`;
}

/** A `date` from days since the Unix epoch. */
export function formatDate(days: number): string {
  if (days >= 2147483647) return 'infinity';
  if (days <= -2147483647) return '-infinity';
  const { text, bc } = dateParts(days);
  return bc ? `${text} BC` : text;
}

/** A `timestamp` (or `timestamptz` in UTC, with `+00`) from microseconds since the Unix epoch. */
export function formatTimestamp(micros: bigint, withTimeZone: boolean): string {
  if (micros >= INT64_MAX) return 'infinity';
  if (micros <= INT64_MIN_PLUS_1) return '-infinity';
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const { text, bc } = dateParts(Number(days));
  return `${text} ${formatTime(rest)}${withTimeZone ? '+00' : ''}${bc ? ' BC' : ''}`;
}

function unit(value: number, singular: string, plural: string): string {
  return `${value} ${value === 1 ? singular : plural}`;
}

/** An `interval` in IntervalStyle `postgres`: `1 year 2 mons 3 days 04:05:06.5`. */
export function formatInterval(months: number, days: number, micros: bigint): string {
  const parts: string[] = [];
  const years = Math.trunc(months / 12);
  const mons = months % 12;
  if (years !== 0) parts.push(unit(years, 'year', 'years'));
  if (mons !== 0) parts.push(unit(mons, 'mon', 'mons'));
  if (days !== 0) parts.push(unit(days, 'day', 'days'));
  if (micros !== 0n || parts.length === 0) {
    const negative = micros < 0n;
    const abs = negative ? -micros : micros;
    const totalSeconds = abs / 1_000_000n;
    const hours = totalSeconds / 3600n;
    const clock = `${String(hours).padStart(2, '0')}:${pad(Number((totalSeconds / 60n) % 60n), 2)}:${pad(Number(totalSeconds % 60n), 2)}${fraction(Number(abs % 1_000_000n))}`;
    // PostgreSQL signs the clock part only when it is negative, or when it follows a negative date part.
    const sign = negative ? '-' : parts.length > 0 && (months < 0 || days < 0) ? '+' : '';
    parts.push(sign + clock);
  }
  return parts.join(' ');
}

/**
 * `float8`/`float4` output as PostgreSQL 12+ prints it (`extra_float_digits`
 * 1): the shortest text that reads back to the same value, in exponent form
 * when the decimal exponent is below -4 or at least 15 (6 for float4), with a
 * two-digit exponent (`1e+15`, `1e-05`).
 */
export function formatFloat(value: number, single: boolean): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  let exponential: string;
  if (single) {
    let digits = 1;
    while (digits < 9 && Math.fround(Number(value.toPrecision(digits))) !== value) digits++;
    exponential = value.toExponential(digits - 1);
  } else {
    exponential = value.toExponential();
  }
  const [mantissa, exponentText] = exponential.split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= (single ? 6 : 15)) {
    const abs = Math.abs(exponent);
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  }
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exponent < 0) text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  else if (digits.length <= exponent + 1) text = digits + '0'.repeat(exponent + 1 - digits.length);
  else text = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  return negative ? `-${text}` : text;
}

/** A decimal's unscaled integer with its scale applied, exactly: (-1250n, 2) → `-12.50`. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (scale === 0 ? unscaled : unscaled * 10n ** BigInt(-scale)).toString();
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `bytea` output in the `hex` format: `\x0a0b`. */
export function formatBytea(bytes: Uint8Array): string {
  let out = '\\x';
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/** A `uuid` from its 16 bytes. */
export function formatUuid(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX[byte];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Quotes one element of an array literal when PostgreSQL's `array_out` would. */
export function quoteArrayElement(text: string): string {
  if (text === '' || /^null$/i.test(text) || /[{}",\\\s]/.test(text)) {
    return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  }
  return text;
}
