/**
 * Reliability of a running `spoke serve` (the built CLI as a child process,
 * on loopback, with users, API keys and limits configured) over a real
 * PostgreSQL source:
 *
 * - load: concurrent node-postgres (SCRAM) and HTTP (API key) clients run a
 *   mixed query set; zero errors, every answer equal to PostgreSQL's own,
 *   RSS flat; then the same queries straight to PostgreSQL for comparison
 *   (throughput, p50, p99 printed side by side);
 * - faults: the source killed mid-query (clear error, the gateway keeps
 *   serving, the pool recovers when it returns); clients that disconnect
 *   mid-stream, and a Postgres CancelRequest — each source query verified
 *   gone from pg_stat_activity;
 * - bad input: malformed and enormous SQL, garbage bytes on every port,
 *   invalid UTF-8, unknown types, wrong passwords — each a clear error, never a crash;
 * - no leaks: many queries with RSS flat.
 *
 * Sizes are small by default so `npm test` stays short; the full run:
 * `SPOKE_LOAD_SECONDS=60 SPOKE_LOAD_CLIENTS=50 SPOKE_LEAK_QUERIES=10000`.
 * The same load straight to PostgreSQL, for comparison, runs with
 * `SPOKE_LOAD_BASELINE=1` or when `SPOKE_LOAD_SECONDS` is set (it asserts
 * nothing of Spoke's; bench/throughput.ts is the measurement).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashApiKey, hashPasswordScrypt, scramVerifierFor } from '@spoke/gateway';
import pg from 'pg';
import { type PostgresServer, startPostgres } from '../harness/index.js';

const LOAD_SECONDS = Number(process.env.SPOKE_LOAD_SECONDS ?? 10);
const LOAD_CLIENTS = Number(process.env.SPOKE_LOAD_CLIENTS ?? 20);
/** Whether the load also runs straight to PostgreSQL, for the report: LOAD_SECONDS more of full CPU. */
const LOAD_BASELINE = process.env.SPOKE_LOAD_BASELINE === '1' || process.env.SPOKE_LOAD_SECONDS !== undefined;
// Enough queries to pass the allocator's and V8's warm-up: since per-query Arrow buffers start small, garbage
// collection runs less often and RSS ramps for ~2,500 queries before it levels off (measured: 8,000 queries
// stay within 225–250 MB), so the first half is warm-up and the second half must stay flat.
/**
 * Queries of the leak test; RSS is judged over the second half. The first half is the warm-up: after the rest
 * of this file, the heap still grows in steps for a few thousand queries before it settles (16,000 queries:
 * 256 → 326 MB, flat over the last 3,000), and 4,000 left CI judging a heap still sizing itself.
 */
const LEAK_QUERIES = Number(process.env.SPOKE_LEAK_QUERIES ?? 8000);
/** RSS growth over the second half of the leak run that fails it. */
const LEAK_LIMIT = 48 * 2 ** 20;

const PASSWORD = 'load-test-pw';
const API_KEY = `spoke_${randomBytes(24).toString('base64url')}`;
const SPOKE_BIN = join(
  dirname(fileURLToPath(import.meta.resolve('@spoke/gateway/package.json'))),
  'bin',
  'spoke.js',
);

// ── the source ──────────────────────────────────────────────────────────────

const PG_SETUP = [
  `CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name,
     (ARRAY['EMEA','AMER','APAC','LATAM'])[1 + i % 4] AS region FROM generate_series(1, 1000) AS t(i)`,
  'ALTER TABLE customers ADD PRIMARY KEY (id)',
  `CREATE TABLE orders AS SELECT i AS id, 1 + (i * 7919) % 1000 AS customer_id,
     CAST(((i * 37) % 100000) / 100.0 AS NUMERIC(12,2)) AS amount,
     (ARRAY['new','paid','shipped'])[1 + i % 3] AS status FROM generate_series(1, 200000) AS t(i)`,
  'ALTER TABLE orders ADD PRIMARY KEY (id)',
  'CREATE INDEX ON orders (customer_id)',
  // Streams for as long as anyone reads: for disconnects mid-stream.
  // (A cross join, which PostgreSQL streams; a big generate_series would be materialized first.)
  `CREATE VIEW endless AS SELECT a.id AS n, md5(b.id::text) AS h FROM orders a CROSS JOIN orders b`,
  // Sleeps inside PostgreSQL: for CancelRequest.
  `CREATE VIEW sleepy AS SELECT pg_sleep(120)::text AS s`,
  'ANALYZE',
];

/** The mixed query set: SQL through Spoke (`pg.public.x`) and its parameters. */
interface Workload {
  readonly name: string;
  readonly sql: string;
  params(i: number): number[];
}

const WORKLOAD: readonly Workload[] = [
  {
    name: 'point',
    sql: 'SELECT id, name, region FROM pg.public.customers WHERE id = $1',
    params: (i) => [1 + (i % 1000)],
  },
  {
    name: 'aggregate',
    sql: 'SELECT status, count(*) AS n, sum(amount) AS total FROM pg.public.orders WHERE customer_id = $1 GROUP BY status ORDER BY status',
    params: (i) => [1 + ((i * 13) % 1000)],
  },
  {
    name: 'join',
    sql: 'SELECT c.region, count(*) AS n, sum(o.amount) AS total FROM pg.public.orders o JOIN pg.public.customers c ON c.id = o.customer_id WHERE o.customer_id BETWEEN $1 AND $2 GROUP BY c.region ORDER BY c.region',
    params: (i) => [1 + ((i * 17) % 990), 10 + ((i * 17) % 990)],
  },
  {
    name: 'rows',
    sql: 'SELECT id, amount, status FROM pg.public.orders WHERE customer_id = $1 ORDER BY id',
    params: (i) => [1 + ((i * 31) % 1000)],
  },
];

/** Parameter sets per query (answers are checked against PostgreSQL's for each). */
const VARIANTS = 40;

function direct(sql: string): string {
  return sql.replaceAll('pg.public.', 'public.');
}

/** A value as both paths agree on it: numbers (and numeric strings) by value, the rest as text. */
function canonical(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(Number(value));
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return String(Number(value));
  return String(value);
}

function canonicalRows(rows: readonly (readonly unknown[])[]): string {
  return JSON.stringify(rows.map((r) => r.map(canonical)));
}

// ── the gateway ─────────────────────────────────────────────────────────────

interface Gateway {
  readonly child: ChildProcess;
  readonly url: string;
  readonly pgPort: number;
  readonly flightPort?: number;
  stderr(): string;
  rss(): number;
  stop(): Promise<void>;
}

async function startSpoke(dir: string, pgUrl: string): Promise<Gateway> {
  // One process (server.workers: 1): the leak tests judge the RSS of the process that runs the queries.
  const config = join(dir, 'spoke.yaml');
  writeFileSync(
    config,
    `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
  workers: 1
users:
  loader:
    password_hash: "${await hashPasswordScrypt(PASSWORD)}"
    scram_sha_256: "${await scramVerifierFor(PASSWORD)}"
    roles: [admin]
api_keys:
  load: { key_hash: "${hashApiKey(API_KEY)}", user: loader }
limits: { query_timeout: 60s, max_concurrent_queries: 200, queue_timeout: 30s }
audit: { path: audit.jsonl }
logging: { level: warn }
sources:
  pg: { connector: postgres, url: "${pgUrl}", poolSize: 20 }
`,
  );
  const child = spawn(process.execPath, [SPOKE_BIN, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c;
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c;
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 60 s: ${out} ${err}`)), 60_000);
    const check = () => {
      if (out.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`spoke serve exited with ${code}: ${err}`)));
  });
  const url = /HTTP\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  const pgPort = Number(/Postgres\s+postgresql:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  const flight = /Flight\s+\S*?:(\d+)/.exec(out);
  return {
    child,
    url,
    pgPort,
    ...(flight ? { flightPort: Number(flight[1]) } : {}),
    stderr: () => err,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function spokeClient(gw: Gateway): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port: gw.pgPort,
    user: 'loader',
    password: PASSWORD,
    database: 'spoke',
    statement_timeout: 0,
  });
}

async function httpQuery(gw: Gateway, sql: string, params: unknown[] = [], signal?: AbortSignal) {
  const res = await fetch(`${gw.url}/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ sql, params }),
    signal: signal ?? AbortSignal.timeout(60_000),
  });
  return res;
}

/** Whether the gateway is alive and answering on both protocols. */
async function assertServing(gw: Gateway): Promise<void> {
  assert.equal(gw.child.exitCode, null, `spoke exited: ${gw.stderr()}`);
  assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
  const client = spokeClient(gw);
  await client.connect();
  try {
    assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM pg.public.customers')).rows, [
      { n: 1000 },
    ]);
  } finally {
    await client.end();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

// ── a minimal Postgres wire client, for messages drivers never send ─────────

/** Opens a raw connection and logs in with SCRAM-SHA-256; returns the socket and a reader of backend messages. */
async function rawLogin(
  port: number,
  user: string,
  password: string,
): Promise<{ socket: Socket; next: () => Promise<{ type: string; body: Buffer }> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let buffered = Buffer.alloc(0);
  const waiting: (() => void)[] = [];
  socket.on('data', (c: Buffer) => {
    buffered = Buffer.concat([buffered, c]);
    for (const w of waiting.splice(0)) w();
  });
  socket.on('close', () => {
    for (const w of waiting.splice(0)) w();
  });
  const next = async (): Promise<{ type: string; body: Buffer }> => {
    const deadline = Date.now() + 15_000;
    while (buffered.length < 5 || buffered.length < 1 + buffered.readInt32BE(1)) {
      if (socket.destroyed && buffered.length < 5) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('no message in 15 s');
      await new Promise<void>((r) => {
        waiting.push(r);
        setTimeout(r, 200);
      });
    }
    const length = buffered.readInt32BE(1);
    const message = { type: String.fromCharCode(buffered[0]!), body: buffered.subarray(5, 1 + length) };
    buffered = buffered.subarray(1 + length);
    return message;
  };
  const params = Buffer.from(`user\0${user}\0database\0spoke\0\0`);
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length);
  startup.writeInt32BE(196608, 4);
  params.copy(startup, 8);
  socket.write(startup);
  const sasl = await next();
  assert.equal(sasl.body.readInt32BE(0), 10);
  const nonce = randomBytes(18).toString('base64');
  const clientFirstBare = `n=*,r=${nonce}`;
  const first = Buffer.from(`n,,${clientFirstBare}`);
  const mech = Buffer.from('SCRAM-SHA-256\0');
  socket.write(message('p', Buffer.concat([mech, int32(first.length), first])));
  const cont = await next();
  const serverFirst = cont.body.subarray(4).toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.r}`;
  const signature = createHmac('sha256', storedKey)
    .update(`${clientFirstBare},${serverFirst},${withoutProof}`)
    .digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
  socket.write(message('p', Buffer.from(`${withoutProof},p=${proof}`)));
  for (;;) {
    const m = await next();
    if (m.type === 'E') throw new Error(`login failed: ${m.body.toString()}`);
    if (m.type === 'Z') break;
  }
  return { socket, next };
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

/** Reads until ReadyForQuery; returns the ErrorResponse's fields, if one came. */
async function untilReady(
  next: () => Promise<{ type: string; body: Buffer }>,
): Promise<Record<string, string> | undefined> {
  let error: Record<string, string> | undefined;
  for (;;) {
    const m = await next();
    if (m.type === 'E') {
      error = {};
      for (const field of m.body.toString('utf8').split('\0')) if (field) error[field[0]!] = field.slice(1);
    }
    if (m.type === 'Z') return error;
  }
}

// ── the suites ──────────────────────────────────────────────────────────────

let source: PostgresServer;
let dir: string;
let gw: Gateway;
let admin: pg.Client;

/** Queries of the source still running (other than our own look-up), whose text contains `marker`. */
async function activeOnSource(marker: string): Promise<number> {
  const { rows } = await admin.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query ILIKE $1`,
    [`%${marker}%`],
  );
  return rows[0].n as number;
}

async function waitUntil(what: string, condition: () => Promise<boolean>, ms = 20_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  source = await startPostgres({ settings: { max_connections: String(LOAD_CLIENTS + 60) } });
  for (const sql of PG_SETUP) source.psql(sql);
  dir = mkdtempSync(join(tmpdir(), 'spoke-reliability-'));
  gw = await startSpoke(dir, source.url);
  admin = new pg.Client({ connectionString: source.url });
  await admin.connect();
});

after(async () => {
  await admin?.end().catch(() => {});
  await gw?.stop();
  await source?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('load', { timeout: (LOAD_SECONDS * 2 + 180) * 1000 }, () => {
  test(`${LOAD_CLIENTS} clients (node-postgres and HTTP) for ${LOAD_SECONDS} s: zero errors, correct answers, flat memory`, async (t) => {
    // Expected answers, from PostgreSQL itself.
    const expected = new Map<string, string>();
    for (const w of WORKLOAD)
      for (let v = 0; v < VARIANTS; v++) {
        const { rows } = await admin.query({ text: direct(w.sql), values: w.params(v), rowMode: 'array' });
        expected.set(`${w.name}/${v}`, canonicalRows(rows));
      }

    type Result = { latencies: number[]; errors: string[]; wrong: string[]; count: number };
    async function drive(
      clients: number,
      seconds: number,
      kind: (i: number) => 'spoke-pg' | 'spoke-http' | 'direct',
    ): Promise<Map<string, Result>> {
      const results = new Map<string, Result>();
      const deadline = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          const k = kind(c);
          const r = results.get(k) ?? { latencies: [], errors: [], wrong: [], count: 0 };
          results.set(k, r);
          let client: pg.Client | undefined;
          if (k !== 'spoke-http') {
            client = k === 'direct' ? new pg.Client({ connectionString: source.url }) : spokeClient(gw);
            await client.connect();
          }
          try {
            for (let i = c * 7; performance.now() < deadline; i++) {
              const w = WORKLOAD[i % WORKLOAD.length]!;
              const v = (i * 11 + c) % VARIANTS;
              const started = performance.now();
              try {
                let rows: unknown[][];
                if (k === 'spoke-http') {
                  const res = await httpQuery(gw, w.sql, w.params(v));
                  const body = (await res.json()) as {
                    rows?: unknown[][];
                    error?: { code: string; message: string };
                  };
                  if (res.status !== 200 || body.error)
                    throw new Error(`${res.status} ${JSON.stringify(body.error)}`);
                  rows = body.rows!;
                } else {
                  rows = (
                    await client!.query({
                      text: k === 'direct' ? direct(w.sql) : w.sql,
                      values: w.params(v),
                      rowMode: 'array',
                    })
                  ).rows;
                }
                r.latencies.push(performance.now() - started);
                r.count++;
                if (canonicalRows(rows) !== expected.get(`${w.name}/${v}`)) r.wrong.push(`${w.name}/${v}`);
              } catch (error) {
                r.errors.push(`${w.name}: ${(error as Error).message}`);
              }
            }
          } finally {
            await client?.end();
          }
        }),
      );
      return results;
    }

    // Memory is sampled through the run; "flat" compares the end with the state after warm-up.
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(gw.rss()), 500);
    const runStart = performance.now();
    const through = await drive(LOAD_CLIENTS, LOAD_SECONDS, (c) => (c % 2 === 0 ? 'spoke-pg' : 'spoke-http'));
    const spokeSeconds = (performance.now() - runStart) / 1000;
    clearInterval(sampler);
    const baselineStart = performance.now();
    const baseline = LOAD_BASELINE ? await drive(LOAD_CLIENTS, LOAD_SECONDS, () => 'direct') : undefined;
    const directSeconds = (performance.now() - baselineStart) / 1000;

    const report = (name: string, results: Result[], seconds: number) => {
      const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const count = results.reduce((n, r) => n + r.count, 0);
      return `${name.padEnd(26)} ${String(count).padStart(7)} queries  ${(count / seconds).toFixed(0).padStart(6)} q/s  p50 ${percentile(latencies, 50).toFixed(2).padStart(7)} ms  p99 ${percentile(latencies, 99).toFixed(2).padStart(7)} ms`;
    };
    const all = [...through.values()];
    const warm = samples.slice(Math.floor(samples.length * 0.3), Math.floor(samples.length * 0.4) + 1);
    const end = samples.slice(-3);
    const lines = [
      `load: ${LOAD_CLIENTS} clients, ${LOAD_SECONDS} s, mixed set (${WORKLOAD.map((w) => w.name).join(', ')})`,
      report('spoke (all)', all, spokeSeconds),
      report('spoke, node-postgres', [through.get('spoke-pg')!], spokeSeconds),
      report('spoke, HTTP', [through.get('spoke-http')!], spokeSeconds),
      baseline
        ? report('PostgreSQL direct (pg)', [baseline.get('direct')!], directSeconds)
        : 'PostgreSQL direct (pg): not run (SPOKE_LOAD_BASELINE=1 runs it)',
      `spoke RSS: after warm-up ${(median(warm) / 2 ** 20).toFixed(0)} MB, at the end ${(median(end) / 2 ** 20).toFixed(0)} MB, peak ${(Math.max(...samples) / 2 ** 20).toFixed(0)} MB`,
    ];
    for (const line of lines) t.diagnostic(line);
    process.stderr.write(`${lines.join('\n')}\n`);

    const errors = all.flatMap((r) => r.errors);
    const wrong = all.flatMap((r) => r.wrong);
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} errors`);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} wrong answers`);
    if (baseline) assert.deepEqual(baseline.get('direct')!.errors.slice(0, 5), []);
    assert.ok(all.reduce((n, r) => n + r.count, 0) > LOAD_CLIENTS * 5, 'the load ran');
    // Flat: the end of the run within 25% (and 64 MB) of the state after warm-up.
    const growth = median(end) - median(warm);
    assert.ok(
      growth < Math.max(64 * 2 ** 20, median(warm) * 0.25),
      `RSS grew by ${(growth / 2 ** 20).toFixed(0)} MB`,
    );
    await assertServing(gw);
  });
});

describe('faults', { timeout: 180_000 }, () => {
  test('/metrics carries what each source reports about itself (the PostgreSQL pool)', async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const text = await res.text();
    const pool = /^spoke_source_metric\{[^}]*name="pool_connections"[^}]*\} (\d+)/m.exec(text);
    assert.ok(pool, `no pool gauge in /metrics:\n${text.slice(0, 2000)}`);
    assert.ok(Number(pool[1]) >= 1);
    assert.match(text, /spoke_source_metric\{[^}]*source="pg"[^}]*name="pool_idle_connections"/);
  });

  test('a client that disconnects mid-stream cancels the source query (HTTP and Postgres wire)', async () => {
    // HTTP: read the first rows, then go away.
    const controller = new AbortController();
    const res = await httpQuery(gw, 'SELECT n, h FROM pg.public.endless', [], controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    assert.ok((await activeOnSource('endless')) >= 1, 'the source query runs');
    controller.abort();
    const http = await waitUntil(
      'HTTP disconnect reaches PostgreSQL',
      async () => (await activeOnSource('endless')) === 0,
    );

    // Postgres wire: the socket closes while rows stream.
    const client = spokeClient(gw);
    await client.connect();
    client.on('error', () => {});
    const running = client.query('SELECT n, h FROM pg.public.endless').catch(() => {});
    await waitUntil('the wire query reaches PostgreSQL', async () => (await activeOnSource('endless')) >= 1);
    (client as unknown as { connection: { stream: Socket } }).connection.stream.destroy();
    await running;
    const wire = await waitUntil(
      'wire disconnect reaches PostgreSQL',
      async () => (await activeOnSource('endless')) === 0,
    );
    process.stderr.write(
      `faults: source query gone ${http} ms after the HTTP client left, ${wire} ms after the wire client\n`,
    );
    await assertServing(gw);
  });

  test('a Postgres CancelRequest and DELETE /v1/queries/{id} reach the source', async () => {
    const client = spokeClient(gw);
    await client.connect();
    try {
      const query = client.query('SELECT s FROM pg.public.sleepy');
      await waitUntil('the sleep reaches PostgreSQL', async () => (await activeOnSource('sleepy')) >= 1);
      const cancel = connect(gw.pgPort, '127.0.0.1');
      await once(cancel, 'connect');
      const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
      cancel.end(Buffer.concat([int32(16), int32(80877102), int32(processID), int32(secretKey)]));
      await assert.rejects(query, (error: Error & { code?: string }) => error.code === '57014');
      await waitUntil('CancelRequest reaches PostgreSQL', async () => (await activeOnSource('sleepy')) === 0);
      assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    } finally {
      await client.end();
    }

    const pending = httpQuery(gw, 'SELECT s FROM pg.public.sleepy');
    await waitUntil('the sleep reaches PostgreSQL', async () => (await activeOnSource('sleepy')) >= 1);
    const list = (await (
      await fetch(`${gw.url}/v1/queries`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).json()) as { queries: { queryId: string; sql: string }[] };
    const id = list.queries.find((q) => q.sql.includes('sleepy'))!.queryId;
    const deleted = await fetch(`${gw.url}/v1/queries/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    assert.equal(deleted.status, 200);
    const res = await pending;
    assert.equal(res.status, 499);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /cancelled by loader/);
    await waitUntil('DELETE reaches PostgreSQL', async () => (await activeOnSource('sleepy')) === 0);
  });

  test('the source killed mid-query: a clear error, the gateway keeps serving, the pool recovers', async () => {
    const client = spokeClient(gw);
    await client.connect();
    client.on('error', () => {});
    const controller = new AbortController();
    const res = await httpQuery(gw, 'SELECT n, h FROM pg.public.endless', [], controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    // The client keeps reading, so the gateway is reading from the source when it dies.
    let text = '';
    let readError: unknown;
    const drained = (async () => {
      for (;;) {
        const { done, value } = await reader.read().catch((error: unknown) => {
          readError = error;
          return { done: true, value: undefined };
        });
        if (done) return;
        text = (text + Buffer.from(value!).toString()).slice(-2000);
      }
    })();
    // Settled at once, so that its rejection is never unhandled while the HTTP side is read.
    const wireOutcome = client.query('SELECT s FROM pg.public.sleepy').then(
      () => undefined,
      (error: Error & { detail?: string }) => error,
    );
    await waitUntil('both queries reach PostgreSQL', async () => (await activeOnSource('sleepy')) >= 1);
    await admin.end().catch(() => {});
    await source.stop();
    try {
      // HTTP: rows had started, so the document ends with the error.
      await drained;
      assert.match(
        text,
        /"error":\{"code":"SOURCE_(UNAVAILABLE|ERROR)","message":"[^"]+/,
        `read error: ${String(readError)} ${String((readError as Error)?.cause)}`,
      );
      // Postgres wire: an ErrorResponse naming the source; the session survives.
      const wireError = await wireOutcome;
      assert.ok(wireError, 'the wire query fails');
      assert.match(wireError.detail ?? '', /source: pg/, wireError.message);

      // While the source is down: a prompt, clear error, not a hang.
      const started = Date.now();
      const down = await httpQuery(gw, 'SELECT count(*) AS n FROM pg.public.customers');
      const body = (await down.json()) as { error: { code: string; message: string } };
      assert.equal(down.status, 503, JSON.stringify(body));
      assert.equal(body.error.code, 'SOURCE_UNAVAILABLE');
      assert.ok(Date.now() - started < 15_000);
      assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
      assert.equal(gw.child.exitCode, null);
    } finally {
      await source.restart();
      admin = new pg.Client({ connectionString: source.url });
      await admin.connect();
    }
    const recovered = await waitUntil(
      'the pool recovers',
      async () => (await httpQuery(gw, 'SELECT count(*) AS n FROM pg.public.customers')).status === 200,
      30_000,
    );
    process.stderr.write(`faults: queries answered again ${recovered} ms after the source restarted\n`);
    assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM pg.public.customers')).rows, [
      { n: 1000 },
    ]);
    await client.end();
    await assertServing(gw);
  });
});

describe('bad input', { timeout: 180_000 }, () => {
  test('malformed SQL, unknown types and wrong passwords: clear errors', async () => {
    const client = spokeClient(gw);
    await client.connect();
    try {
      await assert.rejects(
        client.query('SELEC 1'),
        (e: Error & { code?: string }) => e.code === '42601' && /syntax error/.test(e.message),
      );
      await assert.rejects(
        client.query("SELECT 'x'::no_such_type"),
        (e: Error & { code?: string }) => typeof e.code === 'string' && /no_such_type/.test(e.message),
      );
      await assert.rejects(
        client.query('SELECT $1::int AS x', ['not a number']),
        (e: Error & { code?: string }) => typeof e.code === 'string' && e.code !== 'XX000',
      );
      assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    } finally {
      await client.end();
    }
    const http = await httpQuery(gw, 'SELEC 1');
    assert.equal(http.status, 400);
    assert.equal(((await http.json()) as { error: { code: string } }).error.code, 'SYNTAX_ERROR');

    const wrong = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'loader',
      password: 'wrong',
      database: 'spoke',
    });
    await assert.rejects(wrong.connect(), (e: Error & { code?: string }) => e.code === '28P01');
    await wrong.end().catch(() => {});
    const bad = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      body: '{"sql":"SELECT 1"}',
    });
    assert.equal(bad.status, 401);

    // A Parse naming a type OID that does not exist, and text that is not UTF-8, sent raw.
    const raw = await rawLogin(gw.pgPort, 'loader', PASSWORD);
    try {
      raw.socket.write(
        Buffer.concat([
          message(
            'P',
            Buffer.concat([Buffer.from('\0SELECT $1 AS x\0'), Buffer.from([0, 1]), int32(999999)]),
          ),
          message(
            'B',
            Buffer.concat([
              Buffer.from('\0\0'),
              Buffer.from([0, 0, 0, 1]),
              int32(1),
              Buffer.from('1'),
              Buffer.from([0, 0]),
            ]),
          ),
          message('E', Buffer.concat([Buffer.from('\0'), int32(0)])),
          message('S', Buffer.alloc(0)),
        ]),
      );
      const unknownType = await untilReady(raw.next);
      assert.ok(unknownType, 'an unknown parameter type is an error');
      assert.notEqual(unknownType.C, 'XX000', JSON.stringify(unknownType));
      raw.socket.write(
        message(
          'Q',
          Buffer.concat([Buffer.from("SELECT '"), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from("' AS x\0")]),
        ),
      );
      const invalid = await untilReady(raw.next);
      assert.equal(invalid?.C, '22021');
      assert.match(invalid?.M ?? '', /invalid byte sequence for encoding "UTF8"/);
      raw.socket.write(message('Q', Buffer.from('SELECT 1 AS one\0')));
      assert.equal(await untilReady(raw.next), undefined, 'the connection still works');
    } finally {
      raw.socket.destroy();
    }
    const notUtf8 = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"sql":"SELECT \''), Buffer.from([0xff, 0xfe]), Buffer.from('\'"}')]),
    });
    assert.equal(notUtf8.status, 400);
    assert.match(((await notUtf8.json()) as { error: { message: string } }).error.message, /not valid UTF-8/);
    await assertServing(gw);
  });

  test('enormous SQL: a clear error or an answer, never a crash', async () => {
    const big = `SELECT 1 AS one /* ${'x'.repeat(8 * 1024 * 1024)} */`;
    const client = spokeClient(gw);
    await client.connect();
    client.on('error', () => {});
    try {
      // Over limits.max_query_bytes (default 128 KB): refused before parsing, the session goes on.
      await assert.rejects(client.query(big), (e: { code?: string; message?: string }) => {
        assert.equal(e.code, '54000');
        assert.match(e.message ?? '', /larger than limits\.max_query_bytes \(131072 bytes\)/);
        return true;
      });
      const inList = `SELECT count(*)::int AS n FROM pg.public.customers WHERE id IN (${Array.from({ length: 20000 }, (_, i) => i + 1).join(',')})`;
      assert.deepEqual((await client.query(inList)).rows, [{ n: 1000 }]);
      // Past the wire's message limit (64 MiB): still refused with 54000, the message dropped unread.
      await assert.rejects(
        client.query(`SELECT 1 /* ${'y'.repeat(65 * 1024 * 1024)} */`),
        /larger than|Connection terminated|ECONNRESET|EPIPE/,
      );
    } finally {
      await client.end().catch(() => {});
    }
    const tooLarge = await httpQuery(gw, big);
    assert.equal(tooLarge.status, 413);
    await assertServing(gw);
  });

  test('garbage bytes on every port close that connection only', async () => {
    const ports = [gw.pgPort, Number(new URL(gw.url).port), ...(gw.flightPort ? [gw.flightPort] : [])];
    for (const port of ports) {
      for (const payload of [
        randomBytes(64 * 1024),
        Buffer.from('GET / HTTP/1.1\r\n\r\n'),
        Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]),
        Buffer.alloc(4),
      ]) {
        await new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          socket.on('error', () => {});
          socket.on('connect', () => socket.write(payload));
          socket.on('close', () => resolve());
          setTimeout(() => socket.destroy(), 2_000);
        });
      }
    }
    await assertServing(gw);
  });
});

describe('no leaks', { timeout: (LEAK_QUERIES / 10 + 120) * 1000 }, () => {
  test(`${LEAK_QUERIES} queries with RSS flat`, async (t) => {
    const concurrency = 8;
    let done = 0;
    let errors = 0;
    const rss: { at: number; bytes: number }[] = [];
    const clients = await Promise.all(
      Array.from({ length: concurrency / 2 }, async () => {
        const c = spokeClient(gw);
        await c.connect();
        return c;
      }),
    );
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        while (done < LEAK_QUERIES) {
          const i = done++;
          const w = WORKLOAD[i % WORKLOAD.length]!;
          try {
            if (worker % 2 === 0)
              await clients[worker / 2]!.query({ text: w.sql, values: w.params(i), rowMode: 'array' });
            else {
              const res = await httpQuery(gw, w.sql, w.params(i));
              await res.arrayBuffer();
              if (res.status !== 200) errors++;
            }
          } catch {
            errors++;
          }
          if (i % Math.max(1, Math.floor(LEAK_QUERIES / 20)) === 0) rss.push({ at: i, bytes: gw.rss() });
        }
      }),
    );
    for (const c of clients) await c.end();
    const seconds = (performance.now() - started) / 1000;
    const warm = rss.find((s) => s.at >= LEAK_QUERIES * 0.5)!.bytes;
    // Garbage not yet collected is not a leak: V8 gives back heap it grew into once the process idles (its
    // memory reducer), so the end is the lowest RSS within a few idle seconds. What a leak holds stays.
    let end = gw.rss();
    for (let waited = 0; end - warm >= LEAK_LIMIT && waited < 6_000; waited += 250) {
      await new Promise((r) => setTimeout(r, 250));
      end = Math.min(end, gw.rss());
    }
    rss.push({ at: LEAK_QUERIES, bytes: end });
    const line = `no leaks: ${LEAK_QUERIES} queries in ${seconds.toFixed(1)} s; RSS after 50%: ${(warm / 2 ** 20).toFixed(0)} MB, at the end: ${(end / 2 ** 20).toFixed(0)} MB (${rss.map((s) => (s.bytes / 2 ** 20).toFixed(0)).join(' ')})`;
    t.diagnostic(line);
    process.stderr.write(`${line}\n`);
    assert.equal(errors, 0);
    assert.ok(end - warm < LEAK_LIMIT, `RSS grew by ${((end - warm) / 2 ** 20).toFixed(0)} MB`);
  });
});
