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

/** `new RecordBatch(schema, data)` whose `schema` is `schema` itself, even where column names repeat. */
export function recordBatch(schema: Schema, data: Data<Struct>): RecordBatch {
  const batch = new arrow.RecordBatch(schema, data);
  if (batch.schema !== schema && hasRepeatedNames(schema)) (batch as { schema: Schema }).schema = schema;
  return batch;
}

function hasRepeatedNames(schema: Schema): boolean {
  const fields = schema.fields;
  if (fields.length < 2) return false;
  return new Set(fields.map((f) => f.name)).size !== fields.length;
}
