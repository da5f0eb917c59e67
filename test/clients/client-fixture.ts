/**
 * Shared by the real-client tests: a DuckDB database file with a table of
 * every common type, `spoke serve` (the built CLI, as users run it) over it
 * with a SCRAM user, and DuckDB over the same file for reference answers.
 * Each client runs as a child process (python3, java), exactly as installed
 * from Debian's packages.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { hashPasswordScrypt, scramVerifierFor } from '@spoke/gateway';
import { selfSignedCertificate } from '../../apps/gateway/test/operator-fixture.js';

/** The SCRAM user's password (the gateway asks every client for it). */
export const PASSWORD = 'client-test-pw';
/** The login every client uses. */
export const USER = 'tester';
/** Rows in `crm.big`, read with a fetch size / server-side cursor. */
export const BIG_ROWS = 200_000;

const SPOKE_BIN = join(
  dirname(fileURLToPath(import.meta.resolve('@spoke/gateway/package.json'))),
  'bin',
  'spoke.js',
);

/** A running gateway over the test data. */
export interface ClientFixture {
  readonly dir: string;
  readonly port: number;
  /** The gateway's self-signed certificate (CN and SAN 127.0.0.1): clients verify TLS against it. */
  readonly certFile: string;
  /** Rows DuckDB returns for `sql` over the same file (attached as `crm`), as JSON-friendly objects. */
  duckdb(sql: string): Promise<Record<string, unknown>[]>;
  /** Runs Debian's `/usr/bin/python3 -c script` (its packages, not a pyenv's) with PG* variables pointing at the gateway; resolves with stdout. */
  python(script: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/** Runs a program; rejects with its stderr when it fails, so a test failure shows the client's own error. */
export function runProgram(
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 60_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${file} failed: ${error.message}\n${stderr}\n${stdout}`));
        else resolve(stdout);
      },
    );
  });
}

/** Creates the data, starts `spoke serve` and waits for its banner. */
export async function clientFixture(): Promise<ClientFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-clients-'));
  const path = join(dir, 'crm.duckdb');
  {
    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    await c.run(`CREATE TABLE types AS SELECT * FROM (VALUES
      (1, true, 10::SMALLINT, 100000000000::BIGINT, 1.5::REAL, 3.25::DOUBLE, 12345.67::DECIMAL(12,2), 'hello', DATE '2024-02-29',
       TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05+00', '\\x00\\xFF'::BLOB, TIME '12:34:56.5',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, 123456789012345678.123456::DECIMAL(38,6)),
      (2, false, -1::SMALLINT, -5::BIGINT, 'NaN'::REAL, 'Infinity'::DOUBLE, -0.05::DECIMAL(12,2), 'wörld "quoted"', DATE '1999-12-31',
       TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '2000-06-15 12:00:00+00', ''::BLOB, TIME '00:00:00',
       '00000000-0000-0000-0000-000000000000'::UUID, -0.000001::DECIMAL(38,6)),
      (3, NULL, NULL, NULL, NULL, '-Infinity'::DOUBLE, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0::DECIMAL(38,6))
    ) t(id, b, i2, i8, f4, f8, dec, txt, d, ts, tstz, bin, tm, u, big_dec)`);
    await c.run(
      `CREATE TABLE customers AS SELECT i::INTEGER AS id, 'customer ' || i AS name, i % 3 = 0 AS vip,
         (i * 1.25)::DECIMAL(10,2) AS balance FROM range(1, 101) r(i)`,
    );
    await c.run(
      `CREATE TABLE big AS SELECT i::BIGINT AS id, 'row ' || i AS label FROM range(${BIG_ROWS}) r(i)`,
    );
    c.closeSync();
    db.closeSync();
  }
  // TLS is offered (SSLRequest) and optional: the tests connect both ways.
  const { certFile } = await selfSignedCertificate(dir);
  const config = join(dir, 'spoke.yaml');
  writeFileSync(
    config,
    `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
users:
  ${USER}:
    password_hash: "${await hashPasswordScrypt(PASSWORD)}"
    scram_sha_256: "${await scramVerifierFor(PASSWORD)}"
    roles: [admin]
logging: { level: warn }
tls: { cert_file: cert.pem, key_file: key.pem }
sources:
  crm: { connector: duckdb, path: crm.duckdb }
`,
  );
  const child: ChildProcess = spawn(
    process.execPath,
    [SPOKE_BIN, 'serve', '--workers', '1', '--config', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    },
  );
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
    child.stdout!.on('data', () => {
      if (out.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`spoke serve exited with ${code}: ${err}`)));
  });
  const port = Number(/Postgres\s+postgresql:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  const reference = await DuckDBInstance.create(':memory:');
  const rc = await reference.connect();
  await rc.run(`SET TimeZone = 'UTC'`);
  await rc.run(`ATTACH '${path}' AS crm (READ_ONLY)`);
  const env = {
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: USER,
    PGPASSWORD: PASSWORD,
    PGDATABASE: 'spoke',
    PGSSLMODE: 'disable',
    SPOKE_CERT: certFile,
  };
  return {
    dir,
    port,
    certFile,
    async duckdb(sql) {
      const reader = await rc.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    python: (script, timeoutMs) => runProgram('/usr/bin/python3', ['-c', script], env, timeoutMs),
    async close() {
      rc.closeSync();
      reference.closeSync();
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
