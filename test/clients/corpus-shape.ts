/**
 * What a client relies on in a result's RowDescription, in a form two
 * servers can be compared by: the column names, in order, and for each
 * column the kind of value a driver decodes from its type OID.
 *
 * Kinds rather than OIDs because PostgreSQL's catalog types (`name`, `oid`,
 * `regproc`, `pg_node_tree`…) have no counterpart in Spoke's shadow catalog:
 * Spoke sends `text` where PostgreSQL sends `name`, `int8` where it sends
 * `oid`. A driver reads both members of a kind into the same host type (a
 * string, an integer), so a difference within a kind changes nothing for the
 * tool; a difference between kinds (a string where an integer is read, a
 * scalar where an array is, `text` where `json` is parsed) does.
 */

/** Each type OID's kind; arrays are `<kind>[]`. OIDs not listed are their own kind (`oid:1082`). */
const KINDS: Readonly<Record<number, string>> = {
  16: 'bool',
  17: 'bytes',
  18: 'string',
  19: 'string',
  24: 'string', // regproc: a name in text format
  25: 'string',
  194: 'string', // pg_node_tree
  1033: 'string', // aclitem
  2277: 'string', // anyarray (pg_attribute.attmissingval): no driver has a decoder for it, all read its text
  1042: 'string',
  1043: 'string',
  2205: 'string', // regclass
  2206: 'string', // regtype
  4089: 'string', // regnamespace
  20: 'integer',
  21: 'integer',
  23: 'integer',
  26: 'integer', // oid
  28: 'integer', // xid
  29: 'integer', // cid
  700: 'float',
  701: 'float',
  1700: 'numeric',
  114: 'json',
  3802: 'json',
  1114: 'timestamp',
  1184: 'timestamptz',
  22: 'integer[]', // int2vector
  30: 'integer[]', // oidvector
  1000: 'bool[]',
  1002: 'string[]',
  1003: 'string[]',
  1009: 'string[]',
  1015: 'string[]',
  1034: 'string[]', // aclitem[]
  1005: 'integer[]',
  1007: 'integer[]',
  1016: 'integer[]',
  1028: 'integer[]',
  1021: 'float[]',
  1022: 'float[]',
};

/** The kind a driver decodes a column of this type OID into. */
export function kindOf(oid: number): string {
  return KINDS[oid] ?? `oid:${oid}`;
}

/** One result's shape: `name:kind` per column, in order. */
export function shapeOf(fields: readonly { name: string; dataTypeID: number }[]): string[] {
  return fields.map((f) => `${f.name}:${kindOf(f.dataTypeID)}`);
}
