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

  /** Connections that finished cleanly, settings applied, kept for the next statement (a connect and two SETs cost ~1 ms). */
  readonly #idle: DuckDBConnection[] = [];

  /**
   * A connection of its own with the dialect's session settings applied:
   * an idle one or a new one. Give it back with {@link release}.
   */
  async connect(): Promise<DuckDBConnection> {
    if (this.#closed)
      throw new SpokeError(ErrorCode.SOURCE_UNAVAILABLE, 'the DuckDB connector is closed', {
        source: this.sourceName,
      });
    const idle = this.#idle.pop();
    if (idle) return idle;
    const connection = await this.instance.connect();
    try {
      for (const setting of this.dialect.sessionSettings) await connection.run(setting);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
    return connection;
  }

  /**
   * Takes back a connection from {@link connect}: kept for reuse when its
   * statement ran to the end (`clean`), closed otherwise (interrupted,
   * failed, or a result left unread).
   */
  release(connection: DuckDBConnection, clean: boolean): void {
    if (clean && !this.#closed && this.#idle.length < MAX_IDLE) this.#idle.push(connection);
    else connection.closeSync();
  }

  /** Runs `fn` on a connection of its own and gives it back; DuckDB errors become `SOURCE_ERROR`. */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    let clean = false;
    try {
      const result = await fn(connection);
      clean = true;
      return result;
    } catch (error) {
      throw this.wrap(error);
    } finally {
      this.release(connection, clean);
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
    for (const connection of this.#idle.splice(0)) connection.closeSync();
    this.instance.closeSync();
  }
}

/** Idle connections kept at most. */
const MAX_IDLE = 4;
