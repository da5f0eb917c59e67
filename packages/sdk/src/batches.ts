import { arrow, ErrorCode, type RecordBatch, type Schema, SpokeError, throwIfAborted } from '@spoke/core';

/**
 * A batch with no columns and `rowCount` rows: the answer to a scan with an
 * empty projection (`count(*)`), where only the number of rows matters.
 */
export function rowCountBatch(rowCount: number): RecordBatch {
  const schema = new arrow.Schema([]);
  const data = arrow.makeData({ type: new arrow.Struct([]), length: rowCount, nullCount: 0, children: [] });
  const batch = new arrow.RecordBatch(schema, data);
  // The constructor recomputes the length from the (absent) children, giving 0 rows: put the real data back.
  (batch as unknown as { data: typeof data }).data = data;
  return batch;
}

/**
 * The same rows with only `names`, in that order (a scan's `projection`).
 * Built from the batch's column data directly: Arrow's `RecordBatch.select`
 * keeps the schema's order and, for some selections, pairs the fields with
 * the wrong children.
 *
 * @throws `COLUMN_NOT_FOUND` naming a column the batch does not have.
 */
export function projectBatch(batch: RecordBatch, names: readonly string[]): RecordBatch {
  if (names.length === 0) return rowCountBatch(batch.numRows);
  const fields = batch.schema.fields;
  const indexes = names.map((name) => {
    const index = fields.findIndex((f) => f.name === name);
    if (index < 0)
      throw new SpokeError(
        ErrorCode.COLUMN_NOT_FOUND,
        `column "${name}" is not in the batch (it has ${fields.map((f) => f.name).join(', ')})`,
      );
    return index;
  });
  const schema = new arrow.Schema(
    indexes.map((i) => fields[i]!),
    batch.schema.metadata,
  );
  const data = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: batch.numRows,
    nullCount: 0,
    children: indexes.map((i) => batch.data.children[i]!),
  });
  return new arrow.RecordBatch(schema, data);
}

/** Stops after `limit` rows, slicing the last batch, and ends the source iterator early. */
export async function* limitBatches(
  batches: AsyncIterable<RecordBatch>,
  limit: number,
): AsyncGenerator<RecordBatch> {
  if (limit <= 0) return;
  let left = limit;
  for await (const batch of batches) {
    if (batch.numRows >= left) {
      yield batch.numRows === left ? batch : batch.slice(0, left);
      return;
    }
    left -= batch.numRows;
    yield batch;
  }
}

/**
 * Re-throws as `QUERY_CANCELLED` once `signal` aborts, checking between
 * batches; the source iterator is closed (its `finally` blocks run).
 */
export async function* abortableBatches(
  batches: AsyncIterable<RecordBatch>,
  signal: AbortSignal,
): AsyncGenerator<RecordBatch> {
  throwIfAborted(signal);
  for await (const batch of batches) {
    throwIfAborted(signal);
    yield batch;
  }
  throwIfAborted(signal);
}

/** An empty batch with `schema`'s fields: used when a scan has no rows but its schema must still travel. */
export function emptyBatch(schema: Schema): RecordBatch {
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: 0,
      nullCount: 0,
      children: schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0, nullCount: 0 })),
    }),
  );
}
