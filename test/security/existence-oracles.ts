/**
 * Attack class 5: existence oracles. A denied table must be
 * indistinguishable from a missing one on every path — SELECT, time
 * travel, writes, EXPLAIN, misspellings, catalog queries, HTTP
 * `/v1/catalog`, Flight GetTables — and a failed login must look the same
 * whatever the reason (unknown user, wrong password, TLS-only user over
 * plaintext), with failed logins throttled. Denied and missing names have
 * the same length, so even error positions must match.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe } from 'node:test';
// The gateway's Flight client, for the login and catalog commands.
import { FlightSqlClient } from '../../apps/gateway/src/flight/flight-client.js';
import {
  basicAuth,
  brief,
  FlightSession,
  grpcErrorText,
  httpRun,
  leaksIn,
  type Outcome,
  PgSession,
  toText,
} from './attack-clients.js';
import { assertNoProblems, attack } from './attack-test.js';
import { PSQL_DT } from './catalog-isolation.js';
import { DENIED_NAMES, PASSWORDS, SENTINELS, securityFixture } from './security-fixture.js';

/** Denied tables and missing names of the same length, per source. */
const PAIRS = [
  { source: 'hr', denied: 'secrets', missing: 'absentx', columns: '(id, secret)', row: "(3, 'x')" },
  { source: 'lake', denied: 'diary', missing: 'nopes', columns: '(id, entry)', row: "(3, 'x')" },
  { source: 'files', denied: 'vault', missing: 'nihil', columns: '(k, v)', row: "(3, 'x')" },
] as const;

/** Statement templates; `T` is the table name, `S` the source. */
const TEMPLATES = [
  'SELECT * FROM {S}.{T}',
  'SELECT count(*) FROM {S}.{T}',
  'SELECT id FROM {S}.{T} WHERE id = 1',
  'SELECT * FROM {S}.main.{T}',
  'SELECT * FROM {S}.{T} LIMIT 0',
  'SELECT * FROM {S}.{T} AS x WHERE false',
  'WITH x AS (SELECT * FROM {S}.{T}) SELECT 1 AS one FROM x',
  'SELECT 1 AS one WHERE EXISTS (SELECT 1 FROM {S}.{T})',
  'SELECT * FROM {S}.{T}(version => 1)',
  'SELECT * FROM {S}.{T}(version => 2)',
  'SELECT * FROM {S}.{T}(version => 99)',
  'INSERT INTO {S}.{T} {C} VALUES {R}',
  'INSERT INTO {S}.{T} SELECT * FROM {S}.{T}',
  'UPDATE {S}.{T} SET id = 1 WHERE id = 1',
  'DELETE FROM {S}.{T} WHERE id = 1',
  'CREATE TABLE lake.oracle_copy AS SELECT * FROM {S}.{T}',
  'CREATE INDEX ON {S}.{T} (id)',
  'EXPLAIN SELECT * FROM {S}.{T}',
  "SELECT '{S}.{T}'::regclass",
  "SELECT to_regclass('{S}.{T}') AS r",
  "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname OPERATOR(pg_catalog.~) '^({T})$' COLLATE pg_catalog.default ORDER BY 2, 3",
  "SELECT column_name FROM information_schema.columns WHERE table_name = '{T}'",
  "SELECT table_name FROM information_schema.tables WHERE table_name = '{T}'",
];

function fill(template: string, pair: (typeof PAIRS)[number], name: string): string {
  return template
    .replaceAll('{S}', pair.source)
    .replaceAll('{T}', name)
    .replaceAll('{C}', pair.columns)
    .replaceAll('{R}', pair.row);
}

/** What the client saw, with the typed name replaced, for comparing two attempts. */
function normalized(o: Outcome, name: string): string {
  const re = new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`, 'gi');
  if (o.protocol === 'http') {
    // Headers carry a date; compare the status and the body.
    const body = o.seen.split('\n').slice(2).join('\n');
    return `${o.status} ${body}`.replace(re, '<T>');
  }
  // gRPC metadata carries a date too.
  return `${o.ok} ${o.code} ${o.seen}`.replace(/"date":\["[^"]*"\]/g, '').replace(re, '<T>');
}

/** A denied and a missing attempt that differ beyond the name, or a denied one that mentions a denied name it was not given. */
function oracleProblem(
  denied: Outcome,
  missing: Outcome,
  deniedName: string,
  missingName: string,
): string | undefined {
  const a = normalized(denied, deniedName);
  const b = normalized(missing, missingName);
  if (a !== b) return `denied ≠ missing:\n      ${brief(denied)}\n      ${brief(missing)}`;
  const leaked = leaksIn(denied.seen, SENTINELS);
  if (leaked.length) return `LEAKED ${leaked.join(', ')}: ${brief(denied)}`;
  return undefined;
}

async function rawFirstAuthMessage(port: number, user: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const params = Buffer.from(`user\0${user}\0database\0spoke\0\0`);
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length);
  startup.writeInt32BE(196608, 4);
  params.copy(startup, 8);
  socket.write(startup);
  const data = await new Promise<Buffer>((resolve) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => resolve(got), 3000);
    socket.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 5 && got.length >= 1 + got.readInt32BE(1)) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    socket.on('close', () => resolve(got));
  });
  socket.destroy();
  if (data.length < 5) return 'closed';
  const type = String.fromCharCode(data[0]!);
  if (type === 'R') {
    const body = data.subarray(5, 1 + data.readInt32BE(1));
    return `R${body.readInt32BE(0)} ${body.subarray(4).toString('latin1')}`;
  }
  if (type === 'E') {
    const fields = data
      .subarray(5, 1 + data.readInt32BE(1))
      .toString('utf8')
      .split('\0');
    return `E ${fields.find((f) => f.startsWith('C')) ?? ''}`;
  }
  return type;
}

async function flightLogin(address: string, user: string, password: string): Promise<string> {
  const client = new FlightSqlClient(address);
  try {
    await client.handshake(user, password);
    return 'ok';
  } catch (error) {
    const { code, message } = grpcErrorText(error);
    return `${code} ${message}`.replaceAll(user, '<U>');
  } finally {
    client.close();
  }
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

describe('5. existence oracles', () => {
  for (const pair of PAIRS) {
    attack(
      `${pair.source}.${pair.denied} (denied) answers exactly as ${pair.source}.${pair.missing} (missing), on every path`,
      async () => {
        const fx = await securityFixture();
        const session = new PgSession(fx.main.pgPort, 'analyst');
        const flight = new FlightSession(fx.main.flightAddress!, 'analyst');
        const problems: string[] = [];
        try {
          for (const template of TEMPLATES) {
            const deniedSql = fill(template, pair, pair.denied);
            const missingSql = fill(template, pair, pair.missing);
            const pgP = oracleProblem(
              await session.run(deniedSql),
              await session.run(missingSql),
              pair.denied,
              pair.missing,
            );
            if (pgP) problems.push(pgP);
            const httpP = oracleProblem(
              await httpRun(fx.main.url, 'analyst', deniedSql),
              await httpRun(fx.main.url, 'analyst', missingSql),
              pair.denied,
              pair.missing,
            );
            if (httpP) problems.push(httpP);
            const flightP = oracleProblem(
              await flight.run(deniedSql),
              await flight.run(missingSql),
              pair.denied,
              pair.missing,
            );
            if (flightP) problems.push(flightP);
            // Prepared statements: Parse/Describe on the wire, CreatePreparedStatement on Flight, /v1/explain.
            const preparedP = oracleProblem(
              await session.run(deniedSql, undefined, true),
              await session.run(missingSql, undefined, true),
              pair.denied,
              pair.missing,
            );
            if (preparedP) problems.push(`prepared: ${preparedP}`);
            const flightPrepared = oracleProblem(
              await flight.run(deniedSql, true),
              await flight.run(missingSql, true),
              pair.denied,
              pair.missing,
            );
            if (flightPrepared) problems.push(`prepared: ${flightPrepared}`);
            if (/^(SELECT|WITH)/.test(template)) {
              const explainP = oracleProblem(
                await httpRun(fx.main.url, 'analyst', deniedSql, undefined, '/v1/explain'),
                await httpRun(fx.main.url, 'analyst', missingSql, undefined, '/v1/explain'),
                pair.denied,
                pair.missing,
              );
              if (explainP) problems.push(`/v1/explain: ${explainP}`);
            }
          }
        } finally {
          await session.close();
          flight.close();
        }
        assertNoProblems(problems, `${pair.source}.${pair.denied}`);
      },
      120_000,
    );
  }

  attack('a misspelling close to a denied name never suggests it', async () => {
    const fx = await securityFixture();
    const session = new PgSession(fx.main.pgPort, 'analyst');
    const problems: string[] = [];
    try {
      const attempts: [string, string, RegExp][] = [
        ['SELECT * FROM hr.secret', 'SELECT * FROM hr.zzzzzz', /secrets/i],
        ['SELECT * FROM hr.secretz', 'SELECT * FROM hr.zzzzzzz', /secrets/i],
        ['SELECT * FROM hr.Secret', 'SELECT * FROM hr.Zzzzzz', /secrets/i],
        ['SELECT * FROM hr.secret(version => 2)', 'SELECT * FROM hr.zzzzzz(version => 2)', /secrets/i],
        ['INSERT INTO hr.secret VALUES (1)', 'INSERT INTO hr.zzzzzz VALUES (1)', /secrets/i],
        ['SELECT * FROM lake.diar', 'SELECT * FROM lake.zzzz', /diary/i],
        ['SELECT * FROM lake.diar(version => 1)', 'SELECT * FROM lake.zzzz(version => 1)', /diary/i],
        ['SELECT * FROM files.vaul', 'SELECT * FROM files.zzzz', /vault/i],
      ];
      for (const [close, far, name] of attempts) {
        const a = await session.run(close);
        const b = await session.run(far);
        if (name.test(a.seen)) problems.push(`suggests the denied name: ${brief(a)} ${a.seen.slice(0, 300)}`);
        const typedClose = /FROM (\w+\.)?(\w+)|INTO (\w+\.)?(\w+)/.exec(close)!;
        const typedFar = /FROM (\w+\.)?(\w+)|INTO (\w+\.)?(\w+)/.exec(far)!;
        const p = oracleProblem(a, b, (typedClose[2] ?? typedClose[4])!, (typedFar[2] ?? typedFar[4])!);
        if (p) problems.push(p);
      }
    } finally {
      await session.close();
    }
    assertNoProblems(problems, 'suggestions');
  });

  attack('HTTP /v1/catalog and Flight GetTables never list a denied table', async () => {
    const fx = await securityFixture();
    const problems: string[] = [];
    const catalog = async (user: 'admin' | 'analyst') => {
      const res = await fetch(`${fx.main.url}/v1/catalog`, {
        headers: { authorization: basicAuth(user, PASSWORDS[user]) },
      });
      return `${res.status} ${await res.text()}`;
    };
    const adminCatalog = await catalog('admin');
    if (!/secrets/.test(adminCatalog)) problems.push('the admin catalog should list hr.secrets (sanity)');
    const analystCatalog = await catalog('analyst');
    const leaked = leaksIn(analystCatalog, [...DENIED_NAMES, ...SENTINELS]);
    if (leaked.length) problems.push(`/v1/catalog lists ${leaked.join(', ')}`);
    if (!/employees/.test(analystCatalog))
      problems.push(`/v1/catalog should list hr.employees: ${analystCatalog.slice(0, 200)}`);

    const flight = new FlightSession(fx.main.flightAddress!, 'analyst');
    try {
      const client = await flight.client();
      for (const command of [
        { include_schema: true, table_types: [] },
        { table_name_filter_pattern: 'secrets', include_schema: false, table_types: [] },
        { table_name_filter_pattern: '%', include_schema: true, table_types: [] },
        {
          db_schema_filter_pattern: '%',
          table_name_filter_pattern: 'diary',
          include_schema: false,
          table_types: [],
        },
      ]) {
        try {
          const table = await client.getTables(command);
          const text = toText(table.toArray().map((r) => r.toJSON()));
          const found = leaksIn(text, [...DENIED_NAMES, ...SENTINELS]);
          if (found.length) problems.push(`GetTables ${JSON.stringify(command)} lists ${found.join(', ')}`);
        } catch (error) {
          problems.push(`GetTables ${JSON.stringify(command)} failed: ${grpcErrorText(error).message}`);
        }
      }
    } finally {
      flight.close();
    }
    const session = new PgSession(fx.main.pgPort, 'analyst');
    try {
      const dt = await session.run(PSQL_DT);
      const found = leaksIn(dt.seen, DENIED_NAMES);
      if (found.length) problems.push(`\\dt lists ${found.join(', ')}`);
    } finally {
      await session.close();
    }
    assertNoProblems(problems, 'catalog listings');
  });

  attack('a failed login looks the same whatever the reason (Postgres wire, HTTP, Flight)', async () => {
    const fx = await securityFixture();
    const gw = await fx.gateway('login');
    const problems: string[] = [];
    // Postgres wire: the first authentication message, and the final error, for each reason.
    const reasons: [string, string, string][] = [
      ['unknown user', 'ghost', 'whatever-pw'],
      ['wrong password', 'trent', 'wrong-pw'],
      ['TLS-only user over plaintext, right password', 'carol', PASSWORDS.carol],
      ['TLS-only user over plaintext, wrong password', 'carol', 'wrong-pw'],
    ];
    const firsts: string[] = [];
    const finals: string[] = [];
    for (const [, user] of reasons)
      firsts.push((await rawFirstAuthMessage(gw.pgPort, user)).replace(/r=[^,]*/, 'r=…'));
    for (const [, user, password] of reasons) {
      const s = new PgSession(gw.pgPort, user, password);
      const o = await s.run('SELECT 1');
      await s.close();
      finals.push(o.ok ? 'LOGGED IN' : `${o.code} ${o.seen.replaceAll(user, '<U>')}`);
    }
    for (let i = 1; i < reasons.length; i++) {
      if (firsts[i] !== firsts[0])
        problems.push(
          `pg wire first message: ${reasons[0]![0]} → ${firsts[0]}; ${reasons[i]![0]} → ${firsts[i]}`,
        );
      if (finals[i] !== finals[0])
        problems.push(`pg wire error: ${reasons[0]![0]} → ${finals[0]}; ${reasons[i]![0]} → ${finals[i]}`);
    }
    // HTTP Basic.
    const http: string[] = [];
    for (const [, user, password] of [reasons[0]!, reasons[1]!, reasons[3]!]) {
      const o = await httpRun(gw.url, user, 'SELECT 1', password);
      http.push(`${o.status} ${o.seen.split('\n').slice(2).join('\n').replaceAll(user, '<U>')}`);
    }
    if (new Set(http).size !== 1) problems.push(`HTTP: ${http.join(' | ')}`);
    // Flight handshake.
    const flight: string[] = [];
    for (const [, user, password] of [reasons[0]!, reasons[1]!, reasons[3]!])
      flight.push(await flightLogin(gw.flightAddress!, user, password));
    if (new Set(flight).size !== 1) problems.push(`Flight: ${flight.join(' | ')}`);
    assertNoProblems(problems, 'login failures');
  });

  attack(
    'login timing does not tell an unknown user from a wrong password (HTTP Basic, Postgres wire)',
    async () => {
      const fx = await securityFixture();
      const gw = await fx.gateway('login');
      // One failure per user, so throttling (per user) cannot skew the comparison.
      const known = ['trent', 'carol', 'analyst'];
      const unknown = ['ghost1', 'ghost2', 'ghost3'];
      const httpKnown: number[] = [];
      const httpUnknown: number[] = [];
      for (let i = 0; i < known.length; i++) {
        httpKnown.push((await httpRun(gw.url, known[i]!, 'SELECT 1', 'wrong-pw')).ms);
        httpUnknown.push((await httpRun(gw.url, unknown[i]!, 'SELECT 1', 'wrong-pw')).ms);
      }
      const pgKnown: number[] = [];
      const pgUnknown: number[] = [];
      for (const [user, into] of [
        ['trent', pgKnown],
        ['ghost4', pgUnknown],
        ['analyst', pgKnown],
        ['ghost5', pgUnknown],
      ] as const) {
        const s = new PgSession(gw.pgPort, user, 'wrong-pw');
        into.push((await s.run('SELECT 1')).ms);
        await s.close();
      }
      const problems: string[] = [];
      for (const [what, a, b] of [
        ['HTTP Basic', httpKnown, httpUnknown],
        ['Postgres wire', pgKnown, pgUnknown],
      ] as const) {
        const [ma, mb] = [median(a), median(b)];
        if (Math.abs(ma - mb) > 25 && Math.max(ma, mb) / Math.min(ma, mb) > 3)
          problems.push(
            `${what}: wrong password ${ma.toFixed(1)} ms, unknown user ${mb.toFixed(1)} ms (median)`,
          );
      }
      assertNoProblems(problems, 'login timing');
    },
  );

  attack(
    '20 rapid failed logins are throttled per user (with backoff), counted in /metrics; other users unaffected',
    async () => {
      const fx = await securityFixture();
      const gw = await fx.gateway('login');
      const durations: number[] = [];
      for (let i = 0; i < 24; i++) {
        const started = performance.now();
        const s = new PgSession(gw.pgPort, 'mallory', `wrong-${i}`);
        const o = await s.run('SELECT 1');
        await s.close();
        durations.push(performance.now() - started);
        if (o.ok) throw new Error('a wrong password logged in');
      }
      const right = new PgSession(gw.pgPort, 'mallory');
      const rightStarted = performance.now();
      const rightOutcome = await right.run('SELECT 1');
      const rightMs = performance.now() - rightStarted;
      await right.close();
      const other = new PgSession(gw.pgPort, 'analyst');
      const otherStarted = performance.now();
      const otherOutcome = await other.run('SELECT 1');
      const otherMs = performance.now() - otherStarted;
      await other.close();

      const early = median(durations.slice(0, 5));
      const late = median(durations.slice(20));
      const problems: string[] = [];
      const throttled = !rightOutcome.ok || rightMs > 500 || late > early + 250;
      if (!throttled)
        problems.push(
          `not throttled: attempts 1–5 took ${early.toFixed(0)} ms (median), 21–24 ${late.toFixed(0)} ms; the right password right after logged in in ${rightMs.toFixed(0)} ms`,
        );
      if (!otherOutcome.ok || otherMs > 2000)
        problems.push(
          `another user from the same address was held up: ${brief(otherOutcome)} in ${otherMs.toFixed(0)} ms`,
        );
      const metrics = gw.services.service.metrics.render();
      const counted = metrics
        .split('\n')
        .filter((l) => /^spoke_\w*(login|auth)\w*/i.test(l) && /(fail|throttl|reject|denied)/i.test(l))
        .some((l) => Number(l.trim().split(/\s+/).at(-1)) >= 1);
      if (!counted)
        problems.push('no failed/throttled login counter in /metrics (spoke_…login…|auth… fail|throttl…)');
      assertNoProblems(problems, 'login throttling');
    },
    120_000,
  );
});
