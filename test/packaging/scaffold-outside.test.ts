/**
 * `create-spoke-connector` as a third-party author uses it, outside the
 * workspace: scaffold from the packed tarball (`npm exec`, as `npm create`
 * does), install the scaffolded package's dependencies from the packed
 * `@spoke` tarballs, run its `npm test` (the conformance kit), pack it, and
 * load it into an installed gateway by its short name.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { arrow } from '@spoke/core';
import {
  installFromTarballs,
  npxSpoke,
  type PackedPackages,
  packAll,
  spokeClosure,
  withoutNpmConfig,
} from './tarballs.js';

const run = promisify(execFile);

/** Runs npm in `cwd` without the workspace's npm settings; returns stdout, throws with the output on failure. */
async function npm(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('npm', args, {
      cwd,
      env: withoutNpmConfig(process.env),
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: error,
    });
  }
}

describe('a connector scaffolded outside the workspace', { timeout: 600_000 }, () => {
  let packed: PackedPackages;
  const folders: string[] = [];
  before(async () => {
    packed = await packAll();
  });
  after(async () => {
    for (const dir of [...folders, packed?.dir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scaffolds, passes the conformance kit, packs, and is loaded by the gateway by name', async (t) => {
    const home = await mkdtemp(join(tmpdir(), 'spoke-author-'));
    folders.push(home);
    const creator = packed.tarballs.get('create-spoke-connector') as string;
    const created = await npm(home, [
      'exec',
      '--yes',
      '--prefer-offline',
      `--package=${creator}`,
      '--',
      'create-spoke-connector',
      'arrow-files',
    ]);
    assert.match(created, /Created spoke-connector-arrow-files \(connector "arrow-files", table\)/);
    const dir = join(home, 'arrow-files');

    // The registry has no @spoke packages yet: point them at the tarballs, as a published version would be.
    const manifestPath = join(dir, 'package.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    const spokeNames = spokeClosure(packed, ['@spoke/sdk', '@spoke/testing']);
    for (const name of spokeNames) manifest.devDependencies[name] = `file:${packed.tarballs.get(name)}`;
    manifest.dependencies['@spoke/sdk'] = `file:${packed.tarballs.get('@spoke/sdk')}`;
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await npm(dir, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);

    const tested = await npm(dir, ['test']);
    const passed = Number(/^# pass (\d+)$/m.exec(tested)?.[1]);
    assert.match(tested, /^# fail 0$/m);
    assert.ok(passed >= 20, `only ${passed} conformance cases passed`);

    const packedJson = JSON.parse(await npm(dir, ['pack', '--json', '--loglevel=error'])) as {
      filename: string;
      files: { path: string }[];
    }[];
    const paths = packedJson[0]!.files.map((f) => f.path);
    assert.ok(paths.includes('dist/index.js') && paths.includes('src/index.ts'), paths.join(' '));
    assert.ok(!paths.some((p) => p.startsWith('test/')), 'tests are not published');

    const source = [
      await readFile(join(dir, 'src', 'index.ts'), 'utf8'),
      await readFile(join(dir, 'src', 'arrow-files-table.ts'), 'utf8'),
    ].flatMap((text) => text.trimEnd().split('\n'));
    const code = source.filter((line) => line.trim() !== '' && !/^\s*(\/\*\*|\*|\/\/)/.test(line));
    t.diagnostic(
      `scaffolded connector: ${source.length} lines in src/ (${code.length} without TSDoc, comments and blank lines); npm test: ${passed} conformance cases`,
    );

    // An operator installs the gateway and the packed connector, and names it by its short name.
    const install = await installFromTarballs(packed, ['@spoke/gateway', '@spoke/sdk'], {
      'spoke-connector-arrow-files': `file:${join(dir, packedJson[0]!.filename)}`,
    });
    folders.push(install.dir);
    const table = new arrow.Table({
      id: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
      name: arrow.vectorFromArray(['ada', null, 'cyd'], new arrow.Utf8()),
    });
    await writeFile(join(install.dir, 'people.arrow'), arrow.tableToIPC(table, 'file'));
    await writeFile(
      join(install.dir, 'spoke.yaml'),
      'sources:\n  files:\n    connector: arrow-files\n    directory: .\n',
    );
    const out = await npxSpoke(install.dir, [
      'query',
      '--config',
      'spoke.yaml',
      '--format',
      'json',
      'SELECT name, id * 10 AS tens FROM files.people WHERE id >= 2 ORDER BY id',
    ]);
    assert.deepEqual(JSON.parse(out), [
      { name: null, tens: 20 },
      { name: 'cyd', tens: 30 },
    ]);
  });

  it('--kind sql: a SQL source on the toolkit passes the kit, documents itself and serves a query', async (t) => {
    const home = await mkdtemp(join(tmpdir(), 'spoke-author-sql-'));
    folders.push(home);
    const creator = packed.tarballs.get('create-spoke-connector') as string;
    const created = await npm(home, [
      'exec',
      '--yes',
      '--prefer-offline',
      `--package=${creator}`,
      '--',
      'create-spoke-connector',
      'tiny-sql',
      '--kind',
      'sql',
    ]);
    assert.match(created, /Created spoke-connector-tiny-sql \(connector "tiny-sql", sql\)/);
    const dir = join(home, 'tiny-sql');
    const manifestPath = join(dir, 'package.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    for (const name of spokeClosure(packed, ['@spoke/sdk', '@spoke/testing', '@spoke/duckdb-arrow']))
      manifest.devDependencies[name] = `file:${packed.tarballs.get(name)}`;
    for (const name of ['@spoke/sdk', '@spoke/duckdb-arrow'])
      manifest.dependencies[name] = `file:${packed.tarballs.get(name)}`;
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await npm(dir, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);

    const tested = await npm(dir, ['test']);
    const passed = Number(/^# pass (\d+)$/m.exec(tested)?.[1]);
    assert.match(tested, /^# fail 0$/m);
    assert.ok(passed >= 150, `only ${passed} conformance cases passed`);
    const source = [
      await readFile(join(dir, 'src', 'index.ts'), 'utf8'),
      await readFile(join(dir, 'src', 'tiny-sql-connector.ts'), 'utf8'),
    ].flatMap((text) => text.trimEnd().split('\n'));
    const code = source.filter((line) => line.trim() !== '' && !/^\s*(\/\*\*|\*|\/\/)/.test(line));
    assert.ok(source.length <= 150, `${source.length} lines`);
    t.diagnostic(
      `scaffolded SQL connector: ${source.length} lines in src/ (${code.length} without TSDoc, comments and blank lines); npm test: ${passed} conformance cases`,
    );

    const packedJson = JSON.parse(await npm(dir, ['pack', '--json', '--loglevel=error'])) as {
      filename: string;
    }[];
    const install = await installFromTarballs(
      packed,
      ['@spoke/gateway', '@spoke/sdk', '@spoke/duckdb-arrow'],
      {
        'spoke-connector-tiny-sql': `file:${join(dir, packedJson[0]!.filename)}`,
      },
    );
    folders.push(install.dir);
    // Its README's tables are what its declarations give, checked through the installed gateway.
    await npxSpoke(install.dir, [
      'connector-docs',
      'tiny-sql',
      '--readme',
      join(install.dir, 'node_modules', 'spoke-connector-tiny-sql', 'README.md'),
      '--check',
    ]);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(join(install.dir, 'people.db'));
    const connection = await db.connect();
    await connection.run(
      "CREATE TABLE people AS SELECT * FROM (VALUES (1, 'ada'), (2, NULL), (3, 'cyd')) t(id, name)",
    );
    connection.closeSync();
    db.closeSync();
    await writeFile(
      join(install.dir, 'spoke.yaml'),
      'sources:\n  db:\n    connector: tiny-sql\n    path: people.db\n',
    );
    const out = await npxSpoke(install.dir, [
      'query',
      '--config',
      'spoke.yaml',
      '--format',
      'json',
      'SELECT name, id * 10 AS tens FROM db.people WHERE id >= 2 ORDER BY id',
    ]);
    assert.deepEqual(JSON.parse(out), [
      { name: null, tens: 20 },
      { name: 'cyd', tens: 30 },
    ]);
  });
});
