/**
 * Two small DuckDB database files standing in for two sources (`crm` and
 * `shop`), and a reference DuckDB that ATTACHes the same files under the
 * same names — so the reference runs the very same SQL text the engine gets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export interface Fixtures {
  readonly dir: string;
  readonly crmPath: string;
  readonly shopPath: string;
  /** Runs SQL in the reference DuckDB; rows as JSON-friendly objects. */
  reference(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): void;
}

export async function createFixtures(): Promise<Fixtures> {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-planner-'));
  const crmPath = join(dir, 'crm.duckdb');
  const shopPath = join(dir, 'shop.duckdb');
  {
    const db = await DuckDBInstance.create(crmPath);
    const c = await db.connect();
    await c.run(`CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name,
      CASE i % 3 WHEN 0 THEN 'EU' WHEN 1 THEN 'US' ELSE NULL END AS region,
      DATE '2024-01-01' + CAST(i AS INTEGER) AS signup_date
      FROM range(1, 101) t(i)`);
    c.closeSync();
    db.closeSync();
  }
  {
    const db = await DuckDBInstance.create(shopPath);
    const c = await db.connect();
    await c.run(`CREATE TABLE orders AS SELECT i AS id, (i % 120) + 1 AS customer_id,
      CAST((i * 7) % 1000 AS DECIMAL(10,2)) / 10 AS amount, i % 5 = 0 AS returned
      FROM range(1, 501) t(i)`);
    c.closeSync();
    db.closeSync();
  }
  const ref = await DuckDBInstance.create(':memory:');
  const rc = await ref.connect();
  await rc.run(`ATTACH '${crmPath}' AS crm (READ_ONLY)`);
  await rc.run(`ATTACH '${shopPath}' AS shop (READ_ONLY)`);
  return {
    dir,
    crmPath,
    shopPath,
    async reference(sql, params) {
      const reader = await rc.runAndReadAll(sql, params as never);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    close() {
      rc.closeSync();
      ref.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
