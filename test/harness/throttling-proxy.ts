/**
 * A throttling TCP proxy for tests and benchmarks: listens on a free loopback
 * port and forwards every connection to a target, delaying each direction by
 * a one-way latency and limiting it to a bandwidth, as a wide-area link
 * between two gateways would. It counts the bytes each way and can keep a
 * copy of everything sent upstream, so a test can prove that no value of a
 * table ever left for the remote.
 *
 * The link is modelled as a serial pipe per direction and connection: a chunk
 * starts transmitting when it arrives and the pipe is free, occupies the pipe
 * for `bytes / bytesPerSecond`, and is delivered `latencyMs` after it has
 * been transmitted. Reading from the sender pauses while too much is queued,
 * so a slow link pushes back on the sender instead of buffering without limit.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One direction of the link. Absent fields mean "no limit". */
export interface LinkProfile {
  /** One-way delay added to every chunk, in milliseconds. */
  readonly latencyMs?: number;
  /** Throughput cap in bytes per second. */
  readonly bytesPerSecond?: number;
}

/** Options for {@link startThrottlingProxy}. */
export interface ThrottlingProxyOptions {
  /** Where connections are forwarded. */
  readonly target: { readonly host: string; readonly port: number };
  /** Client → target. */
  readonly upstream?: LinkProfile;
  /** Target → client. */
  readonly downstream?: LinkProfile;
  /** Keep a copy of every byte sent upstream ({@link ThrottlingProxy.captured}). Default false. */
  readonly capture?: boolean;
}

/** A running proxy. */
export interface ThrottlingProxy {
  readonly host: string;
  readonly port: number;
  /** `host:port`, what a client connects to instead of the target. */
  readonly address: string;
  /** Bytes forwarded client → target since start or the last {@link reset}. */
  readonly bytesUp: number;
  /** Bytes forwarded target → client since start or the last {@link reset}. */
  readonly bytesDown: number;
  /** Connections accepted since start or the last {@link reset}. */
  readonly connections: number;
  /** Everything sent upstream since start or the last {@link reset} (empty unless `capture`). */
  captured(): Buffer;
  /** Changes the link profile; applies to chunks that arrive from now on. */
  setProfile(profile: { readonly upstream?: LinkProfile; readonly downstream?: LinkProfile }): void;
  /** Zeroes the counters and drops the capture. */
  reset(): void;
  /** Stops listening and cuts every open connection. Safe to call twice. */
  close(): Promise<void>;
}

/** How much may wait in one direction's queue before the sender is paused. */
const HIGH_WATER_BYTES = 256 * 1024;

/** One direction of one connection: a FIFO of chunks, each with its delivery time. */
class LinkDirection {
  readonly #queue: { readonly due: number; readonly chunk: Buffer }[] = [];
  #queued = 0;
  #pipeFreeAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly profile: () => LinkProfile,
    private readonly onChunk: (chunk: Buffer) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.#accept(chunk));
    from.on('end', () => {
      this.#ended = true;
      this.#pump();
    });
  }

  #accept(chunk: Buffer): void {
    const { latencyMs = 0, bytesPerSecond } = this.profile();
    const now = performance.now();
    const start = Math.max(now, this.#pipeFreeAt);
    const transmit = bytesPerSecond ? (chunk.byteLength * 1000) / bytesPerSecond : 0;
    this.#pipeFreeAt = start + transmit;
    this.#queue.push({ due: this.#pipeFreeAt + latencyMs, chunk });
    this.#queued += chunk.byteLength;
    if (this.#queued > HIGH_WATER_BYTES) this.from.pause();
    this.#pump();
  }

  #pump(): void {
    if (this.#timer) return;
    const now = performance.now();
    while (this.#queue.length > 0 && this.#queue[0]!.due <= now) {
      const { chunk } = this.#queue.shift()!;
      this.#queued -= chunk.byteLength;
      this.onChunk(chunk);
      if (!this.to.destroyed) this.to.write(chunk);
    }
    if (this.#queued <= HIGH_WATER_BYTES && this.from.isPaused() && !this.from.destroyed) this.from.resume();
    const head = this.#queue[0];
    if (head) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.#pump();
        },
        Math.max(0, head.due - now),
      );
    } else if (this.#ended && !this.to.destroyed) {
      this.to.end();
    }
  }

  /** Drops what is queued (the connection is going away). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }
}

/** Starts a proxy on a free loopback port forwarding to `options.target`. */
export async function startThrottlingProxy(options: ThrottlingProxyOptions): Promise<ThrottlingProxy> {
  let upstream: LinkProfile = options.upstream ?? {};
  let downstream: LinkProfile = options.downstream ?? {};
  let bytesUp = 0;
  let bytesDown = 0;
  let connections = 0;
  let capture: Buffer[] = [];
  const open = new Set<Socket>();

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    client.pause();
    const target = connect({ port: options.target.port, host: options.target.host, allowHalfOpen: true });
    open.add(client);
    open.add(target);
    const up = new LinkDirection(
      client,
      target,
      () => upstream,
      (chunk) => {
        bytesUp += chunk.byteLength;
        if (options.capture) capture.push(Buffer.from(chunk));
      },
    );
    const down = new LinkDirection(
      target,
      client,
      () => downstream,
      (chunk) => {
        bytesDown += chunk.byteLength;
      },
    );
    const teardown = (): void => {
      up.stop();
      down.stop();
      client.destroy();
      target.destroy();
      open.delete(client);
      open.delete(target);
    };
    target.once('connect', () => client.resume());
    for (const socket of [client, target]) {
      socket.setNoDelay(true);
      socket.on('error', teardown);
      // A clean close travels as `end` through the queue (half-open sockets), so
      // data still on the link is delivered first; an error cuts both sides.
      socket.on('close', () => {
        if (client.destroyed && target.destroyed) teardown();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy did not bind a TCP port');
  const host = '127.0.0.1';
  const port = address.port;
  let closed = false;

  return {
    host,
    port,
    address: `${host}:${port}`,
    get bytesUp() {
      return bytesUp;
    },
    get bytesDown() {
      return bytesDown;
    },
    get connections() {
      return connections;
    },
    captured: () => Buffer.concat(capture),
    setProfile(profile) {
      if (profile.upstream) upstream = profile.upstream;
      if (profile.downstream) downstream = profile.downstream;
    },
    reset() {
      bytesUp = 0;
      bytesDown = 0;
      connections = 0;
      capture = [];
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const socket of open) socket.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
