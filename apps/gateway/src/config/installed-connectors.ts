import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A package name that looks like a Spoke connector: `@spoke/connector-*`, `spoke-connector-*`, `@scope/spoke-connector-*`. */
const CONNECTOR_NAME = /^(@spoke\/connector-[^/]+|(@[^/]+\/)?spoke-connector-[^/]+)$/;

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The connector packages the gateway can import: those named like a Spoke
 * connector in each `node_modules` folder from `from` up to the file-system
 * root (the folders Node's resolution looks in), sorted and de-duplicated.
 * Used in the error for a connector name that is not installed.
 *
 * @param from - where resolution starts; default this module's folder
 */
export function installedConnectors(from: string = dirname(fileURLToPath(import.meta.url))): string[] {
  const found = new Set<string>();
  let dir = from;
  for (;;) {
    const modules = join(dir, 'node_modules');
    for (const entry of entries(modules)) {
      const names = entry.startsWith('@')
        ? entries(join(modules, entry)).map((e) => `${entry}/${e}`)
        : [entry];
      for (const name of names) if (CONNECTOR_NAME.test(name)) found.add(name);
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return [...found].sort();
}
