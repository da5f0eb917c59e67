import type { RecordBatch } from '@spoke/core';
import { type ValueMode, type ValueReader, valueReader } from './value-reader.js';

/**
 * Every row of a batch as an array of values in `mode` (see
 * {@link valueReader} for how each type is rendered). A generator, so a big
 * batch is converted row by row as it is written out.
 */
export function* batchRows(batch: RecordBatch, mode: ValueMode): Generator<unknown[]> {
  const readers: ValueReader[] = (batch.data.children as RecordBatch['data'][]).map((child) =>
    valueReader(child, mode),
  );
  for (let row = 0; row < batch.numRows; row++) {
    const values = new Array<unknown>(readers.length);
    for (let c = 0; c < readers.length; c++) values[c] = (readers[c] as ValueReader)(row);
    yield values;
  }
}
