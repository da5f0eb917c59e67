/**
 * Every package declares what it imports: a bare import in `src/` is a
 * dependency, a peer or an optional dependency (so an install from the
 * registry has it); in `test/` and `scripts/` a devDependency is enough.
 * And every `@spoke/*` dependency is a package of this repository, so a
 * tarball never names one that cannot be published.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { publishablePackages, ROOT, sourceFiles } from './workspace-packages.js';

const BUILTINS = new Set(builtinModules);

/** The specifiers `text` imports: static and dynamic imports, re-exports, `require()`. */
export function importedSpecifiers(text: string): string[] {
  // Comments are dropped first: TSDoc often shows `import … from '…'` in examples.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set<string>();
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /(?:^|;)\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.add(m[1] as string);
  return [...found];
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative paths and built-ins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  if (specifier.startsWith('file:') || specifier.startsWith('#')) return undefined;
  // Text inside a regular expression or a string that only looks like an import.
  if (/[\\\s$]/.test(specifier)) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
  return BUILTINS.has(name) ? undefined : name;
}

describe('declared dependencies', () => {
  const packages = publishablePackages();
  const names = new Set(packages.map((p) => p.manifest.name));

  it('the scanner sees every form of import and skips comments and built-ins', () => {
    const text = `import a from 'a';\nimport type { B } from '@b/b/sub';\nexport * from 'c';\nimport 'd';\nconst e = await import('e');\nrequire('f');\n// import x from 'commented';\n/** import y from 'doc'; */\nimport { readFile } from 'node:fs';\nimport p from 'path';`;
    const got = importedSpecifiers(text).map(packageOf).filter(Boolean).sort();
    assert.deepEqual(got, ['@b/b', 'a', 'c', 'd', 'e', 'f']);
  });

  for (const { dir, manifest } of packages) {
    it(`${manifest.name} declares every package it imports`, () => {
      const runtime = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
      ]);
      const all = new Set([...runtime, ...Object.keys(manifest.devDependencies ?? {})]);
      const problems: string[] = [];
      for (const folder of ['src', 'test', 'scripts', 'bin', 'web']) {
        const allowed = folder === 'src' || folder === 'bin' ? runtime : all;
        for (const file of sourceFiles(join(dir, folder))) {
          for (const specifier of importedSpecifiers(readFileSync(file, 'utf8'))) {
            const name = packageOf(specifier);
            if (!name || name === manifest.name || allowed.has(name)) continue;
            const where = relative(ROOT, file);
            problems.push(
              all.has(name)
                ? `${where} imports ${name}, a devDependency: a runtime import needs dependencies or peerDependencies`
                : `${where} imports ${name}, which package.json does not declare`,
            );
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    it(`${manifest.name} depends only on @spoke packages this repository publishes`, () => {
      const declared = {
        ...manifest.dependencies,
        ...manifest.peerDependencies,
        ...manifest.optionalDependencies,
      };
      const unknown = Object.keys(declared).filter((n) => n.startsWith('@spoke/') && !names.has(n));
      assert.deepEqual(unknown, []);
    });
  }
});
