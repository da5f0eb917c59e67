/**
 * The sandbox every DuckDB instance that runs user SQL lives in.
 *
 * User SQL reaches DuckDB as the residual of a federated query and as
 * system-catalog queries. DuckDB can read files, list directories, fetch
 * URLs, load extensions and change its own settings from SQL; none of that
 * may be reachable from a login. So before any user SQL runs, the instance is
 * locked down:
 *
 * - `enable_external_access = false`: no file system, network or extension
 *   access from SQL (`read_text`, `glob`, `COPY … TO`, `ATTACH 'file'`,
 *   `INSTALL`/`LOAD`, `http://` URLs). DuckDB's own spilling (`temp_directory`)
 *   goes through its buffer manager and keeps working.
 * - `allowed_directories` / `allowed_paths` empty: no exception to the above.
 * - no extension auto-install or auto-load: the extensions Spoke uses (json,
 *   icu, parquet) are statically linked into `@duckdb/node-api`.
 * - PostgreSQL's semantics set globally (`integer_division`, UTC), because
 *   after the lock no connection may `SET` anything.
 * - `lock_configuration = true`: nothing above can be changed back from SQL.
 *
 * The function allow-list in the binder is the second wall; this one holds
 * even for a function that list lets through by mistake. Connectors that need
 * DuckDB's file readers (Parquet, DuckDB files) open instances of their own,
 * which user SQL never reaches.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, SpokeError } from '@spoke/core';
import { type DuckDBSessionOptions, duckdbConfig } from '@spoke/duckdb-arrow';

/**
 * PostgreSQL's semantics for every connection of an instance, set globally
 * (`SELECT 7 / 2` is 3; timestamps render in UTC; NULLs sort last ascending, first descending). Must run before
 * {@link lockDown}.
 */
export const POSTGRES_SEMANTICS = [
  'SET GLOBAL integer_division = true',
  "SET GLOBAL TimeZone = 'UTC'",
  // PostgreSQL sorts NULL as larger than any value: last ascending, first descending.
  "SET GLOBAL default_null_order = 'nulls_last_on_asc_first_on_desc'",
];

/** The settings that close DuckDB to the host, in the order they must be applied. */
export const SANDBOX_SETTINGS = [
  'SET GLOBAL allowed_directories = []',
  'SET GLOBAL allowed_paths = []',
  'SET GLOBAL enable_external_access = false',
  'SET GLOBAL lock_configuration = true',
];

/**
 * Creates an in-memory DuckDB instance for user SQL: PostgreSQL's semantics,
 * then `prepare` (creating macros, attaching a shadow catalog — anything that
 * needs settings or access the sandbox removes), then the lock-down. The
 * caller owns the instance (`closeSync()`).
 */
export async function createSandboxedInstance(
  options: DuckDBSessionOptions = {},
  prepare?: (connection: DuckDBConnection) => Promise<void>,
): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(':memory:', {
    ...duckdbConfig(options),
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  try {
    const connection = await instance.connect();
    try {
      for (const statement of POSTGRES_SEMANTICS) await connection.run(statement);
      await prepare?.(connection);
      for (const statement of SANDBOX_SETTINGS) await connection.run(statement);
      await verifySandbox(connection);
    } finally {
      connection.closeSync();
    }
  } catch (error) {
    instance.closeSync();
    throw error;
  }
  return instance;
}

/** Reads the settings back: an engine that is not sandboxed must not start. */
async function verifySandbox(connection: DuckDBConnection): Promise<void> {
  const reader = await connection.runAndReadAll(
    "SELECT current_setting('enable_external_access')::VARCHAR, current_setting('lock_configuration')::VARCHAR",
  );
  const [external, locked] = reader.getRowsJS()[0] as [string, string];
  if (external !== 'false' || locked !== 'true') {
    throw new SpokeError(
      ErrorCode.INTERNAL,
      `the residual DuckDB could not be sandboxed (enable_external_access=${external}, lock_configuration=${locked})`,
    );
  }
}
