import { ErrorCode, type ScalarValue, SpokeError } from '@spoke/core';
import { escapeStringLiteral } from '@spoke/sdk';

/**
 * Replaces `$n` placeholders by escaped literals, for statements that cannot
 * take bind parameters (`COPY (SELECT …) TO STDOUT`). A small lexer skips
 * string literals, quoted identifiers, dollar-quoted strings and comments, so
 * only real placeholders are replaced. Each literal is parenthesised
 * (`x - $1` with `-5` must not become the comment `x--5`) and strings are
 * `E'…'` with quotes and backslashes doubled; a string stays of unknown type,
 * exactly as a bound untyped parameter would, and any cast after the
 * placeholder (`$1::int4`) still applies.
 */
export function inlineParameters(sql: string, params: readonly ScalarValue[]): string {
  if (params.length === 0) return sql;
  // Text between parameters is copied in spans: `out += c` per character made a string per character.
  let out = '';
  let copied = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'") {
      const escaped = i > 0 && /[eE]/.test(sql[i - 1]!) && !/[\w$]/.test(sql[i - 2] ?? ' ');
      i = skipQuoted(sql, i, "'", escaped);
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? ' ')) {
      const number = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      if (number) {
        const index = Number(number[1]) - 1;
        if (index < 0 || index >= params.length) {
          throw new SpokeError(
            ErrorCode.INVALID_QUERY,
            `no value for parameter ${number[0]} (${params.length} given)`,
          );
        }
        out += sql.slice(copied, i) + inlineValue(params[index]!);
        i += number[0].length;
        copied = i;
        continue;
      }
      const tag = /^\$([A-Za-z_][\w]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  return out + sql.slice(copied);
}

function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

/** A parameter value as an inline literal. */
export function inlineValue(value: ScalarValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint') return `(${value.toString()})`;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return `(E'NaN')`;
    if (!Number.isFinite(value)) return value > 0 ? `(E'Infinity')` : `(E'-Infinity')`;
    return `(${String(value)})`;
  }
  if (typeof value === 'string') return `(${escapeStringLiteral(value)})`;
  if (value instanceof Uint8Array)
    return `(${escapeStringLiteral(`\\x${Buffer.from(value).toString('hex')}`)}::bytea)`;
  return `(${escapeStringLiteral(arrayLiteral(value))})`;
}

/** PostgreSQL's array input syntax, `{"a","b",NULL}`, every element quoted. */
export function arrayLiteral(values: readonly ScalarValue[]): string {
  return `{${values
    .map((v) => {
      if (v === null) return 'NULL';
      if (Array.isArray(v)) return arrayLiteral(v);
      const text = v instanceof Uint8Array ? `\\x${Buffer.from(v).toString('hex')}` : String(v);
      return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    })
    .join(',')}}`;
}

/** Parameter values as node-postgres expects them (bound, for the cursor path). */
export function driverValues(params: readonly ScalarValue[]): unknown[] {
  return params.map(function convert(v: ScalarValue): unknown {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (Array.isArray(v)) return v.map(convert);
    return v;
  });
}

const INT4_MAX = 2_147_483_647n;
const INT8_MAX = 9_223_372_036_854_775_807n;

/**
 * What PostgreSQL types the literals {@link inlineParameters} writes for
 * `params` as: statements equal in text and in this are typed alike, so
 * their row descriptions are the same. An integer literal is int4, int8 or
 * numeric by its magnitude (a minus sign applies after typing); any other
 * number is numeric; strings, arrays and `E'NaN'` are of unknown type.
 */
export function parameterShapes(params: readonly ScalarValue[]): string {
  return params
    .map((v) => {
      if (v === null) return 'null';
      if (typeof v === 'boolean') return 'bool';
      if (v instanceof Uint8Array) return 'bytea';
      if (typeof v === 'number' && !Number.isInteger(v)) return Number.isFinite(v) ? 'numeric' : 'unknown';
      if (typeof v === 'number' || typeof v === 'bigint') {
        const magnitude = BigInt(v) < 0n ? -BigInt(v) : BigInt(v);
        return magnitude <= INT4_MAX ? 'int4' : magnitude <= INT8_MAX ? 'int8' : 'numeric';
      }
      return 'unknown';
    })
    .join(',');
}
