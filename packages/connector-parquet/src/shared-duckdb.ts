/**
 * One DuckDB instance for every Parquet connector of the process, used only
 * to decode (each scan on its own connection, with its own session settings
 * and temporary tables).
 *
 * Why shared: an instance costs about 10 ms of CPU to start and as much to
 * close, and runs a thread per core. A connector created per source, or
 * again on a configuration reload, started its own: its start competed for
 * the cores with the first query's listing and footer GETs, and its first
 * queries ran on a cold instance (Parquet on s3rver, a new connector's
 * first selective query: median 78 → 55 ms on one 10M-row object, 98 → 77
 * ms on 12 objects, in alternating runs). N sources kept N thread pools and
 * N memory budgets; they now share one.
 *
 * The instance lives while a connector holds it, and {@link IDLE_CLOSE_MS}
 * more (a connector re-created right after the last one closed finds it
 * running); the timer does not keep the process alive.
 */
import { DuckDBInstance } from '@duckdb/node-api';

/** How long the instance outlives its last holder, by default. */
export const IDLE_CLOSE_MS = 30_000;

let idleCloseMs = IDLE_CLOSE_MS;

/** Sets how long the instance outlives its last holder (tests shorten it); returns the previous value. */
export function setSharedDuckDBIdleClose(ms: number): number {
  const previous = idleCloseMs;
  idleCloseMs = ms;
  return previous;
}

let instance: Promise<DuckDBInstance> | undefined;
let holders = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** Counts one more holder (a connector's decoder); pair with {@link releaseSharedDuckDB}. */
export function holdSharedDuckDB(): void {
  holders++;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
}

/**
 * The shared instance, started on first use. A failed start is not
 * remembered: the next call tries again.
 */
export function sharedDuckDB(): Promise<DuckDBInstance> {
  if (!instance) {
    const created = DuckDBInstance.create(':memory:');
    instance = created;
    created.catch(() => {
      if (instance === created) instance = undefined;
    });
  }
  return instance;
}

/**
 * One holder fewer. Call it only once the holder's connections are closed
 * and none is being opened (closing DuckDB under a connecting thread
 * crashes). With no holder left, the instance closes after {@link IDLE_CLOSE_MS}
 * (or what {@link setSharedDuckDBIdleClose} set).
 */
export function releaseSharedDuckDB(): void {
  holders = Math.max(0, holders - 1);
  if (holders > 0 || !instance || idleTimer) return;
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    const closing = instance;
    if (holders > 0 || !closing) return;
    instance = undefined;
    void closing.then(
      (i) => i.closeSync(),
      () => undefined,
    );
  }, idleCloseMs);
  idleTimer.unref();
}
