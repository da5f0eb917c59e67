import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo's root folder. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the packaging checks read of a package.json. */
export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  bin?: Record<string, string>;
  files?: string[];
}

/** A publishable workspace package: its folder and manifest. */
export interface WorkspacePackage {
  dir: string;
  manifest: PackageJson;
}

/** Every publishable (non-private) package under packages/ and apps/, sorted by name. */
export function publishablePackages(): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const parent of ['packages', 'apps']) {
    for (const entry of readdirSync(join(ROOT, parent))) {
      const dir = join(ROOT, parent, entry);
      let manifest: PackageJson;
      try {
        manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
      } catch {
        continue;
      }
      if (!manifest.private) found.push({ dir, manifest });
    }
  }
  return found.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/** The `.ts`/`.mts`/`.mjs`/`.js` files under `dir`, recursively (no node_modules, dist or generated folders). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs|js)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}
