/**
 * What a federated query actually did, read by read: the figures EXPLAIN
 * ANALYZE prints next to the estimates, and the observations that teach
 * the link profiles. Recorded by the executor whether or not anyone asks
 * (a few numbers per read), so the learned profiles improve on every query.
 */

/** One read as it happened. */
export interface ReadActuals {
  readonly source: string;
  readonly relation: string;
  /** Rows and Arrow bytes the source returned. */
  rows: number;
  bytes: number;
  /** Milliseconds spent waiting for the reads whose keys this one takes. */
  waitedMs: number;
  /** Milliseconds from the request to the first batch, and to the last. */
  firstBatchMs: number;
  elapsedMs: number;
  /** Milliseconds DuckDB spent loading the rows. */
  loadMs: number;
  /** Distinct keys sent to the source as `IN (…)` lists. */
  keysSent: number;
  /** Join keys too many for a list, sent as their range instead: `column low..high` each. */
  keyRanges?: readonly string[];
  /** Why the read's strategy changed at run time, when it did. */
  replanned?: string;
  /** Arrow bytes of these rows sent on to another source (a relation uploaded for the query). */
  uploadedBytes?: number;
  /**
   * Rows served from the engine's read cache (an earlier query's read of
   * the same snapshot): nothing was asked of the source, so `rows` and
   * `bytes` stay 0 and the read teaches the link profile nothing.
   */
  cachedRows?: number;
  /** The read's rows were kept in the read cache for later queries. */
  keptInCache?: boolean;
}

/** Every read of one query, and DuckDB's phases. */
export class ExecutionTrace {
  readonly reads = new Map<string, ReadActuals>();
  /** Milliseconds computing key lists in DuckDB. */
  keyListMs = 0;
  /** Milliseconds from the start until the residual's first batch. */
  untilResidualMs = 0;
  /** The residual ran on the reads' Arrow batches, without DuckDB (`in-memory-residual.ts`). */
  residualInMemory = false;
  readonly #start = performance.now();

  /** A new read's record. */
  begin(source: string, relation: string): ReadActuals {
    const read: ReadActuals = {
      source,
      relation,
      rows: 0,
      bytes: 0,
      waitedMs: 0,
      firstBatchMs: 0,
      elapsedMs: 0,
      loadMs: 0,
      keysSent: 0,
    };
    this.reads.set(relation, read);
    return read;
  }

  /** Milliseconds since the query started. */
  now(): number {
    return performance.now() - this.#start;
  }
}
