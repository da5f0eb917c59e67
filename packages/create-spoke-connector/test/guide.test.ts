import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const GUIDE = join(REPO, 'docs', 'connector-guide.md');
const TEMPLATE = fileURLToPath(new URL('../templates/table/', import.meta.url));

/** The guide's TypeScript blocks, with the file each says it is (`// file: src/index.ts`). */
async function tsBlocks(): Promise<{ file?: string; code: string }[]> {
  const text = await readFile(GUIDE, 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => {
    const body = m[1] as string;
    const marker = /^\/\/ file: (\S+)\n/.exec(body);
    return marker ? { file: marker[1] as string, code: body.slice(marker[0].length) } : { code: body };
  });
}

describe('docs/connector-guide.md', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("shows the scaffold's files exactly as the scaffold writes them", async () => {
    const blocks = (await tsBlocks()).filter((b) => b.file);
    assert.deepEqual(
      blocks.map((b) => b.file),
      ['src/index.ts', 'src/my-source-table.ts', 'test/conformance.test.ts'],
    );
    for (const block of blocks)
      assert.equal(block.code, await readFile(join(TEMPLATE, block.file as string), 'utf8'), block.file);
  });

  it('has TypeScript blocks that compile against @spoke/core, @spoke/sdk and @spoke/testing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spoke-guide-'));
    dirs.push(dir);
    await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const blocks = await tsBlocks();
    assert.ok(blocks.length >= 3);
    for (const [i, block] of blocks.entries()) {
      const path = join(dir, block.file ?? `snippets/snippet-${i}.ts`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, block.code);
    }
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(REPO, 'tsconfig.base.json'),
        compilerOptions: { noEmit: true, noImplicitOverride: true, rootDir: '.' },
        include: ['**/*.ts'],
        exclude: ['node_modules'],
      }),
    );
    const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
    await promisify(execFile)(tsc, ['-p', join(dir, 'tsconfig.json')]).catch((error) => {
      assert.fail(`the guide's snippets do not compile:\n${error.stdout}${error.stderr}`);
    });
  });
});

describe('templates', () => {
  it('compile against the @spoke packages of this repository (tsconfig.templates.json)', async () => {
    const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
    const project = fileURLToPath(new URL('../tsconfig.templates.json', import.meta.url));
    await promisify(execFile)(tsc, ['-p', project]).catch((error) => {
      assert.fail(`the templates do not compile:\n${error.stdout}${error.stderr}`);
    });
  });
});
