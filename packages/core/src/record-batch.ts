/**
 * A record batch that keeps the schema it was given.
 *
 * apache-arrow's `new RecordBatch(schema, data)` re-derives the batch's
 * schema with `Schema.assign`, which matches fields by name: when columns
 * share a name (`SELECT o.id, c.id …`), every one of them gets the last one's
 * type. The data stays right, but the batch's schema no longer describes it,
 * and an IPC writer handed such a batch for the real schema ends its stream
 * without the rows.
 */
import type { Data, Struct } from 'apache-arrow';
import { arrow, type RecordBatch, type Schema } from './arrow.js';

/**
 * `new RecordBatch(schema, data)` whose `schema` is `schema` itself, even where column names repeat.
 *
 * When every column has the batch's length — all batches Spoke makes — the
 * batch is made without the constructor, which would only rebuild an equal
 * schema and struct data (new Schema, metadata maps merged, new Struct type):
 * a few microseconds a batch, most of a one-row answer's Arrow cost.
 */
export function recordBatch(schema: Schema, data: Data<Struct>): RecordBatch {
  if (columnsFill(schema, data)) {
    const batch = Object.create(arrow.RecordBatch.prototype) as { schema: Schema; data: Data<Struct> };
    batch.schema = schema;
    batch.data = data;
    return batch as unknown as RecordBatch;
  }
  const batch = new arrow.RecordBatch(schema, data);
  if (batch.schema !== schema && hasRepeatedNames(schema)) (batch as { schema: Schema }).schema = schema;
  return batch;
}

/** True when `data` has one child per field, each of the batch's length (the constructor would change nothing). */
function columnsFill(schema: Schema, data: Data<Struct>): boolean {
  const children = data.children;
  if (!(data instanceof arrow.Data) || children.length !== schema.fields.length) return false;
  for (const child of children) if (child.length !== data.length) return false;
  return true;
}

function hasRepeatedNames(schema: Schema): boolean {
  const fields = schema.fields;
  if (fields.length < 2) return false;
  return new Set(fields.map((f) => f.name)).size !== fields.length;
}
