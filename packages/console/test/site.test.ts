/**
 * The built page is self-contained: every file index.html names is in the
 * package, referenced relatively (so it works behind a path prefix), and
 * nothing is loaded from another origin at run time.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { consoleRoot } from '@spoke/console';

describe('@spoke/console build', () => {
  it('ships index.html, app.js and app.css, referenced relatively', async () => {
    const files = await readdir(consoleRoot);
    for (const name of ['index.html', 'app.js', 'app.css'])
      assert.ok(files.includes(name), `${name} is built`);
    const html = await readFile(join(consoleRoot, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(refs.sort(), ['./app.css', './app.js', 'data:,']);
  });

  it('loads nothing from another origin: no import, fetch or stylesheet with an absolute URL', async () => {
    const js = await readFile(join(consoleRoot, 'app.js'), 'utf8');
    const css = await readFile(join(consoleRoot, 'app.css'), 'utf8');
    assert.doesNotMatch(js, /\bimport\s*\(?\s*["']https?:/);
    assert.doesNotMatch(js, /fetch\(\s*["']https?:/);
    assert.doesNotMatch(css, /url\(\s*["']?https?:/);
    assert.doesNotMatch(css, /@import/);
    // The API is addressed relative to the page, never at a fixed host or port.
    assert.doesNotMatch(js, /localhost|127\.0\.0\.1/);
  });
});
