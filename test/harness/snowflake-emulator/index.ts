/**
 * A Snowflake protocol emulator for tests: the real `snowflake-sdk` talks to
 * it over HTTP (`accessUrl: emulator.accessUrl`), and it runs the SQL in an
 * in-process DuckDB holding fixture data. See `server.ts` for the endpoints
 * and `result-encoding.ts` for the wire format of each type.
 *
 * Fixture tables live in the DuckDB database named like the Snowflake
 * database (`SPOKE` by default), schema `PUBLIC`; create them with
 * upper-case quoted names, as Snowflake stores unquoted names.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { EmulatorServer, type ReceivedQuery } from './server.js';

export type { ReceivedQuery } from './server.js';
export { translateSql } from './sql-translation.js';

/** Options for {@link startSnowflakeEmulator}. */
export interface SnowflakeEmulatorOptions {
  /** Default `SPOKETEST`. */
  readonly account?: string;
  /** Default `SPOKE_USER`. */
  readonly user?: string;
  /** Default `spoke-password`. */
  readonly password?: string;
  /** PEM public key accepted for key-pair login. */
  readonly publicKey?: string;
  /** Default `SPOKE`. */
  readonly database?: string;
  /** Default `PUBLIC`. */
  readonly schema?: string;
  /** Rows sent inline in the query response (the rest go in chunks). Default 1000. */
  readonly inlineRows?: number;
  /** Rows per chunk. Default 5000. */
  readonly chunkRows?: number;
  /** A statement still running after this long is answered "in progress" (code 333334). Default 1000 ms. */
  readonly progressAfterMs?: number;
  /** Creates the fixture data, in DuckDB SQL, with the Snowflake database and schema current. */
  readonly setup?: (conn: DuckDBConnection) => Promise<void>;
}

/** A running emulator. */
export interface SnowflakeEmulator {
  /** `http://127.0.0.1:PORT`: pass as the driver's `accessUrl`. */
  readonly accessUrl: string;
  readonly port: number;
  readonly account: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly schema: string;
  readonly warehouse: string;
  readonly role: string;
  /** Every statement received, in order. */
  readonly queries: readonly ReceivedQuery[];
  /** The server (request counts, open sessions). */
  readonly server: EmulatorServer;
  /** A DuckDB connection to the fixture data, with the database and schema current: the reference for answers. */
  readonly duckdb: DuckDBConnection;
  close(): Promise<void>;
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Starts the emulator on a free loopback port. Call `close()` in `after()`. */
export async function startSnowflakeEmulator(
  options: SnowflakeEmulatorOptions = {},
): Promise<SnowflakeEmulator> {
  const account = options.account ?? 'SPOKETEST';
  const user = options.user ?? 'SPOKE_USER';
  const password = options.password ?? 'spoke-password';
  const database = options.database ?? 'SPOKE';
  const schema = options.schema ?? 'PUBLIC';
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const duckdb = await instance.connect();
  await duckdb.run(`SET GLOBAL TimeZone = 'UTC'`);
  await duckdb.run(`ATTACH ':memory:' AS ${q(database)}`);
  await duckdb.run(`CREATE SCHEMA IF NOT EXISTS ${q(database)}.${q(schema)}`);
  await duckdb.run(`CREATE SCHEMA ${q(database)}."_SF_INFO"`);
  await duckdb.run(`USE ${q(database)}.${q(schema)}`);
  if (options.setup) await options.setup(duckdb);
  const info = `${q(database)}."_SF_INFO"`;
  const dbLiteral = `'${database.replaceAll("'", "''")}'`;
  const refreshInfoSchema = async (conn: DuckDBConnection) => {
    // Snowflake's INFORMATION_SCHEMA views, with the columns the connector reads.
    await conn.run(`CREATE OR REPLACE TABLE ${info}."TABLES" AS
      SELECT database_name AS "TABLE_CATALOG", schema_name AS "TABLE_SCHEMA", table_name AS "TABLE_NAME",
             'BASE TABLE' AS "TABLE_TYPE", CAST(estimated_size AS DECIMAL(38,0)) AS "ROW_COUNT",
             CAST(estimated_size * column_count * 8 AS DECIMAL(38,0)) AS "BYTES"
      FROM duckdb_tables() WHERE database_name = ${dbLiteral} AND schema_name <> '_SF_INFO'
      UNION ALL
      SELECT database_name, schema_name, view_name, 'VIEW', NULL, NULL
      FROM duckdb_views() WHERE database_name = ${dbLiteral} AND NOT internal`);
    await conn.run(`CREATE OR REPLACE TABLE ${info}."SCHEMATA" AS
      SELECT database_name AS "CATALOG_NAME", schema_name AS "SCHEMA_NAME" FROM duckdb_schemas()
      WHERE database_name = ${dbLiteral} AND schema_name NOT IN ('_SF_INFO', 'main')
      UNION ALL SELECT ${dbLiteral}, 'INFORMATION_SCHEMA'`);
  };
  const server = new EmulatorServer({
    instance,
    account,
    user,
    password,
    ...(options.publicKey ? { publicKey: options.publicKey } : {}),
    database,
    schema,
    warehouse: 'SPOKE_WH',
    role: 'SPOKE_ROLE',
    infoSchema: info,
    refreshInfoSchema,
    inlineRows: options.inlineRows ?? 1000,
    chunkRows: options.chunkRows ?? 5000,
    progressAfterMs: options.progressAfterMs ?? 1000,
  });
  const port = await server.listen();
  let closed = false;
  return {
    accessUrl: `http://127.0.0.1:${port}`,
    port,
    account,
    user,
    password,
    database,
    schema,
    warehouse: 'SPOKE_WH',
    role: 'SPOKE_ROLE',
    queries: server.queries,
    server,
    duckdb,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      duckdb.closeSync();
      instance.closeSync();
    },
  };
}
