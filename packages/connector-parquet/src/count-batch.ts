/**
 * The answer to an empty projection (`count(*)`): batches with no columns.
 */
import { arrow, type RecordBatch } from '@spoke/core';

/**
 * A batch with no columns and `n` rows. Why not the sdk's `rowCountBatch`:
 * arrow-js's RecordBatch constructor recomputes the length from the
 * children, so with none it reports 0 rows; the data is set afterwards here.
 */
export function countBatch(n: number): RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct([]), length: n, nullCount: 0, children: [] });
  const batch = new arrow.RecordBatch(new arrow.Schema([]), data);
  (batch as { data: typeof data }).data = data;
  return batch;
}
