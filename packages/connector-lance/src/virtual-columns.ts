import { arrow, type Field, type RecordBatch } from '@spoke/core';
import type { Data } from 'apache-arrow';
import { type DistanceFunction, toSqlDistance } from './vector-order.js';

/**
 * Columns a scan can ask for beyond the table's own (Lance's names):
 *
 * - `_distance` (float64): the vector distance of the pushed
 *   `ORDER BY distance(…)` key, with the SQL operator's meaning (see
 *   {@link toSqlDistance}); NULL for rows whose vector is NULL.
 * - `_score` (float32): BM25 relevance of the pushed `text_match` filter when a
 *   full-text index answered it; NULL otherwise.
 * - `_relevance_score` (float32): the reciprocal-rank-fusion score of a hybrid
 *   search.
 */
export const VIRTUAL_COLUMNS = ['_distance', '_score', '_relevance_score'] as const;

/** One of {@link VIRTUAL_COLUMNS}. */
export type VirtualColumn = (typeof VIRTUAL_COLUMNS)[number];

/** True for the names of {@link VIRTUAL_COLUMNS}. */
export function isVirtualColumn(name: string): name is VirtualColumn {
  return (VIRTUAL_COLUMNS as readonly string[]).includes(name);
}

/** The Arrow field of a virtual column. */
export function virtualField(name: VirtualColumn): Field {
  return new arrow.Field(name, name === '_distance' ? new arrow.Float64() : new arrow.Float32(), true);
}

/** How to turn one Lance batch into the batch the scan promised. */
export interface OutputShape {
  readonly projection: readonly string[];
  /** Set when `_distance` is Lance's distance for this function (vector search). */
  readonly distanceOf?: DistanceFunction;
}

/**
 * Builds the output batch: the projected columns in order, `_distance`
 * converted to SQL's meaning, virtual columns Lance did not produce as NULLs.
 */
export function shapeBatch(batch: RecordBatch, shape: OutputShape): RecordBatch {
  if (shape.projection.length === 0) return rowCountBatch(batch.numRows);
  const fields: Field[] = [];
  const children: Data[] = [];
  for (const name of shape.projection) {
    const column = batch.getChild(name);
    if (isVirtualColumn(name)) {
      const field = virtualField(name);
      fields.push(field);
      if (!column) {
        children.push(nullFloats(field, batch.numRows));
      } else if (name === '_distance' && shape.distanceOf) {
        const out = new Float64Array(batch.numRows);
        const fn = shape.distanceOf;
        for (let i = 0; i < batch.numRows; i++) out[i] = toSqlDistance(fn, Number(column.get(i)));
        children.push(arrow.makeData({ type: field.type, length: batch.numRows, data: out }));
      } else if (
        column.type.typeId !== field.type.typeId ||
        (column.type as { precision?: number }).precision !== (field.type as { precision?: number }).precision
      ) {
        children.push(
          arrow.vectorFromArray(Array.from(column.toArray() as ArrayLike<number>), field.type as never)
            .data[0]!,
        );
      } else {
        children.push(column.data[0]!);
      }
      continue;
    }
    if (!column) throw new Error(`Lance returned no column "${name}"`);
    const field = batch.schema.fields.find((f) => f.name === name)!;
    fields.push(field);
    children.push(column.data[0]!);
  }
  const schema = new arrow.Schema(fields);
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({ type: new arrow.Struct(fields), length: batch.numRows, nullCount: 0, children }),
  );
}

function nullFloats(field: Field, length: number): Data {
  const data =
    field.type.typeId === arrow.Type.Float &&
    (field.type as { precision?: number }).precision === arrow.Precision.DOUBLE
      ? new Float64Array(length)
      : new Float32Array(length);
  return arrow.makeData({
    type: field.type as never,
    length,
    nullCount: length,
    nullBitmap: new Uint8Array(Math.ceil(length / 8)),
    data,
  });
}

/**
 * A batch with no columns and `rowCount` rows (the answer to `count(*)`).
 * Why not the sdk's `rowCountBatch`: arrow-js 18.1's RecordBatch constructor
 * recomputes the length from the children, which gives 0 without columns, so
 * the struct data is put back after construction.
 */
export function rowCountBatch(rowCount: number): RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct([]), length: rowCount, nullCount: 0, children: [] });
  const batch = new arrow.RecordBatch(new arrow.Schema([]), data);
  if (batch.numRows !== rowCount) (batch as unknown as { data: unknown }).data = data;
  return batch;
}
