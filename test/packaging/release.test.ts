/**
 * The release pipeline's dry run (what CI runs): `changeset status` passes and
 * `npm publish --dry-run` would publish every publishable package at its
 * version.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { withoutNpmConfig } from './tarballs.js';
import { publishablePackages, ROOT } from './workspace-packages.js';

it('npm run release:dry-run would publish every package', { timeout: 180_000 }, async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'scripts', 'release.mjs'), '--dry-run'],
    {
      cwd: ROOT,
      env: withoutNpmConfig(process.env),
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const packages = publishablePackages();
  for (const { manifest } of packages)
    assert.ok(stdout.includes(`would publish ${manifest.name}@${manifest.version}\n`), manifest.name);
  assert.match(stdout, new RegExp(`release dry run: ${packages.length} packages would publish`));
});
