import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrow } from '@spoke/core';
import { limitBatches, projectBatch, rowCountBatch } from '../src/index.js';

test('rowCountBatch has no columns and the given number of rows', () => {
  const b = rowCountBatch(7);
  assert.equal(b.numRows, 7);
  assert.equal(b.numCols, 0);
});

test('projectBatch with no names keeps the row count', () => {
  const t = new arrow.Table({ a: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()) });
  const b = projectBatch(t.batches[0]!, []);
  assert.equal(b.numRows, 3);
});

test('limitBatches slices the last batch and stops', async () => {
  const t = new arrow.Table({ a: arrow.vectorFromArray([1, 2, 3, 4, 5], new arrow.Int32()) });
  let closed = false;
  async function* source() {
    try {
      yield t.batches[0]!;
      yield t.batches[0]!;
    } finally {
      closed = true;
    }
  }
  const out = [];
  for await (const b of limitBatches(source(), 7)) out.push(b.numRows);
  assert.deepEqual(out, [5, 2]);
  assert.ok(closed);
});
