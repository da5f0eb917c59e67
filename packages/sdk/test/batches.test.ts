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

test('projectBatch returns the asked columns in the asked order, with their data', () => {
  const t = new arrow.Table({
    a: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
    b: arrow.vectorFromArray(['x', null, 'z'], new arrow.Utf8()),
    c: arrow.vectorFromArray([1.5, 2.5, null], new arrow.Float64()),
  });
  const batch = t.batches[0]!;
  const rows = (b: ReturnType<typeof projectBatch>) =>
    new arrow.Table(b).toArray().map((r) => ({ ...r.toJSON() }));
  const one = projectBatch(batch, ['b']);
  assert.deepEqual(
    one.schema.fields.map((f) => f.name),
    ['b'],
  );
  assert.deepEqual(rows(one), [{ b: 'x' }, { b: null }, { b: 'z' }]);
  const reordered = projectBatch(batch, ['c', 'a']);
  assert.deepEqual(
    reordered.schema.fields.map((f) => f.name),
    ['c', 'a'],
  );
  assert.deepEqual(rows(reordered), [
    { c: 1.5, a: 1 },
    { c: 2.5, a: 2 },
    { c: null, a: 3 },
  ]);
  assert.equal(projectBatch(batch.slice(1, 3), ['a']).getChildAt(0)?.get(0), 2);
  assert.throws(() => projectBatch(batch, ['nope']), /column "nope" is not in the batch \(it has a, b, c\)/);
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
