import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, SpokeError } from '@spoke/core';
import { DuckDBDialect } from '@spoke/sdk';

/**
 * The connector's DuckDB instance. Every query gets its own connection:
 * a DuckDB connection streams one result at a time (a second query
 * silently ends the first), and `interrupt()` must cancel only the scan
 * that was aborted.
 */
export class DuckDBDatabase {
  readonly dialect = new DuckDBDialect();
  #closed = false;

  constructor(
    readonly instance: DuckDBInstance,
    /** The configured source name, for errors. */
    readonly sourceName: string,
  ) {}

  /** A new connection with the dialect's session settings applied. Close it with `closeSync()`. */
  async connect(): Promise<DuckDBConnection> {
    if (this.#closed)
      throw new SpokeError(ErrorCode.SOURCE_UNAVAILABLE, 'the DuckDB connector is closed', {
        source: this.sourceName,
      });
    const connection = await this.instance.connect();
    try {
      for (const setting of this.dialect.sessionSettings) await connection.run(setting);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
    return connection;
  }

  /** Runs `fn` on a fresh connection and closes it afterwards; DuckDB errors become `SOURCE_ERROR`. */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    try {
      return await fn(connection);
    } catch (error) {
      throw this.wrap(error);
    } finally {
      connection.closeSync();
    }
  }

  /** Wraps a DuckDB error as `SOURCE_ERROR`, keeping it as the cause. */
  wrap(error: unknown): unknown {
    if (SpokeError.isInstance(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new SpokeError(ErrorCode.SOURCE_ERROR, `DuckDB: ${message}`, {
      cause: error,
      source: this.sourceName,
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.instance.closeSync();
  }
}
