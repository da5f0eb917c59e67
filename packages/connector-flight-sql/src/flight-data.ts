/**
 * Arrow IPC framing for Flight: each FlightData carries one IPC message
 * (`data_header` the flatbuffer `Message`, `data_body` its body). Incoming
 * messages are re-framed as an IPC stream and read by apache-arrow's own
 * stream reader as they arrive, so a result is decoded batch by batch,
 * never held whole; parameters go out the same way in reverse.
 */
import {
  arrow,
  ErrorCode,
  type RecordBatch,
  type ScalarValue,
  type Schema,
  SpokeError,
  type Table,
} from '@spoke/core';

/** The FlightData fields this package reads and writes. */
export interface FlightData {
  readonly flight_descriptor?: unknown;
  readonly data_header: Uint8Array;
  readonly data_body: Uint8Array;
  readonly app_metadata?: Uint8Array;
}

const CONTINUATION = 0xffffffff;
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** One FlightData as an encapsulated IPC message (continuation, length, padded header, body). */
function frame(data: FlightData): Uint8Array {
  const headerLength = pad8(data.data_header.byteLength);
  const out = new Uint8Array(8 + headerLength + data.data_body.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, headerLength, true);
  out.set(data.data_header, 8);
  out.set(data.data_body, 8 + headerLength);
  return out;
}

async function* ipcBytes(messages: AsyncIterable<FlightData>): AsyncGenerator<Uint8Array> {
  for await (const data of messages) {
    // app_metadata-only messages carry no IPC.
    if (data.data_header && data.data_header.byteLength > 0) yield frame(data);
  }
  yield END_OF_STREAM;
}

/** The record batches of a DoGet stream, decoded as they arrive. */
export async function* recordBatchesOf(messages: AsyncIterable<FlightData>): AsyncGenerator<RecordBatch> {
  const reader = await arrow.RecordBatchReader.from(ipcBytes(messages));
  for await (const batch of reader) yield batch;
}

/** A whole DoGet stream as a table with the stream's own schema (even when it has no batches). */
export async function tableOf(messages: AsyncIterable<FlightData>): Promise<Table> {
  const reader = await arrow.RecordBatchReader.from(ipcBytes(messages));
  await reader.open();
  const batches: RecordBatch[] = [];
  for await (const batch of reader) batches.push(batch);
  return new arrow.Table(reader.schema, batches);
}

/** A table as the FlightData of a stream: its schema message, then its batches. */
export function tableFlightData(table: Table): FlightData[] {
  return splitIpcStream(arrow.tableToIPC(table, 'stream'));
}

/** One batch as the FlightData of a stream of its own: its schema message, then the batch (and any dictionaries). */
export function batchFlightData(batch: RecordBatch): FlightData[] {
  return splitIpcStream(arrow.tableToIPC(new arrow.Table([batch]), 'stream'));
}

/** A stream with no batches: the schema message alone. */
export function schemaFlightData(schema: Schema): FlightData {
  return splitIpcStream(arrow.tableToIPC(new arrow.Table(schema), 'stream'))[0]!;
}

/** A schema as FlightInfo.schema carries it: the encapsulated IPC Schema message alone. */
export function encodeSchema(schema: Schema): Uint8Array {
  const bytes = arrow.tableToIPC(new arrow.Table(schema), 'stream');
  return bytes.slice(0, bytes.byteLength - END_OF_STREAM.byteLength);
}

/** Reads a schema as FlightInfo/SchemaResult/GetTables carry it (an encapsulated IPC Schema message). */
export function decodeSchema(bytes: Uint8Array): Schema {
  // Some servers send the 4-byte length without the continuation marker: both read as a stream.
  const stream = new Uint8Array(bytes.byteLength + END_OF_STREAM.byteLength);
  stream.set(bytes, 0);
  stream.set(END_OF_STREAM, bytes.byteLength);
  const reader = arrow.RecordBatchReader.from(stream);
  reader.open();
  return reader.schema;
}

/** Cuts an IPC stream into its messages (as FlightData), stopping at end-of-stream. */
function splitIpcStream(bytes: Uint8Array): FlightData[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: FlightData[] = [];
  let pos = 0;
  while (pos + 4 <= bytes.byteLength) {
    let length = view.getUint32(pos, true);
    pos += 4;
    if (length === CONTINUATION) {
      length = view.getInt32(pos, true);
      pos += 4;
    }
    if (length === 0) break;
    const header = bytes.subarray(pos, pos + length);
    pos += length;
    const bodyLength = Number(arrow.Message.decode(header).bodyLength);
    out.push({ data_header: header, data_body: bytes.subarray(pos, pos + bodyLength) });
    pos += bodyLength;
  }
  return out;
}

/** The Arrow type a bound value travels as (the remote's cast decides its SQL type). */
function parameterType(value: ScalarValue, index: number): InstanceType<typeof arrow.DataType> {
  if (value === null) return new arrow.Null();
  switch (typeof value) {
    case 'boolean':
      return new arrow.Bool();
    case 'bigint':
      return new arrow.Int64();
    case 'number':
      return Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1
        ? new arrow.Int32()
        : new arrow.Float64();
    case 'string':
      return new arrow.Utf8();
    default:
      if (value instanceof Uint8Array) return new arrow.Binary();
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `parameter $${index + 1}: list values cannot be bound over Flight SQL`,
      );
  }
}

/** One row of parameters (column i for `$i+1`) as the FlightData of a DoPut stream. */
export function parameterFlightData(values: readonly ScalarValue[]): FlightData[] {
  const columns: Record<string, InstanceType<typeof arrow.Vector>> = {};
  values.forEach((value, i) => {
    columns[`$${i + 1}`] = arrow.vectorFromArray([value], parameterType(value, i) as never);
  });
  const table = new arrow.Table(columns);
  return splitIpcStream(arrow.tableToIPC(table, 'stream'));
}
