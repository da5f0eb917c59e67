/**
 * Runs SQL the {@link DuckDBSourceDialect} rendered on a connection of the
 * source's own instance and streams the answer as Arrow, exactly as the
 * residual streams its own (same conversion, so the types are the same).
 */
import type { ExecuteOptions, RecordBatch, RenderedSql, SqlExecutor } from '@spoke/core';
import { SpokeError, throwIfAborted } from '@spoke/core';
import { resultArrowSchema, streamResultAsArrow, toTypedDuckDBParams } from '@spoke/duckdb-arrow';
import { emptyBatch } from '@spoke/sdk';
import type { DuckDBDatabase } from './duckdb-database.js';
import { DuckDBSourceDialect, type PushableTable } from './duckdb-sql-dialect.js';

/** Whole statements over one DuckDB source, run in place. */
export class DuckDBSqlExecutor implements SqlExecutor {
  readonly dialect: DuckDBSourceDialect;

  constructor(
    private readonly db: DuckDBDatabase,
    pushable: PushableTable,
  ) {
    this.dialect = new DuckDBSourceDialect(pushable);
  }

  async *execute(query: RenderedSql, options: ExecuteOptions): AsyncGenerator<RecordBatch> {
    const { signal } = options;
    throwIfAborted(signal);
    const connection = await this.db.connect();
    const interrupt = () => connection.interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    let clean = false;
    try {
      const { values, types } = toTypedDuckDBParams(query.params);
      const result = await connection.stream(query.sql, values, types);
      let any = false;
      for await (const batch of streamResultAsArrow(result, signal)) {
        any = true;
        yield batch;
      }
      // The planner reads the answer's schema from the first batch: an empty answer is one empty batch.
      if (!any) yield emptyBatch(resultArrowSchema(result));
      clean = !signal.aborted;
    } catch (error) {
      if (signal.aborted) throw SpokeError.cancelled(signal);
      throw this.db.wrap(error);
    } finally {
      signal.removeEventListener('abort', interrupt);
      this.db.release(connection, clean);
    }
  }
}
