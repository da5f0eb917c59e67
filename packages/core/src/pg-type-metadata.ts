/**
 * Arrow field metadata key naming the PostgreSQL type of a column whose Arrow
 * type alone is ambiguous: `json`, `jsonb`, `uuid`, `interval` (all carried
 * as Utf8), `varchar`, `name`, `oid`…. A connector (or the DuckDB mapping)
 * sets it; the Postgres wire and the system catalog describe the column with
 * that type, so drivers decode a UUID as a UUID and JSON as JSON.
 */
export const PG_TYPE_METADATA_KEY = 'spoke.pg_type';
