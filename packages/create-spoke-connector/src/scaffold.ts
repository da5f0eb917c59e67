import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConnectorNames, connectorNames, shortNameFromFolder } from './names.js';
import { VERSIONS } from './versions.js';

/**
 * The kinds of connector the scaffold writes. `table`: a table source on
 * `BaseConnector` and `BaseTable`. `sql`: a SQL-speaking source on the
 * SQL-source toolkit (`SqlSourceConnector`), with a DuckDB database file as
 * the example engine.
 */
export const CONNECTOR_KINDS = ['table', 'sql'] as const;

/** The driver each kind's example uses, added to the package's dependencies. */
const KIND_DEPENDENCIES: Readonly<Record<ConnectorKind, Readonly<Record<string, string>>>> = {
  table: {},
  sql: { '@duckdb/node-api': VERSIONS.duckdb, '@spoke/duckdb-arrow': VERSIONS.spoke },
};
/** One of {@link CONNECTOR_KINDS}. */
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/** What {@link scaffoldConnector} is asked to write. */
export interface ScaffoldOptions {
  /** The folder to create (must be missing or empty). */
  readonly directory: string;
  readonly kind: ConnectorKind;
  /** The short name; default from the folder's name (`spoke-connector-x` → `x`). */
  readonly name?: string;
  /** The npm package name; default `spoke-connector-NAME`, or `@spoke/connector-NAME` inside the Spoke monorepo. */
  readonly packageName?: string;
}

/** What {@link scaffoldConnector} wrote. */
export interface ScaffoldResult {
  readonly directory: string;
  readonly names: ConnectorNames;
  /** The files written, relative to `directory` (a changeset's path is relative to it too). */
  readonly files: readonly string[];
  /** The Spoke monorepo's root when the folder is inside one (a changeset was written there). */
  readonly monorepoRoot?: string;
}

/**
 * Template files stored under another name: npm drops `.gitignore` from a
 * tarball, and a nested `package.json` would be linted as this package's own.
 */
const RENAMED: Readonly<Record<string, string>> = {
  gitignore: '.gitignore',
  'package.template.json': 'package.json',
};

/** The templates folder shipped with this package. */
const TEMPLATES = fileURLToPath(new URL('../templates/', import.meta.url));

/** The names in the templates, which are valid code themselves; replaced longest first. */
function substitutions(names: ConnectorNames): [string, string][] {
  return [
    ['spoke-connector-my-source', names.packageName],
    ['MySource', names.className],
    ['my-source', names.name],
    ['__SPECIFICATION_VERSION__', VERSIONS.specificationVersion],
    ['__SPOKE_RANGE__', VERSIONS.spoke],
    ['__TYPES_NODE_RANGE__', VERSIONS.typesNode],
    ['__TSX_RANGE__', VERSIONS.tsx],
    ['__TYPESCRIPT_VERSION__', VERSIONS.typescript],
  ];
}

function substitute(text: string, pairs: readonly [string, string][]): string {
  // Two passes through sentinels, so that a replacement is never itself replaced.
  let out = text;
  for (const [i, [from]] of pairs.entries()) out = out.replaceAll(from, `\u0000${i}\u0000`);
  for (const [i, [, to]] of pairs.entries()) out = out.replaceAll(`\u0000${i}\u0000`, to);
  return out;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, path));
    else out.push(path);
  }
  return out;
}

/** The Spoke monorepo holding `dir`: the nearest folder up with a `packages/core` that is `@spoke/core`. */
export function findSpokeMonorepo(dir: string): string | undefined {
  let current = resolve(dir);
  for (;;) {
    try {
      const core = JSON.parse(readFileSync(join(current, 'packages', 'core', 'package.json'), 'utf8')) as {
        name?: string;
      };
      if (core.name === '@spoke/core') return current;
    } catch {
      // Not here: look in the parent.
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * Writes a connector package into `options.directory`: package.json (peer
 * dependency on `@spoke/core`, `spoke.specificationVersion`), a source file
 * per concept with every method to fill and its TSDoc, the conformance kit
 * wired as `npm test`, a README, and — inside the Spoke monorepo — a
 * changeset.
 *
 * @throws Error when the folder holds files, or a name is invalid.
 */
export async function scaffoldConnector(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const directory = resolve(options.directory);
  if (existsSync(directory) && readdirSync(directory).length > 0)
    throw new Error(`${directory} is not empty; choose a new folder`);
  const monorepoRoot = findSpokeMonorepo(dirname(directory));
  const name = options.name ?? shortNameFromFolder(basename(directory));
  const names = connectorNames(
    name,
    options.packageName ?? (monorepoRoot ? `@spoke/connector-${name}` : undefined),
  );
  const pairs = substitutions(names);
  const files: string[] = [];
  for (const source of ['common', options.kind]) {
    for (const path of listFiles(join(TEMPLATES, source))) {
      const target = substitute(RENAMED[path] ?? path, pairs);
      const text = substitute(await readFile(join(TEMPLATES, source, path), 'utf8'), pairs);
      await mkdir(dirname(join(directory, target)), { recursive: true });
      await writeFile(join(directory, target), text);
      files.push(target);
    }
  }
  const extra = KIND_DEPENDENCIES[options.kind];
  if (Object.keys(extra).length) {
    const manifestPath = join(directory, 'package.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      dependencies: Record<string, string>;
    };
    manifest.dependencies = Object.fromEntries(
      Object.entries({ ...manifest.dependencies, ...extra }).sort(([a], [b]) => a.localeCompare(b)),
    );
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  if (monorepoRoot) {
    const changeset = join(monorepoRoot, '.changeset', `${names.name}-connector.md`);
    await mkdir(dirname(changeset), { recursive: true });
    await writeFile(
      changeset,
      `---\n'${names.packageName}': minor\n---\n\nNew connector \`${names.name}\` (\`${names.packageName}\`).\n`,
    );
    files.push(relative(directory, changeset));
  }
  return { directory, names, files: files.sort(), ...(monorepoRoot ? { monorepoRoot } : {}) };
}
