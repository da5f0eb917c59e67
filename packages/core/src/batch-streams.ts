/**
 * Streams of record batches made by generators declared once, at module
 * level.
 *
 * Why not `(async function* () { … })()` wherever a stream is needed: each
 * evaluation of a generator function expression is a new function with a
 * `prototype` object of its own, which V8 makes a prototype — in the old
 * generation — the first time a generator is created from it. That object
 * holds the function, and through its closure everything the function
 * captured, alive across every young-generation collection until the next
 * full one. One such expression per query promoted the query's whole object
 * graph (about 4.5 KB a pushed-down point query, in scavenges that took ten
 * times longer); a generator declared once has one prototype for good.
 * Within `@spoke/*`, write a named generator function (here or beside its
 * caller) instead of a generator expression on a per-query path.
 */
import type { RecordBatch } from './arrow.js';

/** `batches` as an async stream. */
export async function* batchesOf(batches: Iterable<RecordBatch>): AsyncGenerator<RecordBatch> {
  yield* batches;
}

/** A stream without batches (the answer of `SET`, `BEGIN`…). */
export async function* noBatches(): AsyncGenerator<RecordBatch> {}

/** `batches`, with every error it throws replaced by `mapError(error)` (translated, redacted). */
export async function* mapStreamErrors(
  batches: AsyncIterable<RecordBatch>,
  mapError: (error: unknown) => unknown,
): AsyncGenerator<RecordBatch> {
  try {
    yield* batches;
  } catch (error) {
    throw mapError(error);
  }
}

/** `first`, then what `rest` has left: a stream whose first batch was read to learn its schema. */
export async function* resumedStream(
  first: RecordBatch,
  rest: AsyncIterator<RecordBatch>,
): AsyncGenerator<RecordBatch> {
  yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
