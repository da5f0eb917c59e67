/**
 * Throughput of the gateway's Postgres wire against PostgreSQL and PgBouncer,
 * all measured in the same run on the same machine.
 *
 *   npm run bench -w @spoke/bench -- throughput
 *   BENCH_SECONDS=8 BENCH_CLIENTS=1,20,50 npm run bench -w @spoke/bench -- throughput
 *
 * Three paths, each driven by N node-pg clients on their own connections,
 * every client in a closed loop (next query when the last one answered),
 * parameterized unnamed statements (extended protocol):
 *
 * - `postgres`: straight to a PostgreSQL started for the run (test harness);
 * - `pgbouncer`: through Debian's `pgbouncer` (started by the bench on a free
 *   port, transaction pooling, pool of 20 server connections);
 * - `spoke`: through the Postgres wire of `spoke serve` run as a child
 *   process over the same PostgreSQL (`poolSize: 20`) and a Parquet file.
 *
 * Workloads:
 *
 * - `point`: `SELECT id, k, v FROM big WHERE id = $1` on a 1M-row table
 *   (pushed down whole to PostgreSQL by Spoke);
 * - `point-literal`: the point query with the id inlined as a literal
 *   (`… WHERE id = 4242`, a different id each time) and no parameters, so
 *   node-pg sends it with the simple protocol, as BI tools and ORMs that
 *   inline literals do (not in the default set; Spoke shares one plan for
 *   them, `SPOKE_PLAN_CACHE_LITERALS=off` in the bench's environment turns
 *   that off in the gateway, for a before/after);
 * - `scan200`: `… WHERE id BETWEEN $1 AND $2`, 200 rows;
 * - `join`: 10 rows of `big` joined with a 1,000-row dimension table — in
 *   PostgreSQL for the first two paths, a Parquet file for Spoke, so Spoke
 *   runs the join in its DuckDB residual (a small federated join).
 *
 * Every answer is checked (row count and first id). Prints q/s, p50, p99
 * and errors per cell, Spoke's q/s as a share of PgBouncer's, and the CPU
 * time the gateway process used per query (from /proc on Linux: the figure
 * that stays meaningful on a busy machine, where wall-clock rates swing),
 * and its resident memory (workers included) before and after each cell.
 *
 * Environment: `BENCH_SECONDS` (per cell, default 5), `BENCH_CLIENTS`
 * (default `1,20,50`), `BENCH_WORKLOADS` (default `point,scan200,join`),
 * `BENCH_PATHS` (default `postgres,pgbouncer,spoke`), `BENCH_GATEWAY_NODE_ARGS`
 * (extra node flags for the gateway process, e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`), `BENCH_WORKERS` (the gateway's `server.workers`;
 * default: the gateway's, one per core), `BENCH_GATEWAY_SERVER` (YAML lines
 * added under the gateway config's `server:`), `BENCH_GATEWAY_DUCKDB` (YAML
 * lines under its `duckdb:`, e.g. `  threads: 2` or `  readCache: false`),
 * `BENCH_GATEWAY_STDOUT=1` (the gateway's standard output shown, e.g. with
 * `BENCH_GATEWAY_NODE_ARGS=--trace-gc`).
 *
 * Needs PostgreSQL's server binaries (as the tests do) and `pgbouncer` on the
 * PATH or in /usr/sbin (`apt-get install pgbouncer`); without pgbouncer that
 * path is skipped with a note.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { freePort, startPostgres } from '../test/harness/index.js';
import { type Bench, printTable } from './harness.js';

interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: { id: string | number }[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}
const require = createRequire(import.meta.url);
const { Client } = require('pg') as { Client: new (config: object) => PgClient };

const here = dirname(fileURLToPath(import.meta.url));
const TABLE_ROWS = 1_000_000;
const DIM_ROWS = 1_000;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const clientCounts = (process.env.BENCH_CLIENTS ?? '1,20,50').split(',').map(Number);
const workloadNames = (process.env.BENCH_WORKLOADS ?? 'point,scan200,join').split(',');
const pathNames = (process.env.BENCH_PATHS ?? 'postgres,pgbouncer,spoke').split(',');

/** One kind of query: its SQL per path, how to draw parameters, what a correct answer is. */
interface Workload {
  readonly name: string;
  readonly sql: string;
  readonly spokeSql: string;
  params(n: number): number[];
  /** The number of rows expected for these parameters. */
  readonly rows: number;
  /** Sent with the parameters written into the text as literals, and no parameters (the simple protocol). */
  readonly inline?: boolean;
}

/** `sql` with each `$n` replaced by the (numeric) parameter, as a client inlining literals writes it. */
const inlined = (sql: string, params: readonly number[]) =>
  sql.replace(/\$(\d+)/g, (_m, n: string) => String(params[Number(n) - 1]));

/** Sends one statement of `workload` with `params`, as the workload says (bound or inlined). */
const send = (c: PgClient, workload: Workload, sql: string, params: number[]) =>
  workload.inline ? c.query(inlined(sql, params)) : c.query(sql, params);

/** A deterministic pseudo-random id in 1..TABLE_ROWS-250. */
const idAt = (n: number) => ((n * 7919 + 13) % (TABLE_ROWS - 250)) + 1;

const WORKLOADS: Record<string, Workload> = {
  point: {
    name: 'point',
    sql: 'SELECT id, k, v FROM big WHERE id = $1',
    spokeSql: 'SELECT id, k, v FROM pg.big WHERE id = $1',
    params: (n) => [idAt(n)],
    rows: 1,
  },
  'point-literal': {
    name: 'point-literal',
    sql: 'SELECT id, k, v FROM big WHERE id = $1',
    spokeSql: 'SELECT id, k, v FROM pg.big WHERE id = $1',
    params: (n) => [idAt(n)],
    rows: 1,
    inline: true,
  },
  scan200: {
    name: 'scan200',
    sql: 'SELECT id, k, v FROM big WHERE id BETWEEN $1 AND $2 ORDER BY id',
    spokeSql: 'SELECT id, k, v FROM pg.big WHERE id BETWEEN $1 AND $2 ORDER BY id',
    params: (n) => [idAt(n), idAt(n) + 199],
    rows: 200,
  },
  join: {
    name: 'join',
    sql: 'SELECT b.id, b.v, d.name FROM big b JOIN dim d ON d.k = b.k WHERE b.id BETWEEN $1 AND $2 ORDER BY b.id',
    spokeSql:
      'SELECT b.id, b.v, d.name FROM pg.big b JOIN lake.dim d ON d.k = b.k WHERE b.id BETWEEN $1 AND $2 ORDER BY b.id',
    params: (n) => [idAt(n), idAt(n) + 9],
    rows: 10,
  },
};

/** What one cell measured. */
interface Cell {
  readonly queries: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly qps: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU time (user + system) the gateway process spent per query, when measured (Spoke on Linux). */
  readonly cpuPerQuery?: number;
  /** The gateway's resident memory (its workers' included) before and after the cell, in bytes. */
  readonly rss?: { readonly start: number; readonly end: number };
}

/** Resident bytes of process `pid` and its children (the gateway's workers), from /proc (Linux); undefined elsewhere. */
function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children === ''
      ? kb * 1024
      : children.split(/\s+/).reduce((sum, child) => sum + (rssBytes(Number(child)) ?? 0), kb * 1024);
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) process `pid` has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
    // The gateway's workers (server.workers > 1) are its children: their CPU is the gateway's too.
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children === ''
      ? own
      : children.split(/\s+/).reduce((sum, child) => sum + (cpuSeconds(Number(child)) ?? 0), own);
  } catch {
    return undefined;
  }
}

/** `BENCH_WORKERS`: the gateway's `server.workers` (absent: the gateway's default, one per core). */
const workers = process.env.BENCH_WORKERS;

const pct = (sorted: Float64Array, p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Runs `clients` closed loops of `workload` for `seconds` on connections made by `connectOptions`. */
async function drive(
  connectOptions: object,
  workload: Workload,
  clients: number,
  spoke: boolean,
  serverPid?: number,
): Promise<Cell> {
  const conns: PgClient[] = [];
  for (let i = 0; i < clients; i++) {
    const c = new Client(connectOptions);
    c.on('error', () => {});
    await c.connect();
    conns.push(c);
  }
  const sql = spoke ? workload.spokeSql : workload.sql;
  // Warm-up: a few queries per connection (JIT, pools, catalogs) before timing.
  await Promise.all(
    conns.map(async (c, i) => {
      for (let j = 0; j < 20; j++) await send(c, workload, sql, workload.params(i * 20 + j));
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let n = 0;
  const cpuStart = cpuSeconds(serverPid);
  const rssStart = rssBytes(serverPid);
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < deadline) {
        const params = workload.params(n++);
        const t0 = performance.now();
        try {
          const result = await send(c, workload, sql, params);
          if (result.rows.length !== workload.rows || Number(result.rows[0]?.id) !== params[0])
            throw new Error(`expected ${workload.rows} rows from id ${params[0]}, got ${result.rows.length}`);
          latencies.push(performance.now() - t0);
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpuEnd = cpuSeconds(serverPid);
  const rssEnd = rssBytes(serverPid);
  await Promise.all(conns.map((c) => c.end().catch(() => {})));
  const sorted = Float64Array.from(latencies).sort();
  return {
    queries: latencies.length,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    qps: latencies.length / elapsed,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    ...(cpuStart !== undefined && cpuEnd !== undefined && latencies.length > 0
      ? { cpuPerQuery: ((cpuEnd - cpuStart) * 1000) / latencies.length }
      : {}),
    ...(rssStart !== undefined && rssEnd !== undefined ? { rss: { start: rssStart, end: rssEnd } } : {}),
  };
}

/** Waits until something accepts TCP connections on 127.0.0.1:`port`. */
async function waitForPort(
  port: number,
  what: string,
  child?: ChildProcess,
  timeoutMs = 60_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function findPgbouncer(): string | undefined {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'])
    if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Starts pgbouncer (as the `postgres` OS user when we are root: it refuses to run as root). */
async function startPgbouncer(binary: string, pgPort: number, user: string, database: string) {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${database} = host=127.0.0.1 port=${pgPort} dbname=${database} user=${user}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'default_pool_size = 20',
      'max_client_conn = 500',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      // node-pg sends no startup parameters pgbouncer does not know, but be lenient.
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
  }
  chmodSync(dir, 0o700);
  const child = isRoot
    ? spawn('runuser', ['-u', 'postgres', '--', binary, join(dir, 'pgbouncer.ini')], { stdio: 'ignore' })
    : spawn(binary, [join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  await waitForPort(port, 'pgbouncer', child);
  return {
    port,
    async close() {
      const pidFile = join(dir, 'pgbouncer.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      if (pid) {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // Already gone.
        }
      }
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts `spoke serve` as a child process over `pgUrl` and the Parquet directory. */
async function startSpoke(pgUrl: string, lakeDir: string) {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-bench-gw-'));
  const port = await freePort();
  const config = [
    'server:',
    `  postgres: { host: 127.0.0.1, port: ${port} }`,
    ...(workers ? [`  workers: ${Number(workers)}`] : []),
    ...(process.env.BENCH_GATEWAY_SERVER ? [process.env.BENCH_GATEWAY_SERVER] : []),
    'logging: { level: warn }',
    ...(process.env.BENCH_GATEWAY_DUCKDB ? ['duckdb:', process.env.BENCH_GATEWAY_DUCKDB] : []),
    'sources:',
    `  pg: { connector: postgres, url: ${JSON.stringify(pgUrl)}, poolSize: 20 }`,
    `  lake: { connector: parquet, url: ${JSON.stringify(`file://${lakeDir}/`)}, tables: { dim: dim.parquet } }`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'spoke.yaml'), config);
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, join(here, '../apps/gateway/bin/spoke.js'), 'serve', '--config', join(dir, 'spoke.yaml')],
    { stdio: ['ignore', process.env.BENCH_GATEWAY_STDOUT ? 'inherit' : 'ignore', 'inherit'] },
  );
  await waitForPort(port, 'spoke serve', child);
  return {
    port,
    pid: child.pid,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function run(): Promise<void> {
  const pg = await startPostgres({ settings: { max_connections: '200', shared_buffers: '256MB' } });
  const closers: (() => Promise<unknown>)[] = [() => pg.close()];
  const lakeDir = mkdtempSync(join(tmpdir(), 'spoke-bench-lake-'));
  closers.push(async () => rmSync(lakeDir, { recursive: true, force: true }));
  try {
    pg.psql(`
      CREATE TABLE big (id int8 PRIMARY KEY, k int4 NOT NULL, v text NOT NULL);
      INSERT INTO big SELECT g, g % ${DIM_ROWS}, 'value ' || g FROM generate_series(1, ${TABLE_ROWS}) g;
      CREATE TABLE dim (k int4 PRIMARY KEY, name text NOT NULL);
      INSERT INTO dim SELECT g, 'name ' || g FROM generate_series(0, ${DIM_ROWS - 1}) g;
      VACUUM ANALYZE big; VACUUM ANALYZE dim;`);
    const duck = await DuckDBInstance.create(':memory:');
    const dc = await duck.connect();
    await dc.run(
      `COPY (SELECT i::INTEGER AS k, 'name ' || i AS name FROM range(${DIM_ROWS}) t(i)) TO '${join(lakeDir, 'dim.parquet')}' (FORMAT parquet)`,
    );
    dc.closeSync();
    duck.closeSync();

    const targets: Record<string, object> = {};
    let spokePid: number | undefined;
    if (pathNames.includes('postgres'))
      targets.postgres = { host: '127.0.0.1', port: pg.port, user: pg.user, database: pg.database };
    if (pathNames.includes('pgbouncer')) {
      const binary = findPgbouncer();
      if (binary === undefined) console.log('pgbouncer not found (apt-get install pgbouncer): path skipped');
      else {
        const bouncer = await startPgbouncer(binary, pg.port, pg.user, pg.database);
        closers.unshift(() => bouncer.close());
        targets.pgbouncer = { host: '127.0.0.1', port: bouncer.port, user: pg.user, database: pg.database };
      }
    }
    if (pathNames.includes('spoke')) {
      const spoke = await startSpoke(pg.url, lakeDir);
      closers.unshift(() => spoke.close());
      spokePid = spoke.pid;
      targets.spoke = { host: '127.0.0.1', port: spoke.port, user: 'bench', database: 'spoke' };
    }

    console.log(
      `${seconds} s per cell, clients ${clientCounts.join('/')}, table of ${TABLE_ROWS} rows; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(
          ' ',
        )}${pathNames.includes('spoke') ? `; gateway workers: ${workers ?? `default (one per core: ${availableParallelism()})`}` : ''}`,
    );
    const ms = (v: number) => (Number.isNaN(v) ? '—' : `${v.toFixed(2)} ms`);
    for (const name of workloadNames) {
      const workload = WORKLOADS[name];
      if (!workload) throw new Error(`unknown workload ${name}; known: ${Object.keys(WORKLOADS).join(', ')}`);
      const rows: string[][] = [
        [
          'clients',
          'path',
          'q/s',
          'p50',
          'p99',
          'errors',
          'vs pgbouncer',
          'gateway CPU/query',
          'gateway RSS',
        ],
      ];
      for (const clients of clientCounts) {
        const cells: Record<string, Cell> = {};
        for (const [path, options] of Object.entries(targets))
          cells[path] = await drive(
            options,
            workload,
            clients,
            path === 'spoke',
            path === 'spoke' ? spokePid : undefined,
          );
        for (const [path, cell] of Object.entries(cells)) {
          const base = cells.pgbouncer;
          rows.push([
            String(clients),
            path,
            cell.qps.toFixed(0),
            ms(cell.p50),
            ms(cell.p99),
            cell.errors === 0 ? '0' : `${cell.errors} (${cell.firstError})`,
            base && path !== 'pgbouncer' ? `${((cell.qps / base.qps) * 100).toFixed(0)} %` : '—',
            cell.cpuPerQuery === undefined ? '' : ms(cell.cpuPerQuery),
            cell.rss === undefined
              ? ''
              : `${(cell.rss.start / 2 ** 20).toFixed(0)} → ${(cell.rss.end / 2 ** 20).toFixed(0)} MiB`,
          ]);
        }
      }
      console.log(
        `\n${workload.name}: ${workload.inline ? `${inlined(workload.sql, [4242])} (inlined, simple protocol)` : workload.sql}`,
      );
      printTable(rows);
    }
  } finally {
    for (const close of closers) await close().catch((e: unknown) => console.error(e));
  }
}

/** See the file comment. */
export const bench: Bench = {
  name: 'throughput',
  description:
    'q/s, p50, p99 of point queries, a 200-row scan and a small federated join at 1/20/50 clients: PostgreSQL, PgBouncer, Spoke',
  run,
};
