/**
 * Access events, source health and the operator endpoints, end to end over
 * the demo data: every source read is one event with the rows the source
 * really returned (compared with DuckDB over the same files), the bus never
 * waits and counts what it drops, `GET /v1/sources` and `GET /v1/events`
 * show each user only what they may see, and a query's progress is readable
 * while and after it runs.
 */
import assert from 'node:assert/strict';
import { copyFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connector as duckdb } from '@spoke/connector-duckdb';
import type { RecordBatch } from '@spoke/core';
import pg from 'pg';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import type { AccessEvent } from '../src/events/access-event.js';
import { AccessTap } from '../src/events/access-tap.js';
import { EventBus } from '../src/events/event-bus.js';
import { SourceMeter } from '../src/service/source-meter.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway, userYaml } from './operator-fixture.js';

const SALES_AT = new Date('2026-01-02T03:04:05.000Z');
const DOCUMENTS_AT = new Date('2026-02-03T04:05:06.000Z');
const basic = (user: string) => `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`;

function event(overrides: Partial<AccessEvent> = {}): AccessEvent {
  return {
    type: 'access',
    time: new Date().toISOString(),
    startedAt: new Date().toISOString(),
    queryId: 'q',
    user: null,
    source: 's',
    table: 'main.t',
    tables: ['main.t'],
    operation: 'read',
    method: 'scan',
    rows: 1,
    bytes: 8,
    durationMs: 1,
    outcome: 'ok',
    errorCode: null,
    error: null,
    ...overrides,
  };
}

/** JSON as the server sends it; each test checks the fields it reads. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked by the assertions
type Json = any;

/** An SSE reader over fetch: every event received so far, and the raw text. */
async function openEvents(url: string, authorization?: string) {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/events`, {
    headers: authorization ? { authorization } : {},
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const received: { event: string; data: Json }[] = [];
  let text = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const part = decoder.decode(chunk, { stream: true });
        text += part;
        pending += part;
        let end = pending.indexOf('\n\n');
        while (end >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data !== undefined) received.push({ event: name, data: JSON.parse(data) });
          end = pending.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    received,
    get text() {
      return text;
    },
    async until(predicate: (e: { event: string; data: Json }) => boolean, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const found = received.find(predicate);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no such event within ${ms} ms; got ${received.map((e) => e.event).join(', ')}`);
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

describe('event bus', () => {
  it('returns before any sink runs, drops past its capacity and counts the drops', async () => {
    const bus = new EventBus({ capacity: 3 });
    const seen: AccessEvent[] = [];
    bus.addSink({ name: 'slow', write: (e) => seen.push(e) });
    bus.addSink({
      name: 'broken',
      write() {
        throw new Error('sink failure');
      },
    });
    for (let i = 0; i < 5; i++) bus.publish(event({ rows: i }));
    assert.equal(seen.length, 0, 'sinks run after the publisher returns');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      seen.map((e) => e.rows),
      [0, 1, 2],
    );
    assert.deepEqual(bus.drops(), { bus: 2, slow: 0, broken: 3 });
    assert.equal(bus.published, 5);
  });
});

describe('access tap over a real DuckDB source', { timeout: 60_000 }, () => {
  let fixture: DemoFixture;
  before(async () => {
    fixture = await demoFixture();
  });
  after(() => fixture?.close());

  async function lake(files: Record<string, string>) {
    const tap = new AccessTap();
    const events: AccessEvent[] = [];
    tap.onEvent = (e) => events.push(e);
    const raw = await duckdb.create({ files }, { sourceName: 'lake', baseDir: fixture.data.dir });
    const wrapped = tap.wrap('lake', raw);
    const table = (await wrapped.catalog.getTable(wrapped.catalog.defaultSchema, 'sales'))!;
    const schema = await table.schema();
    return { tap, events, raw, table, columns: schema.fields.map((f) => f.name) };
  }

  it('a full scan is one read event with the rows the file holds; a scan stopped by an abort is a cancellation', async () => {
    const { tap, events, raw, table, columns } = await lake({ sales: fixture.data.lakeFiles.sales });
    try {
      const context = { queryId: 'q1', user: 'ann', roles: [] };
      let rows = 0;
      for await (const batch of table.scan({
        projection: columns,
        filters: [],
        signal: new AbortController().signal,
        context,
      }))
        rows += (batch as RecordBatch).numRows;
      const [expected] = await fixture.duckdb('SELECT count(*) AS n FROM lake.sales');
      assert.equal(rows, Number(expected!.n));
      assert.equal(events.length, 1);
      assert.equal(events[0]!.rows, rows);
      assert.equal(events[0]!.table, `${(await raw.catalog.listSchemas())[0]}.sales`);
      assert.deepEqual(
        [events[0]!.operation, events[0]!.method, events[0]!.outcome, events[0]!.user, events[0]!.queryId],
        ['read', 'scan', 'ok', 'ann', 'q1'],
      );
      assert.ok(events[0]!.bytes > 0);
      assert.deepEqual(
        tap.progress('q1')?.sources.map((s) => [s.source, s.rows, s.active]),
        [['lake', rows, 0]],
      );

      const controller = new AbortController();
      const iterator = table
        .scan({
          projection: columns,
          filters: [],
          signal: controller.signal,
          context: { queryId: 'q2', roles: [] },
        })
        [Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.ok(!first.done && first.value.numRows < rows, 'the scan answers in several batches');
      assert.equal(tap.active().length, 1, 'under way while being read');
      controller.abort();
      await iterator.return?.();
      assert.equal(events.length, 2);
      assert.deepEqual([events[1]!.outcome, events[1]!.errorCode], ['cancelled', 'QUERY_CANCELLED']);
      assert.equal(tap.active().length, 0);
    } finally {
      await raw.close();
    }
  });

  it('every lookup of a table gets the one wrapper, which still counts and reports each scan', async () => {
    const meter = new SourceMeter();
    const events: AccessEvent[] = [];
    meter.tap.onEvent = (e) => events.push(e);
    const counted: number[] = [];
    meter.onBatch = (_source, rows) => counted.push(rows);
    const raw = await duckdb.create(
      { files: { sales: fixture.data.lakeFiles.sales } },
      { sourceName: 'lake', baseDir: fixture.data.dir },
    );
    try {
      const wrapped = meter.wrap('lake', raw);
      const schema = wrapped.catalog.defaultSchema;
      const first = (await wrapped.catalog.getTable(schema, 'sales'))!;
      const second = (await wrapped.catalog.getTable(schema, 'sales'))!;
      assert.equal(second, first, 'one wrapper per table object');
      const columns = (await second.schema()).fields.map((f) => f.name);
      for (const queryId of ['q1', 'q2']) {
        meter.begin(queryId);
        let rows = 0;
        for await (const batch of second.scan({
          projection: columns,
          filters: [],
          signal: new AbortController().signal,
          context: { queryId, roles: [] },
        }))
          rows += (batch as RecordBatch).numRows;
        assert.deepEqual(meter.end(queryId), ['lake']);
        assert.equal(events.at(-1)?.queryId, queryId);
        assert.equal(events.at(-1)?.rows, rows);
      }
      assert.equal(events.length, 2);
      assert.equal(
        counted.reduce((a, b) => a + b, 0),
        events.reduce((a, e) => a + e.rows, 0),
      );
    } finally {
      await raw.close();
    }
  });

  it('a source that fails mid-read is an error event with its code', async () => {
    const broken = join(fixture.root, 'broken.parquet');
    await copyFile(join(fixture.data.dir, fixture.data.lakeFiles.sales.replace('*', '2024-q1')), broken);
    const { events, raw, table, columns } = await lake({ sales: broken });
    try {
      await writeFile(broken, 'this is not parquet');
      await assert.rejects(async () => {
        for await (const _ of table.scan({
          projection: columns,
          filters: [],
          signal: new AbortController().signal,
          context: { queryId: 'q3', roles: [] },
        })) {
          // drain
        }
      });
      assert.equal(events.length, 1);
      assert.equal(events[0]!.outcome, 'error');
      assert.ok(events[0]!.errorCode);
      assert.ok(events[0]!.error);
    } finally {
      await raw.close();
    }
  });
});

describe('access events for writes', { timeout: 60_000 }, () => {
  it('an INSERT … SELECT into Lance is one read and one write event, with the rows written', async () => {
    const fixture = await demoFixture();
    const meter = new SourceMeter();
    const events: AccessEvent[] = [];
    meter.tap.onEvent = (e) => events.push(e);
    const engine = await createGatewayEngine(fixture.config, { meter });
    const count = async () => {
      const result = await engine.query('SELECT count(*) AS n FROM docs.documents');
      let n = -1;
      for await (const batch of result.batches) n = Number(batch.getChildAt(0)!.get(0));
      return n;
    };
    try {
      const before = await count();
      const result = await engine.query('INSERT INTO docs.documents SELECT * FROM docs.documents LIMIT 3', {
        context: { queryId: 'w1', user: 'ann', roles: [] },
      });
      for await (const _ of result.batches) {
        // drained
      }
      assert.equal(await count(), before + 3);
      const mine = events.filter((e) => e.queryId === 'w1');
      assert.deepEqual(
        mine.map((e) => [e.operation, e.method, e.source, e.rows, e.outcome, e.user]),
        [
          ['read', 'scan', 'docs', 3, 'ok', 'ann'],
          ['write', 'insert', 'docs', 3, 'ok', 'ann'],
        ],
      );
      assert.ok(mine[1]!.bytes > 0);
    } finally {
      await engine.close();
      await fixture.close();
    }
  });
});

describe('operator endpoints', { timeout: 120_000 }, () => {
  let fixture: DemoFixture;
  let gw: OperatorGateway;

  before(async () => {
    fixture = await demoFixture();
    gw = await startOperatorGateway(
      fixture,
      `users:
${await userYaml('ann', 'ann-pw', ['analyst'])}
${await userYaml('root', 'root-pw', ['admin'])}
policies:
  - { name: pii_email, on: crm.customers.email, rule: mask, mask: email, except_roles: [admin] }
  - { name: no_documents, on: lake.documents, rule: deny, roles: [analyst] }`,
    );
    // The denied documents are newer than the sales: only an admin may see that time.
    const { dir } = fixture.data;
    for (const [table, at] of [
      ['sales', SALES_AT],
      ['documents', DOCUMENTS_AT],
    ] as const)
      for (const file of await readdir(join(dir, 'lake', table)))
        await utimes(join(dir, 'lake', table, file), at, at);
    await gw.services.operator!.health.probeAll();
  });
  after(async () => {
    await gw?.close();
    await fixture?.close();
  });

  async function query(user: string, sql: string) {
    const res = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { authorization: basic(user), 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
    const body = (await res.json()) as { rows: unknown[][] };
    assert.equal(res.status, 200, JSON.stringify(body));
    return { queryId: res.headers.get('x-spoke-query-id')!, rows: body.rows };
  }

  async function sources(user: string) {
    const res = await fetch(`${gw.url}/v1/sources`, { headers: { authorization: basic(user) } });
    assert.equal(res.status, 200);
    return (await res.json()) as { sources: Json[] };
  }

  it('HTTP errors carry the SQLSTATE and the position when the error has them', async () => {
    const res = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { authorization: basic('root'), 'content-type': 'application/json' },
      body: JSON.stringify({ sql: "SELECT id FROM crm.customers WHERE id = 'abc'" }),
    });
    assert.deepEqual(await res.json(), {
      error: {
        code: 'INVALID_QUERY',
        message: 'invalid input syntax for type integer: "abc"',
        sqlstate: '22P02',
        position: 41,
      },
    });
  });

  it("freshness per source and table: file mtimes; a restricted user sees only their tables' times", async () => {
    const root = (await sources('root')).sources;
    const crm = root.find((s) => s.name === 'crm').freshness;
    const crmFile = (await stat(join(fixture.data.dir, 'crm.duckdb'))).mtime.toISOString();
    assert.deepEqual(
      [crm.state, crm.method, crm.exact, crm.lastModified],
      ['known', 'file mtime', false, crmFile],
    );
    const lake = root.find((s) => s.name === 'lake');
    assert.equal(lake.freshness.lastModified, DOCUMENTS_AT.toISOString());
    assert.equal(lake.freshness.exact, true);
    assert.ok(lake.freshness.ageMs >= Date.now() - DOCUMENTS_AT.getTime() - 5000);
    assert.deepEqual(Object.fromEntries(lake.catalog.tables.map((t: Json) => [t.name, t.lastModified])), {
      sales: SALES_AT.toISOString(),
      documents: DOCUMENTS_AT.toISOString(),
    });
    const annLake = (await sources('ann')).sources.find((s) => s.name === 'lake').freshness;
    assert.equal(annLake.lastModified, SALES_AT.toISOString());
    assert.deepEqual(
      annLake.tables.map((t: Json) => t.table),
      ['sales'],
    );
  });

  it('spoke.sources: the same health and freshness as SQL, over HTTP and the Postgres wire, policy-filtered', async () => {
    const listed = (await sources('root')).sources;
    const { rows } = await query(
      'root',
      'SELECT name, state, freshness, last_modified, freshness_method, reads >= 0 FROM spoke.sources ORDER BY name',
    );
    // HTTP renders timestamptz as ISO 8601 without milliseconds when they are zero.
    const instant = (v: unknown) => (v === null ? null : new Date(String(v)).toISOString());
    assert.deepEqual(
      rows.map(([name, state, freshness, at, method, counted]) => [
        name,
        state,
        freshness,
        instant(at),
        method,
        counted,
      ]),
      listed.map((s) => [
        s.name,
        s.state,
        s.freshness.exact ? 'exact' : 'estimated',
        s.freshness.lastModified,
        s.freshness.method,
        true,
      ]),
    );
    // The analyst, over the Postgres wire: the lake is as fresh as the sales (the documents are denied).
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'ann',
      password: 'ann-pw',
      database: 'spoke',
    });
    await client.connect();
    try {
      const answer = await client.query(
        "SELECT name, last_modified, freshness FROM spoke.sources WHERE name = 'lake'",
      );
      assert.deepEqual(answer.rows, [{ name: 'lake', last_modified: SALES_AT, freshness: 'exact' }]);
      assert.equal((await client.query('SELECT count(*)::int AS n FROM spoke.sources')).rows[0].n, 2);
    } finally {
      await client.end();
    }
  });

  it('needs a login like the rest of the API', async () => {
    assert.equal((await fetch(`${gw.url}/v1/sources`)).status, 401);
    assert.equal((await fetch(`${gw.url}/v1/events`)).status, 401);
  });

  it('a cross-source query emits one event per source read; counters, progress and /metrics agree', async () => {
    const stream = await openEvents(gw.url, basic('root'));
    try {
      const { queryId } = await query(
        'root',
        'SELECT c.region, count(*) FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.region',
      );
      const crm = await stream.until(
        (e) => e.event === 'access' && e.data.queryId === queryId && e.data.source === 'crm',
      );
      const lake = await stream.until(
        (e) => e.event === 'access' && e.data.queryId === queryId && e.data.source === 'lake',
      );
      assert.equal(crm.data.user, 'root');
      assert.equal(crm.data.outcome, 'ok');
      assert.equal(lake.data.outcome, 'ok');
      const ours = stream.received.filter((e) => e.event === 'access' && e.data.queryId === queryId);
      const rowsBySource = (s: string) =>
        ours.filter((e) => e.data.source === s).reduce((n, e) => n + e.data.rows, 0);

      const progress = (await (
        await fetch(`${gw.url}/v1/queries/${queryId}/progress`, { headers: { authorization: basic('root') } })
      ).json()) as { state: string; sources: { source: string; rows: number; active: number }[] };
      assert.equal(progress.state, 'finished');
      for (const s of progress.sources) {
        assert.equal(s.rows, rowsBySource(s.source));
        assert.equal(s.active, 0);
      }
      assert.deepEqual(progress.sources.map((s) => s.source).sort(), ['crm', 'lake']);
      // Another user cannot read it.
      assert.equal(
        (
          await fetch(`${gw.url}/v1/queries/${queryId}/progress`, {
            headers: { authorization: basic('ann') },
          })
        ).status,
        404,
      );

      const listed = await sources('root');
      const crmSource = listed.sources.find((s) => s.name === 'crm');
      assert.equal(crmSource.state, 'up');
      assert.ok(crmSource.counters.reads >= 1);
      assert.ok(crmSource.counters.rows >= rowsBySource('crm'));
      assert.ok(crmSource.lastAccess);
      assert.ok(crmSource.history.length >= 1 && crmSource.history.at(-1).ok);
      assert.deepEqual(
        listed.sources.map((s) => s.name),
        ['crm', 'lake'],
      );
      assert.ok(
        listed.sources
          .find((s) => s.name === 'lake')
          .catalog.tables.some((t: Json) => t.name === 'documents'),
      );

      const metrics = await (
        await fetch(`${gw.url}/metrics`, { headers: { authorization: basic('root') } })
      ).text();
      assert.match(metrics, /^spoke_events_total [1-9]\d*$/m);
      assert.match(metrics, /^spoke_events_dropped_total\{sink="bus"\} 0$/m);
      assert.match(metrics, /^spoke_source_up\{source="crm"\} 1$/m);
    } finally {
      await stream.close();
    }
  });

  it('a restricted user sees neither a denied table nor a masked value in /v1/sources or the event feed', async () => {
    const ann = await openEvents(gw.url, basic('ann'));
    try {
      const mine = await query('ann', 'SELECT id, email FROM crm.customers ORDER BY id LIMIT 5');
      assert.ok(mine.rows.every(([, email]) => email === '***@***.com'));
      const theirs = await query('root', 'SELECT id, title FROM lake.documents LIMIT 3');
      const rootCrm = await query('root', 'SELECT email FROM crm.customers WHERE id = 1');
      assert.match(String(rootCrm.rows[0]![0]), /@example\.com$/);
      // ann's own read, and root's crm read without root's name or query id.
      await ann.until(
        (e) => e.event === 'access' && e.data.queryId === mine.queryId && e.data.user === 'ann',
      );
      const other = await ann.until(
        (e) => e.event === 'access' && e.data.source === 'crm' && e.data.user === null,
      );
      assert.equal(other.data.queryId, null);
      await ann.until((e) => e.event === 'activity');
      // Give root's documents read time to reach the feed (it must not).
      const stream = await openEvents(gw.url, basic('root'));
      await stream.until((e) => e.event === 'hello');
      await stream.close();
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!ann.received.some((e) => e.data?.queryId === theirs.queryId));
      assert.doesNotMatch(ann.text, /documents/);
      assert.doesNotMatch(ann.text, /@example\.com/);
      const listed = JSON.stringify(await sources('ann'));
      assert.doesNotMatch(listed, /documents/);
      assert.doesNotMatch(listed, /@example\.com/);
      assert.match(listed, /customers/);
    } finally {
      await ann.close();
    }
  });
});

describe('events: section', { timeout: 60_000 }, () => {
  let fixture: DemoFixture;
  before(async () => {
    fixture = await demoFixture();
  });
  after(() => fixture?.close());

  it('writes each access to the JSON-lines file and the audit trail, and probes on the configured interval', async () => {
    const gw = await startOperatorGateway(
      fixture,
      'audit: { path: audit.jsonl }\nevents: { file: events.jsonl, audit: true, probe_interval: 200ms, probe_timeout: 2s, freshness_interval: 200ms }',
    );
    let queryId: string;
    try {
      const res = await fetch(`${gw.url}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT id FROM crm.customers' }),
      });
      queryId = res.headers.get('x-spoke-query-id')!;
      const rows = ((await res.json()) as { rows: unknown[] }).rows.length;
      assert.equal(rows, 1000);
      await new Promise((r) => setTimeout(r, 700));
      const history = gw.services.operator!.health.health('crm').history;
      assert.ok(history.length >= 3, `probed ${history.length} times in 700 ms at 200ms`);
      // Freshness is asked again after each probe at freshness_interval 200ms (60 s by default).
      const checked = gw.services.operator!.health.freshness('crm')!.checkedAt.getTime();
      assert.ok(Date.now() - checked < 600, `freshness checked ${Date.now() - checked} ms ago`);
    } finally {
      await gw.close();
    }
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(join(fixture.root, 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const mine = lines.filter((e) => e.queryId === queryId);
    assert.equal(mine.length, 1);
    assert.deepEqual(
      [mine[0].source, mine[0].table, mine[0].rows, mine[0].outcome],
      ['crm', 'main.customers', 1000, 'ok'],
    );
    const audit = (await readFile(join(fixture.root, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(audit.some((r) => r.type === 'access' && r.queryId === queryId && r.rows === 1000));
    assert.ok(audit.some((r) => r.type === undefined && r.queryId === queryId && r.outcome === 'ok'));
  });

  it('refuses a bad value naming its key', async () => {
    await assert.rejects(startOperatorGateway(fixture, 'events: { buffer: 0 }'), /events\.buffer/);
    await assert.rejects(
      startOperatorGateway(fixture, 'events: { probe_interval: soon }'),
      /events\.probe_interval/,
    );
    await assert.rejects(startOperatorGateway(fixture, 'events: { fiel: x }'), /events/);
    await assert.rejects(
      startOperatorGateway(fixture, 'events: { freshness_interval: often }'),
      /events\.freshness_interval/,
    );
  });
});
