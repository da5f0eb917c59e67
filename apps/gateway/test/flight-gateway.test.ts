/**
 * `server.flight` in the config: validated like the other listeners, started
 * by `startGateway`, authenticated by the gateway's users, and every query
 * goes through the query service (metrics by protocol).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { status } from '@grpc/grpc-js';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { createEngine, type FederatedEngine } from '@spoke/planner';
import { Authenticator } from '../src/auth/authenticator.js';
import { hashPasswordScrypt } from '../src/auth/password-hash.js';
import { parseConfig } from '../src/config/load-config.js';
import { FlightSqlClient } from '../src/flight/index.js';
import { QueryService } from '../src/service/query-service.js';
import { startGateway } from '../src/start-gateway.js';

describe('server.flight in the gateway', { timeout: 120_000 }, () => {
  let dir: string;
  let engine: FederatedEngine;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spoke-flight-gateway-'));
    const path = join(dir, 'crm.duckdb');
    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    await c.run(`CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name FROM range(1, 11) r(i)`);
    c.closeSync();
    db.closeSync();
    const crm = await duckdb.create({ path }, { sourceName: 'crm', baseDir: dir });
    engine = await createEngine({ sources: { crm } });
  });

  after(async () => {
    await engine?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('validates server.flight like the other listeners', () => {
    const config = parseConfig(
      'server:\n  flight:\n    port: 0\nsources:\n  crm:\n    connector: duckdb\n',
      dir,
    );
    assert.deepEqual(config.server.flight, { host: '127.0.0.1', port: 0 });
    assert.equal(config.server.http, undefined);
    assert.throws(
      () =>
        parseConfig('server:\n  flight:\n    port: 99999\nsources:\n  crm:\n    connector: duckdb\n', dir),
      /server\.flight\.port/,
    );
  });

  it('startGateway starts it; queries go through the query service', async () => {
    const service = new QueryService(engine);
    // The gateway closes the engine on close: hand it a view whose close is a no-op, the suite owns the engine.
    const gateway = await startGateway(
      {
        ...engine,
        query: engine.query.bind(engine),
        explain: engine.explain.bind(engine),
        catalog: engine.catalog.bind(engine),
        close: async () => {},
      },
      { flight: { host: '127.0.0.1', port: 0 } },
      () => {},
      { service },
    );
    const client = new FlightSqlClient(`127.0.0.1:${gateway.flight!.port}`);
    try {
      const table = await client.execute('SELECT count(*) AS n FROM crm.customers');
      assert.equal(table.getChild('n')?.get(0), 10n);
      assert.match(service.metrics.render(), /spoke_queries_total\{[^}]*protocol="flight"[^}]*\} 1/);
    } finally {
      client.close();
      await gateway.close();
    }
  });

  it('without users, a non-loopback Flight address is refused', async () => {
    await assert.rejects(
      startGateway(engine, { flight: { host: '0.0.0.0', port: 0 } }),
      /server\.flight\.host: 0\.0\.0\.0 is not a loopback address/,
    );
  });

  it("with users, the handshake checks the gateway's passwords and API keys pass as bearer tokens", async () => {
    const auth = new Authenticator({
      users: {
        alice: { passwordHash: await hashPasswordScrypt('s3cret'), roles: ['analyst'], attributes: {} },
      },
    });
    const service = new QueryService(engine);
    const gateway = await startGateway(
      {
        ...engine,
        query: engine.query.bind(engine),
        explain: engine.explain.bind(engine),
        catalog: engine.catalog.bind(engine),
        close: async () => {},
      },
      { flight: { host: '127.0.0.1', port: 0 } },
      () => {},
      { service, auth },
    );
    const client = new FlightSqlClient(`127.0.0.1:${gateway.flight!.port}`);
    try {
      await assert.rejects(client.handshake('alice', 'wrong'), { code: status.UNAUTHENTICATED });
      await assert.rejects(client.execute('SELECT 1'), { code: status.UNAUTHENTICATED });
      await client.handshake('alice', 's3cret');
      assert.equal((await client.execute('SELECT 1 AS x')).numRows, 1);
      assert.equal((await client.getCatalogs()).numRows, 1);
    } finally {
      client.close();
      await gateway.close();
    }
  });
});
