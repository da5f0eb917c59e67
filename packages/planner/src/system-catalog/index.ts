/**
 * The PostgreSQL system catalog (`pg_catalog`, `information_schema`, system
 * functions) over a shadow of the federated catalog.
 */

export {
  PG_TYPE_METADATA_KEY,
  PG_TYPES,
  type PgColumnType,
  type PgTypeRow,
  pgColumnType,
} from './pg-types.js';
export { type RewriteTarget, rewriteSystemSql } from './rewrite-system-sql.js';
export {
  SPOKE_DATABASE,
  SPOKE_PG_VERSION,
  SystemCatalog,
  type SystemQueryOptions,
} from './system-catalog.js';
