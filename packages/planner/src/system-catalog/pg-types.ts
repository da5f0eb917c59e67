/**
 * The `pg_type` rows of PostgreSQL 15's built-in types that Spoke columns map
 * to, and the mapping from Arrow types to (type OID, typmod), so that
 * `format_type`, JDBC's `getColumns` and SQLAlchemy's inspector see the names
 * and OIDs a real PostgreSQL would report.
 */

import type { DataType, Field } from '@spoke/core';
import { arrow, PG_TYPE_METADATA_KEY } from '@spoke/core';

/** One `pg_type` row (the columns clients read). */
export interface PgTypeRow {
  readonly oid: number;
  readonly typname: string;
  readonly typlen: number;
  readonly typbyval: boolean;
  /** `b` base, `p` pseudo. */
  readonly typtype: string;
  readonly typcategory: string;
  readonly typelem: number;
  readonly typarray: number;
  readonly typinput: string;
  readonly typcollation: number;
  /** `format_type` of the type without modifier. */
  readonly display: string;
}

/** [oid, name, len, byval, category, array oid, input function, collation, display name] */
const BASE_TYPES: readonly (readonly [
  number,
  string,
  number,
  boolean,
  string,
  number,
  string,
  number,
  string,
])[] = [
  [16, 'bool', 1, true, 'B', 1000, 'boolin', 0, 'boolean'],
  [17, 'bytea', -1, false, 'U', 1001, 'byteain', 0, 'bytea'],
  [18, 'char', 1, true, 'Z', 1002, 'charin', 0, '"char"'],
  [19, 'name', 64, false, 'S', 1003, 'namein', 950, 'name'],
  [20, 'int8', 8, true, 'N', 1016, 'int8in', 0, 'bigint'],
  [21, 'int2', 2, true, 'N', 1005, 'int2in', 0, 'smallint'],
  [22, 'int2vector', -1, false, 'A', 1006, 'int2vectorin', 0, 'int2vector'],
  [23, 'int4', 4, true, 'N', 1007, 'int4in', 0, 'integer'],
  [24, 'regproc', 4, true, 'N', 1008, 'regprocin', 0, 'regproc'],
  [25, 'text', -1, false, 'S', 1009, 'textin', 100, 'text'],
  [26, 'oid', 4, true, 'N', 1028, 'oidin', 0, 'oid'],
  [28, 'xid', 4, true, 'U', 1011, 'xidin', 0, 'xid'],
  [30, 'oidvector', -1, false, 'A', 1013, 'oidvectorin', 0, 'oidvector'],
  [114, 'json', -1, false, 'U', 199, 'json_in', 0, 'json'],
  [194, 'pg_node_tree', -1, false, 'Z', 0, 'pg_node_tree_in', 100, 'pg_node_tree'],
  [700, 'float4', 4, true, 'N', 1021, 'float4in', 0, 'real'],
  [701, 'float8', 8, true, 'N', 1022, 'float8in', 0, 'double precision'],
  [705, 'unknown', -2, false, 'X', 0, 'unknownin', 0, 'unknown'],
  [1033, 'aclitem', 12, false, 'U', 1034, 'aclitemin', 0, 'aclitem'],
  [1042, 'bpchar', -1, false, 'S', 1014, 'bpcharin', 100, 'character'],
  [1043, 'varchar', -1, false, 'S', 1015, 'varcharin', 100, 'character varying'],
  [1082, 'date', 4, true, 'D', 1182, 'date_in', 0, 'date'],
  [1083, 'time', 8, true, 'D', 1183, 'time_in', 0, 'time without time zone'],
  [1114, 'timestamp', 8, true, 'D', 1115, 'timestamp_in', 0, 'timestamp without time zone'],
  [1184, 'timestamptz', 8, true, 'D', 1185, 'timestamptz_in', 0, 'timestamp with time zone'],
  [1186, 'interval', 16, false, 'T', 1187, 'interval_in', 0, 'interval'],
  [1700, 'numeric', -1, false, 'N', 1231, 'numeric_in', 0, 'numeric'],
  [2205, 'regclass', 4, true, 'N', 2210, 'regclassin', 0, 'regclass'],
  [2206, 'regtype', 4, true, 'N', 2211, 'regtypein', 0, 'regtype'],
  [2950, 'uuid', 16, false, 'U', 2951, 'uuid_in', 0, 'uuid'],
  [3802, 'jsonb', -1, false, 'U', 3807, 'jsonb_in', 0, 'jsonb'],
  [2276, 'any', 4, true, 'P', 0, 'any_in', 0, '"any"'],
  [2277, 'anyarray', -1, false, 'P', 0, 'anyarray_in', 0, 'anyarray'],
  [2278, 'void', 4, true, 'P', 0, 'void_in', 0, 'void'],
  [2249, 'record', -1, false, 'P', 2287, 'record_in', 0, 'record'],
];

/** Every `pg_type` row: the base types above and their array types (`_int4`…). */
export const PG_TYPES: readonly PgTypeRow[] = [
  ...BASE_TYPES.map(
    ([oid, typname, typlen, typbyval, typcategory, typarray, typinput, typcollation, display]) => ({
      oid,
      typname,
      typlen,
      typbyval,
      typtype: typcategory === 'P' ? 'p' : 'b',
      typcategory,
      typelem: 0,
      typarray,
      typinput,
      typcollation,
      display,
    }),
  ),
  ...BASE_TYPES.filter(([, , , , , typarray]) => typarray !== 0).map(
    ([oid, typname, , , , typarray, , typcollation, display]) => ({
      oid: typarray,
      typname: `_${typname}`,
      typlen: -1,
      typbyval: false,
      typtype: 'b',
      typcategory: 'A',
      typelem: oid,
      typarray: 0,
      typinput: 'array_in',
      typcollation,
      display: `${display}[]`,
    }),
  ),
];

/** How a column's type appears in `pg_attribute`. */
export interface PgColumnType {
  readonly oid: number;
  /** `atttypmod`: -1, or numeric `((p << 16) | s) + 4`. */
  readonly typmod: number;
  /** `attndims`. */
  readonly dims: number;
}

export { PG_TYPE_METADATA_KEY };

const BY_NAME = new Map(PG_TYPES.map((t) => [t.typname, t.oid]));

/** The PostgreSQL type of a column, from its Arrow type (and metadata, when there is a field). */
export function pgColumnType(type: DataType, field?: Field): PgColumnType {
  const named = field?.metadata.get(PG_TYPE_METADATA_KEY);
  const namedOid = named === undefined ? undefined : BY_NAME.get(named.toLowerCase());
  if (namedOid !== undefined) return { oid: namedOid, typmod: -1, dims: 0 };
  const t = arrow.Type;
  const simple = (oid: number, typmod = -1): PgColumnType => ({ oid, typmod, dims: 0 });
  switch (type.typeId) {
    case t.Bool:
      return simple(16);
    case t.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      if (bitWidth <= 8 || (bitWidth === 16 && isSigned)) return simple(21);
      if (bitWidth === 16 || (bitWidth === 32 && isSigned)) return simple(23);
      if (bitWidth === 32 || isSigned) return simple(20);
      return simple(1700, ((20 << 16) | 0) + 4);
    }
    case t.Float:
      return simple(
        (type as unknown as { precision: number }).precision === arrow.Precision.DOUBLE ? 701 : 700,
      );
    case t.Decimal: {
      const { precision, scale } = type as unknown as { precision: number; scale: number };
      return simple(1700, ((precision << 16) | scale) + 4);
    }
    case t.Utf8:
    case t.LargeUtf8:
      return simple(25);
    case t.Binary:
    case t.LargeBinary:
    case t.FixedSizeBinary:
      return simple(17);
    case t.Date:
      return simple(1082);
    case t.Time:
      return simple(1083);
    case t.Timestamp:
      return simple((type as unknown as { timezone: string | null }).timezone ? 1184 : 1114);
    case t.Interval:
    case t.Duration:
      return simple(1186);
    case t.List:
    case t.FixedSizeList: {
      const child = (type as unknown as { children: Field[] }).children[0];
      const element = child ? pgColumnType(child.type, child) : simple(25);
      const row = PG_TYPES.find((r) => r.oid === element.oid);
      return { oid: row?.typarray || 1009, typmod: element.typmod, dims: element.dims + 1 };
    }
    case t.Dictionary:
      return pgColumnType((type as unknown as { dictionary: DataType }).dictionary);
    case t.Struct:
    case t.Map:
      return simple(114);
    default:
      return simple(25);
  }
}
