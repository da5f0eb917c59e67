import { blobValue, type DuckDBValue, listValue } from '@duckdb/node-api';
import type { ScalarValue } from '@spoke/core';

/** Statement parameter values as `@duckdb/node-api` binds them. */
export function toDuckDBParams(params: readonly ScalarValue[]): DuckDBValue[] {
  return params.map(toDuckDBValue);
}

function toDuckDBValue(value: ScalarValue): DuckDBValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return blobValue(value);
  if (Array.isArray(value)) return listValue(value.map(toDuckDBValue));
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) return BigInt(value);
  return value as DuckDBValue;
}
