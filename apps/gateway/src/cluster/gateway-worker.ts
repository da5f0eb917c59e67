/**
 * One worker of `spoke serve` under `server.workers` > 1: its own engine
 * (connectors, pools, DuckDB), listening on the shared ports (node:cluster
 * hands it connections), with what must be gateway-wide asked of the
 * primary: query slots (when a concurrency limit is set), the audit trail,
 * `/v1/queries`, query cancellation, `/metrics` and failed-login counts.
 *
 * The primary owns the lifecycle: a worker ignores SIGINT and SIGTERM (a
 * Ctrl+C reaches the whole process group; the primary then asks each worker
 * to stop), and stops when told to or when the primary is gone.
 */
import cluster from 'node:cluster';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCode, SpokeError } from '@spoke/core';
import type { QueryEngine } from '@spoke/planner';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { GatewayConfig, ServerConfig } from '../config/gateway-config.js';
import { createGatewayEngine } from '../create-gateway-engine.js';
import type { Operator } from '../events/operator.js';
import { queriesWithProgress, queryProgress } from '../http/operator-routes.js';
import type { AuditSink } from '../service/audit-log.js';
import { createGatewayServices } from '../service/gateway-services.js';
import { createLogger } from '../service/logger.js';
import type { QueryService, RunningQueryInfo } from '../service/query-service.js';
import { SourceMeter } from '../service/source-meter.js';
import { type RunningGateway, startGateway } from '../start-gateway.js';
import {
  type GatherRequest,
  type PrimaryMessage,
  WORKER_COUNT_ENV,
  WORKER_ID_ENV,
  WORKER_QUIET_ENV,
  type WorkerListeners,
} from './cluster-messages.js';
import { PrimaryChannel } from './primary-channel.js';
import { limitsConcurrency, RemoteAdmission } from './remote-admission.js';

/** This process's worker number when it is a `spoke serve` worker, else undefined. */
export function clusterWorkerId(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const id = Number(process.env[WORKER_ID_ENV]);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

/** A worker's answer to its part of a gather. */
function localAnswer(
  service: QueryService | undefined,
  operator: Operator | undefined,
  request: GatherRequest,
): unknown {
  switch (request.op) {
    case 'list':
      return service?.list(request.principal) ?? [];
    case 'cancel':
      return service?.cancel(request.queryId, request.principal) ?? 'not-found';
    case 'metrics':
      return service?.metrics.render() ?? '';
    case 'progress':
      return (
        (service && operator && queryProgress(service, operator, request.principal, request.queryId)) ?? null
      );
    case 'activity':
      return service && operator ? queriesWithProgress(service, operator, request.principal) : [];
  }
}

/**
 * The config as worker `id` uses it: DuckDB spills into a directory of its
 * own (two DuckDB instances spilling into one directory would use the same file names).
 */
async function workerConfig(config: GatewayConfig, id: number): Promise<GatewayConfig> {
  // Each worker's DuckDB gets its share of the cores: N workers each running one thread per core would
  // put cores² threads on the machine, and small residual queries then pay for the contention.
  const workers = Number(process.env[WORKER_COUNT_ENV]);
  const threads =
    config.duckdb?.threads ??
    (Number.isInteger(workers) && workers > 1
      ? Math.max(1, Math.floor(availableParallelism() / workers))
      : undefined);
  const temp = config.duckdb?.tempDirectory;
  const tempDirectory = temp === undefined ? undefined : join(temp, `worker-${id}`);
  if (tempDirectory !== undefined) await mkdir(resolve(config.baseDir, tempDirectory), { recursive: true });
  return {
    ...config,
    duckdb: {
      ...config.duckdb,
      ...(threads !== undefined ? { threads } : {}),
      ...(tempDirectory !== undefined ? { tempDirectory } : {}),
    },
  };
}

/** Audit lines sent to the primary, which alone writes them (so lines of two workers never interleave). */
function forwardedAudit(channel: PrimaryChannel): AuditSink {
  return {
    write: (record) => channel.send({ t: 'audit', line: JSON.stringify(record) }),
    writeLine: (line) => channel.send({ t: 'audit', line }),
    close: async () => {},
  };
}

/** Serves as worker `id` until the primary says stop; resolves with the exit code. */
export async function serveAsWorker(
  id: number,
  config: GatewayConfig,
  server: ServerConfig,
): Promise<number> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let gateway: RunningGateway | undefined;
  let service: QueryService | undefined;
  let operator: Operator | undefined;
  let throttle: LoginThrottle | undefined;
  const channel = new PrimaryChannel((message: PrimaryMessage) => {
    if (message.t === 'shutdown') stop();
    else if (message.t === 'pg-cancel') gateway?.postgres?.cancel(message.processId, message.secret);
    else if (message.t === 'login') throttle?.record(message.outcome, message.user, message.address);
    else if (message.t === 'local')
      channel.send({ t: 'local-reply', id: message.id, result: localAnswer(service, operator, message) });
  });
  let ready = false;
  // The primary is gone: stop serving; while still starting there is nothing to finish (and a listen
  // through the cluster would wait for it forever), so exit at once rather than linger as an orphan.
  process.on('disconnect', () => (ready ? stop() : process.exit(1)));
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});

  const gather = (request: GatherRequest): Promise<unknown> => {
    if (!process.connected) return Promise.resolve(localAnswer(service, operator, request));
    const requestId = channel.nextId();
    return new Promise((resolve) => {
      channel.expect(requestId, (answer) => resolve(answer.t === 'gathered' ? answer.result : undefined));
      channel.send({ t: 'gather', id: requestId, ...request });
    });
  };

  const logger = createLogger(config.logging ?? {});
  // Every worker listens on the same ports: only the first one started says so.
  const quiet = process.env[WORKER_QUIET_ENV] === '1';
  const log = (message: string) => {
    if (!(quiet && message.includes(': listening on '))) logger.info(message);
  };
  let engine: QueryEngine | undefined;
  try {
    const own = await workerConfig(config, id);
    const meter = new SourceMeter();
    engine = await createGatewayEngine(own, { meter });
    const services = createGatewayServices(engine, own, {
      meter,
      logger,
      ...(own.audit ? { audit: forwardedAudit(channel) } : {}),
      ...(limitsConcurrency(own.limits) ? { admission: new RemoteAdmission(channel) } : {}),
    });
    service = services.service;
    operator = services.operator;
    throttle = services.auth.throttle;
    if (throttle)
      throttle.observer = (outcome, user, address) =>
        channel.send({ t: 'login', outcome, ...(user !== undefined ? { user } : {}), address });
    service.peers = {
      list: async (principal) => ((await gather({ op: 'list', principal })) ?? []) as RunningQueryInfo[],
      cancel: async (queryId, principal) =>
        (await gather({ op: 'cancel', principal, queryId })) === 'cancelled' ? 'cancelled' : 'not-found',
      metrics: async () => String((await gather({ op: 'metrics' })) ?? ''),
      progress: async (queryId, principal) =>
        ((await gather({ op: 'progress', principal, queryId })) ?? undefined) as
          | Record<string, unknown>
          | undefined,
      queriesWithProgress: async (principal) =>
        ((await gather({ op: 'activity', principal })) ?? []) as Record<string, unknown>[],
    };
    gateway = await startGateway(engine, server, log, {
      ...services,
      postgresCluster: {
        workerId: id,
        forwardCancel: (processId, secret) => channel.send({ t: 'pg-cancel', processId, secret }),
      },
    });
  } catch (error) {
    if (!gateway) await engine?.close().catch(() => {});
    const failure = SpokeError.isInstance(error)
      ? error
      : new SpokeError(ErrorCode.INTERNAL, (error as Error)?.message ?? String(error));
    await channel.sendNow({ t: 'failed', code: failure.code, message: failure.message });
    return 1;
  }
  const listeners: WorkerListeners = {
    ...(gateway.http ? { http: { url: gateway.http.url } } : {}),
    ...(gateway.postgres ? { postgres: { host: gateway.postgres.host, port: gateway.postgres.port } } : {}),
    ...(gateway.flight ? { flight: { host: gateway.flight.host, port: gateway.flight.port } } : {}),
  };
  ready = true;
  channel.send({ t: 'ready', listeners });
  await stopped;
  await gateway.close();
  return 0;
}
