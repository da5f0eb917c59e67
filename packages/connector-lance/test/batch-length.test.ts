/**
 * Batch sizing of reads (batch-length.ts): rows per batch from the columns'
 * widths, and a real read of 20,000 rows arriving in a few large batches
 * (LanceDB's default would hand over 20 of 1,024 rows), rows unchanged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { arrow, type ScanRequest } from '@spoke/core';
import { batchLength, DEFAULT_BATCH_ROWS, MAX_BATCH_ROWS, MIN_BATCH_ROWS } from '../src/batch-length.js';
import { LanceConnector } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'spoke-lance-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('rows per batch follow the width of the columns read', () => {
  const vector = (dim: number) =>
    new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true));
  const schema = new arrow.Schema([
    new arrow.Field('id', new arrow.Int32()),
    new arrow.Field('name', new arrow.Utf8()),
    new arrow.Field('embedding', vector(1536)),
  ]);
  assert.equal(batchLength(undefined, ['id']), DEFAULT_BATCH_ROWS);
  assert.equal(batchLength(schema, ['id']), MAX_BATCH_ROWS, 'narrow columns: the most rows');
  assert.equal(batchLength(schema, ['id', 'name']), MAX_BATCH_ROWS);
  // 1536 float32 = 6 KiB a row: about 4 MiB is 680 rows, raised to LanceDB's own 1,024.
  assert.equal(batchLength(schema, ['id', 'embedding']), MIN_BATCH_ROWS);
  const mid = new arrow.Schema([new arrow.Field('v', vector(128))]);
  assert.equal(batchLength(mid, ['v']), Math.floor((4 * 1024 * 1024) / 512));
});

test('a 20,000-row read comes in large batches with every row', async () => {
  const connector = await LanceConnector.open({ uri: dir }, { sourceName: 'lance', baseDir: dir });
  try {
    const n = 20_000;
    const batch = arrow.tableFromArrays({
      k: Int32Array.from({ length: n }, (_, i) => i),
      v: Float64Array.from({ length: n }, (_, i) => i / 2),
    }).batches[0]!;
    const table = await connector.createTableFrom('wide', batch.schema, [batch]);
    await table.schema();
    const request: ScanRequest = {
      projection: ['k', 'v'],
      filters: [],
      signal: new AbortController().signal,
      context: { queryId: 'test', roles: [] },
    };
    const sizes: number[] = [];
    let sum = 0;
    for await (const b of table.scan(request)) {
      sizes.push(b.numRows);
      for (const k of b.getChild('k')!.toArray() as Int32Array) sum += k;
    }
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      n,
    );
    assert.equal(sum, (n * (n - 1)) / 2, 'every key once');
    assert.ok(sizes.length <= 3, `few batches (got ${sizes.length}: ${sizes.join(', ')})`);
  } finally {
    await connector.close();
  }
});
