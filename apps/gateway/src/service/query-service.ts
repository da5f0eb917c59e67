/**
 * The layer between the front ends (HTTP, Postgres wire, Flight) and the
 * engine. Every query passes through {@link QueryService.query}, which
 *
 * - gives it an id (in the logs, the audit record, `GET /v1/queries` and the
 *   sources' query context) and the caller's user, roles and attributes;
 * - refuses a statement over `limits.max_query_bytes` before anything parses it (SQLSTATE 54000);
 * - waits for a concurrency slot (fair: see admission.ts; bounded wait → RESOURCE_EXHAUSTED "too busy");
 * - bounds its time from arrival — queue wait, parsing and planning included,
 *   as PostgreSQL's statement_timeout counts from the statement's start —
 *   (`limits.query_timeout` → QUERY_TIMEOUT, the client's own signal →
 *   QUERY_CANCELLED) and its answer (`max_result_rows`/`_bytes`, counted
 *   batch by batch → RESOURCE_EXHAUSTED);
 * - tracks it while it runs, so `DELETE /v1/queries/{id}` can cancel it;
 * - records metrics and writes the audit record when it ends, however it ends.
 *
 * Front ends see it as a {@link QueryEngine} ({@link QueryService.engineFor}),
 * so they change little: the query ends when its batches are drained, when
 * their iterator is returned early, or when the signal the front end passed aborts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { abortReason, ErrorCode, type RecordBatch, SpokeError, withFields } from '@spoke/core';
import {
  type CatalogTable,
  type ExplainPlan,
  type QueryEngine,
  type QueryOptions,
  type QueryResult,
  type Session,
  timeSettingMs,
} from '@spoke/planner';
import { ANONYMOUS, type Principal } from '../auth/authenticator.js';
import type { LimitsConfig } from '../config/gateway-config.js';
import { Admission, type AdmissionGate } from './admission.js';
import { type AuditRecord, type AuditSink, NO_AUDIT } from './audit-log.js';
import { discardResult } from './discard-result.js';
import { type Logger, SILENT_LOGGER } from './logger.js';
import { GatewayMetrics } from './metrics.js';
import { DEFAULT_MAX_QUERY_BYTES, oversizedBy, queryTooLarge } from './query-size.js';
import { redactLiterals } from './redact-sql.js';
import { SourceMeter } from './source-meter.js';

/** The protocol a query arrived by. */
export type Protocol = 'http' | 'postgres' | 'flight' | 'cli';

/** Who sends a query and from where. */
export interface ClientInfo {
  readonly protocol: Protocol;
  /** `ip:port`, when known. */
  readonly address?: string;
  readonly principal: Principal;
  /** The connection is encrypted (TLS); absent when no network is involved (the CLI). `require_tls` reads it. */
  readonly secureTransport?: boolean;
}

/** A query as `GET /v1/queries` lists it. */
export interface RunningQueryInfo {
  readonly queryId: string;
  readonly user: string | null;
  readonly protocol: Protocol;
  readonly clientAddress: string | null;
  readonly sql: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly elapsedMs: number;
  /** `queued` (waiting for a slot) or `running`. */
  readonly state: 'queued' | 'running';
  readonly rows: number;
  readonly bytes: number;
}

/** The role that may list and cancel every user's queries. */
export const ADMIN_ROLE = 'admin';

/** Options for {@link QueryService}. */
export interface QueryServiceOptions {
  readonly limits?: LimitsConfig;
  readonly audit?: AuditSink;
  /** Replace literals in the SQL of audit records and `/v1/queries` with `?`. */
  readonly redactLiterals?: boolean;
  readonly metrics?: GatewayMetrics;
  readonly logger?: Logger;
  /** The meter the engine's connectors were wrapped with (sources touched, rows and bytes per source). */
  readonly meter?: SourceMeter;
  /** Where slots come from instead of an {@link Admission} over `limits` (a worker asks the primary). */
  readonly admission?: AdmissionGate;
}

/**
 * The other processes of a gateway run with `server.workers` > 1: what
 * `GET /v1/queries`, `DELETE /v1/queries/{id}`, `GET /metrics`, query
 * progress and the activity feed ask so that they answer for the whole
 * gateway, whichever worker took the request.
 */
export interface GatewayPeers {
  /** Queries running on any worker that `principal` may see. */
  list(principal: Principal): Promise<RunningQueryInfo[]>;
  /** Cancels the query on whichever worker runs it. */
  cancel(queryId: string, principal: Principal): Promise<'cancelled' | 'not-found'>;
  /** Every worker's metrics, summed, in the text exposition format. */
  metrics(): Promise<string>;
  /** One query's progress (`GET /v1/queries/{id}/progress`) from the worker that knows it. */
  progress(queryId: string, principal: Principal): Promise<Record<string, unknown> | undefined>;
  /** Every worker's queries with their per-source progress (the activity feed of `GET /v1/events`). */
  queriesWithProgress(principal: Principal): Promise<Record<string, unknown>[]>;
}

/** A query id with the answer, for front ends that show it. */
export type ServiceQueryResult = QueryResult & { readonly queryId: string };

interface Tracked {
  readonly queryId: string;
  readonly client: ClientInfo;
  readonly sql: string;
  readonly time: Date;
  readonly started: number;
  readonly controller: AbortController;
  state: 'queued' | 'running';
  rows: number;
  bytes: number;
  /** Set when the service itself ended the query, to report why. */
  stopped?: SpokeError;
  finished: boolean;
  release?: () => void;
  /**
   * An engine call the service stopped waiting for (timeout, cancel): the
   * slot is held until it settles, so abandoned work cannot pile up beyond
   * the concurrency limits.
   */
  abandoned?: Promise<void>;
  timer?: NodeJS.Timeout;
  /** Removes the listener forwarding the front end's signal to {@link controller}. */
  unlink?: () => void;
  appliedRules: readonly string[];
  sources?: readonly string[];
  /** The SQL a language model wrote for the statement (`ask()`), for the audit record. */
  generatedSql?: string;
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The statement as audit records and the query list keep it when it was refused for its size: its start and its length. */
function oversizedSql(sql: string, bytes: number): string {
  return `${sql.slice(0, 1024)}… [${bytes} bytes]`;
}

/**
 * Resolves as `promise` does, or rejects with QUERY_CANCELLED as soon as
 * `signal` aborts: the service answers on time even when the engine is still
 * busy (planning that does not look at the signal). `onAbandoned` gets the
 * promise the caller stopped waiting for.
 */
function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onAbandoned: (promise: Promise<T>) => void,
): Promise<T> {
  if (signal.aborted) {
    onAbandoned(promise);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      onAbandoned(promise);
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Front ends' entry to the engine: limits, tracking, metrics and audit for every query. */
export class QueryService {
  readonly metrics: GatewayMetrics;
  readonly meter: SourceMeter;
  readonly #admission: AdmissionGate;
  /** Set by a cluster worker (see cluster/gateway-worker.ts); absent, this process is the whole gateway. */
  peers: GatewayPeers | undefined;
  readonly #running = new Map<string, Tracked>();
  readonly #audit: AuditSink;
  readonly #logger: Logger;
  readonly #limits: LimitsConfig | undefined;
  readonly #redact: boolean;
  /** `limits.max_query_bytes`, or its default. */
  readonly maxQueryBytes: number;

  constructor(
    readonly engine: QueryEngine,
    options: QueryServiceOptions = {},
  ) {
    this.#limits = options.limits;
    this.maxQueryBytes = options.limits?.maxQueryBytes ?? DEFAULT_MAX_QUERY_BYTES;
    this.#audit = options.audit ?? NO_AUDIT;
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#redact = options.redactLiterals ?? false;
    this.metrics = options.metrics ?? new GatewayMetrics();
    this.meter = options.meter ?? new SourceMeter();
    this.meter.onBatch = (source, rows, bytes) => {
      this.metrics.sourceRows.inc({ source }, rows);
      this.metrics.sourceBytes.inc({ source }, bytes);
    };
    this.#admission =
      options.admission ??
      new Admission({
        ...(options.limits?.maxConcurrentQueries !== undefined
          ? { maxTotal: options.limits.maxConcurrentQueries }
          : {}),
        ...(options.limits?.maxConcurrentPerUser !== undefined
          ? { maxPerUser: options.limits.maxConcurrentPerUser }
          : {}),
        queueTimeoutMs: options.limits?.queueTimeoutMs ?? 10_000,
      });
    this.metrics.bindGauges({ active: () => this.#admission.running, queued: () => this.#admission.queued });
  }

  /** The engine as one client sees it: every query goes through this service with the client's identity. */
  engineFor(client: ClientInfo): QueryEngine {
    return {
      query: (sql, options) => this.query(sql, options, client),
      explain: (sql, options) => this.explain(sql, options, client),
      catalog: (signal) => this.catalog(signal, client),
      ingest: (target, batches, options) => {
        if (!this.engine.ingest)
          throw new SpokeError(ErrorCode.UNSUPPORTED, 'this engine does not take row ingestion');
        return this.engine.ingest(target, batches, {
          ...options,
          context: this.context(randomUUID(), client, options),
        });
      },
      close: () => this.engine.close(),
    };
  }

  /** The statement's text as audit records and the query list show it. */
  private shownSql(sql: string): string {
    return this.#redact ? redactLiterals(sql) : sql;
  }

  private context(queryId: string, client: ClientInfo, options: QueryOptions | undefined) {
    const principal = client.principal;
    // With authentication off, the name a client claims (the Postgres startup user) is kept for logs and policies.
    const user = principal.user ?? (principal.method === 'none' ? options?.context?.user : undefined);
    return {
      queryId,
      ...(user !== undefined ? { user } : {}),
      roles: principal.roles,
      attributes: principal.attributes,
      ...(client.secureTransport !== undefined ? { secureTransport: client.secureTransport } : {}),
    };
  }

  /** Runs one statement for `client`. */
  async query(
    sql: string,
    options: QueryOptions = {},
    client: ClientInfo = { protocol: 'cli', principal: ANONYMOUS },
  ): Promise<ServiceQueryResult> {
    const queryId = randomUUID();
    const context = this.context(queryId, client, options);
    // A front end's controller made for this statement alone (the Postgres wire's) is the query's own:
    // one AbortSignal for the statement instead of one per layer (see QueryOptions.controller).
    const given =
      options.controller !== undefined && options.controller.signal === options.signal
        ? options.controller
        : undefined;
    const oversized = oversizedBy(sql, this.maxQueryBytes);
    const entry: Tracked = {
      queryId,
      client:
        context.user !== undefined && client.principal.user === undefined
          ? { ...client, principal: withFields(client.principal, { user: context.user }) }
          : client,
      sql: oversized === undefined ? sql : oversizedSql(sql, oversized),
      time: new Date(),
      started: performance.now(),
      controller: given ?? new AbortController(),
      state: 'queued',
      rows: 0,
      bytes: 0,
      finished: false,
      appliedRules: [],
    };
    this.#running.set(queryId, entry);
    this.meter.begin(queryId);
    // The front end's signal aborts the query's own controller (one listener, removed when the query ends):
    // cheaper than AbortSignal.any per query, and nothing stays registered on a long-lived front-end signal.
    const signal = entry.controller.signal;
    const outer = given ? undefined : options.signal;
    if (outer) {
      if (outer.aborted) entry.controller.abort(outer.reason);
      else {
        const forward = () => entry.controller.abort(outer.reason);
        outer.addEventListener('abort', forward, { once: true });
        entry.unlink = () => outer.removeEventListener('abort', forward);
      }
    }
    try {
      if (oversized !== undefined) throw queryTooLarge(oversized, this.maxQueryBytes);
      this.startTimer(entry, options.session);
      const waitStart = performance.now();
      entry.release = await this.#admission.acquire(context.user ?? '', signal);
      this.metrics.queueWait.observe({}, (performance.now() - waitStart) / 1000);
      entry.state = 'running';
      const result = await untilAborted(
        this.engine.query(sql, withFields(options, { signal, context, controller: entry.controller })),
        signal,
        (pending) => {
          entry.abandoned = pending.then(discardResult, () => {});
        },
      );
      const extra = result as QueryResult & {
        appliedRules?: readonly string[];
        sources?: readonly string[];
        generatedSql?: string;
      };
      if (extra.appliedRules) entry.appliedRules = extra.appliedRules;
      if (typeof extra.generatedSql === 'string') entry.generatedSql = extra.generatedSql;
      if (extra.sources) entry.sources = extra.sources;
      if (signal.aborted) throw abortReason(signal);
      // A front end that starts a statement and never reads it (a Describe, then a closed portal) aborts its signal.
      const onAbort = () => {
        if (!started) this.finish(entry, this.explainAbort(entry, abortReason(signal)));
      };
      let started = false;
      signal.addEventListener('abort', onAbort, { once: true });
      const limits = this.#limits;
      const batches: AsyncIterable<RecordBatch> = {
        [Symbol.asyncIterator]: () => {
          started = true;
          signal.removeEventListener('abort', onAbort);
          return this.counted(entry, result.batches, signal, limits);
        },
      };
      return withFields(result, { batches, queryId });
    } catch (error) {
      const reported = this.explainAbort(entry, error);
      this.finish(entry, reported);
      throw reported;
    }
  }

  private async *counted(
    entry: Tracked,
    source: AsyncIterable<RecordBatch>,
    signal: AbortSignal,
    limits: LimitsConfig | undefined,
  ): AsyncGenerator<RecordBatch> {
    let failure: unknown;
    try {
      for await (const batch of source) {
        entry.rows += batch.numRows;
        entry.bytes += batch.data.byteLength;
        if (limits?.maxResultRows !== undefined && entry.rows > limits.maxResultRows)
          throw new SpokeError(
            ErrorCode.RESOURCE_EXHAUSTED,
            `the result has more than ${limits.maxResultRows} rows (limits.max_result_rows); add a LIMIT or aggregate`,
          );
        if (limits?.maxResultBytes !== undefined && entry.bytes > limits.maxResultBytes)
          throw new SpokeError(
            ErrorCode.RESOURCE_EXHAUSTED,
            `the result is larger than ${limits.maxResultBytes} bytes (limits.max_result_bytes); select fewer columns or rows`,
          );
        yield batch;
        if (signal.aborted) throw abortReason(signal);
      }
    } catch (error) {
      failure = this.explainAbort(entry, error);
      if (failure !== error && SpokeError.isInstance(error)) {
        // keep the original error as the cause for logs
      }
      throw failure;
    } finally {
      // Whatever ends the iteration (done, error, a consumer that stops early) ends the query.
      if (failure === undefined && signal.aborted) failure = this.explainAbort(entry, abortReason(signal));
      if (failure !== undefined) entry.controller.abort(failure);
      this.finish(entry, failure);
    }
  }

  /**
   * Arms `limits.query_timeout`, or the session's `statement_timeout` when
   * that is shorter, for a query that just arrived: the clock includes the
   * wait for a slot, parsing and planning, so a client hears back within the
   * timeout whatever the query is doing.
   */
  private startTimer(entry: Tracked, session: Session | undefined): void {
    const configured = this.#limits?.queryTimeoutMs;
    const setting = session?.settings.get('statement_timeout');
    const statement = setting === undefined ? undefined : timeSettingMs(setting) || undefined;
    if (configured === undefined && statement === undefined) return;
    const bySession = statement !== undefined && (configured === undefined || statement < configured);
    const timeout = bySession ? statement : configured!;
    entry.timer = setTimeout(() => {
      const where = entry.state === 'queued' ? ', waiting for a slot' : '';
      this.stop(
        entry,
        new SpokeError(
          ErrorCode.QUERY_TIMEOUT,
          bySession
            ? // PostgreSQL's words, for clients that look for them.
              `canceling statement due to statement timeout (statement_timeout = ${setting!.trim()})${where}`
            : `query ran longer than ${formatDuration(timeout)} (limits.query_timeout)${where}`,
        ),
      );
    }, timeout);
  }

  /** The error to report: why the service stopped the query, when it did (timeout, DELETE, limit). */
  private explainAbort(entry: Tracked, error: unknown): unknown {
    if (entry.stopped) return entry.stopped;
    return error;
  }

  /** Ends a query from inside the service (timeout, DELETE). */
  private stop(entry: Tracked, reason: SpokeError): void {
    if (entry.finished || entry.stopped) return;
    entry.stopped = reason;
    entry.controller.abort(reason);
  }

  private finish(entry: Tracked, error: unknown): void {
    if (entry.finished) return;
    entry.finished = true;
    clearTimeout(entry.timer);
    entry.unlink?.();
    const release = entry.release;
    if (release) {
      if (entry.abandoned) void entry.abandoned.finally(release);
      else release();
    }
    this.#running.delete(entry.queryId);
    const sources = entry.sources ?? this.meter.end(entry.queryId);
    if (entry.sources) this.meter.end(entry.queryId);
    const durationMs = Math.round((performance.now() - entry.started) * 100) / 100;
    const outcome =
      error === undefined ? 'ok' : SpokeError.isInstance(error) ? error.code : ErrorCode.INTERNAL;
    const { protocol, address, principal } = entry.client;
    this.metrics.queries.inc({ protocol, outcome });
    this.metrics.duration.observe({ protocol }, durationMs / 1000);
    this.metrics.resultRows.inc({ protocol }, entry.rows);
    this.metrics.resultBytes.inc({ protocol }, entry.bytes);
    const message = error === undefined ? undefined : error instanceof Error ? error.message : String(error);
    // Without an audit sink, no record (its SQL hash and redaction cost more than the rest of this bookkeeping).
    if (this.#audit !== NO_AUDIT) {
      const sql = this.shownSql(entry.sql);
      const record: AuditRecord = {
        time: entry.time.toISOString(),
        queryId: entry.queryId,
        user: principal.user ?? null,
        roles: principal.roles,
        clientAddress: address ?? null,
        protocol,
        sqlHash: createHash('sha256').update(sql).digest('hex'),
        sql,
        ...(entry.generatedSql !== undefined ? { generatedSql: this.shownSql(entry.generatedSql) } : {}),
        appliedRules: entry.appliedRules,
        sources,
        rows: entry.rows,
        bytes: entry.bytes,
        durationMs,
        outcome,
        ...(message !== undefined ? { error: message } : {}),
      };
      this.#audit.write(record);
    }
    const fields = {
      queryId: entry.queryId,
      user: principal.user ?? null,
      protocol,
      outcome,
      durationMs,
      rows: entry.rows,
    };
    if (outcome === 'ok') this.#logger.debug('query finished', fields);
    else if (outcome === ErrorCode.INTERNAL) this.#logger.error(`query failed: ${message}`, fields);
    else this.#logger.info(`query ended: ${message}`, fields);
  }

  /**
   * Writes the audit record of a query refused before it reached the
   * service (authentication failed), and counts the failure.
   */
  refuse(client: ClientInfo, sql: string, error: SpokeError): void {
    const shown = this.shownSql(sql);
    if (error.code === ErrorCode.UNAUTHENTICATED)
      this.metrics.authFailures.inc({ protocol: client.protocol });
    this.metrics.queries.inc({ protocol: client.protocol, outcome: error.code });
    this.#audit.write({
      time: new Date().toISOString(),
      queryId: randomUUID(),
      user: client.principal.user ?? null,
      roles: client.principal.roles,
      clientAddress: client.address ?? null,
      protocol: client.protocol,
      sqlHash: createHash('sha256').update(shown).digest('hex'),
      sql: shown,
      appliedRules: [],
      sources: [],
      rows: 0,
      bytes: 0,
      durationMs: 0,
      outcome: error.code,
      error: error.message,
    });
    this.#logger.info(`refused: ${error.message}`, {
      protocol: client.protocol,
      clientAddress: client.address ?? null,
      user: client.principal.user ?? null,
    });
  }

  /** The plan of a statement, with the client's identity (policies depend on it). */
  explain(
    sql: string,
    options: QueryOptions = {},
    client: ClientInfo = { protocol: 'cli', principal: ANONYMOUS },
  ): Promise<ExplainPlan> {
    const oversized = oversizedBy(sql, this.maxQueryBytes);
    if (oversized !== undefined) return Promise.reject(queryTooLarge(oversized, this.maxQueryBytes));
    return this.engine.explain(sql, {
      ...options,
      context: this.context(randomUUID(), client, options),
    });
  }

  /** Every table of every source. */
  /** The tables `client` may see (security policies hide the others). */
  catalog(
    signal?: AbortSignal,
    client: ClientInfo = { protocol: 'cli', principal: ANONYMOUS },
  ): Promise<readonly CatalogTable[]> {
    return this.engine.catalog(signal, this.context(randomUUID(), client, undefined));
  }

  private visible(entry: Tracked, principal: Principal): boolean {
    if (principal.method === 'none' || principal.roles.includes(ADMIN_ROLE)) return true;
    return principal.user !== undefined && entry.client.principal.user === principal.user;
  }

  /** Queries running or queued: all of them for an admin (or with authentication off), otherwise the caller's own. */
  list(principal: Principal = ANONYMOUS): RunningQueryInfo[] {
    const now = performance.now();
    return [...this.#running.values()]
      .filter((entry) => !entry.finished && this.visible(entry, principal))
      .map((entry) => ({
        queryId: entry.queryId,
        user: entry.client.principal.user ?? null,
        protocol: entry.client.protocol,
        clientAddress: entry.client.address ?? null,
        sql: this.shownSql(entry.sql),
        startedAt: entry.time.toISOString(),
        elapsedMs: Math.round(now - entry.started),
        state: entry.state,
        rows: entry.rows,
        bytes: entry.bytes,
      }));
  }

  /**
   * Cancels a query end to end (sources included). `not-found` also for a
   * query the caller may not see, so ids of other users' queries are not confirmed.
   */
  cancel(queryId: string, principal: Principal = ANONYMOUS): 'cancelled' | 'not-found' {
    const entry = this.#running.get(queryId);
    if (!entry || entry.finished || !this.visible(entry, principal)) return 'not-found';
    const by = principal.user ? ` by ${principal.user}` : '';
    this.stop(
      entry,
      new SpokeError(ErrorCode.QUERY_CANCELLED, `query cancelled${by} (DELETE /v1/queries/${queryId})`),
    );
    return 'cancelled';
  }

  /** {@link list} over the whole gateway: every worker's queries when there are several. */
  listEverywhere(principal: Principal = ANONYMOUS): Promise<RunningQueryInfo[]> {
    return this.peers ? this.peers.list(principal) : Promise.resolve(this.list(principal));
  }

  /** {@link cancel} on whichever worker runs the query. */
  async cancelEverywhere(
    queryId: string,
    principal: Principal = ANONYMOUS,
  ): Promise<'cancelled' | 'not-found'> {
    if (this.cancel(queryId, principal) === 'cancelled') return 'cancelled';
    return this.peers ? this.peers.cancel(queryId, principal) : 'not-found';
  }

  /** The metrics text of the whole gateway (every worker's, summed, when there are several). */
  renderMetrics(): Promise<string> {
    return this.peers ? this.peers.metrics() : Promise.resolve(this.metrics.render());
  }

  /** Queries holding a slot now. */
  get activeQueries(): number {
    return this.#admission.running;
  }

  /** Cancels everything still running and closes the audit sink. The engine is closed by its owner. */
  async close(): Promise<void> {
    for (const entry of this.#running.values())
      this.stop(entry, new SpokeError(ErrorCode.QUERY_CANCELLED, 'server shutting down'));
    await this.#audit.close();
  }
}
