/**
 * A Spoke gateway's Flight SQL endpoint in this process, over a DuckDB file
 * holding the conformance fixture (and whatever else a test writes), for the
 * connector to talk to.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { Authenticator, QueryService, startGateway } from '@spoke/gateway';
import { createEngine } from '@spoke/planner';
import { loadFixtureIntoDuckDB } from '@spoke/testing';

/** A running endpoint. */
export interface SpokeEndpoint {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** The gateway's query service: what is running there. */
  readonly service: QueryService;
  close(): Promise<void>;
}

/** Options for {@link startSpokeEndpoint}. */
export interface SpokeEndpointOptions {
  /** Serve TLS with these PEM files. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Require logins: these users and API keys. */
  readonly auth?: ConstructorParameters<typeof Authenticator>[0];
  /** Serve the fixture from Parquet files (two, read through the duckdb connector's `files`) instead of the DuckDB file. */
  readonly parquet?: boolean;
}

/** Starts a gateway serving `duck` (a DuckDB file with the fixture and `extraSql`) over Flight SQL. */
export async function startSpokeEndpoint(
  extraSql: readonly string[] = [],
  options: SpokeEndpointOptions = {},
): Promise<SpokeEndpoint> {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-flight-sql-'));
  const path = join(dir, 'fixture.duckdb');
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await loadFixtureIntoDuckDB(connection);
    for (const sql of extraSql) await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  if (options.parquet) {
    const copy = await DuckDBInstance.create(path);
    const c = await copy.connect();
    try {
      mkdirSync(join(dir, 'parquet'));
      // Two files, so a multi-file scan is behind the endpoint.
      await c.run(
        `COPY (SELECT * FROM spoke_conformance WHERE id < 100) TO '${join(dir, 'parquet', 'part-0.parquet')}' (FORMAT parquet)`,
      );
      await c.run(
        `COPY (SELECT * FROM spoke_conformance WHERE id >= 100) TO '${join(dir, 'parquet', 'part-1.parquet')}' (FORMAT parquet)`,
      );
    } finally {
      c.closeSync();
      copy.closeSync();
    }
  }
  const duck = await duckdb.create(
    options.parquet ? { files: { spoke_conformance: 'parquet/*.parquet' } } : { path },
    { sourceName: 'duck', baseDir: dir },
  );
  const engine = await createEngine({ sources: { duck } });
  const service = new QueryService(engine);
  const gateway = await startGateway(
    engine,
    { flight: { host: '127.0.0.1', port: 0, ...(options.tls ? { tls: options.tls } : {}) } },
    () => {},
    { service, ...(options.auth ? { auth: new Authenticator(options.auth) } : {}) },
  );
  const port = gateway.flight!.port;
  return {
    port,
    url: `${options.tls ? 'grpc+tls' : 'grpc'}://127.0.0.1:${port}`,
    dir,
    service,
    async close() {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
