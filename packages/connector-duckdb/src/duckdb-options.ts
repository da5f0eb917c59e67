import type { OptionSpec } from '@spoke/sdk';

/** The options a `duckdb` source accepts (see the README's options table). */
export const DUCKDB_OPTIONS = {
  path: { type: 'string', description: 'a DuckDB database file, relative to the config file' },
  writable: {
    type: 'boolean',
    default: false,
    description: 'open the database file read-write instead of READ_ONLY',
  },
  files: {
    type: 'string-map',
    description: 'table name -> glob of Parquet or CSV files (e.g. "data/*.parquet"), exposed in schema main',
  },
  memoryLimit: { type: 'string', description: 'DuckDB\'s memory_limit, e.g. "2GB"' },
  threads: { type: 'integer', description: "DuckDB's worker threads" },
  wholeStatements: {
    type: 'boolean',
    default: false,
    description:
      'run a statement that reads only this source (joins, aggregates, recursive CTEs) in its DuckDB, in place; false: the gateway scans the tables and runs the rest',
  },
} as const satisfies Record<string, OptionSpec>;
