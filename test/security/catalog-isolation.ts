/**
 * Attack class 4: one session reading another's residual state. An admin's
 * catalog queries build a shadow system catalog that lists every table;
 * an admin's federated query loads a denied table into residual relations.
 * The analyst then probes the engine's internal names (`__spoke_pg_N`,
 * `__spoke_N`) directly and through `query()`, and lists the engine's
 * databases. Expected: refused, and no denied table's name or value in
 * anything returned; the analyst's own catalog views never list a denied table.
 */
import { describe } from 'node:test';
import { brief, leaksIn, type Outcome, PgSession } from './attack-clients.js';
import { assertNoProblems, attack } from './attack-test.js';
import { DENIED_NAMES, SENTINELS, securityFixture } from './security-fixture.js';

/** psql's `\dt` query (PostgreSQL 15 psql). */
export const PSQL_DT = `SELECT n.nspname as "Schema", c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2`;

/** Catalog views an analyst may query: they answer, without the denied tables. */
const OWN_CATALOG = [
  PSQL_DT,
  'SELECT relname FROM pg_catalog.pg_class',
  'SELECT schemaname, tablename FROM pg_catalog.pg_tables',
  'SELECT table_schema, table_name FROM information_schema.tables',
  'SELECT table_name, column_name FROM information_schema.columns',
  'SELECT attname FROM pg_catalog.pg_attribute',
  "SELECT relname FROM pg_catalog.pg_class WHERE relname LIKE '%e%'",
];

function deniedNameProblem(o: Outcome): string | undefined {
  const leaked = leaksIn(o.seen, [...DENIED_NAMES, ...SENTINELS]);
  return leaked.length ? `LEAKED ${leaked.join(', ')}: ${brief(o)}` : undefined;
}

describe("4. other sessions' catalogs and residual state", () => {
  attack("the analyst's own pg_catalog and information_schema never list a denied table", async () => {
    const fx = await securityFixture();
    const admin = new PgSession(fx.main.pgPort, 'admin');
    const analyst = new PgSession(fx.main.pgPort, 'analyst');
    const problems: string[] = [];
    try {
      // Sanity: the admin does see them, so their absence below means something.
      const adminView = await admin.run(PSQL_DT);
      if (!adminView.ok || !/secrets/.test(adminView.seen))
        problems.push(`the admin's \\dt should list hr.secrets: ${brief(adminView)}`);
      for (const sql of OWN_CATALOG) {
        const o = await analyst.run(sql);
        if (!o.ok) problems.push(`the analyst's catalog query failed: ${brief(o)}`);
        const p = deniedNameProblem(o);
        if (p) problems.push(p);
      }
    } finally {
      await admin.close();
      await analyst.close();
    }
    assertNoProblems(problems, 'own catalog');
  });

  attack(
    "after an admin's catalog queries, the analyst cannot read the shadow catalogs (__spoke_pg_N)",
    async () => {
      const fx = await securityFixture();
      const admin = new PgSession(fx.main.pgPort, 'admin');
      const analyst = new PgSession(fx.main.pgPort, 'analyst');
      const problems: string[] = [];
      try {
        for (const sql of [PSQL_DT, 'SELECT table_name FROM information_schema.tables']) {
          const o = await admin.run(sql);
          if (!o.ok) problems.push(`admin catalog query failed: ${brief(o)}`);
        }
        // The analyst's own catalog exists too: both shadows are in the engine now.
        await analyst.run('SELECT relname FROM pg_catalog.pg_class');
        const attempts: string[] = [
          'SELECT * FROM duckdb_databases()',
          'SELECT database_name FROM duckdb_databases()',
        ];
        for (let n = 1; n <= 6; n++) {
          attempts.push(
            `SELECT * FROM query('select relname from __spoke_pg_${n}.pg.pg_class')`,
            `SELECT relname FROM __spoke_pg_${n}.pg.pg_class`,
            `SELECT * FROM __spoke_pg_${n}.pg.pg_class`,
            `SELECT * FROM "__spoke_pg_${n}".pg.pg_class`,
            `SELECT table_name FROM __spoke_pg_${n}.pg_info.tables`,
            `SELECT relname FROM pg_catalog.pg_class WHERE relname IN (SELECT relname FROM __spoke_pg_${n}.pg.pg_class)`,
          );
        }
        for (const sql of attempts) {
          const o = await analyst.run(sql);
          const p = deniedNameProblem(o) ?? (o.ok ? `answered: ${brief(o)}` : undefined);
          if (p) problems.push(p);
        }
      } finally {
        await admin.close();
        await analyst.close();
      }
      assertNoProblems(problems, 'shadow catalogs');
    },
  );

  attack(
    "while an admin's federated query holds a denied table in the residual, the analyst cannot read it",
    async () => {
      const fx = await securityFixture();
      const admin = new PgSession(fx.main.pgPort, 'admin');
      const analyst = new PgSession(fx.main.pgPort, 'analyst');
      const problems: string[] = [];
      try {
        // hr.secrets and a 4-second PostgreSQL view in one query: the first sits in DuckDB while the second sleeps.
        const running = admin.run(
          'SELECT s.secret, z.s FROM hr.secrets AS s CROSS JOIN pg.public.sleepy AS z',
        );
        await new Promise((r) => setTimeout(r, 500));
        const names = ['__spoke_0', '__spoke_1', '__spoke_2', '__spoke_3', '__spoke_sq_0', '__spoke_sq_1'];
        for (const name of names) {
          for (const sql of [
            `SELECT * FROM ${name}`,
            `SELECT * FROM "${name}"`,
            `SELECT * FROM temp.${name}`,
            `SELECT * FROM query('SELECT * FROM ${name}')`,
            `SELECT * FROM query_table('${name}')`,
          ]) {
            const o = await analyst.run(sql);
            const p = deniedNameProblem(o) ?? (o.ok ? `answered: ${brief(o)}` : undefined);
            if (p) problems.push(p);
          }
        }
        const done = await running;
        if (!done.ok) problems.push(`the admin's query failed: ${brief(done)}`);
      } finally {
        await admin.close();
        await analyst.close();
      }
      assertNoProblems(problems, 'residual relations');
    },
  );
});
