/**
 * No login oracle, and throttled failed logins, against real gateways
 * started by `startGateway` from YAML: node-postgres (plain and TLS), fetch
 * and node:http for HTTP, the gateway's FlightSqlClient for Flight.
 *
 * - Every failure reason (unknown user, wrong password, a TLS-only user in
 *   plaintext, password vs JWT, bad or expired tokens) gives byte-identical
 *   client-visible errors per protocol; the reason reaches the log only.
 * - The SCRAM exchange of an unknown user looks like a known user's, stable
 *   across attempts and across gateways sharing a config.
 * - An unknown user costs a password-hash verification too.
 * - Failed logins are throttled per (user, address) and per address, with
 *   backoff, counted in /metrics; a correct login after the backoff works,
 *   and other users and addresses are not affected.
 */
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Metadata, ServiceError } from '@grpc/grpc-js';
import pg from 'pg';
import { LoginThrottle } from '../src/auth/login-throttle.js';
import { generateApiKey, hashApiKey } from '../src/auth/password-hash.js';
import { parseConfig } from '../src/config/load-config.js';
import { FlightSqlClient } from '../src/flight/flight-client.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import {
  type OperatorGateway,
  selfSignedCertificate,
  startOperatorGateway,
  userYaml,
} from './operator-fixture.js';

/** A socket that connects from `localAddress`, so one machine can be several clients on loopback. */
function socketFrom(localAddress: string): () => Socket {
  return () => {
    const socket = new Socket();
    const connect = socket.connect.bind(socket) as (options: object) => Socket;
    (socket as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) =>
      connect({ port, host, localAddress });
    return socket;
  };
}

interface PgLogin {
  readonly user: string;
  readonly password: string;
  readonly tls?: boolean;
  readonly from?: string;
}

/** Every field node-postgres exposes of an ErrorResponse, with the user's name replaced, for comparing. */
function errorShape(error: unknown, user: string): Record<string, unknown> {
  const e = error as Record<string, unknown>;
  const out: Record<string, unknown> = { name: e.name };
  for (const key of Object.keys(e).sort()) {
    const value = e[key];
    if (key === 'length') out.length = (value as number) - Buffer.byteLength(user);
    else out[key] = typeof value === 'string' ? value.split(user).join('USER') : value;
  }
  out.message = String(e.message).split(user).join('USER');
  return out;
}

function jwt(
  privateKey: import('node:crypto').KeyObject,
  claims: Record<string, unknown>,
  alg = 'RS256',
): string {
  const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT', kid: 'k1' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const data = `${header}.${payload}`;
  return `${data}.${createSign('sha256').update(data).sign(privateKey).toString('base64url')}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One value of a counter in the Prometheus text. */
function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('login hardening', { timeout: 300_000 }, () => {
  let fixture: DemoFixture;
  let uniformYaml: string;
  let gw: OperatorGateway;
  let throttled: OperatorGateway;
  let apiKey: string;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  const goodClaims = { sub: 'carol', iss: 'https://idp.example', aud: 'spoke', exp: now + 600 };

  before(async () => {
    fixture = await demoFixture();
    const { certFile, keyFile } = await selfSignedCertificate(fixture.root);
    await writeFile(
      join(fixture.root, 'jwks.json'),
      JSON.stringify({ keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256' }] }),
    );
    apiKey = generateApiKey();
    const users = `users:
${await userYaml('alice', 'alice-pw', ['analyst'])}
${await userYaml('bob', 'bob-pw', [], false)}
${await userYaml('dave', 'dave-pw')}`;
    // Thresholds high enough that these tests' failures never trip them.
    uniformYaml = `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0, tls: { cert_file: ${JSON.stringify(certFile)}, key_file: ${JSON.stringify(keyFile)} } }
  flight: { host: 127.0.0.1, port: 0 }
${users}
api_keys:
  ci: { key_hash: "${hashApiKey(apiKey)}", user: alice }
auth:
  jwt: { jwks_file: jwks.json, issuer: https://idp.example, audience: spoke }
  login_throttle: { max_failures: 1000, max_failures_per_address: 100000 }`;
    gw = await startOperatorGateway(fixture, uniformYaml);
    throttled = await startOperatorGateway(
      fixture,
      `${users}
auth:
  login_throttle: { max_failures: 3, max_failures_per_address: 6, window: 1m, backoff: 1s, max_backoff: 2s }`,
    );
  });
  after(async () => {
    await gw?.close();
    await throttled?.close();
    await fixture?.close();
  });

  /** Logs in over the Postgres wire; resolves with the SCRAM messages seen, rejects with the server's error. */
  async function pgLogin(
    port: number,
    login: PgLogin,
  ): Promise<{ mechanisms: string[][]; serverFirst: string[]; ok: boolean }> {
    const seen = { mechanisms: [] as string[][], serverFirst: [] as string[] };
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: login.user,
      password: login.password,
      database: 'spoke',
      ...(login.tls ? { ssl: { rejectUnauthorized: false } } : {}),
      ...(login.from ? { stream: socketFrom(login.from) } : {}),
    });
    const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.on('authenticationSASL', (m: { mechanisms: string[] }) => seen.mechanisms.push(m.mechanisms));
    connection.on('authenticationSASLContinue', (m: { data: string }) => seen.serverFirst.push(m.data));
    try {
      await client.connect();
      const { rows } = await client.query('SELECT 1 AS one');
      assert.deepEqual(rows, [{ one: 1 }]);
      return { ...seen, ok: true };
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** The error a failing login gets. */
  async function pgFailure(port: number, login: PgLogin): Promise<Error & { code?: string }> {
    try {
      await pgLogin(port, login);
    } catch (error) {
      return error as Error & { code?: string };
    }
    assert.fail(`${login.user} logged in`);
  }

  describe('Postgres wire', () => {
    it('logs in: SCRAM without TLS; inside TLS every user (SCRAM or password-only) with the same method', async () => {
      assert.equal((await pgLogin(gw.pgPort, { user: 'alice', password: 'alice-pw' })).ok, true);
      for (const user of ['alice', 'bob']) {
        const seen = await pgLogin(gw.pgPort, { user, password: `${user}-pw`, tls: true });
        // A cleartext password inside TLS for both: asking only bob for one would tell he exists.
        assert.deepEqual(seen.mechanisms, []);
      }
    });

    it('every failure reason gets the same FATAL 28P01 ErrorResponse', async () => {
      const token = jwt(rsa.privateKey, goodClaims);
      const cases: [string, PgLogin][] = [
        ['unknown user', { user: 'mallory', password: 'x' }],
        ['wrong password', { user: 'alice', password: 'wrong' }],
        ['password-only user without TLS (right password)', { user: 'bob', password: 'bob-pw' }],
        ['password-only user without TLS (wrong password)', { user: 'bob', password: 'nope' }],
        ['a JWT-only identity with a password', { user: 'carol', password: 'x' }],
        ['a valid JWT as the password', { user: 'alice', password: token }],
        ['unknown user over TLS', { user: 'mallory', password: 'x', tls: true }],
        ['wrong password over TLS', { user: 'alice', password: 'wrong', tls: true }],
        ['password-only user, wrong password over TLS', { user: 'bob', password: 'nope', tls: true }],
      ];
      const shapes = [];
      for (const [why, login] of cases) {
        const error = await pgFailure(gw.pgPort, login);
        assert.equal(error.code, '28P01', why);
        assert.equal(error.message, `password authentication failed for user "${login.user}"`, why);
        shapes.push([why, errorShape(error, login.user)] as const);
      }
      for (const [why, shape] of shapes) assert.deepEqual(shape, shapes[0]![1], why);
      assert.equal(shapes[0]![1].severity, 'FATAL');
    });

    it('an unknown user’s SCRAM exchange looks like a known user’s: same iterations, salt length, stable salt', async () => {
      const exchange = async (user: string) => {
        const captured = { mechanisms: [] as string[][], serverFirst: [] as string[] };
        const client = new pg.Client({ host: '127.0.0.1', port: gw.pgPort, user, password: 'wrong' });
        const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
        connection.on('authenticationSASL', (m: { mechanisms: string[] }) =>
          captured.mechanisms.push(m.mechanisms),
        );
        connection.on('authenticationSASLContinue', (m: { data: string }) =>
          captured.serverFirst.push(m.data),
        );
        await assert.rejects(client.connect(), { code: '28P01' });
        await client.end().catch(() => {});
        assert.equal(captured.serverFirst.length, 1, `${user} got a server-first message`);
        const attrs = Object.fromEntries(
          captured.serverFirst[0]!.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as const),
        );
        return {
          mechanisms: captured.mechanisms,
          salt: attrs.s!,
          saltBytes: Buffer.from(attrs.s!, 'base64').length,
          iterations: attrs.i!,
          keys: Object.keys(attrs).join(','),
          nonceLength: attrs.r!.length,
        };
      };
      const known = await exchange('alice');
      const knownAgain = await exchange('alice');
      assert.equal(known.salt, knownAgain.salt);
      const unknown = await exchange('mallory');
      const unknownAgain = await exchange('mallory');
      const passwordOnly = await exchange('bob');
      const otherUnknown = await exchange('mallory2');
      for (const mock of [unknown, passwordOnly, otherUnknown]) {
        assert.deepEqual(mock.mechanisms, known.mechanisms);
        assert.equal(mock.iterations, known.iterations);
        assert.equal(mock.saltBytes, known.saltBytes);
        assert.equal(mock.keys, known.keys);
        assert.equal(mock.nonceLength, known.nonceLength);
      }
      assert.equal(known.iterations, '4096');
      assert.equal(unknown.salt, unknownAgain.salt, 'stable across attempts');
      assert.notEqual(unknown.salt, otherUnknown.salt, 'per user, like a real salt');
      assert.notEqual(unknown.salt, known.salt);

      // A replica (or a restart) on the same config gives the same salt: it does not change under the prober.
      const replica = await startOperatorGateway(
        fixture,
        uniformYaml.replace(/ {2}http: .*\n/, '').replace(/ {2}flight: .*\n/, ''),
      );
      try {
        const client = new pg.Client({
          host: '127.0.0.1',
          port: replica.pgPort,
          user: 'mallory',
          password: 'x',
        });
        const serverFirst: string[] = [];
        (client as unknown as { connection: NodeJS.EventEmitter }).connection.on(
          'authenticationSASLContinue',
          (m: { data: string }) => serverFirst.push(m.data),
        );
        await assert.rejects(client.connect(), { code: '28P01' });
        await client.end().catch(() => {});
        assert.equal(/s=([^,]+)/.exec(serverFirst[0]!)?.[1], unknown.salt);
      } finally {
        await replica.close();
      }
    });

    it('the real reasons go to the log, never to the client', () => {
      const text = gw.logs.join('\n');
      assert.match(text, /login failed: no user \\"mallory\\"/);
      assert.match(text, /login failed: wrong password for user \\"alice\\"/);
      assert.match(
        text,
        /login failed: user \\"bob\\" has no scram_sha_256 verifier: it can log in only over TLS/,
      );
    });
  });

  describe('HTTP', () => {
    async function post(authorization: string | undefined) {
      const res = await fetch(`${gw.url}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ sql: 'SELECT 1 AS one' }),
        signal: AbortSignal.timeout(30_000),
      });
      return {
        status: res.status,
        body: await res.text(),
        type: res.headers.get('content-type'),
        challenge: res.headers.get('www-authenticate'),
      };
    }
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

    it('every failure reason gets the same 401 response, byte for byte', async () => {
      const token = jwt(rsa.privateKey, goodClaims);
      const cases: [string, string][] = [
        ['unknown user', basic('mallory', 'x')],
        ['wrong password', basic('alice', 'wrong')],
        ['a JWT-only identity with a password', basic('carol', 'x')],
        ['a valid JWT as a basic password', basic('alice', token)],
        ['basic credentials without a colon', `Basic ${Buffer.from('alice').toString('base64')}`],
        ['invalid API key', 'Bearer spoke_not-a-key'],
        ['a password as a bearer token', 'Bearer alice-pw'],
        ['expired JWT', `Bearer ${jwt(rsa.privateKey, { ...goodClaims, exp: now - 3600 })}`],
        ['wrong issuer', `Bearer ${jwt(rsa.privateKey, { ...goodClaims, iss: 'https://evil.example' })}`],
        [
          'bad signature',
          `Bearer ${jwt(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, goodClaims)}`,
        ],
        [
          'unaccepted algorithm',
          `Bearer ${token.replace(/^[^.]+/, Buffer.from('{"alg":"none"}').toString('base64url'))}`,
        ],
      ];
      const answers = [];
      for (const [why, authorization] of cases) answers.push([why, await post(authorization)] as const);
      for (const [why, answer] of answers) {
        assert.equal(answer.status, 401, why);
        assert.deepEqual(answer, answers[0]![1], why);
      }
      assert.deepEqual(JSON.parse(answers[0]![1].body), {
        error: {
          code: 'UNAUTHENTICATED',
          message: 'authentication failed: wrong credentials, or too many failed attempts (wait, then retry)',
        },
      });
      // The right credentials of every kind still work.
      for (const authorization of [
        basic('alice', 'alice-pw'),
        basic('bob', 'bob-pw'),
        `Bearer ${apiKey}`,
        `Bearer ${token}`,
      ])
        assert.equal((await post(authorization)).status, 200);
    });

    it('an unknown user costs a password-hash verification, as a wrong password does', async () => {
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 7; i++) {
        for (const [user, times] of [
          ['nobody', unknown],
          ['alice', wrong],
        ] as const) {
          const started = performance.now();
          assert.equal((await post(basic(user, `guess-${i}`))).status, 401);
          times.push(performance.now() - started);
        }
      }
      // scrypt (N=16384) takes tens of milliseconds; answering without it takes about one.
      assert.ok(
        median(unknown) > median(wrong) * 0.5,
        `unknown user ${median(unknown).toFixed(1)} ms vs wrong password ${median(wrong).toFixed(1)} ms`,
      );
    });
  });

  describe('Flight', () => {
    function flightClient(): FlightSqlClient {
      return new FlightSqlClient(`127.0.0.1:${gw.gateway.flight!.port}`);
    }
    function failure(error: unknown) {
      const e = error as ServiceError & { metadata: Metadata };
      return { code: e.code, details: e.details, spokeCode: e.metadata?.get('x-spoke-error-code') };
    }

    it('every failure reason gets the same UNAUTHENTICATED status and text', async () => {
      const token = jwt(rsa.privateKey, goodClaims);
      const cases: [string, (c: FlightSqlClient) => Promise<unknown>][] = [
        ['unknown user', (c) => c.handshake('mallory', 'x')],
        ['wrong password', (c) => c.handshake('alice', 'wrong')],
        ['wrong password (BasicAuth payload)', (c) => c.handshake('alice', 'wrong', 'payload')],
        ['a JWT-only identity with a password', (c) => c.handshake('carol', 'x')],
        ['a valid JWT as the password', (c) => c.handshake('alice', token)],
        [
          'invalid API key',
          (c) => {
            c.token = 'spoke_not-a-key';
            return c.execute('SELECT 1');
          },
        ],
        [
          'expired JWT',
          (c) => {
            c.token = jwt(rsa.privateKey, { ...goodClaims, exp: now - 3600 });
            return c.execute('SELECT 1');
          },
        ],
      ];
      const answers: (readonly [string, ReturnType<typeof failure>])[] = [];
      for (const [why, call] of cases) {
        const client = flightClient();
        try {
          await call(client).then(
            () => assert.fail(`${why}: accepted`),
            (error: unknown) => answers.push([why, failure(error)] as const),
          );
        } finally {
          client.close();
        }
      }
      for (const [why, answer] of answers) assert.deepEqual(answer, answers[0]![1], why);
      assert.equal(answers[0]![1].code, 16); // UNAUTHENTICATED
      assert.equal(
        answers[0]![1].details,
        'authentication failed: wrong credentials, or too many failed attempts (wait, then retry)',
      );
      assert.deepEqual(answers[0]![1].spokeCode, ['UNAUTHENTICATED']);
      // The right ones work, and the failures were counted for Flight.
      const client = flightClient();
      try {
        await client.handshake('alice', 'alice-pw');
        assert.equal((await client.execute('SELECT 1 AS one')).numRows, 1);
      } finally {
        client.close();
      }
      assert.ok(gw.services.service.metrics.authFailures.get({ protocol: 'flight' }) >= cases.length);
    });
  });

  describe('throttling', () => {
    const metrics = async () => {
      const res = await fetch(`${throttled.url}/metrics`, {
        headers: { authorization: `Basic ${Buffer.from('dave:dave-pw').toString('base64')}` },
      });
      assert.equal(res.status, 200);
      return res.text();
    };
    const throttledCount = async (protocol: string) =>
      counter(await metrics(), 'spoke_login_throttled_total', `protocol="${protocol}"`);
    const logged = (pattern: RegExp) => throttled.logs.filter((l) => pattern.test(l)).length;

    it('refuses a user from an address after max_failures, even with the right password, the same way; others are not affected', async () => {
      const port = throttled.pgPort;
      const before = await throttledCount('postgres');
      const wrong = await pgFailure(port, { user: 'alice', password: 'wrong', from: '127.0.0.2' });
      for (let i = 0; i < 2; i++)
        await pgFailure(port, { user: 'alice', password: 'wrong', from: '127.0.0.2' });
      // The third failure started a 1 s backoff: the right password is refused, with the same error.
      const refused = await pgFailure(port, { user: 'alice', password: 'alice-pw', from: '127.0.0.2' });
      assert.deepEqual(errorShape(refused, 'alice'), errorShape(wrong, 'alice'));
      assert.equal(await throttledCount('postgres'), before + 1);
      assert.ok(logged(/throttled: too many failed logins for user \\"alice\\" from 127\.0\.0\.2/) >= 1);
      // Another user from that address, and the same user from another address, log in.
      assert.equal((await pgLogin(port, { user: 'dave', password: 'dave-pw', from: '127.0.0.2' })).ok, true);
      assert.equal(
        (await pgLogin(port, { user: 'alice', password: 'alice-pw', from: '127.0.0.3' })).ok,
        true,
      );
      // After the backoff the right password works, and the success starts the count over.
      await new Promise((resolve) => setTimeout(resolve, 1300));
      assert.equal(
        (await pgLogin(port, { user: 'alice', password: 'alice-pw', from: '127.0.0.2' })).ok,
        true,
      );
      await pgFailure(port, { user: 'alice', password: 'wrong', from: '127.0.0.2' });
      assert.equal(
        (await pgLogin(port, { user: 'alice', password: 'alice-pw', from: '127.0.0.2' })).ok,
        true,
      );
    });

    it('refuses an address after max_failures_per_address across users; other addresses log in', async () => {
      const port = throttled.pgPort;
      const before = await throttledCount('postgres');
      for (let i = 0; i < 6; i++)
        await pgFailure(port, { user: `ghost${i}`, password: 'x', from: '127.0.0.4' });
      const refused = await pgFailure(port, { user: 'dave', password: 'dave-pw', from: '127.0.0.4' });
      assert.equal(refused.message, 'password authentication failed for user "dave"');
      assert.equal(refused.code, '28P01');
      assert.equal(await throttledCount('postgres'), before + 1);
      assert.equal((await pgLogin(port, { user: 'dave', password: 'dave-pw', from: '127.0.0.5' })).ok, true);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      assert.equal((await pgLogin(port, { user: 'dave', password: 'dave-pw', from: '127.0.0.4' })).ok, true);
    });

    it('checks one attempt at a time once throttled, so parallel connections do not multiply guesses', async () => {
      const port = throttled.pgPort;
      for (let i = 0; i < 3; i++)
        await pgFailure(port, { user: 'alice', password: 'wrong', from: '127.0.0.6' });
      await new Promise((resolve) => setTimeout(resolve, 1300));
      const checked = () => logged(/wrong password for user \\"alice\\"/);
      const before = checked();
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () =>
          pgLogin(port, { user: 'alice', password: 'wrong', from: '127.0.0.6' }),
        ),
      );
      assert.ok(results.every((r) => r.status === 'rejected'));
      assert.equal(checked() - before, 1, 'one of six parallel attempts was checked');
    });

    it('throttles HTTP logins the same way, with the uniform 401', async () => {
      const before = await throttledCount('http');
      const post = (password: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request(
            `${throttled.url}/v1/query`,
            {
              method: 'POST',
              localAddress: '127.0.0.7',
              headers: {
                'content-type': 'application/json',
                authorization: `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`,
              },
            },
            (res) => {
              let body = '';
              res.on('data', (c: Buffer) => {
                body += c;
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify({ sql: 'SELECT 1 AS one' }));
        });
      const wrong = await post('wrong');
      await post('wrong');
      await post('wrong');
      assert.deepEqual(await post('alice-pw'), wrong);
      assert.equal(wrong.status, 401);
      assert.equal(await throttledCount('http'), before + 1);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      assert.equal((await post('alice-pw')).status, 200);
    });

    it('counts throttled attempts as authentication failures too', async () => {
      const text = await metrics();
      assert.ok(
        counter(text, 'spoke_authentication_failures_total', 'protocol="postgres"') >=
          counter(text, 'spoke_login_throttled_total', 'protocol="postgres"') + 14,
      );
    });
  });
});

describe('login throttling: config and memory', () => {
  const parse = (auth: string) =>
    parseConfig(`auth:\n${auth}\nsources: { x: { connector: duckdb } }\n`, '/tmp');

  it('reads auth.login_throttle with defaults, false to turn it off, and names the key of a bad value', () => {
    assert.deepEqual(parse('  login_throttle: { max_failures: 3, window: 10m }').auth?.loginThrottle, {
      maxFailures: 3,
      maxFailuresPerAddress: 50,
      windowMs: 600_000,
      backoffMs: 1000,
      maxBackoffMs: 60_000,
    });
    assert.equal(parse('  login_throttle: false').auth?.loginThrottle, false);
    assert.throws(
      () => parse('  login_throttle: { max_failures: 0 }'),
      /auth\.login_throttle\.max_failures: expected an integer from 1/,
    );
    assert.throws(
      () => parse('  login_throttle: { window: soon }'),
      /auth\.login_throttle\.window: expected a positive duration/,
    );
    assert.throws(
      () => parse('  login_throttle: { backoff: 2m, max_backoff: 1m }'),
      /auth\.login_throttle\.backoff: backoff \(120000 ms\) must not be longer than max_backoff/,
    );
    assert.throws(
      () => parse('  login_throttle: { max_failure: 3 }'),
      /auth\.login_throttle\.max_failure: unknown key/,
    );
  });

  it('keeps at most maxEntries keys of each kind, however many addresses fail', () => {
    let clock = 0;
    const throttle = new LoginThrottle(
      {
        maxFailures: 2,
        maxFailuresPerAddress: 1000,
        windowMs: 60_000,
        backoffMs: 1000,
        maxBackoffMs: 8000,
        maxEntries: 100,
      },
      () => clock,
    );
    for (let i = 0; i < 5000; i++) {
      const ticket = throttle.admit(`user${i}`, `10.0.${i >> 8}.${i & 255}`);
      assert.ok('failed' in ticket);
      ticket.failed();
      clock++;
    }
    assert.ok(throttle.size <= 200, `holds ${throttle.size} keys`);
    // Backoff doubles from 1 s and stops at max_backoff.
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const ticket = throttle.admit('eve', '10.9.9.9');
      if ('failed' in ticket) ticket.failed();
      const refused = throttle.admit('eve', '10.9.9.9');
      assert.ok(!('failed' in refused) || i < 1);
      waits.push('retryAfterMs' in refused ? refused.retryAfterMs : 0);
      clock += waits.at(-1)!;
    }
    assert.deepEqual(waits, [0, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
  });
});
