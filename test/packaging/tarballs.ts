/**
 * Packs the workspace's packages with `npm pack` and installs chosen ones
 * into folders outside the workspace from the tarballs alone — no workspace
 * links — as someone installing from the registry would get them.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readdir, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type PackageJson, publishablePackages, ROOT } from './workspace-packages.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Packed packages: name → tarball path, with each package's manifest. */
export interface PackedPackages {
  readonly dir: string;
  readonly tarballs: ReadonlyMap<string, string>;
  readonly manifests: ReadonlyMap<string, PackageJson>;
}

/** Runs `npm pack` once over every publishable package into a new temporary folder. */
export async function packAll(): Promise<PackedPackages> {
  const dir = await mkdtemp(join(tmpdir(), 'spoke-tarballs-'));
  const packages = publishablePackages();
  const args = [
    'pack',
    '--json',
    '--pack-destination',
    dir,
    ...packages.flatMap((p) => ['-w', p.manifest.name]),
  ];
  const { stdout } = await run(NPM, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const packed = JSON.parse(stdout) as { name: string; filename: string }[];
  const tarballs = new Map(packed.map((p) => [p.name, join(dir, p.filename)]));
  const manifests = new Map(packages.map((p) => [p.manifest.name, p.manifest]));
  return { dir, tarballs, manifests };
}

/**
 * `roots` and every `@spoke/*` package they need at run time (dependencies,
 * optional dependencies, required peers), transitively: the registry has no
 * `@spoke` packages, so each must come from its tarball.
 */
export function spokeClosure(packed: PackedPackages, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const manifest = packed.manifests.get(name);
    if (!manifest) throw new Error(`${name} is not a package of this repository`);
    seen.add(name);
    const optionalPeers = new Set(
      Object.entries(manifest.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([peer]) => peer),
    );
    const needed = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}).filter((peer) => !optionalPeers.has(peer)),
    ];
    for (const dep of needed) if (dep.startsWith('@spoke/')) visit(dep);
  };
  for (const root of roots) visit(root);
  return [...seen].sort();
}

/** An install made by {@link installFromTarballs}. */
export interface TarballInstall {
  readonly dir: string;
  /** The `@spoke` packages installed, from their tarballs. */
  readonly spokePackages: readonly string[];
  /** Bytes on disk under node_modules (`du -sk`). */
  readonly bytes: number;
  /** How long `npm install` took. */
  readonly installMs: number;
}

/**
 * Creates a folder in the system's temporary directory (outside the
 * workspace) whose package.json names `roots` and the `@spoke` packages they
 * need as `file:` tarballs, and runs `npm install --prefer-offline` there:
 * third-party packages come from npm's cache or the registry.
 *
 * @param extra - more dependencies of the folder's package.json (name → spec)
 */
export async function installFromTarballs(
  packed: PackedPackages,
  roots: readonly string[],
  extra: Readonly<Record<string, string>> = {},
  dir?: string,
): Promise<TarballInstall> {
  const target = dir ?? (await mkdtemp(join(tmpdir(), 'spoke-install-')));
  const spokePackages = spokeClosure(packed, roots);
  const dependencies: Record<string, string> = { ...extra };
  for (const name of spokePackages) dependencies[name] = `file:${packed.tarballs.get(name)}`;
  await writeFile(
    join(target, 'package.json'),
    `${JSON.stringify({ name: 'spoke-install-check', private: true, type: 'module', dependencies }, null, 2)}\n`,
  );
  const started = performance.now();
  await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: target,
    maxBuffer: 64 * 1024 * 1024,
    // npm must not see the workspace: no inherited prefix or workspace settings.
    env: withoutNpmConfig(process.env),
  });
  const installMs = performance.now() - started;
  return { dir: target, spokePackages, bytes: await diskBytes(join(target, 'node_modules')), installMs };
}

/**
 * `env` without the `npm_*` variables an `npm test` parent sets (prefix,
 * workspace…) and without `NODE_TEST_CONTEXT`, which would make a child
 * `node --test` report to this test runner instead of printing its results.
 */
export function withoutNpmConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([key]) => !key.toLowerCase().startsWith('npm_') && key !== 'NODE_TEST_CONTEXT',
    ),
  );
}

/** Bytes on disk under `dir`, as `du -sk` counts them. */
export async function diskBytes(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sk', dir]);
  return Number.parseInt(stdout, 10) * 1024;
}

/**
 * The installed `@spoke` packages that are symbolic links or resolve into
 * the workspace: none may be, or the install did not come from tarballs.
 */
export async function linkedSpokePackages(installDir: string): Promise<string[]> {
  const scope = join(installDir, 'node_modules', '@spoke');
  const linked: string[] = [];
  for (const entry of await readdir(scope)) {
    const path = join(scope, entry);
    if ((await lstat(path)).isSymbolicLink() || (await realpath(path)).startsWith(ROOT))
      linked.push(`@spoke/${entry}`);
  }
  return linked;
}

/** Runs `npx spoke ARGS` in `dir` and returns its output; throws with stderr when it exits non-zero. */
export async function npxSpoke(
  dir: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<string> {
  try {
    const { stdout } = await run('npx', ['--no-install', 'spoke', ...args], {
      cwd: dir,
      env: { ...withoutNpmConfig(process.env), ...env },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`npx spoke ${args.join(' ')} failed: ${stderr ?? ''}${stdout ?? ''}`, { cause: error });
  }
}
