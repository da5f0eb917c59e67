/**
 * A growable output buffer for building protocol messages without a Buffer
 * per value: DataRow encoding writes every field of a batch into one of these.
 */
export class ByteBuffer {
  private buffer: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(initialSize = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const needed = this.length + n;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  int16(value: number): void {
    this.ensure(2);
    this.buffer.writeInt16BE(value, this.length);
    this.length += 2;
  }

  int32(value: number): void {
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.length);
    this.length += 4;
  }

  /** Overwrites an int32 written earlier (message lengths are known only at the end). */
  setInt32(offset: number, value: number): void {
    this.buffer.writeInt32BE(value, offset);
  }

  int64(value: bigint): void {
    this.ensure(8);
    this.buffer.writeBigInt64BE(value, this.length);
    this.length += 8;
  }

  float32(value: number): void {
    this.ensure(4);
    this.buffer.writeFloatBE(value, this.length);
    this.length += 4;
  }

  float64(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleBE(value, this.length);
    this.length += 8;
  }

  bytes(source: Uint8Array, start = 0, end = source.length): void {
    const n = end - start;
    this.ensure(n);
    this.buffer.set(source.subarray(start, end), this.length);
    this.length += n;
  }

  /** Writes a NUL-terminated UTF-8 string. */
  cstring(value: string): void {
    const n = Buffer.byteLength(value);
    this.ensure(n + 1);
    this.buffer.write(value, this.length, 'utf8');
    this.length += n;
    this.buffer[this.length++] = 0;
  }

  /** Writes a field value as an int32 byte length followed by its UTF-8 text. */
  lengthPrefixedText(value: string): void {
    const n = Buffer.byteLength(value);
    this.ensure(n + 4);
    this.buffer.writeInt32BE(n, this.length);
    this.buffer.write(value, this.length + 4, 'utf8');
    this.length += n + 4;
  }

  /** Starts a message: type byte and a length placeholder; returns the length's offset for {@link endMessage}. */
  beginMessage(type: number): number {
    this.byte(type);
    const at = this.length;
    this.int32(0);
    return at;
  }

  endMessage(lengthOffset: number): void {
    this.setInt32(lengthOffset, this.length - lengthOffset);
  }

  /** The bytes written, copied out; the buffer is emptied for reuse. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return out;
  }
}
