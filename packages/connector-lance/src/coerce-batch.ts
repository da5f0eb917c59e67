import {
  arrow,
  type DataType,
  ErrorCode,
  type Field,
  type RecordBatch,
  type Schema,
  SpokeError,
} from '@spoke/core';
import type { Data } from 'apache-arrow';
import { vectorDimension } from './vector-order.js';

/**
 * Reshapes a batch to a table's schema before it is written: columns matched
 * by name and put in the table's order, missing nullable columns filled with
 * NULLs, and values converted where the writer's types differ from Lance's.
 * The important case is vectors: DuckDB and PostgreSQL hand over `FLOAT[]`
 * (a variable-size list, float64 or float32) where a Lance vector column is a
 * fixed-size list of float32.
 */
export function coerceBatch(batch: RecordBatch, schema: Schema): RecordBatch {
  if (sameTypes(batch.schema, schema)) return batch;
  const children = schema.fields.map((field) => coerceColumn(batch, field));
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({ type: new arrow.Struct(schema.fields), length: batch.numRows, nullCount: 0, children }),
  );
}

function sameTypes(a: Schema, b: Schema): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every(
      (f, i) => f.name === b.fields[i]!.name && arrow.util.compareTypes(f.type, b.fields[i]!.type),
    )
  );
}

function coerceColumn(batch: RecordBatch, field: Field): Data {
  const column = batch.getChild(field.name);
  const n = batch.numRows;
  if (!column) {
    if (!field.nullable) {
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `column "${field.name}" of the Lance table cannot be NULL and was not given`,
      );
    }
    return arrow.vectorFromArray(new Array(n).fill(null), field.type as never).data[0]!;
  }
  if (arrow.util.compareTypes(column.type, field.type))
    return column.data.length === 1 ? column.data[0]! : arrow.makeVector(column.data).data[0]!;
  const dimension = vectorDimension(field.type as DataType);
  if (dimension !== undefined) {
    const values = new Float32Array(n * dimension);
    const valid = new Uint8Array(Math.ceil(n / 8));
    let nullCount = 0;
    for (let i = 0; i < n; i++) {
      const row = column.get(i) as { length: number; toArray(): ArrayLike<number> } | null;
      if (row === null) {
        nullCount++;
        continue;
      }
      if (row.length !== dimension) {
        throw new SpokeError(
          ErrorCode.INVALID_QUERY,
          `column "${field.name}" holds ${dimension}-dimensional vectors; got one with ${row.length}`,
        );
      }
      values.set(Float32Array.from(row.toArray()), i * dimension);
      valid[i >> 3]! |= 1 << (i & 7);
    }
    const item = (field.type as unknown as { children: Field[] }).children[0]!;
    return arrow.makeData({
      type: field.type as never,
      length: n,
      nullCount,
      nullBitmap: nullCount ? valid : null,
      child: arrow.makeData({ type: item.type as never, length: n * dimension, data: values }),
    });
  }
  const values: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const v = column.get(i);
    values.push(typeof v === 'bigint' && (field.type as DataType).typeId !== arrow.Type.Int ? Number(v) : v);
  }
  return arrow.vectorFromArray(values, field.type as never).data[0]!;
}
