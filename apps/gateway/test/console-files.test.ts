/**
 * The console's files as the gateway serves them when `@spoke/console` is
 * installed (it is, in this workspace): `/` redirects relatively (so a path
 * prefix survives), only the package's own files are served, with their
 * content types and validators.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { consoleRoot } from '@spoke/console';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway } from './operator-fixture.js';

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
function get(url: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(`${url}${path}`, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.path = path;
      req.end();
    },
  );
}

describe('console files', { timeout: 60_000 }, () => {
  let fixture: DemoFixture;
  let gw: OperatorGateway;
  before(async () => {
    fixture = await demoFixture();
    gw = await startOperatorGateway(fixture, '');
  });
  after(async () => {
    await gw?.close();
    await fixture?.close();
  });

  it('redirects / and /console to console/, relative to where they were asked for', async () => {
    for (const path of ['/', '/console']) {
      const res = await get(gw.url, path);
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, 'console/');
      assert.equal(new URL('console/', `http://h/prefix${path}`).pathname, '/prefix/console/');
    }
  });

  it('serves the page and its files with their types, and 304 for an unchanged one', async () => {
    const page = await get(gw.url, '/console/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<script type="module" src="\.\/app\.js">/);
    // Only the page's own files run, and no other site can frame it.
    assert.match(
      String(page.headers['content-security-policy']),
      /default-src 'self'.*frame-ancestors 'none'/,
    );
    const js = await get(gw.url, '/console/app.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    const { readFile } = await import('node:fs/promises');
    assert.equal(js.body, await readFile(`${consoleRoot}/app.js`, 'utf8'));
    const again = await get(gw.url, '/console/app.js', { 'if-none-match': String(js.headers.etag) });
    assert.equal(again.status, 304);
  });

  it('serves nothing outside the package folder', async () => {
    for (const path of [
      '/console/../package.json',
      '/console/..%2f..%2fpackage.json',
      '/console/nosuch.js',
      '/console/%2e%2e/index.js',
    ])
      assert.equal((await get(gw.url, path)).status, 404, path);
  });
});
