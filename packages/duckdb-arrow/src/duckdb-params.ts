/**
 * Query parameters (`$1`, `$2`…) from Spoke's scalar values to DuckDB values.
 */
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  blobValue,
  DOUBLE,
  type DuckDBType,
  type DuckDBValue,
  HUGEINT,
  LIST,
  listValue,
  SQLNULL,
  VARCHAR,
} from '@duckdb/node-api';
import type { ScalarValue } from '@spoke/core';

/**
 * Converts Spoke scalar parameters to the values `connection.stream(sql,
 * values)` binds. Numbers bind as INTEGER/BIGINT when integral, DOUBLE
 * otherwise (node-api's inference); bytes as BLOB; arrays as LIST.
 * Returns undefined when there are no parameters.
 */
export function toDuckDBParams(params: readonly ScalarValue[] | undefined): DuckDBValue[] | undefined {
  if (!params || params.length === 0) return undefined;
  return params.map(toDuckDBValue);
}

function toDuckDBValue(value: ScalarValue): DuckDBValue {
  if (value instanceof Uint8Array) return blobValue(value);
  if (Array.isArray(value)) return listValue((value as readonly ScalarValue[]).map(toDuckDBValue));
  return value as DuckDBValue;
}

/** Parameters with explicit types, ready for `connection.stream(sql, values, types)`. */
export interface TypedDuckDBParams {
  readonly values: DuckDBValue[];
  readonly types: DuckDBType[];
}

/**
 * Converts bound parameters to `@duckdb/node-api` values with explicit
 * types, for SQL whose placeholders the DuckDB dialect wraps in a CAST to
 * the literal's type (text for decimals, dates and timestamps; doubles):
 * DuckDB converts them itself. Types are explicit because the driver infers
 * an integral JS number such as `1e300` as BIGINT and fails.
 */
export function toTypedDuckDBParams(params: readonly ScalarValue[]): TypedDuckDBParams {
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  for (const p of params) {
    const [value, type] = typed(p);
    values.push(value);
    types.push(type);
  }
  return { values, types };
}

function typed(value: ScalarValue): [DuckDBValue, DuckDBType] {
  if (value === null || value === undefined) return [null, SQLNULL];
  if (value instanceof Uint8Array) return [blobValue(value), BLOB];
  if (Array.isArray(value)) {
    const items = (value as readonly ScalarValue[]).map(typed);
    return [listValue(items.map(([v]) => v)), LIST(items.find(([v]) => v !== null)?.[1] ?? VARCHAR)];
  }
  if (typeof value === 'number') return [value, DOUBLE];
  if (typeof value === 'bigint') return [value, BigInt.asIntN(64, value) === value ? BIGINT : HUGEINT];
  if (typeof value === 'boolean') return [value, BOOLEAN];
  return [String(value), VARCHAR];
}
