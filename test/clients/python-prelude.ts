/**
 * Python shared by the client scripts: values printed in DuckDB's VARCHAR
 * spelling (so the answers compare with DuckDB's own over the same file),
 * and the reference query that lists them.
 */

/** `canon(v)` and `out(x)` for the Python scripts. */
export const PY_PRELUDE = String.raw`
import json, decimal, datetime, math, os, sys, uuid
def canon(v):
    if v is None: return None
    if isinstance(v, bool): return 'true' if v else 'false'
    if isinstance(v, float):
        if math.isnan(v): return 'nan'
        if math.isinf(v): return 'inf' if v > 0 else '-inf'
        return repr(v)
    if isinstance(v, datetime.datetime): return v.isoformat(sep=' ')
    if isinstance(v, (datetime.date, datetime.time)): return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)): return bytes(v).hex()
    return str(v)
def out(x):
    print(json.dumps(x))
`;

/** The columns of `crm.types` that every client decodes the same way DuckDB spells them. */
export const TYPES_COLUMNS = 'id, b, i2, i8, f4, f8, dec, txt, d, ts, big_dec';

/** The reference answer for {@link TYPES_COLUMNS}, from DuckDB: every value as VARCHAR. */
export function typesReferenceSql(): string {
  const cast = TYPES_COLUMNS.split(', ')
    .map((c) => `CAST(${c} AS VARCHAR) AS ${c}`)
    .join(', ');
  return `SELECT ${cast} FROM crm.types ORDER BY id`;
}
