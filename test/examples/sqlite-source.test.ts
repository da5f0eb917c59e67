/**
 * The SQLite connector, written on the SQL-source toolkit as a
 * third-party author would (test/examples/sqlite-source, on sql.js), proved
 * with the conformance kit: SQLite folds case in ASCII only and reads
 * `CAST('2024-01-02' AS DATE)` as 2024, so its dialect rewrites dates and
 * casts and declines upper/lower/ILIKE and the rest its `exclude` lists;
 * everything else it answers exactly. Its size is reported.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixtureSql, runConformance } from '@spoke/testing';
import initSqlJs from 'sql.js';
import { connector } from './sqlite-source/index.js';
import { SqliteDialect } from './sqlite-source/sqlite-connector.js';

const TYPES = ['int16', 'int32', 'int64', 'float64', 'utf8', 'bool', 'date'] as const;
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

runConformance({
  name: 'sqlite (example on the SQL-source toolkit)',
  capabilities: { ...connector.docs!.capabilities!, types: [...TYPES] },
  setup: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spoke-sqlite-'));
    dirs.push(dir);
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    const typeNames = {
      int16: 'SMALLINT',
      int32: 'INTEGER',
      int64: 'BIGINT',
      float64: 'DOUBLE',
      utf8: 'TEXT',
      bool: 'BOOLEAN',
      date: 'DATE',
    };
    for (const statement of fixtureSql(new SqliteDialect(), { types: [...TYPES], typeNames }))
      db.run(statement);
    await writeFile(join(dir, 'fixture.db'), db.export());
    db.close();
    return {
      connector: await connector.create({ path: 'fixture.db' }, { sourceName: 'sqlite', baseDir: dir }),
      fixtureSchema: 'main',
    };
  },
});

test('the SQLite example is a small source', async (t) => {
  let lines = 0;
  for (const file of ['index.ts', 'sqlite-connector.ts'])
    lines += (await readFile(new URL(`./sqlite-source/${file}`, import.meta.url), 'utf8'))
      .trimEnd()
      .split('\n').length;
  t.diagnostic(`the SQLite connector: ${lines} lines`);
});
