/**
 * Authentication with real clients: node-postgres and psql logging in with
 * SCRAM-SHA-256, HTTP with API keys, basic credentials and JWTs signed by a
 * key in a JWKS file; wrong credentials of every kind refused with a clear
 * error and audited; `spoke hash-password` as a child process; the
 * loopback-only rule without users.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createSign, generateKeyPairSync, sign as signData } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { SPOKE_CLI as CLI } from '../../../test/harness/spoke-cli.js';
import { canonicalRows, type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway, userYaml } from './operator-fixture.js';

const run = promisify(execFile);

/** Runs `spoke hash-password` with `input` on standard input. */
async function hashPassword(
  input: string,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'hash-password', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c;
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
  });
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

function jwt(
  privateKey: import('node:crypto').KeyObject,
  alg: 'RS256' | 'ES256',
  kid: string,
  claims: Record<string, unknown>,
): string {
  const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT', kid })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const data = `${header}.${payload}`;
  const signature =
    alg === 'RS256'
      ? createSign('sha256').update(data).sign(privateKey)
      : signData('sha256', Buffer.from(data), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${data}.${signature.toString('base64url')}`;
}

describe('authentication', { timeout: 180_000 }, () => {
  let fixture: DemoFixture;
  let gw: OperatorGateway;
  let apiKey: string;
  let auditFile: string;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Math.floor(Date.now() / 1000);

  before(async () => {
    fixture = await demoFixture();
    // The hashes come from the CLI, as an operator would make them.
    const hashed = await hashPassword('s3cret pässword\n');
    assert.equal(hashed.code, 0, hashed.stderr);
    const keyed = await hashPassword('', ['--api-key']);
    assert.equal(keyed.code, 0, keyed.stderr);
    apiKey = keyed.stdout.split('\n')[0]!;
    const keyHash = /key_hash: (\S+)/.exec(keyed.stdout)![1]!;
    const jwks = join(fixture.root, 'jwks.json');
    await writeFile(
      jwks,
      JSON.stringify({
        keys: [
          { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
          { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256' },
        ],
      }),
    );
    auditFile = join(fixture.root, 'audit.jsonl');
    gw = await startOperatorGateway(
      fixture,
      `users:
  alice:
${hashed.stdout
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
    roles: [analyst]
    attributes: { region: EMEA }
${await userYaml('bob', 'bobs-password', [], false)}
api_keys:
  ci: { key_hash: "${keyHash}", user: alice }
auth:
  jwt: { jwks_file: jwks.json, issuer: https://idp.example, audience: spoke, roles_claim: groups }
audit: { path: audit.jsonl }`,
    );
  });
  after(async () => {
    await gw?.close();
    await fixture?.close();
  });

  const sql = 'SELECT region, count(*) AS n FROM crm.customers GROUP BY region ORDER BY region';

  it('node-postgres logs in with SCRAM-SHA-256 and gets the same answer as DuckDB', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'alice',
      password: 's3cret pässword',
      database: 'spoke',
    });
    await client.connect();
    try {
      const { rows } = await client.query(sql);
      assert.deepEqual(canonicalRows(rows), canonicalRows(await fixture.duckdb(sql)));
    } finally {
      await client.end();
    }
  });

  it('node-postgres with a wrong password, or an unknown user, gets 28P01', async () => {
    for (const [user, password] of [
      ['alice', 'wrong'],
      ['mallory', 'anything'],
    ]) {
      const client = new pg.Client({ host: '127.0.0.1', port: gw.pgPort, user, password, database: 'spoke' });
      await assert.rejects(client.connect(), (error: Error & { code?: string }) => {
        assert.equal(error.code, '28P01');
        assert.equal(error.message, `password authentication failed for user "${user}"`);
        return true;
      });
      await client.end().catch(() => {});
    }
  });

  it('psql logs in with PGPASSWORD (SCRAM), and fails cleanly with a wrong one', async () => {
    const args = [
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
      'SELECT count(*) FROM crm.customers',
    ];
    const ok = await run('psql', args, {
      timeout: 30_000,
      env: { ...process.env, PGPASSWORD: 's3cret pässword', PGSSLMODE: 'disable' },
    });
    assert.equal(ok.stdout.trim(), '1000');
    await assert.rejects(
      run('psql', args, {
        timeout: 30_000,
        env: { ...process.env, PGPASSWORD: 'nope', PGSSLMODE: 'disable' },
      }),
      (error: { stderr: string }) => /password authentication failed for user "alice"/.test(error.stderr),
    );
  });

  it('a user without a SCRAM verifier fails outside TLS exactly like a wrong password (the reason is logged)', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'bob',
      password: 'bobs-password',
      database: 'spoke',
    });
    await assert.rejects(client.connect(), (error: Error & { code?: string }) => {
      assert.equal(error.code, '28P01');
      assert.equal(error.message, 'password authentication failed for user "bob"');
      return true;
    });
    await client.end().catch(() => {});
    assert.ok(gw.logs.some((line) => /can log in only over TLS/.test(line)));
  });

  async function post(headers: Record<string, string>) {
    const res = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ sql }),
      signal: AbortSignal.timeout(30_000),
    });
    return {
      status: res.status,
      body: (await res.json()) as { rows?: unknown[]; error?: { code: string; message: string } },
      res,
    };
  }

  it('HTTP takes an API key, basic credentials, and JWTs (RS256, ES256) from the JWKS', async () => {
    const expected = canonicalRows((await fixture.duckdb(sql)).map((r) => Object.values(r)));
    const basic = `Basic ${Buffer.from('bob:bobs-password').toString('base64')}`;
    const claims = {
      sub: 'carol',
      iss: 'https://idp.example',
      aud: 'spoke',
      exp: now + 600,
      groups: ['analyst', 'eu'],
    };
    for (const authorization of [
      `Bearer ${apiKey}`,
      basic,
      `Bearer ${jwt(rsa.privateKey, 'RS256', 'rsa-1', claims)}`,
      `Bearer ${jwt(ec.privateKey, 'ES256', 'ec-1', claims)}`,
    ]) {
      const { status, body } = await post({ authorization });
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual(canonicalRows(body.rows as unknown[][]), expected);
    }
  });

  it('HTTP refuses missing credentials with a hint, and wrong or expired ones with one uniform 401', async () => {
    const uniform =
      /^authentication failed: wrong credentials, or too many failed attempts \(wait, then retry\)$/;
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /authentication required/],
      [{ authorization: 'Bearer spoke_not-a-key' }, uniform],
      [{ authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` }, uniform],
      [
        {
          authorization: `Bearer ${jwt(rsa.privateKey, 'RS256', 'rsa-1', { sub: 'x', iss: 'https://idp.example', aud: 'spoke', exp: now - 3600 })}`,
        },
        uniform,
      ],
      [
        {
          authorization: `Bearer ${jwt(rsa.privateKey, 'RS256', 'rsa-1', { sub: 'x', iss: 'https://evil.example', aud: 'spoke', exp: now + 600 })}`,
        },
        uniform,
      ],
      [
        {
          authorization: `Bearer ${jwt(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'RS256', 'rsa-1', { sub: 'x', iss: 'https://idp.example', aud: 'spoke', exp: now + 600 })}`,
        },
        uniform,
      ],
    ];
    for (const [headers, message] of cases) {
      const { status, body, res } = await post(headers);
      assert.equal(status, 401);
      assert.equal(body.error?.code, 'UNAUTHENTICATED');
      assert.match(body.error?.message ?? '', message);
      assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
    }
    // /healthz stays open for load balancers.
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
  });

  it('writes an audit line for each query and each refused login, with the user and roles', async () => {
    await gw.services.service.close(); // flushes the file; the service keeps answering (the sink is closed)
    const records = (await readFile(auditFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ok = records.filter((r) => r.outcome === 'ok');
    assert.ok(
      ok.some(
        (r) => r.user === 'alice' && r.protocol === 'postgres' && (r.roles as string[]).includes('analyst'),
      ),
    );
    assert.ok(
      ok.some((r) => r.user === 'carol' && r.protocol === 'http' && (r.roles as string[]).includes('eu')),
    );
    const refused = records.filter((r) => r.outcome === 'UNAUTHENTICATED');
    assert.ok(refused.some((r) => r.user === 'mallory' && r.protocol === 'postgres'));
    assert.ok(refused.some((r) => r.protocol === 'http' && /invalid API key/.test(String(r.error))));
    for (const r of records) {
      assert.match(String(r.queryId), /^[0-9a-f-]{36}$/);
      assert.match(String(r.clientAddress), /^127\.0\.0\.1:\d+$/);
    }
  });
});

describe('without users', { timeout: 60_000 }, () => {
  let fixture: DemoFixture;
  before(async () => {
    fixture = await demoFixture();
  });
  after(async () => {
    await fixture?.close();
  });

  it('refuses to listen on a non-loopback address, naming the key', async () => {
    await assert.rejects(
      startOperatorGateway(fixture, 'server:\n  http: { host: 0.0.0.0, port: 0 }\n'),
      /server\.http\.host: 0\.0\.0\.0 is not a loopback address, and no users are configured/,
    );
  });

  it('rejects plain passwords and malformed hashes in the config, naming the key', async () => {
    await assert.rejects(
      startOperatorGateway(fixture, 'users:\n  alice: { password: hunter2 }\n'),
      /users\.alice\.password: plain passwords are not accepted/,
    );
    await assert.rejects(
      startOperatorGateway(fixture, 'users:\n  alice: { password_hash: md5abc }\n'),
      /users\.alice\.password_hash: expected scrypt/,
    );
    await assert.rejects(
      startOperatorGateway(
        fixture,
        `users:\n${await userYaml('a', 'p')}\napi_keys:\n  k: { key_hash: "sha256$${'0'.repeat(64)}", user: nobody }\n`,
      ),
      /api_keys\.k\.user: no such user "nobody"/,
    );
    await assert.rejects(
      startOperatorGateway(fixture, 'limits: { query_timeout: soon }\n'),
      /limits\.query_timeout: expected a positive duration/,
    );
  });
});
