/**
 * Arrow IPC framing for Flight. A Flight stream carries one IPC message per
 * FlightData: `data_header` is the flatbuffer `Message`, `data_body` its
 * body. The bytes come from apache-arrow's own IPC stream writer, cut at
 * message boundaries, so column buffers are copied, never re-encoded value
 * by value. The reverse (FlightData → IPC stream) is for clients.
 */
import { arrow, type RecordBatch, recordBatch, type Schema } from '@spoke/core';
import type { FlightData } from './flight-messages.js';

/** One encapsulated IPC message. */
export interface IpcMessage {
  /** `arrow.MessageHeader`: Schema, DictionaryBatch or RecordBatch. */
  readonly type: number;
  /** The flatbuffer `Message` (padded to 8 bytes, as the writer framed it). */
  readonly header: Uint8Array;
  readonly body: Uint8Array;
}

const CONTINUATION = 0xffffffff;
/** The end-of-stream marker: continuation, then a zero length. */
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** A batch body bigger than this is sent as several smaller batches (gRPC clients default to 4 MiB messages). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Cuts an IPC stream (as `RecordBatchStreamWriter` writes it) into its messages; stops at end-of-stream. */
export function splitIpcStream(bytes: Uint8Array): IpcMessage[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: IpcMessage[] = [];
  let pos = 0;
  while (pos + 4 <= bytes.byteLength) {
    let length = view.getUint32(pos, true);
    pos += 4;
    if (length === CONTINUATION) {
      if (pos + 4 > bytes.byteLength) break;
      length = view.getInt32(pos, true);
      pos += 4;
    }
    if (length === 0) break;
    const header = bytes.subarray(pos, pos + length);
    pos += length;
    const message = arrow.Message.decode(header);
    const body = bytes.subarray(pos, pos + message.bodyLength);
    pos += message.bodyLength;
    out.push({ type: message.headerType, header, body });
  }
  return out;
}

/** A schema as an encapsulated IPC message (continuation, length, flatbuffer), as FlightInfo.schema wants it. */
export function encodeSchema(schema: Schema): Uint8Array {
  const writer = new arrow.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  writer.finish();
  const bytes = writer.toUint8Array(true);
  // Everything up to the end-of-stream marker: the schema message alone.
  return bytes.slice(0, bytes.byteLength - END_OF_STREAM.byteLength);
}

/** Reads a schema encoded by {@link encodeSchema} (or any Flight server). */
export function decodeSchema(bytes: Uint8Array): Schema {
  const stream = new Uint8Array(bytes.byteLength + END_OF_STREAM.byteLength);
  stream.set(bytes, 0);
  stream.set(END_OF_STREAM, bytes.byteLength);
  const reader = arrow.RecordBatchReader.from(stream);
  reader.open();
  return reader.schema;
}

/** The FlightData that opens a stream: its schema. */
export function schemaFlightData(schema: Schema): FlightData {
  const [message] = splitIpcStream(encodeSchema(schema));
  return { data_header: message!.header, data_body: new Uint8Array(0) };
}

function byteSize(batch: RecordBatch): number {
  return batch.data.byteLength;
}

/**
 * The FlightData for one batch: its dictionary batches (if any) then the
 * record batch; a batch bigger than `maxBodyBytes` is cut into slices first.
 * `schema` is the stream's schema, which the batch is re-labelled with (the
 * writer refuses a batch whose schema differs only in metadata or nullability).
 */
export function batchFlightData(
  batch: RecordBatch,
  schema: Schema,
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
): FlightData[] {
  const labelled = batch.schema === schema ? batch : recordBatch(schema, batch.data);
  const parts = Math.min(labelled.numRows, Math.ceil(byteSize(labelled) / maxBodyBytes));
  const slices: RecordBatch[] = [];
  if (parts <= 1) slices.push(labelled);
  else {
    const rows = Math.ceil(labelled.numRows / parts);
    for (let start = 0; start < labelled.numRows; start += rows)
      slices.push(labelled.slice(start, start + rows));
  }
  const out: FlightData[] = [];
  for (const slice of slices) {
    const bytes = arrow.RecordBatchStreamWriter.writeAll([slice]).toUint8Array(true);
    for (const message of splitIpcStream(bytes)) {
      if (message.type === arrow.MessageHeader.Schema) continue; // sent once, first
      out.push({ data_header: message.header, data_body: message.body });
    }
  }
  return out;
}

/** Reassembles FlightData messages into an IPC stream that `arrow.RecordBatchReader` / `tableFromIPC` read. */
export function flightDataToIpc(messages: readonly FlightData[]): Uint8Array {
  let size = END_OF_STREAM.byteLength;
  for (const m of messages) size += 8 + pad8(m.data_header.byteLength) + m.data_body.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const m of messages) {
    if (m.data_header.byteLength === 0) continue; // app_metadata-only messages carry no IPC
    const headerLength = pad8(m.data_header.byteLength);
    view.setUint32(pos, CONTINUATION, true);
    view.setInt32(pos + 4, headerLength, true);
    out.set(m.data_header, pos + 8);
    pos += 8 + headerLength;
    // The header's bodyLength says how many bytes follow: the body goes in as is, unpadded.
    out.set(m.data_body, pos);
    pos += m.data_body.byteLength;
  }
  out.set(END_OF_STREAM, pos);
  return out.subarray(0, pos + END_OF_STREAM.byteLength);
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}
