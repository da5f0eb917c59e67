/**
 * Attack class 7: writes that pretend. Inside an explicit transaction a
 * write is refused with SQLSTATE 25001 (Spoke cannot roll it back), and the
 * table is unchanged afterwards — never a row kept after ROLLBACK. Integer
 * literals go into BIGINT columns exactly (100, and past 2^53). The write
 * rules hold for the analyst: never_upload and read_only refuse, and a
 * refused write leaves nothing behind.
 */
import { describe } from 'node:test';
import { brief, type Outcome, PgSession } from './attack-clients.js';
import { assertNoProblems, attack } from './attack-test.js';
import { securityFixture } from './security-fixture.js';

/** How many rows of lake.events have `id` (read by the admin, who has no rules). */
async function countId(admin: PgSession, id: string): Promise<string> {
  const o = await admin.run(`SELECT count(*) AS n FROM lake.events WHERE id = ${id}`);
  if (!o.ok) throw new Error(`counting lake.events failed: ${brief(o)}`);
  return String((o.rows[0] as unknown[])[0]);
}

function isTransactionRefusal(o: Outcome): boolean {
  return !o.ok && /^25/.test(o.code ?? '');
}

describe('7. writes and transactions', () => {
  attack('BEGIN; INSERT …; ROLLBACK: the INSERT is refused with 25001 and no row is kept', async () => {
    const fx = await securityFixture();
    const analyst = new PgSession(fx.main.pgPort, 'analyst');
    const admin = new PgSession(fx.main.pgPort, 'admin');
    const problems: string[] = [];
    try {
      // Statement by statement (extended-protocol drivers do this).
      const begin = await analyst.run('BEGIN');
      if (!begin.ok) problems.push(`BEGIN: ${brief(begin)}`);
      const insert = await analyst.run(
        "INSERT INTO lake.events (id, kind) VALUES (777001, 'in a transaction')",
      );
      if (!isTransactionRefusal(insert))
        problems.push(`INSERT inside BEGIN: expected 25001, ${brief(insert)}`);
      await analyst.run('ROLLBACK');
      if ((await countId(admin, '777001')) !== '0')
        problems.push('the row inserted before ROLLBACK was kept');

      // One simple-protocol string (psql -c, many scripts).
      const batch = await analyst.run(
        "BEGIN; INSERT INTO lake.events (id, kind) VALUES (777002, 'batch'); ROLLBACK",
      );
      if (!isTransactionRefusal(batch))
        problems.push(`BEGIN; INSERT; ROLLBACK: expected 25001, ${brief(batch)}`);
      await analyst.run('ROLLBACK');
      if ((await countId(admin, '777002')) !== '0') problems.push('the batch row was kept after ROLLBACK');

      // START TRANSACTION, INSERT … SELECT and DELETE are writes too; COMMIT must not make them real either.
      await analyst.run('START TRANSACTION');
      const select = await analyst.run("INSERT INTO lake.events (id, kind) SELECT 777003, 'select'");
      if (!isTransactionRefusal(select))
        problems.push(`INSERT … SELECT inside a transaction: ${brief(select)}`);
      const del = await analyst.run('DELETE FROM lake.events WHERE id = 1');
      if (!isTransactionRefusal(del)) problems.push(`DELETE inside a transaction: ${brief(del)}`);
      await analyst.run('COMMIT');
      if ((await countId(admin, '777003')) !== '0')
        problems.push('INSERT … SELECT in a transaction took effect');
      if ((await countId(admin, '1')) !== '1') problems.push('DELETE in a transaction took effect');

      // Outside a transaction the session still works and writes work.
      const plain = await analyst.run("INSERT INTO lake.events (id, kind) VALUES (777004, 'autocommit')");
      if (!plain.ok) problems.push(`INSERT outside a transaction: ${brief(plain)}`);
      else if ((await countId(admin, '777004')) !== '1') problems.push('the autocommit INSERT is not there');
    } finally {
      await analyst.close();
      await admin.close();
    }
    assertNoProblems(problems, 'transactions');
  });

  attack(
    'INSERT … VALUES (100, …) into a BIGINT column works and reads back as 100 (and past 2^53, exactly)',
    async () => {
      const fx = await securityFixture();
      const analyst = new PgSession(fx.main.pgPort, 'analyst');
      const problems: string[] = [];
      try {
        const cases: [string, unknown[] | undefined, string, string][] = [
          [
            "INSERT INTO lake.events (id, kind) VALUES (100, 'bigint-literal')",
            undefined,
            'bigint-literal',
            '100',
          ],
          [
            "INSERT INTO lake.events VALUES (101, 'bigint-positional')",
            undefined,
            'bigint-positional',
            '101',
          ],
          [
            "INSERT INTO lake.events (id, kind) VALUES (9007199254740993, 'bigint-huge')",
            undefined,
            'bigint-huge',
            '9007199254740993',
          ],
          [
            "INSERT INTO lake.events (id, kind) VALUES (-5, 'bigint-negative')",
            undefined,
            'bigint-negative',
            '-5',
          ],
        ];
        for (const [sql, params, kind, expected] of cases) {
          const o = await analyst.run(sql, params);
          if (!o.ok) {
            problems.push(`${brief(o)}`);
            continue;
          }
          const back = await analyst.run(`SELECT id FROM lake.events WHERE kind = '${kind}'`);
          const got = back.ok ? back.rows.map((r) => String((r as unknown[])[0])) : [];
          if (got.length !== 1 || got[0] !== expected)
            problems.push(`${sql} read back ${JSON.stringify(got)}, not ${expected}`);
        }
      } finally {
        await analyst.close();
      }
      assertNoProblems(problems, 'BIGINT');
    },
  );

  attack(
    'a parameter into a BIGINT column (node-postgres sends it untyped, as text) reads back exactly',
    async () => {
      const fx = await securityFixture();
      const analyst = new PgSession(fx.main.pgPort, 'analyst');
      const problems: string[] = [];
      try {
        for (const [value, kind] of [
          [102, 'bigint-param'],
          ['9007199254740995', 'bigint-param-huge'],
        ] as const) {
          const o = await analyst.run('INSERT INTO lake.events (id, kind) VALUES ($1, $2)', [value, kind]);
          if (!o.ok) {
            problems.push(brief(o));
            continue;
          }
          const back = await analyst.run('SELECT id FROM lake.events WHERE kind = $1', [kind]);
          const got = back.ok ? back.rows.map((r) => String((r as unknown[])[0])) : [];
          if (got.length !== 1 || got[0] !== String(value))
            problems.push(`$1 = ${value} read back ${JSON.stringify(got)}`);
        }
      } finally {
        await analyst.close();
      }
      assertNoProblems(problems, 'BIGINT parameters');
    },
  );

  attack('write rules: never_upload and read_only refuse (42501) and leave nothing behind', async () => {
    const fx = await securityFixture();
    const analyst = new PgSession(fx.main.pgPort, 'analyst');
    const admin = new PgSession(fx.main.pgPort, 'admin');
    const problems: string[] = [];
    try {
      for (const sql of [
        'INSERT INTO lake.events (id, kind) SELECT id, name FROM hr.employees',
        'CREATE TABLE lake.employees_copy AS SELECT * FROM hr.employees',
        "INSERT INTO files.badges VALUES (99, 'intruder', 'x')",
      ]) {
        const o = await analyst.run(sql);
        if (o.ok || o.code !== '42501') problems.push(`expected 42501: ${brief(o)}`);
      }
      // Parquet cannot delete at all: refused either way.
      const del = await analyst.run('DELETE FROM files.badges WHERE badge_id = 1');
      if (del.ok || !['42501', '0A000'].includes(del.code ?? ''))
        problems.push(`expected 42501 or 0A000: ${brief(del)}`);
      const copied = await admin.run("SELECT count(*) AS n FROM lake.events WHERE kind LIKE '%Visiblerow%'");
      if (!copied.ok || String((copied.rows[0] as unknown[])[0]) !== '0')
        problems.push(`employees' rows reached lake.events: ${brief(copied)}`);
      const badges = await admin.run('SELECT count(*) AS n FROM files.badges');
      if (!badges.ok || String((badges.rows[0] as unknown[])[0]) !== '8')
        problems.push(`files.badges changed: ${brief(badges)}`);
    } finally {
      await analyst.close();
      await admin.close();
    }
    assertNoProblems(problems, 'write rules');
  });
});
