-- What Tableau's PostgreSQL connector asks, written by us after reading its public connector documentation
-- (the connector capabilities it probes and the metadata it reads) : the server version, the schemas and
-- tables of the connection dialog, a table's columns read from an empty result (the RowDescription is the
-- metadata), and the aggregate, date-truncation and cast forms of the queries it generates for a view.
-- ---- statement
SELECT version()
-- ---- statement
SELECT n.nspname AS schema_name FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1
-- ---- statement
SELECT n.nspname AS schema_name, c.relname AS table_name, c.relkind AS kind
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p') AND n.nspname = 'crm'
ORDER BY 2
-- ---- statement
SELECT * FROM "crm"."types" WHERE 1 = 0
-- ---- statement
SELECT "types"."id" AS "id", "types"."txt" AS "txt", "types"."dec" AS "dec" FROM "crm"."types" "types" LIMIT 0
-- ---- statement
SELECT SUM(CAST("customers"."balance" AS DOUBLE PRECISION)) AS "sum:balance:ok",
       COUNT(DISTINCT "customers"."id") AS "ctd:id:ok",
       "customers"."vip" AS "vip"
FROM "crm"."customers" "customers"
GROUP BY 3
-- ---- statement
SELECT CAST(DATE_TRUNC('MONTH', CAST("types"."d" AS DATE)) AS DATE) AS "tmn:d:ok",
       SUM(CAST("types"."i8" AS BIGINT)) AS "sum:i8:ok"
FROM "crm"."types" "types"
GROUP BY 1
-- ---- statement
SELECT MIN("types"."ts") AS "min:ts:ok", MAX("types"."ts") AS "max:ts:ok" FROM "crm"."types" "types" HAVING COUNT(1) > 0
-- ---- statement
SELECT CAST(EXTRACT(YEAR FROM "types"."tstz") AS BIGINT) AS "yr:tstz:ok" FROM "crm"."types" "types" GROUP BY 1
