/**
 * Health per source: a periodic, cheap probe of each source — `SELECT 1`
 * through a SQL-speaking source's executor, otherwise listing its schemas —
 * bounded by a timeout, with last success, last error, latency and a short
 * history. A source is `up` when its last probe answered, `down` when it
 * failed, and `degraded` when it answered but slowly or a query's access to
 * it failed recently. Probes use the unwrapped connectors, so they are not
 * access events and count toward no query.
 */
import { ErrorCode, type SpokeConnector, SpokeError } from '@spoke/core';
import type { AccessEvent } from '../events/access-event.js';
import type { FreshnessCheck } from './source-freshness.js';

/** A source's state as the map shows it. */
export type SourceState = 'up' | 'degraded' | 'down' | 'unknown';

/** One probe's result. */
export interface ProbeResult {
  /** When it ended, ISO 8601. */
  readonly time: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly errorCode?: string;
  readonly error?: string;
}

/** What `GET /v1/sources` shows of a source's health. */
export interface SourceHealth {
  readonly state: SourceState;
  /** Why the state is not `up`, in a few words. */
  readonly reason: string | null;
  readonly latencyMs: number | null;
  readonly lastProbe: string | null;
  readonly lastSuccess: string | null;
  readonly lastError: { readonly time: string; readonly code: string; readonly message: string } | null;
  /** Recent probes, oldest first. */
  readonly history: readonly ProbeResult[];
}

/** Options for {@link HealthMonitor}. */
export interface HealthMonitorOptions {
  /** Time between probes of a source, ms. Default 10 000. */
  readonly intervalMs?: number;
  /** A probe that takes longer fails, ms. Default 5 000. */
  readonly timeoutMs?: number;
  /** A probe slower than this leaves the source `degraded`, ms. Default 1 000. */
  readonly slowMs?: number;
  /** Probes kept per source. Default 60. */
  readonly historySize?: number;
  /**
   * How often a source that answers its probe is also asked when its data
   * last changed (`SpokeConnector.freshness`), ms. Default 60 000.
   */
  readonly freshnessIntervalMs?: number;
}

interface Entry {
  history: ProbeResult[];
  lastSuccess: string | null;
  lastError: { time: string; code: string; message: string } | null;
  /** When a query's access to the source last failed (ms since epoch). */
  accessErrorAt: number;
  accessError: string | null;
  /** The probe running now, if any. */
  running: Promise<ProbeResult | undefined> | undefined;
  freshness: FreshnessCheck | undefined;
}

/** The query context probes run with: no user, no roles. */
const PROBE_CONTEXT = { queryId: 'spoke-health-probe', roles: [] as string[] };

async function probe(connector: SpokeConnector, signal: AbortSignal): Promise<void> {
  if (connector.sql) {
    for await (const _batch of connector.sql.execute(
      { sql: 'SELECT 1', params: [] },
      { signal, context: PROBE_CONTEXT },
    )) {
      // drained: the answer itself does not matter
    }
  } else await connector.catalog.listSchemas(signal);
}

/** Probes every source periodically; see the file comment. */
export class HealthMonitor {
  readonly #connectors: ReadonlyMap<string, SpokeConnector>;
  readonly #entries = new Map<string, Entry>();
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #slowMs: number;
  readonly #historySize: number;
  readonly #freshnessIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(connectors: ReadonlyMap<string, SpokeConnector>, options: HealthMonitorOptions = {}) {
    this.#connectors = connectors;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#slowMs = options.slowMs ?? 1_000;
    this.#historySize = options.historySize ?? 60;
    this.#freshnessIntervalMs = options.freshnessIntervalMs ?? 60_000;
  }

  /** The probe interval, ms. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Source names, in config order. */
  sources(): string[] {
    return [...this.#connectors.keys()];
  }

  private entry(source: string): Entry {
    let entry = this.#entries.get(source);
    if (!entry) {
      entry = {
        history: [],
        lastSuccess: null,
        lastError: null,
        accessErrorAt: 0,
        accessError: null,
        running: undefined,
        freshness: undefined,
      };
      this.#entries.set(source, entry);
    }
    return entry;
  }

  /** Probes every source now, then every interval until {@link close}. */
  start(): void {
    if (this.#timer || this.#closed) return;
    const scheduled = () => {
      for (const source of this.sources()) void this.probe(source);
    };
    scheduled();
    this.#timer = setInterval(scheduled, this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Probes every source now (concurrently), freshness included whatever its
   * interval; resolves when all have answered or timed out. A probe already
   * running is waited for and followed by a new one, so what is read after
   * this resolves was observed after it was called.
   */
  async probeAll(): Promise<void> {
    await Promise.all(this.sources().map((source) => this.probe(source, { now: true })));
  }

  /**
   * Probes one source. On the schedule (`now` unset) a probe still running is
   * not started twice and the freshness is asked at its own interval; with
   * `now`, the running probe is waited for, then a new one asks both.
   */
  async probe(source: string, options: { now?: boolean } = {}): Promise<ProbeResult | undefined> {
    const entry = this.entry(source);
    if (entry.running) {
      if (!options.now) return undefined;
      await entry.running;
      // Another caller may have started the next probe meanwhile: it too began after this call.
      if (entry.running) return entry.running;
    }
    const running = this.runProbe(source, entry, options.now === true);
    entry.running = running;
    try {
      return await running;
    } finally {
      if (entry.running === running) entry.running = undefined;
    }
  }

  private async runProbe(source: string, entry: Entry, freshNow: boolean): Promise<ProbeResult | undefined> {
    const connector = this.#connectors.get(source);
    if (!connector || this.#closed) return undefined;
    const started = performance.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let result: ProbeResult;
    try {
      // The timer also bounds a connector that does not watch its signal.
      await Promise.race([
        probe(connector, controller.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const error = new SpokeError(
              ErrorCode.QUERY_TIMEOUT,
              `probe took longer than ${this.#timeoutMs} ms`,
            );
            controller.abort(error);
            reject(error);
          }, this.#timeoutMs);
        }),
      ]);
      result = {
        time: new Date().toISOString(),
        ok: true,
        latencyMs: Math.round(performance.now() - started),
      };
      entry.lastSuccess = result.time;
      await this.checkFreshness(connector, entry, controller.signal, freshNow);
    } catch (error) {
      const code = SpokeError.isInstance(error) ? error.code : 'SOURCE_UNAVAILABLE';
      const message = error instanceof Error ? error.message : String(error);
      result = {
        time: new Date().toISOString(),
        ok: false,
        latencyMs: Math.round(performance.now() - started),
        errorCode: code,
        error: message,
      };
      entry.lastError = { time: result.time, code, message };
    } finally {
      clearTimeout(timer);
    }
    entry.history.push(result);
    if (entry.history.length > this.#historySize) entry.history.shift();
    return result;
  }

  /**
   * Asks the connector when its data last changed, when it can say and the
   * last answer is older than the freshness interval (or `now`). Within the probe's
   * timeout; a failure is kept beside the previous answer and fails no probe.
   */
  private async checkFreshness(
    connector: SpokeConnector,
    entry: Entry,
    signal: AbortSignal,
    now: boolean,
  ): Promise<void> {
    if (!connector.freshness) return;
    const last = entry.freshness;
    if (!now && last && Date.now() - last.checkedAt.getTime() < this.#freshnessIntervalMs) return;
    try {
      // The probe's timer aborts `signal`: a connector that does not watch it is not waited for.
      const stopped = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      const result = await Promise.race([connector.freshness(signal), stopped]);
      entry.freshness = { checkedAt: new Date(), result, error: null };
    } catch (error) {
      entry.freshness = {
        checkedAt: new Date(),
        result: last?.result,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  /** The last answer of `source`'s freshness check, if it was asked. */
  freshness(source: string): FreshnessCheck | undefined {
    return this.#entries.get(source)?.freshness;
  }

  /** Notes a query's access that failed at the source (from the event bus): the source shows `degraded` for a while. */
  noteAccess(event: AccessEvent): void {
    if (event.outcome !== 'error') return;
    const entry = this.entry(event.source);
    entry.accessErrorAt = Date.now();
    entry.accessError = `${event.errorCode ?? 'ERROR'}: ${event.error ?? ''}`;
  }

  /** The health of `source` now. */
  health(source: string): SourceHealth {
    const entry = this.entry(source);
    const last = entry.history.at(-1);
    let state: SourceState = 'unknown';
    let reason: string | null = 'not probed yet';
    if (last && !last.ok) {
      state = 'down';
      reason = `${last.errorCode}: ${last.error}`;
    } else if (last) {
      state = 'up';
      reason = null;
      if (Date.now() - entry.accessErrorAt < 2 * this.#intervalMs) {
        state = 'degraded';
        reason = `a query's access failed: ${entry.accessError}`;
      } else if (last.latencyMs > this.#slowMs) {
        state = 'degraded';
        reason = `probe took ${last.latencyMs} ms`;
      }
    }
    return {
      state,
      reason,
      latencyMs: last?.latencyMs ?? null,
      lastProbe: last?.time ?? null,
      lastSuccess: entry.lastSuccess,
      lastError: entry.lastError,
      history: [...entry.history],
    };
  }

  /** Stops probing. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
