/**
 * Starts a throw-away PostgreSQL server for tests and benchmarks: a fresh
 * cluster in a temporary directory, listening on a free loopback port, trust
 * authentication, stopped and removed by `close()`.
 *
 * initdb costs about a second of CPU, and a test run starts dozens of
 * servers: it runs once per machine, PostgreSQL build and superuser name, into
 * a template in the temporary directory, and each server starts on a copy of
 * that template (a fifth of the time).
 *
 * PostgreSQL refuses to run as root, and CI runs as root: the server binaries
 * then run as the `postgres` OS user (through `runuser`, or `su` when
 * `runuser` is missing) in a directory that user owns.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyTree, templateDir } from './template-dir.js';

/** Options for {@link startPostgres}. */
export interface PostgresServerOptions {
  /** The database created for the caller. Default `spoke`. */
  readonly database?: string;
  /** The superuser name initdb creates. Default `spoke`. */
  readonly user?: string;
  /** Extra server settings (`-c name=value`), e.g. `{ max_connections: '50' }`. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** A running test server. */
export interface PostgresServer {
  /** `postgres://user@127.0.0.1:port/database`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** The directory with PostgreSQL's binaries (`psql`, `pg_ctl`…). */
  readonly binDir: string;
  /** The cluster's data directory. */
  readonly dataDir: string;
  /** Stops the server at once (`pg_ctl stop -m immediate`), keeping the data: a source that goes away. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Runs `sql` through `psql` as the superuser and returns its unaligned output. */
  psql(sql: string): string;
  /** Stops the server and deletes its directory. Safe to call twice. */
  close(): Promise<void>;
}

/** Finds PostgreSQL's server binaries through `pg_config --bindir`, then the Debian layout. */
export function findPostgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // pg_config missing: fall through to the usual install locations.
  }
  for (const v of ['18', '17', '16', '15', '14', '13']) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) were not found: install the `postgresql` package ' +
      '(apt-get install postgresql; brew install postgresql@15), or set PG_BINDIR to their directory',
  );
}

/** A free TCP port on 127.0.0.1 (the OS picks it; released before the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary, as the `postgres` OS user when we are root. */
function run(binDir: string, tool: string, args: readonly string[], input?: string): string {
  const file = join(binDir, tool);
  let command: string;
  let argv: string[];
  if (!isRoot) {
    command = file;
    argv = [...args];
  } else if (existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser')) {
    command = 'runuser';
    argv = ['-u', 'postgres', '--', file, ...args];
  } else {
    command = 'su';
    argv = ['postgres', '-s', '/bin/sh', '-c', [file, ...args].map(shellQuote).join(' ')];
  }
  const result = spawnSync(command, argv, { encoding: 'utf8', input, timeout: 120_000, cwd: tmpdir() });
  if (result.status !== 0) {
    throw new Error(
      `${tool} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`,
    );
  }
  return result.stdout;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Makes `dir` private to the user the server runs as (the postgres user when we are root). */
function ownByServer(dir: string): void {
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
}

/** initdb's arguments after `-D dir`: part of the template's name, so a change makes a new template. */
const INITDB_ARGS = ['-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'] as const;

/** The data directory of a cluster initdb made for `binDir` and `user` (see the module's comment). */
async function clusterTemplate(binDir: string, user: string): Promise<string> {
  const template = await templateDir('pg', [binDir, user, INITDB_ARGS, isRoot], (dir) => {
    ownByServer(dir);
    run(binDir, 'initdb', ['-D', join(dir, 'data'), '-U', user, ...INITDB_ARGS]);
  });
  return join(template, 'data');
}

const running = new Set<() => void>();
process.once('exit', () => {
  // A test that crashed must not leave a postmaster behind.
  for (const stop of running) stop();
});

/**
 * Starts a fresh PostgreSQL server on a copy of the template cluster. Takes 0.5–1 s. Call
 * `close()` in `after()`.
 */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const user = options.user ?? 'spoke';
  const database = options.database ?? 'spoke';
  const root = mkdtempSync(join(tmpdir(), 'spoke-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  ownByServer(root);
  copyTree(await clusterTemplate(binDir, user), dataDir);
  const port = await freePort();
  const settings: Record<string, string> = {
    fsync: 'off',
    full_page_writes: 'off',
    synchronous_commit: 'off',
    max_connections: '60',
    shared_buffers: '128MB',
    ...options.settings,
  };
  const serverArgs = [
    `-p ${port}`,
    '-h 127.0.0.1',
    `-k ${root}`,
    ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');
  const start = () => {
    run(binDir, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverArgs, 'start']);
  };
  let up = false;
  const stopNow = () => {
    if (!up) return;
    up = false;
    try {
      run(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already gone.
    }
  };
  start();
  up = true;
  running.add(stopNow);
  const psqlArgs = (db: string) => [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    user,
    '-d',
    db,
    '-X',
    '-A',
    '-t',
    '-v',
    'ON_ERROR_STOP=1',
  ];
  run(binDir, 'psql', [...psqlArgs('postgres'), '-c', `CREATE DATABASE "${database.replaceAll('"', '""')}"`]);
  let closed = false;
  return {
    url: `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    host: '127.0.0.1',
    port,
    user,
    database,
    binDir,
    dataDir,
    async stop() {
      stopNow();
    },
    async restart() {
      stopNow();
      start();
      up = true;
    },
    psql(sql: string) {
      return run(binDir, 'psql', [...psqlArgs(database), '-f', '-'], sql);
    },
    async close() {
      if (closed) return;
      closed = true;
      stopNow();
      running.delete(stopNow);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
