/**
 * Creating the embedded DuckDB instance that runs residual queries.
 *
 * Nothing may be downloaded at run time: extension auto-install is off. The
 * extensions Spoke needs (parquet, json, icu) are statically linked into the
 * `@duckdb/node-api` build, so they are available without loading; auto-load
 * stays on only so that a statically linked extension is picked up by name,
 * and an extension that is neither linked nor installed fails with DuckDB's
 * "not found" error instead of a download attempt.
 */
import { DuckDBInstance } from '@duckdb/node-api';

/** Resource settings for the embedded DuckDB. */
export interface DuckDBSessionOptions {
  /** DuckDB's `memory_limit`, e.g. `'2GB'`; past it, operators spill to `tempDirectory`. DuckDB's default: 80% of RAM. */
  memoryLimit?: string;
  /** Where DuckDB spills (`temp_directory`); DuckDB's default is `.tmp` beside a file database, none for `:memory:`. */
  tempDirectory?: string;
  /** Worker threads (`threads`); DuckDB's default is the number of cores. */
  threads?: number;
}

/** The DuckDB configuration map for {@link DuckDBSessionOptions} (exported for tests and EXPLAIN). */
export function duckdbConfig(options: DuckDBSessionOptions = {}): Record<string, string> {
  const config: Record<string, string> = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'true',
  };
  if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
  if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
    config.threads = String(options.threads);
  }
  return config;
}

/**
 * Opens an in-memory DuckDB instance configured by `options`. The caller owns
 * it: `instance.closeSync()` when done.
 */
export async function createDuckDBInstance(options: DuckDBSessionOptions = {}): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', duckdbConfig(options));
}
