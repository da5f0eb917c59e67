/**
 * Security policies from the gateway's YAML, end to end: the design's
 * shapes (mask, deny, row filter, aggregate-only) applied to what an
 * authenticated user sees over HTTP and the Postgres wire, hidden from the
 * catalog, and named in EXPLAIN and the audit record.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway, userYaml } from './operator-fixture.js';

const basic = (user: string) => `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`;

async function query(url: string, user: string, sql: string) {
  const res = await fetch(`${url}/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(user) },
    body: JSON.stringify({ sql }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { rows?: unknown[][]; error?: { code: string; message: string } },
  };
}

describe('security policies from the config', { timeout: 120_000 }, () => {
  let fixture: DemoFixture;
  let gw: OperatorGateway;

  before(async () => {
    fixture = await demoFixture();
    gw = await startOperatorGateway(
      fixture,
      `users:
${await userYaml('ann', 'ann-pw', ['analyst'])}
${await userYaml('root', 'root-pw', ['admin'])}
audit: { path: audit.jsonl }
policies:
  - { name: pii_email, on: crm.customers.email, rule: mask, mask: email, except_roles: [admin] }
  - { name: emea_only, on: crm.customers, rule: row_filter, predicate: "region = 'EMEA'", roles: [analyst] }
  - { name: sales_aggregates, on: lake.sales, rule: aggregate_only, min_group_size: 5, roles: [analyst] }
  - { name: no_documents, on: lake.documents, rule: deny, roles: [analyst] }`,
    );
  });
  after(async () => {
    await gw?.close();
    await fixture?.close();
  });

  it('masks and filters rows for the analyst, not for the admin', async () => {
    const ann = await query(gw.url, 'ann', 'SELECT email, region FROM crm.customers ORDER BY id LIMIT 3');
    assert.equal(ann.status, 200);
    for (const [email, region] of ann.body.rows!) {
      assert.equal(email, '***@***.com');
      assert.equal(region, 'EMEA');
    }
    const root = await query(
      gw.url,
      'root',
      "SELECT email FROM crm.customers WHERE region <> 'EMEA' LIMIT 1",
    );
    assert.match(String(root.body.rows![0]![0]), /@example\.com$/);
    // Filtering on the masked value finds nothing to leak.
    const probe = await query(gw.url, 'ann', "SELECT count(*) FROM crm.customers WHERE email LIKE 'ada%'");
    assert.deepEqual(probe.body.rows, [[0]]);
  });

  it('aggregate_only lets aggregates out and refuses rows, over the Postgres wire too', async () => {
    const ok = await query(gw.url, 'ann', 'SELECT product, count(*) FROM lake.sales GROUP BY product');
    assert.equal(ok.status, 200);
    assert.ok(ok.body.rows!.length > 0);
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gw.pgPort,
      user: 'ann',
      password: 'ann-pw',
      database: 'spoke',
    });
    await client.connect();
    try {
      await assert.rejects(
        client.query('SELECT * FROM lake.sales LIMIT 1'),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, '42501');
          assert.match(e.message, /sales_aggregates/);
          return true;
        },
      );
    } finally {
      await client.end();
    }
  });

  it('denied tables do not exist for the analyst: not queryable, not in the catalog', async () => {
    const denied = await query(gw.url, 'ann', 'SELECT * FROM lake.documents');
    assert.equal(denied.body.error?.code, 'TABLE_NOT_FOUND');
    const catalog = (await (
      await fetch(`${gw.url}/v1/catalog`, { headers: { authorization: basic('ann') } })
    ).json()) as {
      tables: { source: string; name: string }[];
    };
    assert.ok(!catalog.tables.some((t) => t.name === 'documents'));
    assert.ok(catalog.tables.some((t) => t.name === 'sales'));
    const rootCatalog = (await (
      await fetch(`${gw.url}/v1/catalog`, { headers: { authorization: basic('root') } })
    ).json()) as {
      tables: { name: string }[];
    };
    assert.ok(rootCatalog.tables.some((t) => t.name === 'documents'));
  });

  it('EXPLAIN and the audit record name the rules applied', async () => {
    const res = await fetch(`${gw.url}/v1/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('ann') },
      body: JSON.stringify({ sql: 'SELECT email FROM crm.customers' }),
    });
    assert.match(JSON.stringify(await res.json()), /pii_email/);
    await query(gw.url, 'ann', 'SELECT email FROM crm.customers LIMIT 1');
    await gw.services.service.close();
    const records = (await readFile(join(fixture.root, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      records.some(
        (r) =>
          r.user === 'ann' && r.appliedRules.includes('pii_email') && r.appliedRules.includes('emea_only'),
      ),
    );
  });

  it('a bad policy is a config error naming the key', async () => {
    await assert.rejects(
      startOperatorGateway(fixture, 'policies:\n  - { name: x, on: crm.customers, rule: explode }'),
      /policies\[0\]\.rule/,
    );
  });
});
