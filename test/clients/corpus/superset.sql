-- What Superset asks of a PostgreSQL database beyond SQLAlchemy's Inspector (whose own statements are in
-- sqlalchemy.sql): the databases it may offer as catalogs, the schemas and tables a user picks from, a
-- table's columns for the dataset editor, its "select star" preview and a row count. Written by us after
-- reading its public sources (the PostgreSQL engine spec and the inspector calls of its dataset code).
-- ---- statement
SELECT datname FROM pg_database WHERE datistemplate = false ORDER BY datname
-- ---- statement
SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' ORDER BY nspname
-- ---- statement
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'crm' AND c.relkind IN ('r', 'p', 'f')
ORDER BY c.relname
-- ---- statement
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'crm' AND c.relkind = 'm'
-- ---- statement
SELECT pg_catalog.obj_description(c.oid, 'pg_class') AS table_comment
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'crm' AND c.relname = 'customers'
-- ---- statement
SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
       pg_catalog.col_description(a.attrelid, a.attnum) AS comment
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'crm' AND c.relname = 'types' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
-- ---- statement
SELECT id, b, i2, i8, f4, f8, dec, txt, d, ts, tstz, bin, tm, u, big_dec
FROM crm.types
LIMIT 100
-- ---- statement
SELECT count(*) AS count FROM crm.customers
-- ---- statement
SELECT date_trunc('day', ts) AS __timestamp, count(*) AS count
FROM crm.types
GROUP BY date_trunc('day', ts)
ORDER BY count DESC
LIMIT 10000
