/**
 * The watch behind "stopped waiting for the keys of …" (`executor/key-overflow.ts`):
 * distinct keys are counted exactly, only after the evidence threshold, NULLs
 * aside; a read that ends first never fires.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arrow, type RecordBatch } from '@spoke/core';
import { KeyOverflow } from '../src/executor/key-overflow.js';

function batch(keys: readonly (number | null)[]): RecordBatch {
  const vector = arrow.vectorFromArray(keys, new arrow.Int32());
  return new arrow.RecordBatch({ k: vector.data[0]! }) as RecordBatch;
}

/** Whether `promise` has settled, and with what, after pending callbacks ran. */
async function settled<T>(promise: Promise<T>): Promise<{ value: T } | undefined> {
  let result: { value: T } | undefined;
  void promise.then((value) => {
    result = { value };
  });
  await new Promise((resolve) => setImmediate(resolve));
  return result;
}

describe('KeyOverflow', () => {
  test('fires with the rows so far once more distinct keys than the cap arrived, counting after the threshold', async () => {
    const watch = new KeyOverflow();
    const fired = watch.watch('k', 3, 4);
    // The first 4 rows are not counted (the evidence threshold), however many keys they hold.
    watch.observe(batch([1, 2, 3, 4]));
    assert.equal(await settled(fired), undefined);
    // Repeated keys and NULLs do not add up: 3 distinct so far.
    watch.observe(batch([5, 5, null, 6, 7, 7]));
    assert.equal(await settled(fired), undefined);
    watch.observe(batch([8, 9]));
    assert.deepEqual(await settled(fired), { value: 12 });
  });

  test('a read that ends first never fires; nor does a watch on a column the rows lack, or with no cap', async () => {
    const watch = new KeyOverflow();
    const small = watch.watch('k', 10, 0);
    const other = watch.watch('nope', 0, 0);
    const unbounded = watch.watch('k', Number.POSITIVE_INFINITY, 0);
    watch.observe(batch([1, 2, 3]));
    watch.end();
    watch.observe(batch([4, 5, 6, 7, 8, 9, 10, 11, 12]));
    for (const p of [small, other, unbounded]) assert.equal(await settled(p), undefined);
    // After the end, a new watch waits for nothing that could come.
    assert.equal(await settled(watch.watch('k', 0, 0)), undefined);
  });

  test('counting starts inside a batch at the threshold row', async () => {
    const watch = new KeyOverflow();
    // Rows 0-2 skipped; rows 3.. hold 2 distinct keys: at cap 1 the third batch row past the threshold fires.
    const fired = watch.watch('k', 1, 3);
    watch.observe(batch([10, 11, 12, 13, 13, 14]));
    assert.deepEqual(await settled(fired), { value: 6 });
  });
});
