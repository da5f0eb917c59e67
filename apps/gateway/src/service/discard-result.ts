import type { QueryResult } from '@spoke/planner';

/**
 * Lets the engine free what a result nobody will read holds (a DuckDB
 * connection, source cursors). A generator that has not started skips its
 * `finally` blocks when returned, so it is started first; its signal must
 * already be aborted, so it stops at once, running its clean-up on the way out.
 */
export async function discardResult(result: QueryResult): Promise<void> {
  const iterator = result.batches[Symbol.asyncIterator]();
  try {
    await iterator.next();
  } catch {
    // aborted, as intended
  }
  try {
    await iterator.return?.();
  } catch {
    // already finished
  }
}
