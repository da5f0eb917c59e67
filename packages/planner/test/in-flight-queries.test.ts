/**
 * The engine's queries in flight: closing the engine stops them. A caller
 * that made a controller for the statement alone hands it over
 * (QueryOptions.controller) and the engine aborts it, instead of making a
 * controller of its own that follows the caller's signal.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { arrow, batchesOf, ErrorCode, SpokeError } from '@spoke/core';
import type { QueryResult } from '../src/engine-api.js';
import { InFlightQueries } from '../src/executor/in-flight-queries.js';

/** A query that answers once `release` is called, with the signal it was started with. */
function pendingQuery() {
  let release!: () => void;
  const answered = new Promise<void>((r) => (release = r));
  let seen: AbortSignal | undefined;
  const start = async (signal: AbortSignal): Promise<QueryResult> => {
    seen = signal;
    await answered;
    return { command: 'SELECT', schema: new arrow.Schema([]), batches: batchesOf([]) };
  };
  return { start, release, signal: () => seen };
}

test("a caller's own controller is the query's: no listener added, aborted when the engine closes", async () => {
  const inFlight = new InFlightQueries();
  const controller = new AbortController();
  const query = pendingQuery();
  const running = inFlight.run(controller.signal, query.start, controller);
  assert.equal(query.signal(), controller.signal, 'the query runs under the caller’s signal itself');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  const closing = inFlight.close();
  assert.ok(controller.signal.aborted);
  assert.ok(SpokeError.isInstance(controller.signal.reason));
  assert.equal((controller.signal.reason as SpokeError).details?.sqlstate, '57P01');
  query.release();
  await assert.rejects(
    running,
    (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.QUERY_CANCELLED,
  );
  await closing;
});

test("without one, the engine's own controller follows the caller's signal and the caller's is left alone", async () => {
  const inFlight = new InFlightQueries();
  const caller = new AbortController();
  const query = pendingQuery();
  // A controller whose signal is not the one given is not taken either.
  const running = inFlight.run(caller.signal, query.start, new AbortController());
  assert.notEqual(query.signal(), caller.signal);
  assert.equal(getEventListeners(caller.signal, 'abort').length, 1, 'one listener forwards the abort');
  caller.abort(new Error('client went away'));
  assert.ok(query.signal()!.aborted, 'the caller’s abort reaches the query');
  query.release();
  const result = await running;
  for await (const _ of result.batches) {
    // nothing
  }
  assert.equal(getEventListeners(caller.signal, 'abort').length, 0, 'the listener is gone with the query');
  const other = new AbortController();
  const second = pendingQuery();
  const pending = inFlight.run(other.signal, second.start);
  const closing = inFlight.close();
  assert.ok(!other.signal.aborted, 'closing the engine does not abort a signal it does not own');
  assert.ok(second.signal()!.aborted);
  second.release();
  await assert.rejects(pending);
  await closing;
});
