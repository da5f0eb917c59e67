/**
 * The answer to an empty projection (`count(*)`): batches with no columns.
 */
import { arrow, type RecordBatch } from '@spoke/core';

/**
 * A batch with no columns and `rowCount` rows. Why not `rowCountBatch` from
 * `@spoke/sdk`: arrow-js's RecordBatch constructor recomputes the length from
 * the (absent) children and reports 0 rows, so the length-carrying data is
 * put back afterwards.
 */
export function rowCountOnlyBatch(rowCount: number): RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct([]), length: rowCount, nullCount: 0, children: [] });
  const batch = new arrow.RecordBatch(new arrow.Schema([]), data);
  if (batch.numRows !== rowCount)
    Object.defineProperty(batch, 'data', { value: data, writable: false, configurable: true });
  return batch;
}
