/**
 * Installs the gateway with one connector at a time from `npm pack` tarballs
 * into a folder outside the workspace (no workspace links), and runs a query
 * through `npx spoke query` with a config naming that connector; prints the
 * install size of each combination (the README's table).
 *
 * By default two combinations run (duckdb: files; postgres: a server), since
 * each install takes several seconds to a minute; `SPOKE_PACKAGING_CONNECTORS=all`
 * (or a comma-separated list of short names) runs the others.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { type LanceConnector, connector as lance } from '@spoke/connector-lance';
import { arrow } from '@spoke/core';
import { startMariaDB } from '../harness/mariadb-server.js';
import { startPostgres } from '../harness/postgres-server.js';
import { startSnowflakeEmulator } from '../harness/snowflake-emulator/index.js';
import {
  installFromTarballs,
  linkedSpokePackages,
  npxSpoke,
  type PackedPackages,
  packAll,
} from './tarballs.js';

/** What a combination's source needs: its config lines, the table to query, how to clean up. */
interface SourceSetup {
  readonly yaml: string;
  readonly table: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly close?: () => Promise<void>;
}

const ROWS = [
  { id: 1, name: 'ada', amount: 10.5 },
  { id: 2, name: 'bob', amount: 20 },
  { id: 3, name: 'cyd', amount: null },
];
const VALUES_SQL = "(1, 'ada', 10.5), (2, 'bob', 20), (3, 'cyd', NULL)";

/** Each connector's source over the three rows above, created in `dir`. */
const SOURCES: Record<string, (dir: string) => Promise<SourceSetup>> = {
  duckdb: async (dir) => {
    await writeFile(join(dir, 'people.csv'), 'id,name,amount\n1,ada,10.5\n2,bob,20\n3,cyd,\n');
    return { yaml: 'connector: duckdb\n    files: { people: people.csv }', table: 's.people' };
  },
  parquet: async (dir) => {
    await mkdir(join(dir, 'lake', 'people'), { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT id::INTEGER AS id, name, amount::DOUBLE AS amount FROM (VALUES ${VALUES_SQL}) t(id, name, amount))
       TO '${join(dir, 'lake', 'people', 'part-0.parquet')}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    return {
      yaml: 'connector: parquet\n    url: ./lake/\n    tables: { people: people/ }',
      table: 's.people',
    };
  },
  lance: async (dir) => {
    const table = new arrow.Table({
      id: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
      name: arrow.vectorFromArray(['ada', 'bob', 'cyd'], new arrow.Utf8()),
      amount: arrow.vectorFromArray([10.5, 20, null], new arrow.Float64()),
    });
    const uri = join(dir, 'lance');
    const writer = (await lance.create({ uri }, { sourceName: 's', baseDir: dir })) as LanceConnector;
    await writer.createTableFrom('people', table.schema, table.batches);
    await writer.close();
    return { yaml: 'connector: lance\n    uri: ./lance', table: 's.people' };
  },
  postgres: async () => {
    const pg = await startPostgres();
    pg.psql(`CREATE TABLE people (id integer, name text, amount double precision);
      INSERT INTO people VALUES ${VALUES_SQL};`);
    return { yaml: `connector: postgres\n    url: "${pg.url}"`, table: 's.people', close: () => pg.close() };
  },
  mysql: async () => {
    const maria = await startMariaDB();
    maria.sql(
      `CREATE TABLE people (id int, name varchar(20), amount double); INSERT INTO people VALUES ${VALUES_SQL};`,
    );
    return {
      yaml: `connector: mysql\n    url: "${maria.url}"`,
      table: 's.people',
      close: () => maria.close(),
    };
  },
  snowflake: async () => {
    const snow = await startSnowflakeEmulator({
      setup: async (db) =>
        void (await db.run(
          `CREATE TABLE PEOPLE AS SELECT id::INTEGER AS ID, name AS NAME, amount::DOUBLE AS AMOUNT FROM (VALUES ${VALUES_SQL}) t(id, name, amount)`,
        )),
    });
    return {
      yaml: [
        'connector: snowflake',
        `account: ${snow.account}`,
        `username: ${snow.user}`,
        'password: ${SNOW_PASSWORD}',
        `database: ${snow.database}`,
        `schema: ${snow.schema}`,
        `warehouse: ${snow.warehouse}`,
        `accessUrl: ${snow.accessUrl}`,
      ].join('\n    '),
      table: 's.people',
      env: { SNOW_PASSWORD: snow.password },
      close: () => snow.close(),
    };
  },
};

function selectedConnectors(): string[] {
  const wanted = process.env.SPOKE_PACKAGING_CONNECTORS;
  if (!wanted) return ['duckdb', 'postgres'];
  if (wanted === 'all') return Object.keys(SOURCES);
  const names = wanted.split(',').map((n) => n.trim());
  for (const name of names)
    if (!SOURCES[name]) throw new Error(`SPOKE_PACKAGING_CONNECTORS: unknown connector ${name}`);
  return names;
}

const MB = 1024 * 1024;

describe('installing from tarballs, outside the workspace', { timeout: 900_000 }, () => {
  let packed: PackedPackages;
  const folders: string[] = [];
  before(async () => {
    packed = await packAll();
  });
  after(async () => {
    for (const dir of [...folders, packed?.dir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a connector alone installs its client, @spoke/core and @spoke/sdk, and no DuckDB', async (t) => {
    const install = await installFromTarballs(packed, ['@spoke/connector-postgres']);
    folders.push(install.dir);
    assert.deepEqual(install.spokePackages, ['@spoke/connector-postgres', '@spoke/core', '@spoke/sdk']);
    const { readdir } = await import('node:fs/promises');
    const top = await readdir(join(install.dir, 'node_modules'));
    assert.ok(!top.includes('@duckdb'), `DuckDB in a connector's production install: ${top.join(' ')}`);
    assert.deepEqual((await readdir(join(install.dir, 'node_modules', '@spoke'))).sort(), [
      'connector-postgres',
      'core',
      'sdk',
    ]);
    t.diagnostic(`@spoke/connector-postgres alone: ${(install.bytes / MB).toFixed(1)} MB`);
  });

  for (const name of selectedConnectors()) {
    it(`@spoke/gateway + @spoke/connector-${name}: npx spoke query answers`, async (t) => {
      const pkg = `@spoke/connector-${name}`;
      const install = await installFromTarballs(packed, ['@spoke/gateway', pkg]);
      folders.push(install.dir);
      assert.deepEqual(await linkedSpokePackages(install.dir), []);
      const others = install.spokePackages.filter((p) => p.startsWith('@spoke/connector-') && p !== pkg);
      assert.deepEqual(others, [], 'the gateway pulled in other connectors');
      const source = await SOURCES[name]!(install.dir);
      try {
        await writeFile(join(install.dir, 'spoke.yaml'), `sources:\n  s:\n    ${source.yaml}\n`);
        const out = await npxSpoke(
          install.dir,
          [
            'query',
            '--config',
            'spoke.yaml',
            '--format',
            'json',
            `SELECT id, name, amount FROM ${source.table} ORDER BY id`,
          ],
          source.env,
        );
        const rows = (JSON.parse(out) as { id: unknown; name: unknown; amount: unknown }[]).map((r) => ({
          id: Number(r.id),
          name: r.name,
          amount: r.amount === null ? null : Number(r.amount),
        }));
        assert.deepEqual(rows, ROWS);
      } finally {
        await source.close?.();
      }
      if (name === 'duckdb')
        // The demo needs connector-lance too, which this install lacks: the gateway says so and exits.
        await assert.rejects(
          npxSpoke(install.dir, [
            'serve',
            '--demo',
            '--demo-dir',
            'demo',
            '--http-port',
            '0',
            '--postgres-port',
            '0',
          ]),
          /the demo needs @spoke\/connector-lance, which is not installed; install it: npm install @spoke\/connector-lance/,
        );
      t.diagnostic(
        `| \`@spoke/gateway\` + \`${pkg}\` | ${(install.bytes / MB).toFixed(0)} MB | ${install.spokePackages.length} @spoke packages | install ${(install.installMs / 1000).toFixed(1)} s |`,
      );
    });
  }
});
