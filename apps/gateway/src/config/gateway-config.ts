/**
 * The gateway's configuration, as {@link loadConfig} returns it after
 * interpolation and validation.
 */

import type { NlConfig } from '@spoke/nl';
import type { GraphsConfig } from '../graph/graphs-config.js';
import type { EventsConfig } from './validate-events-config.js';

/** A certificate and its private key (PEM files), paths resolved against the config's directory. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Where one listener binds. Port 0 asks the OS for a free port. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** Serve TLS with these files: the listener's own `tls:`, else the top-level `tls:`. */
  readonly tls?: TlsFiles;
}

/** The `server:` section. A listener that is absent is not started. */
export interface ServerConfig {
  /** The HTTP API (`/v1/query`, `/v1/explain`, `/v1/catalog`, `/healthz`). */
  readonly http?: ListenAddress;
  /** The PostgreSQL wire protocol listener. */
  readonly postgres?: ListenAddress;
  /** The Arrow Flight SQL (gRPC) listener; not started unless configured. */
  readonly flight?: ListenAddress;
  /**
   * Processes `spoke serve` runs, sharing the listeners (node:cluster), each
   * with its own engine, pools and DuckDB. Absent: one per core
   * (`os.availableParallelism()`); 1 serves in a single process, as embedding does.
   */
  readonly workers?: number;
}

/** The `duckdb:` section: the embedded DuckDB that runs the residual of every query. */
export interface DuckDbEngineConfig {
  /** DuckDB's `memory_limit`, e.g. `2GB`; past it, big joins and sorts spill to `tempDirectory`. */
  readonly memoryLimit?: string;
  /** A memory limit for each federated query: it runs in a DuckDB of its own with this `memory_limit`, spilling past it. */
  readonly queryMemoryLimit?: string;
  /** Where DuckDB spills; relative paths are resolved against the config file's directory. */
  readonly tempDirectory?: string;
  /** DuckDB's worker threads. */
  readonly threads?: number;
  /**
   * The engine's read cache (rows of Parquet objects kept loaded in DuckDB
   * for later queries over the same objects): Arrow bytes kept at most, and
   * the largest read kept; `false` turns it off. Absent: on, 64 MiB.
   */
  readonly readCache?: ReadCacheConfig | false;
  /**
   * Small residuals (a projection, inner equi-joins, an order and a limit
   * over reads of at most 10,000 rows) run on the rows read, without DuckDB;
   * `false` sends every residual to DuckDB. Absent: on.
   */
  readonly inMemoryResidual?: boolean;
}

/** `duckdb.readCache`: the planner's `ReadCacheOptions`, in bytes. */
export interface ReadCacheConfig {
  /** Arrow bytes of rows kept at most, over all entries (default 64 MiB). */
  readonly maxBytes?: number;
  /** A read larger than this is not kept (default a quarter of `maxBytes`). */
  readonly maxEntryBytes?: number;
}

/** One entry of `sources:`. */
export interface SourceConfig {
  /** As written: a short name (`duckdb` → `@spoke/connector-duckdb`) or a package specifier. */
  readonly connector: string;
  /** Every other key of the entry, handed to the connector's factory (`connector` included, `link` not). */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * The network to this source as the optimizer should first assume it
   * (`link: { latencyMs, mbps, rowsPerSecond }`); every read then refines
   * it. Absent: an in-process engine or a nearby server, by connector.
   */
  readonly link?: SourceLinkConfig;
}

/** `sources.X.link`: what the cost model starts from for this source. */
export interface SourceLinkConfig {
  /** Milliseconds from a request to its first row. */
  readonly latencyMs?: number;
  /** Megabits per second the rows arrive at. */
  readonly mbps?: number;
  /** Rows per second the source and the decoding sustain. */
  readonly rowsPerSecond?: number;
}

/** One entry of `users:`. */
export interface UserConfig {
  /** `scrypt$N$r$p$salt$hash` (see `spoke hash-password`). */
  readonly passwordHash: string;
  /** PostgreSQL's `SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey`, for SCRAM logins on the Postgres wire. */
  readonly scramSha256?: string;
  readonly roles: readonly string[];
  /** Attributes row-level policies may refer to (region, tenant…). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** One entry of `api_keys:`: a bearer token for HTTP (and Flight) acting as `user`. */
export interface ApiKeyConfig {
  /** `sha256$hex` of the key. */
  readonly keyHash: string;
  readonly user: string;
}

/** The `auth.jwt` section: bearer JWTs validated against a JWKS file. */
export interface JwtConfig {
  /** Resolved against the config's directory. */
  readonly jwksFile: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Default `roles`. */
  readonly rolesClaim: string;
  /** Default `sub`. */
  readonly userClaim: string;
}

/**
 * The `auth.login_throttle` section: failed logins counted per (user, client
 * address) and per client address; past a threshold, attempts are refused
 * for a backoff that doubles with each further failure.
 */
export interface LoginThrottleConfig {
  /** Failures of one user from one address before backoff starts. Default 5. */
  readonly maxFailures: number;
  /** Failures from one address, whatever the users, before backoff starts. Default 50. */
  readonly maxFailuresPerAddress: number;
  /** Failures are forgotten once this long passes without a new one. Default 15 minutes. */
  readonly windowMs: number;
  /** The first backoff, doubled at each further failure. Default 1 s. */
  readonly backoffMs: number;
  /** The longest backoff. Default 60 s. */
  readonly maxBackoffMs: number;
}

/** The `auth:` section. */
export interface AuthConfig {
  readonly jwt?: JwtConfig;
  /** Failed-login throttling; the defaults when absent, off when `false`. */
  readonly loginThrottle?: LoginThrottleConfig | false;
}

/** The `limits:` section. Absent members mean no limit. */
export interface LimitsConfig {
  readonly queryTimeoutMs?: number;
  readonly maxResultRows?: number;
  readonly maxResultBytes?: number;
  readonly maxConcurrentQueries?: number;
  readonly maxConcurrentPerUser?: number;
  /** How long a query may wait for a slot before RESOURCE_EXHAUSTED "too busy". Default 10 s. */
  readonly queueTimeoutMs: number;
  /** Largest statement accepted, in UTF-8 bytes; larger ones are refused before parsing (SQLSTATE 54000). Default 128 KiB (`DEFAULT_MAX_QUERY_BYTES`). */
  readonly maxQueryBytes?: number;
}

/** The `audit:` section: one JSON line per query. */
export interface AuditConfig {
  /** Append to this file (resolved against the config's directory)… */
  readonly path?: string;
  /** …or write to standard output. */
  readonly stdout: boolean;
  /** Replace literals in the SQL text with `?` before writing it. */
  readonly redactLiterals: boolean;
}

/** The `logging:` section. */
export interface LoggingConfig {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  /** `json` (one object a line, the default) or `text`. */
  readonly format: 'json' | 'text';
}

/** The whole configuration. */
export interface GatewayConfig {
  readonly server: ServerConfig;
  readonly duckdb?: DuckDbEngineConfig;
  /** Users by name. When empty (and no JWT is configured) authentication is off and listeners must be loopback. */
  readonly users?: Readonly<Record<string, UserConfig>>;
  readonly apiKeys?: Readonly<Record<string, ApiKeyConfig>>;
  readonly auth?: AuthConfig;
  readonly limits?: LimitsConfig;
  readonly audit?: AuditConfig;
  /** Access-event sinks and source health probes (see `validate-events-config.ts`). */
  readonly events?: EventsConfig;
  readonly logging?: LoggingConfig;
  /** Security policies (see docs/policies.md): a list of rules, or the design's mapping shorthand. */
  readonly policies?: unknown;
  /** Natural language (`POST /v1/ask`, `spoke ask`, `embed()` in SQL): the language models to use. */
  readonly nl?: NlConfig;
  /** Property graphs over the sources' tables, for Cypher (`POST /v1/cypher`, `spoke cypher`, `cypher()` in SQL). */
  readonly graphs?: GraphsConfig;
  /** Sources by their configured name, which is also the first part of `source.schema.table`. */
  readonly sources: Readonly<Record<string, SourceConfig>>;
  /** Directory relative paths are resolved against: the config file's, or the demo data directory. */
  readonly baseDir: string;
  /** The file the configuration was read from, when there is one; used in messages. */
  readonly file?: string;
}
