/**
 * Parquet schema → Arrow types, the way Spoke carries values: timestamps in
 * microseconds (`UTC` when the column is adjusted to UTC), dates in days,
 * decimals exact as 128-bit, nested lists and structs kept nested.
 */
import { arrow, type DataType, type Field } from '@spoke/core';
import type { SchemaElement, SchemaTree } from 'hyparquet';

/** How a column's decoded values are turned into Arrow: the Arrow field plus what the reader hands us. */
export interface ColumnShape {
  readonly field: Field;
  /** The Parquet node the field came from. */
  readonly node: SchemaTree;
  /** For lists: the shape of the item; for structs: one per child. */
  readonly children: readonly ColumnShape[];
  /** How to read a leaf's raw value (see {@link leafKind}). */
  readonly leaf: LeafKind | undefined;
}

/** The raw forms a leaf value arrives in from the decoder (with Spoke's parsers and no decimal conversion). */
export type LeafKind =
  | 'bool'
  | 'number'
  | 'bigint'
  | 'float16'
  | 'decimal'
  | 'date'
  | 'time-millis'
  | 'time-micros'
  | 'time-nanos'
  | 'timestamp'
  | 'string'
  | 'binary'
  | 'json-text';

function isList(el: SchemaElement): boolean {
  return el.converted_type === 'LIST' || el.logical_type?.type === 'LIST';
}

function isMap(el: SchemaElement): boolean {
  return (
    el.converted_type === 'MAP' || el.converted_type === 'MAP_KEY_VALUE' || el.logical_type?.type === 'MAP'
  );
}

/** The Arrow shape of one Parquet schema node (a top-level column or a nested child). */
export function shapeOf(node: SchemaTree, name = node.element.name): ColumnShape {
  const el = node.element;
  const nullable = el.repetition_type !== 'REQUIRED';
  // A bare repeated field (no LIST annotation) is a list of that field.
  if (el.repetition_type === 'REPEATED' && name === node.element.name && !isListElement(node)) {
    const item = shapeOf({ ...node, element: { ...el, repetition_type: 'REQUIRED' } });
    return {
      field: new arrow.Field(name, new arrow.List(item.field), false),
      node,
      children: [item],
      leaf: undefined,
    };
  }
  if (node.children.length > 0 && isList(el)) {
    const repeated = node.children[0] as SchemaTree;
    // Three-level lists (list → repeated group → element); two-level ones repeat the element itself.
    const itemNode =
      repeated.children.length === 1 &&
      repeated.element.name !== 'array' &&
      !repeated.element.name.endsWith('_tuple')
        ? (repeated.children[0] as SchemaTree)
        : { ...repeated, element: { ...repeated.element, repetition_type: 'OPTIONAL' as const } };
    const item = shapeOf(itemNode, 'item');
    return {
      field: new arrow.Field(name, new arrow.List(new arrow.Field('item', item.field.type, true)), nullable),
      node,
      children: [item],
      leaf: undefined,
    };
  }
  if (node.children.length > 0 && isMap(el)) {
    // Maps travel as JSON text: the IR has no map type and DuckDB reads JSON back when it must.
    return {
      field: new arrow.Field(name, new arrow.Utf8(), nullable),
      node,
      children: [],
      leaf: 'json-text',
    };
  }
  if (node.children.length > 0) {
    const children = node.children.map((child) => shapeOf(child));
    return {
      field: new arrow.Field(name, new arrow.Struct(children.map((c) => c.field)), nullable),
      node,
      children,
      leaf: undefined,
    };
  }
  const { type, leaf } = leafType(el);
  return { field: new arrow.Field(name, type, nullable), node, children: [], leaf };
}

function isListElement(node: SchemaTree): boolean {
  return node.children.length > 0 && isList(node.element);
}

function leafType(el: SchemaElement): { type: DataType; leaf: LeafKind } {
  const ct = el.converted_type;
  const lt = el.logical_type;
  if (ct === 'DECIMAL' || lt?.type === 'DECIMAL') {
    const precision = el.precision ?? (lt as { precision?: number } | undefined)?.precision ?? 38;
    const scale = el.scale ?? (lt as { scale?: number } | undefined)?.scale ?? 0;
    if (precision <= 38) return { type: new arrow.Decimal(scale, precision, 128), leaf: 'decimal' };
    return { type: new arrow.Utf8(), leaf: 'string' };
  }
  switch (el.type) {
    case 'BOOLEAN':
      return { type: new arrow.Bool(), leaf: 'bool' };
    case 'INT32':
      if (ct === 'DATE' || lt?.type === 'DATE') return { type: new arrow.DateDay(), leaf: 'date' };
      if (ct === 'TIME_MILLIS' || (lt?.type === 'TIME' && lt.unit === 'MILLIS'))
        return { type: new arrow.TimeMicrosecond(), leaf: 'time-millis' };
      if (ct === 'INT_8') return { type: new arrow.Int8(), leaf: 'number' };
      if (ct === 'INT_16') return { type: new arrow.Int16(), leaf: 'number' };
      if (ct === 'UINT_8') return { type: new arrow.Uint8(), leaf: 'number' };
      if (ct === 'UINT_16') return { type: new arrow.Uint16(), leaf: 'number' };
      if (ct === 'UINT_32') return { type: new arrow.Uint32(), leaf: 'number' };
      if (lt?.type === 'INTEGER') {
        const { bitWidth, isSigned } = lt as { bitWidth: number; isSigned: boolean };
        if (bitWidth === 8) return { type: isSigned ? new arrow.Int8() : new arrow.Uint8(), leaf: 'number' };
        if (bitWidth === 16)
          return { type: isSigned ? new arrow.Int16() : new arrow.Uint16(), leaf: 'number' };
        if (!isSigned) return { type: new arrow.Uint32(), leaf: 'number' };
      }
      return { type: new arrow.Int32(), leaf: 'number' };
    case 'INT64':
      if (ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || lt?.type === 'TIMESTAMP') {
        const utc = lt?.type === 'TIMESTAMP' ? (lt as { isAdjustedToUTC: boolean }).isAdjustedToUTC : true;
        return { type: new arrow.TimestampMicrosecond(utc ? 'UTC' : null), leaf: 'timestamp' };
      }
      if (ct === 'TIME_MICROS' || (lt?.type === 'TIME' && lt.unit === 'MICROS'))
        return { type: new arrow.TimeMicrosecond(), leaf: 'time-micros' };
      if (lt?.type === 'TIME') return { type: new arrow.TimeMicrosecond(), leaf: 'time-nanos' };
      if (ct === 'UINT_64' || (lt?.type === 'INTEGER' && !(lt as { isSigned: boolean }).isSigned))
        return { type: new arrow.Uint64(), leaf: 'bigint' };
      return { type: new arrow.Int64(), leaf: 'bigint' };
    case 'INT96':
      return { type: new arrow.TimestampMicrosecond(null), leaf: 'timestamp' };
    case 'FLOAT':
      return { type: new arrow.Float32(), leaf: 'number' };
    case 'DOUBLE':
      return { type: new arrow.Float64(), leaf: 'number' };
    case 'BYTE_ARRAY':
      if (
        ct === 'UTF8' ||
        ct === 'ENUM' ||
        ct === 'JSON' ||
        lt?.type === 'STRING' ||
        lt?.type === 'ENUM' ||
        lt?.type === 'JSON'
      )
        return {
          type: new arrow.Utf8(),
          leaf: ct === 'JSON' || lt?.type === 'JSON' ? 'json-text' : 'string',
        };
      return { type: new arrow.Binary(), leaf: 'binary' };
    case 'FIXED_LEN_BYTE_ARRAY':
      if (lt?.type === 'UUID') return { type: new arrow.Utf8(), leaf: 'string' };
      if (lt?.type === 'FLOAT16') return { type: new arrow.Float32(), leaf: 'float16' };
      return { type: new arrow.Binary(), leaf: 'binary' };
    default:
      return { type: new arrow.Binary(), leaf: 'binary' };
  }
}

/** A short, stable description of an Arrow type, for schema-merge errors. */
export function typeName(type: DataType): string {
  return String(type);
}

/**
 * Whether DuckDB's Parquet reader yields this column as the Arrow type
 * {@link shapeOf} gives it, so DuckDB can decode it. Not: maps (Spoke
 * carries them as JSON text), FLOAT16, nanosecond times, INTERVAL, and
 * decimals wider than 38 digits (text here, DOUBLE in DuckDB).
 */
export function duckdbReadable(shape: ColumnShape): boolean {
  const el = shape.node.element;
  if (shape.leaf === undefined) {
    // Lists (any of the layouts) and plain groups; annotated groups (VARIANT, …) are DuckDB types of their own.
    const annotated =
      (el.logical_type && el.logical_type.type !== 'LIST') || (el.converted_type && !isList(el));
    return !annotated && shape.children.every(duckdbReadable);
  }
  switch (shape.leaf) {
    case 'float16':
    case 'time-nanos':
      return false;
    case 'json-text':
      return shape.node.children.length === 0; // JSON text yes, MAP no
    case 'string':
      return el.converted_type !== 'DECIMAL' && el.logical_type?.type !== 'DECIMAL';
    case 'binary':
      return el.converted_type === undefined && el.logical_type === undefined;
    default:
      return true;
  }
}
