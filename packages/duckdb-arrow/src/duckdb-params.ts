/**
 * Query parameters (`$1`, `$2`…) from Spoke's scalar values to DuckDB values.
 */
import { blobValue, type DuckDBValue, listValue } from '@duckdb/node-api';
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
