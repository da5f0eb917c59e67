/**
 * The store of the plan cache: planned statements by SQL text and the
 * caller's policy identity, least recently used evicted first.
 *
 * What a cached plan holds and when it may be reused is decided in
 * `cached-query.ts`; this file only keeps entries and counts.
 */
import type { QueryContext } from '@spoke/core';
import type { CachedFederatedPlan, CachedPlan } from './cached-plan.js';

/** Options of the plan cache. */
export interface PlanCacheOptions {
  /** Statements kept (least recently used evicted first). Default 512. */
  readonly maxEntries?: number;
  /**
   * Statements that differ only in the constants they compare with share a
   * plan (see literal-shape.ts). Default: on, unless the environment has
   * `SPOKE_PLAN_CACHE_LITERALS=off` (a switch for comparisons and incidents).
   */
  readonly literals?: boolean;
  /**
   * Federated statements (several sources, or DuckDB's residual) are cached
   * too, their scans planned again at each execution (see federated-plan.ts).
   * Default: on, unless the environment has `SPOKE_PLAN_CACHE_FEDERATED=off`.
   */
  readonly federated?: boolean;
  /**
   * A cached federated plan is planned again after this many milliseconds
   * (the schedule depends on the read cache's contents and on the link
   * profiles reads teach, which move). Default 5,000.
   */
  readonly federatedMaxAgeMs?: number;
}

/** Counters of a plan cache, for tests and metrics. */
export interface PlanCacheStats {
  /** Statements answered from a cached plan. */
  hits: number;
  /** Of the hits, those whose SQL came from a render template (no render at all). */
  templateHits: number;
  /**
   * Of the hits, those answered from a plan shared by statements that differ
   * only in literals (`… WHERE id = 42` and `… WHERE id = 43`).
   */
  literalHits: number;
  /** Of the hits, those answered from a federated plan whose scans were planned for the execution. */
  federatedHits: number;
  /**
   * Executions of a cached federated statement planned from scratch: their
   * scans took another shape, or a read's estimate moved too far.
   */
  replanned: number;
  /** Statements planned from scratch (first sight, or a plan found stale). */
  misses: number;
  /** Cached plans dropped because a table they read changed, or the policies did. */
  invalidations: number;
  /** Statements the cache does not keep (not a single-source SELECT pushed down whole, and the like). */
  bypassed: number;
}

/** See {@link PlanCacheOptions.federatedMaxAgeMs}. */
export const DEFAULT_FEDERATED_MAX_AGE_MS = 5_000;

/** A statement known not to be cacheable, looked at again after this long (its sources may change). */
const NOT_CACHEABLE_MS = 10_000;

type Entry = CachedPlan | CachedFederatedPlan | { readonly kind: 'not-cacheable'; readonly until: number };

/** Planned statements by key; see {@link PlanCache.key}. */
export class PlanCache {
  /**
   * Keys seen once and not planned for the cache: a statement is cached from
   * its second execution, so a stream of texts that never repeat (literals
   * inlined by a client) costs no extra planning and evicts no cached plan.
   */
  readonly #seen = new Map<string, true>();
  readonly stats: PlanCacheStats = {
    hits: 0,
    templateHits: 0,
    literalHits: 0,
    federatedHits: 0,
    replanned: 0,
    misses: 0,
    invalidations: 0,
    bypassed: 0,
  };
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  /** Whether statements that differ only in literals share a plan ({@link PlanCacheOptions.literals}). */
  readonly literals: boolean;
  /** Whether federated statements are cached ({@link PlanCacheOptions.federated}). */
  readonly federated: boolean;
  /** When a cached federated plan is planned again ({@link PlanCacheOptions.federatedMaxAgeMs}). */
  readonly federatedMaxAgeMs: number;

  constructor(options: PlanCacheOptions = {}) {
    this.#max = Math.max(1, options.maxEntries ?? 512);
    this.literals = options.literals ?? process.env.SPOKE_PLAN_CACHE_LITERALS !== 'off';
    this.federated = options.federated ?? process.env.SPOKE_PLAN_CACHE_FEDERATED !== 'off';
    this.federatedMaxAgeMs = options.federatedMaxAgeMs ?? DEFAULT_FEDERATED_MAX_AGE_MS;
  }

  /**
   * The key of a statement for a caller: its exact text and, when security
   * policies are configured, everything of the caller they may look at (user,
   * roles, attributes) — two callers share a plan only when the policies
   * cannot tell them apart.
   */
  static key(sql: string, context: QueryContext, withPolicy: boolean): string {
    if (!withPolicy) return sql;
    const attributes = Object.entries(context.attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    // secureTransport too: a require_tls table is refused to a plaintext caller with the same roles.
    const transport = context.secureTransport ?? null;
    return `${sql}\u0000${JSON.stringify([context.user ?? null, [...context.roles].sort(), attributes, transport])}`;
  }

  /**
   * The key of a literal-free shape (see literal-shape.ts) for a caller: its
   * text with the kinds of its constants, marked apart from statement texts,
   * and the caller's policy identity as in {@link PlanCache.key}.
   */
  static literalKey(text: string, kinds: string, context: QueryContext, withPolicy: boolean): string {
    return PlanCache.key(`\u0000literals ${kinds}\u0000${text}`, context, withPolicy);
  }

  /** The cached plan for `key`; `'not-cacheable'` when the statement was found not cacheable lately. */
  get(key: string): CachedPlan | CachedFederatedPlan | 'not-cacheable' | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.kind === 'not-cacheable') {
      if (Date.now() < entry.until) return 'not-cacheable';
      this.#entries.delete(key);
      return undefined;
    }
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** Keeps `plan` for `key`. */
  set(key: string, plan: CachedPlan | CachedFederatedPlan): void {
    this.#seen.delete(key);
    this.#put(key, plan);
  }

  /** True the first time `key` is offered (since it was last planned or forgotten): run it uncached, remembered. */
  firstSight(key: string): boolean {
    if (this.#seen.delete(key)) return false;
    this.#seen.set(key, true);
    if (this.#seen.size > this.#max * 2) this.#seen.delete(this.#seen.keys().next().value as string);
    return true;
  }

  /** Remembers for a while that the statement under `key` is not cacheable (so it is not analysed each time). */
  setNotCacheable(key: string): void {
    this.#put(key, { kind: 'not-cacheable', until: Date.now() + NOT_CACHEABLE_MS });
  }

  /** Drops the plan under `key` (it went stale). */
  invalidate(key: string): void {
    if (this.#entries.delete(key)) this.stats.invalidations++;
  }

  /** Drops every plan (after DDL, a configuration reload…). */
  clear(): void {
    this.#entries.clear();
    this.#seen.clear();
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  #put(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
