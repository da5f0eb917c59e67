/**
 * A directory made once per machine and key in the temporary directory, for
 * servers and fixtures to copy instead of making their own: PostgreSQL's
 * initdb, MariaDB's install-db and the gateway's demo data cost a second or
 * two each, and a test run makes dozens of them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Written last into a template being built: a template without it lost files and is made again. */
const COMPLETE = '.spoke-template-complete';

/**
 * The template named by `name` and `key` (anything JSON can write: what makes
 * two templates differ), made now by `build` when missing. `build` fills the
 * folder it is given, which is then renamed into place, so a template that
 * exists is whole, and processes starting servers at once never see one
 * half-made (the loser of a race drops its own).
 *
 * @returns the template's folder
 */
export async function templateDir(
  name: string,
  key: unknown,
  build: (dir: string) => void | Promise<void>,
): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  const template = join(tmpdir(), `spoke-${name}-template-${hash}`);
  const complete = join(template, COMPLETE);
  if (existsSync(complete)) return template;
  const building = mkdtempSync(`${template}-building-`);
  try {
    await build(building);
    writeFileSync(join(building, COMPLETE), '');
    try {
      renameSync(building, template);
    } catch {
      // Another process renamed its template into place first (theirs serves), or a template lost
      // its files to a temporary-directory cleaner (replaced).
      if (existsSync(complete)) return template;
      rmSync(template, { recursive: true, force: true });
      renameSync(building, template);
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** Copies `from` to `to` with `cp -a`: owners (a server's OS user when we are root) and modes kept. */
export function copyTree(from: string, to: string): void {
  execFileSync('cp', ['-a', from, to]);
}
