/**
 * Shared by the Postgres wire tests: a DuckDB database file with one table of
 * every common type and a large table, the real engine over it (source
 * `crm`, through @spoke/connector-duckdb), the wire server on a free loopback
 * port, and DuckDB running the same SQL over the same file for reference.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { createEngine, type FederatedEngine } from '@spoke/planner';
import { startPostgresServer } from '../src/postgres-wire/index.js';

/** What a wire test gets. */
export interface WireFixture {
  readonly dir: string;
  readonly port: number;
  readonly engine: FederatedEngine;
  /** Rows DuckDB returns for `sql` over the same file (attached as `crm`), as JSON-friendly objects. */
  duckdb(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Rows in `crm.big` (enough that streaming takes many batches and a cancel lands mid-query). */
export const BIG_ROWS = 3_000_000;

export async function wireFixture(): Promise<WireFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'spoke-wire-test-'));
  const path = join(dir, 'crm.duckdb');
  {
    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    await c.run(`CREATE TABLE types AS SELECT * FROM (VALUES
      (1, true, 10::SMALLINT, 100000000000::BIGINT, 1.5::REAL, 3.25::DOUBLE, 12345.67::DECIMAL(12,2), 'hello', DATE '2024-02-29',
       TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05+00', '\\x00\\xFF'::BLOB, [1, 2, NULL]::INTEGER[], ['a', 'b c', NULL, '']::VARCHAR[],
       TIME '12:34:56.5'),
      (2, false, -1::SMALLINT, -5::BIGINT, 'NaN'::REAL, 'Infinity'::DOUBLE, -0.05::DECIMAL(12,2), 'wörld "quoted"', DATE '1999-12-31',
       TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '2000-06-15 12:00:00+00', ''::BLOB, []::INTEGER[], ['x']::VARCHAR[], TIME '00:00:00'),
      (3, NULL, NULL, NULL, NULL, '-Infinity'::DOUBLE, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
    ) t(id, b, i2, i8, f4, f8, dec, txt, d, ts, tstz, bin, ints, strs, tm)`);
    await c.run(
      `CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name, i % 3 = 0 AS vip FROM range(1, 101) r(i)`,
    );
    await c.run(`CREATE TABLE big AS SELECT i AS id, 'row ' || i AS label FROM range(${BIG_ROWS}) r(i)`);
    c.closeSync();
    db.closeSync();
  }
  const crm = await duckdb.create({ path }, { sourceName: 'crm', baseDir: dir });
  const engine = await createEngine({ sources: { crm } });
  const server = await startPostgresServer(engine, { host: '127.0.0.1', port: 0 });
  const reference = await DuckDBInstance.create(':memory:');
  const rc = await reference.connect();
  await rc.run(`SET TimeZone = 'UTC'`);
  await rc.run(`ATTACH '${path}' AS crm (READ_ONLY)`);
  return {
    dir,
    port: server.port,
    engine,
    async duckdb(sql) {
      const reader = await rc.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    async close() {
      await server.close();
      await engine.close();
      rc.closeSync();
      reference.closeSync();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
