/**
 * The PostgreSQL wire protocol front end: psql, node-postgres, JDBC,
 * psycopg and SQLAlchemy connect to Spoke as to a PostgreSQL 15 server.
 */

export { type ErrorFields, errorFields } from './error-response.js';
export { PG_TYPE_METADATA_KEY, type PgColumnType, PgOid, pgTypeOf, pgTypeOfField } from './pg-types.js';
export {
  type PostgresServerOptions,
  type PostgresWireCluster,
  type RunningPostgresWire,
  startPostgresServer,
} from './postgres-server.js';
