/**
 * `@spoke/graph/definitions` holds everything but the Cypher parser: no
 * module it imports, however indirectly, reaches ANTLR or the generated
 * parser (which a server would then load at start-up), and the package's
 * `exports` map serves both entries with their types.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as definitions from '../src/definitions.js';
import * as everything from '../src/index.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every module `file` imports, transitively: relative ones as paths, packages by name. */
function importGraph(file: string, seen = new Set<string>(), packages = new Set<string>()) {
  if (seen.has(file)) return { seen, packages };
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)) {
    const specifier = m[1] as string;
    if (specifier.startsWith('.'))
      importGraph(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')), seen, packages);
    else packages.add(specifier);
  }
  return { seen, packages };
}

test('the definitions entry imports no part of the Cypher parser', () => {
  const { seen, packages } = importGraph(join(SRC, 'definitions.ts'));
  assert.ok(
    !packages.has('antlr4ng'),
    `antlr4ng is reached from definitions.ts: ${[...packages].join(', ')}`,
  );
  const parserFiles = [...seen].filter((f) => /[/\\](generated|cypher)[/\\]/.test(f));
  assert.deepEqual(parserFiles, []);
  // The check itself sees the parser from the full entry.
  assert.ok(importGraph(join(SRC, 'index.ts')).packages.has('antlr4ng'));
});

test('the full entry exports everything the definitions entry does, the same objects', () => {
  for (const [name, value] of Object.entries(definitions))
    assert.equal((everything as Record<string, unknown>)[name], value, name);
  assert.equal(typeof everything.compileCypher, 'function');
  assert.equal((definitions as Record<string, unknown>).compileCypher, undefined);
});

test('package.json exports both entries with their types', () => {
  const manifest = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8')) as {
    exports: Record<string, { types?: string; import?: string }>;
  };
  assert.deepEqual(manifest.exports['./definitions'], {
    types: './dist/definitions.d.ts',
    import: './dist/definitions.js',
  });
  assert.ok(manifest.exports['.']?.types);
});
