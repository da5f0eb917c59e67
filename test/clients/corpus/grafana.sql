-- What Grafana's PostgreSQL data source asks while a user builds a panel, written by us after reading its
-- public sources (postgresMetaQuery.ts): the version probe, the TimescaleDB probe, schemas, tables of a
-- schema, the tables on the search path, and a table's columns by a possibly qualified name.
-- ---- statement
SELECT current_setting('server_version_num')::int / 100 AS version
-- ---- statement
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'
-- ---- statement
SELECT schema_name AS name FROM information_schema.schemata
WHERE schema_name NOT IN ('information_schema', 'pg_catalog', 'pg_toast')
ORDER BY schema_name
-- ---- statement
SELECT quote_ident(table_name) AS "table" FROM information_schema.tables
WHERE quote_ident(table_schema) = 'crm' ORDER BY 1
-- ---- statement
SELECT CASE WHEN quote_ident(table_schema) IN (
         SELECT CASE WHEN trim(p[k]) = '"$user"' THEN user ELSE trim(p[k]) END
         FROM generate_series(array_lower(string_to_array(current_setting('search_path'), ','), 1),
                              array_upper(string_to_array(current_setting('search_path'), ','), 1)) AS k,
              string_to_array(current_setting('search_path'), ',') AS p)
       THEN quote_ident(table_name)
       ELSE quote_ident(table_schema) || '.' || quote_ident(table_name) END AS "table"
FROM information_schema.tables
WHERE quote_ident(table_schema) NOT IN ('information_schema', 'pg_catalog')
ORDER BY 1
-- ---- statement
SELECT quote_ident(column_name) AS "column", data_type AS "type" FROM information_schema.columns
WHERE CASE WHEN array_length(parse_ident('crm.customers'), 1) = 2
           THEN quote_ident(table_schema) = (parse_ident('crm.customers'))[1]
            AND quote_ident(table_name) = (parse_ident('crm.customers'))[2]
           ELSE quote_ident(table_name) = 'crm.customers' END
