import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadFixtureIntoDuckDB } from '@spoke/testing';

/** A temp directory removed by the returned function. */
export function tempDir(): { dir: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-duckdb-'));
  return { dir, remove: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes the conformance fixture into `<dir>/fixture.duckdb` (schema main) and, when asked, as two Parquet files under `<dir>/parquet/`. */
export async function writeFixture(dir: string, options: { parquet?: boolean } = {}): Promise<string> {
  const path = join(dir, 'fixture.duckdb');
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await loadFixtureIntoDuckDB(connection);
    if (options.parquet) {
      const out = join(dir, 'parquet');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(out, { recursive: true });
      // Two files, so the glob and multi-file scans are exercised.
      await connection.run(
        `COPY (SELECT * FROM spoke_conformance WHERE id < 100 ORDER BY id) TO '${join(out, 'part-0.parquet')}' (FORMAT parquet)`,
      );
      await connection.run(
        `COPY (SELECT * FROM spoke_conformance WHERE id >= 100 ORDER BY id) TO '${join(out, 'part-1.parquet')}' (FORMAT parquet)`,
      );
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return path;
}
