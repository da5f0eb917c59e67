/**
 * The executor's prefetch: a read streams while DuckDB is busy with another,
 * but holds at most 64 MB of Arrow in memory before the source waits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrow, type RecordBatch } from '@spoke/core';
import { prefetched } from '../src/executor/federated-executor.js';

/** One-megabyte batches of int64s, counting how many the consumer side has asked for. */
function source(batches: number, pulled: { n: number }): AsyncIterable<RecordBatch> {
  return (async function* () {
    for (let i = 0; i < batches; i++) {
      pulled.n++;
      const values = new BigInt64Array(128 * 1024).fill(BigInt(i));
      yield new arrow.RecordBatch({ v: arrow.makeData({ type: new arrow.Int64(), data: values }) });
    }
  })();
}

test('pulls ahead while the consumer is busy, but stops near 64 MB', async () => {
  const pulled = { n: 0 };
  const stream = prefetched(source(200, pulled));
  const iterator = stream[Symbol.asyncIterator]();
  // The consumer is "busy" (DuckDB loading another relation): the source keeps streaming…
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(pulled.n > 10, `${pulled.n} batches prefetched`);
  // …but not past the bound (64 one-megabyte batches, and the one in flight).
  assert.ok(pulled.n <= 66, `${pulled.n} batches prefetched`);
  let seen = 0;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    assert.equal(next.value.getChildAt(0)!.get(0), BigInt(seen));
    seen++;
  }
  assert.equal(seen, 200, 'every batch, in order');
});

test('closing early stops the source', async () => {
  const pulled = { n: 0 };
  const iterator = prefetched(source(200, pulled))[Symbol.asyncIterator]();
  await iterator.next();
  await iterator.return?.();
  const after = pulled.n;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(pulled.n, after);
  assert.ok(after < 200);
});
