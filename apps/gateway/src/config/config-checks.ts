/**
 * The checks every config section uses. Each error is `INVALID_CONFIG` and
 * starts with the key path, so the message says what to change.
 */
import { didYouMean, ErrorCode, SpokeError } from '@spoke/core';

/** An `INVALID_CONFIG` error for the key at `path`. */
export function fail(path: string, message: string): SpokeError {
  return new SpokeError(ErrorCode.INVALID_CONFIG, `${path}: ${message}`, { details: { key: path } });
}

/** A value as an error message shows it. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value === 'string' ? `"${value}"` : String(value);
}

/** Whether `value` is a YAML map. */
export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as a map, or an error naming `path`. */
export function expectMap(value: unknown, path: string): Record<string, unknown> {
  if (!isMap(value)) throw fail(path, `expected a map, got ${describe(value)}`);
  return value;
}

/** Rejects keys outside `allowed`, suggesting the closest one. */
export function checkKeys(map: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(map)) {
    if (!allowed.includes(key)) {
      const where = path === '' ? key : `${path}.${key}`;
      throw fail(where, `unknown key${didYouMean(key, allowed)}; expected one of ${allowed.join(', ')}`);
    }
  }
}

/** A non-empty string. */
export function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '')
    throw fail(path, `expected a non-empty string, got ${describe(value)}`);
  return value;
}

/** A boolean; `true`/`false` strings are accepted because they may come from `${ENV}`. */
export function expectBoolean(value: unknown, path: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw fail(path, `expected true or false, got ${describe(value)}`);
}

/** Integers may arrive as strings after `${ENV}` interpolation (`port: ${PORT}`). */
export function expectInteger(value: unknown, path: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw fail(path, `expected an integer from ${min} to ${max}, got ${describe(value)}`);
  return n;
}

/** A list of non-empty strings. */
export function expectStringList(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) throw fail(path, `expected a list of strings, got ${describe(value)}`);
  return value.map((item, i) => expectString(item, `${path}[${i}]`));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds: `500ms`, `30s`, `5m`, `1h`, or a number of seconds. */
export function expectDuration(value: unknown, path: string): number {
  if (typeof value === 'number' && value > 0 && Number.isFinite(value)) return Math.round(value * 1000);
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value) : null;
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? 's']! : Number.NaN;
  if (!(ms > 0) || ms > 2 ** 31 - 1)
    throw fail(path, `expected a positive duration such as 500ms, 30s, 5m or 1h, got ${describe(value)}`);
  return Math.round(ms);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** A size in bytes: a number, or `64KB`, `100MB`, `2GB` (units of 1024). */
export function expectSize(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value) : null;
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!(bytes > 0) || !Number.isSafeInteger(bytes))
    throw fail(path, `expected a positive size such as 1048576, 64KB, 100MB or 2GB, got ${describe(value)}`);
  return bytes;
}
