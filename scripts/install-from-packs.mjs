#!/usr/bin/env node
/**
 * Installs Spoke from its own npm tarballs, as the Dockerfile does (and as
 * someone installing from the registry would get it):
 *
 *   node scripts/install-from-packs.mjs pack DIR
 *     `npm pack` every publishable package (packages/*, apps/*) into DIR;
 *   node scripts/install-from-packs.mjs install DIR TARGET PACKAGE...
 *     write TARGET/package.json naming PACKAGE... and every `@spoke` package
 *     they need (dependencies, optional dependencies, required peers) as
 *     `file:` tarballs from DIR, then `npm install --omit=dev` there.
 *
 * Plain Node and npm, no dependencies: it runs in the image's build stage.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const [mode, dir, target, ...roots] = process.argv.slice(2);

function fail(message) {
  process.stderr.write(`install-from-packs: ${message}\n`);
  process.exit(2);
}

if (mode === 'pack' && dir) {
  const names = [];
  for (const parent of ['packages', 'apps'])
    for (const entry of readdirSync(join(ROOT, parent))) {
      let manifest;
      try {
        manifest = JSON.parse(readFileSync(join(ROOT, parent, entry, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      if (!manifest.private) names.push(manifest.name);
    }
  mkdirSync(resolve(dir), { recursive: true });
  execFileSync(
    'npm',
    ['pack', '--silent', '--pack-destination', resolve(dir), ...names.flatMap((n) => ['-w', n])],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  process.stdout.write(`packed ${names.length} packages into ${resolve(dir)}\n`);
} else if (mode === 'install' && dir && target && roots.length) {
  const packs = resolve(dir);
  const manifests = new Map();
  for (const file of readdirSync(packs).filter((f) => f.endsWith('.tgz'))) {
    const text = execFileSync('tar', ['-xzOf', join(packs, file), 'package/package.json'], {
      encoding: 'utf8',
    });
    const manifest = JSON.parse(text);
    manifests.set(manifest.name, { manifest, file: join(packs, file) });
  }
  const needed = new Set();
  const visit = (name) => {
    if (needed.has(name)) return;
    const found = manifests.get(name);
    if (!found) fail(`${name} is not among the tarballs in ${packs} (${[...manifests.keys()].join(', ')})`);
    needed.add(name);
    const m = found.manifest;
    const optionalPeers = new Set(
      Object.entries(m.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([peer]) => peer),
    );
    for (const dep of [
      ...Object.keys(m.dependencies ?? {}),
      ...Object.keys(m.optionalDependencies ?? {}),
      ...Object.keys(m.peerDependencies ?? {}).filter((p) => !optionalPeers.has(p)),
    ])
      if (dep.startsWith('@spoke/')) visit(dep);
  };
  for (const root of roots) visit(root);
  const dependencies = Object.fromEntries(
    [...needed].sort().map((n) => [n, `file:${manifests.get(n).file}`]),
  );
  mkdirSync(resolve(target), { recursive: true });
  writeFileSync(
    join(resolve(target), 'package.json'),
    `${JSON.stringify({ name: 'spoke-install', private: true, type: 'module', dependencies }, null, 2)}\n`,
  );
  // The workspace's npm settings (an npm_config_* prefix, a workspace) must not leak into this install.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  );
  execFileSync(
    'npm',
    ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    {
      cwd: resolve(target),
      env,
      stdio: 'inherit',
    },
  );
  process.stdout.write(`installed ${[...needed].join(', ')} into ${resolve(target)}\n`);
} else {
  fail('usage: install-from-packs.mjs pack DIR | install DIR TARGET PACKAGE...');
}
