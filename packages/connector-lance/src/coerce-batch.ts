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
  const convert = scalarConversion(field);
  const values: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const v = column.get(i);
    values.push(v === null || v === undefined ? null : convert(v));
  }
  return arrow.vectorFromArray(values, field.type as never).data[0]!;
}

/**
 * How one value reaches the column's type. Integers travel as `number` for
 * widths up to 32 bits and as `bigint` for 64 (`INSERT … VALUES (100)` hands
 * over an INT32 that a BIGINT column must take); a value the column cannot
 * hold is refused as PostgreSQL refuses it (22003, 22P02), never wrapped.
 */
function scalarConversion(field: Field): (value: unknown) => unknown {
  const type = field.type as DataType;
  if (type.typeId !== arrow.Type.Int) return (v) => (typeof v === 'bigint' ? Number(v) : v);
  const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
  const min = isSigned ? -(2n ** BigInt(bitWidth - 1)) : 0n;
  const max = isSigned ? 2n ** BigInt(bitWidth - 1) - 1n : 2n ** BigInt(bitWidth) - 1n;
  return (v) => {
    let integer: bigint;
    if (typeof v === 'bigint') integer = v;
    else if (typeof v === 'number' && Number.isInteger(v)) integer = BigInt(v);
    else if (typeof v === 'number' && Number.isFinite(v))
      integer = BigInt(Math.sign(v) * Math.round(Math.abs(v)));
    // A parameter sent untyped (as text) reaches the column as PostgreSQL's integer input reads it.
    else if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) integer = BigInt(v.trim());
    else
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `invalid input syntax for type ${bitWidth === 64 ? 'bigint' : bitWidth === 16 ? 'smallint' : 'integer'} (column "${field.name}")`,
        { details: { sqlstate: '22P02' } },
      );
    if (integer < min || integer > max)
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `value out of range for column "${field.name}" (${bitWidth}-bit integer)`,
        {
          details: { sqlstate: '22003' },
        },
      );
    return bitWidth === 64 ? integer : Number(integer);
  };
}
