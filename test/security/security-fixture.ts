/**
 * The world the adversarial suite attacks: real sources holding sentinel
 * values, and gateways started in-process exactly as `spoke serve` starts
 * them (config file on disk → engine → services → listeners), on free
 * loopback ports.
 *
 * - `hr`: a DuckDB file — `employees` (SSNs masked, other departments' rows
 *   filtered out), `payroll` (aggregate-only), `secrets` (denied),
 *   `departments` (no policy: the control for scoped redaction);
 * - `files`: a Parquet folder — `badges` (PIN masked), `vault` (denied), read-only;
 * - `lake`: Lance — `events` (writable, BIGINT id), `diary` (denied, two versions);
 * - `pg`: a real PostgreSQL — `products` (no policy), `ledger` (aggregate-only),
 *   views that sleep inside PostgreSQL, read-only.
 *
 * Every protected value is distinctive (see {@link SENTINELS}), so a leak
 * check is a search for exact strings in everything a client received.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as lanceConnector } from '@spoke/connector-lance';
import type { RecordBatch } from '@spoke/core';
import {
  createGatewayEngine,
  createGatewayServices,
  createLogger,
  type GatewayServices,
  hashPasswordScrypt,
  loadConfig,
  type RunningGateway,
  SourceMeter,
  scramVerifierFor,
  startGateway,
} from '@spoke/gateway';
import { streamResultAsArrow } from '@spoke/planner';
import pg from 'pg';
import { type PostgresServer, startPostgres } from '../harness/index.js';

// ── who logs in ─────────────────────────────────────────────────────────────

/** Every user's password. `carol` has no SCRAM verifier: she may log in over TLS only. */
export const PASSWORDS = {
  admin: 'admin-pw-7Qx!',
  analyst: 'analyst-pw-3Kd!',
  bob: 'bob-pw-9Lm!',
  carol: 'carol-pw-tls!',
  mallory: 'mallory-pw-0Zz!',
  trent: 'trent-pw-2Yy!',
} as const;

/** A configured user name. */
export type UserName = keyof typeof PASSWORDS;

// ── the sentinels ───────────────────────────────────────────────────────────

/** The amount of employee 42 in `hr.payroll`, as in the issue. */
export const AMOUNT_42 = 55754;

/** `hr.payroll`: emp_id 1–48, every amount distinct and distinctive (six digits but 42's). */
export const PAYROLL: readonly (readonly [number, number])[] = Array.from({ length: 48 }, (_, i) => {
  const id = i + 1;
  return [id, id === 42 ? AMOUNT_42 : 800_000 + ((id * 7919) % 99_991)] as const;
});

/** One row of `hr.employees`. */
export interface Employee {
  readonly id: number;
  readonly name: string;
  readonly department: 'Sales' | 'Engineering';
  readonly ssn: string;
  readonly salary: number;
}

const FIRST = ['Alice', 'Bruno', 'Chiara', 'Dmitri', 'Esme', 'Farid'];
const HIDDEN = ['Zebulon', 'Quintus', 'Ysolde', 'Xanthe', 'Wendelin', 'Valtteri'];

/** `hr.employees`: ids 1–6 in Sales (the analysts' department), 7–12 in Engineering (filtered out for them). */
export const EMPLOYEES: readonly Employee[] = [
  ...FIRST.map((n, i) => ({
    id: i + 1,
    name: `${n} Visiblerow`,
    department: 'Sales' as const,
    ssn: `987-65-43${29 + i}`,
    salary: 610_011 + i * 1_013,
  })),
  ...HIDDEN.map((n, i) => ({
    id: i + 7,
    name: `${n} Hiddenrow`,
    department: 'Engineering' as const,
    ssn: `987-65-43${41 + i}`,
    salary: 930_017 + i * 1_109,
  })),
];

/** `hr.departments` (no policy): its budgets may appear in error messages. */
export const DEPARTMENTS = [
  [1, 'Sales', 77_123],
  [2, 'Engineering', 66_231],
] as const;

/** `pg.public.ledger` (aggregate-only). */
export const LEDGER: readonly (readonly [number, number, string])[] = Array.from({ length: 30 }, (_, i) => [
  i + 1,
  700_000 + (((i + 1) * 6271) % 99_989),
  `LEDGERSECRET-${String.fromCharCode(97 + (i % 26))}${i + 1}-quux`,
]);

/** `files.badges`: PINs masked for analysts. */
export const BADGES = Array.from(
  { length: 8 },
  (_, i) => [i + 1, `holder ${i + 1}`, `PIN-31337-${'ABCDEFGH'[i]}ZQ`] as const,
);

/** What the admin types into the audit log before any attack: analysts must never read it back. */
export const AUDIT_MARKER = 'ADMIN-AUDIT-MARKER-zork';

/** An environment variable of the gateway's process. */
export const ENV_NAME = 'SPOKE_SECURITY_ENV_SENTINEL';
export const ENV_VALUE = 'ENVSECRET-frobozz';
process.env[ENV_NAME] = ENV_VALUE;

/** Something the attacker must never see, and how to recognise it. */
export interface Sentinel {
  readonly label: string;
  readonly pattern: RegExp;
}

function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** A number, not as part of a longer number. */
function numberSentinel(label: string, n: number): Sentinel {
  return { label, pattern: new RegExp(`(?<![0-9])${n}(?![0-9])`) };
}

/** Values of `hr.payroll` (each amount). */
export const PAYROLL_SENTINELS: readonly Sentinel[] = PAYROLL.map(([id, amount]) =>
  numberSentinel(`hr.payroll amount of emp ${id}`, amount),
);

/** Values of `hr.employees` the analyst may not see: hidden rows, every SSN (masked). */
export const HIDDEN_EMPLOYEE_SENTINELS: readonly Sentinel[] = [
  { label: 'an SSN (masked)', pattern: /987-?65-?43\d\d/ },
  { label: 'a hidden row name', pattern: /Hiddenrow/ },
  ...EMPLOYEES.filter((e) => e.department === 'Engineering').map((e) =>
    numberSentinel(`salary of hidden employee ${e.id}`, e.salary),
  ),
];

/** Every value of `hr.employees` (errors of a query that touches it carry none, visible rows included). */
export const EMPLOYEE_VALUE_SENTINELS: readonly Sentinel[] = [
  ...HIDDEN_EMPLOYEE_SENTINELS,
  { label: 'a visible row name (in an error)', pattern: /Visiblerow/ },
  ...EMPLOYEES.filter((e) => e.department === 'Sales').map((e) =>
    numberSentinel(`salary of visible employee ${e.id} (in an error)`, e.salary),
  ),
];

/** Values of `pg.public.ledger`. */
export const LEDGER_SENTINELS: readonly Sentinel[] = [
  { label: 'a ledger memo', pattern: /LEDGERSECRET-/ },
  ...LEDGER.map(([id, amount]) => numberSentinel(`pg.public.ledger amount of id ${id}`, amount)),
];

/** Values that no analyst-visible answer may ever contain, whatever the attack. */
export const SENTINELS: readonly Sentinel[] = [
  { label: 'a line of /etc/passwd', pattern: /root:x:0:0/ },
  { label: 'a scrypt password hash (config file)', pattern: /scrypt\$/ },
  { label: 'a SCRAM verifier (config file)', pattern: /SCRAM-SHA-256\$/ },
  { label: "the admin's SQL (audit log)", pattern: literal(AUDIT_MARKER) },
  { label: 'an environment variable', pattern: literal(ENV_VALUE) },
  { label: 'hr.secrets (denied)', pattern: /TOPSECRET-/ },
  { label: 'files.vault (denied)', pattern: /VAULTSECRET-/ },
  { label: 'lake.diary (denied)', pattern: /DIARYSECRET-/ },
  { label: 'a badge PIN (masked)', pattern: /PIN-31337/ },
  { label: 'a host CSV file', pattern: /CSVSECRET-/ },
  ...HIDDEN_EMPLOYEE_SENTINELS,
  ...PAYROLL_SENTINELS,
  ...LEDGER_SENTINELS,
];

/** Names of denied tables: no catalog listing may show them. */
export const DENIED_NAMES: readonly Sentinel[] = [
  { label: 'the denied table hr.secrets', pattern: /(?<![A-Za-z0-9_])secrets(?![A-Za-z0-9_])/i },
  { label: 'the denied table files.vault', pattern: /(?<![A-Za-z0-9_])vault(?![A-Za-z0-9_])/i },
  { label: 'the denied table lake.diary', pattern: /(?<![A-Za-z0-9_])diary(?![A-Za-z0-9_])/i },
];

// ── the gateways ────────────────────────────────────────────────────────────

/** The gateways the suite starts (each lazily, each from its own config file). */
export type GatewayKind = 'main' | 'fair' | 'timeout' | 'login' | 'throttle';

/** A running gateway. */
export interface GatewayHandle {
  readonly kind: GatewayKind;
  readonly configFile: string;
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  readonly pgPort: number;
  /** `127.0.0.1:port`, when this gateway serves Flight. */
  readonly flightAddress: string | undefined;
  readonly gateway: RunningGateway;
  readonly services: GatewayServices;
  close(): Promise<void>;
}

/** Everything the cases need. */
export interface SecurityFixture {
  readonly dir: string;
  readonly paths: {
    readonly config: string;
    readonly audit: string;
    readonly hr: string;
    readonly badgesParquet: string;
    readonly vaultParquet: string;
    readonly lance: string;
    readonly hostCsv: string;
  };
  readonly postgres: PostgresServer;
  readonly main: GatewayHandle;
  /** Starts (once) and returns another gateway over the same PostgreSQL. */
  gateway(kind: Exclude<GatewayKind, 'main'>): Promise<GatewayHandle>;
}

async function userYaml(
  name: UserName,
  roles: string[],
  extra: string[] = [],
  scram = true,
): Promise<string> {
  const password = PASSWORDS[name];
  const lines = [`  ${name}:`, `    password_hash: "${await hashPasswordScrypt(password)}"`];
  if (scram) lines.push(`    scram_sha_256: "${await scramVerifierFor(password)}"`);
  lines.push(`    roles: [${roles.join(', ')}]`, ...extra.map((l) => `    ${l}`));
  return lines.join('\n');
}

const SERVER_ALL = `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
  flight: { host: 127.0.0.1, port: 0 }`;
const SERVER_NO_FLIGHT = `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }`;

const POLICIES = `policies:
  - { name: no_hr_s, on: hr.secrets, rule: deny, roles: [analyst] }
  - { name: ssn_mask, on: hr.employees.ssn, rule: mask, mask: redact, roles: [analyst] }
  - { name: own_department, on: hr.employees, rule: row_filter, predicate: "department = current_user_attr('department')", roles: [analyst] }
  - { name: payroll_aggregates, on: hr.payroll, rule: aggregate_only, min_group_size: 5, roles: [analyst] }
  - { name: employees_stay_local, on: hr.employees, rule: never_upload, roles: [analyst] }
  - { name: pin_mask, on: files.badges.pin, rule: mask, mask: redact, roles: [analyst] }
  - { name: no_files_v, on: files.vault, rule: deny, roles: [analyst] }
  - { name: badges_read_only, on: files.badges, rule: read_only, roles: [analyst] }
  - { name: no_lake_d, on: lake.diary, rule: deny, roles: [analyst] }
  - { name: ledger_aggregates, on: pg.public.ledger, rule: aggregate_only, min_group_size: 5, roles: [analyst] }
  - { name: ledger_read_only, on: pg.public.ledger, rule: read_only, roles: [analyst] }`;

async function configText(kind: GatewayKind, pgUrl: string): Promise<string> {
  const analystAttrs = ['attributes: { department: Sales }'];
  const pgSource = `  pg: { connector: postgres, url: "${pgUrl}", poolSize: 8 }`;
  switch (kind) {
    case 'main':
      return `${SERVER_ALL}
users:
${await userYaml('admin', ['admin'])}
${await userYaml('analyst', ['analyst'], analystAttrs)}
${await userYaml('bob', ['analyst'], analystAttrs)}
${await userYaml('carol', ['analyst'], analystAttrs, false)}
audit: { path: audit.jsonl }
logging: { level: error }
duckdb: { tempDirectory: spill }
${POLICIES}
sources:
  hr: { connector: duckdb, path: hr.duckdb }
  files: { connector: parquet, url: parquet/ }
  lake: { connector: lance, uri: lance }
${pgSource}
`;
    case 'fair':
      return `${SERVER_NO_FLIGHT}
users:
${await userYaml('analyst', ['analyst'], analystAttrs)}
${await userYaml('bob', ['analyst'], analystAttrs)}
limits: { max_concurrent_per_user: 1, queue_timeout: 10s, query_timeout: 60s }
logging: { level: error }
sources:
${pgSource}
`;
    case 'timeout':
      return `${SERVER_NO_FLIGHT}
users:
${await userYaml('analyst', ['analyst'], analystAttrs)}
limits: { query_timeout: 2s }
logging: { level: error }
sources:
${pgSource}
`;
    case 'login':
      return `${SERVER_ALL}
users:
${await userYaml('analyst', ['analyst'], analystAttrs)}
${await userYaml('carol', ['analyst'], analystAttrs, false)}
${await userYaml('mallory', ['analyst'], analystAttrs)}
${await userYaml('trent', ['analyst'], analystAttrs)}
logging: { level: error }
sources:
${pgSource}
`;
    case 'throttle':
      return `${SERVER_NO_FLIGHT}
users:
${await userYaml('analyst', ['analyst'], analystAttrs)}
${await userYaml('mallory', ['analyst'], analystAttrs)}
logging: { level: error }
sources:
${pgSource}
`;
  }
}

/** Starts a gateway from `file` as `spoke serve` does. */
async function startFromFile(kind: GatewayKind, file: string): Promise<GatewayHandle> {
  const config = await loadConfig(file);
  const meter = new SourceMeter();
  const logger = createLogger({ level: 'error', format: 'json', write: () => {} });
  const engine = await createGatewayEngine(config, { meter });
  let gateway: RunningGateway;
  let services: GatewayServices;
  try {
    services = createGatewayServices(engine, config, { meter, logger });
    gateway = await startGateway(engine, config.server, () => {}, services);
  } catch (error) {
    await engine.close();
    throw error;
  }
  return {
    kind,
    configFile: file,
    url: gateway.http?.url ?? '',
    pgPort: gateway.postgres?.port ?? 0,
    flightAddress: gateway.flight ? `127.0.0.1:${gateway.flight.port}` : undefined,
    gateway,
    services,
    close: () => gateway.close(),
  };
}

// ── the data ────────────────────────────────────────────────────────────────

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

async function writeDuckDbAndParquet(dir: string): Promise<void> {
  const db = await DuckDBInstance.create(join(dir, 'hr.duckdb'));
  const c = await db.connect();
  try {
    await c.run(
      'CREATE TABLE employees (id INTEGER, name VARCHAR, department VARCHAR, ssn VARCHAR, salary INTEGER)',
    );
    await c.run(
      `INSERT INTO employees VALUES ${EMPLOYEES.map((e) => `(${e.id}, ${sqlString(e.name)}, '${e.department}', '${e.ssn}', ${e.salary})`).join(', ')}`,
    );
    await c.run('CREATE TABLE payroll (emp_id INTEGER, amount INTEGER)');
    await c.run(`INSERT INTO payroll VALUES ${PAYROLL.map(([id, a]) => `(${id}, ${a})`).join(', ')}`);
    await c.run('CREATE TABLE secrets (id INTEGER, secret VARCHAR)');
    await c.run("INSERT INTO secrets VALUES (1, 'TOPSECRET-xyzzy'), (2, 'TOPSECRET-plugh')");
    await c.run('CREATE TABLE departments (id INTEGER, name VARCHAR, budget INTEGER)');
    await c.run(
      `INSERT INTO departments VALUES ${DEPARTMENTS.map(([id, n, b]) => `(${id}, '${n}', ${b})`).join(', ')}`,
    );
    await mkdir(join(dir, 'parquet', 'badges'), { recursive: true });
    await mkdir(join(dir, 'parquet', 'vault'), { recursive: true });
    await c.run(
      `COPY (SELECT * FROM (VALUES ${BADGES.map(([id, h, p]) => `(${id}, '${h}', '${p}')`).join(', ')}) t(badge_id, holder, pin)) TO '${join(dir, 'parquet', 'badges', 'part-0.parquet')}' (FORMAT parquet)`,
    );
    await c.run(
      `COPY (SELECT * FROM (VALUES (1, 'VAULTSECRET-frotz'), (2, 'VAULTSECRET-blorb')) t(k, v)) TO '${join(dir, 'parquet', 'vault', 'part-0.parquet')}' (FORMAT parquet)`,
    );
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

async function batchesOf(sql: string): Promise<RecordBatch[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const out: RecordBatch[] = [];
    for await (const b of streamResultAsArrow(await c.stream(sql))) out.push(b);
    return out;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

async function* iterate(batches: RecordBatch[]): AsyncGenerator<RecordBatch> {
  yield* batches;
}

async function writeLance(dir: string): Promise<void> {
  const lance = (await lanceConnector.create(
    { uri: join(dir, 'lance') },
    { sourceName: 'lake', baseDir: dir },
  )) as import('@spoke/connector-lance').LanceConnector;
  try {
    const events = await batchesOf(
      "SELECT CAST(i AS BIGINT) AS id, 'seed ' || i AS kind FROM range(1, 6) t(i)",
    );
    await lance.createTableFrom('events', events[0]!.schema, iterate(events));
    const v1 = await batchesOf("SELECT CAST(1 AS BIGINT) AS id, 'DIARYSECRET-v1-gnusto' AS entry");
    await lance.createTableFrom('diary', v1[0]!.schema, iterate(v1));
    const v2 = await batchesOf("SELECT CAST(2 AS BIGINT) AS id, 'DIARYSECRET-v2-rezrov' AS entry");
    const diary = await lance.openTable('diary');
    await diary!.insert!(iterate(v2), {
      signal: new AbortController().signal,
      context: { queryId: 'security-fixture', roles: [] },
    });
  } finally {
    await lance.close();
  }
}

const PG_SETUP = `
CREATE TABLE products AS SELECT i AS id, 'product ' || i AS name, 1000 + i AS price FROM generate_series(1, 20) AS t(i);
CREATE TABLE ledger (id int, amount int, memo text);
INSERT INTO ledger VALUES ${LEDGER.map(([id, a, m]) => `(${id}, ${a}, '${m}')`).join(', ')};
CREATE VIEW sleepy AS SELECT pg_sleep(4)::text AS s;
CREATE VIEW sleepy_long AS SELECT pg_sleep(60)::text AS s;
ANALYZE;
`;

// ── the fixture ─────────────────────────────────────────────────────────────

let started: Promise<SecurityFixture> | undefined;
const closers: (() => Promise<void>)[] = [];

/** The fixture, started on first use (a failure then fails every case that needs it). */
export function securityFixture(): Promise<SecurityFixture> {
  started ??= startFixture();
  return started;
}

/** Stops every gateway and PostgreSQL and removes the temporary directory. */
export async function closeSecurityFixture(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
}

async function startFixture(): Promise<SecurityFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-security-'));
  closers.push(async () => rmSync(dir, { recursive: true, force: true }));
  const postgres = await startPostgres();
  closers.push(() => postgres.close());
  postgres.psql(PG_SETUP);
  await writeDuckDbAndParquet(dir);
  await writeLance(dir);
  await mkdir(join(dir, 'spill'), { recursive: true });
  const hostCsv = join(dir, 'host-file.csv');
  writeFileSync(hostCsv, 'k,v\n1,CSVSECRET-grue\n');

  const files: Record<GatewayKind, string> = {
    main: join(dir, 'spoke.yaml'),
    fair: join(dir, 'fair.yaml'),
    timeout: join(dir, 'timeout.yaml'),
    login: join(dir, 'login.yaml'),
    throttle: join(dir, 'throttle.yaml'),
  };
  for (const kind of Object.keys(files) as GatewayKind[])
    writeFileSync(files[kind], await configText(kind, postgres.url));

  const main = await startFromFile('main', files.main);
  closers.push(() => main.close());
  // The admin's query lands in the audit log: the log now holds SQL an analyst must never read.
  const admin = new pg.Client({
    host: '127.0.0.1',
    port: main.pgPort,
    user: 'admin',
    password: PASSWORDS.admin,
    database: 'spoke',
  });
  await admin.connect();
  try {
    await admin.query(`SELECT '${AUDIT_MARKER}' AS marker`);
  } finally {
    await admin.end();
  }
  const audit = join(dir, 'audit.jsonl');
  const deadline = Date.now() + 5_000;
  const logged = () => existsSync(audit) && readFileSync(audit, 'utf8').includes(AUDIT_MARKER);
  while (!logged()) {
    if (Date.now() > deadline)
      throw new Error(
        'the audit log does not hold the admin query: the host-file attacks would prove nothing',
      );
    await new Promise((r) => setTimeout(r, 50));
  }

  const others = new Map<GatewayKind, Promise<GatewayHandle>>();
  return {
    dir,
    paths: {
      config: files.main,
      audit,
      hr: join(dir, 'hr.duckdb'),
      badgesParquet: join(dir, 'parquet', 'badges', 'part-0.parquet'),
      vaultParquet: join(dir, 'parquet', 'vault', 'part-0.parquet'),
      lance: join(dir, 'lance'),
      hostCsv,
    },
    postgres,
    main,
    gateway(kind) {
      let handle = others.get(kind);
      if (!handle) {
        handle = startFromFile(kind, files[kind]).then((h) => {
          closers.push(() => h.close());
          return h;
        });
        others.set(kind, handle);
      }
      return handle;
    },
  };
}
