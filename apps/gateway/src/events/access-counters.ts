/**
 * Rolling counters per source and per table, fed by the access events and
 * the batches of accesses under way: totals since start (reads, writes,
 * rows, bytes, errors, last access, last error) and the last minute in
 * one-second buckets, from which the console draws rows/s. Tiering and
 * caching will read the same figures.
 */
import type { AccessEvent, ActiveAccess } from './access-event.js';
import type { EventSink } from './event-bus.js';

/** Totals for one source or one table. */
export interface AccessTotals {
  reads: number;
  writes: number;
  rows: number;
  bytes: number;
  errors: number;
  cancelled: number;
  /** When the last access ended, ISO 8601; null before the first. */
  lastAccess: string | null;
  /** The last failed access. */
  lastError: { readonly time: string; readonly code: string | null; readonly message: string | null } | null;
}

/** Rates over the last few seconds and the last minute's sums for one source. */
export interface SourceActivity {
  /** Rows per second read over the last {@link RATE_WINDOW_SECONDS} seconds. */
  readonly rowsPerSecond: number;
  readonly bytesPerSecond: number;
  /** Accesses under way now. */
  readonly active: number;
  readonly lastMinute: {
    readonly rows: number;
    readonly bytes: number;
    readonly reads: number;
    readonly errors: number;
  };
}

/** The window `rowsPerSecond` is averaged over. */
export const RATE_WINDOW_SECONDS = 3;

const BUCKETS = 60;

function emptyTotals(): AccessTotals {
  return {
    reads: 0,
    writes: 0,
    rows: 0,
    bytes: 0,
    errors: 0,
    cancelled: 0,
    lastAccess: null,
    lastError: null,
  };
}

/** One-second buckets over the last minute. */
class Ring {
  readonly rows = new Float64Array(BUCKETS);
  readonly bytes = new Float64Array(BUCKETS);
  readonly reads = new Float64Array(BUCKETS);
  readonly errors = new Float64Array(BUCKETS);
  #second = 0;

  /** The bucket for `now`, clearing those skipped since the last call. */
  slot(now: number): number {
    const second = Math.floor(now / 1000);
    if (second - this.#second >= BUCKETS) this.clear();
    else for (let s = this.#second + 1; s <= second; s++) this.zero(s % BUCKETS);
    if (second > this.#second) this.#second = second;
    return second % BUCKETS;
  }

  private zero(i: number): void {
    this.rows[i] = 0;
    this.bytes[i] = 0;
    this.reads[i] = 0;
    this.errors[i] = 0;
  }

  private clear(): void {
    for (let i = 0; i < BUCKETS; i++) this.zero(i);
  }

  /** Sum of `series` over the last `seconds` complete-or-current seconds. */
  sum(series: Float64Array, now: number, seconds: number): number {
    const current = this.slot(now);
    let total = 0;
    for (let k = 0; k < seconds; k++) total += series[(current - k + BUCKETS) % BUCKETS]!;
    return total;
  }
}

/** See the file comment. Also an {@link EventSink}, so the bus feeds it. */
export class AccessCounters implements EventSink {
  readonly name = 'counters';
  readonly #sources = new Map<
    string,
    { totals: AccessTotals; ring: Ring; tables: Map<string, AccessTotals> }
  >();
  /** Accesses under way per source (kept by whoever feeds `batch`). */
  active: (source: string) => number = () => 0;

  private entry(source: string) {
    let entry = this.#sources.get(source);
    if (!entry) {
      entry = { totals: emptyTotals(), ring: new Ring(), tables: new Map() };
      this.#sources.set(source, entry);
    }
    return entry;
  }

  /** Counts rows as they arrive, so rates move while a long scan runs. */
  batch(access: ActiveAccess, rows: number, bytes: number, now = Date.now()): void {
    if (access.operation !== 'read') return;
    const { ring } = this.entry(access.source);
    const i = ring.slot(now);
    ring.rows[i]! += rows;
    ring.bytes[i]! += bytes;
  }

  write(event: AccessEvent): void {
    const entry = this.entry(event.source);
    const i = entry.ring.slot(Date.now());
    entry.ring.reads[i]! += 1;
    if (event.outcome === 'error') entry.ring.errors[i]! += 1;
    add(entry.totals, event);
    for (const table of event.tables) {
      let totals = entry.tables.get(table);
      if (!totals) {
        totals = emptyTotals();
        entry.tables.set(table, totals);
      }
      // Rows and bytes of a sub-query over several tables belong to none of them alone.
      add(totals, event.tables.length === 1 ? event : { ...event, rows: 0, bytes: 0 });
    }
  }

  /** Totals for `source` (zeros when it was never accessed). */
  totals(source: string): AccessTotals {
    return { ...(this.#sources.get(source)?.totals ?? emptyTotals()) };
  }

  /** Totals per table of `source`, `schema.table` → totals. */
  tables(source: string): Map<string, AccessTotals> {
    return new Map(this.#sources.get(source)?.tables ?? []);
  }

  /** Current rates and the last minute for `source`. */
  activity(source: string, now = Date.now()): SourceActivity {
    const entry = this.#sources.get(source);
    const active = this.active(source);
    if (!entry)
      return {
        rowsPerSecond: 0,
        bytesPerSecond: 0,
        active,
        lastMinute: { rows: 0, bytes: 0, reads: 0, errors: 0 },
      };
    const { ring } = entry;
    return {
      rowsPerSecond: ring.sum(ring.rows, now, RATE_WINDOW_SECONDS) / RATE_WINDOW_SECONDS,
      bytesPerSecond: ring.sum(ring.bytes, now, RATE_WINDOW_SECONDS) / RATE_WINDOW_SECONDS,
      active,
      lastMinute: {
        rows: ring.sum(ring.rows, now, BUCKETS),
        bytes: ring.sum(ring.bytes, now, BUCKETS),
        reads: ring.sum(ring.reads, now, BUCKETS),
        errors: ring.sum(ring.errors, now, BUCKETS),
      },
    };
  }
}

function add(totals: AccessTotals, event: AccessEvent): void {
  if (event.operation === 'read') totals.reads++;
  else totals.writes++;
  totals.rows += event.rows;
  totals.bytes += event.bytes;
  totals.lastAccess = event.time;
  if (event.outcome === 'error') {
    totals.errors++;
    totals.lastError = { time: event.time, code: event.errorCode, message: event.error };
  } else if (event.outcome === 'cancelled') totals.cancelled++;
}
