/** The catalog queries: relations, columns, types and statistics from pg_catalog. */
import { arrow, type ColumnStatistics, type ScalarValue, type TableStatistics } from '@spoke/core';
import type { SqlColumn, SqlTableDescription } from '@spoke/sdk';
import type { PgPool } from './pg-driver.js';
import { needsLookup, type PgType, type PgTypeRow, resolvePgType } from './postgres-type-mapping.js';

/** What a PostgreSQL column carries in {@link SqlColumn.native}. */
export interface PgColumnInfo {
  readonly type: PgType;
  /** True when text comparisons use byte order (collation C/POSIX), as DuckDB does. */
  readonly byteOrderCollation: boolean;
  /**
   * True when the column's character classification (`LC_CTYPE` of its
   * collation, or the database's) is C/POSIX: `upper`, `lower` and `ILIKE`
   * then fold ASCII letters only, where DuckDB folds all of Unicode.
   */
  readonly asciiCaseMapping: boolean;
}

/** `relkind` letters we expose, and what they are called. */
const RELKINDS: Readonly<Record<string, string>> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};

/** Caches `pg_type` rows for non-built-in types (enums, domains, their arrays, extensions). */
export class PgTypeCache {
  private readonly rows = new Map<number, PgTypeRow | null>();

  constructor(private readonly pool: PgPool) {}

  /** Loads what resolving `oids` needs (domains' base types and arrays' elements too). */
  async load(oids: Iterable<number>): Promise<void> {
    let wanted = [...new Set(oids)].filter((o) => needsLookup(o) && !this.rows.has(o));
    for (let round = 0; wanted.length > 0 && round < 8; round++) {
      const result = await this.pool.query<{
        oid: string;
        typtype: string;
        typbasetype: string;
        typtypmod: number;
        typelem: string;
        typcategory: string;
      }>(
        'SELECT oid::int8 AS oid, typtype, typbasetype::int8 AS typbasetype, typtypmod, typelem::int8 AS typelem, typcategory FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])',
        [wanted],
      );
      for (const o of wanted) this.rows.set(o, null);
      const next: number[] = [];
      for (const r of result.rows) {
        const row: PgTypeRow = {
          oid: Number(r.oid),
          typtype: r.typtype,
          typbasetype: Number(r.typbasetype),
          typtypmod: Number(r.typtypmod),
          typelem: Number(r.typelem),
          typcategory: r.typcategory,
        };
        this.rows.set(row.oid, row);
        for (const o of [row.typbasetype, row.typelem])
          if (o && needsLookup(o) && !this.rows.has(o)) next.push(o);
      }
      wanted = next;
    }
  }

  /** Resolves a loaded type. */
  resolve(oid: number, typmod: number): PgType {
    return resolvePgType(oid, typmod, (o) => this.rows.get(o) ?? undefined);
  }
}

/** The schemas a user may see (not pg_catalog, information_schema, TOAST or temporary schemas). */
export async function listSchemas(pool: PgPool): Promise<string[]> {
  const result = await pool.query<{ nspname: string }>(
    `SELECT nspname FROM pg_catalog.pg_namespace
     WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' AND has_schema_privilege(oid, 'USAGE')
     ORDER BY nspname`,
  );
  return result.rows.map((r) => r.nspname);
}

/** Tables, views, materialized views and foreign tables of one schema; `undefined` when it does not exist. */
export async function listRelations(pool: PgPool, schema: string): Promise<string[] | undefined> {
  const result = await pool.query<{ relname: string | null }>(
    `SELECT c.relname FROM pg_catalog.pg_namespace n
     LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
     WHERE n.nspname = $1 ORDER BY c.relname`,
    [schema],
  );
  if (result.rows.length === 0) return undefined;
  return result.rows.flatMap((r) => (r.relname === null ? [] : [r.relname]));
}

/** One relation's columns with their types resolved; `undefined` when it does not exist. */
export async function describeRelation(
  pool: PgPool,
  types: PgTypeCache,
  schema: string,
  name: string,
): Promise<(SqlTableDescription & { oid: number }) | undefined> {
  const result = await pool.query<{
    oid: string;
    relkind: string;
    attname: string | null;
    atttypid: string | null;
    atttypmod: number | null;
    attnotnull: boolean | null;
    type_name: string | null;
    byte_order: boolean | null;
    ascii_case: boolean | null;
  }>(
    `SELECT c.oid::int8 AS oid, c.relkind, a.attname, a.atttypid::int8 AS atttypid, a.atttypmod, a.attnotnull,
            format_type(a.atttypid, a.atttypmod) AS type_name,
            COALESCE(NULLIF(co.collname, 'default'), (SELECT datcollate FROM pg_catalog.pg_database WHERE datname = current_database()))
              IN ('C', 'POSIX', 'ucs_basic') AS byte_order,
            CASE WHEN co.collname IS NULL OR co.collname = 'default'
                 THEN (SELECT datctype FROM pg_catalog.pg_database WHERE datname = current_database())
                 ELSE co.collctype END IN ('C', 'POSIX') AS ascii_case
     FROM pg_catalog.pg_class c
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     ORDER BY a.attnum`,
    [schema, name],
  );
  const first = result.rows[0];
  if (!first) return undefined;
  const rows = result.rows.filter((r) => r.attname !== null);
  await types.load(rows.map((r) => Number(r.atttypid)));
  const columns: SqlColumn[] = rows.map((r) => {
    const type = types.resolve(Number(r.atttypid), Number(r.atttypmod));
    const native: PgColumnInfo = {
      type,
      byteOrderCollation: r.byte_order === true,
      asciiCaseMapping: r.ascii_case === true,
    };
    return {
      name: r.attname!,
      field: new arrow.Field(r.attname!, type.arrowType, !r.attnotnull),
      sourceType: r.type_name ?? 'unknown',
      native,
    };
  });
  return { schema, name, kind: RELKINDS[first.relkind] ?? first.relkind, columns, oid: Number(first.oid) };
}

/** Row count and size from pg_class; null fraction, distinct count and min/max (histogram bounds) from pg_stats. */
export async function relationStatistics(
  pool: PgPool,
  table: SqlTableDescription & { oid: number },
): Promise<TableStatistics> {
  const size = await pool.query<{ reltuples: number; relpages: number; bytes: string }>(
    `SELECT reltuples::float8 AS reltuples, relpages, pg_total_relation_size(oid)::int8 AS bytes FROM pg_catalog.pg_class WHERE oid = $1`,
    [table.oid],
  );
  const stats = await pool.query<{
    attname: string;
    null_frac: number;
    n_distinct: number;
    bounds: string[] | null;
  }>(
    `SELECT attname, null_frac::float8 AS null_frac, n_distinct::float8 AS n_distinct, histogram_bounds::text::text[] AS bounds
     FROM pg_catalog.pg_stats WHERE schemaname = $1 AND tablename = $2`,
    [table.schema, table.name],
  );
  const row = size.rows[0];
  // reltuples is -1 before the first ANALYZE/VACUUM (PostgreSQL 14+).
  const rows = row && Number(row.reltuples) >= 0 ? Number(row.reltuples) : undefined;
  const columns: Record<string, ColumnStatistics> = {};
  for (const s of stats.rows) {
    const column = table.columns.find((c) => c.name === s.attname);
    if (!column) continue;
    const info = column.native as PgColumnInfo;
    const out: { -readonly [K in keyof ColumnStatistics]: ColumnStatistics[K] } = {};
    if (rows !== undefined) out.nullCount = { value: Math.round(Number(s.null_frac) * rows), exact: false };
    const nd = Number(s.n_distinct);
    if (nd > 0) out.distinctCount = { value: nd, exact: false };
    else if (nd < 0 && rows !== undefined)
      out.distinctCount = { value: Math.round(-nd * rows), exact: false };
    if (s.bounds && s.bounds.length > 0) {
      const min = statValue(s.bounds[0]!, info.type);
      const max = statValue(s.bounds[s.bounds.length - 1]!, info.type);
      if (min !== undefined && max !== undefined) {
        out.min = { value: min, exact: false };
        out.max = { value: max, exact: false };
      }
    }
    columns[s.attname] = out;
  }
  return {
    ...(rows !== undefined ? { rowCount: { value: rows, exact: false } } : {}),
    ...(row ? { totalBytes: { value: Number(row.bytes), exact: false } } : {}),
    columns,
  };
}

/** A histogram bound (text) as a Spoke literal of the column's type; `undefined` for types without a simple form. */
function statValue(text: string, type: PgType): ScalarValue | undefined {
  switch (type.kind) {
    case 'int2':
    case 'int4':
    case 'oid':
    case 'float4':
    case 'float8':
      return Number(text);
    case 'int8':
      return BigInt(text);
    case 'decimal':
    case 'date':
    case 'time':
    case 'timestamp':
      return text;
    case 'timestamptz':
      return text.replace(/\+00$/, '');
    case 'text':
      return type.castToText ? undefined : text;
    default:
      return undefined;
  }
}
