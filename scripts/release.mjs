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

/** Runs a command in the repository root, inheriting stdio unless `capture`. */
function run(command, args, capture = false) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  });
  if (result.status !== 0) {
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
for (const { name, version } of packages) {
  const { stdout, stderr } = run('npm', ['publish', '--dry-run', '--ignore-scripts', '-w', name], true);
  if (!`${stdout}${stderr}`.includes(`+ ${name}@${version}`)) {
    process.stderr.write(
      `${stdout}${stderr}release: npm publish --dry-run did not publish ${name}@${version}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`would publish ${name}@${version}\n`);
}
process.stdout.write(`release dry run: ${packages.length} packages would publish\n`);
