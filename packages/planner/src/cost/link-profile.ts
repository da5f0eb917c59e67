/**
 * The network between the gateway and each source, as the cost model sees
 * it: the round trip a request costs before its first row, the bandwidth
 * its rows come at, and the rows per second the source and the decoding to
 * Arrow sustain. Configured per source (`sources.X.link: { latencyMs, mbps }`
 * in the gateway's YAML) or defaulted by kind — an in-process engine
 * (DuckDB, Lance, Parquet) is microseconds away, a SQL server a loopback or
 * LAN hop — and learned from every read the gateway sees, as an
 * exponentially decayed average, so a slow link shows in the next plan.
 * Configured figures are the starting point the observations move.
 */

/** One source's link. */
export interface LinkProfile {
  /** Milliseconds from a request to its first row (round trip plus the source's start-up). */
  readonly latencyMs: number;
  /** Megabits per second the rows arrive at. */
  readonly mbps: number;
  /** Rows per second the source produces and the gateway decodes (the per-row cost, apart from bytes). */
  readonly rowsPerSecond: number;
  /** Rows per second the source goes through its table to answer (a filtered scan). */
  readonly scanRowsPerSecond: number;
}

/** What the operator may set per source (`sources.X.link`). */
export interface LinkConfig {
  readonly latencyMs?: number;
  readonly mbps?: number;
  readonly rowsPerSecond?: number;
}

/** A source answered in-process: no network, rows at memory speed. */
export const IN_PROCESS_LINK: LinkProfile = {
  latencyMs: 0.5,
  mbps: 20_000,
  rowsPerSecond: 15_000_000,
  scanRowsPerSecond: 100_000_000,
};
/** A database server on this machine or the LAN: a round trip, then its wire protocol's speed. */
export const SERVER_LINK: LinkProfile = {
  latencyMs: 2,
  mbps: 800,
  rowsPerSecond: 2_000_000,
  scanRowsPerSecond: 10_000_000,
};

/** Weight of the newest observation in the decayed averages. */
const LEARNING_RATE = 0.3;
/** Weight of a round trip slower than the profile's (see {@link LinkProfiles.observe}). */
const SLOW_EVIDENCE_RATE = 0.05;
/** Reads smaller than this say little about bandwidth (their time is mostly the round trip). */
const MIN_BYTES_FOR_BANDWIDTH = 256 * 1024;

/** One read the executor saw, fed back into the source's profile. */
export interface ObservedRead {
  /** Milliseconds until the first batch arrived. */
  readonly firstBatchMs: number;
  /** Milliseconds until the last batch arrived. */
  readonly elapsedMs: number;
  readonly rows: number;
  readonly bytes: number;
}

/** Link profiles per source: configured, defaulted, and learned from observed reads. */
export class LinkProfiles {
  readonly #profiles = new Map<string, LinkProfile>();
  readonly #configured: Readonly<Record<string, LinkConfig>>;

  constructor(configured: Readonly<Record<string, LinkConfig>> = {}) {
    this.#configured = configured;
  }

  /** The profile of `source`; `remote` says whether it is a server (a SQL executor) rather than in-process. */
  get(source: string, remote: boolean): LinkProfile {
    const learned = this.#profiles.get(source);
    if (learned) return learned;
    const base = remote ? SERVER_LINK : IN_PROCESS_LINK;
    const configured = this.#configured[source] ?? {};
    return {
      latencyMs: configured.latencyMs ?? base.latencyMs,
      mbps: configured.mbps ?? base.mbps,
      rowsPerSecond: configured.rowsPerSecond ?? base.rowsPerSecond,
      scanRowsPerSecond: base.scanRowsPerSecond,
    };
  }

  /** Moves `source`'s profile towards what one read showed. */
  observe(source: string, remote: boolean, read: ObservedRead): void {
    const current = this.get(source, remote);
    const mix = (old: number, seen: number) => old + LEARNING_RATE * (seen - old);
    // Reads run concurrently, so a first batch can be late for want of the event loop or a core rather
    // than for the link: a faster round trip is believed at once, a slower one only slowly.
    const firstBatch = Math.max(0.05, read.firstBatchMs);
    const latencyMs =
      firstBatch < current.latencyMs
        ? mix(current.latencyMs, firstBatch)
        : current.latencyMs + SLOW_EVIDENCE_RATE * (firstBatch - current.latencyMs);
    const streamMs = Math.max(0.01, read.elapsedMs - read.firstBatchMs);
    const mbps =
      read.bytes >= MIN_BYTES_FOR_BANDWIDTH
        ? mix(current.mbps, (read.bytes * 8) / 1000 / streamMs)
        : current.mbps;
    const rowsPerSecond =
      read.rows >= 10_000 ? mix(current.rowsPerSecond, (read.rows * 1000) / streamMs) : current.rowsPerSecond;
    this.#profiles.set(source, {
      latencyMs,
      mbps,
      rowsPerSecond,
      scanRowsPerSecond: current.scanRowsPerSecond,
    });
  }

  /** Every source's current profile (EXPLAIN, the console). */
  snapshot(): Record<string, LinkProfile> {
    return Object.fromEntries(this.#profiles);
  }
}
