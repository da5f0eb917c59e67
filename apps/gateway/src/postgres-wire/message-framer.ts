/**
 * Cuts a connection's byte stream into protocol messages: before startup,
 * length-prefixed packets (SSLRequest, StartupMessage, CancelRequest); after,
 * a type byte then the length.
 *
 * Bytes are kept as the chunks the socket delivered and joined once per
 * complete message, so a large message costs one copy, not one per chunk.
 * A Query or Parse message whose statement is over the statement limit
 * (`limits.max_query_bytes`) is not kept at all: it is reported as soon as
 * its header arrives and its bytes are dropped as they come, so a 100 MB
 * Query costs no memory and the connection stays usable.
 */

/** Query ('Q'). */
export const QUERY = 0x51;
/** Parse ('P'). */
export const PARSE = 0x50;

/**
 * Room a Parse message needs beside its statement: the statement name (1 KB
 * is far more than PostgreSQL's 63-byte names), two NULs, and up to 65,535
 * parameter type OIDs.
 */
const PARSE_OVERHEAD = 1024 + 2 + 2 + 4 * 65_535;

/** What {@link MessageFramer.next} found. */
export type Frame =
  /** A whole message: type byte (after startup), length, body. */
  | { readonly kind: 'message'; readonly data: Buffer }
  /** A length no PostgreSQL client sends (garbage, another protocol, over the largest message): close the connection. */
  | { readonly kind: 'invalid'; readonly length: number }
  /** A Query or Parse whose body (`bytes`) is over the statement limit; its bytes are being dropped. */
  | { readonly kind: 'oversized'; readonly type: number; readonly bytes: number };

/** Bounds on what {@link MessageFramer} accepts. */
export interface FramerLimits {
  /** Largest packet before startup (PostgreSQL's is 10,000 bytes). */
  readonly maxStartupLength: number;
  /** Largest message after startup, length field included. */
  readonly maxMessageLength: number;
}

/** The framing state of one connection. */
export class MessageFramer {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of an oversized message still to drop as they arrive. */
  #skip = 0;

  constructor(private readonly limits: FramerLimits) {}

  /** Bytes received and not yet framed (dropped bytes excluded). */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds bytes from the socket. */
  push(data: Buffer): void {
    if (this.#skip > 0) {
      const dropped = Math.min(this.#skip, data.length);
      this.#skip -= dropped;
      data = data.subarray(dropped);
    }
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.#buffered += data.length;
  }

  /** Forgets everything buffered (the connection is closing). */
  clear(): void {
    this.#chunks = [];
    this.#buffered = 0;
  }

  /**
   * The next message, or `undefined` until more bytes arrive.
   *
   * @param started - whether the startup packet has been read (messages then have a type byte)
   * @param statementLimit - refuse Query/Parse messages whose statement is larger (absent: no limit but the message length)
   */
  next(started: boolean, statementLimit?: number): Frame | undefined {
    const header = started ? 1 : 0;
    if (this.#buffered < header + 4) return undefined;
    const head = this.#head(header + 4);
    const length = head.readUInt32BE(header);
    const total = header + length;
    const type = head[0]!;
    if (started && statementLimit !== undefined && (type === QUERY || type === PARSE) && length >= 4) {
      // Query: the text and its NUL. Parse: name, text, parameter types. Dropped whatever
      // its size (it is never held), so the session survives even a message over the largest.
      const body = length - 4;
      const allowed = type === QUERY ? statementLimit + 1 : statementLimit + PARSE_OVERHEAD;
      if (body > allowed) {
        this.#drop(total);
        return { kind: 'oversized', type, bytes: type === QUERY ? body - 1 : body };
      }
    }
    if (
      length < 4 ||
      (!started && (length < 8 || length > this.limits.maxStartupLength)) ||
      length > this.limits.maxMessageLength
    )
      return { kind: 'invalid', length };
    if (this.#buffered < total) return undefined;
    return { kind: 'message', data: this.#take(total) };
  }

  /** The first chunk, joined with the next ones until it holds at least `n` bytes (n is a header: a few bytes). */
  #head(n: number): Buffer {
    while (this.#chunks[0]!.length < n) {
      const [a, b, ...rest] = this.#chunks;
      this.#chunks = [Buffer.concat([a!, b!]), ...rest];
    }
    return this.#chunks[0]!;
  }

  /** Removes and returns the first `n` buffered bytes (`n` ≤ buffered). */
  #take(n: number): Buffer {
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    const first = this.#chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#buffered -= n;
    return out;
  }

  /** Drops the first `n` bytes of the stream: those buffered now, the rest as they arrive. */
  #drop(n: number): void {
    let left = n;
    while (left > 0 && this.#chunks.length > 0) {
      const first = this.#chunks[0]!;
      if (first.length <= left) {
        left -= first.length;
        this.#buffered -= first.length;
        this.#chunks.shift();
      } else {
        this.#chunks[0] = first.subarray(left);
        this.#buffered -= left;
        left = 0;
      }
    }
    this.#skip = left;
  }
}
