/**
 * Shared set-up of the policy suites: two DuckDB database files standing in
 * for sources `crm` and `shop` (customers with PII, an aggregate-only
 * payments table, a secret schema; orders carrying customer e-mails), the
 * engine under a policy, and a reference DuckDB attaching the same files so
 * expected answers are computed by DuckDB from the raw data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { type QueryContext, SpokeError } from '@spoke/core';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB, diffRows } from '@spoke/testing';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';
import { createSecurityPolicy, type SecurityPolicy } from '../src/policy/index.js';

/** The policies every suite runs under. */
export const POLICIES = [
  {
    name: 'pii_email',
    on: 'crm.customers.email',
    rule: 'mask',
    mask: 'email',
    roles: ['*'],
    except_roles: ['admin', 'joiner'],
  },
  {
    name: 'email_hash',
    on: 'crm.customers.email',
    rule: 'mask',
    mask: 'hash',
    salt: 's3cret',
    roles: ['joiner'],
  },
  {
    name: 'order_email_hash',
    on: 'shop.orders.customer_email',
    rule: 'mask',
    mask: 'hash',
    salt: 's3cret',
    roles: ['*'],
    except_roles: ['admin'],
  },
  {
    name: 'phone_partial',
    on: 'crm.customers.phone',
    rule: 'mask',
    mask: 'partial',
    roles: ['*'],
    except_roles: ['admin'],
  },
  { name: 'ssn_hidden', on: 'crm.customers.ssn', rule: 'deny', roles: ['*'], except_roles: ['admin'] },
  {
    name: 'region_rows',
    on: 'crm.customers',
    rule: 'row_filter',
    predicate: "region = current_user_attr('region')",
    roles: ['regional'],
  },
  {
    name: 'payments_aggregate_only',
    on: 'crm.payments',
    rule: 'aggregate_only',
    min_group_size: 5,
    roles: ['*'],
    except_roles: ['admin'],
  },
  { name: 'secret_schema', on: 'crm.secret', rule: 'deny', roles: ['*'], except_roles: ['admin'] },
  { name: 'vip_hidden', on: 'crm.vip', rule: 'deny', roles: ['analyst', 'regional', 'joiner'] },
  {
    name: 'notes_null',
    on: 'crm.customers.notes',
    rule: 'mask',
    mask: 'null',
    roles: ['*'],
    except_roles: ['admin'],
  },
];

export const ANALYST: Partial<QueryContext> = { user: 'ann', roles: ['analyst'] };
export const REGIONAL: Partial<QueryContext> = {
  user: 'rex',
  roles: ['regional'],
  attributes: { region: 'EU' },
};
export const JOINER: Partial<QueryContext> = { user: 'joe', roles: ['joiner'] };
export const ADMIN: Partial<QueryContext> = { user: 'root', roles: ['admin'] };

/** SQL for the masks, as the reference computes them from raw columns. */
export const MASKED = {
  email: "CASE WHEN email IS NULL THEN NULL ELSE '***@***.com' END",
  phone:
    "CASE WHEN phone IS NULL THEN NULL WHEN length(phone) >= 8 THEN concat('***', right(phone, 4)) ELSE '***' END",
  hash: (c: string) => `CASE WHEN ${c} IS NULL THEN NULL ELSE md5(concat('s3cret', CAST(${c} AS TEXT))) END`,
};

export interface PolicyWorld {
  readonly engine: FederatedEngine;
  readonly policy: SecurityPolicy;
  /** Rows of `sql` for `context`, canonical. */
  rows(sql: string, context: Partial<QueryContext>): Promise<unknown[][]>;
  /** Rows of `sql` computed by the reference DuckDB from the raw files. */
  reference(sql: string): Promise<unknown[][]>;
  /** The engine's answer for `context` equals the reference's answer to `expected` (as multisets, or in order). */
  same(
    sql: string,
    context: Partial<QueryContext>,
    expected: string,
    ordered?: boolean,
  ): Promise<unknown[][]>;
  /** The statement fails with `code`; returns the error. */
  fails(sql: string, context: Partial<QueryContext>, code: string, message?: RegExp): Promise<SpokeError>;
  close(): Promise<void>;
}

/** Builds the files, the engine under {@link POLICIES} and the reference. */
export async function createPolicyWorld(policies: unknown = POLICIES): Promise<PolicyWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-policy-'));
  const crmPath = join(dir, 'crm.duckdb');
  const shopPath = join(dir, 'shop.duckdb');
  {
    const db = await DuckDBInstance.create(crmPath);
    const c = await db.connect();
    await c.run(`CREATE TABLE customers AS SELECT CAST(i AS INTEGER) AS id, 'customer ' || i AS name,
      CASE WHEN i % 10 = 0 THEN NULL ELSE 'user' || i || '@example.com' END AS email,
      '555-01' || lpad(CAST(i AS VARCHAR), 2, '0') AS phone,
      lpad(CAST(i * 7919 % 1000000000 AS VARCHAR), 9, '0') AS ssn,
      CASE i % 3 WHEN 0 THEN 'EU' WHEN 1 THEN 'US' ELSE 'APAC' END AS region,
      'note ' || i AS notes,
      CAST(i * 13 % 97 AS DOUBLE) AS spend
      FROM range(1, 61) t(i)`);
    await c.run(`CREATE TABLE payments AS SELECT CAST(i AS INTEGER) AS id, CAST(i % 60 + 1 AS INTEGER) AS customer_id,
      CAST(i * 37 % 500 AS DOUBLE) AS amount, CASE i % 4 WHEN 0 THEN 'card' WHEN 1 THEN 'cash' WHEN 2 THEN 'card' ELSE 'wire' END AS method,
      '4111-0000-0000-' || lpad(CAST(i AS VARCHAR), 4, '0') AS card
      FROM range(1, 201) t(i)`);
    await c.run(
      `CREATE TABLE vip AS SELECT CAST(i AS INTEGER) AS id, 'vip ' || i AS name FROM range(1, 4) t(i)`,
    );
    await c.run(`CREATE SCHEMA secret`);
    await c.run(
      `CREATE TABLE secret.payroll AS SELECT CAST(i AS INTEGER) AS id, CAST(i * 1000 AS DOUBLE) AS salary FROM range(1, 6) t(i)`,
    );
    c.closeSync();
    db.closeSync();
  }
  {
    const db = await DuckDBInstance.create(shopPath);
    const c = await db.connect();
    await c.run(`CREATE TABLE orders AS SELECT CAST(i AS INTEGER) AS id, CAST(i % 70 + 1 AS INTEGER) AS customer_id,
      CASE WHEN (i % 70 + 1) % 10 = 0 OR i % 70 + 1 > 60 THEN NULL ELSE 'user' || (i % 70 + 1) || '@example.com' END AS customer_email,
      CAST(i * 7 % 100 AS DOUBLE) AS amount
      FROM range(1, 301) t(i)`);
    c.closeSync();
    db.closeSync();
  }
  const policy = await createSecurityPolicy(policies);
  const open = async (name: string, path: string) =>
    duckdb.create({ path }, { sourceName: name, baseDir: dir });
  const engine = await createEngine({
    sources: { crm: await open('crm', crmPath), shop: await open('shop', shopPath) },
    policy,
  });
  const ref = await DuckDBInstance.create(':memory:');
  const rc = await ref.connect();
  await rc.run(`ATTACH '${crmPath}' AS crm (READ_ONLY)`);
  await rc.run(`ATTACH '${shopPath}' AS shop (READ_ONLY)`);

  const rows = async (sql: string, context: Partial<QueryContext>) =>
    canonicalRowsFromBatches(await collectBatches(await engine.query(sql, { context }))) as unknown[][];
  const reference = async (sql: string) => {
    const result = await rc.run(sql);
    const chunks = await result.fetchAllChunks();
    const ints = result.columnTypes().map((t) => /INT/.test(String(t)));
    return canonicalRowsFromDuckDB(chunks, ints) as unknown[][];
  };
  return {
    engine,
    policy,
    rows,
    reference,
    async same(sql, context, expected, ordered = false) {
      const actual = await rows(sql, context);
      const wanted = await reference(expected);
      if (ordered) assert.deepEqual(actual, wanted, sql);
      else assert.deepEqual(diffRows(actual as never, wanted as never), { extra: [], missing: [] }, sql);
      return actual;
    },
    async fails(sql, context, code, message) {
      let caught: unknown;
      try {
        await rows(sql, context);
      } catch (error) {
        caught = error;
      }
      assert.ok(
        SpokeError.isInstance(caught),
        `${sql}: expected ${code}, got ${caught === undefined ? 'rows' : String(caught)}`,
      );
      assert.equal(caught.code, code, `${sql}: ${caught.message}`);
      if (message) assert.match(caught.message, message, sql);
      return caught;
    },
    async close() {
      await engine.close();
      rc.closeSync();
      ref.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// This file holds the suites' set-up; the one test here checks that it builds.
let world: PolicyWorld | undefined;
after(async () => world?.close());
test('policy fixtures: the sources open and the admin sees raw rows', async () => {
  world = await createPolicyWorld();
  await world.same(
    'SELECT id, email, ssn FROM crm.customers',
    ADMIN,
    'SELECT id, email, ssn FROM crm.customers',
  );
});
