/**
 * `COPY … TO STDOUT (FORMAT binary)` read straight off the connection's
 * socket into a {@link CopyBinaryDecoder}, as a node-postgres submittable.
 *
 * Like pg-copy-streams, it takes the socket's `data` listener from pg's
 * protocol parser for the duration of the COPY and gives it back (with the
 * bytes not consumed) at CopyDone or at an ErrorResponse, so pg handles
 * CommandComplete, errors and ReadyForQuery as usual. Unlike it, there is no
 * intermediate Readable: the protocol framing is parsed in place and each
 * socket chunk's rows — one CopyData message per row — are decoded where they
 * lie by the decoder's generated loop, with no per-row Buffer, no joined
 * chunks and no stream machinery per chunk. Backpressure: the socket is
 * paused while two batches wait for the consumer.
 */
import type { RecordBatch } from '@spoke/core';
import type { CopyBinaryDecoder } from './copy-binary-decoder.js';

/** The part of pg's `Connection` used: its socket and the simple query protocol. */
interface PgConnection {
  readonly stream: PgSocket;
  query(text: string): void;
}

type DataListener = (chunk: Buffer) => void;

interface PgSocket {
  listeners(event: 'data'): DataListener[];
  on(event: 'data', listener: DataListener): unknown;
  removeListener(event: 'data', listener: DataListener): unknown;
  pause(): unknown;
  resume(): unknown;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const COPY_OUT_RESPONSE = 0x48; // 'H'
const NOTICE = 0x4e; // 'N'
const PARAMETER_STATUS = 0x53; // 'S'
const NOTIFICATION = 0x41; // 'A'
/** Batches decoded ahead of the consumer before the socket is paused. */
const QUEUED_BATCHES = 2;

/** A binary COPY out whose batches are pulled with {@link nextBatch}. */
export class CopyOutQuery {
  private connection: PgConnection | undefined;
  private pgListener: DataListener | undefined;
  private readonly onData = (chunk: Buffer) => this.feed(chunk);
  private readonly queue: RecordBatch[] = [];
  private paused = false;
  private attached = false;
  private copyDone = false;
  private ended = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  /** Body bytes left in the current protocol message, and its type. */
  private remaining = 0;
  private code = 0;
  /** A message header (type, int32 length) split across chunks. */
  private readonly header = Buffer.alloc(5);
  private headerLength = 0;

  constructor(
    readonly text: string,
    private readonly decoder: CopyBinaryDecoder,
  ) {}

  /** Called by pg when the query's turn comes; a returned error fails the query. */
  submit(connection: PgConnection): Error | undefined {
    this.connection = connection;
    const listeners = connection.stream.listeners('data');
    if (listeners.length !== 1)
      return new Error(`expected one data listener on the socket, found ${listeners.length}`);
    this.pgListener = listeners[0]!;
    connection.stream.removeListener('data', this.pgListener);
    connection.stream.on('data', this.onData);
    this.attached = true;
    connection.query(this.text);
    return undefined;
  }

  /** The next batch; `undefined` once the COPY completed. Rejects with the query's or the connection's error. */
  async nextBatch(): Promise<RecordBatch | undefined> {
    for (;;) {
      const batch = this.queue.shift();
      if (batch) {
        if (this.paused && this.queue.length < QUEUED_BATCHES) {
          this.paused = false;
          this.connection?.stream.resume();
        }
        return batch;
      }
      if (this.error !== undefined) throw this.error;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Stops delivering (abort, early stop): the caller cancels the backend and discards the connection. */
  destroy(error?: unknown): void {
    this.error ??= error ?? new Error('COPY stopped');
    this.queue.length = 0;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Parses the protocol messages in one socket chunk. */
  private feed(chunk: Buffer): void {
    try {
      this.parse(chunk);
    } catch (error) {
      // Undecodable data: stop reading; the connection is discarded by the caller.
      this.error ??= error;
      this.connection?.stream.pause();
      this.notify();
      return;
    }
    if (this.decoder.hasBatches) {
      for (const batch of this.decoder.takeBatches()) this.queue.push(batch);
      if (this.queue.length >= QUEUED_BATCHES && this.attached && !this.paused) {
        this.paused = true;
        this.connection?.stream.pause();
      }
      this.notify();
    }
  }

  private parse(chunk: Buffer): void {
    const decoder = this.decoder;
    const end = chunk.length;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let p = 0;
    while (p < end) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, end - p);
        if (this.code === COPY_DATA && this.error === undefined) decoder.write(chunk, p, p + n);
        p += n;
        this.remaining -= n;
        continue;
      }
      // At a message boundary. The common case: whole rows, one per CopyData message.
      if (this.headerLength === 0 && decoder.ready && !decoder.finished && this.error === undefined) {
        p = decoder.writeFramed(chunk, view, p, end);
        if (p >= end) return;
      }
      let start = p;
      if (this.headerLength > 0 || end - p < 5) {
        const take = Math.min(5 - this.headerLength, end - p);
        chunk.copy(this.header, this.headerLength, p, p + take);
        this.headerLength += take;
        p += take;
        if (this.headerLength < 5) return;
        this.headerLength = 0;
        this.code = this.header[0]!;
        this.remaining = this.header.readInt32BE(1) - 4;
        start = -1;
      } else {
        this.code = chunk[p]!;
        this.remaining = view.getInt32(p + 1) - 4;
        p += 5;
      }
      switch (this.code) {
        case COPY_DATA:
        case COPY_OUT_RESPONSE:
        case NOTICE:
        case PARAMETER_STATUS:
        case NOTIFICATION:
          break;
        case COPY_DONE:
          this.copyDone = true;
          this.detach(chunk.subarray(Math.min(end, p + this.remaining)));
          this.remaining = 0;
          this.finishCopy();
          return;
        default: {
          // ErrorResponse (or anything unexpected): pg parses it from its header on.
          const rest = start >= 0 ? chunk.subarray(start) : Buffer.concat([this.header, chunk.subarray(p)]);
          this.remaining = 0;
          this.detach(rest);
          return;
        }
      }
    }
  }

  private finishCopy(): void {
    try {
      // Batches that filled up in this chunk come before the last, partial one.
      for (const batch of this.decoder.takeBatches()) this.queue.push(batch);
      const last = this.decoder.end();
      if (last) this.queue.push(last);
    } catch (error) {
      this.error ??= error;
    }
  }

  /** Gives the socket back to pg's parser with the bytes we did not consume. */
  private detach(rest: Buffer): void {
    if (!this.attached || !this.connection || !this.pgListener) return;
    this.attached = false;
    const stream = this.connection.stream;
    stream.removeListener('data', this.onData);
    stream.on('data', this.pgListener);
    if (this.paused) {
      this.paused = false;
      stream.resume();
    }
    if (rest.length > 0) this.pgListener(rest);
  }

  /** pg: the statement failed, or the connection did. */
  handleError(error: unknown): void {
    this.error ??= error;
    this.notify();
  }

  /** pg: CommandComplete (`COPY n`). */
  handleCommandComplete(): void {}

  /** pg: the connection is ready for the next statement; the COPY is over. */
  handleReadyForQuery(): void {
    if (!this.copyDone && this.error === undefined) this.error = new Error('COPY ended without CopyDone');
    this.ended = true;
    this.notify();
  }

  /** pg: messages a COPY never produces (the statement was not a COPY TO). */
  handleRowDescription(): void {
    this.unexpected();
  }
  handleDataRow(): void {
    this.unexpected();
  }
  handleEmptyQuery(): void {
    this.unexpected();
  }
  handlePortalSuspended(): void {
    this.unexpected();
  }
  handleCopyInResponse(): void {
    this.unexpected();
  }
  handleCopyData(): void {
    this.unexpected();
  }

  private unexpected(): void {
    this.error ??= new Error('unexpected message during COPY TO STDOUT');
    this.notify();
  }
}
