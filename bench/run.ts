/**
 * Benchmark runner: `npm run bench -w @spoke/bench [-- name…]`.
 *
 * Every `bench/<name>.ts` file is a benchmark named by its file name (helpers
 * are `harness.ts` and files starting with `_`). With no names all of them run,
 * in file-name order; with names, only those files are loaded. A file either
 * exports `bench` (see `harness.ts`), whose `run()` is awaited, or is a script
 * that does its work when imported. Adding a benchmark means adding a file —
 * nothing to register here.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));

const available = readdirSync(here)
  .filter(
    (f) =>
      f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_') && f !== 'run.ts' && f !== 'harness.ts',
  )
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

// Script-style benches read their own arguments (`mysql-scan.ts [rows] [runs]`) from process.argv when run
// directly; through the runner they get none (the names above are the runner's), so they use their defaults.
process.argv.splice(2);

for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n## ${name}\n`);
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { bench?: Bench };
  if (mod.bench) {
    console.log(`${mod.bench.description}\n`);
    await mod.bench.run();
  }
}
