import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBDialect } from '@spoke/sdk';
import { type FixtureTypeName, fixtureSql } from './fixture.js';

/** Options for {@link loadFixtureIntoDuckDB}. */
export interface LoadFixtureOptions {
  /** Schema to create the table in (created when missing); DuckDB's current schema when omitted. */
  readonly schema?: string;
  /** Table name; default `spoke_conformance`. */
  readonly table?: string;
  /** Only these types' columns (and `id`). Default: all. */
  readonly types?: readonly FixtureTypeName[];
}

/**
 * Creates the fixture table in a DuckDB connection (an in-memory reference,
 * or a `.duckdb` file a connector test then opens), through the same SQL
 * script `fixtureSql` gives other dialects.
 */
export async function loadFixtureIntoDuckDB(
  connection: DuckDBConnection,
  options: LoadFixtureOptions = {},
): Promise<void> {
  const dialect = new DuckDBDialect();
  for (const setting of dialect.sessionSettings) await connection.run(setting);
  if (options.schema !== undefined)
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${dialect.quoteIdentifier(options.schema)}`);
  const statements = fixtureSql(dialect, {
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.table === undefined ? {} : { table: options.table }),
    ...(options.types === undefined ? {} : { types: options.types }),
  });
  for (const statement of statements) await connection.run(statement);
}
