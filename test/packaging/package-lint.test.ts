/**
 * Every packed package, as the registry would get it: publint (strict) finds
 * nothing, arethetypeswrong resolves its types for ESM consumers (the
 * `esm-only` profile: the packages are ESM only, by design), and every source
 * map points at files inside the tarball.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { checkPackage, createPackageFromTarballData, type ResolutionKind } from '@arethetypeswrong/core';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { type PackedPackages, packAll } from './tarballs.js';
import { publishablePackages } from './workspace-packages.js';

const run = promisify(execFile);

/**
 * The resolutions attw's `esm-only` profile leaves out (the packages are ESM
 * only, by design): CommonJS consumers, and node10's resolution.
 */
const ESM_ONLY_IGNORED: readonly ResolutionKind[] = ['node10', 'node16-cjs'];

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

describe('packed packages', { timeout: 300_000 }, () => {
  let packed: PackedPackages;
  const unpacked = new Map<string, string>();
  before(async () => {
    packed = await packAll();
    for (const [name, tarball] of packed.tarballs) {
      const dir = join(packed.dir, 'unpacked', name.replace('/', '+'));
      await mkdir(dir, { recursive: true });
      await run('tar', ['-xzf', tarball, '-C', dir]);
      unpacked.set(name, join(dir, 'package'));
    }
  });
  after(async () => {
    if (packed) await rm(packed.dir, { recursive: true, force: true });
  });

  for (const { manifest } of publishablePackages()) {
    const name = manifest.name;
    it(`${name}: publint finds nothing`, async () => {
      const tarball = await readFile(packed.tarballs.get(name) as string);
      const pkgJson = JSON.parse(await readFile(join(unpacked.get(name) as string, 'package.json'), 'utf8'));
      const { messages } = await publint({
        pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
        strict: true,
        level: 'warning',
      });
      assert.deepEqual(
        messages.map((m) => `${m.type}: ${formatMessage(m, pkgJson, { color: false }) ?? m.code}`),
        [],
      );
    });

    it(`${name}: types resolve for ESM consumers (arethetypeswrong)`, async () => {
      // attw's own checks, in this process (its CLI would load TypeScript again for every package).
      const tarball = await readFile(packed.tarballs.get(name) as string);
      const analysis = await checkPackage(createPackageFromTarballData(new Uint8Array(tarball)));
      assert.ok(analysis.types, `attw finds no types in ${name}`);
      const problems = analysis.problems.filter(
        (p) => !('resolutionKind' in p) || !ESM_ONLY_IGNORED.includes(p.resolutionKind),
      );
      assert.deepEqual(problems, [], `attw found problems in ${name}`);
    });

    it(`${name}: every source map points inside the tarball`, async () => {
      const root = unpacked.get(name) as string;
      const files = new Set(await filesUnder(root));
      const missing: string[] = [];
      for (const file of files) {
        if (!file.endsWith('.map')) continue;
        const map = JSON.parse(await readFile(file, 'utf8')) as {
          sources: string[];
          sourceRoot?: string;
          sourcesContent?: (string | null)[];
        };
        map.sources.forEach((source, i) => {
          if (map.sourcesContent?.[i] != null) return;
          const target = resolve(dirname(file), map.sourceRoot ?? '', source);
          if (!files.has(target)) missing.push(`${relative(root, file)} → ${source}`);
        });
      }
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} unresolved source-map entries`);
    });
  }
});
