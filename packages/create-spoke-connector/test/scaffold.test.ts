import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SPECIFICATION_VERSION } from '@spoke/core';
import {
  connectorNames,
  findSpokeMonorepo,
  main,
  scaffoldConnector,
  shortNameFromFolder,
  VERSIONS,
} from '../src/index.js';

const scratch = await mkdtemp(join(tmpdir(), 'create-spoke-connector-'));
after(() => rm(scratch, { recursive: true, force: true }));
const REPO = new URL('../../../', import.meta.url);

describe('names', () => {
  it('derives the short name from the folder and the rest from the short name', () => {
    assert.equal(shortNameFromFolder('spoke-connector-arrow-files'), 'arrow-files');
    assert.equal(shortNameFromFolder('connector-erp'), 'erp');
    assert.deepEqual(connectorNames('arrow-files'), {
      name: 'arrow-files',
      packageName: 'spoke-connector-arrow-files',
      className: 'ArrowFiles',
    });
    assert.equal(connectorNames('erp', '@acme/spoke-erp').packageName, '@acme/spoke-erp');
  });
  it('refuses names the gateway or npm could not use, saying why', () => {
    assert.throws(() => connectorNames('My Source'), /connector name "My Source" must be lower-case letters/);
    assert.throws(
      () => connectorNames('1db'),
      /must be lower-case letters and digits .* starting with a letter/,
    );
    assert.throws(
      () => connectorNames('ok', 'Not A Package'),
      /package name "Not A Package" is not a valid npm package name/,
    );
  });
});

describe('scaffoldConnector', () => {
  it('writes a complete package with every template name replaced', async () => {
    const dir = join(scratch, 'spoke-connector-arrow-files');
    const result = await scaffoldConnector({ directory: dir, kind: 'table' });
    assert.deepEqual(result.files, [
      '.gitignore',
      'README.md',
      'package.json',
      'src/arrow-files-table.ts',
      'src/index.ts',
      'test/conformance.test.ts',
      'tsconfig.build.json',
      'tsconfig.json',
    ]);
    assert.equal(result.monorepoRoot, undefined);
    for (const file of result.files) {
      const text = await readFile(join(dir, file), 'utf8');
      assert.doesNotMatch(text, /MySource|my-source|__[A-Z_]+__/, `${file} still holds a template name`);
    }
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    assert.equal(manifest.name, 'spoke-connector-arrow-files');
    assert.deepEqual(manifest.peerDependencies, { '@spoke/core': VERSIONS.spoke });
    assert.equal(manifest.spoke.specificationVersion, SPECIFICATION_VERSION);
    assert.equal(manifest.devDependencies['@spoke/testing'], VERSIONS.spoke);
    const index = await readFile(join(dir, 'src/index.ts'), 'utf8');
    assert.match(index, /export class ArrowFilesConnector extends BaseConnector/);
    assert.match(index, /name: 'arrow-files'/);
    assert.match(index, /import \{ ArrowFilesTable \} from '\.\/arrow-files-table\.js';/);
  });

  it('--kind sql: a SQL source on the toolkit in at most 150 lines, passing the kit', async () => {
    const dir = join(scratch, 'spoke-connector-tiny-sql');
    const result = await scaffoldConnector({ directory: dir, kind: 'sql' });
    assert.deepEqual(result.files, [
      '.gitignore',
      'README.md',
      'package.json',
      'src/index.ts',
      'src/tiny-sql-connector.ts',
      'test/conformance.test.ts',
      'tsconfig.build.json',
      'tsconfig.json',
    ]);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.dependencies), [
      '@duckdb/node-api',
      '@spoke/duckdb-arrow',
      '@spoke/sdk',
    ]);
    const source = await readFile(join(dir, 'src/tiny-sql-connector.ts'), 'utf8');
    assert.match(source, /export class TinySqlConnector extends SqlSourceConnector/);
    let lines = 0;
    for (const file of result.files.filter((f) => f.startsWith('src/')))
      lines += (await readFile(join(dir, file), 'utf8')).trimEnd().split('\n').length;
    assert.ok(lines <= 150, `the SQL source is ${lines} lines`);
    // The workspace's packages stand in for the installed ones (the packaging test installs tarballs).
    await symlink(new URL('node_modules', REPO).pathname, join(dir, 'node_modules'), 'dir');
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'test/conformance.test.ts'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      // Without this the child's runner would report to ours instead of printing TAP.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    });
    assert.equal(run.status, 0, run.stdout.slice(-3000) + run.stderr.slice(-2000));
    assert.match(run.stdout, /# fail 0/);
    const passed = Number(/# pass (\d+)/.exec(run.stdout)?.[1]);
    assert.ok(passed > 150, `${passed} kit cases passed`);
  });

  it('--kind sql with whole sub-query push-down added (standardSqlDialect): the kit runs its whole-query cases', async () => {
    const dir = join(scratch, 'spoke-connector-whole-sql');
    await scaffoldConnector({ directory: dir, kind: 'sql' });
    // The two lines the connector guide shows, added to the scaffold as an author would.
    const sourcePath = join(dir, 'src/whole-sql-connector.ts');
    const source = await readFile(sourcePath, 'utf8');
    const edited = source
      .replace(
        "} from '@spoke/sdk';",
        "  standardSqlDialect,\n  type WholeQueryPushdown,\n} from '@spoke/sdk';",
      )
      .replace(
        'export class WholeSqlConnector extends SqlSourceConnector {',
        'export class WholeSqlConnector extends SqlSourceConnector implements WholeQueryPushdown {',
      )
      .replace(
        '  readonly expressionDialect = new WholeSqlDialect();',
        '  readonly expressionDialect = new WholeSqlDialect();\n  readonly dialect = standardSqlDialect({\n    expressions: this.expressionDialect,\n    resolveTable: (schema, name) => this.describedTable(schema, name),\n  });',
      );
    assert.notEqual(edited, source);
    await writeFile(sourcePath, edited);
    const index = join(dir, 'src/index.ts');
    await writeFile(
      index,
      (await readFile(index, 'utf8')).replace(
        "capabilities: { filters: 'exact', limit: true, topN: true },",
        "capabilities: { filters: 'exact', limit: true, topN: true, wholeQueries: true },",
      ),
    );
    await symlink(new URL('node_modules', REPO).pathname, join(dir, 'node_modules'), 'dir');
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'test/conformance.test.ts'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    });
    assert.equal(run.status, 0, run.stdout.slice(-3000) + run.stderr.slice(-2000));
    const whole = [...run.stdout.matchAll(/^ {4}ok \d+ - (whole\.\S+)( # SKIP.*)?$/gm)];
    assert.equal(whole.length, 10, 'ten whole-query cases');
    assert.deepEqual(
      whole.filter((m) => m[2]).map((m) => m[1]),
      [],
      'none skipped: the standard dialect declares what each uses',
    );
  });

  it('refuses a folder that holds files', async () => {
    const dir = join(scratch, 'taken');
    await mkdir(dir);
    await writeFile(join(dir, 'x'), '');
    await assert.rejects(
      scaffoldConnector({ directory: dir, kind: 'table' }),
      /taken is not empty; choose a new folder/,
    );
  });

  it('inside the Spoke monorepo: @spoke/connector-NAME and a changeset', async () => {
    assert.equal(
      findSpokeMonorepo(new URL('packages/core', REPO).pathname),
      new URL(REPO).pathname.replace(/\/$/, ''),
    );
    const fake = join(scratch, 'monorepo');
    await mkdir(join(fake, 'packages', 'core'), { recursive: true });
    await writeFile(join(fake, 'packages', 'core', 'package.json'), '{ "name": "@spoke/core" }');
    const result = await scaffoldConnector({
      directory: join(fake, 'packages', 'connector-erp'),
      kind: 'table',
    });
    assert.equal(result.names.packageName, '@spoke/connector-erp');
    assert.equal(result.monorepoRoot, fake);
    assert.ok(result.files.includes('../../.changeset/erp-connector.md'));
    assert.match(
      await readFile(join(fake, '.changeset', 'erp-connector.md'), 'utf8'),
      /'@spoke\/connector-erp': minor/,
    );
  });
});

describe('the command', () => {
  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(
      args,
      (t) => {
        out += t;
      },
      (t) => {
        err += t;
      },
    );
    return { code, out, err };
  }
  it('scaffolds and prints the next steps', async () => {
    const dir = join(scratch, 'cmd-source');
    const { code, out } = await run([dir, '--name', 'cmd']);
    assert.equal(code, 0);
    assert.match(out, /Created spoke-connector-cmd \(connector "cmd", table\)/);
    assert.match(out, /npm test {8}# the conformance kit/);
    assert.ok(existsSync(join(dir, 'src', 'cmd-table.ts')));
  });
  it('usage errors exit 2 and name the problem', async () => {
    assert.match((await run([])).err, /expected one folder, got 0/);
    assert.equal((await run(['a', '--kind', 'graph'])).code, 2);
    assert.match((await run(['a', '--kind', 'graph'])).err, /--kind must be one of table, sql, got "graph"/);
    assert.match((await run(['a', '--bogus'])).err, /Unknown option '--bogus'/);
    assert.equal((await run(['--help'])).code, 0);
  });
});

describe('versions', () => {
  it('match the @spoke packages of this repository', async () => {
    for (const pkg of ['core', 'sdk', 'testing']) {
      const { version } = JSON.parse(await readFile(new URL(`packages/${pkg}/package.json`, REPO), 'utf8'));
      assert.equal(VERSIONS.spoke, `^${version}`, `@spoke/${pkg} is ${version}`);
    }
    assert.equal(VERSIONS.specificationVersion, SPECIFICATION_VERSION);
    const duckdbArrow = JSON.parse(
      await readFile(new URL('packages/duckdb-arrow/package.json', REPO), 'utf8'),
    );
    assert.equal(VERSIONS.duckdb, duckdbArrow.dependencies['@duckdb/node-api']);
    const root = JSON.parse(await readFile(new URL('package.json', REPO), 'utf8'));
    assert.equal(VERSIONS.typescript, root.devDependencies.typescript);
    assert.equal(VERSIONS.tsx, root.devDependencies.tsx);
    assert.equal(VERSIONS.typesNode, root.devDependencies['@types/node']);
  });
});
