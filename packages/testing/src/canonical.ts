import {
  DuckDBBlobValue,
  type DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { arrow, type RecordBatch } from '@spoke/core';
import type { Data, DataType } from 'apache-arrow';
import { daysToIso, microsToIso, timeMicrosToIso } from './temporal.js';

/**
 * A value in the form both sides of a comparison are converted to:
 * integers as `bigint`, decimals as normalised text (`bigint` at scale 0) (`"-1.5"`, no trailing
 * zeros), floats as `number`, dates as `YYYY-MM-DD`, timestamps as
 * `YYYY-MM-DD HH:MM:SS.ffffff` (with a trailing `Z` for instants), times as
 * `HH:MM:SS.ffffff`, binary as `\x` + lower-case hex, text and booleans as is.
 */
export type CanonicalValue = null | boolean | bigint | number | string;

/** One row in canonical form, in projection order. */
export type CanonicalRow = readonly CanonicalValue[];

/** Normalises decimal text: no `+`, no leading or trailing zeros, `0` for zero. */
export function normalizeDecimal(text: string): string {
  const m = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return text;
  const int = (m[2] ?? '').replace(/^0+/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return m[1] === '-' && body !== '0' ? `-${body}` : body;
}

/** `\x00ff` for bytes `[0, 255]`. */
export function hexOf(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/**
 * Decimal text, or a `bigint` at scale 0 so that a source surfacing an
 * integer column as `decimal(38,0)` still compares equal on values (the
 * schema check reports the type separately).
 */
function decimalFromUnscaled(unscaled: bigint, scale: number): string | bigint {
  if (scale === 0) return unscaled;
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return normalizeDecimal(`${negative ? '-' : ''}${text}`);
}

/** A multiset key for a row: equal keys mean equal canonical rows. */
export function rowKey(row: CanonicalRow): string {
  return row.map(valueKey).join('\u0001');
}

function valueKey(v: CanonicalValue): string {
  if (v === null) return 'N';
  switch (typeof v) {
    case 'boolean':
      return `b:${v}`;
    case 'bigint':
      return `n:${v}`;
    case 'number':
      return Number.isNaN(v) ? 'f:NaN' : `f:${Object.is(v, -0) ? 0 : v}`;
    default:
      return `s:${JSON.stringify(v)}`;
  }
}

/** Reads every row of `batches` in canonical form (validating nothing but types it does not know). */
export function canonicalRowsFromBatches(batches: readonly RecordBatch[]): CanonicalRow[] {
  const rows: CanonicalRow[] = [];
  for (const batch of batches) {
    const columns = batch.schema.fields.map((field, i) => {
      const child = batch.getChildAt(i);
      if (!child) throw new Error(`batch has no column ${i} (${field.name})`);
      return { type: field.type as DataType, data: child.data as Data[] };
    });
    const width = columns.length;
    const batchRows: CanonicalValue[][] = Array.from(
      { length: batch.numRows },
      () => new Array<CanonicalValue>(width),
    );
    columns.forEach((column, c) => {
      let row = 0;
      for (const data of column.data) {
        for (let i = 0; i < data.length; i++) batchRows[row++]![c] = arrowValue(column.type, data, i);
      }
    });
    rows.push(...batchRows);
  }
  return rows;
}

/** One Arrow value in canonical form, read from the buffers (arrow-js `get` rounds timestamps to milliseconds). */
export function arrowValue(type: DataType, data: Data, index: number): CanonicalValue {
  if (!data.getValid(index)) return null;
  const t = arrow.Type;
  // arrow-js slices fixed-width value buffers along with the Data (only the
  // validity bitmap keeps the offset), so values are indexed without it.
  const at = index;
  switch (type.typeId) {
    case t.Null:
      return null;
    case t.Bool:
      return arrow.makeVector(data).get(index) as boolean;
    case t.Int:
      return BigInt((data.values as ArrayLike<number | bigint>)[at]!);
    case t.Float:
      return Number(arrow.makeVector(data).get(index));
    case t.Decimal: {
      const { scale, bitWidth } = type as unknown as { scale: number; bitWidth: number };
      const words = bitWidth / 32;
      const values = data.values as Uint32Array;
      let v = 0n;
      for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(values[at * words + w]!);
      return decimalFromUnscaled(BigInt.asIntN(bitWidth, v), scale);
    }
    case t.Utf8:
    case t.LargeUtf8:
      return arrow.makeVector(data).get(index) as string;
    case t.Binary:
    case t.LargeBinary:
    case t.FixedSizeBinary:
      return hexOf(arrow.makeVector(data).get(index) as Uint8Array);
    case t.Date: {
      const { unit } = type as unknown as { unit: number };
      const raw = Number((data.values as ArrayLike<number | bigint>)[at]!);
      return daysToIso(unit === arrow.DateUnit.DAY ? raw : Math.floor(raw / 86_400_000));
    }
    case t.Timestamp: {
      const { unit, timezone } = type as unknown as { unit: number; timezone: string | null };
      const raw = BigInt((data.values as ArrayLike<number | bigint>)[at]!);
      const micros =
        unit === arrow.TimeUnit.SECOND
          ? raw * 1_000_000n
          : unit === arrow.TimeUnit.MILLISECOND
            ? raw * 1000n
            : unit === arrow.TimeUnit.MICROSECOND
              ? raw
              : floorDiv(raw, 1000n);
      return `${microsToIso(micros)}${timezone ? 'Z' : ''}`;
    }
    case t.Time: {
      const { unit } = type as unknown as { unit: number };
      const raw = BigInt((data.values as ArrayLike<number | bigint>)[at]!);
      const scale = [1_000_000n, 1000n, 1n, 1n][unit]!;
      return timeMicrosToIso(unit === arrow.TimeUnit.NANOSECOND ? raw / 1000n : raw * scale);
    }
    default:
      throw new Error(`the conformance kit cannot compare Arrow type ${String(type)}`);
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** One DuckDB value (from `@duckdb/node-api`) in canonical form. */
export function duckdbValue(value: DuckDBValue): CanonicalValue {
  if (value === null) return null;
  if (typeof value === 'boolean' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (value instanceof DuckDBDecimalValue) return decimalFromUnscaled(value.value, value.scale);
  if (value instanceof DuckDBDateValue) return daysToIso(value.days);
  if (value instanceof DuckDBTimestampTZValue) return `${microsToIso(value.micros)}Z`;
  if (value instanceof DuckDBTimestampValue) return microsToIso(value.micros);
  if (value instanceof DuckDBTimeValue) return timeMicrosToIso(value.micros);
  if (value instanceof DuckDBBlobValue) return hexOf(value.bytes);
  throw new Error(`the conformance kit cannot compare DuckDB value ${String(value)}`);
}

/** DuckDB rows in canonical form. Integer columns become `bigint` whatever their width. */
export function canonicalRowsFromDuckDB(
  chunks: readonly DuckDBDataChunk[],
  integerColumns: readonly boolean[],
): CanonicalRow[] {
  const rows: CanonicalRow[] = [];
  for (const chunk of chunks) {
    for (const row of chunk.getRows()) {
      rows.push(row.map((v, i) => (integerColumns[i] && typeof v === 'number' ? BigInt(v) : duckdbValue(v))));
    }
  }
  return rows;
}

/** A readable form of a row for failure messages. */
export function formatRow(row: CanonicalRow): string {
  return `(${row.map((v) => (typeof v === 'bigint' ? `${v}` : v === null ? 'NULL' : JSON.stringify(v))).join(', ')})`;
}

/** Differences between two multisets of rows: rows only in `actual`, rows only in `expected`. */
export function diffRows(
  actual: readonly CanonicalRow[],
  expected: readonly CanonicalRow[],
): { extra: CanonicalRow[]; missing: CanonicalRow[] } {
  const counts = new Map<string, { row: CanonicalRow; n: number }>();
  for (const row of expected) {
    const k = rowKey(row);
    const e = counts.get(k);
    if (e) e.n++;
    else counts.set(k, { row, n: 1 });
  }
  const extra: CanonicalRow[] = [];
  for (const row of actual) {
    const e = counts.get(rowKey(row));
    if (e && e.n > 0) e.n--;
    else extra.push(row);
  }
  const missing = [...counts.values()].flatMap((e) => Array.from({ length: e.n }, () => e.row));
  return { extra, missing };
}
