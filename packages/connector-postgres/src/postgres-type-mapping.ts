/**
 * How each PostgreSQL type travels: the Arrow type it becomes, how its
 * binary wire form is decoded, and whether it is cast to text in the SELECT
 * first (types whose text form is the useful one, and every type we do not
 * know: unknown types come through as text, never as an error).
 */
import { arrow, type DataType } from '@spoke/core';

/** How a column's binary wire value is decoded. */
export type PgDecoderKind =
  | 'bool'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'oid'
  | 'float4'
  | 'float8'
  | 'decimal'
  | 'text'
  | 'jsonb'
  | 'bytea'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'money'
  | 'array';

/** A resolved column type. */
export interface PgType {
  /** The type OID the server reports. */
  readonly oid: number;
  /** The type modifier (`numeric(12,2)`, `varchar(20)`), -1 when none. */
  readonly typmod: number;
  readonly kind: PgDecoderKind;
  readonly arrowType: DataType;
  /** Selected as `::text` (`::text[]` for arrays), then decoded as text. */
  readonly castToText: boolean;
  /** For arrays: the element type. */
  readonly element?: PgType;
  /** For decimals. */
  readonly precision?: number;
  readonly scale?: number;
}

/** Built-in scalar types decoded from their binary form. */
const BINARY_SCALARS: Readonly<Record<number, PgDecoderKind>> = {
  16: 'bool',
  17: 'bytea',
  19: 'text', // name
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  26: 'oid',
  114: 'text', // json: binary form is the text
  700: 'float4',
  701: 'float8',
  705: 'text', // unknown (an untyped literal)
  790: 'money',
  1042: 'text', // bpchar
  1043: 'text', // varchar
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamptz',
  1700: 'decimal',
  3802: 'jsonb',
};

/** Built-in array types and their element type OIDs. */
export const BUILTIN_ARRAYS: Readonly<Record<number, number>> = {
  1000: 16,
  1001: 17,
  1002: 18,
  1003: 19,
  1005: 21,
  1007: 23,
  1009: 25,
  1014: 1042,
  1015: 1043,
  1016: 20,
  1021: 700,
  1022: 701,
  1028: 26,
  1115: 1114,
  1182: 1082,
  1183: 1083,
  1185: 1184,
  1187: 1186,
  1231: 1700,
  1270: 1266,
  2951: 2950,
  199: 114,
  3807: 3802,
  1041: 869,
  651: 650,
  1040: 829,
  775: 774,
  791: 790,
};

/** Built-in types carried as their text form (`::text` in the SELECT). */
const TEXT_CAST_BUILTINS = new Set([18, 142, 869, 650, 829, 774, 1186, 1266, 2950]);

/** What the catalog says about a non-built-in type (from `pg_type`). */
export interface PgTypeRow {
  readonly oid: number;
  /** `e` enum, `d` domain, `b` base, `c` composite, `r` range… */
  readonly typtype: string;
  /** For domains: the base type and its modifier. */
  readonly typbasetype: number;
  readonly typtypmod: number;
  /** For arrays: the element type (0 otherwise). */
  readonly typelem: number;
  readonly typcategory: string;
}

/** Looks up a non-built-in type; `undefined` when unknown. */
export type PgTypeLookup = (oid: number) => PgTypeRow | undefined;

/** The largest precision Decimal128 holds. */
const MAX_DECIMAL_PRECISION = 38;

function scalar(oid: number, typmod: number, kind: PgDecoderKind, castToText = false): PgType {
  switch (kind) {
    case 'decimal': {
      // typmod = ((precision << 16) | scale) + 4; -1 means unconstrained.
      if (typmod >= 4) {
        const precision = ((typmod - 4) >> 16) & 0xffff;
        const scale = ((typmod - 4) << 16) >> 16; // sign-extended: PG 15 allows negative scales
        if (precision <= MAX_DECIMAL_PRECISION && scale >= 0 && scale <= precision) {
          return {
            oid,
            typmod,
            kind,
            castToText,
            arrowType: new arrow.Decimal(scale, precision, 128),
            precision,
            scale,
          };
        }
      }
      // Unconstrained (or wider than Decimal128) numeric: exact text, never a lossy float.
      return { oid, typmod, kind: 'text', castToText: true, arrowType: new arrow.Utf8() };
    }
    case 'money':
      // money is an int64 count of the smallest unit; lc_monetary's 2 fractional digits assumed (C, en_US…).
      return {
        oid,
        typmod,
        kind,
        castToText,
        arrowType: new arrow.Decimal(2, 19, 128),
        precision: 19,
        scale: 2,
      };
    default:
      return { oid, typmod, kind, castToText, arrowType: arrowTypeOf(kind) };
  }
}

function arrowTypeOf(kind: PgDecoderKind): DataType {
  switch (kind) {
    case 'bool':
      return new arrow.Bool();
    case 'int2':
      return new arrow.Int16();
    case 'int4':
      return new arrow.Int32();
    case 'int8':
      return new arrow.Int64();
    case 'oid':
      return new arrow.Uint32();
    case 'float4':
      return new arrow.Float32();
    case 'float8':
      return new arrow.Float64();
    case 'bytea':
      return new arrow.Binary();
    case 'date':
      return new arrow.DateDay();
    case 'time':
      return new arrow.TimeMicrosecond();
    case 'timestamp':
      return new arrow.TimestampMicrosecond(null);
    case 'timestamptz':
      return new arrow.TimestampMicrosecond('UTC');
    default:
      return new arrow.Utf8();
  }
}

const TEXT = (oid: number, typmod: number): PgType => ({
  oid,
  typmod,
  kind: 'text',
  castToText: true,
  arrowType: new arrow.Utf8(),
});

/**
 * Resolves a column's type. `lookup` answers for types that are not built in
 * (enums, domains, arrays of them, extension types); whatever it cannot
 * resolve is carried as text.
 */
export function resolvePgType(
  oid: number,
  typmod: number,
  lookup: PgTypeLookup = () => undefined,
  depth = 0,
): PgType {
  // character(n): PostgreSQL pads the stored value, and its trailing spaces are not significant
  // (comparisons and the cast to text drop them). Read as text, as `bpchar::text` does, so that a
  // comparison, join or grouping done elsewhere (DuckDB) agrees with PostgreSQL's.
  if (oid === 1042) return scalar(oid, typmod, 'text', true);
  const kind = BINARY_SCALARS[oid];
  if (kind) return scalar(oid, typmod, kind);
  if (TEXT_CAST_BUILTINS.has(oid)) return TEXT(oid, typmod);
  let elementOid = BUILTIN_ARRAYS[oid];
  const row = elementOid === undefined ? lookup(oid) : undefined;
  if (row && depth < 8) {
    if (row.typtype === 'e')
      return { oid, typmod, kind: 'text', castToText: false, arrowType: new arrow.Utf8() };
    if (row.typtype === 'd') {
      const base = resolvePgType(row.typbasetype, row.typtypmod, lookup, depth + 1);
      return { ...base, oid, typmod };
    }
    if (row.typcategory === 'A' && row.typelem) elementOid = row.typelem;
  }
  if (elementOid !== undefined) {
    const element = resolvePgType(elementOid, typmod, lookup, depth + 1);
    if (element.kind === 'array') return TEXT(oid, typmod);
    return {
      oid,
      typmod,
      kind: 'array',
      castToText: element.castToText,
      element: element.castToText ? { ...element, oid: 25, kind: 'text', castToText: false } : element,
      arrowType: new arrow.List(new arrow.Field('item', element.arrowType, true)),
    };
  }
  return TEXT(oid, typmod);
}

/** True when resolving `oid` needs a `pg_type` lookup (not built in). */
export function needsLookup(oid: number): boolean {
  return !(oid in BINARY_SCALARS) && !TEXT_CAST_BUILTINS.has(oid) && !(oid in BUILTIN_ARRAYS);
}

/** The select-list cast that makes a column decodable (`::text`, `::text[]`), or `''`. */
export function castSuffix(type: PgType): string {
  if (!type.castToText) return '';
  return type.kind === 'array' ? '::text[]' : '::text';
}
