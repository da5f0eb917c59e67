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
 * Bound parameters (IR `ScalarValue`s) as typed `@duckdb/node-api` values.
 * The DuckDB dialect wraps each placeholder in a CAST to the literal's
 * type, so text (decimals, dates, timestamps) and doubles are converted by
 * DuckDB; types are explicit because the driver would infer an integral JS
 * number such as `1e300` as BIGINT and fail.
 */
export function toDuckDBParams(params: readonly ScalarValue[]): {
  values: DuckDBValue[];
  types: DuckDBType[];
} {
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  for (const p of params) {
    const [v, t] = convert(p);
    values.push(v);
    types.push(t);
  }
  return { values, types };
}

function convert(value: ScalarValue): [DuckDBValue, DuckDBType] {
  if (value === null) return [null, SQLNULL];
  if (value instanceof Uint8Array) return [blobValue(value), BLOB];
  if (Array.isArray(value)) {
    const items = value.map(convert);
    return [listValue(items.map(([v]) => v)), LIST(items.find(([v]) => v !== null)?.[1] ?? VARCHAR)];
  }
  if (typeof value === 'number') return [value, DOUBLE];
  if (typeof value === 'bigint') return [value, BigInt.asIntN(64, value) === value ? BIGINT : HUGEINT];
  if (typeof value === 'boolean') return [value, BOOLEAN];
  return [String(value), VARCHAR];
}
