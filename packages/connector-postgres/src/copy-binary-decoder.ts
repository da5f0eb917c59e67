/**
 * Incremental decoder for `COPY … TO STDOUT (FORMAT binary)`: feed it the
 * stream's chunks as they arrive (split anywhere), take RecordBatches of
 * about `batchRows` rows as they fill.
 *
 * Format: the 11-byte signature `PGCOPY\n\377\r\n\0`, int32 flags, int32
 * header-extension length and the extension; then per row an int16 field
 * count (-1 ends the data) and per field an int32 length (-1 for NULL) and
 * the value's binary form. All integers are big-endian.
 *
 * Whole rows are decoded where they lie in the chunk by a loop generated for
 * the column types (row-decoder-generator.ts). Only a row split across
 * chunks is copied, into a small carry buffer, and completed from the next
 * chunk: never the whole remainder joined with the next chunk.
 */
import { arrow, ErrorCode, type RecordBatch, recordBatch, type Schema, SpokeError } from '@spoke/core';
import { BufferArena, type ColumnBuilder, createColumnBuilder } from './arrow-column-builders.js';
import type { PgType } from './postgres-type-mapping.js';
import { type RowDecoder, type RowSink, rowDecoderFor } from './row-decoder-generator.js';

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const HEADER_BYTES = 19;

/** Streams binary COPY data into Arrow record batches. */
export class CopyBinaryDecoder implements RowSink {
  readonly builders: ColumnBuilder[];
  /** Rows in the batch being filled. */
  rows = 0;
  /** Rows decoded so far (in batches handed out). */
  totalRows = 0;
  /** True once the header is read and no partial row is carried: whole rows can be decoded in place. */
  ready = false;
  /** True once the trailer (field count -1) was read. */
  finished = false;
  readonly batchRows: number;
  private headerDone = false;
  /** A row (or the header) split across chunks: its first `carryLength` bytes. */
  private carry: Uint8Array;
  private carryView: DataView;
  private carryLength = 0;
  private readonly decodeRows: RowDecoder;
  private readonly decodeFramedRows: RowDecoder;
  private readonly out: RecordBatch[] = [];

  constructor(
    readonly schema: Schema,
    types: readonly PgType[],
    batchRows = 65_536,
  ) {
    this.batchRows = batchRows;
    const arena = new BufferArena();
    this.builders = types.map((t) => createColumnBuilder(t, batchRows, arena));
    this.carry = arena.bytes(256);
    this.carryView = new DataView(this.carry.buffer, this.carry.byteOffset, this.carry.byteLength);
    this.decodeRows = rowDecoderFor(types, false);
    this.decodeFramedRows = rowDecoderFor(types, true);
  }

  /** Decodes what `chunk` completes; returns the batches that filled up. */
  push(chunk: Uint8Array): RecordBatch[] {
    this.write(chunk, 0, chunk.length);
    return this.takeBatches();
  }

  /** The batches filled since the last call. */
  takeBatches(): RecordBatch[] {
    return this.out.length === 0 ? [] : this.out.splice(0, this.out.length);
  }

  /** True when batches are waiting in {@link takeBatches}. */
  get hasBatches(): boolean {
    return this.out.length > 0;
  }

  /** Decodes the COPY data in `buf[start, end)` (batches that fill up wait in {@link takeBatches}). */
  write(buf: Uint8Array, start: number, end: number): void {
    let p = start;
    if (!this.ready) {
      p = this.fillCarry(buf, p, end);
      if (!this.ready) return;
    }
    if (p >= end || this.finished) return;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (;;) {
      p = this.decodeRows(buf, view, p, end, this);
      if (this.rows >= this.batchRows) {
        this.out.push(this.flush());
        continue;
      }
      if (p >= end) return;
      // Stopped before a row that is not whole here: the trailer, a bad row, or one split across chunks.
      if (p + 2 <= end && this.rowStart(view, p)) return;
      this.ready = false;
      this.fillCarry(buf, p, end);
      return;
    }
  }

  /**
   * Decodes rows that each fill one CopyData protocol message (`'d'`, int32
   * length, the row), starting at a message boundary at `p` of a raw
   * protocol chunk; returns where it stopped (a message it did not take).
   * Only when {@link ready}.
   */
  writeFramed(buf: Uint8Array, view: DataView, p: number, end: number): number {
    for (;;) {
      p = this.decodeFramedRows(buf, view, p, end, this);
      if (this.rows < this.batchRows) return p;
      this.out.push(this.flush());
    }
  }

  /** At a row start in `view`: true (and finished) for the trailer; throws for a bad field count. */
  private rowStart(view: DataView, p: number): boolean {
    const fields = view.getInt16(p);
    if (fields === -1) {
      this.finished = true;
      return true;
    }
    if (fields !== this.builders.length) {
      throw new SpokeError(
        ErrorCode.INTERNAL,
        `binary COPY row has ${fields} fields, expected ${this.builders.length}`,
      );
    }
    return false;
  }

  /**
   * Copies into the carry buffer only the bytes the pending header or row
   * still needs, decodes it once whole, and returns the position after the
   * bytes taken. Sets {@link ready} when the carry is empty again.
   */
  private fillCarry(buf: Uint8Array, p: number, end: number): number {
    for (;;) {
      const need = this.carryNeeds();
      if (this.carryLength >= need) {
        this.completeCarried();
        return p;
      }
      if (p >= end) return p;
      const take = Math.min(need - this.carryLength, end - p);
      if (this.carryLength + take > this.carry.length) {
        const next = new Uint8Array(Math.max(this.carry.length * 2, this.carryLength + take));
        next.set(this.carry.subarray(0, this.carryLength));
        this.carry = next;
        this.carryView = new DataView(next.buffer);
      }
      this.carry.set(buf.subarray(p, p + take), this.carryLength);
      this.carryLength += take;
      p += take;
    }
  }

  /** Bytes the carried header or row needs in all: its size once known, else enough to learn more. */
  private carryNeeds(): number {
    const have = this.carryLength;
    const view = this.carryView;
    if (!this.headerDone) return have < HEADER_BYTES ? HEADER_BYTES : HEADER_BYTES + view.getInt32(15);
    if (have < 2) return 2;
    if (this.rowStart(view, 0)) return 2;
    let q = 2;
    for (let i = 0; i < this.builders.length; i++) {
      if (have < q + 4) return q + 4;
      q += 4 + Math.max(view.getInt32(q), 0);
    }
    return q;
  }

  private completeCarried(): void {
    const carry = this.carry;
    if (!this.headerDone) {
      for (let i = 0; i < SIGNATURE.length; i++) {
        if (carry[i] !== SIGNATURE[i])
          throw new SpokeError(ErrorCode.SOURCE_ERROR, 'not a PostgreSQL binary COPY stream');
      }
      this.headerDone = true;
    } else if (!this.finished) {
      const p = this.decodeRows(carry, this.carryView, 0, this.carryLength, this);
      if (p !== this.carryLength)
        throw new SpokeError(ErrorCode.INTERNAL, 'binary COPY row could not be decoded');
      if (this.rows >= this.batchRows) this.out.push(this.flush());
    }
    this.carryLength = 0;
    this.ready = true;
  }

  /** The last, partly filled batch, if any rows are left. Throws when the stream ended early. */
  end(): RecordBatch | undefined {
    if (!this.finished && this.carryLength > 0) {
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
    return recordBatch(this.schema, data);
  }
}
