/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The operator console in a real browser: Debian's Chromium driven by
 * playwright-core (no browser download), against a gateway started as
 * `spoke serve` builds it, over the demo data (crm, lake, docs) and a
 * throw-away PostgreSQL (pg) the test can stop and restart. Login, the map,
 * pulses from live events, a source going down and coming back, the
 * workbench against /v1/query, EXPLAIN, cancel, and what a restricted user
 * may see.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createGatewayEngine,
  createGatewayServices,
  ensureDemoData,
  hashPasswordScrypt,
  parseConfig,
  type RunningGateway,
  SourceMeter,
  startGateway,
} from '@spoke/gateway';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startProgress } from '../../apps/gateway/src/cli/query-progress.js';
import { type PostgresServer, startPostgres } from '../harness/index.js';

/** Debian's chromium (installed by .ci/run), or the one CHROMIUM_PATH names. */
function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found)
    throw new Error('no Chromium: install Debian\'s "chromium" package (.ci/run does) or set CHROMIUM_PATH');
  return found;
}

const PROBE_MS = 400;
const LAKE_AT = new Date('2020-06-01T00:00:00Z');

describe('operator console in Chromium', { timeout: 240_000 }, () => {
  let root: string;
  let pg: PostgresServer;
  let gateway: RunningGateway;
  let url: string;
  let browser: Browser;
  let meter: SourceMeter;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'spoke-console-test-'));
    const demo = await ensureDemoData(join(root, 'demo'));
    // The lake's files are old: its node must glow less than the just-written sources'.
    for (const table of ['sales', 'documents'])
      for (const file of readdirSync(join(demo.dir, 'lake', table)))
        utimesSync(join(demo.dir, 'lake', table, file), LAKE_AT, LAKE_AT);
    pg = await startPostgres();
    // Long enough to cancel: a cross join counted inside PostgreSQL (tens of seconds uncancelled).
    pg.psql('CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 30000) g');
    pg.psql(
      'CREATE TABLE payments AS SELECT g AS id, g % 1000 + 1 AS customer_id, (g % 97) AS amount FROM generate_series(1, 5000) g',
    );
    const user = async (name: string, roles: string[]) =>
      `  ${name}: { password_hash: "${await hashPasswordScrypt(`${name}-pw`)}", roles: [${roles.join(', ')}] }`;
    const yaml = `server:
  http: { host: 127.0.0.1, port: 0 }
users:
${await user('ann', ['analyst'])}
${await user('root', ['admin'])}
policies:
  - { name: pii_email, on: crm.customers.email, rule: mask, mask: email, except_roles: [admin] }
  - { name: no_documents, on: lake.documents, rule: deny, roles: [analyst] }
  - { name: no_docs, on: docs, rule: deny, roles: [analyst] }
logging: { level: error }
events: { probe_interval: ${PROBE_MS}ms, probe_timeout: 2s, freshness_interval: ${PROBE_MS}ms }
sources:
  crm: { connector: duckdb, path: ${JSON.stringify(demo.crmFile)} }
  lake:
    connector: duckdb
    files: { sales: ${JSON.stringify(join(demo.dir, demo.lakeFiles.sales))}, documents: ${JSON.stringify(join(demo.dir, demo.lakeFiles.documents))} }
  docs: { connector: lance, uri: ${JSON.stringify(join(demo.dir, 'docs'))} }
  pg: { connector: postgres, url: "${pg.url}", poolSize: 4 }
`;
    const config = parseConfig(yaml, root, 'console-test.yaml');
    meter = new SourceMeter();
    const engine = await createGatewayEngine(config, { meter });
    const services = createGatewayServices(engine, config, { meter });
    gateway = await startGateway(engine, config.server, () => {}, services);
    url = gateway.http!.url;
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await gateway?.close();
    await pg?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const basic = (name: string) => `Basic ${Buffer.from(`${name}:${name}-pw`).toString('base64')}`;

  async function logIn(name: string, password = `${name}-pw`): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(`${url}/`);
    await page.fill('input[name=user]', name);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    return page;
  }

  async function runInWorkbench(page: Page, sql: string): Promise<void> {
    await page.click('.cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(sql);
    await page.click('button:has-text("Run")');
  }

  async function completions(page: Page, text: string): Promise<string[]> {
    await page.click('.cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
    // The catalog for completion arrives just after the page: ask again until it is there.
    for (let attempt = 0; ; attempt++) {
      await page.keyboard.press('Control+Space');
      try {
        await page.waitForSelector('.cm-tooltip-autocomplete li', { timeout: 1000 });
        break;
      } catch (error) {
        if (attempt === 10) throw error;
      }
    }
    const options = await page.locator('.cm-tooltip-autocomplete li').allTextContents();
    await page.keyboard.press('Escape');
    return options;
  }

  async function apiRows(name: string, sql: string): Promise<unknown[][]> {
    const res = await fetch(`${url}/v1/query`, {
      method: 'POST',
      headers: { authorization: basic(name), 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
    const body = (await res.json()) as { rows: unknown[][] };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.rows;
  }

  it('asks for a login, refuses a wrong password, and shows the map of every source after', async () => {
    const page = await logIn('root', 'wrong');
    try {
      await page.waitForSelector('.login .error');
      assert.match((await page.textContent('.login .error')) ?? '', /Login failed/);
      await page.fill('input[name=user]', 'root');
      await page.fill('input[name=password]', 'root-pw');
      await page.click('button[type=submit]');
      await page.waitForSelector('.spoke-map [data-source="pg"]');
      const labels = await page
        .locator('.spoke-map [data-source]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
      assert.deepEqual(
        labels.map((l) => l?.split(':')[0]),
        ['crm', 'lake', 'docs', 'pg'],
      );
      // States reach the page's text once probed.
      await page.waitForFunction(() =>
        [...document.querySelectorAll('.spoke-map [data-source]')].every(
          (e) => e.getAttribute('data-state') === 'up',
        ),
      );
      assert.match((await page.textContent('header')) ?? '', /signed in as root/);
    } finally {
      await page.close();
    }
  });

  it('a cross-source query makes its spokes pulse, and the grid holds the rows /v1/query returns', async () => {
    const page = await logIn('root');
    try {
      await page.waitForSelector('.spoke-map [data-source="pg"]');
      const sql =
        'SELECT c.region, count(*) AS payments, sum(p.amount) AS total FROM crm.customers c JOIN pg.public.payments p ON p.customer_id = c.id GROUP BY c.region ORDER BY c.region';
      await runInWorkbench(page, sql);
      await page.waitForSelector('.status[data-status="done"]');
      // Events reached the page for both sources, and their spokes pulse from the live rows/s.
      await page.waitForFunction(() =>
        ['crm', 'pg'].every((s) => {
          const g = document.querySelector(`.spoke-map [data-source="${s}"]`);
          return Number(g?.getAttribute('data-events')) > 0 && g?.getAttribute('data-pulsing') === 'true';
        }),
      );
      assert.equal(
        await page.locator('.spoke-map [data-source="lake"]').getAttribute('data-pulsing'),
        'false',
      );
      assert.match(
        (await page.locator('.spoke-map [data-source="crm"]').getAttribute('aria-label')) ?? '',
        /active, .*rows\/s/,
      );
      const shown = await page
        .locator('.grid tbody tr')
        .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
      const expected = (await apiRows('root', sql)).map((r) =>
        r.map((v) => (v === null ? 'NULL' : String(v))),
      );
      assert.ok(expected.length > 0);
      assert.deepEqual(shown, expected);
    } finally {
      await page.close();
    }
  });

  it('EXPLAIN draws the plan as a tree with a node per source', async () => {
    const page = await logIn('root');
    try {
      await page.waitForSelector('.spoke-map');
      // Completion from the caller's catalog: an admin is offered every table of a source.
      const tables = await completions(page, 'SELECT * FROM lake.');
      assert.ok(
        tables.some((o) => o.includes('documents')) && tables.some((o) => o.includes('sales')),
        tables.join(', '),
      );
      await runInWorkbench(
        page,
        'SELECT c.region, sum(s.amount) FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY 1',
      );
      await page.waitForSelector('.status[data-status="done"]');
      await page.click('button:text-is("Explain")');
      await page.waitForSelector('.explain');
      const nodes = await page
        .locator('.explain li[data-source]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-source')));
      assert.deepEqual(nodes.sort(), ['crm', 'lake']);
      assert.match((await page.textContent('.explain .residual')) ?? '', /GROUP BY/);
      // After the run, each edge carries the rows the source sent.
      assert.match((await page.textContent('.explain li[data-source="crm"] .edge')) ?? '', /1,000 rows/);
      // EXPLAIN ANALYZE: the optimizer's strategy and estimate beside what each source actually sent.
      await page.click('button:text-is("Explain analyze")');
      await page.waitForSelector('.explain .analyze');
      assert.match((await page.textContent('.explain .analyze')) ?? '', /ran: 4 rows in [\d.]+ ms/);
      const crmEdge = (await page.textContent('.explain li[data-source="crm"] .edge')) ?? '';
      assert.match(crmEdge, /est\. [\d,]+ rows .* → 1,000 rows · [\d,]+ bytes in [\d.]+ ms/);
      assert.match(
        (await page.textContent('.explain li[data-source="crm"] .strategy')) ?? '',
        /pull|semi-join/,
      );
      // An error shows its code.
      await runInWorkbench(page, 'SELECT nosuch FROM crm.customers');
      await page.waitForSelector('.workbench .error');
      assert.equal(await page.getAttribute('.workbench .error', 'data-code'), 'COLUMN_NOT_FOUND');
      // …and, when known, its SQLSTATE and position, with the cursor moved there.
      await runInWorkbench(page, 'SELECT nosuchfn(1) FROM crm.customers');
      await page.waitForSelector('.workbench .error .position');
      assert.match(
        (await page.textContent('.workbench .error')) ?? '',
        /INVALID_QUERY \(SQLSTATE 42883\).*at character 8/,
      );
      const caret = await page.evaluate(() => {
        const selection = window.getSelection()!;
        const before = document.createRange();
        before.setStart(document.querySelector('.cm-content')!, 0);
        before.setEnd(selection.anchorNode!, selection.anchorOffset);
        return before.toString().length;
      });
      assert.equal(caret, 7);
    } finally {
      await page.close();
    }
  });

  it('cancel stops a long query, in the page and at the gateway', async () => {
    const page = await logIn('root');
    try {
      await page.waitForSelector('.spoke-map');
      await runInWorkbench(page, 'SELECT count(*) FROM pg.public.big a CROSS JOIN pg.public.big b');
      // It shows among the running queries with its per-source progress.
      await page.waitForSelector('.queries .running li');
      assert.equal((await gatewayQueries()).length, 1);
      const started = Date.now();
      await page.click('.workbench button:has-text("Cancel")');
      await page.waitForSelector('.status[data-status="cancelled"]');
      const deadline = Date.now() + 10_000;
      while ((await gatewayQueries()).length > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await gatewayQueries(), []);
      assert.ok(Date.now() - started < 10_000);
      // PostgreSQL is no longer running it either.
      const stillRunning = () =>
        pg
          .psql(
            "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE '%CROSS JOIN%' AND state = 'active' AND pid <> pg_backend_pid()",
          )
          .trim();
      const pgDeadline = Date.now() + 10_000;
      while (stillRunning() !== '0' && Date.now() < pgDeadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(stillRunning(), '0');

      // Another client's query, cancelled from the running-queries list (DELETE /v1/queries/{id}).
      const other = fetch(`${url}/v1/query`, {
        method: 'POST',
        headers: { authorization: basic('root'), 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT count(*) FROM pg.public.big a CROSS JOIN pg.public.big b' }),
      });
      let id: string | undefined;
      const listDeadline = Date.now() + 10_000;
      while (!id && Date.now() < listDeadline) {
        id = ((await gatewayQueries()) as { queryId: string }[])[0]?.queryId;
        if (!id) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(id, 'the query is listed');
      await page.click(`.queries .running li[data-query-id="${id}"] button`);
      const answer = await other;
      assert.equal(answer.status, 499);
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'QUERY_CANCELLED');
      await page.waitForSelector('.queries .recent-queries li');
    } finally {
      await page.close();
    }
  });

  async function gatewayQueries(): Promise<unknown[]> {
    const res = await fetch(`${url}/v1/queries`, { headers: { authorization: basic('root') } });
    return ((await res.json()) as { queries: unknown[] }).queries;
  }

  it('a source glows by data freshness: old files dim, a PostgreSQL write brightens its node', async () => {
    const page = await logIn('root');
    try {
      const glow = (source: string) =>
        page
          .locator(`.spoke-map [data-source="${source}"] .freshness-glow`)
          .evaluate((e) => Number((e as SVGElement).style.opacity));
      await page.waitForSelector('.spoke-map [data-source="lake"][data-freshness="stale"]');
      assert.match(
        (await page.getAttribute('.spoke-map [data-source="lake"]', 'aria-label')) ?? '',
        /data changed \d+ days ago$/,
      );
      await page.waitForSelector('.spoke-map [data-source="crm"][data-freshness="fresh"]');
      assert.ok((await glow('lake')) < (await glow('crm')));
      pg.psql('INSERT INTO payments VALUES (5001, 1, 1)');
      // pg_stat_user_tables' counters move; the next check dates the change (an estimate).
      await page.waitForFunction(() =>
        /data changed \d+ s ago \(estimated\)$/.test(
          document.querySelector('.spoke-map [data-source="pg"]')?.getAttribute('aria-label') ?? '',
        ),
      );
      assert.equal(await page.getAttribute('.spoke-map [data-source="pg"]', 'data-freshness'), 'fresh');
      assert.equal(await glow('pg'), 1);
      pg.psql('DELETE FROM payments WHERE id = 5001');
    } finally {
      await page.close();
    }
  });

  it("progress counts rows against the source's estimate: /v1/queries/{id}/progress and the CLI line", async () => {
    // Ask for the estimate at once (a real gateway waits a second: only long scans are worth an EXPLAIN).
    meter.tap.estimateAfterMs = 0;
    const written: string[] = [];
    const line = startProgress(
      meter as never,
      { isTTY: true, write: (t) => written.push(t) > 0 },
      { delayMs: 0, intervalMs: 5, outputIsTerminal: true },
    );
    const res = await fetch(`${url}/v1/query`, {
      method: 'POST',
      headers: { authorization: basic('root'), 'content-type': 'application/json' },
      body: JSON.stringify({
        sql: 'SELECT count(*) FROM pg.public.payments p CROSS JOIN (SELECT id FROM crm.customers WHERE id = 1) c',
      }),
    });
    assert.equal(res.status, 200);
    // PostgreSQL's own planner estimate for the scan.
    const plan = JSON.parse(pg.psql('EXPLAIN (FORMAT JSON) SELECT FROM public.payments'));
    const estimate = Math.round(plan[0].Plan['Plan Rows']);
    type Progress = { sources: { source: string; rows: number; estimatedRows: number | null }[] };
    let bySource: Record<string, Progress['sources'][number]> = {};
    // The estimate may land just after the scan: it is kept with the query's progress.
    for (let i = 0; i < 40 && typeof bySource.pg?.estimatedRows !== 'number'; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      const progress = (await (
        await fetch(`${url}/v1/queries/${res.headers.get('x-spoke-query-id')}/progress`, {
          headers: { authorization: basic('root') },
        })
      ).json()) as Progress;
      bySource = Object.fromEntries(progress.sources.map((s) => [s.source, s]));
    }
    meter.tap.estimateAfterMs = 1000;
    await new Promise((r) => setTimeout(r, 30));
    line.stop();
    assert.deepEqual([bySource.pg?.rows, bySource.pg?.estimatedRows], [5000, estimate]);
    // A DuckDB table's estimate is an exact count of the filtered rows.
    assert.equal(bySource.crm?.estimatedRows, 1, 'DuckDB counts the row id = 1');
    assert.ok(
      written.some((t) =>
        t.includes(`pg 5,000 of ~${Math.max(estimate, 5000).toLocaleString('en-US')} rows`),
      ),
      written.at(-2),
    );
  });

  it("the running-queries list draws a source's progress against its row estimate", async () => {
    meter.tap.estimateAfterMs = 0;
    const page = await logIn('root');
    try {
      await page.waitForSelector('.spoke-map');
      // Endless in DuckDB once the scans are in (3·10¹² rows): cancelled below.
      await runInWorkbench(
        page,
        'SELECT sum(b.id + c.id + s.customer_id) FROM pg.public.big b CROSS JOIN crm.customers c CROSS JOIN lake.sales s',
      );
      // PostgreSQL's planner estimates the scan; DuckDB's table (crm) is counted, so it has one too.
      const row = page.locator('.queries .running li .progress-row[data-estimated="true"]', {
        hasText: 'pg',
      });
      await row.waitFor({ timeout: 15_000 });
      const plan = JSON.parse(pg.psql('EXPLAIN (FORMAT JSON) SELECT FROM public.big'));
      const estimate = Math.max(30_000, Math.round(plan[0].Plan['Plan Rows']));
      assert.equal(
        (await row.textContent())?.trim(),
        `pg30,000 of ~${estimate.toLocaleString('en-US')} rows`,
      );
      assert.equal(await row.locator('progress').getAttribute('max'), String(estimate));
      await page.click('.workbench button:has-text("Cancel")');
      await page.waitForSelector('.status[data-status="cancelled"]');
    } finally {
      meter.tap.estimateAfterMs = 1000;
      await page.close();
    }
  });

  it('a stopped PostgreSQL turns its spoke red with the error on hover, and it recovers when restarted', async () => {
    const page = await logIn('root');
    try {
      const spoke = page.locator('.spoke-map [data-source="pg"]');
      await page.waitForSelector('.spoke-map [data-source="pg"][data-state="up"]');
      await pg.stop();
      const stopped = Date.now();
      await page.waitForSelector('.spoke-map [data-source="pg"][data-state="down"]', { timeout: 10_000 });
      // Within the probe interval plus the once-a-second activity update.
      assert.ok(Date.now() - stopped < PROBE_MS + 2500, `${Date.now() - stopped} ms`);
      assert.match((await spoke.getAttribute('class')) ?? '', /\bdown\b/);
      assert.match((await spoke.locator('title').textContent()) ?? '', /^pg: down — SOURCE_UNAVAILABLE/);
      assert.match((await spoke.getAttribute('aria-label')) ?? '', /^pg: down; data /);
      // The other sources are not affected.
      assert.equal(await page.getAttribute('.spoke-map [data-source="crm"]', 'data-state'), 'up');
      await pg.restart();
      await page.waitForSelector('.spoke-map [data-source="pg"][data-state="up"]', { timeout: 15_000 });
      assert.deepEqual(await apiRows('root', 'SELECT count(*) FROM pg.public.payments'), [[5000]]);
    } finally {
      await page.close();
    }
  });

  it('works behind a reverse proxy that serves the gateway under a path prefix', async () => {
    // A minimal proxy: /spoke/… → the gateway's /…, streamed both ways (the event stream included).
    const target = new URL(url);
    const proxy: Server = createServer((req, res) => {
      if (!req.url?.startsWith('/spoke/')) {
        res.writeHead(404).end();
        return;
      }
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url.slice('/spoke'.length),
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
      res.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const page = await browser.newPage();
    try {
      const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/spoke/`;
      await page.goto(base);
      assert.equal(new URL(page.url()).pathname, '/spoke/console/');
      await page.fill('input[name=user]', 'root');
      await page.fill('input[name=password]', 'root-pw');
      await page.click('button[type=submit]');
      await page.waitForSelector('.live.on');
      await page.waitForSelector('.spoke-map [data-source="crm"][data-state="up"]');
      await runInWorkbench(
        page,
        'SELECT region, count(*) AS n FROM crm.customers GROUP BY region ORDER BY region',
      );
      await page.waitForSelector('.status[data-status="done"]');
      const shown = await page
        .locator('.grid tbody tr')
        .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
      assert.deepEqual(
        shown,
        (
          await apiRows(
            'root',
            'SELECT region, count(*) AS n FROM crm.customers GROUP BY region ORDER BY region',
          )
        ).map((r) => r.map(String)),
      );
    } finally {
      await page.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('a restricted user sees no denied source or table and no masked value, in the page or the event feed', async () => {
    // ann's own event feed, read beside the page.
    const controller = new AbortController();
    const feed = await fetch(`${url}/v1/events`, {
      headers: { authorization: basic('ann') },
      signal: controller.signal,
    });
    let feedText = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of feed.body as unknown as AsyncIterable<Uint8Array>)
          feedText += decoder.decode(chunk, { stream: true });
      } catch {
        // closed below
      }
    })();
    const page = await logIn('ann');
    try {
      await page.waitForSelector('.spoke-map [data-source="crm"]');
      const sources = await page
        .locator('.spoke-map [data-source]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-source')));
      assert.deepEqual(sources, ['crm', 'lake', 'pg']);
      // Completion offers the tables ann may see, not the denied one.
      const lake = await completions(page, 'SELECT * FROM lake.');
      assert.ok(
        lake.some((o) => o.includes('sales')),
        lake.join(', '),
      );
      assert.ok(!lake.some((o) => o.includes('documents')), lake.join(', '));
      await runInWorkbench(page, 'SELECT id, email FROM crm.customers ORDER BY id LIMIT 20');
      await page.waitForSelector('.status[data-status="done"]');
      const emails = await page.locator('.grid tbody tr td:nth-child(2)').allTextContents();
      assert.equal(emails.length, 20);
      assert.ok(emails.every((e) => e === '***@***.com'));
      // Meanwhile an admin reads what ann may not see.
      const clear = await apiRows('root', 'SELECT email FROM crm.customers ORDER BY id LIMIT 20');
      assert.match(String(clear[0]![0]), /@/);
      await apiRows('root', 'SELECT count(*) FROM lake.documents');
      await apiRows('root', 'SELECT count(*) FROM docs.documents');
      // Open every source's panel, wait for the activity that follows, then look at everything.
      for (const name of sources) {
        await page.click(`.spoke-map [data-source="${name}"] .node`);
        await page.waitForSelector(`.source-panel h2:has-text("${name}")`);
      }
      await page.waitForFunction(
        () => Number(document.querySelector('[data-source="crm"]')?.getAttribute('data-events')) >= 2,
      );
      await new Promise((r) => setTimeout(r, 1500));
      const html = await page.content();
      for (const forbidden of ['documents', 'data-source="docs"', ...clear.map((r) => String(r[0]))])
        assert.ok(!html.includes(forbidden), `the page shows ${forbidden}`);
      assert.ok(!feedText.includes('documents') && !feedText.includes('"source":"docs"'));
      for (const [email] of clear) assert.ok(!feedText.includes(String(email)));
      assert.match(feedText, /event: access/);
    } finally {
      controller.abort();
      await reading;
      await page.close();
    }
  });
});
