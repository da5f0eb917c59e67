/**
 * `CommandGetSqlInfo`: what the server is and supports, as the specification's
 * `<info_name: uint32 not null, value: dense_union<…>>`. Spoke answers a
 * minimal set; ids it does not know are left out, as the specification allows.
 */
import { arrow, type Field, type RecordBatch, type Schema } from '@spoke/core';

type Data = InstanceType<typeof arrow.Data>;

/** The SqlInfo ids answered (numbers from the specification's `SqlInfo` enum). */
export const SqlInfo = {
  FLIGHT_SQL_SERVER_NAME: 0,
  FLIGHT_SQL_SERVER_VERSION: 1,
  FLIGHT_SQL_SERVER_READ_ONLY: 3,
  FLIGHT_SQL_SERVER_SQL: 4,
  FLIGHT_SQL_SERVER_SUBSTRAIT: 5,
  FLIGHT_SQL_SERVER_TRANSACTION: 8,
  FLIGHT_SQL_SERVER_CANCEL: 9,
  SQL_DDL_CATALOG: 500,
  SQL_DDL_SCHEMA: 501,
  SQL_DDL_TABLE: 502,
  SQL_IDENTIFIER_QUOTE_CHAR: 504,
} as const;

/** One answer: a string, a boolean, or an int32 (ordinals and bitmasks). */
export type SqlInfoValue = string | boolean | { readonly int32: number };

const VALUE_FIELDS: Field[] = [
  new arrow.Field('string_value', new arrow.Utf8(), true),
  new arrow.Field('bool_value', new arrow.Bool(), true),
  new arrow.Field('bigint_value', new arrow.Int64(), true),
  new arrow.Field('int32_bitmask', new arrow.Int32(), true),
  new arrow.Field('string_list', new arrow.List(new arrow.Field('item', new arrow.Utf8(), true)), true),
  new arrow.Field(
    'int32_to_int32_list_map',
    new arrow.Map_(
      new arrow.Field(
        'entries',
        new arrow.Struct([
          new arrow.Field('key', new arrow.Int32(), false),
          new arrow.Field('value', new arrow.List(new arrow.Field('item', new arrow.Int32(), true)), true),
        ]),
        false,
      ) as never, // Map_'s typing wants its key/value types spelled out; the field is what the spec describes
      false,
    ),
    true,
  ),
];
const VALUE_TYPE = new arrow.DenseUnion([0, 1, 2, 3, 4, 5], VALUE_FIELDS);

/** The result schema of `CommandGetSqlInfo`. */
export const SQL_INFO_SCHEMA: Schema = new arrow.Schema([
  new arrow.Field('info_name', new arrow.Uint32(), false),
  new arrow.Field('value', VALUE_TYPE, false),
]);

/** What Spoke reports about itself. */
export function spokeSqlInfo(version: string): ReadonlyMap<number, SqlInfoValue> {
  return new Map<number, SqlInfoValue>([
    [SqlInfo.FLIGHT_SQL_SERVER_NAME, 'Spoke'],
    [SqlInfo.FLIGHT_SQL_SERVER_VERSION, version],
    [SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY, true],
    [SqlInfo.FLIGHT_SQL_SERVER_SQL, true],
    [SqlInfo.FLIGHT_SQL_SERVER_SUBSTRAIT, false],
    // SqlSupportedTransaction.SQL_SUPPORTED_TRANSACTION_NONE
    [SqlInfo.FLIGHT_SQL_SERVER_TRANSACTION, { int32: 0 }],
    [SqlInfo.FLIGHT_SQL_SERVER_CANCEL, true],
    [SqlInfo.SQL_DDL_CATALOG, false],
    [SqlInfo.SQL_DDL_SCHEMA, false],
    [SqlInfo.SQL_DDL_TABLE, false],
    [SqlInfo.SQL_IDENTIFIER_QUOTE_CHAR, '"'],
  ]);
}

/** The rows for the requested ids (all when `ids` is empty), in the order asked. */
export function sqlInfoBatch(info: ReadonlyMap<number, SqlInfoValue>, ids: readonly number[]): RecordBatch {
  const wanted = ids.length === 0 ? [...info.keys()] : ids.filter((id) => info.has(id));
  const strings: string[] = [];
  const bools: boolean[] = [];
  const ints: number[] = [];
  const typeIds = new Int8Array(wanted.length);
  const offsets = new Int32Array(wanted.length);
  wanted.forEach((id, row) => {
    const value = info.get(id)!;
    if (typeof value === 'string') {
      typeIds[row] = 0;
      offsets[row] = strings.push(value) - 1;
    } else if (typeof value === 'boolean') {
      typeIds[row] = 1;
      offsets[row] = bools.push(value) - 1;
    } else {
      typeIds[row] = 3;
      offsets[row] = ints.push(value.int32) - 1;
    }
  });
  const columns: unknown[][] = [strings, bools, [], ints, [], []];
  const children: Data[] = VALUE_FIELDS.map((f, i) => arrow.vectorFromArray(columns[i]!, f.type).data[0]!);
  const value = arrow.makeData({
    type: VALUE_TYPE,
    length: wanted.length,
    nullCount: 0,
    typeIds,
    valueOffsets: offsets,
    children,
  });
  const names = arrow.vectorFromArray(wanted, new arrow.Uint32()).data[0]!;
  const struct = arrow.makeData({
    type: new arrow.Struct(SQL_INFO_SCHEMA.fields),
    length: wanted.length,
    nullCount: 0,
    children: [names, value],
  });
  return new arrow.RecordBatch(SQL_INFO_SCHEMA, struct);
}
