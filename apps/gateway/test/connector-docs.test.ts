import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SCALAR_FUNCTIONS, SPECIFICATION_VERSION } from '@spoke/core';
import { SPOKE_CLI as CLI } from '../../../test/harness/spoke-cli.js';
import { renderConnectorDocs, replaceConnectorDocs } from '../src/format/connector-docs.js';

const dir = await mkdtemp(join(tmpdir(), 'spoke-connector-docs-'));
after(() => rm(dir, { recursive: true, force: true }));

/** Runs the built CLI in `dir`; `nodeArgs` go before it (tsx, for a connector given as TypeScript source). */
async function spoke(
  args: string[],
  nodeArgs: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** A connector package's entry point, declaring options, types and capabilities as defineConnector passes them. */
const connectorModule = (limit: boolean) => `export const connector = {
  specificationVersion: '${SPECIFICATION_VERSION}',
  name: 'tiny',
  async create() { throw new Error('not used'); },
  docs: {
    options: {
      path: { type: 'string', required: true, description: 'the database file | relative to the config' },
      mode: { type: 'string', oneOf: ['ro', 'rw'], default: 'ro', description: 'how it is opened' },
    },
    types: [{ source: 'INTEGER', spoke: 'int64', note: 'SQLite integers are 64-bit' }, { source: 'TEXT', spoke: 'utf8' }],
    capabilities: { filters: 'exact', limit: ${limit}, topN: false, functions: ['lower', 'length'], exclude: ['cast(* as date)'] },
  },
};
export default connector;
`;

describe('spoke connector-docs', { timeout: 120_000 }, () => {
  test('prints the options table, type mapping and push-down matrix from the declarations', async () => {
    await writeFile(join(dir, 'tiny.mjs'), connectorModule(true));
    const { code, stdout, stderr } = await spoke(['connector-docs', './tiny.mjs']);
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      /\| `path` \| string \| yes \| — \| the database file \\\| relative to the config \|/,
    );
    assert.match(stdout, /\| `mode` \| `ro`, `rw` \| no \| `"ro"` \| how it is opened \|/);
    assert.match(stdout, /\| `INTEGER` \| `int64` \| SQLite integers are 64-bit \|/);
    assert.match(stdout, /\| filters \| yes, exactly/);
    assert.match(stdout, /\| functions in filters \| `lower`, `length` \|/);
    assert.match(stdout, /\| kept in Spoke \(by signature\) \| `cast\(\* as date\)` \|/);
    assert.match(stdout, /\| limit \| yes \|/);
    assert.match(stdout, /\| top-N \(ORDER BY … LIMIT\) \| no: Spoke sorts \|/);
  });

  test('--readme fills the marked block, --check tells a stale one', async () => {
    const readme = join(dir, 'README.md');
    await writeFile(
      readme,
      '# tiny\n\nIntro.\n\n<!-- spoke connector-docs:start -->\nold\n<!-- spoke connector-docs:end -->\n\n## How it is tested\n',
    );
    assert.equal((await spoke(['connector-docs', './tiny.mjs', '--readme', 'README.md', '--check'])).code, 1);
    const write = await spoke(['connector-docs', './tiny.mjs', '--readme', 'README.md']);
    assert.equal(write.code, 0, write.stderr);
    const text = await readFile(readme, 'utf8');
    assert.match(text, /^# tiny\n\nIntro\.\n\n<!-- spoke connector-docs:start -->\n\n## Options\n/);
    assert.match(text, /<!-- spoke connector-docs:end -->\n\n## How it is tested\n$/);
    assert.doesNotMatch(text, /\nold\n/);
    assert.equal((await spoke(['connector-docs', './tiny.mjs', '--readme', 'README.md', '--check'])).code, 0);
    // The declarations change (limit no longer pushed): the README is stale, and says how to refresh it.
    await writeFile(join(dir, 'tiny.mjs'), connectorModule(false));
    const stale = await spoke(['connector-docs', './tiny.mjs', '--readme', 'README.md', '--check']);
    assert.equal(stale.code, 1);
    assert.match(
      stale.stderr,
      /out of date with connector "tiny"'s declarations; run: spoke connector-docs \.\/tiny\.mjs --readme README\.md/,
    );
  });

  test('a README whose tables a formatter padded still passes --check', async () => {
    await writeFile(join(dir, 'tiny.mjs'), connectorModule(true));
    await spoke(['connector-docs', './tiny.mjs', '--readme', 'README.md']);
    const readme = join(dir, 'README.md');
    const padded = (await readFile(readme, 'utf8'))
      .replace('| --- | --- |', '| ------ | :----: |')
      .replace('| projection | yes |', '|  projection   |  yes  |');
    await writeFile(readme, padded);
    assert.equal((await spoke(['connector-docs', './tiny.mjs', '--readme', 'README.md', '--check'])).code, 0);
  });

  test("create-spoke-connector's templates carry the README their declarations give", async () => {
    for (const kind of ['table', 'sql']) {
      const template = fileURLToPath(
        new URL(`../../../packages/create-spoke-connector/templates/${kind}/`, import.meta.url),
      );
      // The template's entry point is TypeScript: tsx by URL (a bare `tsx` does not resolve from `dir`).
      const run = await spoke(
        [
          'connector-docs',
          join(template, 'src/index.ts'),
          '--readme',
          join(template, 'README.md'),
          '--check',
        ],
        ['--import', import.meta.resolve('tsx')],
      );
      assert.equal(run.code, 0, `${kind}: ${run.stderr}`);
    }
  });

  test('an unknown connector names what was tried', async () => {
    const { code, stderr } = await spoke(['connector-docs', 'no-such-thing']);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^spoke: INVALID_CONFIG: no connector package for "no-such-thing" \(tried @spoke\/connector-no-such-thing, spoke-connector-no-such-thing, no-such-thing\)/,
    );
  });

  test('a README without the markers is refused naming them', () => {
    assert.throws(() => replaceConnectorDocs('# x\n', 'y'), /has no "<!-- spoke connector-docs:start -->"/);
  });

  test('undeclared parts are said to be undeclared; "all but" for most functions', () => {
    const base = {
      specificationVersion: SPECIFICATION_VERSION,
      name: 'x',
      create: async () => {
        throw new Error();
      },
    } as const;
    const bare = renderConnectorDocs(base);
    assert.match(bare, /declares no options/);
    assert.match(bare, /declares no type mapping/);
    assert.match(bare, /declares no capabilities/);
    const most = renderConnectorDocs({
      ...base,
      docs: {
        capabilities: {
          filters: 'exact',
          limit: true,
          topN: true,
          functions: SCALAR_FUNCTIONS.filter((f) => f !== 'round'),
        },
      },
    });
    assert.match(most, /\| functions in filters \| all but `round` \|/);
  });
});
