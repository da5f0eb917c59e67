/**
 * Answers are made of objects V8 gives the same hidden class ("map") query
 * after query. A map made per query — by a generator function expression
 * (each evaluation has a prototype of its own) or by an object spread that
 * then gains a property — is allocated in the old generation, and the first
 * kind kept each query's whole object graph alive across young-generation
 * collections: a pushed-down point query promoted ~4.5 KB and scavenges took
 * ten times longer. The probe runs in a child process with
 * `--allow-natives-syntax` (V8's `%HaveSameMap`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

test('answers share their hidden classes from one query to the next', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-hidden-classes-'));
  try {
    const { stdout } = await run(
      process.execPath,
      [
        '--allow-natives-syntax',
        '--import',
        'tsx',
        join(here, 'support/hidden-class-probe.ts'),
        dir,
        'same-map',
      ],
      { cwd: join(here, '..') },
    );
    const same = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, boolean>;
    assert.ok(Object.keys(same).length >= 12, stdout);
    const differing = Object.entries(same)
      .filter(([, shared]) => !shared)
      .map(([name]) => name);
    assert.deepEqual(differing, [], 'objects with a new hidden class per query');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a query makes few hidden classes: 15.5 a query, 64.5 before generators were declared once', {
  timeout: 120_000,
}, async (t) => {
  // Counted in V8's map log. Node 20 gives every AbortSignal three maps (its symbol fields are added after a
  // prototype change) and the engine makes one signal per query when the caller gives it no controller; the
  // DuckDB client and Node's streams make a few more. A generator function expression or a spread that gains
  // properties on the query's path adds several a query; the pushed-down and federated queries here made 64.5
  // maps each before (15.5 after).
  const dir = mkdtempSync(join(tmpdir(), 'spoke-hidden-classes-'));
  const log = join(dir, 'maps.log');
  const runs = 100;
  try {
    await run(
      process.execPath,
      [
        '--log-maps',
        '--no-log-maps-details',
        `--logfile=${log}`,
        '--no-logfile-per-isolate',
        '--import',
        'tsx',
        join(here, 'support/hidden-class-probe.ts'),
        dir,
        'count',
        String(runs),
      ],
      { cwd: join(here, '..'), maxBuffer: 64 * 1024 * 1024 },
    );
    const lines = readFileSync(log, 'utf8').split('\n');
    const from = lines.findIndex((line) => line.endsWith(',__spoke_probe_start'));
    const to = lines.findIndex((line) => line.endsWith(',__spoke_probe_end'));
    assert.ok(from > 0 && to > from, 'the probe marked its measured runs');
    const made = lines
      .slice(from + 1, to)
      .filter((line) => line.startsWith('map,') || line.startsWith('map-create,'));
    // Two queries (pushed down, federated), `runs` times each.
    const perQuery = made.length / (2 * runs);
    t.diagnostic(`${perQuery.toFixed(1)} maps made per query (${made.length} for ${2 * runs} queries)`);
    assert.ok(perQuery <= 20, `${perQuery.toFixed(1)} maps made per query`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Every `.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

test('no generator function expressions in the packages: each evaluation would be a new prototype', () => {
  const root = join(here, '../../..');
  const dirs = [
    ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src')),
    join(root, 'apps/gateway/src'),
  ];
  const found: string[] = [];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = sources(dir);
    } catch {
      continue; // a package without src/
    }
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // `async function* name(` at the start of a statement is a declaration; anything else is an expression.
          const code = line.replace(/\/\/.*$/, '');
          if (/^\s*(\*|\/\*)/.test(code)) return; // a comment
          if (
            /(^|[^\w$\s])\s*(async\s+)?function\s*\*/.test(code) &&
            !/^\s*(export\s+)?(async\s+)?function\s*\*/.test(code)
          )
            found.push(`${file.slice(root.length + 1)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  assert.deepEqual(found, [], 'declare the generator once (see batchesOf in @spoke/core)');
});
