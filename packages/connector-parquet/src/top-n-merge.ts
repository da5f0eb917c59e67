/**
 * The last step of a top-N over Parquet (`ORDER BY … LIMIT n` pushed to a
 * table): each part of each object gave its own first n rows in the order
 * (DuckDB, while decoding it), so the answer is among them; they are loaded
 * into a temporary table of the connector's DuckDB, which returns the first
 * n in the order — the same engine and so the same ordering (byte-wise
 * strings, NaN after every number) as the part queries.
 */
import { ErrorCode, type RecordBatch, type Schema, type SortKey, SpokeError } from '@spoke/core';
import { loadBatches, streamResultAsArrow, toTypedDuckDBParams } from '@spoke/duckdb-arrow';
import { renderScanSql } from '@spoke/sdk';
import type { DuckDBDecoder } from './duckdb-decoder.js';

/** What {@link mergeTopN} returns: the first `limit` rows of `candidates` in `orderBy`, with `projection`'s columns. */
export interface TopN {
  readonly projection: readonly string[];
  readonly orderBy: readonly SortKey[];
  readonly limit: number;
  /** The output schema (the projection's fields). */
  readonly schema: Schema;
  readonly batchRows: number;
  readonly sourceName: string;
  readonly signal: AbortSignal;
}

/**
 * Merges the parts' answers: `candidates` (of `candidateSchema`: the
 * projection and the order's columns) go into a temporary table, and its
 * first `limit` rows in the order come out as Arrow of `topN.schema`.
 */
export async function* mergeTopN(
  decoder: DuckDBDecoder,
  candidates: AsyncIterable<RecordBatch>,
  candidateSchema: Schema,
  topN: TopN,
): AsyncGenerator<RecordBatch> {
  const { signal } = topN;
  const connection = await decoder.connect();
  const interrupt = () => connection.interrupt();
  signal.addEventListener('abort', interrupt, { once: true });
  try {
    const table = 'spoke_top_n';
    await loadBatches(connection, table, candidateSchema, candidates, signal);
    const rendered = renderScanSql(
      decoder.dialect,
      { sql: `temp.main.${decoder.dialect.quoteIdentifier(table)}` },
      { projection: topN.projection, filters: [], orderBy: topN.orderBy, limit: topN.limit },
    );
    const { values, types } = toTypedDuckDBParams(rendered.params);
    const result = await connection.run(rendered.sql, values, types);
    yield* streamResultAsArrow(result, signal, { schema: topN.schema, maxBatchRows: topN.batchRows });
  } catch (error) {
    if (signal.aborted) throw SpokeError.cancelled(signal);
    if (SpokeError.isInstance(error)) throw error;
    throw new SpokeError(
      ErrorCode.SOURCE_ERROR,
      `merging the first ${topN.limit} rows of the Parquet objects failed: ${(error as Error)?.message ?? String(error)}`,
      { cause: error, source: topN.sourceName },
    );
  } finally {
    signal.removeEventListener('abort', interrupt);
    connection.closeSync();
  }
}
