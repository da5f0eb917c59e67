/**
 * The primary process of `spoke serve` under `server.workers` > 1. It forks
 * the workers (node:cluster: they share the listeners, the primary hands
 * out connections in turn) and keeps what must be one for the whole gateway:
 *
 * - the admission queue (`limits.max_concurrent_*`), which workers ask for
 *   slots (see remote-admission.ts);
 * - the audit destination, written by this process alone;
 * - failed-login counts: a login's outcome on one worker is passed to the others' throttles;
 * - routing: a Postgres CancelRequest to the worker whose session it names,
 *   and gathers (`/v1/queries`, cancelling by query id, `/metrics`) asked
 *   of every worker and answered to the one that took the request.
 *
 * A worker that dies is replaced (with a backoff when it dies young); a
 * worker's slots are given back when it dies. `close()` asks every worker to
 * stop and waits until all have exited.
 */
import cluster, { type Worker } from 'node:cluster';
import { ErrorCode, SpokeError } from '@spoke/core';
import type { AuditConfig, LimitsConfig } from '../config/gateway-config.js';
import { Admission } from '../service/admission.js';
import { type AuditSink, NO_AUDIT, openAuditSink } from '../service/audit-log.js';
import type { Logger } from '../service/logger.js';
import type { RunningQueryInfo } from '../service/query-service.js';
import { workerOfProcessId } from './backend-key.js';
import {
  type GatherRequest,
  type PrimaryMessage,
  WORKER_COUNT_ENV,
  WORKER_ID_ENV,
  WORKER_QUIET_ENV,
  type WorkerListeners,
  type WorkerMessage,
} from './cluster-messages.js';
import { mergeMetrics } from './merge-metrics.js';
import { knownCode, limitsConcurrency } from './remote-admission.js';

/** Options for {@link startPrimary}. */
export interface PrimaryOptions {
  readonly workers: number;
  readonly limits?: LimitsConfig;
  readonly audit?: AuditConfig;
  readonly logger: Logger;
}

/** The running primary. */
export interface RunningPrimary {
  /** Where the workers listen (the same ports for all). */
  readonly listeners: WorkerListeners;
  /** Asks every worker to stop and resolves once all have exited and the audit is flushed. Safe to call twice. */
  close(): Promise<void>;
}

/** How long a gather waits for a worker's part (a worker busy past it is left out rather than hang the request). */
const GATHER_TIMEOUT_MS = 5_000;
/** How long `close()` waits for workers to finish their queries before killing them. */
const SHUTDOWN_TIMEOUT_MS = 20_000;
/** A worker that dies sooner than this after its start is restarted after a growing delay. */
const YOUNG_MS = 10_000;

interface Slot {
  readonly controller: AbortController;
  release?: () => void;
}

interface WorkerState {
  readonly id: number;
  readonly worker: Worker;
  readonly started: number;
  ready: boolean;
  /** The worker's admission requests, by its request id: waiting (no release) or holding a slot. */
  readonly slots: Map<number, Slot>;
}

interface Gather {
  readonly requester: WorkerState;
  readonly requestId: number;
  readonly request: GatherRequest;
  readonly pending: Set<number>;
  readonly results: unknown[];
  readonly timer: NodeJS.Timeout;
}

class GatewayPrimary {
  readonly #admission: Admission | undefined;
  readonly #audit: AuditSink;
  readonly #workers = new Map<number, WorkerState>();
  readonly #gathers = new Map<number, Gather>();
  readonly #restarts = new Map<number, { timer?: NodeJS.Timeout | undefined; failures: number }>();
  #nextGather = 1;
  #stopping = false;
  #closing: Promise<void> | undefined;
  #allExited: (() => void) | undefined;
  #startup:
    | { resolve: (listeners: WorkerListeners) => void; reject: (error: unknown) => void; ready: number }
    | undefined;
  #listeners: WorkerListeners | undefined;

  constructor(private readonly options: PrimaryOptions) {
    const { limits } = options;
    this.#admission = limitsConcurrency(limits)
      ? new Admission({
          ...(limits?.maxConcurrentQueries !== undefined ? { maxTotal: limits.maxConcurrentQueries } : {}),
          ...(limits?.maxConcurrentPerUser !== undefined ? { maxPerUser: limits.maxConcurrentPerUser } : {}),
          queueTimeoutMs: limits?.queueTimeoutMs ?? 10_000,
        })
      : undefined;
    this.#audit = options.audit ? openAuditSink(options.audit) : NO_AUDIT;
  }

  /** Forks every worker; resolves with their listeners once all listen, rejects with the first failure. */
  start(): Promise<WorkerListeners> {
    return new Promise((resolve, reject) => {
      this.#startup = { resolve, reject, ready: 0 };
      for (let id = 1; id <= this.options.workers; id++) this.fork(id, id !== 1);
    });
  }

  private fork(id: number, quiet: boolean): void {
    const worker = cluster.fork({
      [WORKER_ID_ENV]: String(id),
      [WORKER_QUIET_ENV]: quiet ? '1' : '',
      [WORKER_COUNT_ENV]: String(this.options.workers),
    });
    const state: WorkerState = { id, worker, started: Date.now(), ready: false, slots: new Map() };
    this.#workers.set(id, state);
    worker.on('message', (message: WorkerMessage) => this.onMessage(state, message));
    // A send to a worker that is going away fails here ('exit' follows); unhandled, it would end the primary.
    worker.on('error', (error: Error) =>
      this.options.logger.warn(`worker ${id}: ${error.message}`, { worker: id }),
    );
    worker.on('exit', (code, signal) => this.onExit(state, code, signal));
  }

  private send(state: WorkerState, message: PrimaryMessage): void {
    if (state.worker.isConnected()) state.worker.send(message);
  }

  private onMessage(state: WorkerState, message: WorkerMessage): void {
    switch (message.t) {
      case 'ready':
        this.onReady(state, message.listeners);
        return;
      case 'failed': {
        const error = new SpokeError(knownCode(message.code), message.message);
        if (this.#startup) this.failStartup(error);
        else this.options.logger.error(`worker ${state.id} could not start: ${message.message}`);
        return;
      }
      case 'acquire':
        this.acquire(state, message.id, message.user);
        return;
      case 'release': {
        const slot = state.slots.get(message.id);
        state.slots.delete(message.id);
        if (slot?.release) slot.release();
        else slot?.controller.abort();
        return;
      }
      case 'audit':
        this.#audit.writeLine?.(message.line);
        return;
      case 'gather': {
        const { t: _t, id, ...request } = message;
        this.gather(state, id, request as GatherRequest);
        return;
      }
      case 'local-reply': {
        const gather = this.#gathers.get(message.id);
        if (!gather || !gather.pending.delete(state.id)) return;
        gather.results.push(message.result);
        if (gather.pending.size === 0) this.finishGather(message.id);
        return;
      }
      case 'login':
        // Every other worker counts it too: the throttle's counts are the gateway's.
        for (const other of this.#workers.values())
          if (other !== state && other.ready) this.send(other, message);
        return;
      case 'pg-cancel': {
        const owner = this.#workers.get(workerOfProcessId(message.processId));
        if (owner) {
          this.options.logger.debug(`CancelRequest routed from worker ${state.id} to worker ${owner.id}`);
          this.send(owner, message);
        }
        return;
      }
    }
  }

  private onReady(state: WorkerState, listeners: WorkerListeners): void {
    state.ready = true;
    this.#restarts.delete(state.id);
    this.#listeners ??= listeners;
    const startup = this.#startup;
    if (!startup) {
      this.options.logger.info(`worker ${state.id} (pid ${state.worker.process.pid}) is serving again`);
      return;
    }
    if (++startup.ready === this.options.workers) {
      this.#startup = undefined;
      startup.resolve(listeners);
    }
  }

  private failStartup(error: unknown): void {
    const startup = this.#startup;
    if (!startup) return;
    this.#startup = undefined;
    // No worker is restarted after a failed start: the caller closes them all.
    this.#stopping = true;
    startup.reject(error);
  }

  /** A slot of the gateway-wide admission for a worker's query. */
  private acquire(state: WorkerState, id: number, user: string): void {
    const admission = this.#admission;
    if (!admission) {
      this.send(state, { t: 'granted', id });
      return;
    }
    const slot: Slot = { controller: new AbortController() };
    state.slots.set(id, slot);
    admission.acquire(user, slot.controller.signal).then(
      (release) => {
        // Released (query cancelled) or the worker died while the grant was on its way.
        if (state.slots.get(id) !== slot) return release();
        slot.release = release;
        this.send(state, { t: 'granted', id });
      },
      (error: unknown) => {
        if (state.slots.get(id) !== slot) return;
        state.slots.delete(id);
        const spoke = SpokeError.isInstance(error) ? error : undefined;
        this.send(state, {
          t: 'refused',
          id,
          code: spoke?.code ?? ErrorCode.INTERNAL,
          message: (error as Error)?.message ?? String(error),
          ...(spoke?.details ? { details: spoke.details } : {}),
        });
      },
    );
  }

  /** Asks every serving worker `request`; the merged answer goes to `requester`. */
  private gather(requester: WorkerState, requestId: number, request: GatherRequest): void {
    const id = this.#nextGather++;
    const pending = new Set<number>();
    for (const state of this.#workers.values()) if (state.ready) pending.add(state.id);
    const gather: Gather = {
      requester,
      requestId,
      request,
      pending,
      results: [],
      timer: setTimeout(() => this.finishGather(id), GATHER_TIMEOUT_MS),
    };
    this.#gathers.set(id, gather);
    if (pending.size === 0) {
      this.finishGather(id);
      return;
    }
    for (const workerId of pending) this.send(this.#workers.get(workerId)!, { t: 'local', id, ...request });
  }

  private finishGather(id: number): void {
    const gather = this.#gathers.get(id);
    if (!gather) return;
    this.#gathers.delete(id);
    clearTimeout(gather.timer);
    const { results, request } = gather;
    let result: unknown;
    if (request.op === 'list' || request.op === 'activity') result = (results as RunningQueryInfo[][]).flat();
    else if (request.op === 'cancel') result = results.includes('cancelled') ? 'cancelled' : 'not-found';
    else if (request.op === 'progress') result = results.find((r) => r !== null && r !== undefined) ?? null;
    else
      result = mergeMetrics([
        ...(results as string[]),
        `# HELP spoke_workers Worker processes serving (server.workers).\n# TYPE spoke_workers gauge\nspoke_workers ${results.length}\n`,
      ]);
    this.send(gather.requester, { t: 'gathered', id: gather.requestId, result });
  }

  private onExit(state: WorkerState, code: number | null, signal: string | null): void {
    if (this.#workers.get(state.id) !== state) return;
    this.#workers.delete(state.id);
    // Its queries are gone: their slots free up, and gathers stop waiting for it.
    for (const slot of state.slots.values()) {
      if (slot.release) slot.release();
      else slot.controller.abort();
    }
    state.slots.clear();
    for (const [id, gather] of this.#gathers)
      if (gather.pending.delete(state.id) && gather.pending.size === 0) this.finishGather(id);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (this.#stopping) {
      if (this.#workers.size === 0) this.#allExited?.();
      return;
    }
    if (this.#startup) {
      this.failStartup(
        new SpokeError(ErrorCode.INTERNAL, `worker ${state.id} exited (${how}) before it was listening`),
      );
      return;
    }
    const restart = this.#restarts.get(state.id) ?? { failures: 0 };
    this.#restarts.set(state.id, restart);
    const young = Date.now() - state.started < YOUNG_MS;
    restart.failures = young ? restart.failures + 1 : 0;
    const delay = young ? Math.min(30_000, 500 * 2 ** restart.failures) : 0;
    this.options.logger.warn(
      `worker ${state.id} (pid ${state.worker.process.pid}) exited (${how}); starting another${delay ? ` in ${delay / 1000}s` : ''}`,
    );
    restart.timer = setTimeout(() => {
      restart.timer = undefined;
      if (!this.#stopping) this.fork(state.id, true);
    }, delay);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopping = true;
      this.failStartup(new SpokeError(ErrorCode.QUERY_CANCELLED, 'server shutting down'));
      for (const restart of this.#restarts.values()) clearTimeout(restart.timer);
      if (this.#workers.size > 0) {
        const exited = new Promise<void>((resolve) => {
          this.#allExited = resolve;
        });
        for (const state of this.#workers.values()) {
          // A worker still starting may not be listening to its channel yet: it has nothing to finish.
          if (state.ready) this.send(state, { t: 'shutdown' });
          else state.worker.process.kill('SIGKILL');
        }
        const timer = setTimeout(() => {
          for (const state of this.#workers.values()) state.worker.process.kill('SIGKILL');
        }, SHUTDOWN_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await this.#audit.close();
    })();
    return this.#closing;
  }
}

/**
 * Forks `options.workers` workers and resolves once all of them listen. If
 * one fails to start, every worker is stopped and its error re-thrown (as a
 * single-process start would throw it).
 */
export async function startPrimary(options: PrimaryOptions): Promise<RunningPrimary> {
  const primary = new GatewayPrimary(options);
  try {
    const listeners = await primary.start();
    return { listeners, close: () => primary.close() };
  } catch (error) {
    await primary.close();
    throw error;
  }
}
