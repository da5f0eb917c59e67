/**
 * The queries an engine has running: each with an abort signal of its own
 * (linked to its caller's) and, once it answered, its result's stream. On
 * close, every one is aborted and every stream closed — a result nobody
 * reads still holds a source's connection (a PostgreSQL pool client in
 * mid-COPY, a DuckDB connection), and a pool's or a database's close waits
 * for those, so without this a shutdown waits for readers who never come.
 */
import { ErrorCode, type RecordBatch, SpokeError } from '@spoke/core';
import type { QueryResult } from '../engine-api.js';

/** How long close waits for aborted work to let go (a stream's cleanup, a starting query) before going on. */
const SETTLE_MS = 5000;

/** One query between its start and the end of its result. */
interface InFlight {
  readonly controller: AbortController;
  /** Closes its result's stream; unset until the query answered. */
  stop?: () => Promise<void>;
  /** Settles when the query has answered or failed. */
  started?: Promise<unknown>;
}

/**
 * The error of a query the engine's close ended: PostgreSQL's admin_shutdown
 * (57P01), the code its clients see when a server shuts down under them.
 */
export function engineClosedError(): SpokeError {
  return new SpokeError(
    ErrorCode.QUERY_CANCELLED,
    'query cancelled: the engine was closed (the server is shutting down)',
    { details: { sqlstate: '57P01' } },
  );
}

/** The engine's running queries, ended together by {@link InFlightQueries.close}. */
export class InFlightQueries {
  readonly #running = new Set<InFlight>();
  /** The signals this gave its queries: a query started under one is already followed (the plan cache's fallback). */
  readonly #own = new WeakSet<AbortSignal>();
  #closed = false;

  /**
   * Runs `start` with a signal aborted by the caller's `signal` or by
   * {@link close}, and follows its result until its stream ends. After
   * close, the query and a read of its result fail with
   * {@link engineClosedError}; so does a query started once closed.
   */
  async run(
    signal: AbortSignal | undefined,
    start: (signal: AbortSignal) => Promise<QueryResult>,
    controller?: AbortController,
  ): Promise<QueryResult> {
    if (signal && this.#own.has(signal)) return start(signal);
    const entry = this.#enter(signal, controller);
    const answered = (async (): Promise<QueryResult> => {
      let result: QueryResult;
      try {
        result = await start(entry.controller.signal);
      } catch (error) {
        entry.leave();
        throw this.#closed ? engineClosedError() : error;
      }
      if (this.#closed) {
        // Answered while the engine closed: close has no stream to close yet, so it is closed here.
        entry.leave();
        await result.batches[Symbol.asyncIterator]()
          .return?.()
          .catch(() => undefined);
        throw engineClosedError();
      }
      // Only a SELECT streams from a source or DuckDB; other results (SET, SHOW, EXPLAIN, writes) hold nothing.
      if (result.command !== 'SELECT') {
        entry.leave();
        return result;
      }
      return { ...result, batches: this.#follow(result.batches, entry) };
    })();
    entry.started = answered.catch(() => undefined);
    return answered;
  }

  /** Runs `work` (no stream to follow: EXPLAIN, ingestion) as a query in flight. */
  async settle<T>(signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal && this.#own.has(signal)) return work(signal);
    const entry = this.#enter(signal);
    const done = (async () => {
      try {
        return await work(entry.controller.signal);
      } catch (error) {
        throw this.#closed ? engineClosedError() : error;
      } finally {
        entry.leave();
      }
    })();
    entry.started = done.catch(() => undefined);
    return done;
  }

  /**
   * Aborts every query in flight and closes every result's stream (their
   * source connections go with them), then waits — at most a few seconds,
   * so a source that does not answer cannot hold a shutdown — for the
   * queries still starting to fail. Later queries are refused.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#running];
    for (const entry of entries) entry.controller.abort(engineClosedError());
    const waits = entries.map((entry) => (entry.stop ? entry.stop() : entry.started));
    await settledWithin(waits, SETTLE_MS);
  }

  #enter(signal: AbortSignal | undefined, given?: AbortController): InFlight & { leave(): void } {
    if (this.#closed) throw engineClosedError();
    // The caller's own controller for this statement (QueryOptions.controller) is aborted directly.
    const shared = given !== undefined && given.signal === signal;
    const controller = shared ? given : new AbortController();
    this.#own.add(controller.signal);
    const forward = shared ? undefined : () => controller.abort(signal?.reason);
    if (forward) {
      if (signal?.aborted) forward();
      else signal?.addEventListener('abort', forward, { once: true });
    }
    const running = this.#running;
    const entry: InFlight & { leave(): void } = {
      controller,
      leave() {
        if (forward) signal?.removeEventListener('abort', forward);
        running.delete(entry);
      },
    };
    running.add(entry);
    return entry;
  }

  /**
   * `batches`, left once read to the end, failed or closed by its reader;
   * closed by {@link close} otherwise. A read after that fails with the
   * close's error, never a silent end: a consumer must not take a cut-off
   * answer for a whole one.
   */
  #follow(
    batches: AsyncIterable<RecordBatch>,
    entry: InFlight & { leave(): void },
  ): AsyncIterableIterator<RecordBatch> {
    const iterator = batches[Symbol.asyncIterator]();
    let closing: Promise<void> | undefined;
    const stop = () => {
      closing ??= (async () => {
        entry.leave();
        await iterator.return?.();
      })().catch(() => undefined);
      return closing;
    };
    entry.stop = stop;
    const closed = () => this.#closed;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        if (closed() && closing) {
          await closing;
          throw engineClosedError();
        }
        let step: IteratorResult<RecordBatch>;
        try {
          step = await iterator.next();
        } catch (error) {
          entry.leave();
          throw closed() ? engineClosedError() : error;
        }
        // A stream the close ended may end quietly (its source stopped): that is no whole answer.
        if (closed() && closing) throw engineClosedError();
        if (step.done) entry.leave();
        return step;
      },
      async return(value?: unknown) {
        await stop();
        return { done: true, value: value as undefined };
      },
      async throw(error?: unknown) {
        await stop();
        throw error;
      },
    };
  }
}

/** Waits for `promises` to settle, or `ms`, whichever comes first. */
async function settledWithin(promises: readonly (Promise<unknown> | undefined)[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
