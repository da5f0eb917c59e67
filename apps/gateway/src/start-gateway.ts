import { readFile } from 'node:fs/promises';
import { ErrorCode, SpokeError } from '@spoke/core';
import type { QueryEngine } from '@spoke/planner';
import { ANONYMOUS, type Authenticator, type Principal } from './auth/authenticator.js';
import type { ListenAddress, ServerConfig } from './config/gateway-config.js';
import type { Operator } from './events/operator.js';
import { flightLogin } from './flight/flight-login.js';
import { startFlightServer } from './flight/index.js';
import { type RunningHttpServer, startHttpServer } from './http/http-server.js';
import { type PostgresWireCluster, startPostgresServer } from './postgres-wire/index.js';
import { isLoopback } from './service/gateway-services.js';
import { QueryService } from './service/query-service.js';

/** A running Postgres wire listener, as `startPostgresServer` returns it. */
export interface RunningPostgresServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The Postgres wire listener, which also applies CancelRequests forwarded from other workers. */
export interface RunningPostgresListener extends RunningPostgresServer {
  readonly host: string;
  /** Applies a CancelRequest for one of this listener's sessions (silently ignored otherwise). */
  cancel(processId: number, secret: number): void;
}

/** A listen failure as a config error naming the key: the port is what the user has to change. */
function listenError(error: unknown, key: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE')
    return new SpokeError(ErrorCode.INVALID_CONFIG, `${key}: port ${port} is already in use`, {
      cause: error,
    });
  if (code === 'EACCES')
    return new SpokeError(ErrorCode.INVALID_CONFIG, `${key}: not allowed to listen on port ${port}`, {
      cause: error,
    });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new SpokeError(ErrorCode.INVALID_CONFIG, `${key}: cannot listen on that host (${code})`, {
      cause: error,
    });
  return error;
}

/** What the listeners share, from `createGatewayServices`; without it, no authentication and no limits. */
export interface StartGatewayOptions {
  readonly service?: QueryService;
  readonly auth?: Authenticator;
  /** Access events and source health, served over HTTP (`/v1/sources`, `/v1/events`); its probes start here. */
  readonly operator?: Operator;
  /** Set by a cluster worker (`server.workers` > 1): see {@link PostgresWireCluster}. */
  readonly postgresCluster?: PostgresWireCluster;
}

/** A listener's certificate and key, read from the configured files (errors name the key). */
async function loadTls(
  address: ListenAddress,
  key: string,
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!address.tls) return undefined;
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `${key}.tls.${what}: cannot read ${file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  return {
    cert: await read(address.tls.certFile, 'cert_file'),
    key: await read(address.tls.keyFile, 'key_file'),
  };
}

/**
 * With no users configured nobody is authenticated, so only this machine
 * may connect: a listener on any other address is refused (rather than
 * silently moved to 127.0.0.1, which would hide the mistake).
 */
function requireLoopback(
  address: ListenAddress | undefined,
  key: string,
  auth: Authenticator | undefined,
): void {
  if (!address || auth?.required || isLoopback(address.host)) return;
  throw new SpokeError(
    ErrorCode.INVALID_CONFIG,
    `${key}.host: ${address.host} is not a loopback address, and no users are configured: without authentication Spoke serves this machine only. Configure users: (see spoke hash-password), or listen on 127.0.0.1`,
  );
}

/** The listeners `serve` started. */
export interface RunningGateway {
  /** The query service every listener uses: running queries, metrics. */
  readonly service: QueryService;
  readonly http?: RunningHttpServer;
  readonly postgres?: RunningPostgresListener;
  /** The Arrow Flight SQL listener, when `server.flight` is configured. */
  readonly flight?: RunningPostgresServer & { readonly host: string };
  /** Closes the listeners (cancelling running queries), then the engine. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts every listener the `server:` section names over one engine. If one
 * fails to start (port taken), those already started are closed and the
 * error is re-thrown; the engine is left to the caller in that case.
 */
export async function startGateway(
  engine: QueryEngine,
  server: ServerConfig,
  log: (message: string) => void = () => {},
  options: StartGatewayOptions = {},
): Promise<RunningGateway> {
  const { auth } = options;
  const service = options.service ?? new QueryService(engine);
  requireLoopback(server.http, 'server.http', auth);
  requireLoopback(server.postgres, 'server.postgres', auth);
  requireLoopback(server.flight, 'server.flight', auth);
  const { operator } = options;
  const shared = { log, service, ...(auth ? { auth } : {}) };
  let http: RunningHttpServer | undefined;
  let postgres: RunningPostgresListener | undefined;
  let flight: (RunningPostgresServer & { host: string }) | undefined;
  try {
    if (server.http) {
      const { host, port } = server.http;
      const tls = await loadTls(server.http, 'server.http');
      http = await startHttpServer(engine, {
        host,
        port,
        ...shared,
        ...(tls ? { tls } : {}),
        ...(operator ? { operator } : {}),
      }).catch((e: unknown) => Promise.reject(listenError(e, 'server.http.port', port)));
    }
    if (server.postgres) {
      const { host, port } = server.postgres;
      const tls = await loadTls(server.postgres, 'server.postgres');
      const started = await startPostgresServer(engine, {
        host,
        port,
        ...shared,
        ...(tls ? { tls } : {}),
        ...(options.postgresCluster ? { cluster: options.postgresCluster } : {}),
      }).catch((e: unknown) => Promise.reject(listenError(e, 'server.postgres.port', port)));
      postgres = {
        host: server.postgres.host,
        port: started.port,
        cancel: (processId, secret) => started.cancel(processId, secret),
        close: () => started.close(),
      };
    }
    if (server.flight) {
      // Arrow Flight SQL: passwords and bearer tokens checked by the same authenticator,
      // every caller's queries through the query service as that caller.
      const { host, port } = server.flight;
      const tls = await loadTls(server.flight, 'server.flight');
      const started = await startFlightServer(engine, {
        host,
        port,
        log,
        ...(tls ? { tls } : {}),
        ...(auth?.required ? flightLogin(auth, service) : {}),
        maxQueryBytes: service.maxQueryBytes,
        engineFor: (caller) =>
          service.engineFor({
            protocol: 'flight',
            principal: { ...ANONYMOUS, ...caller } as Principal,
            secureTransport: tls !== undefined,
          }),
      }).catch((e: unknown) => Promise.reject(listenError(e, 'server.flight.port', port)));
      flight = { host, port: started.port, close: () => started.close() };
    }
  } catch (error) {
    await Promise.allSettled([http?.close(), postgres?.close(), flight?.close()]);
    throw error;
  }
  operator?.start();
  let closing: Promise<void> | undefined;
  return {
    service,
    ...(http ? { http } : {}),
    ...(postgres ? { postgres } : {}),
    ...(flight ? { flight } : {}),
    close() {
      closing ??= (async () => {
        await Promise.allSettled([http?.close(), postgres?.close(), flight?.close()]);
        await operator?.close();
        await service.close();
        await engine.close();
      })();
      return closing;
    },
  };
}
