import type { SpokeCatalog } from './catalog.js';
import type { SourceFreshness } from './freshness.js';
import type { SqlExecutor } from './sql-executor.js';

/** The version of this contract. A connector declares the version it implements. */
export const SPECIFICATION_VERSION = 'v1' as const;

/** One configured source: a catalog of tables, and optionally whole sub-query push-down. */
export interface SpokeConnector {
  readonly specificationVersion: typeof SPECIFICATION_VERSION;
  readonly catalog: SpokeCatalog;
  /** Present on SQL-speaking sources: lets the planner send joins and aggregates as one query. */
  readonly sql?: SqlExecutor;
  /** Releases pools, files and handles. Called once when the gateway stops. */
  close(): Promise<void>;
  /**
   * Counters and gauges the connector keeps — pool sizes, cache hits, bytes
   * fetched — by snake_case name. The gateway exports each as
   * `spoke_source_metric{source="…",name="…"}`. Optional; cheap to call.
   */
  metrics?(): Readonly<Record<string, number>>;
  /**
   * When the source's data last changed, per table where it can tell them
   * apart. Optional: absent (or answering `undefined`) means unknown. Called
   * by the gateway's health probe after each successful probe, bounded by the
   * probe's timeout, so it must be cheap — catalog metadata, never a scan —
   * and watch `signal`.
   */
  freshness?(signal: AbortSignal): Promise<SourceFreshness | undefined>;
}

/** What the gateway tells a connector about where it runs. */
export interface ConnectorContext {
  /** The name the source has in the config (`sources.NAME`), used in errors. */
  readonly sourceName: string;
  /** Directory that relative paths in the options are resolved against (the config file's). */
  readonly baseDir: string;
}

/**
 * What a connector package exports (as `connector` and as its default
 * export): the gateway looks it up by the `connector:` name in the config.
 */
export interface ConnectorFactory {
  readonly specificationVersion: typeof SPECIFICATION_VERSION;
  /** The short name used in configs (`duckdb`, `postgres`). */
  readonly name: string;
  /**
   * Validates `options` (throwing `INVALID_CONFIG` naming the bad key) and
   * creates the connector. Should not do slow I/O beyond checking it can start.
   */
  create(options: Readonly<Record<string, unknown>>, context: ConnectorContext): Promise<SpokeConnector>;
}
