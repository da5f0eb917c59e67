import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import type { ScalarType } from '@spoke/core';

/**
 * How a DuckDB column type reaches Spoke: either directly as a
 * {@link ScalarType} (`direct`), or after a CAST in the scan's inner SELECT
 * (`castTo`, DuckDB SQL type) whose result is then mapped directly. Keeping
 * exotic types in SQL casts leaves the chunk-to-Arrow code with a small,
 * well-tested set of types.
 */
export type DuckDBColumnMapping = { readonly direct: ScalarType } | { readonly castTo: string };

/** The mapping for one DuckDB type. See the README's type table. */
export function mapDuckDBType(type: DuckDBType): DuckDBColumnMapping {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { direct: { id: 'bool' } };
    case DuckDBTypeId.TINYINT:
      return { direct: { id: 'int8' } };
    case DuckDBTypeId.SMALLINT:
      return { direct: { id: 'int16' } };
    case DuckDBTypeId.INTEGER:
      return { direct: { id: 'int32' } };
    case DuckDBTypeId.BIGINT:
      return { direct: { id: 'int64' } };
    case DuckDBTypeId.UTINYINT:
      return { direct: { id: 'uint8' } };
    case DuckDBTypeId.USMALLINT:
      return { direct: { id: 'uint16' } };
    case DuckDBTypeId.UINTEGER:
      return { direct: { id: 'uint32' } };
    case DuckDBTypeId.UBIGINT:
      return { direct: { id: 'uint64' } };
    case DuckDBTypeId.FLOAT:
      return { direct: { id: 'float32' } };
    case DuckDBTypeId.DOUBLE:
      return { direct: { id: 'float64' } };
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as unknown as { width: number; scale: number };
      return { direct: { id: 'decimal', precision: width, scale } };
    }
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      // 128-bit integers have up to 39 digits; Arrow decimal128 holds 38. Values beyond fail the cast loudly.
      return { castTo: 'DECIMAL(38,0)' };
    case DuckDBTypeId.VARCHAR:
      return { direct: { id: 'utf8' } };
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.INTERVAL:
      // Streamed as text by @spoke/duckdb-arrow: a UUID's canonical form, an interval in
      // PostgreSQL's output style (`1 year 2 mons`), where CAST(… AS VARCHAR) would give DuckDB's.
      return { direct: { id: 'utf8' } };
    case DuckDBTypeId.BLOB:
      return { direct: { id: 'binary' } };
    case DuckDBTypeId.DATE:
      return { direct: { id: 'date' } };
    case DuckDBTypeId.TIME:
      return { direct: { id: 'time' } };
    case DuckDBTypeId.TIMESTAMP:
      return { direct: { id: 'timestamp' } };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { direct: { id: 'timestamp', timezone: 'UTC' } };
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      // Spoke's timestamps are microseconds; nanoseconds are truncated.
      return { castTo: 'TIMESTAMP' };
    default:
      // ENUM, TIME WITH TIME ZONE, BIT, LIST, STRUCT, MAP,
      // ARRAY, UNION, JSON, GEOMETRY, VARIANT…: their text form.
      return { castTo: 'VARCHAR' };
  }
}
