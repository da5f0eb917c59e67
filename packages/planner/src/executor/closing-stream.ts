import type { RecordBatch } from '@spoke/core';

/**
 * A batch stream whose `cleanup` runs exactly once: when it ends, fails, or
 * is closed with `return()` — also before the first `next()`, which an
 * async generator's `finally` would miss (a client that reads only the
 * schema and walks away must not leak a DuckDB connection or a source query).
 */
export function closingStream(
  batches: AsyncIterable<RecordBatch>,
  cleanup: () => void | Promise<void>,
): AsyncIterableIterator<RecordBatch> {
  let done = false;
  const finish = async () => {
    if (done) return;
    done = true;
    await cleanup();
  };
  const iterator = batches[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      try {
        const step = await iterator.next();
        if (step.done) await finish();
        return step;
      } catch (error) {
        await finish();
        throw error;
      }
    },
    async return(value?: unknown) {
      try {
        await iterator.return?.();
      } finally {
        await finish();
      }
      return { done: true, value: value as undefined };
    },
    async throw(error?: unknown) {
      await finish();
      throw error;
    },
  };
}
