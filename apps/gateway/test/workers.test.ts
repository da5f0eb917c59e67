/**
 * `spoke serve` with `server.workers: 2`, as real processes: connections
 * are answered by both workers; `/v1/queries`, cancellation (by query id
 * and by a Postgres CancelRequest that lands on the other worker), the
 * concurrency limits, `/metrics` and the audit trail cover the whole
 * gateway; a killed worker is replaced; SIGTERM leaves no process behind.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SPOKE_CLI as CLI } from '../../../test/harness/spoke-cli.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { sourcesYaml, userYaml } from './operator-fixture.js';

/** A query that computes for minutes before its first row: it runs until cancelled. */
const SLOW = 'SELECT count(*) AS n FROM lake.sales a CROSS JOIN lake.sales b WHERE a.id + b.id < 0';
const COUNT = 'SELECT count(*) AS n FROM crm.customers';

/** The worker a backend key's process id names (see src/cluster/backend-key.ts). */
const workerOf = (client: pg.Client) =>
  Math.floor((client as unknown as { processID: number }).processID / 2 ** 24);

interface Server {
  readonly child: ChildProcess;
  readonly http: string;
  readonly pgPort: number;
  stderr(): string;
}

/** Starts `spoke serve --config file` and waits for its banner. */
async function serve(file: string): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time: ${out} ${err}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out} ${err}`)));
  });
  return {
    child,
    http: /HTTP\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!,
    pgPort: Number(/Postgres\s+postgresql:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]),
    stderr: () => err,
  };
}

async function connectAs(port: number, user: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, database: 'spoke' });
  // The server's SIGTERM (last test) ends the connections still open.
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** A connection of `user` on worker `worker` (connections go to the workers in turn). */
async function onWorker(port: number, user: string, worker: number, spare: pg.Client[]): Promise<pg.Client> {
  for (let i = 0; i < 10; i++) {
    const client = await connectAs(port, user);
    if (workerOf(client) === worker) return client;
    spare.push(client);
  }
  throw new Error(`no connection reached worker ${worker}`);
}

/** The Postgres CancelRequest, sent on a new connection as libpq does. */
async function cancelRequest(port: number, target: pg.Client): Promise<void> {
  const { processID, secretKey } = target as unknown as { processID: number; secretKey: number };
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.end(packet);
  await once(socket, 'close');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Waits until no query holds a slot (`spoke_active_queries` 0): a cancelled query holds its slot until its
 * DuckDB work has stopped (a cross join notices the interrupt between chunks), which on a loaded machine
 * can take longer than the test's queue_timeout (1 s).
 */
async function slotsFree(http: string): Promise<void> {
  await waitFor('every slot free', async () => {
    const metrics = await (await fetch(`${http}/metrics`)).text();
    return /^spoke_active_queries 0$/m.test(metrics) ? true : undefined;
  });
}

interface Listed {
  readonly queryId: string;
  readonly user: string | null;
  readonly state: string;
}

async function running(http: string): Promise<Listed[]> {
  const res = await fetch(`${http}/v1/queries`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { queries: Listed[] }).queries;
}

/** The users of the queries in the first `activity` event of `GET /v1/events`. */
async function activityUsers(http: string): Promise<string[]> {
  const controller = new AbortController();
  const res = await fetch(`${http}/v1/events`, { signal: controller.signal });
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of res.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      const match = /event: activity\ndata: (.*)\n/.exec(text);
      if (match) return (JSON.parse(match[1]!) as { queries: { user: string }[] }).queries.map((q) => q.user);
    }
    throw new Error(`no activity event: ${text}`);
  } finally {
    controller.abort();
  }
}

/** A worker's pid: the server's children (node:cluster forks them). */
function workerPids(primary: number): number[] {
  const text = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

/** The worker number a worker process was started as (its SPOKE_WORKER_ID). */
function workerNumber(pid: number): number {
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return Number(environ.find((v) => v.startsWith('SPOKE_WORKER_ID='))?.slice('SPOKE_WORKER_ID='.length));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let fixture: DemoFixture;
before(async () => {
  fixture = await demoFixture();
});
after(async () => {
  await fixture?.close();
});

describe('spoke serve with server.workers: 2', { timeout: 180_000 }, () => {
  let server: Server;
  const auditFile = () => join(fixture.root, 'audit.log');
  const clients: pg.Client[] = [];
  /** Queries run to completion, for the metrics and the audit. */
  let ok = 0;

  before(async () => {
    const file = join(fixture.root, 'workers.yaml');
    writeFileSync(
      file,
      `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
  workers: 2
limits: { max_concurrent_queries: 2, max_concurrent_per_user: 1, queue_timeout: 1s }
audit: { path: ${JSON.stringify(auditFile())} }
logging: { level: debug }
duckdb: { tempDirectory: spill }
${sourcesYaml(fixture)}`,
    );
    server = await serve(file);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('answers connections on both workers, each as DuckDB does', async () => {
    const expected = await fixture.duckdb('SELECT count(*) AS n FROM crm.customers');
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const client = await connectAs(server.pgPort, `user${i}`);
      clients.push(client);
      seen.add(workerOf(client));
      const { rows } = await client.query(COUNT);
      ok++;
      assert.equal(String(rows[0].n), String(expected[0]!.n));
    }
    assert.deepEqual([...seen].sort(), [1, 2]);
    assert.equal(server.stderr().match(/listening on/g)?.length, 1, 'one "listening on" line');
    // Each worker's DuckDB spills into a directory of its own (DuckDB names its spill files alike).
    assert.deepEqual(readdirSync(join(fixture.root, 'spill')).sort(), ['worker-1', 'worker-2']);
  });

  it('/v1/queries lists the queries of both workers, max_concurrent_queries counts both; DELETE cancels either', async () => {
    const alice = await onWorker(server.pgPort, 'alice', 1, clients);
    const bob = await onWorker(server.pgPort, 'bob', 2, clients);
    clients.push(alice, bob);
    const slow = [alice.query(SLOW), bob.query(SLOW)].map((p) =>
      p.then(
        () => 'done',
        (e: Error & { code?: string }) => e,
      ),
    );
    const listed = await waitFor('both queries listed', async () => {
      const queries = (await running(server.http)).filter((q) => q.state === 'running');
      return queries.length === 2 ? queries : undefined;
    });
    assert.deepEqual(listed.map((q) => q.user).sort(), ['alice', 'bob']);
    // Progress and the console's activity feed too, whichever worker answers the request.
    for (const q of listed) {
      const res = await fetch(`${server.http}/v1/queries/${q.queryId}/progress`);
      assert.equal(res.status, 200);
      assert.deepEqual(
        {
          ...((await res.json()) as { queryId: string; state: string }),
          sources: undefined,
          elapsedMs: 0,
          rows: 0,
        },
        { queryId: q.queryId, state: 'running', sources: undefined, elapsedMs: 0, rows: 0 },
      );
    }
    assert.deepEqual((await activityUsers(server.http)).sort(), ['alice', 'bob']);
    // max_concurrent_queries: 2 counts both workers (each runs one query): a third waits, then is refused.
    const gina = await connectAs(server.pgPort, 'gina');
    clients.push(gina);
    await assert.rejects(gina.query(COUNT), (error: Error & { code?: string }) => {
      assert.equal(error.code, '53000');
      assert.match(error.message, /2 queries are running \(limits\.max_concurrent_queries is 2\)/);
      return true;
    });
    for (const q of listed) {
      const res = await fetch(`${server.http}/v1/queries/${q.queryId}`, { method: 'DELETE' });
      assert.equal(res.status, 200, await res.text());
    }
    for (const error of await Promise.all(slow)) {
      assert.ok(error instanceof Error, 'the query was cancelled');
      assert.equal(error.code, '57014');
      assert.match(error.message, /DELETE \/v1\/queries\//);
    }
    const missing = await fetch(`${server.http}/v1/queries/no-such-query`, { method: 'DELETE' });
    assert.equal(missing.status, 404);
  });

  it('a CancelRequest arriving at the other worker cancels the query', async () => {
    // The queries the last test cancelled may hold their slots until their DuckDB work stops.
    await slotsFree(server.http);
    const carol = await onWorker(server.pgPort, 'carol', 1, clients);
    clients.push(carol);
    const slow = carol.query(SLOW).then(
      () => 'done',
      (e: Error & { code?: string }) => e,
    );
    await waitFor('carol running', async () =>
      (await running(server.http)).some((q) => q.user === 'carol' && q.state === 'running')
        ? true
        : undefined,
    );
    // Connections go to the workers in turn: after one that reached worker 1, the next reaches worker 2.
    clients.push(await onWorker(server.pgPort, 'probe', 1, clients));
    await cancelRequest(server.pgPort, carol);
    const error = await slow;
    assert.ok(error instanceof Error, 'the query was cancelled');
    assert.equal(error.code, '57014');
    await waitFor('the routing logged', async () =>
      /CancelRequest routed from worker 2 to worker 1/.test(server.stderr()) ? true : undefined,
    );
    // The session goes on (once the cancelled query's DuckDB work has stopped and its slot is free).
    await slotsFree(server.http);
    assert.equal(String((await carol.query(COUNT)).rows[0].n), '1000');
    ok++;
  });

  it('max_concurrent_per_user holds across workers; other users are not held up', async () => {
    const dave1 = await onWorker(server.pgPort, 'dave', 1, clients);
    const dave2 = await onWorker(server.pgPort, 'dave', 2, clients);
    const erin = await onWorker(server.pgPort, 'erin', 2, clients);
    clients.push(dave1, dave2, erin);
    const slow = dave1.query(SLOW).then(
      () => 'done',
      (e: Error & { code?: string }) => e,
    );
    const listed = await waitFor('dave running', async () =>
      (await running(server.http)).find((q) => q.user === 'dave' && q.state === 'running'),
    );
    await assert.rejects(dave2.query(COUNT), (error: Error & { code?: string }) => {
      assert.equal(error.code, '53000');
      assert.match(error.message, /user "dave" already runs 1 queries \(limits\.max_concurrent_per_user\)/);
      return true;
    });
    assert.equal(String((await erin.query(COUNT)).rows[0].n), '1000');
    ok++;
    await fetch(`${server.http}/v1/queries/${listed.queryId}`, { method: 'DELETE' });
    assert.equal(((await slow) as Error & { code?: string }).code, '57014');
    // The slot is free again, on the other worker too.
    assert.equal(String((await dave2.query(COUNT)).rows[0].n), '1000');
    ok++;
  });

  it('/metrics sums both workers; the audit has one whole line per query', async () => {
    const metrics = await (await fetch(`${server.http}/metrics`)).text();
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.equal(value('spoke_queries_total{protocol="postgres",outcome="ok"}'), ok);
    assert.equal(value('spoke_queries_total{protocol="postgres",outcome="QUERY_CANCELLED"}'), 4);
    assert.equal(value('spoke_queries_total{protocol="postgres",outcome="RESOURCE_EXHAUSTED"}'), 2);
    assert.equal(value('spoke_workers'), 2);
    assert.equal(value('spoke_active_queries'), 0);
    // One family, one TYPE line, whatever the number of workers.
    assert.equal(metrics.match(/^# TYPE spoke_queries_total counter$/gm)?.length, 1);
    const records = await waitFor('the audit records', async () => {
      const lines = readFileSync(auditFile(), 'utf8').trim().split('\n');
      return lines.length >= ok + 6 ? lines : undefined;
    });
    const parsed = records.map((line) => JSON.parse(line) as { outcome: string; protocol: string });
    assert.equal(parsed.filter((r) => r.outcome === 'ok').length, ok);
    assert.equal(parsed.filter((r) => r.outcome === 'QUERY_CANCELLED').length, 4);
  });

  it('a killed worker is replaced, its slots freed, and both serve again', async () => {
    const primary = server.child.pid!;
    const before = workerPids(primary);
    assert.equal(before.length, 2);
    // frank holds his one slot (max_concurrent_per_user: 1) on worker 1 when it dies.
    const frank = await onWorker(server.pgPort, 'frank', 1, clients);
    clients.push(frank);
    const slow = frank.query(SLOW).then(
      () => 'done',
      (e: Error) => e,
    );
    await waitFor('frank running', async () =>
      (await running(server.http)).some((q) => q.user === 'frank' && q.state === 'running')
        ? true
        : undefined,
    );
    const victim = before.find((pid) => workerNumber(pid) === 1)!;
    process.kill(victim, 'SIGKILL');
    assert.ok((await slow) instanceof Error, 'the connection to the killed worker ends');
    const after = await waitFor('a new worker', async () => {
      const pids = workerPids(primary);
      return pids.length === 2 && !pids.includes(victim) ? pids : undefined;
    });
    assert.ok(
      after.some((pid) => before.includes(pid) && pid !== victim),
      'the other worker lives on',
    );
    await waitFor('the new worker serving', async () =>
      /is serving again/.test(server.stderr()) ? true : undefined,
    );
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const client = await connectAs(server.pgPort, 'frank');
      clients.push(client);
      seen.add(workerOf(client));
      // Refused with 53000 after queue_timeout if the dead worker's slot were still held.
      assert.equal(String((await client.query(COUNT)).rows[0].n), '1000');
    }
    assert.deepEqual([...seen].sort(), [1, 2]);
  });

  it('SIGTERM stops the primary and every worker', async () => {
    const pids = workerPids(server.child.pid!);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const [code] = (await Promise.race([
      exited,
      // unref: the timer must not keep the test file running once the gateway has exited.
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no exit after SIGTERM')), 30_000).unref(),
      ),
    ])) as [number];
    assert.equal(code, 0, server.stderr());
    for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} is gone`);
  });
});

describe('server.workers in the config', () => {
  async function fails(yaml: string): Promise<string> {
    const file = join(fixture.root, 'bad-workers.yaml');
    writeFileSync(file, yaml);
    const child = spawn(process.execPath, [CLI, 'serve', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 1, err);
    return err;
  }

  it('a count out of range names the key', async () => {
    const err = await fails(
      `server:\n  http: { host: 127.0.0.1, port: 0 }\n  workers: 0\n${sourcesYaml(fixture)}`,
    );
    assert.match(err, /INVALID_CONFIG: server\.workers: expected an integer from 1 to 64, got 0/);
  });

  it('--workers out of range is a usage error', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--demo', '--workers', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 1);
    assert.match(err, /spoke: --workers must be a number from 1 to 64, got "0" \(see: spoke serve --help\)/);
  });

  it('a DuckDB file opened writable cannot be shared by several workers', async () => {
    const err = await fails(
      `server:\n  http: { host: 127.0.0.1, port: 0 }\n  workers: 2\nsources:\n  crm: { connector: duckdb, path: ${JSON.stringify(fixture.data.crmFile)}, writable: true }\n`,
    );
    assert.match(
      err,
      /INVALID_CONFIG: server\.workers: 2 worker processes cannot share sources\.crm \(a DuckDB file opened writable: true/,
    );
  });
});

describe('failed-login throttling with server.workers: 2', { timeout: 120_000 }, () => {
  let server: Server;
  before(async () => {
    const file = join(fixture.root, 'workers-auth.yaml');
    writeFileSync(
      file,
      `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
  workers: 2
users:
${await userYaml('alice', 'alice-pw')}
${await userYaml('bob', 'bob-pw')}
auth:
  login_throttle: { max_failures: 2, backoff: 30s, max_backoff: 30s }
${sourcesYaml(fixture)}`,
    );
    server = await serve(file);
  });
  after(async () => {
    if (server?.child.exitCode === null) {
      const exited = once(server.child, 'exit');
      server.child.kill('SIGTERM');
      await exited;
    }
  });

  const login = async (password: string) => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: server.pgPort,
      user: 'alice',
      password,
      database: 'spoke',
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return 'ok';
    } catch (error) {
      return (error as Error & { code?: string }).code;
    }
  };

  it('counts failures on either worker: past max_failures the right password is refused on both', async () => {
    // Connections go to the workers in turn: one failure on each, neither worker alone at max_failures (2).
    assert.equal(await login('wrong-1'), '28P01');
    assert.equal(await login('wrong-2'), '28P01');
    for (let i = 0; i < 2; i++) assert.equal(await login('alice-pw'), '28P01', `attempt ${i} is throttled`);
    const metrics = await (
      await fetch(`${server.http}/metrics`, {
        headers: { authorization: `Basic ${Buffer.from('bob:bob-pw').toString('base64')}` },
      })
    ).text();
    assert.match(metrics, /^spoke_login_throttled_total\{protocol="postgres"\} 2$/m);
  });

  it('Ctrl+C (SIGINT to the primary and every worker at once) stops them all', async () => {
    const pids = workerPids(server.child.pid!);
    assert.equal(pids.length, 2);
    const exited = once(server.child, 'exit');
    for (const pid of [server.child.pid!, ...pids]) process.kill(pid, 'SIGINT');
    const [code] = (await exited) as [number];
    assert.equal(code, 0, server.stderr());
    assert.equal(server.stderr().match(/SIGINT: shutting down/g)?.length, 1);
    for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} is gone`);
  });
});
