import type { SpokeCatalog } from './catalog.js';
import type { ConnectorDocs } from './connector-docs.js';
import type { SourceFreshness } from './freshness.js';
import type { SqlExecutor } from './sql-executor.js';

/** The version of this contract. A connector declares the version it implements. */
export const SPECIFICATION_VERSION = 'v1' as const;

/**
 * One configured source: a catalog of tables, and optionally whole sub-query push-down.
 *
 * **Concurrency.** One connector serves every query of the gateway. Its
 * catalog calls, table scans and `sql` statements may be in flight at the
 * same time — several queries at once, the same table scanned twice in one
 * query (a self-join), a pushed sub-query running before the scans — and
 * their iterators may be advanced in any interleaving. A connector must
 * give each scan its own cursor or connection (a pool), or queue them
 * itself; it must not assume one scan finishes before the next starts.
 * Nothing is called after {@link SpokeConnector.close}, which is called
 * once, after every scan has ended.
 *
 * **Errors.** Throw `SpokeError` (from `@spoke/core`) with the code that
 * says what went wrong, the configured source name in `options.source`,
 * and the driver's error as `cause`; the gateway maps each code to an HTTP
 * status and a PostgreSQL SQLSTATE (a `details.sqlstate` overrides it):
 *
 * - `INVALID_CONFIG` — bad options, from the factory's `create`, naming the key;
 * - `SOURCE_UNAVAILABLE` — the source cannot be reached, went away, or its
 *   file or directory is missing or unreadable;
 * - `SOURCE_ERROR` — the source refused a statement it was sent;
 * - `TABLE_NOT_FOUND` / `COLUMN_NOT_FOUND` — a name that does not exist
 *   (a catalog's `getTable` answers `undefined` for a missing table instead);
 * - `UNSUPPORTED` — a request outside what the connector declared (the
 *   planner then keeps that work in its own engine where it can);
 * - `QUERY_CANCELLED` — the request's signal aborted (`SpokeError.cancelled(signal)`);
 * - `INVALID_QUERY` — a value the source cannot take (NUL in a string…).
 *
 * Anything else (a plain `Error`) reaches the user as `INTERNAL`.
 */
export interface SpokeConnector {
  readonly specificationVersion: typeof SPECIFICATION_VERSION;
  readonly catalog: SpokeCatalog;
  /** Present on SQL-speaking sources: lets the planner send joins and aggregates as one query. */
  readonly sql?: SqlExecutor;
  /**
   * `false` when this source's rows cross a network unencrypted (a remote
   * gateway reached over plain `grpc://`); `true` over TLS; absent for
   * in-process sources. `require_tls` policies refuse their tables over a
   * link that is not encrypted.
   */
  readonly encryptedLink?: boolean;
  /**
   * The site the source's work runs on when that is another gateway (a
   * Spoke peer): its name, which EXPLAIN shows for every operator sent
   * there and for the bytes on the link to it. Absent: this gateway (a
   * database server this gateway reads is not a site of its own).
   */
  readonly site?: string | undefined;
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
  /** Options, type mapping and push-down, for the README `spoke connector-docs` generates. Optional. */
  readonly docs?: ConnectorDocs;
}
