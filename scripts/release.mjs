#!/usr/bin/env node
/**
 * The release: `npm run release` publishes with Changesets (each package whose
 * version is not on the registry yet, then git tags); `npm run release:dry-run`
 * (CI) runs `changeset status` and `npm publish --dry-run` for every
 * publishable package, and fails when any of them would not publish.
 *
 * Versions are bumped before, in a commit of their own: `npm run version-packages`
 * (`changeset version`, then the lock file).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dryRun = process.argv.includes('--dry-run');

/**
 * Runs a command in the repository root, inheriting stdio unless `capture`;
 * exits on failure unless `mayFail` (then the caller reads the output).
 */
function run(command, args, capture = false, mayFail = false) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0 && !mayFail) {
    if (capture) process.stderr.write(`${result.stdout}${result.stderr}`);
    process.stderr.write(`release: ${command} ${args.join(' ')} exited with ${result.status}\n`);
    process.exit(1);
  }
  return result;
}

/** The publishable (non-private) workspace packages. */
function publishable() {
  const found = [];
  for (const parent of ['packages', 'apps']) {
    for (const entry of readdirSync(join(root, parent))) {
      try {
        const manifest = JSON.parse(readFileSync(join(root, parent, entry, 'package.json'), 'utf8'));
        if (!manifest.private) found.push(manifest);
      } catch {
        // not a package
      }
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

if (!dryRun) {
  run('npx', ['changeset', 'publish']);
  process.exit(0);
}

run('npx', ['changeset', 'status']);
const packages = publishable();
// One npm for every package (an npm per package spent most of its time starting npm); each package's
// `+ name@version` line says it would publish, whatever became of the others.
const { stdout, stderr, status } = run(
  'npm',
  ['publish', '--dry-run', '--ignore-scripts', ...packages.flatMap(({ name }) => ['-w', name])],
  true,
  true,
);
const published = new Set(stdout.split('\n').filter((line) => line.startsWith('+ ')));
const missing = packages.filter(({ name, version }) => !published.has(`+ ${name}@${version}`));
for (const { name, version } of packages)
  if (!missing.some((m) => m.name === name)) process.stdout.write(`would publish ${name}@${version}\n`);
if (missing.length > 0 || status !== 0) {
  process.stderr.write(`${stdout}${stderr}`);
  for (const { name, version } of missing)
    process.stderr.write(`release: npm publish --dry-run did not publish ${name}@${version}\n`);
  if (status !== 0) process.stderr.write(`release: npm publish --dry-run exited with ${status}\n`);
  process.exit(1);
}
process.stdout.write(`release dry run: ${packages.length} packages would publish\n`);
