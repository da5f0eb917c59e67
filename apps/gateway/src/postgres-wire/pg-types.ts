/**
 * PostgreSQL type identities for Arrow columns: the OID, length and type
 * modifier a RowDescription carries, so that drivers pick the right parser.
 */

import type { DataType, Field } from '@spoke/core';
import { arrow, PG_TYPE_METADATA_KEY } from '@spoke/core';

/** PostgreSQL's built-in type OIDs that Spoke sends (values from `pg_type.dat`). */
export const PgOid = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  unknown: 705,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/** Element type OID → array type OID (`pg_type.typarray`). */
const ARRAY_OF: Readonly<Record<number, number>> = {
  [PgOid.bool]: 1000,
  [PgOid.bytea]: 1001,
  [PgOid.char]: 1002,
  [PgOid.name]: 1003,
  [PgOid.int2]: 1005,
  [PgOid.int4]: 1007,
  [PgOid.text]: 1009,
  [PgOid.bpchar]: 1014,
  [PgOid.varchar]: 1015,
  [PgOid.int8]: 1016,
  [PgOid.float4]: 1021,
  [PgOid.float8]: 1022,
  [PgOid.oid]: 1028,
  [PgOid.timestamp]: 1115,
  [PgOid.date]: 1182,
  [PgOid.time]: 1183,
  [PgOid.timestamptz]: 1185,
  [PgOid.interval]: 1187,
  [PgOid.numeric]: 1231,
  [PgOid.uuid]: 2951,
  [PgOid.json]: 199,
  [PgOid.jsonb]: 3807,
};

/** Array type OID → element type OID. */
export const ELEMENT_OF: ReadonlyMap<number, number> = new Map(
  Object.entries(ARRAY_OF).map(([element, array]) => [array, Number(element)]),
);

/** `pg_type.typlen` of the fixed-width types; every other type is variable-width (-1). */
const TYPE_LENGTH: Readonly<Record<number, number>> = {
  [PgOid.bool]: 1,
  [PgOid.char]: 1,
  [PgOid.name]: 64,
  [PgOid.int8]: 8,
  [PgOid.int2]: 2,
  [PgOid.int4]: 4,
  [PgOid.oid]: 4,
  [PgOid.float4]: 4,
  [PgOid.float8]: 8,
  [PgOid.date]: 4,
  [PgOid.time]: 8,
  [PgOid.timestamp]: 8,
  [PgOid.timestamptz]: 8,
  [PgOid.interval]: 16,
  [PgOid.uuid]: 16,
};

/** PostgreSQL type names accepted in the {@link PG_TYPE_METADATA_KEY} field metadata. */
const OID_BY_NAME: ReadonlyMap<string, number> = new Map([
  ...Object.entries(PgOid),
  ['boolean', PgOid.bool],
  ['bigint', PgOid.int8],
  ['smallint', PgOid.int2],
  ['integer', PgOid.int4],
  ['real', PgOid.float4],
  ['double precision', PgOid.float8],
  ['character varying', PgOid.varchar],
  ['timestamp with time zone', PgOid.timestamptz],
  ['timestamp without time zone', PgOid.timestamp],
]);

/** The Arrow field metadata key naming a column's PostgreSQL type (`@spoke/core`); `arrow.json`/`arrow.uuid` extension names are recognised too. */
export { PG_TYPE_METADATA_KEY };

/** How one result column is described to the client. */
export interface PgColumnType {
  /** The type OID for RowDescription. */
  readonly oid: number;
  /** `pg_type.typlen`. */
  readonly length: number;
  /** `atttypmod`: numeric precision/scale, or -1. */
  readonly modifier: number;
  /** For arrays, the element's type. */
  readonly element?: PgColumnType;
}

function described(oid: number, modifier = -1, element?: PgColumnType): PgColumnType {
  const type = { oid, length: TYPE_LENGTH[oid] ?? -1, modifier };
  return element === undefined ? type : { ...type, element };
}

/** The PostgreSQL type a column is sent as, from its Arrow type and metadata. */
export function pgTypeOfField(field: Field): PgColumnType {
  const named = field.metadata.get(PG_TYPE_METADATA_KEY)?.toLowerCase();
  if (named !== undefined) {
    const oid = OID_BY_NAME.get(named);
    if (oid !== undefined && isTextCarrier(field.type, oid)) return described(oid);
  }
  const extension = field.metadata.get('ARROW:extension:name');
  if (extension === 'arrow.json') return described(PgOid.json);
  if (extension === 'arrow.uuid') return described(PgOid.uuid);
  return pgTypeOf(field.type);
}

/**
 * Metadata may only re-label a column as a type whose text form the Arrow
 * values already are (Utf8 holding json, uuid, interval… text), or as a
 * same-width integer alias (int64 as oid); anything else would send bytes the
 * driver cannot parse.
 */
function isTextCarrier(type: DataType, oid: number): boolean {
  const t = arrow.Type;
  if (type.typeId === t.Utf8 || type.typeId === t.LargeUtf8) return oid !== PgOid.bytea;
  if (type.typeId === t.Int)
    return oid === PgOid.oid || oid === PgOid.int2 || oid === PgOid.int4 || oid === PgOid.int8;
  if (type.typeId === t.FixedSizeBinary)
    return oid === PgOid.uuid && (type as unknown as { byteWidth: number }).byteWidth === 16;
  return false;
}

/** The PostgreSQL type for an Arrow type (no metadata). */
export function pgTypeOf(type: DataType): PgColumnType {
  const t = arrow.Type;
  switch (type.typeId) {
    case t.Bool:
      return described(PgOid.bool);
    case t.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      // PostgreSQL has no unsigned or 1-byte integers: widen to a type that holds every value.
      if (bitWidth <= 8 || (bitWidth === 16 && isSigned)) return described(PgOid.int2);
      if (bitWidth === 16 || (bitWidth === 32 && isSigned)) return described(PgOid.int4);
      if (bitWidth === 32 || isSigned) return described(PgOid.int8);
      return described(PgOid.numeric, ((20 << 16) | 0) + 4);
    }
    case t.Float: {
      const { precision } = type as unknown as { precision: number };
      return described(precision === arrow.Precision.DOUBLE ? PgOid.float8 : PgOid.float4);
    }
    case t.Decimal: {
      const { precision, scale } = type as unknown as { precision: number; scale: number };
      return described(PgOid.numeric, ((precision << 16) | scale) + 4);
    }
    case t.Utf8:
    case t.LargeUtf8:
      return described(PgOid.text);
    case t.Binary:
    case t.LargeBinary:
    case t.FixedSizeBinary:
      return described(PgOid.bytea);
    case t.Date:
      return described(PgOid.date);
    case t.Time:
      return described(PgOid.time);
    case t.Timestamp: {
      const { timezone } = type as unknown as { timezone: string | null };
      return described(timezone ? PgOid.timestamptz : PgOid.timestamp);
    }
    case t.Interval:
    case t.Duration:
      return described(PgOid.interval);
    case t.List:
    case t.FixedSizeList: {
      const child = (type as unknown as { children: Field[] }).children[0];
      const element = child ? pgTypeOfField(child) : described(PgOid.text);
      // Nested lists are multi-dimensional arrays of the innermost element in PostgreSQL.
      const base = element.element ?? element;
      return described(ARRAY_OF[base.oid] ?? 1009, base.modifier, base);
    }
    case t.Dictionary:
      return pgTypeOf((type as unknown as { dictionary: DataType }).dictionary);
    case t.Struct:
    case t.Map:
      return described(PgOid.json);
    default:
      // Null columns and anything without a closer match travel as text.
      return described(PgOid.text);
  }
}

/** Formats a type the way PostgreSQL's `format_type` does, for error messages. */
export function pgTypeName(oid: number): string {
  for (const [name, value] of Object.entries(PgOid)) if (value === oid) return name;
  const element = ELEMENT_OF.get(oid);
  return element === undefined ? String(oid) : `${pgTypeName(element)}[]`;
}
