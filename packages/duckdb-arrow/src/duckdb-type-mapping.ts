/**
 * Type mapping between Arrow (what sources and clients speak) and DuckDB (what
 * runs the residual query).
 *
 * Arrow → DuckDB (loading a source's batches):
 *
 * | Arrow | DuckDB |
 * | --- | --- |
 * | Bool | BOOLEAN |
 * | Int8/16/32/64, Uint8/16/32/64 | TINYINT…BIGINT, UTINYINT…UBIGINT |
 * | Float32/64 (Float16 too) | FLOAT / DOUBLE |
 * | Decimal128(p ≤ 38, s) | DECIMAL(p, s) |
 * | Utf8, LargeUtf8, Dictionary of either | VARCHAR |
 * | Binary, LargeBinary | BLOB |
 * | DateDay, DateMillisecond | DATE |
 * | Time (any unit) | TIME (microseconds; nanoseconds are floored) |
 * | Timestamp (any unit) without a time zone | TIMESTAMP (microseconds) |
 * | Timestamp (any unit) with a time zone | TIMESTAMPTZ (microseconds, UTC) |
 * | List, LargeList | `child[]` |
 * | FixedSizeList(n) | `child[n]` (ARRAY, used for embeddings) |
 * | Struct | STRUCT |
 * | anything else (Map, Union, Interval, Duration, Decimal256…) | VARCHAR holding the value's text |
 *
 * Spoke's timestamps are microseconds, so every timestamp unit lands in DuckDB's
 * microsecond TIMESTAMP; seconds and milliseconds scale exactly, nanoseconds are
 * floored.
 *
 * DuckDB → Arrow (streaming a result out):
 *
 * | DuckDB | Arrow |
 * | --- | --- |
 * | BOOLEAN, integers, FLOAT, DOUBLE | same |
 * | DECIMAL(p, s) | Decimal128(p, s) |
 * | HUGEINT | Decimal128(38, 0) (values past 38 digits keep their bytes but exceed the declared precision) |
 * | VARCHAR (JSON too), ENUM, UUID | Utf8 |
 * | INTERVAL | Utf8 in PostgreSQL's output style (`1 year 2 mons 3 days 04:05:06`): arrow-js 18.1 mis-encodes MonthDayNano |
 * | BLOB | Binary |
 * | DATE | DateDay |
 * | TIME | TimeMicrosecond |
 * | TIMESTAMP, TIMESTAMP_S/_MS/_NS | Timestamp(µs) (nanoseconds floored) |
 * | TIMESTAMPTZ | Timestamp(µs, 'UTC') |
 * | LIST, ARRAY, STRUCT | List, FixedSizeList, Struct |
 * | anything else (UHUGEINT, MAP, UNION, BIT, TIME_TZ, BIGNUM…) | Utf8: DuckDB's text of the value |
 *
 * For the "anything else" rows the streamer converts value by value (slow but
 * correct). A planner that writes the SQL should prefer `CAST(x AS VARCHAR)`
 * for such columns ({@link needsVarcharCast} says which), so DuckDB renders the
 * text itself and the fast path applies.
 */

import {
  ARRAY,
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  type DuckDBType,
  DuckDBTypeId,
  FLOAT,
  INTEGER,
  LIST,
  SMALLINT,
  STRUCT,
  TIME,
  TIMESTAMP,
  TIMESTAMPTZ,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import type { DataType, Field } from '@spoke/core';
import { arrow } from '@spoke/core';

/** A DuckDB column type, both as the node-api object and as SQL text for DDL. */
export interface DuckDBColumnType {
  /** The node-api type (used to build data chunks). */
  readonly type: DuckDBType;
  /** The SQL spelling, usable in `CREATE TABLE` (`DECIMAL(38,2)`, `STRUCT("a" INTEGER)[]`…). */
  readonly sql: string;
}

/**
 * Quotes a SQL identifier for DuckDB: wraps it in double quotes and doubles
 * embedded double quotes, so any name (keywords, spaces, quotes) is safe.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The SQL spelling of a DuckDB type for DDL (struct field names quoted). */
export function duckdbTypeSql(type: DuckDBType): string {
  switch (type.typeId) {
    case DuckDBTypeId.DECIMAL:
      return `DECIMAL(${type.width},${type.scale})`;
    case DuckDBTypeId.LIST:
      return `${duckdbTypeSql(type.valueType)}[]`;
    case DuckDBTypeId.ARRAY:
      return `${duckdbTypeSql(type.valueType)}[${type.length}]`;
    case DuckDBTypeId.STRUCT:
      return `STRUCT(${type.entryNames.map((n, i) => `${quoteIdentifier(n)} ${duckdbTypeSql(type.entryTypes[i] as DuckDBType)}`).join(', ')})`;
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'TIMESTAMPTZ';
    default:
      return type.toString();
  }
}

function column(type: DuckDBType): DuckDBColumnType {
  return { type, sql: duckdbTypeSql(type) };
}

/** The largest decimal precision DuckDB stores (it has no 256-bit decimals). */
export const MAX_DECIMAL_PRECISION = 38;

/**
 * The DuckDB column type an Arrow type is loaded as (see the table at the top
 * of this file). Never throws: types without a native counterpart load as
 * VARCHAR text.
 */
export function arrowToDuckDBType(type: DataType): DuckDBColumnType {
  return column(arrowToDuckDB(type));
}

function arrowToDuckDB(type: DataType): DuckDBType {
  const T = arrow.Type;
  const t = type as DataType & Record<string, unknown>;
  switch (type.typeId) {
    case T.Bool:
      return BOOLEAN;
    case T.Int: {
      const signed = t.isSigned as boolean;
      switch (t.bitWidth as number) {
        case 8:
          return signed ? TINYINT : UTINYINT;
        case 16:
          return signed ? SMALLINT : USMALLINT;
        case 32:
          return signed ? INTEGER : UINTEGER;
        default:
          return signed ? BIGINT : UBIGINT;
      }
    }
    case T.Float:
      return (t.precision as number) === arrow.Precision.DOUBLE ? DOUBLE : FLOAT;
    case T.Decimal: {
      const precision = t.precision as number;
      if ((t.bitWidth as number) !== 128 || precision > MAX_DECIMAL_PRECISION || precision < 1)
        return VARCHAR;
      return DECIMAL(precision, t.scale as number);
    }
    case T.Utf8:
    case T.LargeUtf8:
      return VARCHAR;
    case T.Binary:
    case T.LargeBinary:
      return BLOB;
    case T.Date:
      return DATE;
    case T.Time:
      return TIME;
    case T.Timestamp:
      return t.timezone ? TIMESTAMPTZ : TIMESTAMP;
    case T.List:
      return LIST(arrowToDuckDB(listChild(type).type));
    case T.FixedSizeList: {
      const size = t.listSize as number;
      // DuckDB refuses ARRAY of size 0; such a column can only hold empty lists, so a LIST holds it.
      const child = arrowToDuckDB(listChild(type).type);
      return size > 0 ? ARRAY(child, size) : LIST(child);
    }
    case T.Struct: {
      const fields = (type.children ?? []) as Field[];
      if (fields.length === 0) return VARCHAR;
      const entries: Record<string, DuckDBType> = {};
      for (const f of fields) entries[f.name] = arrowToDuckDB(f.type);
      // Duplicate field names collapse in a record; DuckDB rejects them anyway, so text is the honest fallback.
      if (Object.keys(entries).length !== fields.length) return VARCHAR;
      return STRUCT(entries);
    }
    case T.Dictionary: {
      const valueType = (t.dictionary as DataType).typeId;
      return valueType === T.Utf8 || valueType === T.LargeUtf8 ? VARCHAR : VARCHAR;
    }
    default:
      return VARCHAR;
  }
}

/** The single child field of a List / LargeList / FixedSizeList type. */
export function listChild(type: DataType): Field {
  const child = (type.children as Field[] | undefined)?.[0];
  if (!child) throw new Error(`list type without a child: ${String(type)}`);
  return child;
}

/** Microsecond timestamps: Spoke's one timestamp unit. */
function timestampMicros(timezone: string | null): DataType {
  return new arrow.Timestamp(arrow.TimeUnit.MICROSECOND, timezone);
}

/**
 * The Arrow type a DuckDB result column streams out as (see the table at the
 * top of this file). Types without a native counterpart come out as Utf8.
 */
export function duckdbToArrowType(type: DuckDBType): DataType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new arrow.Bool();
    case DuckDBTypeId.TINYINT:
      return new arrow.Int8();
    case DuckDBTypeId.SMALLINT:
      return new arrow.Int16();
    case DuckDBTypeId.INTEGER:
      return new arrow.Int32();
    case DuckDBTypeId.BIGINT:
      return new arrow.Int64();
    case DuckDBTypeId.UTINYINT:
      return new arrow.Uint8();
    case DuckDBTypeId.USMALLINT:
      return new arrow.Uint16();
    case DuckDBTypeId.UINTEGER:
      return new arrow.Uint32();
    case DuckDBTypeId.UBIGINT:
      return new arrow.Uint64();
    case DuckDBTypeId.FLOAT:
      return new arrow.Float32();
    case DuckDBTypeId.DOUBLE:
      return new arrow.Float64();
    case DuckDBTypeId.DECIMAL:
      return new arrow.Decimal(type.scale, type.width, 128);
    case DuckDBTypeId.HUGEINT:
      return new arrow.Decimal(0, MAX_DECIMAL_PRECISION, 128);
    case DuckDBTypeId.BLOB:
      return new arrow.Binary();
    case DuckDBTypeId.DATE:
      return new arrow.DateDay();
    case DuckDBTypeId.TIME:
      return new arrow.TimeMicrosecond();
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return timestampMicros(null);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return timestampMicros('UTC');
    case DuckDBTypeId.LIST:
      return new arrow.List(new arrow.Field('item', duckdbToArrowType(type.valueType), true));
    case DuckDBTypeId.ARRAY:
      return new arrow.FixedSizeList(
        type.length,
        new arrow.Field('item', duckdbToArrowType(type.valueType), true),
      );
    case DuckDBTypeId.STRUCT:
      return new arrow.Struct(
        type.entryNames.map(
          (n, i) => new arrow.Field(n, duckdbToArrowType(type.entryTypes[i] as DuckDBType), true),
        ),
      );
    default:
      // VARCHAR (and its JSON alias), ENUM, UUID, INTERVAL and every type without an Arrow twin.
      return new arrow.Utf8();
  }
}

/**
 * True when a DuckDB type has no direct Arrow counterpart and streams out
 * value by value as text. A planner that controls the SQL should wrap such
 * columns in `CAST(… AS VARCHAR)`; nested types are checked recursively.
 */
export function needsVarcharCast(type: DuckDBType): boolean {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.DATE:
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.INTERVAL:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.ENUM:
      return false;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return needsVarcharCast(type.valueType);
    case DuckDBTypeId.STRUCT:
      return type.entryTypes.some(needsVarcharCast);
    default:
      return true;
  }
}
