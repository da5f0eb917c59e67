/**
 * Replays the corpus (`corpus/<tool>.sql`: recorded at the wire from the real
 * clients by record-corpus.ts, or — for tools that cannot run here, like
 * Grafana, DBeaver, Metabase, Superset and Tableau — written by us after
 * reading what they send) against `spoke serve` and against a PostgreSQL 15
 * holding the same tables, both with node-postgres. Every statement must
 * answer, and in the shape the tool reads: the same column names in the same
 * order, each decoded into the same kind of value (corpus-shape.ts) as
 * PostgreSQL's RowDescription says. Statements PostgreSQL itself refuses fail
 * the test (the corpus must be what the tool really sends). Known gaps and
 * shape differences are listed below; each is an open item.
 * Statements with `$n` parameters run with NULLs bound, as a Describe would.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type PostgresServer, startPostgres } from '../harness/index.js';
import { type ClientFixture, clientFixture, PASSWORD, USER } from './client-fixture.js';
import { readCorpus } from './corpus-format.js';
import { shapeOf } from './corpus-shape.js';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

/**
 * Statements the system catalog or the binder cannot answer yet (by tool, a
 * fragment of the statement, and why). Each is an open item, not an
 * expectation: one that answers fails the test until it is removed here.
 */
const KNOWN_GAPS: readonly { tool: string; fragment: string; why: string }[] = [];

/**
 * Columns whose kind differs from PostgreSQL's, knowingly (by tool, a
 * fragment of the statement, the column, and why it does not matter to the tool).
 */
const KNOWN_SHAPE_DIFFERENCES: readonly { tool: string; fragment: string; column: string; why: string }[] = [
  ...['dbeaver', 'system'].map((tool) => ({
    tool,
    fragment: 'pg_stat_activity',
    column: 'client_addr',
    why: 'text where PostgreSQL has inet; the view lists no sessions, so no value is ever decoded (DBeaver reads it as a string)',
  })),
];

/** The fixture's tables (client-fixture.ts), in PostgreSQL 15: the statements name them, only their shape matters. */
const POSTGRES_TABLES = `
CREATE SCHEMA crm;
CREATE TABLE crm.types (id integer, b boolean, i2 smallint, i8 bigint, f4 real, f8 double precision,
  dec numeric(12,2), txt text, d date, ts timestamp, tstz timestamptz, bin bytea, tm time, u uuid, big_dec numeric(38,6));
CREATE TABLE crm.customers (id integer, name text, vip boolean, balance numeric(10,2));
CREATE TABLE crm.big (id bigint, label text);
`;

let fx: ClientFixture;
let postgres: PostgresServer;

before(async () => {
  [fx, postgres] = await Promise.all([clientFixture(), startPostgres()]);
  postgres.psql(POSTGRES_TABLES);
});

after(async () => {
  await Promise.all([fx?.close(), postgres?.close()]);
});

type Answer = { shape: string[] | undefined } | { code: string | undefined; message: string | undefined };

/** Runs every statement on one connection, in order (BEGIN … ROLLBACK pairs need one session). */
async function answers(client: pg.Client, statements: readonly string[]): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const sql of statements) {
    const count = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    try {
      const result = await client.query({ text: sql, values: Array.from({ length: count }, () => null) });
      // Several statements in one Query message (psqlODBC's start-up): node-postgres answers one result each.
      const last = (Array.isArray(result) ? result.at(-1) : result) as pg.QueryResult;
      // A command (BEGIN, SET…) has no RowDescription; node-postgres reports no fields.
      out.push({ shape: last.fields.length > 0 ? shapeOf(last.fields) : undefined });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      out.push({ code: e.code, message: e.message });
    }
  }
  return out;
}

function brief(sql: string): string {
  return sql.replace(/\s+/g, ' ').slice(0, 140);
}

describe('the system relations (what `SELECT x.*` reads)', () => {
  test("every pg_catalog and information_schema relation Spoke lists has PostgreSQL 15's columns, in order", async () => {
    const spoke = new pg.Client({
      host: '127.0.0.1',
      port: fx.port,
      user: USER,
      password: PASSWORD,
      database: 'spoke',
    });
    const reference = new pg.Client({ connectionString: postgres.url });
    await Promise.all([spoke.connect(), reference.connect()]);
    const problems: string[] = [];
    try {
      const { rows } = await spoke.query(
        `SELECT n.nspname AS schema, c.relname AS name FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
      );
      assert.ok(rows.length > 40, `only ${rows.length} system relations listed`);
      for (const { schema, name } of rows as { schema: string; name: string }[]) {
        const sql = `SELECT * FROM ${schema}.${name} WHERE false`;
        const [mine, theirs] = [
          shapeOf((await spoke.query(sql)).fields),
          shapeOf((await reference.query(sql)).fields),
        ];
        const known = KNOWN_SHAPE_DIFFERENCES.filter((d) => d.tool === 'system' && d.fragment === name);
        const differs = (c: string, j: number) =>
          c !== theirs[j] && !known.some((d) => d.column === c.split(':')[0]);
        if (mine.length !== theirs.length || mine.some(differs))
          problems.push(`${schema}.${name}: ${mine.join(', ')}\n  PostgreSQL: ${theirs.join(', ')}`);
      }
    } finally {
      await Promise.all([spoke.end(), reference.end()]);
    }
    assert.deepEqual(problems, []);
  });
});

describe('replay of what the clients send (test/clients/corpus)', { timeout: 120_000 }, () => {
  for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.sql'))) {
    const tool = file.replace(/\.sql$/, '');
    test(tool, async () => {
      const statements = readCorpus(join(CORPUS, file));
      assert.ok(statements.length > 0, `${file} holds no statements`);
      const spoke = new pg.Client({
        host: '127.0.0.1',
        port: fx.port,
        user: USER,
        password: PASSWORD,
        database: 'spoke',
      });
      const reference = new pg.Client({ connectionString: postgres.url });
      await Promise.all([spoke.connect(), reference.connect()]);
      let got: Answer[];
      let expected: Answer[];
      try {
        got = await answers(spoke, statements);
        expected = await answers(reference, statements);
      } finally {
        await Promise.all([spoke.end(), reference.end()]);
      }
      const problems: string[] = [];
      const gaps: string[] = [];
      statements.forEach((sql, i) => {
        const mine = got[i]!;
        const theirs = expected[i]!;
        const gap = KNOWN_GAPS.find((g) => g.tool === tool && sql.includes(g.fragment));
        if ('code' in theirs) {
          problems.push(
            `PostgreSQL 15 refuses it (the corpus is wrong): ${theirs.code} ${theirs.message} — ${brief(sql)}`,
          );
          return;
        }
        if ('code' in mine) {
          const text = `${mine.code} ${mine.message} — ${brief(sql)}`;
          if (!gap) problems.push(text);
          else if (!mine.code || mine.code === 'XX000') problems.push(`internal error: ${text}`);
          else gaps.push(`${gap.why}: ${mine.code}`);
          return;
        }
        if (gap) problems.push(`now answers (remove from KNOWN_GAPS): ${gap.why}`);
        // Same columns, in the same order, each decoded into the same kind of value as PostgreSQL's.
        const a = mine.shape ?? [];
        const b = theirs.shape ?? [];
        if (a.length !== b.length || a.some((c, j) => c.split(':')[0] !== b[j]!.split(':')[0])) {
          problems.push(`columns ${a.join(', ')} where PostgreSQL has ${b.join(', ')} — ${brief(sql)}`);
          return;
        }
        a.forEach((c, j) => {
          if (c === b[j]) return;
          const column = c.split(':')[0]!;
          const known = KNOWN_SHAPE_DIFFERENCES.find(
            (d) => d.tool === tool && d.column === column && sql.includes(d.fragment),
          );
          if (!known) problems.push(`column ${c} where PostgreSQL has ${b[j]} — ${brief(sql)}`);
        });
      });
      if (gaps.length > 0) console.log(`${tool}: known gaps\n  ${gaps.join('\n  ')}`);
      assert.deepEqual(problems, [], `${tool}: ${problems.length} statement(s) differ`);
    });
  }
});
