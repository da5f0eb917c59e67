/**
 * The link's security: TLS with a configured CA (and a refusal when the
 * server's certificate is not trusted), a password login and an API key as
 * bearer token, and clear errors for wrong credentials.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, SpokeError } from '@spoke/core';
import { hashApiKey, hashPasswordScrypt } from '@spoke/gateway';
import { connector, type FlightSqlConnector } from '../src/index.js';
import { type SpokeEndpoint, startSpokeEndpoint } from './spoke-endpoint.js';

const API_KEY = 'spk_flight_sql_connector_test_key_0123456789';

function selfSigned(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
    ].concat(['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']),
    { stdio: 'ignore', timeout: 30_000 },
  );
  return { certFile, keyFile };
}

async function count(options: Record<string, unknown>, baseDir: string): Promise<number> {
  const c = await connector.create(options, { sourceName: 'R', baseDir });
  try {
    const table = await c.catalog.getTable('duck', 'spoke_conformance');
    assert.ok(table, 'the fixture is listed');
    let rows = 0;
    for await (const batch of table.scan({
      projection: ['id'],
      filters: [],
      signal: new AbortController().signal,
      context: {} as never,
    }))
      rows += batch.numRows;
    return rows;
  } finally {
    await c.close();
  }
}

async function failure(options: Record<string, unknown>, baseDir: string): Promise<SpokeError> {
  try {
    await count(options, baseDir);
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), String(error));
    return error;
  }
  assert.fail('expected a failure');
}

describe('flight-sql connector: TLS and logins', { timeout: 120_000 }, () => {
  let dir: string;
  let endpoint: SpokeEndpoint;
  let rows: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spoke-flight-sql-tls-'));
    const tls = selfSigned(dir);
    endpoint = await startSpokeEndpoint([], {
      tls,
      auth: {
        users: { peer: { passwordHash: await hashPasswordScrypt('peer-pw'), roles: [], attributes: {} } },
        apiKeys: { link: { keyHash: hashApiKey(API_KEY), user: 'peer' } },
      },
    });
    rows = 0;
  });
  after(async () => {
    await endpoint?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the connector says whether its link is encrypted', async () => {
    const secure = (await connector.create(
      { url: endpoint.url, token: API_KEY, tls: { ca: 'cert.pem' } },
      { sourceName: 'R', baseDir: dir },
    )) as FlightSqlConnector;
    const plain = (await connector.create(
      { url: 'grpc://127.0.0.1:1' },
      { sourceName: 'P', baseDir: dir },
    )) as FlightSqlConnector;
    assert.equal(secure.encryptedLink, true);
    assert.equal(plain.encryptedLink, false);
    await secure.close();
    await plain.close();
  });

  test('grpc+tls with the CA configured, logging in with a password or an API key', async () => {
    rows = await count(
      { url: endpoint.url, username: 'peer', password: 'peer-pw', tls: { ca: 'cert.pem' } },
      dir,
    );
    assert.ok(rows > 0);
    assert.equal(await count({ url: endpoint.url, token: API_KEY, tls: { ca: 'cert.pem' } }, dir), rows);
  });

  test('an untrusted certificate, plaintext to a TLS port, and wrong credentials are SOURCE_UNAVAILABLE', async () => {
    const untrusted = await failure({ url: endpoint.url, username: 'peer', password: 'peer-pw' }, dir);
    assert.equal(untrusted.code, ErrorCode.SOURCE_UNAVAILABLE);
    const plaintext = await failure(
      { url: endpoint.url.replace('grpc+tls', 'grpc'), username: 'peer', password: 'peer-pw' },
      dir,
    );
    assert.equal(plaintext.code, ErrorCode.SOURCE_UNAVAILABLE);
    const wrong = await failure(
      { url: endpoint.url, username: 'peer', password: 'nope', tls: { ca: 'cert.pem' } },
      dir,
    );
    assert.equal(wrong.code, ErrorCode.SOURCE_UNAVAILABLE);
    // The remote's 28000 is kept, but not as this error's SQLSTATE: the client's own session is fine.
    assert.equal(wrong.details?.sqlstate, undefined);
    assert.equal(wrong.details?.remoteSqlstate, '28000');
    assert.equal(wrong.source, 'R');
    const anonymous = await failure({ url: endpoint.url, tls: { ca: 'cert.pem' } }, dir);
    assert.equal(anonymous.code, ErrorCode.SOURCE_UNAVAILABLE);
  });
});
