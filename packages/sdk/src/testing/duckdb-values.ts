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

/** Parameters ready for `connection.stream(sql, values, types)`. */
export interface DuckDBParams {
  readonly values: DuckDBValue[];
  readonly types: DuckDBType[];
}

/**
 * Converts bound parameters (IR `ScalarValue`s) to `@duckdb/node-api`
 * values with explicit types. The DuckDB dialect wraps every placeholder in
 * a CAST to the literal's type, so text (decimals, dates, timestamps) and
 * doubles are converted by DuckDB itself. The types are explicit because
 * the driver infers an integral JS number (`1e300`) as BIGINT and fails.
 * Run `DuckDBDialect.sessionSettings` first so timestamp-with-time-zone
 * text is read as UTC.
 */
export function toDuckDBParams(params: readonly ScalarValue[]): DuckDBParams {
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  for (const p of params) {
    const [value, type] = convert(p);
    values.push(value);
    types.push(type);
  }
  return { values, types };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function convert(value: ScalarValue): [DuckDBValue, DuckDBType] {
  if (value === null) return [null, SQLNULL];
  if (value instanceof Uint8Array) return [blobValue(value), BLOB];
  if (Array.isArray(value)) {
    const items = value.map(convert);
    const item = items.find(([v]) => v !== null)?.[1] ?? VARCHAR;
    return [listValue(items.map(([v]) => v)), LIST(item)];
  }
  switch (typeof value) {
    case 'number':
      return [value, DOUBLE];
    case 'bigint':
      return [value, value >= INT64_MIN && value <= INT64_MAX ? BIGINT : HUGEINT];
    case 'boolean':
      return [value, BOOLEAN];
    default:
      return [String(value), VARCHAR];
  }
}
