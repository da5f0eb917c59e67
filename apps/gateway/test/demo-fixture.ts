/**
 * Shared by the gateway's tests: the demo data generated into a temp
 * directory, the demo config over it, and DuckDB running the same SQL over
 * the same files to compare answers with.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { copyTree, templateDir } from '../../../test/harness/template-dir.js';
import type { GatewayConfig } from '../src/config/gateway-config.js';
import { demoConfig } from '../src/demo/demo-config.js';
import { type DemoData, ensureDemoData } from '../src/demo/generate-demo-data.js';

/** What a test gets from {@link demoFixture}. */
export interface DemoFixture {
  readonly root: string;
  readonly data: DemoData;
  readonly config: GatewayConfig;
  /** Rows DuckDB returns for `sql`, with `crm.customers`, `lake.sales` and `lake.documents` named as in Spoke. */
  duckdb(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * The demo data, generated once per machine for this generator and these
 * dependencies (both are the template's key) and copied for each fixture:
 * generating it costs a second of CPU, and most of the gateway's test files
 * start a fixture.
 */
async function demoDataTemplate(): Promise<string> {
  const generator = await readFile(new URL('../src/demo/generate-demo-data.ts', import.meta.url), 'utf8');
  const lock = await readFile(new URL('../../../package-lock.json', import.meta.url), 'utf8');
  const key = createHash('sha256').update(generator).update(lock).digest('hex');
  return templateDir('demo-data', key, async (dir) => void (await ensureDemoData(join(dir, 'demo'))));
}

/** Copies the demo data into a fresh temp directory. */
export async function demoFixture(): Promise<DemoFixture> {
  const root = await mkdtemp(join(tmpdir(), 'spoke-gateway-test-'));
  copyTree(join(await demoDataTemplate(), 'demo'), join(root, 'demo'));
  // Finds the copy ready (its marker is copied too) and describes it.
  const data = await ensureDemoData(join(root, 'demo'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  await connection.run(`ATTACH '${data.crmFile}' AS crm (READ_ONLY)`);
  await connection.run('CREATE SCHEMA lake');
  for (const [table, glob] of Object.entries(data.lakeFiles))
    await connection.run(
      `CREATE VIEW lake.${table} AS SELECT * FROM read_parquet('${join(data.dir, glob)}')`,
    );
  return {
    root,
    data,
    config: demoConfig(data, { http: { host: '127.0.0.1', port: 0 } }),
    async duckdb(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * One value in a form both sides agree on: DuckDB's JSON gives BIGINTs as
 * strings and timestamps as `YYYY-MM-DD HH:MM:SS+00`; Spoke gives safe
 * integers as numbers and timestamps as ISO 8601.
 */
export function canonical(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') {
    const ts = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(\+00|Z)?$/.exec(value);
    if (ts) return `${ts[1]}T${ts[2]}${ts[3] ? 'Z' : ''}`;
  }
  if (Array.isArray(value)) return value.map(canonical);
  return value;
}

/** Rows (objects or arrays) with every value {@link canonical}. */
export function canonicalRows(rows: readonly (Record<string, unknown> | unknown[])[]): unknown[] {
  return rows.map((row) =>
    Array.isArray(row)
      ? row.map(canonical)
      : Object.fromEntries(Object.entries(row).map(([k, v]) => [k, canonical(v)])),
  );
}
