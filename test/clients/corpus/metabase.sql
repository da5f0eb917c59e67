-- What Metabase's PostgreSQL driver asks when it syncs a database (besides the pgjdbc DatabaseMetaData calls
-- in pgjdbc.sql): the version and time zone, the tables it may read with their descriptions, each table's
-- fields with types, defaults and generation, enum types, foreign keys through information_schema, and a
-- table's first rows for fingerprinting. Written by us after reading its public sources (the postgres driver's
-- sync and describe-table code); Metabase reads the columns by the names given here.
-- ---- statement
SELECT version()
-- ---- statement
SHOW timezone
-- ---- statement
SELECT current_setting('TimeZone') AS timezone
-- ---- statement
SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW'
                      WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'UNKNOWN' END AS type,
       d.description AS description, c.reltuples::bigint AS estimated_row_count
FROM pg_catalog.pg_class c
INNER JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid
LEFT JOIN pg_catalog.pg_description d ON c.oid = d.objoid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass
WHERE c.relnamespace = n.oid
  AND n.nspname !~ '^information_schema|catalog_history|pg_'
  AND c.relkind IN ('r', 'p', 'v', 'f', 'm')
  AND has_schema_privilege(n.nspname, 'USAGE')
  AND has_table_privilege(quote_ident(n.nspname) || '.' || quote_ident(c.relname), 'SELECT')
ORDER BY n.nspname, c.relname
-- ---- statement
SELECT n.nspname AS table_schema, c.relname AS table_name,
       has_table_privilege(current_user, c.oid, 'SELECT') AS "select",
       has_table_privilege(current_user, c.oid, 'UPDATE') AS "update",
       has_table_privilege(current_user, c.oid, 'INSERT') AS "insert",
       has_table_privilege(current_user, c.oid, 'DELETE') AS "delete"
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
-- ---- statement
SELECT c.column_name AS name, c.udt_name AS database_type, c.ordinal_position - 1 AS database_position,
       c.table_schema AS table_schema, c.table_name AS table_name,
       c.column_default IS NOT NULL AS database_required_default,
       c.is_nullable = 'NO' AS database_not_null,
       c.is_identity = 'YES' AS database_is_auto_increment,
       c.is_generated = 'ALWAYS' AS database_is_generated,
       col_description((quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass::oid,
                       c.ordinal_position) AS field_comment
FROM information_schema.columns c
WHERE c.table_schema = 'crm' AND c.table_name = 'customers'
ORDER BY c.ordinal_position
-- ---- statement
SELECT t.typname AS type, e.enumlabel AS value
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_enum e ON t.oid = e.enumtypid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY t.typname, e.enumsortorder
-- ---- statement
SELECT tc.table_schema AS fk_table_schema, tc.table_name AS fk_table_name, kcu.column_name AS fk_column_name,
       ccu.table_schema AS pk_table_schema, ccu.table_name AS pk_table_name, ccu.column_name AS pk_column_name
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu
  ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema
JOIN information_schema.constraint_column_usage ccu
  ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'crm'
-- ---- statement
SELECT "crm"."customers"."id" AS "id", "crm"."customers"."name" AS "name", "crm"."customers"."vip" AS "vip",
       "crm"."customers"."balance" AS "balance"
FROM "crm"."customers"
LIMIT 10000
-- ---- statement
SELECT count(*) AS "count", count(DISTINCT "crm"."customers"."name") AS "distinct"
FROM "crm"."customers"
