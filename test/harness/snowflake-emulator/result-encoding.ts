/**
 * Encodes DuckDB results in Snowflake's JSON result format (`rowtype` and
 * `rowset`), the way Snowflake's servers send them to drivers
 * (result version 1):
 *
 * | Snowflake type | rowtype.type | value in rowset |
 * | --- | --- | --- |
 * | NUMBER(p,s) | `fixed` | decimal text, `"-12.50"` |
 * | FLOAT | `real` | `"1.5"`, `"NaN"`, `"inf"`, `"-inf"` |
 * | VARCHAR | `text` | the string |
 * | BINARY | `binary` | upper-case hex |
 * | BOOLEAN | `boolean` | `"1"` / `"0"` |
 * | DATE | `date` | days since 1970-01-01 |
 * | TIME(9) | `time` | seconds since midnight with 9 decimals |
 * | TIMESTAMP_NTZ(9) | `timestamp_ntz` | epoch seconds with 9 decimals |
 * | TIMESTAMP_TZ(9) | `timestamp_tz` | epoch seconds, a space, offset minutes + 1440 |
 * | VARIANT / OBJECT / ARRAY | `variant` / `object` / `array` | JSON text |
 *
 * DuckDB's integer types are reported as NUMBER(38,0), which is what a
 * Snowflake table column declared INTEGER is.
 */
import { type DuckDBType, DuckDBTypeId, type DuckDBValue } from '@duckdb/node-api';

/** One entry of Snowflake's `rowtype`. */
export interface SnowflakeColumn {
  name: string;
  database: string;
  schema: string;
  table: string;
  type: string;
  precision: number | null;
  scale: number | null;
  length: number | null;
  byteLength: number | null;
  nullable: boolean;
  collation: null;
}

type Encoder = (value: DuckDBValue, json: unknown) => string | null;

/** How one DuckDB column is described and encoded. */
export interface ColumnCodec {
  readonly column: SnowflakeColumn;
  /** True when the encoder needs the JSON form of the value (nested types). */
  readonly needsJson: boolean;
  readonly encode: Encoder;
}

const NANOS = (micros: bigint): string => {
  // A signed decimal number of seconds with nine digits: -0.000001 s is "-0.000001000".
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  return `${negative ? '-' : ''}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}000`;
};

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** The codec for a DuckDB result column. */
export function codecFor(name: string, type: DuckDBType): ColumnCodec {
  const column = (t: string, extra: Partial<SnowflakeColumn> = {}): SnowflakeColumn => ({
    name,
    database: '',
    schema: '',
    table: '',
    type: t,
    precision: null,
    scale: null,
    length: null,
    byteLength: null,
    nullable: true,
    collation: null,
    ...extra,
  });
  const str: Encoder = (v) => String(v);
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { column: column('boolean'), needsJson: false, encode: (v) => (v ? '1' : '0') };
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
      return { column: column('fixed', { precision: 38, scale: 0 }), needsJson: false, encode: str };
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as unknown as { width: number; scale: number };
      return {
        column: column('fixed', { precision: width, scale }),
        needsJson: false,
        encode: (v) => String(v),
      };
    }
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return {
        column: column('real'),
        needsJson: false,
        encode: (v) => {
          const n = Number(v);
          if (Number.isNaN(n)) return 'NaN';
          if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
          return String(n);
        },
      };
    case DuckDBTypeId.VARCHAR:
      if (type.alias === 'JSON') return { column: column('variant'), needsJson: false, encode: str };
      return {
        column: column('text', { length: 16_777_216, byteLength: 16_777_216 }),
        needsJson: false,
        encode: str,
      };
    case DuckDBTypeId.BLOB:
      return {
        column: column('binary', { length: 8_388_608, byteLength: 8_388_608 }),
        needsJson: false,
        encode: (v) => hex((v as unknown as { bytes: Uint8Array }).bytes),
      };
    case DuckDBTypeId.DATE:
      return {
        column: column('date'),
        needsJson: false,
        encode: (v) => String((v as unknown as { days: number }).days),
      };
    case DuckDBTypeId.TIME:
      return {
        column: column('time', { scale: 9 }),
        needsJson: false,
        encode: (v) => NANOS((v as unknown as { micros: bigint }).micros),
      };
    case DuckDBTypeId.TIMESTAMP:
      return {
        column: column('timestamp_ntz', { scale: 9 }),
        needsJson: false,
        encode: (v) => NANOS((v as unknown as { micros: bigint }).micros),
      };
    case DuckDBTypeId.TIMESTAMP_TZ:
      // DuckDB keeps instants in UTC: offset 0, sent as 0 + 1440.
      return {
        column: column('timestamp_tz', { scale: 9 }),
        needsJson: false,
        encode: (v) => `${NANOS((v as unknown as { micros: bigint }).micros)} 1440`,
      };
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { column: column('array'), needsJson: true, encode: (_v, j) => JSON.stringify(j) };
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
      return { column: column('object'), needsJson: true, encode: (_v, j) => JSON.stringify(j) };
    default:
      return {
        column: column('text', { length: 16_777_216, byteLength: 16_777_216 }),
        needsJson: false,
        encode: str,
      };
  }
}
