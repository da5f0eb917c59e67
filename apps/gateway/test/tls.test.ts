/**
 * TLS on both listeners with a self-signed certificate made by openssl:
 * HTTPS through node:https, node-postgres and psql with sslmode=require, a
 * password-only user allowed in over TLS, and garbage instead of a TLS
 * handshake leaving the server serving.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import {
  type OperatorGateway,
  selfSignedCertificate,
  startOperatorGateway,
  userYaml,
} from './operator-fixture.js';

const run = promisify(execFile);

function httpsJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; json: unknown; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', ...headers },
        timeout: 30_000,
      },
      (res) => {
        const protocol = (res.socket as import('node:tls').TLSSocket).getProtocol?.() ?? '';
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            protocol: protocol ?? '',
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('TLS', { timeout: 120_000 }, () => {
  let fixture: DemoFixture;
  let gw: OperatorGateway;

  before(async () => {
    fixture = await demoFixture();
    const { certFile, keyFile } = await selfSignedCertificate(fixture.root);
    gw = await startOperatorGateway(
      fixture,
      `tls: { cert_file: ${JSON.stringify(certFile)}, key_file: ${JSON.stringify(keyFile)} }
users:
${await userYaml('alice', 'alice-pw', ['admin'])}
${await userYaml('bob', 'bob-pw', [], false)}
policies:
  - { name: customers_over_tls, on: crm.customers, rule: require_tls }`,
    );
  });
  after(async () => {
    await gw?.close();
    await fixture?.close();
  });

  it('serves HTTPS', async () => {
    assert.match(gw.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await httpsJson(
      `${gw.url}/v1/query`,
      { sql: 'SELECT count(*) AS n FROM crm.customers' },
      {
        authorization: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`,
      },
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { columns: [{ name: 'n', type: 'int64' }], rows: [[1000]] });
    assert.match(answer.protocol, /^TLSv1\.[23]$/);
  });

  it('node-postgres connects with ssl and SCRAM; a password-only user may log in over TLS', async () => {
    for (const [user, password] of [
      ['alice', 'alice-pw'],
      ['bob', 'bob-pw'],
    ]) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: gw.pgPort,
        user,
        password,
        database: 'spoke',
        ssl: { rejectUnauthorized: false },
      });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT count(*)::int AS n FROM crm.customers');
        assert.deepEqual(rows, [{ n: 1000 }]);
        assert.equal(
          (client as unknown as { connection: { stream: { encrypted?: boolean } } }).connection.stream
            .encrypted,
          true,
        );
      } finally {
        await client.end();
      }
    }
    const wrong = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'bob',
      password: 'nope',
      database: 'spoke',
      ssl: { rejectUnauthorized: false },
    });
    await assert.rejects(wrong.connect(), /password authentication failed for user "bob"/);
    await wrong.end().catch(() => {});
  });

  it('require_tls: a table answered over TLS is refused to a plaintext connection, naming the rule', async () => {
    const plain = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'alice',
      password: 'alice-pw',
      database: 'spoke',
      ssl: false,
    });
    await plain.connect();
    try {
      await assert.rejects(
        plain.query('SELECT count(*) FROM crm.customers'),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, '42501');
          assert.match(error.message, /only over an encrypted connection.*rule customers_over_tls/);
          return true;
        },
      );
      // Other tables are not covered by the rule.
      const { rows } = await plain.query('SELECT count(*)::int AS n FROM lake.sales');
      assert.ok(rows[0].n > 0);
    } finally {
      await plain.end();
    }
  });

  it('psql connects with sslmode=require', async () => {
    const { stdout } = await run(
      'psql',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(gw.pgPort),
        '-U',
        'alice',
        '-d',
        'spoke',
        '-X',
        '-A',
        '-t',
        '-c',
        'SELECT count(*) FROM lake.sales',
      ],
      { timeout: 30_000, env: { ...process.env, PGPASSWORD: 'alice-pw', PGSSLMODE: 'require' } },
    );
    assert.equal(stdout.trim(), '100000');
  });

  it('garbage instead of a TLS handshake closes that connection only', async () => {
    for (const port of [gw.pgPort, Number(new URL(gw.url).port)]) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        // SSLRequest, then bytes that are no ClientHello.
        socket.on('connect', () => {
          const ssl = Buffer.alloc(8);
          ssl.writeInt32BE(8);
          ssl.writeInt32BE(80877103, 4);
          socket.write(port === gw.pgPort ? ssl : Buffer.alloc(0));
          setTimeout(() => socket.write(Buffer.from('\x16\x03\x01garbage garbage garbage\r\n\r\n')), 50);
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve());
        setTimeout(() => socket.destroy(), 5_000);
      });
    }
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'alice',
      password: 'alice-pw',
      database: 'spoke',
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    await client.end();
  });
});
