/**
 * How many rows per batch to ask LanceDB for. Its default, 1,024, costs an
 * IPC round trip from Rust and an Arrow decode in JavaScript per 1,024
 * rows: 100,000 rows of three columns came in 98 batches in 20 ms, and in
 * 2 batches of 65,536 in 3.4–4.5 ms (measured on the same table). Batches
 * are therefore sized to about {@link TARGET_BATCH_BYTES} of the columns
 * read, so a table of wide vectors still comes in batches of bounded size.
 */
import { arrow, type DataType, type Field, type Schema } from '@spoke/core';

/** About how many bytes one batch should hold. */
export const TARGET_BATCH_BYTES = 4 * 1024 * 1024;
/** LanceDB's own default, the least we ask for. */
export const MIN_BATCH_ROWS = 1024;
export const MAX_BATCH_ROWS = 65_536;
/** Rows per batch when the schema is not known yet. */
export const DEFAULT_BATCH_ROWS = 8192;

/** Rows per batch for a read of `columns` (names of `schema`; others are counted as 16 bytes). */
export function batchLength(schema: Schema | undefined, columns: readonly string[]): number {
  if (!schema) return DEFAULT_BATCH_ROWS;
  let rowBytes = 0;
  for (const name of columns) {
    const field = schema.fields.find((f) => f.name === name);
    rowBytes += field ? typeBytes(field.type as DataType) : 16;
  }
  const rows = Math.floor(TARGET_BATCH_BYTES / Math.max(1, rowBytes));
  return Math.min(MAX_BATCH_ROWS, Math.max(MIN_BATCH_ROWS, rows));
}

/** A rough size of one value of `type` (variable-width values counted as 32 bytes). */
function typeBytes(type: DataType): number {
  const t = arrow.DataType;
  if (t.isFixedSizeList(type)) {
    const child = (type as unknown as { children: Field[] }).children[0];
    return (
      (type as unknown as { listSize: number }).listSize * (child ? typeBytes(child.type as DataType) : 4)
    );
  }
  if (t.isStruct(type))
    return (type as unknown as { children: Field[] }).children.reduce(
      (n, f) => n + typeBytes(f.type as DataType),
      0,
    );
  if (t.isList(type)) {
    const child = (type as unknown as { children: Field[] }).children[0];
    return 8 * (child ? typeBytes(child.type as DataType) : 4);
  }
  if (t.isDictionary(type)) return 4;
  if (t.isBool(type)) return 1;
  if (t.isDecimal(type)) return 16;
  const width = (type as unknown as { bitWidth?: number }).bitWidth;
  if (typeof width === 'number' && width > 0) return width / 8;
  if (t.isFloat(type)) return 2 ** ((type as unknown as { precision: number }).precision + 1);
  if (t.isDate(type) || t.isTimestamp(type) || t.isTime(type)) return 8;
  if (t.isFixedSizeBinary(type)) return (type as unknown as { byteWidth: number }).byteWidth;
  return 32;
}
