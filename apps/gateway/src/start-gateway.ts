import { ErrorCode, SpokeError } from '@spoke/core';
import type { QueryEngine } from '@spoke/planner';
import type { ServerConfig } from './config/gateway-config.js';
import { type RunningHttpServer, startHttpServer } from './http/http-server.js';
import { startPostgresServer } from './postgres-wire/index.js';

/** A running Postgres wire listener, as `startPostgresServer` returns it. */
export interface RunningPostgresServer {
  readonly port: number;
  close(): Promise<void>;
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

/** The listeners `serve` started. */
export interface RunningGateway {
  readonly http?: RunningHttpServer;
  readonly postgres?: RunningPostgresServer & { readonly host: string };
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
): Promise<RunningGateway> {
  let http: RunningHttpServer | undefined;
  let postgres: (RunningPostgresServer & { host: string }) | undefined;
  try {
    if (server.http) {
      const { port } = server.http;
      http = await startHttpServer(engine, { ...server.http, log }).catch((e: unknown) =>
        Promise.reject(listenError(e, 'server.http.port', port)),
      );
    }
    if (server.postgres) {
      const { port } = server.postgres;
      const started = await startPostgresServer(engine, { ...server.postgres, log }).catch((e: unknown) =>
        Promise.reject(listenError(e, 'server.postgres.port', port)),
      );
      postgres = { host: server.postgres.host, port: started.port, close: () => started.close() };
    }
  } catch (error) {
    await Promise.allSettled([http?.close(), postgres?.close()]);
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    ...(http ? { http } : {}),
    ...(postgres ? { postgres } : {}),
    close() {
      closing ??= (async () => {
        await Promise.allSettled([http?.close(), postgres?.close()]);
        await engine.close();
      })();
      return closing;
    },
  };
}
