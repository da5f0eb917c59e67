/**
 * Benchmark runner: `npm run bench -w @spoke/bench [-- name…]`.
 *
 * Every `bench/*.ts` file that exports `bench` (see `harness.ts`) is a
 * benchmark; with no names all of them run, in file-name order. Adding a
 * benchmark means adding a file — nothing to register here.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));

async function discover(): Promise<Bench[]> {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'run.ts' && f !== 'harness.ts')
    .sort();
  const found: Bench[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { bench?: Bench };
    if (mod.bench) found.push(mod.bench);
  }
  return found;
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const benches = await discover();
const unknown = wanted.filter((w) => !benches.some((b) => b.name === w));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')}; available: ${benches.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
for (const b of benches.filter((b) => wanted.length === 0 || wanted.includes(b.name))) {
  console.log(`\n## ${b.name}: ${b.description}\n`);
  await b.run();
}
