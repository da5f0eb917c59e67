/**
 * Observability: `GET /metrics` in the Prometheus text format (parsed line
 * by line), `GET /v1/queries` and `DELETE /v1/queries/{id}` cancelling a
 * long query (seen by its owner and admins only), the audit file's records
 * with redacted literals and the sources read, and JSON logs carrying the
 * same query id.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway, userYaml } from './operator-fixture.js';

const ENDLESS =
  'SELECT a.id AS a, b.id AS b FROM lake.sales a CROSS JOIN lake.sales b WHERE a.customer_id <> 12345';

function basic(user: string): string {
  return `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`;
}

async function call(url: string, method: string, path: string, user: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: basic(user) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  return res;
}

/** Parses the Prometheus text format strictly: every line a comment or `name{labels} value`. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(
        line,
      );
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

describe('observability', { timeout: 120_000 }, () => {
  let fixture: DemoFixture;
  let gw: OperatorGateway;
  let auditFile: string;

  before(async () => {
    fixture = await demoFixture();
    auditFile = join(fixture.root, 'audit.jsonl');
    gw = await startOperatorGateway(
      fixture,
      `users:
${await userYaml('alice', 'alice-pw', ['admin'])}
${await userYaml('bob', 'bob-pw')}
${await userYaml('carol', 'carol-pw')}
audit: { path: audit.jsonl, redact_literals: true }
logging: { level: debug }`,
    );
  });
  after(async () => {
    await gw?.close();
    await fixture?.close();
  });

  it('lists a running query to its owner and admins, and DELETE cancels it end to end', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('bob') },
      body: JSON.stringify({ sql: ENDLESS }),
      signal: controller.signal,
    });
    try {
      assert.equal(res.status, 200);
      const queryId = res.headers.get('x-spoke-query-id');
      assert.match(queryId ?? '', /^[0-9a-f-]{36}$/);
      const listed = async (user: string) =>
        (
          (await (await call(gw.url, 'GET', '/v1/queries', user)).json()) as {
            queries: { queryId: string; user: string; sql: string; state: string; protocol: string }[];
          }
        ).queries;
      const mine = await listed('bob');
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.queryId, queryId);
      assert.equal(mine[0]!.state, 'running');
      assert.equal(mine[0]!.protocol, 'http');
      assert.match(mine[0]!.sql, /a\.customer_id <> \?$/, 'literals are redacted in the list too');
      assert.equal((await listed('alice')).length, 1, 'an admin sees every query');
      assert.equal((await listed('carol')).length, 0, 'others do not');

      const denied = await call(gw.url, 'DELETE', `/v1/queries/${queryId}`, 'carol');
      assert.equal(denied.status, 404);
      const cancelled = await call(gw.url, 'DELETE', `/v1/queries/${queryId}`, 'alice');
      assert.equal(cancelled.status, 200);
      assert.deepEqual(await cancelled.json(), { queryId, status: 'cancelled' });
      // The stream ends with the reason (rows had started, so the status is already 200).
      const text = await res.text();
      assert.match(
        text,
        /"error":\{"code":"QUERY_CANCELLED","message":"query cancelled by alice \(DELETE \/v1\/queries\//,
      );
      assert.equal((await listed('alice')).length, 0);
    } finally {
      controller.abort();
    }
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'carol',
      password: 'carol-pw',
      database: 'spoke',
    });
    await client.connect();
    for (let i = 0; i < 3; i++)
      await client.query('SELECT count(*) FROM lake.sales WHERE quantity > $1', [i]);
    // A federated statement three times: first sight, planned for the cache, then answered from it.
    for (let i = 0; i < 3; i++)
      await client.query(
        'SELECT count(*) FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id WHERE s.quantity > $1',
        [i],
      );
    await client.query('SELECT nope FROM lake.sales').catch(() => {});
    const res = await call(gw.url, 'GET', '/metrics', 'carol');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const metrics = parseMetrics(await res.text());
    await client.end();
    assert.ok((metrics.get('spoke_queries_total{protocol="postgres",outcome="ok"}') ?? 0) >= 6);
    // The plan cache: the pushed-down statement and the federated one each hit from their third execution.
    assert.ok((metrics.get('spoke_plan_cache{name="hits"}') ?? 0) >= 2);
    assert.ok((metrics.get('spoke_plan_cache{name="federatedHits"}') ?? 0) >= 1);
    assert.ok((metrics.get('spoke_plan_cache{name="entries"}') ?? 0) >= 2);
    for (const name of ['templateHits', 'literalHits', 'replanned', 'misses', 'invalidations', 'bypassed'])
      assert.ok(metrics.has(`spoke_plan_cache{name="${name}"}`), name);
    assert.equal(metrics.get('spoke_queries_total{protocol="postgres",outcome="COLUMN_NOT_FOUND"}'), 1);
    assert.equal(metrics.get('spoke_queries_total{protocol="http",outcome="QUERY_CANCELLED"}'), 1);
    assert.ok((metrics.get('spoke_query_duration_seconds_count{protocol="postgres"}') ?? 0) >= 7);
    assert.ok((metrics.get('spoke_query_duration_seconds_bucket{protocol="postgres",le="+Inf"}') ?? 0) >= 4);
    assert.ok((metrics.get('spoke_source_rows_total{source="lake"}') ?? 0) > 0);
    assert.ok((metrics.get('spoke_source_bytes_total{source="lake"}') ?? 0) > 0);
    assert.equal(metrics.get('spoke_active_queries'), 0);
    assert.equal(metrics.get('spoke_open_connections{protocol="postgres"}'), 1);
    assert.ok((metrics.get('process_resident_memory_bytes') ?? 0) > 0);
  });

  it('writes audit records with redacted SQL, sources, rows, bytes and outcome; logs share the query id', async () => {
    const res = await call(gw.url, 'POST', '/v1/query', 'bob', {
      sql: "SELECT id, name FROM crm.customers WHERE region = 'APAC' AND id < 50",
    });
    const { rows } = (await res.json()) as { rows: unknown[] };
    const queryId = res.headers.get('x-spoke-query-id');
    await gw.services.service.close(); // flushes the audit file
    const records = (await readFile(auditFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const record = records.find((r) => r.queryId === queryId)!;
    assert.ok(record, 'the query has an audit record');
    assert.equal(record.user, 'bob');
    assert.equal(record.protocol, 'http');
    assert.equal(record.sql, 'SELECT id, name FROM crm.customers WHERE region = ? AND id < ?');
    assert.match(String(record.sqlHash), /^[0-9a-f]{64}$/);
    assert.deepEqual(record.sources, ['crm']);
    assert.equal(record.rows, rows.length);
    assert.ok((record.bytes as number) > 0);
    assert.equal(record.outcome, 'ok');
    assert.ok(typeof record.durationMs === 'number');
    assert.match(String(record.time), /^\d{4}-\d\d-\d\dT/);
    assert.ok(
      records.some(
        (r) =>
          r.outcome === 'QUERY_CANCELLED' && r.user === 'bob' && (r.sources as string[]).includes('lake'),
      ),
    );
    assert.ok(
      records.some(
        (r) =>
          r.outcome === 'COLUMN_NOT_FOUND' &&
          r.protocol === 'postgres' &&
          /cannot|not|exist/i.test(String(r.error)),
      ),
    );
    const logs = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = logs.find((l) => l.queryId === queryId);
    assert.ok(line, 'a log line carries the query id');
    assert.equal(line.level, 'debug');
    assert.equal(line.msg, 'query finished');
  });
});
