/**
 * Replays the corpus (`corpus/<tool>.sql`: recorded at the wire from the real
 * clients by record-corpus.ts, or — for tools that cannot run here, like
 * Grafana — written by us after reading what they send) against `spoke serve` with node-postgres:
 * every statement answers, except the known gaps listed here, which must
 * still be refused with a PostgreSQL SQLSTATE (never an internal error).
 * Statements with `$n` parameters run with NULLs bound, as a Describe would.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type ClientFixture, clientFixture, PASSWORD, USER } from './client-fixture.js';
import { readCorpus } from './corpus-format.js';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

/**
 * Statements the system catalog or the binder cannot answer yet (by tool, a
 * fragment of the statement, and why). Each is an open item, not an expectation.
 */
const KNOWN_GAPS: readonly { tool: string; fragment: string; why: string }[] = [
  {
    tool: 'psql',
    fragment: 'pg_catalog.pg_auth_members',
    why: '\\du: pg_auth_members is not in the system catalog',
  },
  {
    tool: 'sqlalchemy',
    fragment: 'json_build_object(',
    why: 'Inspector.get_columns: json_build_object is not on the allow-list',
  },
  {
    tool: 'sqlalchemy',
    fragment: 'ix.indisunique',
    why: 'Inspector.get_indexes: the outer join on a sub-query is refused by the residual engine',
  },
  {
    tool: 'grafana',
    fragment: "string_to_array(current_setting('search_path'), ',') AS p",
    why: 'the tables on the search path: a set-returning function beside generate_series in FROM is refused',
  },
  {
    tool: 'grafana',
    fragment: 'parse_ident(',
    why: "a table's columns: parse_ident is not on the allow-list",
  },
];

let fx: ClientFixture;

before(async () => {
  fx = await clientFixture();
});

after(async () => {
  await fx?.close();
});

describe('replay of what the clients send (test/clients/corpus)', { timeout: 120_000 }, () => {
  for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.sql'))) {
    const tool = file.replace(/\.sql$/, '');
    test(tool, async () => {
      const statements = readCorpus(join(CORPUS, file));
      assert.ok(statements.length > 0, `${file} holds no statements`);
      const client = new pg.Client({
        host: '127.0.0.1',
        port: fx.port,
        user: USER,
        password: PASSWORD,
        database: 'spoke',
      });
      await client.connect();
      const problems: string[] = [];
      const gaps: string[] = [];
      try {
        for (const sql of statements) {
          const count = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
          const gap = KNOWN_GAPS.find((g) => g.tool === tool && sql.includes(g.fragment));
          try {
            await client.query({ text: sql, values: Array.from({ length: count }, () => null) });
            if (gap) gaps.push(`now answers (remove from KNOWN_GAPS): ${gap.why}`);
          } catch (error) {
            const e = error as { code?: string; message?: string };
            const brief = `${e.code} ${e.message} — ${sql.replace(/\s+/g, ' ').slice(0, 160)}`;
            if (!gap) problems.push(brief);
            else if (!e.code || e.code === 'XX000') problems.push(`internal error: ${brief}`);
            else gaps.push(`${gap.why}: ${e.code}`);
          }
        }
      } finally {
        await client.end();
      }
      if (gaps.length > 0) console.log(`${tool}: known gaps\n  ${gaps.join('\n  ')}`);
      assert.deepEqual(problems, [], `${tool}: ${problems.length} statement(s) failed`);
    });
  }
});
