/**
 * Starts a throw-away MariaDB server for tests and benchmarks: a fresh data
 * directory (a copy of one `mariadb-install-db` made once per machine, see
 * template-dir.ts) in a temporary directory, `mariadbd`
 * listening on a free loopback port, `root` with an empty password, stopped
 * and removed by `close()`.
 *
 * MariaDB runs as root when asked (`--user=root`), so unlike PostgreSQL no
 * second OS user is needed in CI. Every server option is on the command line
 * with `--no-defaults`, so the machine's `/etc/mysql` never leaks in.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyTree, templateDir } from './template-dir.js';

/** Options for {@link startMariaDB}. */
export interface MariaDBServerOptions {
  /** The database created for the caller. Default `spoke`. */
  readonly database?: string;
  /** Extra server options (`--name=value`), e.g. `{ 'max-connections': '50' }`. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** A running test server. */
export interface MariaDBServer {
  /** `mysql://root@127.0.0.1:port/database`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** `root`, with an empty password. */
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The Unix socket, for the command-line client. */
  readonly socket: string;
  /** The `mariadb` command-line client. */
  readonly client: string;
  /** Runs `sql` through the command-line client (batch mode, tab-separated, no headers) and returns its output. */
  sql(sql: string): string;
  /** Stops the server at once (SIGKILL), keeping the data: a source that goes away. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server and deletes its directory. Safe to call twice. */
  close(): Promise<void>;
}

/** The MariaDB binaries the harness needs. */
export interface MariaDBBinaries {
  readonly server: string;
  readonly installDb: string;
  readonly client: string;
}

function which(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

/** Finds `mariadbd`, `mariadb-install-db` and `mariadb` on PATH or in Debian's locations. */
export function findMariaDBBinaries(): MariaDBBinaries {
  const pick = (names: readonly string[], dirs: readonly string[]) => {
    for (const name of names) {
      const onPath = which(name);
      if (onPath) return onPath;
      for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
    }
    return undefined;
  };
  const dirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/local/mysql/bin'];
  const server = pick(['mariadbd', 'mysqld'], dirs);
  const installDb = pick(['mariadb-install-db', 'mysql_install_db'], dirs);
  const client = pick(['mariadb', 'mysql'], dirs);
  if (!server || !installDb || !client) {
    throw new Error(
      'MariaDB was not found (need mariadbd, mariadb-install-db and the mariadb client): install it with ' +
        '`apt-get install -y mariadb-server mariadb-client` (Debian/Ubuntu) or `brew install mariadb`',
    );
  }
  return { server, installDb, client };
}

function freePort(): Promise<number> {
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

/**
 * The data directory `mariadb-install-db` made for this machine's MariaDB, made now when missing:
 * each server starts on a copy (install-db takes about 2 s, a copy a tenth of it).
 */
async function dataTemplate(installDb: string, userArgs: readonly string[]): Promise<string> {
  const args = [
    '--no-defaults',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
    ...userArgs,
  ];
  const template = await templateDir('mariadb', [installDb, args], (dir) => {
    const install = spawnSync(installDb, [...args, `--datadir=${join(dir, 'data')}`], {
      encoding: 'utf8',
      timeout: 120_000,
      cwd: dir,
    });
    if (install.status !== 0)
      throw new Error(
        `mariadb-install-db failed (${install.status ?? install.signal}): ${install.stderr || install.stdout}`,
      );
  });
  return join(template, 'data');
}

const running = new Set<() => void>();
process.once('exit', () => {
  // A test that crashed must not leave a mariadbd behind.
  for (const stop of running) stop();
});

/**
 * Starts a fresh MariaDB server on a copy of the template data directory. Takes 1–2 s.
 * Call `close()` in `after()`.
 */
export async function startMariaDB(options: MariaDBServerOptions = {}): Promise<MariaDBServer> {
  const bin = findMariaDBBinaries();
  const database = options.database ?? 'spoke';
  const root = mkdtempSync(join(tmpdir(), 'spoke-mariadb-'));
  const dataDir = join(root, 'data');
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  const socket = join(root, 'mariadb.sock');
  const logFile = join(root, 'server.log');
  const userArgs = isRoot ? ['--user=root'] : [];
  try {
    copyTree(await dataTemplate(bin.installDb, userArgs), dataDir);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const settings: Record<string, string> = {
    // Speed over durability: the data is thrown away.
    'innodb-flush-log-at-trx-commit': '0',
    'innodb-doublewrite': '0',
    'innodb-buffer-pool-size': '256M',
    'innodb-log-file-size': '64M',
    'max-connections': '100',
    'character-set-server': 'utf8mb4',
    'collation-server': 'utf8mb4_general_ci',
    ...options.settings,
  };
  const serverArgs = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--tmpdir=${tmp}`,
    `--socket=${socket}`,
    `--pid-file=${join(root, 'mariadb.pid')}`,
    `--log-error=${logFile}`,
    '--bind-address=127.0.0.1',
    `--port=${port}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    ...userArgs,
    ...Object.entries(settings).map(([k, v]) => `--${k}=${v}`),
  ];
  let child: ChildProcess | undefined;
  const clientArgs = (db: string | undefined) => [
    '--no-defaults',
    `--socket=${socket}`,
    '-uroot',
    '--default-character-set=utf8mb4',
    '--batch',
    '--skip-column-names',
    ...(db ? [`--database=${db}`] : []),
  ];
  const runSql = (sql: string, db: string | undefined) => {
    const result = spawnSync(bin.client, clientArgs(db), {
      encoding: 'utf8',
      input: sql,
      timeout: 300_000,
      maxBuffer: 1 << 28,
    });
    if (result.status !== 0)
      throw new Error(`mariadb client failed (${result.status ?? result.signal}): ${result.stderr}`);
    return result.stdout;
  };
  const start = async () => {
    child = spawn(bin.server, serverArgs, { stdio: 'ignore', cwd: root });
    const proc = child;
    let exited: string | undefined;
    proc.once('exit', (code, signal) => {
      exited = `${code ?? signal}`;
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited !== undefined) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
        throw new Error(`mariadbd exited (${exited}) while starting:\n${log}`);
      }
      const ping = spawnSync(bin.client, [...clientArgs(undefined), '-e', 'SELECT 1'], {
        encoding: 'utf8',
        timeout: 5_000,
      });
      if (ping.status === 0) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`mariadbd did not accept connections within 60 s; see ${logFile}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stopNow = () => {
    const proc = child;
    child = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  const waitStopped = async (proc: ChildProcess | undefined) => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  };
  try {
    await start();
  } catch (error) {
    stopNow();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  running.add(stopNow);
  runSql(
    `CREATE DATABASE \`${database.replaceAll('`', '``')}\`; CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;`,
    undefined,
  );
  let closed = false;
  return {
    url: `mysql://root@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    host: '127.0.0.1',
    port,
    user: 'root',
    password: '',
    database,
    socket,
    client: bin.client,
    sql: (sql: string) => runSql(sql, database),
    async stop() {
      const proc = child;
      stopNow();
      await waitStopped(proc);
    },
    async restart() {
      const proc = child;
      stopNow();
      await waitStopped(proc);
      await start();
    },
    async close() {
      if (closed) return;
      closed = true;
      const proc = child;
      stopNow();
      await waitStopped(proc);
      running.delete(stopNow);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Kept for callers that want the server's version string without starting one. */
export function mariadbVersion(): string {
  return execFileSync(findMariaDBBinaries().server, ['--version'], { encoding: 'utf8' }).trim();
}
