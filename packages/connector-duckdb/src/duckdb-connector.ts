import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type ConnectorContext,
  ErrorCode,
  type SourceFreshness,
  type SpokeConnector,
  SpokeError,
} from '@spoke/core';
import { BaseConnector, defineConnector, parseOptions } from '@spoke/sdk';
import { DuckDBCatalog, FILES_SCHEMA } from './duckdb-catalog.js';
import { DuckDBDatabase } from './duckdb-database.js';
import { duckdbFreshness } from './duckdb-freshness.js';
import { DUCKDB_OPTIONS } from './duckdb-options.js';
import { DuckDBSqlExecutor } from './duckdb-sql-executor.js';
import { DuckDBTable } from './duckdb-table.js';

/** A DuckDB database file and/or Parquet/CSV files, served as one source. */
export class DuckDBConnector extends BaseConnector {
  /** Whole statements over this source's tables run in place (see duckdb-sql-dialect.ts), with `wholeStatements: true`. */
  declare readonly sql?: DuckDBSqlExecutor;

  constructor(
    readonly database: DuckDBDatabase,
    readonly catalog: DuckDBCatalog,
    /** Where the data lives, for {@link DuckDBConnector.freshness}: the database file and each `files:` table's files. */
    readonly files: { readonly path?: string; readonly tables?: ReadonlyMap<string, readonly string[]> } = {},
    wholeStatements = false,
  ) {
    super();
    if (wholeStatements)
      this.sql = new DuckDBSqlExecutor(database, (schema, table) => catalog.readsInPlace(schema, table));
  }

  /** When the files last changed: see duckdb-freshness.ts. */
  freshness(signal?: AbortSignal): Promise<SourceFreshness | undefined> {
    return duckdbFreshness(this.files.path, this.files.tables ?? new Map(), signal);
  }

  override async close(): Promise<void> {
    this.database.close();
  }
}

function filesOf(table: DuckDBTable): readonly string[] {
  return table.source.kind === 'files' ? table.source.files : [];
}

const MEMORY_LIMIT = /^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$|^\s*\d+(\.\d+)?\s*%\s*$/i;

/** Opens the source described by `options`; see the README's options table. */
export async function createDuckDBConnector(
  options: Readonly<Record<string, unknown>>,
  context: ConnectorContext,
): Promise<DuckDBConnector> {
  const parsed = parseOptions(options, DUCKDB_OPTIONS, context);
  const key = (k: string) => `sources.${context.sourceName}.${k}`;
  const invalid = (k: string, message: string, cause?: unknown) =>
    new SpokeError(ErrorCode.INVALID_CONFIG, `${key(k)}: ${message}`, {
      source: context.sourceName,
      ...(cause === undefined ? {} : { cause }),
    });
  const files = parsed.files ?? {};
  if (parsed.path === undefined && Object.keys(files).length === 0) {
    throw new SpokeError(
      ErrorCode.INVALID_CONFIG,
      `sources.${context.sourceName}: set "path" (a DuckDB file) or "files" (Parquet/CSV globs), or both`,
      {
        source: context.sourceName,
      },
    );
  }
  if (parsed.memoryLimit !== undefined && !MEMORY_LIMIT.test(parsed.memoryLimit)) {
    throw invalid('memoryLimit', `expected a size such as "2GB" or "75%", got "${parsed.memoryLimit}"`);
  }
  if (parsed.threads !== undefined && parsed.threads < 1)
    throw invalid('threads', `expected at least 1, got ${parsed.threads}`);
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(context.baseDir, p));
  const path = parsed.path === undefined ? undefined : absolute(parsed.path);
  if (path !== undefined && !parsed.writable && !existsSync(path))
    throw invalid('path', `database file not found: ${path}`);

  // PostgreSQL's NULL order (last ascending, first descending), as in the residual, for statements pushed whole;
  // scans always say NULLS FIRST/LAST. A global setting in DuckDB, so it is set for the instance.
  const config: Record<string, string> = { default_null_order: 'nulls_last_on_asc_first_on_desc' };
  if (path !== undefined && !parsed.writable) config.access_mode = 'READ_ONLY';
  if (parsed.memoryLimit !== undefined) config.memory_limit = parsed.memoryLimit.trim();
  if (parsed.threads !== undefined) config.threads = String(parsed.threads);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path ?? ':memory:', config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw path === undefined
      ? new SpokeError(
          ErrorCode.INVALID_CONFIG,
          `sources.${context.sourceName}: DuckDB did not start: ${message}`,
          { source: context.sourceName, cause: error },
        )
      : invalid('path', `cannot open ${path}: ${message}`, error);
  }
  const db = new DuckDBDatabase(instance, context.sourceName);
  try {
    const fileTables = new Map<string, DuckDBTable>();
    for (const [name, glob] of Object.entries(files)) {
      const pattern = absolute(glob);
      const lower = pattern.toLowerCase();
      const format = /\.parquet$|\.parq$/.test(lower)
        ? 'parquet'
        : /\.(csv|tsv)(\.gz|\.zst)?$/.test(lower)
          ? 'csv'
          : undefined;
      if (!format)
        throw invalid(
          `files.${name}`,
          `cannot tell the format of "${glob}": use a glob ending in .parquet or .csv`,
        );
      const matches = await db.withConnection(async (c) =>
        (await c.runAndReadAll('SELECT file FROM glob($1) ORDER BY file', [pattern]))
          .getRows()
          .map(([f]) => String(f)),
      );
      if (matches.length === 0) throw invalid(`files.${name}`, `no file matches ${pattern}`);
      fileTables.set(name, new DuckDBTable(name, db, { kind: 'files', format, files: matches }));
    }
    const catalog = new DuckDBCatalog(db, fileTables, path !== undefined && !parsed.writable);
    if (fileTables.size && path !== undefined) {
      const clash = (await catalog.databaseTables()).find(
        (t) => t.schema === FILES_SCHEMA && fileTables.has(t.table),
      );
      if (clash)
        throw invalid(
          `files.${clash.table}`,
          `the database already has a table "${FILES_SCHEMA}.${clash.table}"; choose another name`,
        );
    }
    const tableFiles = new Map([...fileTables].map(([name, t]) => [name, filesOf(t)]));
    return new DuckDBConnector(
      db,
      catalog,
      { ...(path !== undefined ? { path } : {}), tables: tableFiles },
      parsed.wholeStatements,
    );
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The `duckdb` connector factory; the gateway finds it by `connector: duckdb`. */
export const connector = defineConnector({
  name: 'duckdb',
  create: (options, context): Promise<SpokeConnector> => createDuckDBConnector(options, context),
});
