/**
 * What the docs' TypeScript examples import exists: every
 * `import { name } from '@spoke/…'` in a ```ts block of a README or docs/
 * page names a package of this repository and a value it exports (type-only
 * imports are checked against the package's declarations). The examples are
 * sketches (`…` stands for the reader's code) so they are not compiled whole
 * — the connector guide's are (packages/create-spoke-connector/test/guide.test.ts) —
 * but a renamed or removed export is caught here.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../packaging/workspace-packages.js';

function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  for (const name of readdirSync(join(ROOT, 'docs')))
    if (name.endsWith('.md')) out.push(join(ROOT, 'docs', name));
  for (const parent of ['packages', 'apps'])
    for (const name of readdirSync(join(ROOT, parent))) {
      const readme = join(ROOT, parent, name, 'README.md');
      if (existsSync(readme)) out.push(readme);
    }
  return out;
}

test("the docs' examples import only what the @spoke packages export", async () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const block of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
      for (const m of block[1]!.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*'(@spoke\/[^']+)'/g)) {
        const typeOnly = Boolean(m[1]);
        const pkg = m[3]!;
        let module: Record<string, unknown>;
        try {
          module = (await import(pkg)) as Record<string, unknown>;
        } catch (error) {
          wrong.push(
            `${relative(ROOT, file)}: ${pkg} cannot be imported (${(error as Error).message.split('\n')[0]})`,
          );
          continue;
        }
        for (const raw of m[2]!.split(',')) {
          const spec = raw.trim();
          if (!spec) continue;
          const isType = typeOnly || spec.startsWith('type ');
          const name = spec
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0]!
            .trim();
          checked++;
          if (name in module) continue;
          // A type-only name has no value: look for it among the package's declarations (re-exports included).
          if (isType || /^[A-Z]/.test(name)) {
            const dts = readdirSync(join(ROOT, 'node_modules', pkg, 'dist'), { recursive: true })
              .map(String)
              .filter((f) => f.endsWith('.d.ts'))
              .map((f) => readFileSync(join(ROOT, 'node_modules', pkg, 'dist', f), 'utf8'))
              .join('\n');
            const exported = new Set<string>();
            for (const e of dts.matchAll(/export\s+(?:declare\s+)?(?:type\s+)?\{([^}]*)\}/g))
              for (const part of e[1]!.split(','))
                exported.add(
                  part
                    .trim()
                    .replace(/^type\s+/, '')
                    .split(/\s+as\s+/)
                    .at(-1)!,
                );
            for (const e of dts.matchAll(
              /export\s+(?:declare\s+)?(?:abstract\s+)?(?:interface|type|class|const|function|enum|namespace)\s+(\w+)/g,
            ))
              exported.add(e[1]!);
            if (exported.has(name)) continue;
          }
          wrong.push(`${relative(ROOT, file)}: ${pkg} has no export "${name}"`);
        }
      }
    }
  }
  assert.ok(checked >= 15, `only ${checked} imported names found`);
  assert.deepEqual(wrong, []);
});
