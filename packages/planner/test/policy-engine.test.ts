/**
 * Security policies through the engine, with real DuckDB sources: allowed
 * answers equal DuckDB computing the masked / filtered / aggregated answer
 * from the raw files; EXPLAIN shows the rules and the pushed row filter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { POSTGRES_CAPABILITIES, PostgresDialect } from '@spoke/sdk';
import { diffRows } from '@spoke/testing';
import { parseSql } from '../src/index.js';
import { unsupportedBy } from '../src/pushdown/sql-pushdown.js';
import {
  ADMIN,
  ANALYST,
  createPolicyWorld,
  JOINER,
  MASKED,
  type PolicyWorld,
  REGIONAL,
} from './policy-fixtures.test.js';

let w: PolicyWorld;
before(async () => {
  w = await createPolicyWorld();
});
after(async () => w?.close());

describe('mask', () => {
  test('masked columns come back masked; others raw; denied columns absent from *', async () => {
    await w.same(
      'SELECT * FROM crm.customers',
      ANALYST,
      `SELECT id, name, ${MASKED.email} AS email, ${MASKED.phone} AS phone, region, CASE WHEN false THEN notes END AS notes, spend FROM crm.customers`,
    );
  });
  test('filters, sorting and functions see masked values', async () => {
    await w.same(
      "SELECT id, email FROM crm.customers WHERE email LIKE '***%' ORDER BY id LIMIT 5",
      ANALYST,
      `SELECT id, ${MASKED.email} FROM crm.customers WHERE email IS NOT NULL ORDER BY id LIMIT 5`,
      true,
    );
    await w.same(
      'SELECT upper(phone) AS p, count(*) FROM crm.customers GROUP BY 1',
      ANALYST,
      `SELECT upper(${MASKED.phone}), count(*) FROM crm.customers GROUP BY 1`,
    );
  });
  test('admin (excepted) sees raw values', async () => {
    await w.same(
      'SELECT id, email, phone, ssn FROM crm.customers',
      ADMIN,
      'SELECT id, email, phone, ssn FROM crm.customers',
    );
  });
  test('hash masks join: equality on hashed columns matches like the raw join', async () => {
    await w.same(
      'SELECT c.id, o.id AS order_id, c.email FROM crm.customers c JOIN shop.orders o ON c.email = o.customer_email',
      JOINER,
      `SELECT c.id, o.id, ${MASKED.hash('c.email')} FROM crm.customers c JOIN shop.orders o ON c.email = o.customer_email`,
    );
    await w.same(
      'SELECT count(*) FROM crm.customers JOIN shop.orders USING (id) WHERE customers.email = orders.customer_email',
      JOINER,
      'SELECT count(*) FROM crm.customers JOIN shop.orders USING (id) WHERE customers.email = orders.customer_email',
    );
  });
});

describe('row_filter', () => {
  test("only the caller's region, with masks", async () => {
    await w.same(
      'SELECT id, region, email FROM crm.customers',
      REGIONAL,
      `SELECT id, region, ${MASKED.email} FROM crm.customers WHERE region = 'EU'`,
    );
    await w.same(
      "SELECT id FROM crm.customers WHERE region = 'US'",
      REGIONAL,
      'SELECT id FROM crm.customers WHERE false',
    );
    await w.same(
      'SELECT region, count(*) FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY region',
      REGIONAL,
      "SELECT region, count(*) FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id WHERE region = 'EU' GROUP BY region",
    );
  });
  test('the row filter is pushed to the source, and EXPLAIN names the rules', async () => {
    const plan = await w.engine.explain('SELECT id, email FROM crm.customers', { context: REGIONAL });
    // A scan filtered by the source, or (a source that runs SQL, such as DuckDB) the filter's sub-select sent whole.
    const scan = plan.sources.find((s) => s.table === 'main.customers');
    if (scan) assert.deepEqual(scan.filters, [{ sql: "region = 'EU'", support: 'exact' }]);
    else assert.match(plan.sources[0]?.sql ?? '', /FROM main\.customers AS customers WHERE region = 'EU'$/);
    assert.deepEqual([...plan.appliedRules].sort(), [
      'notes_null',
      'phone_partial',
      'pii_email',
      'region_rows',
      'ssn_hidden',
    ]);
    const text = await w.rows('EXPLAIN SELECT id FROM crm.customers', REGIONAL);
    assert.ok(
      text.some((r) => r[0] === 'Policy applied: region_rows'),
      JSON.stringify(text),
    );
  });
  test('a missing attribute sees no rows (the filter is FALSE, not TRUE)', async () => {
    await w.same(
      'SELECT id FROM crm.customers',
      { roles: ['regional'] },
      'SELECT id FROM crm.customers WHERE false',
    );
    await w.same(
      'SELECT count(*) FROM crm.customers',
      { roles: ['regional'], attributes: { tenant: 'x' } },
      'SELECT 0',
    );
  });
});

describe('aggregate_only', () => {
  test('aggregates come back, groups under the minimum size are dropped', async () => {
    await w.same(
      'SELECT count(*), sum(amount) FROM crm.payments',
      ANALYST,
      'SELECT count(*), sum(amount) FROM crm.payments',
    );
    await w.same(
      'SELECT method, count(*) AS n, avg(amount) FROM crm.payments GROUP BY method',
      ANALYST,
      'SELECT method, count(*), avg(amount) FROM crm.payments GROUP BY method HAVING count(*) >= 5',
    );
    await w.same(
      'SELECT customer_id % 50 AS k, count(*) FROM crm.payments GROUP BY 1',
      ANALYST,
      'SELECT customer_id % 50, count(*) FROM crm.payments GROUP BY 1 HAVING count(*) >= 5',
    );
  });
  test('joined with another table, groups count distinct protected rows', async () => {
    await w.same(
      'SELECT c.region, sum(p.amount) FROM crm.payments p JOIN crm.customers c ON c.id = p.customer_id GROUP BY c.region',
      ANALYST,
      'SELECT c.region, sum(p.amount) FROM crm.payments p JOIN crm.customers c ON c.id = p.customer_id GROUP BY c.region',
    );
  });
  test('outer queries over aggregated sub-queries are fine', async () => {
    await w.same(
      'SELECT max(n) FROM (SELECT method, count(*) AS n FROM crm.payments GROUP BY method) t',
      ANALYST,
      'SELECT max(n) FROM (SELECT method, count(*) AS n FROM crm.payments GROUP BY method) t',
    );
  });
  test('admin reads rows', async () => {
    await w.same('SELECT * FROM crm.payments WHERE id < 4', ADMIN, 'SELECT * FROM crm.payments WHERE id < 4');
  });
  test('EXPLAIN names the rule', async () => {
    const plan = await w.engine.explain('SELECT count(*) FROM crm.payments', { context: ANALYST });
    assert.deepEqual(plan.appliedRules, ['payments_aggregate_only']);
    // In the residual, or in the statement sent whole to the source.
    const sent = [plan.residualSql, ...plan.sources.map((s) => s.sql ?? '')].join('\n');
    assert.match(sent, /HAVING\s+count\(\*\) >= 5/);
  });
});

describe('deny', () => {
  test('denied tables, schemas and columns do not exist', async () => {
    await w.fails('SELECT * FROM crm.vip', ANALYST, 'TABLE_NOT_FOUND', /^table "crm.vip" does not exist$/);
    await w.fails(
      'SELECT * FROM crm.secret.payroll',
      ANALYST,
      'TABLE_NOT_FOUND',
      /schema "secret" does not exist in source "crm"/,
    );
    await w.fails(
      'SELECT ssn FROM crm.customers',
      ANALYST,
      'COLUMN_NOT_FOUND',
      /column "ssn" does not exist/,
    );
    await w.same('SELECT * FROM crm.vip', ADMIN, 'SELECT * FROM crm.vip');
    await w.same('SELECT * FROM crm.secret.payroll', ADMIN, 'SELECT * FROM crm.secret.payroll');
  });
});

describe('whole-query push-down', () => {
  test('the rewritten query stays within the PostgreSQL dialect, and its rendering computes the same answer', async () => {
    for (const [sql, context] of [
      ["SELECT id, email, phone, notes FROM crm.customers WHERE email LIKE '***%'", REGIONAL],
      [
        'SELECT c.email, o.customer_email FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id',
        JOINER,
      ],
      [
        'SELECT method, count(*) FROM crm.payments p JOIN crm.customers c ON c.id = p.customer_id GROUP BY method',
        ANALYST,
      ],
    ] as const) {
      const [statement] = await parseSql(sql);
      const stmt = statement!.node.SelectStmt;
      await w.policy.apply(stmt, {
        registry: w.engine.registry,
        context: { queryId: 'q', roles: [], ...context },
        signal: new AbortController().signal,
      });
      assert.equal(unsupportedBy(stmt, POSTGRES_CAPABILITIES), undefined, sql);
      const rendered = new PostgresDialect().renderSelect({ SelectStmt: stmt });
      // PostgreSQL's rendering runs unchanged in DuckDB over the same files: the masks mean the same in both.
      const expected = await w.reference(
        rendered.sql.replace(
          /\$(\d+)/g,
          (_m, n) => `'${String(rendered.params[Number(n) - 1]).replace(/'/g, "''")}'`,
        ),
      );
      const actual = await w.rows(sql, context);
      assert.ok(expected.length > 0, rendered.sql);
      assert.deepEqual(
        diffRows(actual as never, expected as never),
        { extra: [], missing: [] },
        rendered.sql,
      );
    }
  });
});
