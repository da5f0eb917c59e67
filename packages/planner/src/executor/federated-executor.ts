/**
 * Runs a federated plan: each source answers its scan (or pushed-down SQL),
 * the answers are loaded into DuckDB relations on a connection of the
 * query's own, and DuckDB runs the residual, streamed out as Arrow.
 * Cancellation interrupts DuckDB and aborts every source through the
 * request's signal; the connection (and its temp relations) is closed when
 * the result is drained, abandoned or fails.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  ErrorCode,
  type QueryContext,
  type RecordBatch,
  type ScalarValue,
  type ScanRequest,
  type Schema,
  SpokeError,
  throwIfAborted,
} from '@spoke/core';
import type { QueryResult } from '../engine-api.js';
import { loadBatches, resultArrowSchema, streamResultAsArrow, toDuckDBParams } from '../execution/index.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';
import { RESIDUAL_SETUP, type ResidualQuery } from './residual.js';
import { translateDuckDBError } from './duckdb-errors.js';

/** A sub-query sent whole to one SQL source, loaded as `relation`. */
export interface SourceQueryPlan {
  readonly source: string;
  readonly relation: string;
  readonly run: (signal: AbortSignal) => AsyncIterable<RecordBatch>;
}

/** Everything the executor needs for one SELECT. */
export interface FederatedPlan {
  readonly scans: readonly ScanPlan[];
  readonly sourceQueries: readonly SourceQueryPlan[];
  readonly residual: ResidualQuery;
}

/** Loads every source answer and starts the residual; rows stream from the returned result. */
export async function executeFederated(
  instance: DuckDBInstance,
  plan: FederatedPlan,
  signal: AbortSignal,
  context: QueryContext,
): Promise<QueryResult> {
  throwIfAborted(signal);
  const connection = await instance.connect();
  const interrupt = () => connection.interrupt();
  signal.addEventListener('abort', interrupt, { once: true });
  let handedOver = false;
  try {
    for (const macro of RESIDUAL_SETUP) await connection.run(macro);
    for (const scan of plan.scans) {
      const request: ScanRequest = {
        projection: scan.projection,
        filters: scan.candidates.filter((c) => c.support !== 'unsupported').map((c) => c.expr),
        ...(scan.limit !== undefined ? { limit: scan.limit } : {}),
        ...(scan.orderBy ? { orderBy: scan.orderBy } : {}),
        signal,
        context,
      };
      const batches = sourceBatches(scan.binding.source, () => scan.binding.provider.scan(request));
      if (scan.projection.length === 0) {
        await loadRowCount(connection, scan.relation, batches, signal);
      } else {
        await loadBatches(connection, scan.relation, scan.binding.arrowSchema.select(scan.projection), batches, signal);
      }
    }
    for (const q of plan.sourceQueries) {
      const { schema, batches } = await peekSchema(sourceBatches(q.source, () => q.run(signal)));
      await loadBatches(connection, q.relation, schema, batches, signal);
    }
    throwIfAborted(signal);
    const result = await connection.stream(plan.residual.sql, toDuckDBParams(plan.residual.params)).catch((e: unknown) => {
      throw translateDuckDBError(e, signal);
    });
    const schema = resultArrowSchema(result);
    handedOver = true;
    return {
      command: 'SELECT',
      schema,
      batches: (async function* () {
        try {
          for await (const batch of streamResultAsArrow(result, signal)) yield batch;
        } catch (error) {
          throw translateDuckDBError(error, signal);
        } finally {
          signal.removeEventListener('abort', interrupt);
          connection.closeSync();
        }
      })(),
    };
  } catch (error) {
    throw translateDuckDBError(error, signal);
  } finally {
    if (!handedOver) {
      signal.removeEventListener('abort', interrupt);
      connection.closeSync();
    }
  }
}

/**
 * Reads the first batch to learn the schema (SQL executors yield at least one
 * batch, empty when there are no rows) and returns a stream that replays it.
 */
export async function peekSchema(batches: AsyncIterable<RecordBatch>): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
  const iterator = batches[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    throw new SpokeError(ErrorCode.INTERNAL, 'a SQL executor returned no batch: it must yield at least one (empty) batch');
  }
  return {
    schema: first.value.schema,
    batches: (async function* () {
      try {
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        await iterator.return?.();
      }
    })(),
  };
}

/** Wraps a source's stream so its failures name the source. */
async function* sourceBatches(source: string, open: () => AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
  try {
    yield* open();
  } catch (error) {
    if (SpokeError.isInstance(error)) throw error;
    throw new SpokeError(ErrorCode.SOURCE_ERROR, `source "${source}" failed: ${(error as Error)?.message ?? error}`, {
      cause: error,
      source,
    });
  }
}

/**
 * A scan that needs no column (`count(*)`): only its row count matters, and
 * DuckDB has no zero-column tables, so the relation gets one NULL column.
 */
async function loadRowCount(
  connection: DuckDBConnection,
  relation: string,
  batches: AsyncIterable<RecordBatch>,
  signal: AbortSignal,
): Promise<void> {
  let rows = 0;
  for await (const batch of batches) {
    throwIfAborted(signal);
    rows += batch.numRows;
  }
  await connection.run(`CREATE TEMP TABLE "${relation}" AS SELECT CAST(NULL AS BOOLEAN) AS "__spoke_row" FROM range(${rows})`);
}

/** Values for DuckDB parameters. */
export type { ScalarValue };
