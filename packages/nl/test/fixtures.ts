/**
 * A small federated catalog with security policies for the ask tests: two
 * DuckDB sources (`crm`, `vault`) built in a temporary directory, the
 * planner's engine over them, and a reference DuckDB over the same rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import type { QueryContext } from '@spoke/core';
import {
  createEngine,
  createSecurityPolicy,
  type FederatedEngine,
  type SecurityPolicy,
} from '@spoke/planner';

export const REGIONS = ['EMEA', 'APAC', 'AMER', 'LATAM'];

/** Everything a policy hides from the analyst: none of it may reach a prompt. */
export const HIDDEN = {
  /** Names of denied tables, columns and sources (as whole words). */
  names: ['secrets', 'launch_code', 'vault', 'secret_token', 'ssn'],
  /** Values of denied tables and columns, raw values of masked columns, rows filtered away. */
  values: [
    'XYZZY-LAUNCH',
    'TOKEN-PLUGH',
    '123-45-',
    '@corp-example.com',
    'Person APAC',
    'Person AMER',
    'Person LATAM',
    'APAC',
    'AMER',
    'LATAM',
  ],
};

export const POLICIES = [
  { name: 'no_secrets', on: 'crm.secrets', rule: 'deny', roles: ['*'], except_roles: ['admin'] },
  { name: 'no_vault', on: 'vault', rule: 'deny', roles: ['*'], except_roles: ['admin'] },
  { name: 'no_ssn', on: 'crm.customers.ssn', rule: 'deny', roles: ['*'], except_roles: ['admin'] },
  {
    name: 'mask_email',
    on: 'crm.customers.email',
    rule: 'mask',
    mask: 'hash',
    roles: ['*'],
    except_roles: ['admin'],
  },
  {
    name: 'own_region',
    on: 'crm.customers',
    rule: 'row_filter',
    predicate: "region = current_user_attr('region')",
    roles: ['analyst'],
  },
  {
    name: 'salaries_aggregate',
    on: 'crm.salaries',
    rule: 'aggregate_only',
    min_group_size: 2,
    roles: ['analyst'],
  },
];

/** The analyst: sees EMEA customers, masked e-mails, salaries in aggregate only. */
export const ANALYST: QueryContext = {
  queryId: 'ask-test',
  user: 'ann',
  roles: ['analyst'],
  attributes: { region: 'EMEA' },
};

export const ADMIN: QueryContext = { queryId: 'ask-test', user: 'root', roles: ['admin'] };

export interface Fixture {
  readonly engine: FederatedEngine;
  readonly policy: SecurityPolicy;
  /** Runs SQL in the reference DuckDB (tables crm.*, vault.* without policies). */
  reference(sql: string): Promise<unknown[][]>;
  close(): Promise<void>;
}

export async function createFixture(extraTables = 0): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-nl-'));
  const ref = await DuckDBInstance.create(':memory:');
  const rc = await ref.connect();
  await rc.run(`ATTACH '${join(dir, 'crm.duckdb')}' AS crm`);
  await rc.run(`ATTACH '${join(dir, 'vault.duckdb')}' AS vault`);
  await rc.run(`CREATE TABLE crm.customers AS SELECT i AS id,
      'Person ' || (['EMEA','APAC','AMER','LATAM'])[i % 4 + 1] || ' ' || i AS name,
      'person' || i || '@corp-example.com' AS email,
      (['EMEA','APAC','AMER','LATAM'])[i % 4 + 1] AS region,
      '123-45-' || lpad(i::VARCHAR, 4, '0') AS ssn
    FROM range(1, 41) t(i)`);
  await rc.run(
    `CREATE TABLE crm.secrets AS SELECT i AS id, 'XYZZY-LAUNCH-' || i AS launch_code FROM range(1, 4) t(i)`,
  );
  await rc.run(
    `CREATE TABLE crm.salaries AS SELECT i AS id, i AS customer_id, 1000 * i AS salary FROM range(1, 41) t(i)`,
  );
  await rc.run(`CREATE TABLE crm.docs AS SELECT i AS id, i % 40 + 1 AS customer_id,
      (['machine learning at scale','query federation','vector search','lakehouse notes'])[i % 4 + 1] AS title,
      CAST([sin(i * 0.1), cos(i * 0.3), sin(i * 0.7), cos(i * 1.1), sin(i * 1.3), cos(i * 1.7), sin(i * 0.5), cos(i * 0.9)] AS FLOAT[8]) AS embedding
    FROM range(1, 101) t(i)`);
  for (let i = 0; i < extraTables; i++)
    await rc.run(
      `CREATE TABLE crm.inventory_${String(i).padStart(2, '0')} AS SELECT 1 AS warehouse_id, 2 AS stock_level`,
    );
  await rc.run(
    `CREATE TABLE vault.keys AS SELECT i AS id, 'TOKEN-PLUGH-' || i AS secret_token FROM range(1, 4) t(i)`,
  );
  await rc.run('DETACH crm');
  await rc.run('DETACH vault');
  const policy = await createSecurityPolicy(POLICIES);
  const engine = await createEngine({
    sources: {
      crm: await duckdbConnector.create(
        { path: join(dir, 'crm.duckdb') },
        { sourceName: 'crm', baseDir: dir },
      ),
      vault: await duckdbConnector.create(
        { path: join(dir, 'vault.duckdb') },
        { sourceName: 'vault', baseDir: dir },
      ),
    },
    policy,
  });
  await rc.run(`ATTACH '${join(dir, 'crm.duckdb')}' AS crm (READ_ONLY)`);
  return {
    engine,
    policy,
    async reference(sql) {
      const reader = await rc.runAndReadAll(sql);
      return reader.getRowsJS() as unknown[][];
    },
    async close() {
      await engine.close();
      rc.closeSync();
      ref.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
