/**
 * The two sources the optimizer's integration tests federate — a throw-away
 * PostgreSQL (`pg`, statements logged) and a DuckDB database file (`crm`) —
 * with a reference DuckDB holding the same rows, so each answer can be
 * compared with DuckDB running the very same SQL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { canonicalRowsFromDuckDB } from '@spoke/testing';
import { type PostgresServer, startPostgres } from '../harness/index.js';

/** What {@link startPgAndDuckDBFile} started. */
export interface PgAndDuckDBFile {
  readonly pg: PostgresServer;
  /** The temporary folder holding the DuckDB file. */
  readonly dir: string;
  /** The `crm` source's DuckDB file. */
  readonly crmFile: string;
  /** DuckDB's canonical rows for `sql`, over `crm` (the file) and `pg` (the same statements run in memory). */
  reference(sql: string): Promise<unknown[][]>;
  /** Length of PostgreSQL's log so far (`log_statement = all`): a mark for {@link statementLog}. */
  logLength(): number;
  /** PostgreSQL's log from the mark on: the statements it received. */
  statementLog(from: number): string;
  /** Stops PostgreSQL and removes the files. */
  close(): Promise<void>;
}

/**
 * Starts PostgreSQL with every statement logged (and `settings`), runs
 * `pgTables` in it (then ANALYZE, so it has statistics), writes `crmTables`
 * into a new DuckDB file, and loads both into a reference DuckDB. Each
 * statement must be valid in PostgreSQL and DuckDB alike.
 */
export async function startPgAndDuckDBFile(options: {
  readonly pgTables: readonly string[];
  readonly crmTables: readonly string[];
  readonly settings?: Readonly<Record<string, string>>;
  /** Run in PostgreSQL before the tables (`CREATE EXTENSION …`). */
  readonly pgSetup?: readonly string[];
}): Promise<PgAndDuckDBFile> {
  const pg = await startPostgres({ settings: { log_statement: 'all', ...options.settings } });
  const dir = mkdtempSync(join(tmpdir(), 'spoke-pg-duckdb-'));
  try {
    for (const sql of [...(options.pgSetup ?? []), ...options.pgTables]) pg.psql(sql);
    pg.psql('ANALYZE');
    const crmFile = join(dir, 'crm.duckdb');
    const db = await DuckDBInstance.create(crmFile);
    const c = await db.connect();
    for (const sql of options.crmTables) await c.run(sql);
    c.closeSync();
    db.closeSync();

    const ref = await DuckDBInstance.create(':memory:');
    const rc = await ref.connect();
    await rc.run(`ATTACH '${crmFile}' AS crm (READ_ONLY)`);
    await rc.run(`ATTACH ':memory:' AS pg`);
    await rc.run('USE pg');
    for (const sql of options.pgTables) await rc.run(sql);
    await rc.run('USE memory');
    const log = () => readFileSync(join(dirname(pg.dataDir), 'server.log'), 'utf8');
    return {
      pg,
      dir,
      crmFile,
      async reference(sql) {
        const result = await rc.run(sql);
        const chunks = await result.fetchAllChunks();
        return canonicalRowsFromDuckDB(
          chunks,
          result.columnTypes().map((t) => /INT/.test(String(t))),
        ) as unknown[][];
      },
      logLength: () => log().length,
      statementLog: (from) => log().slice(from),
      async close() {
        rc.closeSync();
        ref.closeSync();
        await pg.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await pg.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
