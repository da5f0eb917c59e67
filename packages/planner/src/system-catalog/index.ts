/**
 * The PostgreSQL system catalog (`pg_catalog`, `information_schema`, system
 * functions) over a shadow of the federated catalog.
 */
export { SPOKE_DATABASE, SPOKE_PG_VERSION, SystemCatalog, type SystemQueryOptions } from './system-catalog.js';
export { PG_TYPES, PG_TYPE_METADATA_KEY, pgColumnType, type PgColumnType, type PgTypeRow } from './pg-types.js';
export { rewriteSystemSql, type RewriteTarget } from './rewrite-system-sql.js';
