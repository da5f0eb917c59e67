/**
 * The PostgreSQL wire protocol front end: psql, node-postgres, JDBC,
 * psycopg and SQLAlchemy connect to Spoke as to a PostgreSQL 15 server.
 */
export { type PostgresServerOptions, type RunningPostgresWire, startPostgresServer } from './postgres-server.js';
export { PG_TYPE_METADATA_KEY, PgOid, pgTypeOf, pgTypeOfField, type PgColumnType } from './pg-types.js';
export { errorFields, type ErrorFields } from './error-response.js';
