/**
 * The shadow catalog's tables and macros: PostgreSQL 15's `pg_catalog`
 * relations (the columns clients read) and the `information_schema` views
 * BI tools use, as DuckDB DDL inside one attached in-memory database.
 *
 * Why our own tables rather than DuckDB's built-in `pg_catalog`: DuckDB's
 * views describe DuckDB's catalog with DuckDB's type OIDs and names, miss
 * columns psql reads (`relforcerowsecurity`, `attidentity`…) and relations
 * (`pg_am`, `pg_policy`…), and each attached database gets its own copy.
 * Clients need PostgreSQL's OIDs (`int4` = 23) and names (`integer`).
 */
import { INFO_SCHEMA, PG_SCHEMA } from './rewrite-system-sql.js';

/** Column lists of the pg_catalog tables; every table is created empty and filled by `refresh`. */
export const PG_TABLES: Readonly<Record<string, string>> = {
  pg_namespace: 'oid BIGINT, nspname VARCHAR, nspowner BIGINT, nspacl VARCHAR[]',
  pg_class: `oid BIGINT, relname VARCHAR, relnamespace BIGINT, reltype BIGINT, reloftype BIGINT, relowner BIGINT,
    relam BIGINT, relfilenode BIGINT, reltablespace BIGINT, relpages INTEGER, reltuples REAL, relallvisible INTEGER,
    reltoastrelid BIGINT, relhasindex BOOLEAN, relisshared BOOLEAN, relpersistence VARCHAR, relkind VARCHAR,
    relnatts SMALLINT, relchecks SMALLINT, relhasrules BOOLEAN, relhastriggers BOOLEAN, relhassubclass BOOLEAN,
    relrowsecurity BOOLEAN, relforcerowsecurity BOOLEAN, relispopulated BOOLEAN, relreplident VARCHAR,
    relispartition BOOLEAN, relrewrite BIGINT, relfrozenxid BIGINT, relminmxid BIGINT, relacl VARCHAR[],
    reloptions VARCHAR[], relpartbound VARCHAR`,
  pg_attribute: `attrelid BIGINT, attname VARCHAR, atttypid BIGINT, attstattarget INTEGER, attlen SMALLINT,
    attnum SMALLINT, attndims INTEGER, attcacheoff INTEGER, atttypmod INTEGER, attbyval BOOLEAN, attalign VARCHAR,
    attstorage VARCHAR, attcompression VARCHAR, attnotnull BOOLEAN, atthasdef BOOLEAN, atthasmissing BOOLEAN,
    attidentity VARCHAR, attgenerated VARCHAR, attisdropped BOOLEAN, attislocal BOOLEAN, attinhcount INTEGER,
    attcollation BIGINT, attacl VARCHAR[], attoptions VARCHAR[], attfdwoptions VARCHAR[], attmissingval VARCHAR`,
  pg_type: `oid BIGINT, typname VARCHAR, typnamespace BIGINT, typowner BIGINT, typlen SMALLINT, typbyval BOOLEAN,
    typtype VARCHAR, typcategory VARCHAR, typispreferred BOOLEAN, typisdefined BOOLEAN, typdelim VARCHAR,
    typrelid BIGINT, typsubscript VARCHAR, typelem BIGINT, typarray BIGINT, typinput VARCHAR, typoutput VARCHAR,
    typreceive VARCHAR, typsend VARCHAR, typmodin VARCHAR, typmodout VARCHAR, typanalyze VARCHAR, typalign VARCHAR,
    typstorage VARCHAR, typnotnull BOOLEAN, typbasetype BIGINT, typtypmod INTEGER, typndims INTEGER,
    typcollation BIGINT, typdefaultbin VARCHAR, typdefault VARCHAR, typacl VARCHAR[]`,
  pg_database: `oid BIGINT, datname VARCHAR, datdba BIGINT, encoding INTEGER, datlocprovider VARCHAR,
    datistemplate BOOLEAN, datallowconn BOOLEAN, datconnlimit INTEGER, datfrozenxid BIGINT, datminmxid BIGINT,
    dattablespace BIGINT, datcollate VARCHAR, datctype VARCHAR, daticulocale VARCHAR, datcollversion VARCHAR,
    datacl VARCHAR[]`,
  // PostgreSQL's view puts oid last (SELECT * shows it so).
  pg_roles: `rolname VARCHAR, rolsuper BOOLEAN, rolinherit BOOLEAN, rolcreaterole BOOLEAN,
    rolcreatedb BOOLEAN, rolcanlogin BOOLEAN, rolreplication BOOLEAN, rolconnlimit INTEGER, rolpassword VARCHAR,
    rolvaliduntil TIMESTAMPTZ, rolbypassrls BOOLEAN, rolconfig VARCHAR[], oid BIGINT`,
  // Empty: Spoke has one role and no role memberships (psql's `\du` reads it for "Member of").
  pg_auth_members: 'roleid BIGINT, member BIGINT, grantor BIGINT, admin_option BOOLEAN',
  pg_am: 'oid BIGINT, amname VARCHAR, amhandler VARCHAR, amtype VARCHAR',
  pg_description: 'objoid BIGINT, classoid BIGINT, objsubid INTEGER, description VARCHAR',
  pg_shdescription: 'objoid BIGINT, classoid BIGINT, description VARCHAR',
  pg_attrdef: 'oid BIGINT, adrelid BIGINT, adnum SMALLINT, adbin VARCHAR',
  pg_index: `indexrelid BIGINT, indrelid BIGINT, indnatts SMALLINT, indnkeyatts SMALLINT, indisunique BOOLEAN,
    indnullsnotdistinct BOOLEAN, indisprimary BOOLEAN, indisexclusion BOOLEAN, indimmediate BOOLEAN,
    indisclustered BOOLEAN, indisvalid BOOLEAN, indcheckxmin BOOLEAN, indisready BOOLEAN, indislive BOOLEAN,
    indisreplident BOOLEAN, indkey SMALLINT[], indcollation BIGINT[], indclass BIGINT[], indoption SMALLINT[],
    indexprs VARCHAR, indpred VARCHAR`,
  pg_constraint: `oid BIGINT, conname VARCHAR, connamespace BIGINT, contype VARCHAR, condeferrable BOOLEAN,
    condeferred BOOLEAN, convalidated BOOLEAN, conrelid BIGINT, contypid BIGINT, conindid BIGINT, conparentid BIGINT,
    confrelid BIGINT, confupdtype VARCHAR, confdeltype VARCHAR, confmatchtype VARCHAR, conislocal BOOLEAN,
    coninhcount INTEGER, connoinherit BOOLEAN, conkey SMALLINT[], confkey SMALLINT[], conpfeqop BIGINT[],
    conppeqop BIGINT[], conffeqop BIGINT[], confdelsetcols SMALLINT[], conexclop BIGINT[], conbin VARCHAR`,
  pg_inherits: 'inhrelid BIGINT, inhparent BIGINT, inhseqno INTEGER, inhdetachpending BOOLEAN',
  pg_policy: `oid BIGINT, polname VARCHAR, polrelid BIGINT, polcmd VARCHAR, polpermissive BOOLEAN, polroles BIGINT[],
    polqual VARCHAR, polwithcheck VARCHAR`,
  pg_statistic_ext: `oid BIGINT, stxrelid BIGINT, stxname VARCHAR, stxnamespace BIGINT, stxowner BIGINT,
    stxstattarget INTEGER, stxkeys SMALLINT[], stxkind VARCHAR[], stxexprs VARCHAR`,
  pg_publication: `oid BIGINT, pubname VARCHAR, pubowner BIGINT, puballtables BOOLEAN, pubinsert BOOLEAN,
    pubupdate BOOLEAN, pubdelete BOOLEAN, pubtruncate BOOLEAN, pubviaroot BOOLEAN`,
  pg_publication_namespace: 'oid BIGINT, pnpubid BIGINT, pnnspid BIGINT',
  pg_publication_rel: 'oid BIGINT, prpubid BIGINT, prrelid BIGINT, prqual VARCHAR, prattrs SMALLINT[]',
  pg_collation: `oid BIGINT, collname VARCHAR, collnamespace BIGINT, collowner BIGINT, collprovider VARCHAR,
    collisdeterministic BOOLEAN, collencoding INTEGER, collcollate VARCHAR, collctype VARCHAR, colliculocale VARCHAR,
    collversion VARCHAR`,
  pg_proc: `oid BIGINT, proname VARCHAR, pronamespace BIGINT, proowner BIGINT, prolang BIGINT, procost REAL,
    prorows REAL, provariadic BIGINT, prosupport VARCHAR, prokind VARCHAR, prosecdef BOOLEAN, proleakproof BOOLEAN,
    proisstrict BOOLEAN, proretset BOOLEAN, provolatile VARCHAR, proparallel VARCHAR, pronargs SMALLINT,
    pronargdefaults SMALLINT, prorettype BIGINT, proargtypes BIGINT[], proallargtypes BIGINT[], proargmodes VARCHAR[],
    proargnames VARCHAR[], proargdefaults VARCHAR, protrftypes BIGINT[], prosrc VARCHAR, probin VARCHAR,
    prosqlbody VARCHAR, proconfig VARCHAR[], proacl VARCHAR[]`,
  pg_language: `oid BIGINT, lanname VARCHAR, lanowner BIGINT, lanispl BOOLEAN, lanpltrusted BOOLEAN,
    lanplcallfoid BIGINT, laninline BIGINT, lanvalidator BIGINT, lanacl VARCHAR[]`,
  pg_tablespace: 'oid BIGINT, spcname VARCHAR, spcowner BIGINT, spcacl VARCHAR[], spcoptions VARCHAR[]',
  pg_settings: `name VARCHAR, setting VARCHAR, unit VARCHAR, category VARCHAR, short_desc VARCHAR, extra_desc VARCHAR,
    context VARCHAR, vartype VARCHAR, source VARCHAR, min_val VARCHAR, max_val VARCHAR, enumvals VARCHAR[],
    boot_val VARCHAR, reset_val VARCHAR, sourcefile VARCHAR, sourceline INTEGER, pending_restart BOOLEAN`,
  pg_trigger: `oid BIGINT, tgrelid BIGINT, tgparentid BIGINT, tgname VARCHAR, tgfoid BIGINT, tgtype SMALLINT,
    tgenabled VARCHAR, tgisinternal BOOLEAN, tgconstrrelid BIGINT, tgconstrindid BIGINT, tgconstraint BIGINT,
    tgdeferrable BOOLEAN, tginitdeferred BOOLEAN, tgnargs SMALLINT, tgattr SMALLINT[], tgargs BLOB, tgqual VARCHAR,
    tgoldtable VARCHAR, tgnewtable VARCHAR`,
  pg_rewrite: `oid BIGINT, rulename VARCHAR, ev_class BIGINT, ev_type VARCHAR, ev_enabled VARCHAR, is_instead BOOLEAN,
    ev_qual VARCHAR, ev_action VARCHAR`,
  pg_extension: `oid BIGINT, extname VARCHAR, extowner BIGINT, extnamespace BIGINT, extrelocatable BOOLEAN,
    extversion VARCHAR, extconfig BIGINT[], extcondition VARCHAR[]`,
  pg_enum: 'oid BIGINT, enumtypid BIGINT, enumsortorder REAL, enumlabel VARCHAR',
  pg_range: `rngtypid BIGINT, rngsubtype BIGINT, rngmultitypid BIGINT, rngcollation BIGINT, rngsubopc BIGINT,
    rngcanonical VARCHAR, rngsubdiff VARCHAR`,
  pg_sequence:
    'seqrelid BIGINT, seqtypid BIGINT, seqstart BIGINT, seqincrement BIGINT, seqmax BIGINT, seqmin BIGINT, seqcache BIGINT, seqcycle BOOLEAN',
  pg_depend:
    'classid BIGINT, objid BIGINT, objsubid INTEGER, refclassid BIGINT, refobjid BIGINT, refobjsubid INTEGER, deptype VARCHAR',
  pg_operator: `oid BIGINT, oprname VARCHAR, oprnamespace BIGINT, oprowner BIGINT, oprkind VARCHAR, oprcanmerge BOOLEAN,
    oprcanhash BOOLEAN, oprleft BIGINT, oprright BIGINT, oprresult BIGINT, oprcom BIGINT, oprnegate BIGINT,
    oprcode VARCHAR, oprrest VARCHAR, oprjoin VARCHAR`,
  pg_cast:
    'oid BIGINT, castsource BIGINT, casttarget BIGINT, castfunc BIGINT, castcontext VARCHAR, castmethod VARCHAR',
  pg_foreign_table: 'ftrelid BIGINT, ftserver BIGINT, ftoptions VARCHAR[]',
  pg_event_trigger: `oid BIGINT, evtname VARCHAR, evtevent VARCHAR, evtowner BIGINT, evtfoid BIGINT, evtenabled VARCHAR,
    evttags VARCHAR[]`,
};

/** information_schema tables (filled by `refresh`). */
export const INFO_TABLES: Readonly<Record<string, string>> = {
  schemata: `catalog_name VARCHAR, schema_name VARCHAR, schema_owner VARCHAR, default_character_set_catalog VARCHAR,
    default_character_set_schema VARCHAR, default_character_set_name VARCHAR, sql_path VARCHAR`,
  tables: `table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, table_type VARCHAR,
    self_referencing_column_name VARCHAR, reference_generation VARCHAR, user_defined_type_catalog VARCHAR,
    user_defined_type_schema VARCHAR, user_defined_type_name VARCHAR, is_insertable_into VARCHAR, is_typed VARCHAR,
    commit_action VARCHAR`,
  columns: `table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR,
    ordinal_position INTEGER, column_default VARCHAR, is_nullable VARCHAR, data_type VARCHAR,
    character_maximum_length INTEGER, character_octet_length INTEGER, numeric_precision INTEGER,
    numeric_precision_radix INTEGER, numeric_scale INTEGER, datetime_precision INTEGER, interval_type VARCHAR,
    interval_precision INTEGER, character_set_catalog VARCHAR, character_set_schema VARCHAR,
    character_set_name VARCHAR, collation_catalog VARCHAR, collation_schema VARCHAR, collation_name VARCHAR,
    domain_catalog VARCHAR, domain_schema VARCHAR, domain_name VARCHAR, udt_catalog VARCHAR, udt_schema VARCHAR,
    udt_name VARCHAR, scope_catalog VARCHAR, scope_schema VARCHAR, scope_name VARCHAR,
    maximum_cardinality INTEGER, dtd_identifier VARCHAR, is_self_referencing VARCHAR, is_identity VARCHAR,
    identity_generation VARCHAR, identity_start VARCHAR, identity_increment VARCHAR, identity_maximum VARCHAR,
    identity_minimum VARCHAR, identity_cycle VARCHAR, is_generated VARCHAR, generation_expression VARCHAR,
    is_updatable VARCHAR`,
  views: `table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, view_definition VARCHAR,
    check_option VARCHAR, is_updatable VARCHAR, is_insertable_into VARCHAR, is_trigger_updatable VARCHAR,
    is_trigger_deletable VARCHAR, is_trigger_insertable_into VARCHAR`,
  table_constraints: `constraint_catalog VARCHAR, constraint_schema VARCHAR, constraint_name VARCHAR,
    table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, constraint_type VARCHAR,
    is_deferrable VARCHAR, initially_deferred VARCHAR, enforced VARCHAR, nulls_distinct VARCHAR`,
  key_column_usage: `constraint_catalog VARCHAR, constraint_schema VARCHAR, constraint_name VARCHAR,
    table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR,
    ordinal_position INTEGER, position_in_unique_constraint INTEGER`,
  referential_constraints: `constraint_catalog VARCHAR, constraint_schema VARCHAR, constraint_name VARCHAR,
    unique_constraint_catalog VARCHAR, unique_constraint_schema VARCHAR, unique_constraint_name VARCHAR,
    match_option VARCHAR, update_rule VARCHAR, delete_rule VARCHAR`,
  constraint_column_usage: `table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR,
    constraint_catalog VARCHAR, constraint_schema VARCHAR, constraint_name VARCHAR`,
  routines: `specific_catalog VARCHAR, specific_schema VARCHAR, specific_name VARCHAR, routine_catalog VARCHAR,
    routine_schema VARCHAR, routine_name VARCHAR, routine_type VARCHAR, module_catalog VARCHAR,
    module_schema VARCHAR, module_name VARCHAR, udt_catalog VARCHAR, udt_schema VARCHAR, udt_name
    VARCHAR, data_type VARCHAR, character_maximum_length INTEGER, character_octet_length INTEGER,
    character_set_catalog VARCHAR, character_set_schema VARCHAR, character_set_name VARCHAR,
    collation_catalog VARCHAR, collation_schema VARCHAR, collation_name VARCHAR, numeric_precision
    INTEGER, numeric_precision_radix INTEGER, numeric_scale INTEGER, datetime_precision INTEGER,
    interval_type VARCHAR, interval_precision INTEGER, type_udt_catalog VARCHAR, type_udt_schema
    VARCHAR, type_udt_name VARCHAR, scope_catalog VARCHAR, scope_schema VARCHAR, scope_name VARCHAR,
    maximum_cardinality INTEGER, dtd_identifier VARCHAR, routine_body VARCHAR, routine_definition
    VARCHAR, external_name VARCHAR, external_language VARCHAR, parameter_style VARCHAR, is_deterministic
    VARCHAR, sql_data_access VARCHAR, is_null_call VARCHAR, sql_path VARCHAR, schema_level_routine
    VARCHAR, max_dynamic_result_sets INTEGER, is_user_defined_cast VARCHAR, is_implicitly_invocable
    VARCHAR, security_type VARCHAR, to_sql_specific_catalog VARCHAR, to_sql_specific_schema VARCHAR,
    to_sql_specific_name VARCHAR, as_locator VARCHAR, created TIMESTAMPTZ, last_altered TIMESTAMPTZ,
    new_savepoint_level VARCHAR, is_udt_dependent VARCHAR, result_cast_from_data_type VARCHAR,
    result_cast_as_locator VARCHAR, result_cast_char_max_length INTEGER, result_cast_char_octet_length
    INTEGER, result_cast_char_set_catalog VARCHAR, result_cast_char_set_schema VARCHAR,
    result_cast_char_set_name VARCHAR, result_cast_collation_catalog VARCHAR,
    result_cast_collation_schema VARCHAR, result_cast_collation_name VARCHAR,
    result_cast_numeric_precision INTEGER, result_cast_numeric_precision_radix INTEGER,
    result_cast_numeric_scale INTEGER, result_cast_datetime_precision INTEGER, result_cast_interval_type
    VARCHAR, result_cast_interval_precision INTEGER, result_cast_type_udt_catalog VARCHAR,
    result_cast_type_udt_schema VARCHAR, result_cast_type_udt_name VARCHAR, result_cast_scope_catalog
    VARCHAR, result_cast_scope_schema VARCHAR, result_cast_scope_name VARCHAR,
    result_cast_maximum_cardinality INTEGER, result_cast_dtd_identifier VARCHAR`,
  parameters: `specific_catalog VARCHAR, specific_schema VARCHAR, specific_name VARCHAR, ordinal_position INTEGER,
    parameter_mode VARCHAR, is_result VARCHAR, as_locator VARCHAR, parameter_name VARCHAR, data_type
    VARCHAR, character_maximum_length INTEGER, character_octet_length INTEGER, character_set_catalog
    VARCHAR, character_set_schema VARCHAR, character_set_name VARCHAR, collation_catalog VARCHAR,
    collation_schema VARCHAR, collation_name VARCHAR, numeric_precision INTEGER, numeric_precision_radix
    INTEGER, numeric_scale INTEGER, datetime_precision INTEGER, interval_type VARCHAR,
    interval_precision INTEGER, udt_catalog VARCHAR, udt_schema VARCHAR, udt_name VARCHAR, scope_catalog
    VARCHAR, scope_schema VARCHAR, scope_name VARCHAR, maximum_cardinality INTEGER, dtd_identifier
    VARCHAR, parameter_default VARCHAR`,
};

/** Views over the tables, as PostgreSQL defines them (the columns tools read). */
export function pgViews(db: string): Readonly<Record<string, string>> {
  const pg = `${db}.${PG_SCHEMA}`;
  return {
    pg_tables: `SELECT n.nspname AS schemaname, c.relname AS tablename, 'spoke' AS tableowner, NULL::VARCHAR AS tablespace,
      c.relhasindex AS hasindexes, c.relhasrules AS hasrules, c.relhastriggers AS hastriggers, c.relrowsecurity AS rowsecurity
      FROM ${pg}.pg_class c JOIN ${pg}.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')`,
    pg_views: `SELECT n.nspname AS schemaname, c.relname AS viewname, 'spoke' AS viewowner, NULL::VARCHAR AS definition
      FROM ${pg}.pg_class c JOIN ${pg}.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v'`,
    pg_matviews: `SELECT NULL::VARCHAR AS schemaname, NULL::VARCHAR AS matviewname, NULL::VARCHAR AS matviewowner,
      NULL::VARCHAR AS tablespace, NULL::BOOLEAN AS hasindexes, NULL::BOOLEAN AS ispopulated, NULL::VARCHAR AS definition WHERE false`,
    pg_indexes: `SELECT NULL::VARCHAR AS schemaname, NULL::VARCHAR AS tablename, NULL::VARCHAR AS indexname,
      NULL::VARCHAR AS tablespace, NULL::VARCHAR AS indexdef WHERE false`,
    pg_user: `SELECT rolname AS usename, oid AS usesysid, rolcreatedb AS usecreatedb, rolsuper AS usesuper,
      rolreplication AS userepl, rolbypassrls AS usebypassrls, '********' AS passwd, rolvaliduntil AS valuntil,
      rolconfig AS useconfig FROM ${pg}.pg_roles`,
    // PostgreSQL's column order; no password, hashed or not.
    pg_authid: `SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
      rolbypassrls, rolconnlimit, NULL::VARCHAR AS rolpassword, rolvaliduntil FROM ${pg}.pg_roles`,
    // No sessions listed (one user must not see another's queries); the columns are PostgreSQL 15's.
    pg_stat_activity: `SELECT NULL::BIGINT AS datid, NULL::VARCHAR AS datname, NULL::INTEGER AS pid,
      NULL::INTEGER AS leader_pid, NULL::BIGINT AS usesysid, NULL::VARCHAR AS usename, NULL::VARCHAR AS application_name,
      NULL::VARCHAR AS client_addr, NULL::VARCHAR AS client_hostname, NULL::INTEGER AS client_port,
      NULL::TIMESTAMPTZ AS backend_start, NULL::TIMESTAMPTZ AS xact_start, NULL::TIMESTAMPTZ AS query_start,
      NULL::TIMESTAMPTZ AS state_change, NULL::VARCHAR AS wait_event_type, NULL::VARCHAR AS wait_event,
      NULL::VARCHAR AS state, NULL::BIGINT AS backend_xid, NULL::BIGINT AS backend_xmin, NULL::BIGINT AS query_id,
      NULL::VARCHAR AS query, NULL::VARCHAR AS backend_type WHERE false`,
  };
}

/**
 * Macros for PostgreSQL functions DuckDB lacks (or has with DuckDB's
 * semantics). `{db}` is the shadow database; `{version}`, `{database}` and
 * `{pid}` are filled in at creation.
 */
export function pgMacros(
  db: string,
  constants: { version: string; database: string; user: string },
): Readonly<Record<string, string>> {
  const pg = `${db}.${PG_SCHEMA}`;
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return {
    version: `() AS ${lit(constants.version)}`,
    current_database: `() AS ${lit(constants.database)}`,
    current_schema: `() AS 'public'`,
    current_schemas: `(implicit) AS CASE WHEN implicit THEN ['pg_catalog', 'public'] ELSE ['public'] END`,
    current_setting: `(_n) AS (SELECT setting FROM ${pg}.pg_settings __s WHERE lower(__s.name) = lower(_n)),
      (_n, _missing_ok) AS (SELECT setting FROM ${pg}.pg_settings __s WHERE lower(__s.name) = lower(_n))`,
    pg_backend_pid: '() AS 1',
    pg_postmaster_start_time: `() AS TIMESTAMPTZ '2024-01-01 00:00:00+00'`,
    pg_conf_load_time: `() AS TIMESTAMPTZ '2024-01-01 00:00:00+00'`,
    pg_is_in_recovery: '() AS false',
    txid_current: '() AS 1::BIGINT',
    pg_get_userbyid: `(_id) AS (SELECT rolname FROM ${pg}.pg_roles __r WHERE __r.oid = _id)`,
    pg_encoding_to_char: `(e) AS CASE e WHEN 6 THEN 'UTF8' WHEN 0 THEN 'SQL_ASCII' ELSE '' END`,
    pg_char_to_encoding: `(e) AS CASE upper(e) WHEN 'UTF8' THEN 6 ELSE 0 END`,
    pg_table_is_visible: '(id) AS true',
    pg_type_is_visible: '(id) AS true',
    pg_function_is_visible: '(id) AS true',
    pg_collation_is_visible: '(id) AS true',
    pg_get_expr: '(e, r) AS NULL::VARCHAR, (e, r, pretty) AS NULL::VARCHAR',
    pg_get_indexdef: '(i) AS NULL::VARCHAR, (i, c, pretty) AS NULL::VARCHAR',
    pg_get_constraintdef: '(c) AS NULL::VARCHAR, (c, pretty) AS NULL::VARCHAR',
    pg_get_viewdef: '(v) AS NULL::VARCHAR, (v, pretty) AS NULL::VARCHAR',
    pg_get_triggerdef: '(t) AS NULL::VARCHAR, (t, pretty) AS NULL::VARCHAR',
    pg_get_ruledef: '(r) AS NULL::VARCHAR, (r, pretty) AS NULL::VARCHAR',
    pg_get_functiondef: '(f) AS NULL::VARCHAR',
    pg_get_function_arguments: `(f) AS ''`,
    pg_get_function_identity_arguments: `(f) AS ''`,
    pg_get_function_result: '(f) AS NULL::VARCHAR',
    pg_get_serial_sequence: '(t, c) AS NULL::VARCHAR',
    pg_get_partkeydef: '(t) AS NULL::VARCHAR',
    pg_get_statisticsobjdef_columns: '(s) AS NULL::VARCHAR',
    pg_relation_is_publishable: '(r) AS false',
    pg_total_relation_size: '(r) AS 0::BIGINT',
    pg_relation_size: '(r) AS 0::BIGINT, (r, fork) AS 0::BIGINT',
    pg_table_size: '(r) AS 0::BIGINT',
    pg_indexes_size: '(r) AS 0::BIGINT',
    pg_database_size: '(d) AS 0::BIGINT',
    pg_size_pretty: `(b) AS format_bytes(b::BIGINT)`,
    pg_has_role: '(a, b) AS true, (a, b, c) AS true',
    has_table_privilege: '(a, b) AS true, (a, b, c) AS true',
    has_schema_privilege: '(a, b) AS true, (a, b, c) AS true',
    has_database_privilege: '(a, b) AS true, (a, b, c) AS true',
    has_column_privilege: '(a, b, c) AS true, (a, b, c, d) AS true',
    has_any_column_privilege: '(a, b) AS true, (a, b, c) AS true',
    has_function_privilege: '(a, b) AS true, (a, b, c) AS true',
    has_sequence_privilege: '(a, b) AS true, (a, b, c) AS true',
    has_type_privilege: '(a, b) AS true, (a, b, c) AS true',
    obj_description: `(o) AS NULL::VARCHAR, (o, cat) AS (SELECT description FROM ${pg}.pg_description __d WHERE __d.objoid = o AND __d.objsubid = 0 LIMIT 1)`,
    col_description: `(o, n) AS (SELECT description FROM ${pg}.pg_description __d WHERE __d.objoid = o AND __d.objsubid = n LIMIT 1)`,
    shobj_description: '(o, cat) AS NULL::VARCHAR',
    inet_server_addr: '() AS NULL::VARCHAR',
    inet_server_port: '() AS NULL::INTEGER',
    inet_client_addr: '() AS NULL::VARCHAR',
    inet_client_port: '() AS NULL::INTEGER',
    array_upper: '(a, d) AS CASE WHEN len(a) = 0 THEN NULL ELSE len(a) END',
    array_lower: '(a, d) AS CASE WHEN len(a) = 0 THEN NULL ELSE 1 END',
    // PostgreSQL's is variadic (key, value, …); DuckDB macros are not, so one overload per pair count.
    json_build_object: Array.from({ length: 9 }, (_, n) => {
      const params = Array.from({ length: n }, (_, i) => `k${i}, v${i}`).join(', ');
      const call = Array.from({ length: n }, (_, i) => `k${i}::VARCHAR, v${i}`).join(', ');
      return `(${params}) AS json_object(${call})`;
    }).join(', '),
    // 'a."B c".d' → ['a', 'B c', 'd']: quoted parts keep their case and doubled quotes, the rest is folded.
    parse_ident: ['(s)', '(s, strict)']
      .map(
        (params) => `${params} AS list_transform(regexp_extract_all(s, '"(?:[^"]|"")*"|[^."]+'),
          __p -> CASE WHEN starts_with(__p, '"') THEN replace(__p[2:-2], '""', '"') ELSE lower(trim(__p)) END)`,
      )
      .join(', '),
    // PostgreSQL takes any function as a FROM item (one row); the rewrite wraps this one in a sub-select.
    string_to_array: '(s, d) AS string_split(s, d)',
    quote_ident: `(s) AS CASE WHEN regexp_full_match(s, '[a-z_][a-z0-9_$]*') THEN s ELSE '"' || replace(s, '"', '""') || '"' END`,
    // Only ever applied to pg_constraint.conkey, and pg_constraint is empty: the shape binds, no row reaches it.
    _pg_expandarray: `(a) AS {'x': a[1], 'n': 1}`,
    format_type: `(t, m) AS (SELECT CASE
        WHEN m IS NULL OR m < 0 THEN __ty.display
        WHEN __ty.typname = 'numeric' THEN 'numeric(' || ((m - 4) >> 16) || ',' || ((m - 4) & 65535) || ')'
        WHEN __ty.typname = 'varchar' THEN 'character varying(' || (m - 4) || ')'
        WHEN __ty.typname = 'bpchar' THEN 'character(' || (m - 4) || ')'
        WHEN __ty.typname IN ('timestamp', 'timestamptz', 'time') THEN replace(__ty.display, ' with', '(' || m || ') with')
        WHEN __ty.typname = '_numeric' THEN 'numeric(' || ((m - 4) >> 16) || ',' || ((m - 4) & 65535) || ')[]'
        WHEN __ty.typname = '_varchar' THEN 'character varying(' || (m - 4) || ')[]'
        ELSE __ty.display END
      FROM ${pg}.pg_type_display __ty WHERE __ty.oid = t)`,
    regclass_oid: `(_n) AS (SELECT __c.oid FROM ${pg}.pg_class __c JOIN ${pg}.pg_namespace __n ON __n.oid = __c.relnamespace
      WHERE __c.relname = regexp_replace(regexp_extract(_n, '("[^"]*"|[^."]*)$', 1), '^"|"$', '', 'g')
        AND (NOT contains(_n, '.') OR __n.nspname = regexp_replace(regexp_extract(_n, '^("[^"]*"|[^.]*)\\.', 1), '^"|"$', '', 'g'))
      ORDER BY __n.nspname = 'pg_catalog' DESC LIMIT 1)`,
    to_regclass: `(_n) AS ${pg}.regclass_oid(_n)`,
    regclass_name: `(_id) AS (SELECT CASE WHEN __n.nspname IN ('pg_catalog', 'public') THEN __c.relname ELSE __n.nspname || '.' || __c.relname END
      FROM ${pg}.pg_class __c JOIN ${pg}.pg_namespace __n ON __n.oid = __c.relnamespace WHERE __c.oid = _id)`,
    regtype_oid: `(_n) AS (SELECT oid FROM ${pg}.pg_type_display __t WHERE __t.typname = lower(replace(_n, 'pg_catalog.', ''))
      OR __t.display = lower(replace(_n, 'pg_catalog.', '')) LIMIT 1)`,
    to_regtype: `(_n) AS ${pg}.regtype_oid(_n)`,
    regnamespace_oid: `(_n) AS (SELECT oid FROM ${pg}.pg_namespace __n WHERE __n.nspname = _n)`,
    regnamespace_name: `(_id) AS (SELECT nspname FROM ${pg}.pg_namespace __n WHERE __n.oid = _id)`,
  };
}

/** Where each kind of object lives. */
export const CATALOG_SCHEMAS = { pg: PG_SCHEMA, info: INFO_SCHEMA } as const;
