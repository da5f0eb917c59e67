-- What DBeaver's PostgreSQL plugin asks while it opens a connection and fills its navigator (databases,
-- schemas, tables, columns, keys, indexes, triggers, types, roles, extensions), written by us after reading
-- its public sources (plugins/org.jkiss.dbeaver.ext.postgresql). DBeaver reads each catalog row by column
-- name, mostly from `x.oid, x.*` selects (the last statements), so every column PostgreSQL 15 has must be
-- there, in its order.
-- ---- statement
SELECT current_schema(), session_user
-- ---- statement
SHOW search_path
-- ---- statement
SELECT db.oid, db.datname, db.datdba, db.encoding, db.datistemplate, db.datallowconn, db.datconnlimit,
       db.dattablespace, pg_catalog.pg_encoding_to_char(db.encoding) AS encoding_name
FROM pg_catalog.pg_database db
WHERE NOT db.datistemplate AND db.datallowconn
ORDER BY db.datname
-- ---- statement
SELECT n.oid, n.nspname, n.nspowner, d.description
FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d
  ON d.objoid = n.oid AND d.objsubid = 0 AND d.classoid = 'pg_namespace'::regclass
ORDER BY n.nspname
-- ---- statement
SELECT c.oid, c.relname, c.relkind, c.relowner, c.relhasindex, c.relpersistence, c.relispartition,
       c.reltuples, c.relhastriggers, c.relhasrules, d.description,
       pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS partition_expr,
       pg_catalog.pg_get_partkeydef(c.oid) AS partition_key
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass
WHERE c.relnamespace = $1 AND c.relkind NOT IN ('i', 'I', 'c')
-- ---- statement
SELECT c.relname, a.attname, a.atttypid, a.attnum, a.attnotnull, a.atttypmod, a.attndims, a.atthasdef,
       a.attidentity, a.attgenerated, a.attcollation,
       pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) AS def_value, dsc.description, dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON a.attrelid = c.oid
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
LEFT OUTER JOIN pg_catalog.pg_description dsc ON c.oid = dsc.objoid AND a.attnum = dsc.objsubid
LEFT OUTER JOIN pg_catalog.pg_depend dep
  ON dep.refobjid = a.attrelid AND dep.deptype = 'i' AND dep.refobjsubid = a.attnum AND dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind NOT IN ('i', 'I', 'c') AND c.relnamespace = $1
ORDER BY a.attnum
-- ---- statement
SELECT c.oid, c.conname, c.contype, c.conrelid, c.confrelid, c.conkey, c.confkey, c.condeferrable,
       c.condeferred, c.confupdtype, c.confdeltype, pg_catalog.pg_get_constraintdef(c.oid) AS consrc_copy,
       t.relname AS tabrelname, rt.relnamespace AS refnamespace, d.description
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid = c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.objsubid = 0 AND d.classoid = 'pg_constraint'::regclass
WHERE t.relnamespace = $1
ORDER BY c.oid
-- ---- statement
SELECT i.indexrelid, i.indrelid, i.indisunique, i.indisprimary, i.indkey, i.indoption, c.relname, c.relam,
       t.relname AS tabrelname, pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS pred_expr,
       pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) AS expr,
       pg_catalog.pg_relation_size(i.indexrelid) AS index_rel_size
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
INNER JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = $1
ORDER BY c.relname
-- ---- statement
SELECT t.oid, t.tgname, t.tgrelid, t.tgenabled, t.tgtype, t.tgisinternal, t.tgfoid,
       pg_catalog.pg_get_triggerdef(t.oid) AS trigger_def
FROM pg_catalog.pg_trigger t
WHERE t.tgrelid = $1 AND NOT t.tgisinternal
-- ---- statement
SELECT t.oid, t.typname, t.typtype, t.typcategory, t.typlen, t.typelem, t.typarray, t.typrelid,
       t.typbasetype, t.typnotnull, t.typdefault, d.description
FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid = t.oid AND d.objsubid = 0
WHERE t.typnamespace = $1
ORDER BY t.oid
-- ---- statement
SELECT a.oid, a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin,
       a.rolreplication, a.rolconnlimit, a.rolvaliduntil, a.rolbypassrls
FROM pg_catalog.pg_roles a
ORDER BY a.oid
-- ---- statement
SELECT e.oid, e.extname, e.extversion, e.extnamespace, e.extrelocatable, n.nspname AS schema_name
FROM pg_catalog.pg_extension e
LEFT OUTER JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
ORDER BY e.oid
-- ---- statement
SELECT am.oid, am.amname, am.amtype FROM pg_catalog.pg_am am ORDER BY am.oid
-- ---- statement
SELECT c.oid, c.collname, c.collnamespace, c.collprovider, c.collcollate, c.collctype
FROM pg_catalog.pg_collation c
ORDER BY c.oid
-- ---- statement
SELECT t.oid, t.spcname, t.spcowner FROM pg_catalog.pg_tablespace t ORDER BY t.spcname
-- ---- statement
SELECT p.oid, p.proname, p.pronamespace, p.prokind, p.prorettype, p.proretset, p.pronargs,
       pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
       pg_catalog.pg_get_function_result(p.oid) AS result
FROM pg_catalog.pg_proc p
WHERE p.pronamespace = $1
ORDER BY p.proname
-- ---- statement
SELECT s.seqrelid, s.seqtypid, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle
FROM pg_catalog.pg_sequence s
WHERE s.seqrelid = $1
-- ---- statement
SELECT db.oid, db.* FROM pg_catalog.pg_database db WHERE db.datallowconn AND NOT db.datistemplate ORDER BY db.datname
-- ---- statement
SELECT n.oid, n.*, d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d
  ON d.objoid = n.oid AND d.objsubid = 0 AND d.classoid = 'pg_namespace'::regclass
ORDER BY n.nspname
-- ---- statement
SELECT c.oid, c.*, d.description FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass
WHERE c.relnamespace = $1 AND c.relkind NOT IN ('i', 'I', 'c')
-- ---- statement
SELECT c.relname, a.*, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) AS def_value, dsc.description
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON a.attrelid = c.oid
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
LEFT OUTER JOIN pg_catalog.pg_description dsc ON c.oid = dsc.objoid AND a.attnum = dsc.objsubid
WHERE NOT a.attisdropped AND c.oid = $1
ORDER BY a.attnum
-- ---- statement
SELECT c.oid, c.*, t.relname AS tabrelname FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
WHERE t.relnamespace = $1
-- ---- statement
SELECT i.*, c.relname, c.relnamespace, c.relam FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = $1
-- ---- statement
SELECT t.oid, t.* FROM pg_catalog.pg_trigger t WHERE t.tgrelid = $1
-- ---- statement
SELECT t.oid, t.*, d.description FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid = t.oid AND d.objsubid = 0
WHERE t.typnamespace = $1
-- ---- statement
SELECT p.oid, p.*, d.description FROM pg_catalog.pg_proc p
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid = p.oid AND d.objsubid = 0
WHERE p.pronamespace = $1
-- ---- statement
SELECT a.oid, a.* FROM pg_catalog.pg_roles a ORDER BY a.oid
-- ---- statement
SELECT e.oid, e.* FROM pg_catalog.pg_extension e ORDER BY e.oid
-- ---- statement
SELECT c.oid, c.* FROM pg_catalog.pg_collation c ORDER BY c.oid
-- ---- statement
SELECT l.oid, l.* FROM pg_catalog.pg_language l ORDER BY l.oid
-- ---- statement
SELECT t.oid, t.* FROM pg_catalog.pg_tablespace t ORDER BY t.oid
-- ---- statement
SELECT am.oid, am.* FROM pg_catalog.pg_am am ORDER BY am.oid
-- ---- statement
SELECT e.oid, e.* FROM pg_catalog.pg_event_trigger e ORDER BY e.oid
-- ---- statement
SELECT s.* FROM pg_catalog.pg_sequence s WHERE s.seqrelid = $1
-- ---- statement
SELECT sa.* FROM pg_catalog.pg_stat_activity sa WHERE sa.datname = current_database()
