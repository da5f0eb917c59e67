/**
 * The Postgres wire listener: a `net.Server` whose sockets pg-gateway frames
 * into protocol messages, one {@link WireSession} (and one engine Session)
 * per connection, and CancelRequest routing by backend key.
 *
 * With users configured, logins use SCRAM-SHA-256 (or, inside TLS when some
 * user has only a scrypt hash, a cleartext password); TLS is offered on
 * SSLRequest when a certificate is configured. Every failed login gets the
 * same FATAL 28P01 `password authentication failed for user "…"`, whatever
 * the reason (which goes to the log and the audit only).
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { QueryEngine } from '@spoke/planner';
import { PostgresConnection } from 'pg-gateway';
import { ANONYMOUS, type Authenticator, type LoginAttempt, type Principal } from '../auth/authenticator.js';
import { LOGIN_FAILED_SQLSTATE, LoginFailure } from '../auth/login-failure.js';
import { SCRAM_MECHANISM, ScramError, type ScramExchange } from '../auth/scram-exchange.js';
import { workerOfProcessId, workerProcessId } from '../cluster/backend-key.js';
import { type ClientInfo, QueryService } from '../service/query-service.js';
import { queryTooLarge } from '../service/query-size.js';
import { MessageFramer } from './message-framer.js';
import { WireSession } from './wire-session.js';

/** Options for {@link startPostgresServer}. */
export interface PostgresServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  readonly log?: (msg: string) => void;
  /** The query service every statement goes through; one over `engine` without limits when absent. */
  readonly service?: QueryService;
  /** Checks logins; absent (or without users) means trust, as before. */
  readonly auth?: Authenticator;
  /** Answer SSLRequest with 'S' and upgrade to TLS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Set in a cluster worker (`server.workers` > 1): backend keys name the worker; others' CancelRequests are forwarded. */
  readonly cluster?: PostgresWireCluster;
}

/** How a cluster worker's listener takes part in cancellation (see cluster/backend-key.ts). */
export interface PostgresWireCluster {
  /** This worker's number, from 1. */
  readonly workerId: number;
  /** Sends a CancelRequest for another worker's session on to it. */
  forwardCancel(processId: number, secret: number): void;
}

/** PostgreSQL's own bound on a startup packet. */
const MAX_STARTUP_LENGTH = 10_000;
/** Largest message accepted after startup (a statement's text, bound parameters). */
export const MAX_MESSAGE_LENGTH = 64 * 1024 * 1024;

/** A running listener. */
export interface RunningPostgresWire {
  /** The port actually listened on. */
  readonly port: number;
  /** Applies a CancelRequest (silently ignored unless the key matches a session here). */
  cancel(processId: number, secret: number): void;
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
 * Message framing is our own (message-framer.ts): pg-gateway 0.2.4 slices every message after the
 * first of a TCP chunk wrongly (`subarray(offset, length)` instead of
 * `subarray(offset, offset + length)`), which garbles pipelined extended
 * protocol messages (Parse/Bind/Describe/Execute/Sync arrive in one chunk).
 */
class SpokeConnection extends PostgresConnection {
  wire: WireSession | undefined;
  private readonly framer = new MessageFramer({
    maxStartupLength: MAX_STARTUP_LENGTH,
    maxMessageLength: MAX_MESSAGE_LENGTH,
  });
  /** Where a login stands between the startup packet and AuthenticationOk. */
  private login:
    | {
        readonly kind: 'password';
        readonly attempt: LoginAttempt;
        readonly parameters: Record<string, string>;
      }
    | {
        readonly kind: 'sasl-first';
        readonly attempt: LoginAttempt;
        readonly parameters: Record<string, string>;
      }
    | {
        readonly kind: 'sasl-final';
        readonly attempt: LoginAttempt;
        readonly parameters: Record<string, string>;
        readonly exchange: ScramExchange;
        /** Why the exchange will fail whatever the proof (unknown user, no SCRAM verifier). */
        readonly refusal: string | undefined;
      }
    | undefined;
  private readonly address: string | undefined;
  /** The client's IP address, which failed logins are counted by. */
  private readonly ip: string | undefined;

  constructor(
    socket: Socket,
    private readonly server: WireServer,
  ) {
    // Authentication is ours (SCRAM); pg-gateway only answers SSLRequest (and upgrades to TLS).
    super(socket, { authMode: 'none', ...(server.tls ? { tls: server.tls } : {}) });
    this.address = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : undefined;
    this.ip = socket.remoteAddress;
  }

  override async handleData(data: Buffer): Promise<void> {
    this.framer.push(data);
    while (true) {
      // Before startup, messages (SSLRequest, StartupMessage, CancelRequest) have no type byte.
      // Statements are size-checked once a session exists (login messages are not statements).
      const frame = this.framer.next(this.hasStarted, this.wire ? this.server.maxQueryBytes : undefined);
      if (!frame) return;
      if (frame.kind === 'oversized') {
        // Refused in turn, as the statement's error; its bytes are dropped, never buffered.
        this.wire!.refuse(frame.type, queryTooLarge(frame.bytes, this.server.maxQueryBytes));
        continue;
      }
      if (frame.kind === 'invalid') {
        // A length PostgreSQL would refuse: garbage, or another protocol (TLS, HTTP) on this port.
        const { length } = frame;
        this.server.log(
          `postgres-wire: invalid message length ${length} from ${this.address ?? 'client'}; closing`,
        );
        this.sendError({
          severity: 'FATAL',
          code: length > MAX_MESSAGE_LENGTH ? '54000' : '08P01',
          message:
            length > MAX_MESSAGE_LENGTH
              ? `message of ${length} bytes is larger than ${MAX_MESSAGE_LENGTH}`
              : 'invalid message length: this port speaks the PostgreSQL protocol',
        });
        this.framer.clear();
        this.socket.end();
        return;
      }
      try {
        await this.handleMessage(frame.data);
      } catch (error) {
        this.server.log(`postgres-wire: ${error instanceof Error ? error.message : String(error)}`);
        this.socket.destroy();
        return;
      }
    }
  }

  override async handleMessage(data: Buffer): Promise<void> {
    if (this.wire) return this.wire.receive(data);
    if (this.login) return this.authenticate(data);
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
      this.sendError({
        severity: 'FATAL',
        code: '0A000',
        message: `unsupported frontend protocol ${startup.majorVersion}.${startup.minorVersion}`,
      });
      this.socket.end();
      return;
    }
    if (!startup.parameters.user) {
      this.sendError({
        severity: 'FATAL',
        code: '28000',
        message: 'no PostgreSQL user name specified in startup packet',
      });
      this.socket.end();
      return;
    }
    this.clientInfo = {
      majorVersion: startup.majorVersion,
      minorVersion: startup.minorVersion,
      parameters: { ...startup.parameters, user: startup.parameters.user },
    };
    this.hasStarted = true;
    const auth = this.server.auth;
    const user = startup.parameters.user;
    if (!auth?.required) return this.begin(ANONYMOUS, startup.parameters);
    let attempt: LoginAttempt;
    try {
      attempt = auth.beginLogin(user, { protocol: 'postgres', ...(this.ip ? { address: this.ip } : {}) });
    } catch (error) {
      // Throttled: refused before any credential is asked for, with the same message as a wrong password.
      if (error instanceof LoginFailure) return this.refuse(error);
      throw error;
    }
    this.socket.once('close', () => attempt.abandon());
    // The method depends on the transport only, never on the user: that would tell which users exist.
    if (auth.wireMethod(this.secureSocket !== undefined) === 'password') {
      this.login = { kind: 'password', attempt, parameters: startup.parameters };
      return this.authRequest(3);
    }
    this.login = { kind: 'sasl-first', attempt, parameters: startup.parameters };
    this.authRequest(10, Buffer.from(`${SCRAM_MECHANISM}\0\0`));
  }

  /**
   * After answering SSLRequest with 'S': the TLS handshake. pg-gateway's own
   * leaves a failed handshake's error unhandled (which would end the process)
   * and waits forever; here a failed handshake closes the connection.
   */
  override async upgradeToTls(): Promise<void> {
    const raw = this.socket;
    this.removeSocketHandlers(raw);
    const tls = this.server.tls!;
    const secure = new TLSSocket(raw, { isServer: true, cert: tls.cert, key: tls.key });
    secure.on('error', (error) => {
      this.server.log(`postgres-wire: TLS error from ${this.address ?? 'client'}: ${error.message}`);
      raw.destroy();
    });
    try {
      await once(secure, 'secure');
    } catch {
      return;
    }
    this.tlsInfo = {};
    this.secureSocket = secure;
    this.socket = secure;
    this.createSocketHandlers(secure);
  }

  /** An Authentication request ('R') of `kind` with its payload. */
  private authRequest(kind: number, payload: Buffer = Buffer.alloc(0)): void {
    const message = Buffer.alloc(9 + payload.length);
    message[0] = 0x52;
    message.writeInt32BE(8 + payload.length, 1);
    message.writeInt32BE(kind, 5);
    payload.copy(message, 9);
    this.socket.write(message);
  }

  /**
   * The client's answers during login: SASLInitialResponse, SASLResponse,
   * PasswordMessage (all 'p'). Whatever goes wrong — unknown user, wrong
   * password or proof, a user without a SCRAM verifier outside TLS, a
   * malformed or unexpected message — ends in the same refusal.
   */
  private async authenticate(data: Buffer): Promise<void> {
    const login = this.login!;
    const { attempt } = login;
    if (data[0] !== 0x70)
      return this.refuse(attempt.fail(`expected an authentication response, got message type ${data[0]}`));
    const body = data.subarray(5);
    const auth = this.server.auth!;
    try {
      if (login.kind === 'password') {
        const end = body.indexOf(0);
        const principal = await auth.checkPassword(
          attempt,
          body.toString('utf8', 0, end < 0 ? body.length : end),
        );
        this.login = undefined;
        return this.begin(principal, login.parameters);
      }
      if (login.kind === 'sasl-first') {
        const end = body.indexOf(0);
        const mechanism = body.toString('utf8', 0, end);
        if (mechanism !== SCRAM_MECHANISM)
          return this.refuse(
            attempt.fail(`SASL mechanism ${mechanism} is not supported; use ${SCRAM_MECHANISM}`),
          );
        const length = body.readInt32BE(end + 1);
        const clientFirst = body.toString('utf8', end + 5, end + 5 + Math.max(0, length));
        const { exchange, refusal } = auth.scramExchange(attempt);
        const serverFirst = exchange.first(clientFirst);
        this.login = { kind: 'sasl-final', attempt, parameters: login.parameters, exchange, refusal };
        return this.authRequest(11, Buffer.from(serverFirst));
      }
      const serverFinal = login.exchange.final(body.toString('utf8'));
      this.authRequest(12, Buffer.from(serverFinal));
      this.login = undefined;
      attempt.succeed();
      return this.begin(auth.principal(attempt.user!, 'scram'), login.parameters);
    } catch (error) {
      if (error instanceof LoginFailure) return this.refuse(error);
      if (error instanceof ScramError || error instanceof RangeError) {
        const refusal = login.kind === 'sasl-final' ? login.refusal : undefined;
        const wrong = error instanceof ScramError && error.wrongProof;
        return this.refuse(
          attempt.fail(
            refusal ?? (wrong ? `wrong password for user "${attempt.user}" (SCRAM proof)` : error.message),
          ),
        );
      }
      throw error;
    }
  }

  /**
   * Ends a failed login as PostgreSQL does: FATAL 28P01 with the same
   * message whatever the reason, then the connection closes.
   */
  private refuse(failure: LoginFailure): void {
    this.login = undefined;
    this.server.refused(failure, this.address);
    this.sendError({ severity: 'FATAL', code: LOGIN_FAILED_SQLSTATE, message: failure.message });
    this.socket.end();
  }

  private begin(principal: Principal, parameters: Record<string, string>): void {
    this.isAuthenticated = true;
    this.wire = this.server.open(this.socket, principal, this.address);
    this.wire.start(parameters);
  }
}

/** Connections by backend process id, for CancelRequest. */
class WireServer {
  private readonly sessions = new Map<number, { readonly wire: WireSession; readonly secret: number }>();
  private nextProcessId = randomInt(1000, 30000);

  constructor(
    private readonly service: QueryService,
    readonly log: (msg: string) => void,
    readonly auth: Authenticator | undefined,
    readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined,
    private readonly cluster: PostgresWireCluster | undefined,
  ) {}

  /** `limits.max_query_bytes`: Query and Parse messages with a larger statement are refused unread. */
  get maxQueryBytes(): number {
    return this.service.maxQueryBytes;
  }

  open(socket: Socket, principal: Principal, address: string | undefined): WireSession {
    const processId = this.cluster
      ? workerProcessId(this.cluster.workerId, this.nextProcessId++)
      : this.nextProcessId++;
    const secret = randomInt(-(2 ** 31), 2 ** 31 - 1);
    const client: ClientInfo = {
      protocol: 'postgres',
      principal,
      ...(address ? { address } : {}),
      // After SSLRequest the session's socket is the TLS one.
      secureTransport: socket instanceof TLSSocket,
    };
    const engine = this.service.engineFor(client);
    const wire = new WireSession({ engine, socket, processId, secretKey: secret, log: this.log });
    this.sessions.set(processId, { wire, secret });
    socket.once('close', () => this.sessions.delete(processId));
    return wire;
  }

  cancel(processId: number, secret: number): void {
    const owner = this.cluster && workerOfProcessId(processId);
    if (this.cluster && owner !== this.cluster.workerId) {
      if (owner) this.cluster.forwardCancel(processId, secret);
      return;
    }
    const entry = this.sessions.get(processId);
    const a = Buffer.alloc(4);
    const b = Buffer.alloc(4);
    a.writeInt32BE(entry?.secret ?? 0);
    b.writeInt32BE(secret);
    // PostgreSQL ignores CancelRequests with a wrong key silently; so do we.
    if (entry && timingSafeEqual(a, b)) entry.wire.cancel();
  }

  /** Audits, logs and counts a failed login, with its real reason. */
  refused(failure: LoginFailure, address: string | undefined): void {
    failure.report(this.service, {
      protocol: 'postgres',
      principal: ANONYMOUS,
      ...(address ? { address } : {}),
    });
  }

  closeAll(): void {
    for (const { wire } of this.sessions.values()) wire.close();
  }
}

/**
 * Serves the PostgreSQL wire protocol (v3) over `engine`: simple and extended
 * query protocol, session statements, cancellation; SCRAM-SHA-256 logins when
 * `auth` has users; TLS when `tls` is given (SSLRequest is answered 'N' otherwise).
 */
export async function startPostgresServer(
  engine: QueryEngine,
  options: PostgresServerOptions,
): Promise<RunningPostgresWire> {
  const log = options.log ?? (() => {});
  const service = options.service ?? new QueryService(engine);
  const wireServer = new WireServer(service, log, options.auth, options.tls, options.cluster);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    service.metrics.connections.add({ protocol: 'postgres' }, 1);
    socket.setNoDelay(true);
    socket.on('error', (error) => log(`postgres-wire: client socket error: ${error.message}`));
    socket.once('close', () => {
      sockets.delete(socket);
      service.metrics.connections.add({ protocol: 'postgres' }, -1);
    });
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
    cancel: (processId, secret) => wireServer.cancel(processId, secret),
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
