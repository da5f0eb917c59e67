/**
 * The PostgreSQL corpus: every statement of `corpus.ts` runs against a real
 * PostgreSQL 15 and through Spoke's engine over the same tables in a DuckDB
 * file source. Each gives the same column names, values (canonical compare)
 * and SQLSTATE — or is listed in docs/semantics.md ("Documented
 * differences"), and then must still differ, so the list stays true.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import { type RunningGateway, type ServerConfig, startGateway } from '@spoke/gateway';
import { createEngine, type FederatedEngine } from '@spoke/planner';
import pg from 'pg';
import { type PostgresServer, startPostgres } from '../harness/index.js';
import { CORPUS, CORPUS_TABLES } from './corpus.js';
import { comparable, type Outcome, postgresOutcome, spokeOutcome } from './outcomes.js';

let pgServer: PostgresServer;
let client: pg.Client;
let dir: string;
let engine: FederatedEngine;
/** The same tables with PostgreSQL itself as the `db` source: whole statements are pushed to it. */
let pgEngine: FederatedEngine;
/** Spoke's Postgres wire over `engine`, and a client of it: what psql sees. */
let gateway: RunningGateway | undefined;
let spokeClient: pg.Client | undefined;

before(async () => {
  pgServer = await startPostgres();
  client = new pg.Client({ connectionString: pgServer.url });
  await client.connect();
  await client.query("SET TimeZone = 'UTC'");
  await client.query('SET DateStyle = ISO');
  await client.query('CREATE SCHEMA db');
  for (const sql of CORPUS_TABLES) await client.query(sql);
  dir = mkdtempSync(join(tmpdir(), 'spoke-corpus-'));
  const file = join(dir, 'db.duckdb');
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  for (const sql of CORPUS_TABLES) await c.run(sql.replace(/\bdb\./g, ''));
  c.closeSync();
  db.closeSync();
  engine = await createEngine({
    sources: { db: await duckdbConnector.create({ path: file }, { sourceName: 'db', baseDir: dir }) },
  });
  pgEngine = await createEngine({
    sources: {
      db: await postgresConnector.create(
        { url: pgServer.url, schema: 'db' },
        { sourceName: 'db', baseDir: dir },
      ),
    },
  });
  gateway = await startGateway(engine, { postgres: { host: '127.0.0.1', port: 0 } } as ServerConfig);
  spokeClient = new pg.Client({
    host: '127.0.0.1',
    port: gateway.postgres!.port,
    user: 'spoke',
    database: 'spoke',
  });
  await spokeClient.connect();
});

after(async () => {
  await spokeClient?.end();
  await gateway?.close();
  await engine?.close();
  await pgEngine?.close();
  await client?.end();
  await pgServer?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** PostgreSQL's outcome of `sql` on the corpus's own server, or on `on` (a client of Spoke's wire). */
function runPostgres(sql: string, on: pg.Client | undefined = client): Promise<Outcome> {
  if (!on) throw new Error('no client');
  return postgresOutcome(on, sql);
}

/** Spoke's outcome of `sql` on the DuckDB-source engine, or on `on`. */
function runSpoke(sql: string, on: FederatedEngine = engine): Promise<Outcome> {
  return spokeOutcome(on, sql);
}

/** The statements docs/semantics.md lists under "Documented differences" (`- \`SQL\` — reason`). */
function documentedDifferences(): Set<string> {
  const path = new URL('../../docs/semantics.md', import.meta.url);
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const section = doc.split(/^## Documented differences\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  const out = new Set<string>();
  for (const line of section.split('\n')) {
    const m = /^- `(.+?)` —/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

test('the corpus answers as PostgreSQL 15 does, or differs only where documented', async () => {
  assert.ok(CORPUS.length >= 200, `the corpus has ${CORPUS.length} statements`);
  const documented = documentedDifferences();
  const failures: string[] = [];
  let same = 0;
  let differ = 0;
  for (const sql of CORPUS) {
    const [expected, actual] = [await runPostgres(sql), await runSpoke(sql)];
    const ordered = /ORDER BY/i.test(sql.replace(/OVER\s*\([^)]*\)/gi, ''));
    const want = comparable(expected, ordered);
    const got = comparable(actual, ordered);
    const equal = want === got;
    if (equal) same++;
    else differ++;
    if (documented.has(sql)) {
      if (equal) failures.push(`documented as different, but now the same: ${sql}`);
    } else if (!equal) {
      failures.push(
        `${sql}\n  PostgreSQL: ${want.replace(/\n/g, ' | ')}${expected.message ? ` (${expected.message})` : ''}\n  Spoke:      ${got.replace(/\n/g, ' | ')}${actual.message ? ` (${actual.message})` : ''}`,
      );
    }
  }
  for (const sql of documented)
    if (!CORPUS.includes(sql)) failures.push(`documented but not in the corpus: ${sql}`);
  console.log(
    `${CORPUS.length} statements: ${same} same, ${differ} documented differences; ${CORPUS.length - failures.length} passed, ${failures.length} failed`,
  );
  assert.equal(failures.length, 0, failures.join('\n'));
});

test("a PostgreSQL source answering pushed statements gives PostgreSQL's column names and values", async () => {
  // The source path: statements over one PostgreSQL source go to it whole (or as scans and sub-queries), with
  // the names Spoke gave the select list. Differences of DuckDB's own evaluation do not apply here.
  let compared = 0;
  const failures: string[] = [];
  const documented = documentedDifferences();
  for (const sql of CORPUS.filter((s) => /\bFROM db\./.test(s) && !documented.has(s))) {
    const expected = await runPostgres(sql);
    if (expected.sqlstate) continue;
    const actual = await runSpoke(sql, pgEngine);
    const ordered = /ORDER BY/i.test(sql.replace(/OVER\s*\([^)]*\)/gi, ''));
    compared++;
    const want = comparable(expected, ordered);
    const got = comparable(actual, ordered);
    if (want !== got) {
      failures.push(
        `${sql}\n  PostgreSQL: ${want.replace(/\n/g, ' | ')}\n  Spoke:      ${got.replace(/\n/g, ' | ')}${actual.message ? ` (${actual.message})` : ''}`,
      );
    }
  }
  console.log(
    `${compared} statements through a PostgreSQL source: ${compared - failures.length} passed, ${failures.length} failed`,
  );
  assert.ok(compared >= 140, `only ${compared} statements compared`);
  assert.equal(failures.length, 0, failures.join('\n'));
});

test('through the Postgres wire, a client sees the same names, values and SQLSTATEs', async () => {
  // psql's view: the gateway's RowDescription names, its text values and its ErrorResponse codes.
  const documented = documentedDifferences();
  const failures: string[] = [];
  let compared = 0;
  for (const sql of CORPUS.filter((s) => !documented.has(s))) {
    const expected = await runPostgres(sql);
    const actual = await runPostgres(sql, spokeClient);
    const ordered = /ORDER BY/i.test(sql.replace(/OVER\s*\([^)]*\)/gi, ''));
    compared++;
    const want = comparable(expected, ordered);
    const got = comparable(actual, ordered);
    if (want !== got) {
      failures.push(
        `${sql}\n  PostgreSQL: ${want.replace(/\n/g, ' | ')}\n  Spoke wire: ${got.replace(/\n/g, ' | ')}${actual.message ? ` (${actual.message})` : ''}`,
      );
    }
  }
  console.log(
    `${compared} statements through the Postgres wire: ${compared - failures.length} passed, ${failures.length} failed`,
  );
  assert.equal(failures.length, 0, failures.join('\n'));
});
