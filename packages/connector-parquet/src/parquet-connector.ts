/**
 * The `parquet` connector: Parquet objects on S3-compatible storage or a
 * local directory, one table per configured glob/prefix (or per top-level
 * prefix when none are configured).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type ConnectorContext,
  ErrorCode,
  type RecordBatch,
  type Schema,
  type SourceFreshness,
  type SpokeCatalog,
  SpokeError,
  type SpokeTable,
  type WriteOptions,
  type WriteResult,
} from '@spoke/core';
import { CachingObjectStore, openStore, type S3Options } from '@spoke/object-store';
import { BaseConnector, defineConnector, parseOptions } from '@spoke/sdk';
import { DuckDBDecoder } from './duckdb-decoder.js';
import { FooterCache } from './footer-cache.js';
import { parquetFreshness } from './parquet-freshness.js';
import { type ParquetSource, ParquetTable } from './parquet-table.js';
import { discoverTables, type Listing, type TableLocation } from './table-files.js';
import { checkTableName, firstPartKey, putParquetObject, tableObjectsExist } from './table-writes.js';

/** The options the connector accepts (see the README's options table). */
export const PARQUET_OPTIONS = {
  url: {
    type: 'string',
    required: true,
    description: 's3://bucket/prefix/ or file:///dir/ (a relative path is resolved against the config file)',
  },
  s3: {
    type: 'object',
    description:
      'S3 connection: endpoint, region, forcePathStyle, accessKeyId, secretAccessKey, sessionToken',
  },
  tables: {
    type: 'object',
    description: 'table name → glob or prefix, or { path, partitioning: hive | none }',
  },
  schema: { type: 'string', default: 'main', description: 'the schema name the tables appear under' },
  cacheMemoryBytes: {
    type: 'integer',
    default: 256 * 1024 * 1024,
    description: 'L1 (memory) cache budget in bytes',
  },
  cacheDirectory: {
    type: 'string',
    description: 'L2 (local disk) cache directory; no disk cache without it',
  },
  cacheDiskBytes: { type: 'integer', default: 4 * 1024 ** 3, description: 'L2 cache budget in bytes' },
  listingTtlSeconds: {
    type: 'number',
    default: 10,
    description: 'how long a listing of a table prefix is reused',
  },
  batchRows: { type: 'integer', default: 65536, description: 'rows per Arrow batch at most' },
  decoder: {
    type: 'string',
    default: 'duckdb',
    description:
      'duckdb: the selected row groups are decoded by embedded DuckDB, which applies the filters exactly; js: the JavaScript decoder (filters only prune)',
  },
} as const;

const S3_KEYS = ['endpoint', 'region', 'forcePathStyle', 'accessKeyId', 'secretAccessKey', 'sessionToken'];

function s3Options(raw: Record<string, unknown> | undefined, sourceName: string): S3Options {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (!S3_KEYS.includes(k))
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `sources.${sourceName}.s3.${k}: unknown option (known: ${S3_KEYS.join(', ')})`,
      );
    out[k] = k === 'forcePathStyle' ? v === true || v === 'true' : String(v);
  }
  return out as S3Options;
}

function tableLocations(raw: Record<string, unknown>, sourceName: string): Map<string, TableLocation> {
  const out = new Map<string, TableLocation>();
  for (const [name, value] of Object.entries(raw)) {
    const where = `sources.${sourceName}.tables.${name}`;
    if (typeof value === 'string') {
      out.set(name, { path: value.replace(/^\/+/, ''), partitioning: 'hive' });
    } else if (value && typeof value === 'object' && typeof (value as { path?: unknown }).path === 'string') {
      const { path, partitioning = 'hive' } = value as { path: string; partitioning?: string };
      if (partitioning !== 'hive' && partitioning !== 'none')
        throw new SpokeError(
          ErrorCode.INVALID_CONFIG,
          `${where}.partitioning: expected hive or none, got "${partitioning}"`,
        );
      out.set(name, { path: path.replace(/^\/+/, ''), partitioning });
    } else {
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `${where}: expected a glob or prefix, or { path, partitioning }`,
      );
    }
  }
  return out;
}

class ParquetCatalog implements SpokeCatalog {
  #tables: Promise<Map<string, SpokeTable>> | undefined;

  constructor(
    readonly defaultSchema: string,
    readonly configured: Map<string, TableLocation> | undefined,
    readonly source: ParquetSource,
  ) {}

  #load(signal?: AbortSignal): Promise<Map<string, SpokeTable>> {
    // Configured tables plus those created since: the map is the catalog's for its lifetime.
    if (!this.#tables) {
      const make = (locations: Map<string, TableLocation>, listing?: Listing) =>
        new Map<string, SpokeTable>(
          [...locations].map(([name, loc]) => [name, new ParquetTable(name, loc, this.source, listing)]),
        );
      this.#tables = this.configured
        ? Promise.resolve(make(this.configured))
        : discoverTables(this.source.store, signal).then(({ tables, listing }) => make(tables, listing));
      this.#tables.catch(() => {
        this.#tables = undefined;
      });
    }
    return this.#tables;
  }

  async listSchemas(): Promise<readonly string[]> {
    return [this.defaultSchema];
  }

  async listTables(schema: string, signal?: AbortSignal): Promise<readonly string[]> {
    if (schema !== this.defaultSchema)
      throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `schema "${schema}" does not exist`);
    return [...(await this.#load(signal)).keys()];
  }

  async getTable(schema: string, table: string, signal?: AbortSignal): Promise<SpokeTable | undefined> {
    if (schema !== this.defaultSchema) return undefined;
    return (await this.#load(signal)).get(table);
  }

  /**
   * `CREATE TABLE lake.name AS SELECT …`: the rows become one Parquet object,
   * `<url>/name/part-0.parquet`, and `name` is a table of the catalog at once
   * (a prefix, as discovery finds it; with configured `tables`, until the
   * connector restarts: add it to the configuration to keep it). A name
   * taken by a table or by any object (`name/…`, `name.parquet`) is refused.
   */
  async createTable(
    schema: string,
    name: string,
    arrowSchema: Schema,
    batches: AsyncIterable<RecordBatch>,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const { sourceName } = this.source;
    if (schema !== this.defaultSchema)
      throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `schema "${schema}" does not exist`, {
        source: sourceName,
      });
    checkTableName(name, sourceName);
    const tables = await this.#load(options.signal);
    const exists = () =>
      new SpokeError(ErrorCode.INVALID_QUERY, `table "${sourceName}.${name}" already exists`, {
        source: sourceName,
      });
    if (tables.has(name) || (await tableObjectsExist(this.source, name, options.signal))) throw exists();
    const key = firstPartKey(name);
    const rows = await putParquetObject(this.source, key, arrowSchema, batches, options.signal);
    const location: TableLocation = { path: `${name}/`, partitioning: 'hive' };
    tables.set(name, new ParquetTable(name, location, this.source));
    this.configured?.set(name, location);
    return { rows, summary: `wrote ${rows} rows to ${this.source.store.urlOf(key)}` };
  }
}

/** A running Parquet connector; `store` exposes the cache counters. */
export class ParquetConnector extends BaseConnector {
  readonly catalog: SpokeCatalog;

  constructor(
    readonly store: CachingObjectStore,
    catalog: SpokeCatalog,
    readonly decoder?: DuckDBDecoder,
    /** The footers read so far (memory, and disk under `cacheDirectory`). */
    readonly footers?: FooterCache,
  ) {
    super();
    this.catalog = catalog;
  }

  /** Object-store transfers and cache counters, for the gateway's /metrics. */
  metrics(): Readonly<Record<string, number>> {
    const t = this.store.stats;
    const { l1, l2 } = this.store.cacheStats();
    return {
      object_gets: t.gets,
      object_bytes_read: t.bytesRead,
      cache_memory_hits: l1?.hits ?? 0,
      cache_memory_misses: l1?.misses ?? 0,
      cache_disk_hits: l2?.hits ?? 0,
      cache_disk_misses: l2?.misses ?? 0,
      footers_fetched: this.footers?.stats.fetched ?? 0,
      footer_disk_hits: this.footers?.stats.diskHits ?? 0,
    };
  }

  /** When each table's objects were last written: see parquet-freshness.ts. */
  freshness(signal?: AbortSignal): Promise<SourceFreshness> {
    return parquetFreshness(this.catalog, this.store, signal);
  }

  override async close(): Promise<void> {
    await this.footers?.flush();
    await this.decoder?.close();
    await this.store.close();
  }
}

/** Resolves the `url` option: a scheme-less path is a directory relative to the config file. */
export function resolveRootUrl(url: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url.endsWith('/') ? url : `${url}/`;
  const dir = isAbsolute(url) ? url : resolve(baseDir, url);
  return `${pathToFileURL(dir).href}/`;
}

/** Creates a connector from its options. */
export async function createParquetConnector(
  options: Readonly<Record<string, unknown>>,
  context: ConnectorContext,
): Promise<ParquetConnector> {
  const o = parseOptions(options, PARQUET_OPTIONS, context);
  const url = resolveRootUrl(o.url, context.baseDir);
  const inner = openStore(url, {
    s3: s3Options(o.s3 as Record<string, unknown> | undefined, context.sourceName),
  });
  if (o.decoder !== 'duckdb' && o.decoder !== 'js')
    throw new SpokeError(
      ErrorCode.INVALID_CONFIG,
      `sources.${context.sourceName}.decoder: expected duckdb or js, got "${o.decoder}"`,
    );
  const cacheDirectory = o.cacheDirectory ? resolve(context.baseDir, o.cacheDirectory) : undefined;
  const store = new CachingObjectStore(inner, {
    memoryBytes: o.cacheMemoryBytes,
    diskBytes: o.cacheDiskBytes,
    ...(cacheDirectory ? { diskDirectory: cacheDirectory } : {}),
  });
  const decoder = o.decoder === 'duckdb' ? new DuckDBDecoder(cacheDirectory, context.sourceName) : undefined;
  // The process's DuckDB starts now unless another connector started it (~10 ms), in the background, with
  // this connector's first connection: the first query then finds them ready.
  decoder?.warm();
  const footers = new FooterCache(
    store,
    context.sourceName,
    cacheDirectory,
    Math.min(256 * 1024 * 1024, Math.floor(o.cacheDiskBytes / 8)),
  );
  const source: ParquetSource = {
    store,
    sourceName: context.sourceName,
    listingTtlMs: o.listingTtlSeconds * 1000,
    footers,
    batchRows: o.batchRows,
    decoder,
    scratchParent: cacheDirectory,
  };
  const configured = o.tables ? tableLocations(o.tables, context.sourceName) : undefined;
  return new ParquetConnector(store, new ParquetCatalog(o.schema, configured, source), decoder, footers);
}

/** The connector factory the gateway loads by the name `parquet`. */
export const connector = defineConnector({ name: 'parquet', create: createParquetConnector });
