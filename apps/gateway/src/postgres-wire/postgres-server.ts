/**
 * The Postgres wire listener: a `net.Server` whose sockets pg-gateway frames
 * into protocol messages, one {@link WireSession} (and one engine Session)
 * per connection, and CancelRequest routing by backend key.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { type Server, type Socket, createServer } from 'node:net';
import { PostgresConnection } from 'pg-gateway';
import type { QueryEngine } from '@spoke/planner';
import { WireSession } from './wire-session.js';

/** Options for {@link startPostgresServer}. */
export interface PostgresServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  readonly log?: (msg: string) => void;
}

/** A running listener. */
export interface RunningPostgresWire {
  /** The port actually listened on. */
  readonly port: number;
  /** Stops accepting, cancels running statements and closes every connection. */
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/**
 * pg-gateway's connection (SSLRequest answer, startup packet parsing, TLS
 * upgrade later), with the messages after startup handed to a
 * {@link WireSession}, which queues them and handles them strictly in order.
 *
 * Message framing is our own: pg-gateway 0.2.4 slices every message after the
 * first of a TCP chunk wrongly (`subarray(offset, length)` instead of
 * `subarray(offset, offset + length)`), which garbles pipelined extended
 * protocol messages (Parse/Bind/Describe/Execute/Sync arrive in one chunk).
 */
class SpokeConnection extends PostgresConnection {
  wire: WireSession | undefined;
  private unread: Buffer = Buffer.alloc(0);

  constructor(
    socket: Socket,
    private readonly server: WireServer,
  ) {
    // Trust authentication for now: the startup packet is answered by the session.
    super(socket, { authMode: 'none' });
  }

  override async handleData(data: Buffer): Promise<void> {
    this.unread = this.unread.length === 0 ? data : Buffer.concat([this.unread, data]);
    let offset = 0;
    while (true) {
      // Before startup, messages (SSLRequest, StartupMessage, CancelRequest) have no type byte.
      const header = this.hasStarted ? 1 : 0;
      if (this.unread.length - offset < header + 4) break;
      const total = header + this.unread.readUInt32BE(offset + header);
      if (this.unread.length - offset < total) break;
      const message = this.unread.subarray(offset, offset + total);
      offset += total;
      try {
        await this.handleMessage(message);
      } catch (error) {
        this.server.log(`postgres-wire: ${error instanceof Error ? error.message : String(error)}`);
        this.socket.destroy();
        return;
      }
    }
    this.unread = offset === this.unread.length ? Buffer.alloc(0) : this.unread.subarray(offset);
  }

  override async handleMessage(data: Buffer): Promise<void> {
    if (this.wire) return this.wire.receive(data);
    const code = data.length >= 8 ? data.readInt32BE(4) : 0;
    if (code === SSL_REQUEST) {
      // pg-gateway answers 'N' (no TLS configured yet) and keeps waiting for the startup packet.
      return super.handleMessage(data);
    }
    if (code === GSSENC_REQUEST) {
      this.socket.write('N');
      return;
    }
    if (code === CANCEL_REQUEST && data.length >= 16) {
      this.server.cancel(data.readInt32BE(8), data.readInt32BE(12));
      this.socket.end();
      return;
    }
    this.reader.setBuffer(0, data);
    const startup = this.readStartupMessage();
    if (startup.majorVersion !== 3) {
      this.sendError({ severity: 'FATAL', code: '0A000', message: `unsupported frontend protocol ${startup.majorVersion}.${startup.minorVersion}` });
      this.socket.end();
      return;
    }
    if (!startup.parameters.user) {
      this.sendError({ severity: 'FATAL', code: '28000', message: 'no PostgreSQL user name specified in startup packet' });
      this.socket.end();
      return;
    }
    this.clientInfo = {
      majorVersion: startup.majorVersion,
      minorVersion: startup.minorVersion,
      parameters: { ...startup.parameters, user: startup.parameters.user },
    };
    this.hasStarted = true;
    this.isAuthenticated = true;
    this.wire = this.server.open(this.socket);
    this.wire.start(startup.parameters);
  }
}

/** Connections by backend process id, for CancelRequest. */
class WireServer {
  private readonly sessions = new Map<number, { readonly wire: WireSession; readonly secret: number }>();
  private nextProcessId = randomInt(1000, 30000);

  constructor(
    private readonly engine: QueryEngine,
    readonly log: (msg: string) => void,
  ) {}

  open(socket: Socket): WireSession {
    const processId = this.nextProcessId++;
    const secret = randomInt(-(2 ** 31), 2 ** 31 - 1);
    const wire = new WireSession({ engine: this.engine, socket, processId, secretKey: secret, log: this.log });
    this.sessions.set(processId, { wire, secret });
    socket.once('close', () => this.sessions.delete(processId));
    return wire;
  }

  cancel(processId: number, secret: number): void {
    const entry = this.sessions.get(processId);
    const a = Buffer.alloc(4);
    const b = Buffer.alloc(4);
    a.writeInt32BE(entry?.secret ?? 0);
    b.writeInt32BE(secret);
    // PostgreSQL ignores CancelRequests with a wrong key silently; so do we.
    if (entry && timingSafeEqual(a, b)) entry.wire.cancel();
  }

  closeAll(): void {
    for (const { wire } of this.sessions.values()) wire.close();
  }
}

/**
 * Serves the PostgreSQL wire protocol (v3) over `engine`: simple and extended
 * query protocol, session statements, cancellation. No TLS (SSLRequest is
 * answered 'N') and no authentication (trust) yet.
 */
export async function startPostgresServer(
  engine: QueryEngine,
  options: PostgresServerOptions,
): Promise<RunningPostgresWire> {
  const log = options.log ?? (() => {});
  const wireServer = new WireServer(engine, log);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', (error) => log(`postgres-wire: client socket error: ${error.message}`));
    socket.once('close', () => sockets.delete(socket));
    new SpokeConnection(socket, wireServer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log(`postgres-wire: listening on ${options.host}:${port}`);
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        wireServer.closeAll();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
