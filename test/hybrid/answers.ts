/**
 * Answers in a comparable form, for the two-gateway tests: rows as JSON with
 * numbers (and numeric text, as HTTP carries decimals) as numbers, and
 * DuckDB's answer to the same SQL over the union of the data.
 */
import { DuckDBInstance } from '@duckdb/node-api';

/** Rows as JSON, numbers and numeric text both as numbers. */
export function canonical(rows: readonly (readonly unknown[])[] | undefined): string {
  return JSON.stringify(
    (rows ?? []).map((r) =>
      r.map((v) =>
        typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))
          ? Number(v)
          : v,
      ),
    ),
  );
}

/** What DuckDB answers `sql` with after `statements`, each value as text (NULL kept). */
export async function duckdbRows(statements: readonly string[], sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const s of statements) await connection.run(s);
    return (await connection.runAndReadAll(sql))
      .getRows()
      .map((r) => r.map((v) => (v === null ? v : String(v))));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
