/**
 * The adversarial suite: attempts to get around each rule — through
 * functions, casts, CASE, sub-queries, CTEs, UNION, window functions,
 * sorting, joins, LIKE oracles, error messages, name tricks and the system
 * catalog. Each either sees only what the rule allows (checked against
 * DuckDB computing the allowed answer) or is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { SpokeError } from '@spoke/core';
import { canonicalRowsFromBatches } from '@spoke/testing';
import { collectBatches } from '../src/index.js';
import { filterCatalog } from '../src/policy/index.js';
import { SystemCatalog } from '../src/system-catalog/index.js';
import {
  ADMIN,
  ANALYST,
  createPolicyWorld,
  MASKED,
  type PolicyWorld,
  REGIONAL,
} from './policy-fixtures.test.js';

let w: PolicyWorld;
before(async () => {
  w = await createPolicyWorld();
});
after(async () => w?.close());

const RAW_EMAIL = /example\.com|user\d+@/;
const RAW_PHONE = /555-0/;

/** No cell of `rows`, and nothing in an error, carries a raw value. */
function assertNoLeak(rows: unknown[][], pattern: RegExp, sql: string): void {
  for (const row of rows)
    for (const cell of row) assert.doesNotMatch(String(cell), pattern, `${sql} leaked ${String(cell)}`);
}

async function leakFree(sql: string, pattern: RegExp, context = ANALYST): Promise<unknown[][]> {
  let rows: unknown[][] = [];
  try {
    rows = await w.rows(sql, context);
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), String(error));
    assert.doesNotMatch(error.message, pattern, `${sql}: error leaked: ${error.message}`);
    assert.doesNotMatch(
      String((error.cause as Error | undefined)?.message ?? ''),
      pattern,
      `${sql}: error cause leaked`,
    );
    return [];
  }
  assertNoLeak(rows, pattern, sql);
  return rows;
}

const denied = (sql: string, rule: string, context = ANALYST) =>
  w.fails(sql, context, 'POLICY_DENIED', new RegExp(`\\(rule ${rule}\\)`));

describe('mask cannot be undone', () => {
  test('functions, casts and CASE see the masked value', async () => {
    for (const sql of [
      'SELECT length(email), substring(email, 1, 5), lower(email), upper(email), reverse(email) FROM crm.customers',
      'SELECT CAST(email AS VARCHAR), email::text, CAST(phone AS VARCHAR) FROM crm.customers',
      "SELECT CASE WHEN email = 'user1@example.com' THEN 'yes' ELSE email END FROM crm.customers",
      "SELECT split_part(email, '@', 2), regexp_replace(email, '.*@', ''), md5(email), phone, right(phone, 8) FROM crm.customers",
      "SELECT string_agg(email, ','), string_agg(phone, ','), min(email), max(phone) FROM crm.customers",
      'SELECT notes, notes IS NULL FROM crm.customers',
    ]) {
      await leakFree(sql, RAW_EMAIL);
      await leakFree(sql, RAW_PHONE);
      await leakFree(sql, /note \d/);
    }
    await w.same(
      'SELECT length(email), substring(email, 1, 5) FROM crm.customers',
      ANALYST,
      `SELECT length(${MASKED.email}), substring(${MASKED.email}, 1, 5) FROM crm.customers`,
    );
  });
  test('sub-queries, CTEs, UNION and qualified names see the masked value', async () => {
    for (const sql of [
      'SELECT (SELECT email FROM crm.customers WHERE id = 1)',
      'WITH x AS (SELECT email, phone FROM crm.customers) SELECT * FROM x',
      "SELECT email FROM crm.customers UNION ALL SELECT 'x'",
      'SELECT e FROM (SELECT email AS e FROM crm.main.customers) t',
      'SELECT crm.customers.email, customers.phone FROM crm.customers',
      'SELECT c.email FROM crm.main.customers AS c',
      'SELECT t.* FROM crm.customers t',
      'SELECT a FROM crm.customers AS c(x, y, a)',
      'SELECT email FROM crm.customers WHERE id IN (SELECT id FROM crm.customers WHERE email IS NOT NULL)',
      'TABLE crm.customers',
    ]) {
      await leakFree(sql, RAW_EMAIL);
      await leakFree(sql, RAW_PHONE);
    }
  });
  test('window functions and ordering use masked values', async () => {
    await leakFree(
      'SELECT lag(email) OVER (ORDER BY id), first_value(phone) OVER (ORDER BY id) FROM crm.customers',
      RAW_EMAIL,
    );
    // Ordered by the raw e-mail, ids would come 1, 11, 12 …; by the masked one they tie and follow id.
    await w.same(
      'SELECT id, row_number() OVER (ORDER BY email, id) FROM crm.customers ORDER BY email, id',
      ANALYST,
      `SELECT id, row_number() OVER (ORDER BY ${MASKED.email}, id) FROM crm.customers ORDER BY ${MASKED.email}, id`,
      true,
    );
    await w.same(
      'SELECT id FROM crm.customers ORDER BY phone DESC, id LIMIT 5',
      ANALYST,
      `SELECT id FROM crm.customers ORDER BY ${MASKED.phone} DESC, id LIMIT 5`,
      true,
    );
  });
  test('WHERE / LIKE / join oracles compare masked values', async () => {
    for (const sql of [
      "SELECT id FROM crm.customers WHERE email = 'user1@example.com'",
      "SELECT id FROM crm.customers WHERE email LIKE 'user1%'",
      "SELECT id FROM crm.customers WHERE email ILIKE '%EXAMPLE%'",
      "SELECT id FROM crm.customers WHERE starts_with(email, 'u')",
      "SELECT id FROM crm.customers WHERE phone = '555-0101'",
      "SELECT c.id FROM crm.customers c JOIN (VALUES ('user1@example.com')) v(e) ON v.e = c.email",
      'SELECT c.id FROM crm.customers c JOIN shop.orders o ON c.email = o.customer_email',
    ]) {
      assert.deepEqual(await w.rows(sql, ANALYST), [], sql);
    }
  });
  test('error messages only ever quote masked values', async () => {
    for (const sql of [
      'SELECT CAST(email AS INTEGER) FROM crm.customers',
      'SELECT email::int FROM crm.customers',
      'SELECT id FROM crm.customers WHERE email = 5',
      'SELECT email + 1 FROM crm.customers',
      "SELECT strptime(email, '%Y') FROM crm.customers",
      'SELECT CAST(phone AS INTEGER) FROM crm.customers',
      "SELECT CAST(phone AS DATE) FROM crm.customers WHERE phone LIKE '***%'",
    ]) {
      await leakFree(sql, RAW_EMAIL);
      await leakFree(sql, RAW_PHONE);
    }
  });
  test('table functions cannot reach the rows loaded for the query', async () => {
    // Not on the allow-list: unknown functions (42883), with or without a policy table in the query.
    for (const sql of [
      "SELECT * FROM crm.customers, query_table('__spoke_0')",
      "SELECT c.id FROM crm.customers c JOIN query('SELECT * FROM __spoke_0') q ON true",
    ]) {
      const error = await w.fails(
        sql,
        ANALYST,
        'INVALID_QUERY',
        /function query(_table)?\(unknown\) does not exist/,
      );
      assert.equal(error.details?.sqlstate, '42883');
    }
  });
});

describe('row_filter cannot be widened', () => {
  const hidden = (rows: unknown[][]) => rows.length;
  test('OR, sub-queries, CTEs, UNION and other names stay filtered', async () => {
    const eu = await w.reference("SELECT id FROM crm.customers WHERE region = 'EU'");
    for (const sql of [
      'SELECT id FROM crm.customers WHERE true OR id > 0',
      'SELECT id FROM crm.main.customers',
      'SELECT id FROM (SELECT * FROM crm.customers) t',
      'WITH a AS (SELECT id, region FROM crm.customers) SELECT id FROM a',
      "SELECT id FROM crm.customers WHERE region = 'EU' UNION SELECT id FROM crm.customers WHERE region <> 'EU'",
      'SELECT DISTINCT a.id FROM crm.customers a LEFT JOIN crm.customers b ON a.id = b.id',
    ]) {
      const rows = await w.rows(sql, REGIONAL);
      assert.deepEqual(new Set(rows.map((r) => r[0])), new Set(eu.map((r) => r[0])), sql);
    }
    assert.equal(hidden(await w.rows("SELECT id FROM crm.customers WHERE region = 'US'", REGIONAL)), 0);
    assert.deepEqual(await w.rows('SELECT count(*) FROM crm.customers WHERE id = 1', REGIONAL), [[0n]]);
  });
  test('attribute values are data, not SQL', async () => {
    const injected = { roles: ['regional'], attributes: { region: "EU' OR '1'='1" } };
    assert.deepEqual(await w.rows('SELECT count(*) FROM crm.customers', injected), [[0n]]);
  });
  test('errors only quote rows the caller may see', async () => {
    const error = await w.fails('SELECT CAST(name AS INTEGER) FROM crm.customers', REGIONAL, 'INVALID_QUERY');
    // Errors of a policy-shaped query keep their class and SQLSTATE and withhold every value.
    assert.doesNotMatch(error.message, /customer \d/);
    assert.match(error.message, /could not be converted.*withheld/);
    assert.equal(error.details?.sqlstate, '22P02');
  });
});

describe('aggregate_only cannot be bypassed', () => {
  test('raw rows are refused', async () => {
    for (const sql of [
      'SELECT * FROM crm.payments',
      'SELECT card FROM crm.payments',
      'SELECT DISTINCT method FROM crm.payments',
      'SELECT id FROM crm.payments ORDER BY amount LIMIT 1',
      'TABLE crm.payments',
      "SELECT card FROM crm.payments UNION SELECT 'x'",
      'SELECT count(*) FROM (SELECT * FROM crm.payments) t GROUP BY id',
      'SELECT max(card) FROM (SELECT card FROM crm.payments) t',
      'WITH t AS (SELECT card FROM crm.payments) SELECT count(*) FROM t',
      "SELECT 1 WHERE EXISTS (SELECT 1 FROM crm.payments WHERE card = '4111-0000-0000-0007')",
      'SELECT c.id FROM crm.customers c WHERE c.id IN (SELECT customer_id FROM crm.payments WHERE amount > 400)',
      'SELECT x.card FROM crm.customers c, LATERAL (SELECT card FROM crm.payments p WHERE p.customer_id = c.id) x',
    ]) {
      await denied(sql, 'payments_aggregate_only');
    }
  });
  test('aggregates that return a row value, filtered or computed aggregates, windows are refused', async () => {
    for (const sql of [
      'SELECT min(card) FROM crm.payments',
      'SELECT max(amount) FROM crm.payments',
      "SELECT string_agg(card, ',') FROM crm.payments",
      'SELECT list(card) FROM crm.payments',
      'SELECT first(card), any_value(card) FROM crm.payments',
      'SELECT arg_max(card, amount) FROM crm.payments',
      'SELECT median(amount) FROM crm.payments',
      "SELECT count(*) FILTER (WHERE card = '4111-0000-0000-0007') FROM crm.payments",
      'SELECT sum(CASE WHEN id = 7 THEN amount END) FROM crm.payments',
      'SELECT sum(amount * (id = 7)::int) FROM crm.payments',
      'SELECT sum(amount) OVER () FROM crm.payments',
      'SELECT method, count(*), row_number() OVER () FROM crm.payments GROUP BY method',
      'SELECT method, (SELECT max(p.amount)) FROM crm.payments p GROUP BY method',
      'SELECT count(*) FROM crm.payments WHERE CAST(card AS INTEGER) = 1',
      'SELECT count(*) FROM crm.payments WHERE card = 5',
      'SELECT count(*) FROM crm.payments WHERE card + 1 > 0',
      "SELECT count(*) FROM crm.payments GROUP BY strptime(card, '%Y')",
      'SELECT count(*) FROM (crm.payments p JOIN crm.customers c ON c.id = p.customer_id) AS j',
    ]) {
      await denied(sql, 'payments_aggregate_only');
    }
  });
  test('groups smaller than the minimum are dropped, however the rows are grouped or duplicated', async () => {
    assert.deepEqual(await w.rows('SELECT id, count(*) FROM crm.payments GROUP BY id', ANALYST), []);
    assert.deepEqual(await w.rows('SELECT card, sum(amount) FROM crm.payments GROUP BY card', ANALYST), []);
    // A group of one payment repeated by a join still counts one payment.
    assert.deepEqual(
      await w.rows(
        'SELECT p.id, sum(p.amount), count(*) FROM crm.payments p JOIN shop.orders o ON o.id <= 10 GROUP BY p.id',
        ANALYST,
      ),
      [],
    );
    assert.deepEqual(
      await w.rows(
        'SELECT a.id, count(*) FROM crm.payments a JOIN crm.payments b ON b.method = a.method GROUP BY a.id',
        ANALYST,
      ),
      [],
    );
    // ROLLUP: only the grand total survives.
    assert.deepEqual(await w.rows('SELECT id, count(*) FROM crm.payments GROUP BY ROLLUP (id)', ANALYST), [
      [null, 200n],
    ]);
    // A scalar sub-query aggregating one row answers NULL.
    assert.deepEqual(await w.rows('SELECT (SELECT sum(amount) FROM crm.payments WHERE id = 7)', ANALYST), [
      [null],
    ]);
    assert.deepEqual(
      await w.rows("SELECT count(*) FROM crm.payments WHERE card = '4111-0000-0000-0007'", ANALYST),
      [],
    );
  });
});

describe('deny cannot be probed', () => {
  test('denied objects answer exactly like missing ones, under every spelling', async () => {
    for (const sql of [
      'SELECT * FROM crm.vip',
      'SELECT * FROM crm.main.vip',
      'SELECT * FROM CRM.VIP',
      'SELECT * FROM "crm"."vip"',
      'SELECT count(*) FROM crm.vip',
    ]) {
      await w.fails(sql, ANALYST, 'TABLE_NOT_FOUND', /does not exist$/);
    }
    const missing = await w.fails('SELECT * FROM crm.zzz', ANALYST, 'TABLE_NOT_FOUND');
    const hidden = await w.fails('SELECT * FROM crm.vip', ANALYST, 'TABLE_NOT_FOUND');
    assert.equal(hidden.message.replace('vip', 'zzz'), missing.message);
    await w.fails('SELECT * FROM crm.secret.payroll', ANALYST, 'TABLE_NOT_FOUND');
    await w.fails('WITH v AS (SELECT 1) SELECT * FROM v, crm.vip', ANALYST, 'TABLE_NOT_FOUND');
  });
  test('"did you mean" never suggests a denied name', async () => {
    for (const sql of [
      'SELECT * FROM crm.vi',
      'SELECT * FROM vip',
      'SELECT * FROM crm.secre.payroll',
      'SELECT * FROM crm.secret.payrol',
      'SELECT * FROM payroll',
    ]) {
      const error = await w.fails(sql, ANALYST, 'TABLE_NOT_FOUND');
      assert.doesNotMatch(error.message, /did you mean|crm\.vip|crm\.secret/, `${sql}: ${error.message}`);
    }
    const error = await w.fails('SELECT ss FROM crm.customers', ANALYST, 'COLUMN_NOT_FOUND');
    assert.doesNotMatch(error.message, /ssn/);
    // Without the rule, the same mistakes get the suggestion.
    const admin = await w.fails('SELECT * FROM crm.vi', ADMIN, 'TABLE_NOT_FOUND');
    assert.match(admin.message, /did you mean "vip"/);
  });
  test('denied columns cannot be named, starred, joined on or sorted by', async () => {
    for (const sql of [
      'SELECT ssn FROM crm.customers',
      'SELECT c.ssn FROM crm.customers c',
      'SELECT crm.customers.ssn FROM crm.customers',
      'SELECT count(ssn) FROM crm.customers',
      "SELECT id FROM crm.customers WHERE ssn = '000007919'",
      'SELECT id FROM crm.customers ORDER BY ssn',
      'SELECT (SELECT ssn) FROM crm.customers',
    ]) {
      await w.fails(sql, ANALYST, 'COLUMN_NOT_FOUND');
    }
    // USING is checked by DuckDB, which does not find the column either.
    await w.fails(
      'SELECT a.id FROM crm.customers a JOIN crm.customers b USING (ssn)',
      ANALYST,
      'INVALID_QUERY',
      /does not exist/,
    );
    const result = await w.engine.query('SELECT * FROM crm.customers', { context: ANALYST });
    assert.deepEqual(
      result.schema.fields.map((f) => f.name),
      ['id', 'name', 'email', 'phone', 'region', 'notes', 'spend'],
    );
    await collectBatches(result);
  });
  test('the catalog and information_schema / pg_catalog hide denied objects (through filterCatalog)', async () => {
    const all = await w.engine.catalog();
    const visible = filterCatalog(all, w.policy, { roles: ['analyst'] }, w.engine.registry);
    const names = visible.map((t) => `${t.source}.${t.schema}.${t.name}`);
    assert.ok(!names.includes('crm.main.vip') && !names.includes('crm.secret.payroll'), names.join());
    assert.ok(names.includes('crm.main.customers') && names.includes('crm.main.payments'));
    const customers = visible.find((t) => t.name === 'customers')!;
    assert.ok(!customers.columns.some((c) => c.name === 'ssn'));
    assert.equal(String(customers.columns.find((c) => c.name === 'phone')!.type), 'Utf8');
    assert.equal(filterCatalog(all, w.policy, { roles: ['admin'] }, w.engine.registry).length, all.length);

    // The system catalog refreshed from the filtered catalog (what the engine should do per visibility key).
    const instance = await DuckDBInstance.create(':memory:');
    try {
      const system = await SystemCatalog.create(instance);
      await system.refresh(visible);
      const ask = async (sql: string) =>
        canonicalRowsFromBatches(
          await collectBatches(await system.query(sql, [], new AbortController().signal)),
        ).map((r) => r.join('.'));
      const tables = await ask('SELECT table_schema, table_name FROM information_schema.tables');
      assert.ok(
        tables.some((t) => t.endsWith('customers')) && !tables.some((t) => /vip|payroll/.test(t)),
        tables.join(),
      );
      const columns = await ask(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'",
      );
      assert.ok(columns.includes('email') && !columns.includes('ssn'), columns.join());
      const classes = await ask("SELECT relname FROM pg_catalog.pg_class WHERE relkind = 'r'");
      assert.ok(!classes.some((c) => /vip|payroll/.test(c)), classes.join());
    } finally {
      instance.closeSync();
    }
    assert.notEqual(
      w.policy.visibilityKey({ roles: ['analyst'] }),
      w.policy.visibilityKey({ roles: ['admin'] }),
    );
    assert.equal(
      w.policy.visibilityKey({ roles: ['analyst'] }),
      w.policy.visibilityKey({ roles: ['analyst', 'nobody'] }),
    );
  });
});
