import {
  arrow,
  type ConnectorContext,
  childrenOf,
  ErrorCode,
  type Expr,
  type FilterSupport,
  type RecordBatch,
  type RenderedSql,
  recordBatch,
  type ScanRequest,
  type Schema,
  type SourceFreshness,
  SpokeError,
  type SqlExecutor,
  type TableStatistics,
  throwIfAborted,
} from '@spoke/core';
import {
  ExpiringCache,
  type ExpressionRenderer,
  PostgresDialect,
  PostgresExpressionDialect,
  type SqlColumn,
  type SqlRunOptions,
  SqlSourceConnector,
  type SqlTableDescription,
} from '@spoke/sdk';
import { BpcharFilterRenderer } from './bpchar-filter-renderer.js';
import { CopyBinaryDecoder } from './copy-binary-decoder.js';
import { CopyOutQuery } from './copy-out-query.js';
import { parallelScan } from './parallel-scan.js';
import { createCursor, createPool, type PgPool, type PgPoolClient } from './pg-driver.js';
import { sendCancelRequest } from './postgres-cancel.js';
import { toSpokeError } from './postgres-errors.js';
import { PostgresFreshness } from './postgres-freshness.js';
import {
  describeRelation,
  listRelations,
  listSchemas,
  type PgColumnInfo,
  PgTypeCache,
  relationStatistics,
} from './postgres-introspection.js';
import { type PostgresOptions, poolConfig } from './postgres-options.js';
import { castSuffix, type PgType } from './postgres-type-mapping.js';
import { driverValues, inlineParameters, parameterShapes } from './sql-parameters.js';

type PgTableDescription = SqlTableDescription & { oid: number };

/** Functions whose answer depends on the locale's case mapping. */
const CASE_MAPPING_FUNCTIONS: ReadonlySet<string> = new Set(['upper', 'lower']);

function isText(column: SqlColumn): boolean {
  return (column.native as PgColumnInfo).type.kind === 'text';
}

/**
 * A PostgreSQL source. Scans and pushed-down sub-queries run as
 * `COPY (SELECT …) TO STDOUT (FORMAT binary)`, decoded straight into Arrow
 * buffers in batches of `batchRows` rows; with `copy: false`, through a
 * cursor with bound parameters instead. Aborting a query sends PostgreSQL's
 * CancelRequest, so the server stops too.
 */
export class PostgresConnector extends SqlSourceConnector {
  /** Whole sub-query push-down is on (this connector declares a `dialect`). */
  declare readonly sql: SqlExecutor;
  readonly dialect = new PostgresDialect({ asciiCaseMapping: () => this.#asciiCaseMapping });
  /** Set once a described text column's LC_CTYPE is C/POSIX (see {@link PgColumnInfo.asciiCaseMapping}). */
  #asciiCaseMapping = false;
  /** Scan filters are rendered with inline escaped literals: COPY takes no bind parameters. */
  readonly expressionDialect: PostgresExpressionDialect;
  readonly defaultSchema: string;
  readonly sourceName: string;
  /** The connection pool (exposed for tests and tools). */
  readonly pool: PgPool;
  readonly #types: PgTypeCache;
  readonly #freshness: PostgresFreshness;
  readonly #options: PostgresOptions;
  /**
   * Row descriptions of whole statements, by their text and the types of
   * their literals: describing costs a round trip before every COPY, and a
   * point query asked again and again with other values is the common case.
   */
  readonly #described = new ExpiringCache<{ names: string[]; types: PgType[] }>(
    () => this.catalogCacheMs,
    500,
  );
  #closed = false;
  /** Clients checked out through {@link connect} and not yet released. */
  readonly #held = new Set<PgPoolClient>();

  constructor(options: PostgresOptions, context: Pick<ConnectorContext, 'sourceName'>) {
    super();
    this.#options = options;
    this.sourceName = context.sourceName;
    this.defaultSchema = options.schema;
    this.catalogCacheMs = options.catalogCacheMs;
    this.expressionDialect = new PostgresExpressionDialect({ inlineLiterals: options.copy });
    this.pool = createPool(poolConfig(options));
    // An idle connection whose server went away emits 'error'; the pool drops it and reconnects on demand.
    this.pool.on('error', () => {});
    this.#types = new PgTypeCache(this.pool);
    this.#freshness = new PostgresFreshness(this.pool);
  }

  /** Checks that the server answers (used by the factory so a bad config fails at start). */
  async ping(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw toSpokeError(error, this.sourceName);
    }
  }

  /** Forgets cached table and statement descriptions (call after changing tables outside Spoke to see the change at once). */
  override invalidateCatalog(): void {
    super.invalidateCatalog();
    this.#described.delete();
  }

  /** Pool sizes, for the gateway's /metrics. */
  metrics(): Readonly<Record<string, number>> {
    return { pool_connections: this.pool.totalCount, pool_idle_connections: this.pool.idleCount };
  }

  /** When the data last changed: see postgres-freshness.ts. */
  async freshness(signal?: AbortSignal): Promise<SourceFreshness> {
    throwIfAborted(signal);
    return this.#catalogCall(() => this.#freshness.read());
  }

  /**
   * Closes the pool. Clients still checked out — a stream nobody reads to
   * the end holds one — are cancelled and discarded first: pg's `end()`
   * waits for every client to come back, and a stream suspended between
   * batches would never give its back.
   */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const held = [...this.#held];
    await Promise.all(held.map((client) => this.cancelBackend(client)));
    for (const client of held) client.release(true);
    await this.pool.end();
  }

  async listSchemaNames(): Promise<readonly string[]> {
    return this.#catalogCall(() => listSchemas(this.pool));
  }

  async listTableNames(schema: string): Promise<readonly string[] | undefined> {
    return this.#catalogCall(() => listRelations(this.pool, schema));
  }

  async describeTable(schema: string, table: string): Promise<SqlTableDescription | undefined> {
    const description = await this.#catalogCall(() =>
      describeRelation(this.pool, this.#types, schema, table),
    );
    // Whole statements stop carrying upper/lower/ILIKE once a table of this source folds ASCII only.
    if (description?.columns.some((c) => (c.native as PgColumnInfo).asciiCaseMapping && isText(c)))
      this.#asciiCaseMapping = true;
    return description;
  }

  override async tableStatistics(table: SqlTableDescription): Promise<TableStatistics | undefined> {
    return this.#catalogCall(() => relationStatistics(this.pool, table as PgTableDescription));
  }

  /** PostgreSQL's planner estimate for the scan (`EXPLAIN (FORMAT JSON)`: the top node's Plan Rows). */
  override async estimateScanRows(
    table: SqlTableDescription,
    filters: readonly Expr[],
    signal?: AbortSignal,
  ): Promise<number | undefined> {
    if (signal?.aborted) return undefined;
    const query = this.renderScan(table, { projection: [], filters });
    const result = await this.pool.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) ${query.sql}`,
      driverValues(query.params),
    );
    const plan = (result.rows[0]?.['QUERY PLAN'] as { Plan?: { 'Plan Rows'?: number } }[] | undefined)?.[0];
    const rows = plan?.Plan?.['Plan Rows'];
    return typeof rows === 'number' && Number.isFinite(rows) ? rows : undefined;
  }

  async #catalogCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toSpokeError(error, this.sourceName);
    }
  }

  /**
   * Range comparisons on text are pushed only where the column's collation
   * orders bytes (C, POSIX), because that is the order the rest of the engine
   * uses; everything else the dialect renders is exact.
   */
  override filterSupport(filter: Expr, table: SqlTableDescription): FilterSupport {
    let ok = true;
    const asciiCase = (e: Expr): boolean =>
      (e.kind === 'column' &&
        (table.columns.find((c) => c.name === e.name)?.native as PgColumnInfo | undefined)
          ?.asciiCaseMapping === true) ||
      childrenOf(e).some(asciiCase);
    const visit = (e: Expr): void => {
      // Case mapping: where a column's LC_CTYPE is C, PostgreSQL folds ASCII letters only, DuckDB all of Unicode.
      const folds =
        (e.kind === 'function' && CASE_MAPPING_FUNCTIONS.has(e.name)) ||
        (e.kind === 'like' && e.caseInsensitive);
      if (folds && asciiCase(e)) ok = false;
      if ((e.kind === 'compare' && e.op !== '=' && e.op !== '<>') || e.kind === 'between') {
        const operands = e.kind === 'compare' ? [e.left, e.right] : [e.expr, e.low, e.high];
        for (const o of operands) {
          if (o.kind === 'column') {
            const info = table.columns.find((c) => c.name === o.name)?.native as PgColumnInfo | undefined;
            if (info && info.type.kind === 'text' && !info.byteOrderCollation) ok = false;
          }
        }
      }
      for (const child of childrenOf(e)) visit(child);
    };
    visit(filter);
    return ok ? 'exact' : 'unsupported';
  }

  /** Filters on `character(n)` columns compare as `character(n)` (see bpchar-filter-renderer.ts). */
  protected override filterRenderer(table: SqlTableDescription): ExpressionRenderer {
    return new BpcharFilterRenderer(this.expressionDialect, table);
  }

  override selectColumn(column: SqlColumn): string {
    const quoted = this.expressionDialect.quoteIdentifier(column.name);
    const cast = castSuffix((column.native as PgColumnInfo).type);
    return cast ? `${quoted}${cast} AS ${quoted}` : quoted;
  }

  override async *scanTable(table: SqlTableDescription, request: ScanRequest): AsyncGenerator<RecordBatch> {
    const t = table as PgTableDescription;
    const plain = request.limit === undefined && !request.orderBy?.length;
    if (plain && this.#options.parallelScanWorkers > 1 && this.#options.copy && t.kind === 'table') {
      const pages = await this.#relpages(t.oid);
      if (pages >= this.#options.parallelScanMinPages) {
        yield* parallelScan(this, t, request, pages, this.#options.parallelScanWorkers);
        return;
      }
    }
    yield* super.scanTable(table, request);
  }

  async #relpages(oid: number): Promise<number> {
    const result = await this.#catalogCall(() =>
      this.pool.query<{ relpages: number }>('SELECT relpages FROM pg_catalog.pg_class WHERE oid = $1', [oid]),
    );
    return Number(result.rows[0]?.relpages ?? 0);
  }

  /** Runs a statement; see the class comment for the paths taken. */
  executeSql(query: RenderedSql, options: SqlRunOptions): AsyncIterable<RecordBatch> {
    return this.#run(query, options);
  }

  /**
   * Acquires a connection, mapping failures to `SOURCE_UNAVAILABLE`. Give
   * it back with `release()` (a second call does nothing); {@link close}
   * cancels and discards one still held.
   */
  async connect(signal?: AbortSignal): Promise<PgPoolClient> {
    throwIfAborted(signal);
    if (this.#closed)
      throw new SpokeError(ErrorCode.SOURCE_UNAVAILABLE, `${this.sourceName}: connector is closed`);
    let client: PgPoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toSpokeError(error, this.sourceName, signal);
    }
    const release = client.release;
    let released = false;
    // Released once: close may discard a client before the stream holding it lets go (pg throws on a second release).
    client.release = (destroy) => {
      if (released) return;
      released = true;
      this.#held.delete(client);
      release.call(client, destroy);
    };
    if (this.#closed) {
      client.release(true);
      throw new SpokeError(ErrorCode.SOURCE_UNAVAILABLE, `${this.sourceName}: connector is closed`);
    }
    this.#held.add(client);
    return client;
  }

  async *#run(query: RenderedSql, options: SqlRunOptions): AsyncGenerator<RecordBatch> {
    const { signal } = options;
    throwIfAborted(signal);
    const copy = this.#options.copy;
    const sql = copy ? inlineParameters(query.sql, query.params) : query.sql;
    const values = copy ? [] : driverValues(query.params);
    // COPY inlines the values, whose literal types can change the result's (`$1 + 1` with 1 or 1.5).
    const describeKey = `${copy ? parameterShapes(query.params) : ''}\0${query.sql}`;
    const client = await this.connect(signal);
    let healthy = true;
    // A connection left mid-statement (consumer stopped early, abort) is discarded, never pooled.
    let finished = false;
    const onClientError = () => {
      healthy = false;
    };
    client.on('error', onClientError);
    try {
      let names: string[];
      let types: PgType[];
      let body = sql;
      if (options.columns) {
        names = options.columns.map((c) => c.name);
        types = options.columns.map((c) => (c.native as PgColumnInfo).type);
      } else {
        const described = await this.#described.get(describeKey, () =>
          this.#describe(client, sql, values, signal),
        );
        names = described.names;
        types = described.types;
        if (types.some((t) => t.castToText) || !copy) body = wrapColumns(sql, names, types, copy);
      }
      if (!copy && options.columns) body = wrapColumns(sql, names, types, false);
      const schema = new arrow.Schema(names.map((n, i) => new arrow.Field(n, types[i]!.arrowType, true)));
      const decoder = new CopyBinaryDecoder(schema, types, this.#options.batchRows);
      const stream = copy
        ? this.#copy(client, body, decoder, signal)
        : this.#cursor(client, body, values, decoder, signal);
      let emitted = false;
      for await (const batch of stream) {
        emitted = true;
        yield batch;
      }
      if (!emitted) yield recordBatch(schema, emptyData(schema));
      finished = true;
    } catch (error) {
      healthy = false;
      // The table may have changed under a cached description: describe afresh next time.
      if (options.columns && !signal.aborted) super.invalidateCatalog();
      this.#described.delete(describeKey);
      throw toSpokeError(error, this.sourceName, signal);
    } finally {
      client.removeListener('error', onClientError);
      // A connection whose query was cancelled is never reused: the CancelRequest travels on its own
      // connection and may land after the query ended — on the next query, had the connection gone back to the pool.
      client.release(healthy && finished && !signal.aborted ? undefined : true);
    }
  }

  /** Column names and types of a statement, from its row description (`LIMIT 0`). */
  async #describe(client: PgPoolClient, sql: string, values: unknown[], signal: AbortSignal) {
    const result = await this.#cancellable(client, signal, () =>
      client.query({ text: `SELECT * FROM (${sql}) AS q LIMIT 0`, values, rowMode: 'array' }),
    );
    await this.#types.load(result.fields.map((f) => f.dataTypeID));
    return {
      names: result.fields.map((f) => f.name),
      types: result.fields.map((f) => this.#types.resolve(f.dataTypeID, f.dataTypeModifier)),
    };
  }

  /** Runs `work`, sending a CancelRequest for the client's backend if `signal` aborts meanwhile. */
  async #cancellable<T>(client: PgPoolClient, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    const onAbort = () => void this.cancelBackend(client);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await work();
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Sends PostgreSQL's CancelRequest for what `client` is running. */
  cancelBackend(client: PgPoolClient): Promise<void> {
    const c = client as PgPoolClient & { host?: string; port?: number };
    if (!c.processID || !c.secretKey) return Promise.resolve();
    return sendCancelRequest({
      host: c.host ?? 'localhost',
      port: c.port ?? 5432,
      processID: c.processID,
      secretKey: c.secretKey,
    });
  }

  /**
   * Streams `COPY (sql) TO STDOUT (FORMAT binary)` on a client the caller
   * holds (parallel scans set a snapshot on it first). @internal
   */
  copyOnClient(
    client: PgPoolClient,
    sql: string,
    columns: readonly SqlColumn[],
    signal: AbortSignal,
  ): AsyncGenerator<RecordBatch> {
    const schema = new arrow.Schema(columns.map((c) => c.field));
    const types = columns.map((c) => (c.native as PgColumnInfo).type);
    return this.#copy(client, sql, new CopyBinaryDecoder(schema, types, this.#options.batchRows), signal);
  }

  async *#copy(
    client: PgPoolClient,
    sql: string,
    decoder: CopyBinaryDecoder,
    signal: AbortSignal,
  ): AsyncGenerator<RecordBatch> {
    const query = client.query(new CopyOutQuery(`COPY (${sql}) TO STDOUT (FORMAT binary)`, decoder));
    let done = false;
    const onAbort = () => {
      void this.cancelBackend(client);
      query.destroy(SpokeError.cancelled(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const batch = await query.nextBatch();
        if (!batch) break;
        yield batch;
      }
      done = true;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!done) {
        // Stopped early (abort, limit reached, error): stop the server too; the connection is discarded.
        void this.cancelBackend(client);
        query.destroy();
        throwIfAborted(signal);
      }
    }
  }

  async *#cursor(
    client: PgPoolClient,
    sql: string,
    values: unknown[],
    decoder: CopyBinaryDecoder,
    signal: AbortSignal,
  ): AsyncGenerator<RecordBatch> {
    const cursor = client.query(createCursor(sql, values));
    const onAbort = () => void this.cancelBackend(client);
    signal.addEventListener('abort', onAbort, { once: true });
    let done = false;
    try {
      const fetch = Math.min(10_000, this.#options.batchRows);
      for (;;) {
        const rows = await cursor.read(fetch);
        throwIfAborted(signal);
        if (rows.length === 0) break;
        for (const row of rows) {
          const batch = decoder.appendRow(
            row.map((v) => (v === null ? null : Buffer.from((v as string).slice(2), 'hex'))),
          );
          if (batch) yield batch;
        }
      }
      done = true;
      const last = decoder.end();
      if (last) yield last;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (done) await cursor.close().catch(() => {});
      else void this.cancelBackend(client);
    }
  }
}

/**
 * Wraps a statement so every column is decodable: `::text` casts for types
 * carried as text and, for the cursor path, each value turned into its binary
 * form with the type's send function (so both paths share one decoder).
 */
function wrapColumns(sql: string, names: readonly string[], types: readonly PgType[], copy: boolean): string {
  const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const items = types.map((t, i) => {
    let item = `q.c${i + 1}${castSuffix(t)}`;
    if (!copy) item = `${sendFunction(t)}(${t.kind === 'text' && !t.castToText ? `${item}::text` : item})`;
    return `${item} AS ${q(names[i]!)}`;
  });
  const aliases = types.map((_, i) => `c${i + 1}`).join(', ');
  return `SELECT ${items.join(', ')} FROM (${sql}) AS q(${aliases})`;
}

function sendFunction(type: PgType): string {
  switch (type.kind) {
    case 'bool':
      return 'boolsend';
    case 'int2':
      return 'int2send';
    case 'int4':
      return 'int4send';
    case 'int8':
      return 'int8send';
    case 'oid':
      return 'oidsend';
    case 'float4':
      return 'float4send';
    case 'float8':
      return 'float8send';
    case 'decimal':
      return 'numeric_send';
    case 'bytea':
      return 'byteasend';
    case 'jsonb':
      return 'jsonb_send';
    case 'date':
      return 'date_send';
    case 'time':
      return 'time_send';
    case 'timestamp':
      return 'timestamp_send';
    case 'timestamptz':
      return 'timestamptz_send';
    case 'money':
      return 'cash_send';
    case 'array':
      return 'array_send';
    case 'text':
      return 'textsend';
  }
}

function emptyData(schema: Schema) {
  return arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: 0,
    nullCount: 0,
    children: schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0, nullCount: 0 } as never)),
  });
}
