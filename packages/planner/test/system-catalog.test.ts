/**
 * The system catalog on its own: the catalog queries psql 15 (`\dt`, `\d`,
 * `\dn`, `\l`) and pgjdbc 42.7 (DatabaseMetaData) send — captured from a real
 * PostgreSQL 15 with `log_statement=all` — run against the shadow of a
 * federated catalog, and answer with PostgreSQL's names and OIDs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { arrow } from '@spoke/core';
import { collectBatches } from '../src/index.js';
import { loadParser } from '../src/parse/parse-sql.js';
import { SystemCatalog } from '../src/system-catalog/index.js';

let instance: DuckDBInstance;
let catalog: SystemCatalog;

before(async () => {
  await loadParser();
  instance = await DuckDBInstance.create(':memory:');
  catalog = await SystemCatalog.create(instance);
  await catalog.refresh([
    {
      source: 'crm',
      schema: 'main',
      name: 'customers',
      columns: [
        { name: 'id', type: new arrow.Int64(), nullable: false },
        { name: 'name', type: new arrow.Utf8(), nullable: true },
        { name: 'balance', type: new arrow.Decimal(2, 12, 128), nullable: true },
        {
          name: 'tags',
          type: new arrow.List(new arrow.Field('item', new arrow.Utf8(), true)),
          nullable: true,
        },
        { name: 'seen', type: new arrow.TimestampMicrosecond('UTC'), nullable: true },
      ],
    },
    {
      source: 'shop',
      schema: 'public',
      name: 'orders',
      columns: [{ name: 'id', type: new arrow.Int32(), nullable: false }],
    },
    {
      source: 'shop',
      schema: 'sales',
      name: 'orders',
      columns: [{ name: 'amount', type: new arrow.Float64(), nullable: true }],
    },
  ]);
});

after(() => {
  catalog?.close();
  instance?.closeSync();
});

async function rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const result = await catalog.query(sql, params as never, new AbortController().signal);
  const batches = await collectBatches(result);
  return batches.flatMap((b) =>
    b.toArray().map((r) => {
      const o = r.toJSON() as Record<string, unknown>;
      for (const [k, v] of Object.entries(o)) if (typeof v === 'bigint') o[k] = Number(v);
      return o;
    }),
  );
}

const PSQL_DT = `SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;`;

const PSQL_D_LOOKUP = `SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(customers)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3;`;

const psqlDTable = (
  oid: number,
) => `SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '${oid}';`;

const psqlDColumns = (oid: number) => `SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '${oid}' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;`;

const psqlDFooter = (oid: number) => [
  `SELECT pol.polname, pol.polpermissive,
  CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
  pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
  pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),
  CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' END AS cmd
FROM pg_catalog.pg_policy pol
WHERE pol.polrelid = '${oid}' ORDER BY 1;`,
  `SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
  'd' = any(stxkind) AS ndist_enabled, 'f' = any(stxkind) AS deps_enabled, 'm' = any(stxkind) AS mcv_enabled, stxstattarget
FROM pg_catalog.pg_statistic_ext WHERE stxrelid = '${oid}' ORDER BY nsp, stxname;`,
  `SELECT pubname, NULL, NULL FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
     JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
WHERE pc.oid ='${oid}' and pg_catalog.pg_relation_is_publishable('${oid}')
UNION
SELECT pubname, pg_get_expr(pr.prqual, c.oid), (CASE WHEN pr.prattrs IS NOT NULL THEN
         (SELECT string_agg(attname, ', ')
           FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,
                pg_catalog.pg_attribute
          WHERE attrelid = pr.prrelid AND attnum = prattrs[s])
        ELSE NULL END) FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
     JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
WHERE pr.prrelid = '${oid}'
UNION
SELECT pubname, NULL, NULL FROM pg_catalog.pg_publication p
WHERE p.puballtables AND pg_catalog.pg_relation_is_publishable('${oid}')
ORDER BY 1;`,
  `SELECT c.oid::pg_catalog.regclass FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhparent AND i.inhrelid = '${oid}' AND c.relkind != 'p' AND c.relkind != 'I' ORDER BY inhseqno;`,
  `SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhrelid AND i.inhparent = '${oid}'
ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;`,
];

const JDBC_GET_TABLES = `SELECT current_database() AS "TABLE_CAT", n.nspname AS "TABLE_SCHEM", c.relname AS "TABLE_NAME",  CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema'  WHEN true THEN CASE  WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TABLE'   WHEN 'v' THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX'   ELSE NULL   END  WHEN n.nspname = 'pg_toast' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END  ELSE CASE c.relkind   WHEN 'r' THEN 'TEMPORARY TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE'   WHEN 'i' THEN 'TEMPORARY INDEX'   WHEN 'S' THEN 'TEMPORARY SEQUENCE'   WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE NULL   END  END  WHEN false THEN CASE c.relkind  WHEN 'r' THEN 'TABLE'  WHEN 'p' THEN 'PARTITIONED TABLE'  WHEN 'i' THEN 'INDEX'  WHEN 'P' then 'PARTITIONED INDEX'  WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW'  WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN 'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW'  ELSE NULL  END  ELSE NULL  END  AS "TABLE_TYPE", d.description AS "REMARKS",  '' as "TYPE_CAT", '' as "TYPE_SCHEM", '' as "TYPE_NAME", '' AS "SELF_REFERENCING_COL_NAME", '' AS "REF_GENERATION"  FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c  LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0  and d.classoid = 'pg_class'::regclass)  WHERE c.relnamespace = n.oid  AND c.relname LIKE $1 AND (false  OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ) )  ORDER BY "TABLE_TYPE","TABLE_SCHEM","TABLE_NAME"`;

const JDBC_GET_COLUMNS = `SELECT * FROM (SELECT current_database() AS current_database, n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull  OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as attidentity,nullif(a.attgenerated, '') as attgenerated,pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n  JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)  LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')  LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped  AND c.relname LIKE $1) c WHERE true  AND attname LIKE $2 ORDER BY nspname,c.relname,attnum`;

const JDBC_TYPE_INFO = `SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE pg_type.oid = $1  ORDER BY sp.r, pg_type.oid DESC`;

const JDBC_PRIMARY_KEYS = `SELECT        result.TABLE_CAT AS "TABLE_CAT",        result.TABLE_SCHEM AS "TABLE_SCHEM",        result.TABLE_NAME AS "TABLE_NAME",        result.COLUMN_NAME AS "COLUMN_NAME",        result.KEY_SEQ AS "KEY_SEQ",        result.PK_NAME AS "PK_NAME"FROM      (SELECT current_database() AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,   (information_schema._pg_expandarray(con.conkey)).n AS KEY_SEQ, con.conname AS PK_NAME,   information_schema._pg_expandarray(con.conkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_constraint con   JOIN pg_catalog.pg_class ct ON (con.conrelid = ct.oid)   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_attribute a ON (a.attrelid = ct.oid) WHERE con.contype = 'p'  AND ct.relname = $1 ) result where  result.A_ATTNUM = (result.KEYS).x  ORDER BY result.table_name, result.pk_name, result.key_seq`;

describe('system catalog', { timeout: 60_000 }, () => {
  test('psql \\dt: one namespace per single-schema source, source.schema otherwise', async () => {
    assert.deepEqual(await rows(PSQL_DT), [
      { Schema: 'crm', Name: 'customers', Type: 'table', Owner: 'spoke' },
      { Schema: 'shop.public', Name: 'orders', Type: 'table', Owner: 'spoke' },
      { Schema: 'shop.sales', Name: 'orders', Type: 'table', Owner: 'spoke' },
    ]);
  });

  test('psql \\d customers: lookup, table, columns with PostgreSQL type names, and the footer queries', async () => {
    const [found] = await rows(PSQL_D_LOOKUP);
    assert.equal(found!.nspname, 'crm');
    const oid = Number(found!.oid);
    const [table] = await rows(psqlDTable(oid));
    assert.equal(table!.relkind, 'r');
    assert.equal(table!.amname, 'heap');
    const columns = (await rows(psqlDColumns(oid))).map((c) => [c.attname, c.format_type, c.attnotnull]);
    assert.deepEqual(columns, [
      ['id', 'bigint', true],
      ['name', 'text', false],
      ['balance', 'numeric(12,2)', false],
      ['tags', 'text[]', false],
      ['seen', 'timestamp with time zone', false],
    ]);
    for (const sql of psqlDFooter(oid)) assert.deepEqual(await rows(sql), []);
  });

  test('psql \\dn and \\l', async () => {
    const schemas = await rows(`SELECT n.nspname AS "Name", pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
      FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1;`);
    assert.deepEqual(
      schemas.map((s) => s.Name),
      ['crm', 'public', 'shop.public', 'shop.sales'],
    );
    const databases =
      await rows(`SELECT d.datname as "Name", pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
      CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
      pg_catalog.array_to_string(d.datacl, E'\\n') AS "Access privileges" FROM pg_catalog.pg_database d ORDER BY 1;`);
    assert.deepEqual(databases, [
      { Name: 'spoke', Encoding: 'UTF8', 'Locale Provider': 'libc', 'Access privileges': null },
    ]);
  });

  test('JDBC getTables, getColumns, type lookups and getPrimaryKeys', async () => {
    const tables = await rows(JDBC_GET_TABLES, ['%']);
    assert.deepEqual(
      tables.map((t) => [t.TABLE_CAT, t.TABLE_SCHEM, t.TABLE_NAME, t.TABLE_TYPE]),
      [
        ['spoke', 'crm', 'customers', 'TABLE'],
        ['spoke', 'shop.public', 'orders', 'TABLE'],
        ['spoke', 'shop.sales', 'orders', 'TABLE'],
      ],
    );
    const columns = await rows(JDBC_GET_COLUMNS, ['customers', '%']);
    assert.deepEqual(
      columns.map((c) => [c.attname, c.atttypid, c.atttypmod, c.attnotnull]),
      [
        ['id', 20, -1, true],
        ['name', 25, -1, false],
        ['balance', 1700, ((12 << 16) | 2) + 4, false],
        ['tags', 1009, -1, false],
        ['seen', 1184, -1, false],
      ],
    );
    assert.deepEqual(await rows(JDBC_TYPE_INFO, [1009]), [
      { is_array: true, typtype: 'b', typname: '_text', oid: 1009 },
    ]);
    assert.deepEqual(await rows(JDBC_PRIMARY_KEYS, ['customers']), []);
  });

  test('information_schema.tables and columns', async () => {
    assert.deepEqual(
      await rows(`SELECT table_schema, table_name, table_type FROM information_schema.tables ORDER BY 1, 2`),
      [
        { table_schema: 'crm', table_name: 'customers', table_type: 'BASE TABLE' },
        { table_schema: 'shop.public', table_name: 'orders', table_type: 'BASE TABLE' },
        { table_schema: 'shop.sales', table_name: 'orders', table_type: 'BASE TABLE' },
      ],
    );
    const columns =
      await rows(`SELECT column_name, data_type, is_nullable, numeric_precision, numeric_scale, udt_name
      FROM information_schema.columns WHERE table_name = 'customers' ORDER BY ordinal_position`);
    assert.deepEqual(columns[2], {
      column_name: 'balance',
      data_type: 'numeric',
      is_nullable: 'YES',
      numeric_precision: 12,
      numeric_scale: 2,
      udt_name: 'numeric',
    });
    assert.deepEqual(columns[3]!.data_type, 'ARRAY');
  });

  test('system functions look like PostgreSQL 15 and columns are named as PostgreSQL names them', async () => {
    const [row] =
      await rows(`SELECT version(), pg_catalog.current_schema(), current_database(), current_user, current_catalog,
      pg_backend_pid() > 0 AS pid, 1, 'x'::text, 'pg_class'::regclass::oid AS pg_class_oid, has_table_privilege('crm.customers', 'SELECT')`);
    assert.match(String(row!.version), /^PostgreSQL 15\.\d+ \(Spoke/);
    assert.equal(row!.current_schema, 'public');
    assert.equal(row!.current_database, 'spoke');
    assert.equal(row!.current_user, 'spoke');
    assert.equal(row!.current_catalog, 'spoke');
    assert.equal(row!.pid, true);
    assert.equal(row!['?column?'], 1);
    assert.equal(row!.text, 'x');
    assert.equal(row!.pg_class_oid, 1259);
    assert.equal(row!.has_table_privilege, true);
    assert.deepEqual(await rows(`SELECT $1::int + 1 AS x, 'crm.customers'::regclass::text AS t`, ['41']), [
      { x: 42, t: 'crm.customers' },
    ]);
  });

  test('SQL-syntax functions (EXTRACT, TRIM, SUBSTRING, POSITION) run without FROM', async () => {
    assert.deepEqual(
      await rows(`SELECT EXTRACT(year FROM DATE '2024-03-01') AS y, TRIM('  a ') AS t,
        SUBSTRING('hello' FROM 2 FOR 3) AS s, POSITION('l' IN 'hello') AS p`),
      [{ y: 2024, t: 'a', s: 'ell', p: 3 }],
    );
  });

  test("what the tools' introspection needed: parse_ident, json_build_object, pg_auth_members, NULL as text", async () => {
    const [ident] = await rows(`SELECT parse_ident('Crm."Big ""T"""') AS p`);
    assert.deepEqual([...(ident!.p as Iterable<string>)], ['crm', 'Big "T"']);
    const result = await catalog.query(
      `SELECT json_build_object('start', 1, 'cycle', false) AS o, NULL AS table_cat`,
      [],
      new AbortController().signal,
    );
    // json for the wire (psycopg parses it), and a bare NULL is text as in PostgreSQL (JDBC reads TABLE_CAT as a string).
    assert.equal(result.schema.fields[0]!.metadata.get('spoke.pg_type'), 'json');
    assert.equal(result.schema.fields[1]!.type.typeId, arrow.Type.Utf8);
    const [row] = (await collectBatches(result)).flatMap((b) => b.toArray().map((r) => r.toJSON()));
    assert.deepEqual(JSON.parse(String(row!.o)), { start: 1, cycle: false });
    assert.deepEqual(await rows('SELECT m.roleid FROM pg_catalog.pg_auth_members m'), []);
  });

  test('= ANY(array column) in an outer join, and generate_series over current_setting (SQLAlchemy, Grafana)', async () => {
    // The outer join keeps every column of customers: each attnum is in the list.
    assert.deepEqual(
      await rows(`SELECT a.attname FROM pg_class t
        LEFT JOIN (SELECT ARRAY[1, 2, 3, 4, 5]::smallint[] AS k) ix ON true
        LEFT OUTER JOIN pg_attribute a ON t.oid = a.attrelid AND a.attnum = ANY(ix.k)
        WHERE t.relname = 'customers' ORDER BY a.attnum`),
      [
        { attname: 'id' },
        { attname: 'name' },
        { attname: 'balance' },
        { attname: 'tags' },
        { attname: 'seen' },
      ],
    );
    assert.deepEqual(
      await rows(`SELECT trim(p[k]) AS part
        FROM generate_series(1, array_upper(string_to_array(current_setting('search_path'), ','), 1)) AS k,
             string_to_array(current_setting('search_path'), ',') AS p ORDER BY k`),
      [{ part: '"$user"' }, { part: 'public' }],
    );
  });

  test('isSystemRelation, and missing relations are 42P01', async () => {
    assert.equal(SystemCatalog.isSystemRelation('pg_catalog', 'pg_class'), true);
    assert.equal(SystemCatalog.isSystemRelation('INFORMATION_SCHEMA', 'tables'), true);
    assert.equal(SystemCatalog.isSystemRelation(undefined, 'pg_type'), true);
    assert.equal(SystemCatalog.isSystemRelation(undefined, 'orders'), false);
    assert.equal(SystemCatalog.isSystemRelation('crm', 'pg_thing'), false);
    await assert.rejects(
      rows('SELECT * FROM pg_catalog.pg_nope'),
      (e: { code?: string }) => e.code === 'TABLE_NOT_FOUND',
    );
  });

  test('a cancelled query stops with QUERY_CANCELLED', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      catalog.query('SELECT 1', [], controller.signal),
      (e: { code?: string }) => e.code === 'QUERY_CANCELLED',
    );
  });
});
