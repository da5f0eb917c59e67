/**
 * The gateway's configuration, as {@link loadConfig} returns it after
 * interpolation and validation.
 */

/** Where one listener binds. Port 0 asks the OS for a free port. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** The `server:` section. A listener that is absent is not started. */
export interface ServerConfig {
  /** The HTTP API (`/v1/query`, `/v1/explain`, `/v1/catalog`, `/healthz`). */
  readonly http?: ListenAddress;
  /** The PostgreSQL wire protocol listener. */
  readonly postgres?: ListenAddress;
}

/** The `duckdb:` section: the embedded DuckDB that runs the residual of every query. */
export interface DuckDbEngineConfig {
  /** DuckDB's `memory_limit`, e.g. `2GB`; past it, big joins and sorts spill to `tempDirectory`. */
  readonly memoryLimit?: string;
  /** Where DuckDB spills; relative paths are resolved against the config file's directory. */
  readonly tempDirectory?: string;
  /** DuckDB's worker threads. */
  readonly threads?: number;
}

/** One entry of `sources:`. */
export interface SourceConfig {
  /** As written: a short name (`duckdb` → `@spoke/connector-duckdb`) or a package specifier. */
  readonly connector: string;
  /** Every other key of the entry, handed to the connector's factory (`connector` included). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** The whole configuration. */
export interface GatewayConfig {
  readonly server: ServerConfig;
  readonly duckdb?: DuckDbEngineConfig;
  /** Sources by their configured name, which is also the first part of `source.schema.table`. */
  readonly sources: Readonly<Record<string, SourceConfig>>;
  /** Directory relative paths are resolved against: the config file's, or the demo data directory. */
  readonly baseDir: string;
  /** The file the configuration was read from, when there is one; used in messages. */
  readonly file?: string;
}
