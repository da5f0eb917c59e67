/**
 * Incremental decoder for `COPY … TO STDOUT (FORMAT binary)`: feed it the
 * stream's chunks as they arrive (split anywhere), take RecordBatches of
 * about `batchRows` rows as they fill.
 *
 * Format: the 11-byte signature `PGCOPY\n\377\r\n\0`, int32 flags, int32
 * header-extension length and the extension; then per row an int16 field
 * count (-1 ends the data) and per field an int32 length (-1 for NULL) and
 * the value's binary form. All integers are big-endian.
 */
import { arrow, ErrorCode, type RecordBatch, type Schema, SpokeError } from '@spoke/core';
import { type ColumnBuilder, createColumnBuilder } from './arrow-column-builders.js';
import type { PgType } from './postgres-type-mapping.js';

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

/** Streams binary COPY data into Arrow record batches. */
export class CopyBinaryDecoder {
  private readonly builders: ColumnBuilder[];
  private pending: Uint8Array | undefined;
  private headerDone = false;
  private finished = false;
  private rows = 0;
  /** Rows decoded so far. */
  totalRows = 0;

  constructor(
    readonly schema: Schema,
    types: readonly PgType[],
    private readonly batchRows = 65_536,
  ) {
    this.builders = types.map((t) => createColumnBuilder(t, batchRows));
  }

  /** Decodes what `chunk` completes; returns the batches that filled up. */
  push(chunk: Uint8Array): RecordBatch[] {
    let buf = chunk;
    if (this.pending) {
      const joined = new Uint8Array(this.pending.length + chunk.length);
      joined.set(this.pending);
      joined.set(chunk, this.pending.length);
      buf = joined;
      this.pending = undefined;
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const out: RecordBatch[] = [];
    let p = 0;
    if (!this.headerDone) {
      if (buf.length < 19) {
        this.pending = buf.slice();
        return out;
      }
      for (let i = 0; i < SIGNATURE.length; i++) {
        if (buf[i] !== SIGNATURE[i])
          throw new SpokeError(ErrorCode.SOURCE_ERROR, 'not a PostgreSQL binary COPY stream');
      }
      const extension = view.getInt32(15);
      if (buf.length < 19 + extension) {
        this.pending = buf.slice();
        return out;
      }
      p = 19 + extension;
      this.headerDone = true;
    }
    const end = buf.length;
    const builders = this.builders;
    const ncols = builders.length;
    while (p + 2 <= end && !this.finished) {
      const fields = view.getInt16(p);
      if (fields === -1) {
        this.finished = true;
        p += 2;
        break;
      }
      if (fields !== ncols) {
        throw new SpokeError(ErrorCode.INTERNAL, `binary COPY row has ${fields} fields, expected ${ncols}`);
      }
      // First pass: is the whole row here? (A row never straddles a batch.)
      let q = p + 2;
      let complete = true;
      for (let i = 0; i < ncols; i++) {
        if (q + 4 > end) {
          complete = false;
          break;
        }
        const len = view.getInt32(q);
        q += 4 + Math.max(len, 0);
        if (q > end) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      q = p + 2;
      for (let i = 0; i < ncols; i++) {
        const len = view.getInt32(q);
        q += 4;
        if (len < 0) builders[i]!.appendNull();
        else {
          builders[i]!.append(buf, view, q, len);
          q += len;
        }
      }
      p = q;
      this.rows++;
      if (this.rows >= this.batchRows) out.push(this.flush());
    }
    if (p < end && !this.finished) this.pending = buf.slice(p);
    return out;
  }

  /** The last, partly filled batch, if any rows are left. Throws when the stream ended early. */
  end(): RecordBatch | undefined {
    if (!this.finished && (this.pending?.length ?? 0) > 0) {
      throw new SpokeError(ErrorCode.SOURCE_UNAVAILABLE, 'binary COPY stream ended in the middle of a row');
    }
    return this.rows > 0 ? this.flush() : undefined;
  }

  /** Appends one row given as binary field values (the cursor path); `null` for NULL. */
  appendRow(values: readonly (Uint8Array | null)[]): RecordBatch | undefined {
    for (let i = 0; i < this.builders.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) this.builders[i]!.appendNull();
      else this.builders[i]!.append(v, new DataView(v.buffer, v.byteOffset, v.byteLength), 0, v.length);
    }
    this.rows++;
    return this.rows >= this.batchRows ? this.flush() : undefined;
  }

  private flush(): RecordBatch {
    const length = this.rows;
    const children = this.builders.map((b) => b.finish());
    this.rows = 0;
    this.totalRows += length;
    const data = arrow.makeData({
      type: new arrow.Struct(this.schema.fields),
      length,
      nullCount: 0,
      children,
    });
    return new arrow.RecordBatch(this.schema, data);
  }
}
