/**
 * Records the replay corpus (`corpus/<tool>.sql`): runs each installed
 * client's connect-and-browse session through {@link startRecorder} and
 * writes the statements it sent, deduplicated, in order. Run by hand after
 * a client upgrade: `cd test && node --import tsx clients/record-corpus.ts`.
 * corpus.test.ts replays the files.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientFixture, PASSWORD, runProgram, USER } from './client-fixture.js';
import { CORPUS_SEPARATOR } from './corpus-format.js';
import { startRecorder } from './wire-recorder.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Each tool's session: what it sends on connect and while browsing the catalog. */
const SESSIONS: Record<string, (env: Record<string, string>) => Promise<unknown>> = {
  psql: async (env) => {
    for (const command of ['\\dt', '\\d crm.customers', '\\dn', '\\df', '\\dv', '\\di', '\\l', '\\du']) {
      await runProgram('psql', ['-X', '-c', command], env).catch(() => undefined);
    }
  },
  sqlalchemy: (env) =>
    runProgram(
      '/usr/bin/python3',
      [
        '-c',
        `
import os, sqlalchemy as sa
e = sa.create_engine('postgresql+psycopg2://${USER}:${PASSWORD}@127.0.0.1:' + os.environ['PGPORT'] + '/spoke')
insp = sa.inspect(e)
for call in [lambda: insp.get_schema_names(), lambda: insp.get_table_names(schema='crm'), lambda: insp.get_view_names(schema='crm'),
             lambda: insp.has_table('customers', schema='crm'), lambda: insp.get_columns('customers', schema='crm'),
             lambda: insp.get_pk_constraint('customers', schema='crm'), lambda: insp.get_foreign_keys('customers', schema='crm'),
             lambda: insp.get_indexes('customers', schema='crm'), lambda: insp.get_unique_constraints('customers', schema='crm'),
             lambda: insp.get_table_comment('customers', schema='crm'), lambda: insp.get_check_constraints('customers', schema='crm')]:
    try: call()
    except Exception: pass
`,
      ],
      env,
    ),
  psycopg: (env) =>
    runProgram(
      '/usr/bin/python3',
      [
        '-c',
        `
import psycopg, psycopg2
psycopg2.connect('').cursor().execute('SELECT 1')
with psycopg.connect('') as c:
    c.cursor(binary=True).execute('SELECT id FROM crm.customers WHERE id = %s', (1,))
`,
      ],
      env,
    ),
  asyncpg: (env) =>
    runProgram(
      '/usr/bin/python3',
      [
        '-c',
        `
import asyncio, asyncpg
async def main():
    c = await asyncpg.connect()
    await c.fetch('SELECT id, name FROM crm.customers WHERE id = $1', 1)
    await c.close()
asyncio.run(main())
`,
      ],
      env,
    ),
  pyodbc: (env) =>
    runProgram(
      '/usr/bin/python3',
      [
        '-c',
        `
import os, pyodbc
c = pyodbc.connect('DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=' + os.environ['PGPORT'] + ';DATABASE=spoke;UID=${USER};PWD=${PASSWORD}')
cur = c.cursor()
for call in [lambda: cur.tables(schema='crm').fetchall(), lambda: cur.columns(table='customers', schema='crm').fetchall(),
             lambda: cur.primaryKeys('customers', schema='crm').fetchall(), lambda: cur.statistics('customers', schema='crm').fetchall()]:
    try: call()
    except Exception: pass
`,
      ],
      env,
    ),
  pgjdbc: (env) =>
    runProgram(
      'java',
      ['-cp', '/usr/share/java/postgresql.jar', join(HERE, 'JdbcMetadata.java')],
      env,
      120_000,
    ),
};

const fx = await clientFixture();
try {
  for (const [tool, session] of Object.entries(SESSIONS)) {
    const recorder = await startRecorder(fx.port);
    await session({
      PGHOST: '127.0.0.1',
      PGPORT: String(recorder.port),
      PGUSER: USER,
      PGPASSWORD: PASSWORD,
      PGDATABASE: 'spoke',
      PGSSLMODE: 'disable',
    });
    await recorder.close();
    const statements = [...new Set(recorder.statements.map((s) => s.trim()).filter((s) => s !== ''))];
    writeFileSync(
      join(HERE, 'corpus', `${tool}.sql`),
      `-- Statements ${tool} sent to Spoke while connecting and browsing, recorded at the wire by record-corpus.ts.\n${statements.map((s) => `${CORPUS_SEPARATOR}\n${s}\n`).join('')}`,
    );
    console.log(`${tool}: ${statements.length} statements`);
  }
} finally {
  await fx.close();
}
