/**
 * Every relative link in the READMEs and docs/ points at a file that
 * exists, and a `#section` at a heading the file has (GitHub's anchors), so
 * a renamed section or moved file is caught (docs/contributing.md pointed
 * at a README section that had been renamed).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function markdownFiles(): string[] {
  const out = [join(REPO, 'README.md')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'dist') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) out.push(path);
    }
  };
  walk(join(REPO, 'docs'));
  for (const parent of ['packages', 'apps']) {
    for (const name of readdirSync(join(REPO, parent))) {
      const readme = join(REPO, parent, name, 'README.md');
      if (existsSync(readme)) out.push(readme);
    }
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, blanks as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('relative links in the READMEs and docs/ resolve, sections included', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    let fenced = false;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.startsWith('```')) fenced = !fenced;
        if (fenced) return;
        for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = m[1]!;
          if (/^[a-z]+:/i.test(target)) continue; // http:, mailto:
          const [path, anchor] = target.split('#') as [string, string | undefined];
          const resolved = path ? resolve(dirname(file), decodeURI(path)) : file;
          const where = `${relative(REPO, file)}:${i + 1}`;
          checked++;
          if (!existsSync(resolved)) {
            broken.push(`${where}: ${target} (no such file)`);
            continue;
          }
          if (
            anchor &&
            resolved.endsWith('.md') &&
            statSync(resolved).isFile() &&
            !anchors(resolved).has(anchor)
          )
            broken.push(`${where}: ${target} (no heading with that anchor in ${relative(REPO, resolved)})`);
        }
      });
  }
  assert.ok(checked > 20, `only ${checked} links found`);
  assert.deepEqual(broken, []);
});

test('sections of the root README named in words exist ("How a query runs" in the root README)', () => {
  const headings = new Set(
    readFileSync(join(REPO, 'README.md'), 'utf8')
      .split('\n')
      .filter((l) => /^#{1,6}\s/.test(l))
      .map((l) => l.replace(/^#+\s+/, '').trim()),
  );
  const missing: string[] = [];
  let named = 0;
  for (const file of markdownFiles()) {
    // Joined into one line: the reference may wrap.
    const text = readFileSync(file, 'utf8').replace(/\s*\n\s*/g, ' ');
    const patterns = [/root README, "([^"]+)"/g, /"([^"]+)" in the root README/g];
    for (const pattern of patterns)
      for (const m of text.matchAll(pattern)) {
        named++;
        if (!headings.has(m[1]!)) missing.push(`${relative(REPO, file)}: "${m[1]}"`);
      }
  }
  assert.ok(named >= 3, `only ${named} references found`);
  assert.deepEqual(
    missing,
    [],
    `sections the root README does not have; it has: ${[...headings].join(' | ')}`,
  );
});
