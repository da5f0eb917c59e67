/**
 * Attack class 6: denial of service by an ordinary user, and the
 * concurrency defects that look like one. Parallel statements without FROM
 * (what connection pools send as health checks); one user at their own
 * concurrency cap must not hold up another user; `query_timeout` stops a
 * long query on time, whether PostgreSQL or DuckDB is busy; an oversized
 * statement is refused early, and `/healthz` keeps answering meanwhile.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, type TestContext } from 'node:test';
import { brief, httpRun, type Outcome, PgSession } from './attack-clients.js';
import { assertNoProblems, attack } from './attack-test.js';
import { PASSWORDS, securityFixture, type UserName } from './security-fixture.js';

async function parallel(port: number, n: number, sql: string): Promise<Outcome[]> {
  const sessions = Array.from({ length: n }, () => new PgSession(port, 'analyst'));
  try {
    return await Promise.all(sessions.map((s) => s.run(sql)));
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/**
 * Polls `/healthz` every 20 ms until `until` settles; each sample is the
 * request's round trip or, when larger, how late the poll itself started
 * (the gateway runs in this process, so a blocked event loop shows as either).
 */
async function pollHealth(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const samples: number[] = [];
  while (!done) {
    const started = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    const roundTrip = performance.now() - started;
    const sleeping = performance.now();
    await new Promise((r) => setTimeout(r, 20));
    const late = performance.now() - sleeping - 20;
    samples.push(Math.max(roundTrip, late));
  }
  return samples;
}

/** Runs a SQL file with psql (another process) as `user`; the SQLSTATE of its error, if any. */
async function psqlFile(
  binDir: string,
  port: number,
  user: UserName,
  file: string,
): Promise<{ code: string | undefined; exitCode: number | null; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawn(
    join(binDir, 'psql'),
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      user,
      '-d',
      'spoke',
      '-X',
      '-q',
      '-v',
      'VERBOSITY=verbose',
      '-f',
      file,
    ],
    {
      env: { ...process.env, PGPASSWORD: PASSWORDS[user], PGCONNECT_TIMEOUT: '10' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c;
  });
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  return {
    code: /ERROR:\s+([0-9A-Z]{5}):/.exec(stderr)?.[1],
    exitCode,
    stderr,
    ms: performance.now() - started,
  };
}

/** `SELECT count(*) … WHERE id IN (1, 2, …)` of about `bytes` bytes. */
function inList(bytes: number): string {
  const head = 'SELECT count(*) AS n FROM pg.public.products WHERE id IN (';
  const items: string[] = [];
  let size = head.length + 1;
  for (let i = 1; size < bytes; i++) {
    const item = String(i);
    items.push(item);
    size += item.length + 1;
  }
  return `${head}${items.join(',')})`;
}

describe('6. concurrency, fairness, timeouts and oversized statements', () => {
  for (const n of [8, 32]) {
    attack(
      `${n} parallel SELECT 1 / version() / current_schema() over separate connections all succeed`,
      async () => {
        const fx = await securityFixture();
        const problems: string[] = [];
        for (const sql of ['SELECT 1', 'SELECT version()', 'SELECT current_schema()']) {
          for (const o of await parallel(fx.main.pgPort, n, sql)) if (!o.ok) problems.push(brief(o));
        }
        const mixed = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            httpRun(
              fx.main.url,
              'analyst',
              ['SELECT 1', 'SELECT version()', 'SELECT current_schema()'][i % 3]!,
            ),
          ),
        );
        for (const o of mixed) if (!o.ok) problems.push(brief(o));
        assertNoProblems(problems, `${n} parallel statements without FROM`);
      },
    );
  }

  attack("a user at their per-user cap does not hold up another user's query", async (t: TestContext) => {
    const fx = await securityFixture();
    const gw = await fx.gateway('fair');
    const alice = [new PgSession(gw.pgPort, 'analyst'), new PgSession(gw.pgPort, 'analyst')];
    const bob = new PgSession(gw.pgPort, 'bob');
    try {
      // Log in first, so the timing below is of the queries alone.
      await Promise.all([...alice, bob].map((s) => s.run('SELECT 1')));
      // Alice: one 4-second query running (her cap is 1) and one waiting behind it.
      const slow = alice.map((s) => s.run('SELECT count(*) AS n FROM pg.public.sleepy'));
      await new Promise((r) => setTimeout(r, 400));
      const bobQuery = await bob.run('SELECT count(*) AS n FROM pg.public.products');
      const aliceResults = await Promise.all(slow);
      t.diagnostic(`bob's query took ${bobQuery.ms.toFixed(0)} ms while alice's 4 s query ran`);
      const problems: string[] = [];
      if (!bobQuery.ok || bobQuery.ms > 1500)
        problems.push(`bob waited for alice: ${bobQuery.ms.toFixed(0)} ms, ${brief(bobQuery)}`);
      for (const o of aliceResults) if (!o.ok) problems.push(`alice's own queued query failed: ${brief(o)}`);
      assertNoProblems(problems, 'fair admission');
    } finally {
      await Promise.all([...alice, bob].map((s) => s.close()));
    }
  });

  attack(
    'query_timeout: 2s stops a long query with 57014 within about 2–4 s (PostgreSQL and DuckDB)',
    async (t) => {
      const fx = await securityFixture();
      const gw = await fx.gateway('timeout');
      const session = new PgSession(gw.pgPort, 'analyst');
      const problems: string[] = [];
      try {
        await session.run('SELECT 1');
        for (const sql of [
          'SELECT count(*) AS n FROM pg.public.sleepy_long',
          'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 2000000000) SELECT count(*) AS n FROM r',
          'SELECT count(*) AS n FROM generate_series(1, 50000000000) AS t(i)',
        ]) {
          const o = await session.run(sql);
          t.diagnostic(`${sql} → ${o.code ?? 'ok'} in ${o.ms.toFixed(0)} ms`);
          if (o.ok || o.code !== '57014' || o.ms < 1500 || o.ms > 4500)
            problems.push(`expected 57014 in 2–4 s, got ${o.ms.toFixed(0)} ms: ${brief(o)}`);
        }
        // Parsing and planning are inside the timeout too: a large (but allowed) statement ends by then.
        const large = await session.run(inList(200_000));
        t.diagnostic(`a 200 KB statement → ${large.code ?? 'ok'} in ${large.ms.toFixed(0)} ms`);
        if (large.ms > 4500)
          problems.push(`a 200 KB statement took ${large.ms.toFixed(0)} ms: ${brief(large)}`);
        else if (!large.ok && !['57014', '54000'].includes(large.code ?? ''))
          problems.push(`a 200 KB statement: ${brief(large)}`);
        const after = await session.run('SELECT 1');
        if (!after.ok) problems.push(`the session is unusable after a timeout: ${brief(after)}`);
      } finally {
        await session.close();
      }
      assertNoProblems(problems, 'query timeout');
    },
  );

  attack(
    'a 10 MB statement is refused at once with 54000 while /healthz keeps answering within 100 ms',
    async (t) => {
      const fx = await securityFixture();
      const baseline = await pollHealth(fx.main.url, new Promise((r) => setTimeout(r, 400)));
      const allowance = Math.max(...baseline);
      const problems: string[] = [];
      // psql sends it from another process, so what stalls this event loop is the gateway's work alone.
      // The shell writes the file, so no garbage of this process is collected meanwhile.
      const file = join(fx.dir, 'ten-megabytes.sql');
      execFileSync('sh', [
        '-c',
        `{ printf 'SELECT count(*) AS n FROM pg.public.products WHERE id IN ('; seq -s, 1 1400000 | tr -d '\\n'; printf ');\\n'; } > "$1"`,
        'sh',
        file,
      ]);
      if (statSync(file).size < 10_000_000)
        throw new Error(`test bug: ${file} is ${statSync(file).size} bytes`);
      const running = psqlFile(fx.postgres.binDir, fx.main.pgPort, 'analyst', file);
      const health = await pollHealth(fx.main.url, running);
      const o = await running;
      const worst = Math.max(...health);
      t.diagnostic(
        `10 MB statement (psql) → ${o.code ?? `exit ${o.exitCode}`} in ${o.ms.toFixed(0)} ms; /healthz worst ${worst.toFixed(0)} ms over ${health.length} polls (idle worst ${allowance.toFixed(0)} ms)`,
      );
      if (o.code !== '54000') problems.push(`expected 54000, psql said: ${o.stderr.slice(0, 300)}`);
      if (o.ms > 3000)
        problems.push(`the refusal took ${o.ms.toFixed(0)} ms (psql start and login included)`);
      if (worst > 100 + allowance)
        problems.push(
          `/healthz took up to ${worst.toFixed(0)} ms during the statement (idle: ${allowance.toFixed(0)} ms)`,
        );

      const session = new PgSession(fx.main.pgPort, 'analyst');
      try {
        // Just past the default limit of 1 MB.
        const past = await session.run(inList(1.2 * 1024 * 1024));
        if (past.ok || past.code !== '54000')
          problems.push(`a 1.2 MB statement: expected 54000, ${brief(past)}`);
        const after = await session.run('SELECT 1');
        if (!after.ok) problems.push(`the session is unusable after the refusal: ${brief(after)}`);
      } finally {
        await session.close();
      }
      const http = await httpRun(fx.main.url, 'analyst', inList(10 * 1024 * 1024));
      if (http.ok || (http.status ?? 0) >= 500) problems.push(`over HTTP: ${brief(http)}`);
      assertNoProblems(problems, 'oversized statement');
    },
  );
});
