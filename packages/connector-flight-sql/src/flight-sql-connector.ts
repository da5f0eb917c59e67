import {
  type ConnectorContext,
  ErrorCode,
  type Expr,
  type RecordBatch,
  type RelationUploads,
  type RenderedSql,
  type ScanRequest,
  SpokeError,
  type SqlDialect,
  type SqlExecutor,
  type TableStatistics,
  type UploadedRelation,
  type UploadRequest,
} from '@spoke/core';
import {
  type ExpressionDialect,
  type SqlColumn,
  type SqlRunOptions,
  SqlSourceConnector,
  type SqlTableDescription,
} from '@spoke/sdk';
import { FlightSqlClient, type RemoteTable, type ServerInfo } from './flight-sql-client.js';
import {
  GenericFlightSqlDialect,
  qualifiedName,
  type RemoteLocation,
  SpokePeerDialect,
} from './flight-sql-dialect.js';
import { type FlightSqlSettings, resolveFlightSqlOptions } from './flight-sql-options.js';

/** The `FLIGHT_SQL_SERVER_NAME` a Spoke gateway reports. */
export const SPOKE_SERVER_NAME = 'Spoke';

/** The source of a Spoke peer that holds the relations uploaded for one query. */
export const PEER_UPLOAD_SOURCE = 'spoke_upload';
/** The DoAction that drops an uploaded relation on a Spoke peer (body: its name, UTF-8). */
export const DROP_UPLOAD_ACTION = 'spoke.drop-upload';

/** Rows a capped count counts at most (beyond, the count is a lower bound). */
const COUNT_CAP = 1_000_000;
/** Time a capped count may take before the estimate is given up. */
const COUNT_TIMEOUT_MS = 2000;

/** Schemas a Spoke source commonly resolves `source.table` in: preferred when a name is in several. */
const DEFAULT_SCHEMAS = new Set(['public', 'main']);

/** One remote table as it appears locally. */
interface LocalTable {
  readonly description: SqlTableDescription;
  readonly location: RemoteLocation;
}

/** The remote catalog, arranged as local schemas of tables. */
type Listing = Map<string, Map<string, LocalTable>>;

/**
 * Any Arrow Flight SQL server as a source, and another Spoke gateway as a
 * peer. The remote catalog comes from `CommandGetTables` (with schemas);
 * scans and whole sub-queries go as SQL (`CommandStatementQuery`, or a
 * prepared statement when there are bound values) and their results stream
 * batch by batch from DoGet. Cancelling sends `CancelFlightInfo`, which a
 * Spoke peer passes on to its own sources.
 *
 * A peer's sources appear as schemas: `R.pg.orders` is the peer's
 * `pg.orders`. Other servers' tables appear under their `db_schema` (or
 * `catalog.db_schema` when the server has several catalogs).
 */
export class FlightSqlConnector extends SqlSourceConnector {
  readonly sourceName: string;
  readonly client: FlightSqlClient;
  readonly #settings: FlightSqlSettings;
  readonly #spokeDialect: SpokePeerDialect;
  readonly #genericDialect: GenericFlightSqlDialect;
  #server: Promise<ServerInfo> | undefined;
  #peer: boolean | undefined;
  #listing: { readonly at: number; readonly value: Promise<Listing> } | undefined;
  /** The last listing that loaded, for the dialects' synchronous look-ups. */
  #known: Listing = new Map();

  constructor(settings: FlightSqlSettings, context: ConnectorContext) {
    super();
    this.sourceName = context.sourceName;
    this.#settings = settings;
    this.catalogCacheMs = settings.options.catalogCacheMs;
    this.client = new FlightSqlClient({
      address: settings.address,
      sourceName: context.sourceName,
      callTimeoutMs: settings.options.callTimeoutMs,
      ...(settings.tls ? { tls: settings.tls } : {}),
      ...(settings.auth ? { auth: settings.auth } : {}),
    });
    const locate = (schema: string | undefined, name: string) =>
      this.#known.get(schema === undefined || schema === '' ? this.defaultSchema : schema)?.get(name)
        ?.location;
    this.#spokeDialect = new SpokePeerDialect(locate);
    this.#genericDialect = new GenericFlightSqlDialect(locate, (schema, name) =>
      this.#byRemoteName(schema, name),
    );
    // A Spoke peer also holds relations for one query (the small side of a join it runs).
    // `uploads` is asked at each use, not fixed here: whether the server is a peer is learnt at its first answer,
    // and wrappers (the gateway's source meter) hold on to the executor object from the start.
    const base = Object.getOwnPropertyDescriptor(this, 'sql')?.get?.bind(this);
    const uploads = this.#uploads();
    const peer = () => this.#peer === true;
    let withUploads: SqlExecutor | undefined;
    Object.defineProperty(this, 'sql', {
      get: (): SqlExecutor | undefined => {
        const executor = base?.() as SqlExecutor | undefined;
        if (!executor) return executor;
        withUploads ??= {
          get dialect() {
            return executor.dialect;
          },
          execute: (query, options) => executor.execute(query, options),
          get uploads() {
            return peer() ? uploads : undefined;
          },
        };
        return withUploads;
      },
      enumerable: true,
      configurable: true,
    });
  }

  /** Relations uploaded with DoPut (`CommandStatementIngest`, temporary) into the peer's `spoke_upload` source. */
  #uploads(): RelationUploads {
    const client = this.client;
    return {
      schema: PEER_UPLOAD_SOURCE,
      async upload(request: UploadRequest): Promise<UploadedRelation> {
        const sent = await client.ingest(request.name, request.schema, request.batches, request.signal, {
          'spoke.query_id': request.context.queryId,
        });
        let dropped: Promise<void> | undefined;
        return {
          name: request.name,
          rows: sent.rows,
          bytes: sent.bytes,
          drop: () => {
            // The peer also expires it by itself: a failed drop (link down) is not the query's error.
            dropped ??= client.doAction(DROP_UPLOAD_ACTION, new TextEncoder().encode(request.name)).then(
              () => undefined,
              () => undefined,
            );
            return dropped;
          },
        };
      },
    };
  }

  /**
   * The site this source's work runs on: a Spoke peer is another gateway
   * (named as this source); any other server is a source of this gateway.
   */
  get site(): string | undefined {
    return this.#peer ? this.sourceName : undefined;
  }

  /**
   * Whether the link to the server is encrypted (`grpc+tls://`): what a
   * `require_tls` policy asks before data moves to or from this source.
   */
  get encryptedLink(): boolean {
    return this.#settings.tls !== undefined;
  }

  /** True once the server has said it is a Spoke gateway (or `peer: spoke`). */
  get isSpokePeer(): boolean {
    return this.#peer === true;
  }

  /** Tables of a Spoke peer are named `schema.table` where the schema is the remote source. No default. */
  get defaultSchema(): string {
    return this.#known.size === 1 ? [...this.#known.keys()][0]! : '';
  }

  get dialect(): SqlDialect {
    return this.#peer ? this.#spokeDialect : this.#genericDialect;
  }

  get expressionDialect(): ExpressionDialect {
    return this.#peer ? this.#spokeDialect.expressions : this.#genericDialect.expressions;
  }

  /** The server's name and version (asked once); decides whether it is a Spoke peer. */
  async ready(): Promise<ServerInfo> {
    this.#server ??= this.client.serverInfo().then(
      (info) => {
        const peer = this.#settings.options.peer;
        this.#peer = peer === 'spoke' || (peer === 'auto' && info.name === SPOKE_SERVER_NAME);
        return info;
      },
      (error: unknown) => {
        this.#server = undefined;
        throw error;
      },
    );
    return this.#server;
  }

  #byRemoteName(schema: string | undefined, name: string): SqlTableDescription | undefined {
    for (const tables of this.#known.values())
      for (const t of tables.values())
        if (t.location.table === name && (schema === undefined || t.location.dbSchema === schema))
          return t.description;
    return undefined;
  }

  async #tables(): Promise<Listing> {
    await this.ready();
    const now = Date.now();
    if (!this.#listing || now - this.#listing.at >= this.catalogCacheMs) {
      const value = this.client.tables().then((remote) => this.#arrange(remote));
      this.#listing = { at: now, value };
      value.then(
        (listing) => {
          this.#known = listing;
        },
        () => {
          if (this.#listing?.value === value) this.#listing = undefined;
        },
      );
    }
    const listing = await this.#listing.value;
    this.#known = listing;
    return listing;
  }

  #arrange(remote: readonly RemoteTable[]): Listing {
    const catalogs = new Set(remote.map((t) => t.catalog ?? ''));
    const listing: Listing = new Map();
    for (const t of remote) {
      const schema = this.#peer
        ? (t.catalog ?? t.dbSchema ?? '')
        : catalogs.size > 1 && t.catalog
          ? `${t.catalog}.${t.dbSchema ?? ''}`
          : (t.dbSchema ?? t.catalog ?? '');
      let tables = listing.get(schema);
      if (!tables) {
        tables = new Map();
        listing.set(schema, tables);
      }
      const existing = tables.get(t.name);
      // A Spoke source resolves `source.table` in its default schema: prefer that one on a clash.
      if (
        existing &&
        !(
          this.#peer &&
          DEFAULT_SCHEMAS.has(t.dbSchema ?? '') &&
          !DEFAULT_SCHEMAS.has(existing.location.dbSchema ?? '')
        )
      )
        continue;
      const columns: SqlColumn[] = t.schema.fields.map((field) => ({
        name: field.name,
        field,
        sourceType: String(field.type),
      }));
      tables.set(t.name, {
        description: { schema, name: t.name, kind: t.type.toLowerCase(), columns },
        location: { catalog: t.catalog, dbSchema: t.dbSchema, table: t.name },
      });
    }
    return listing;
  }

  async listSchemaNames(): Promise<readonly string[]> {
    return [...(await this.#tables()).keys()].sort();
  }

  async listTableNames(schema: string): Promise<readonly string[] | undefined> {
    const tables = (await this.#tables()).get(schema);
    return tables && [...tables.keys()].sort();
  }

  async describeTable(schema: string, table: string): Promise<SqlTableDescription | undefined> {
    const listing = await this.#tables();
    // `R.orders` asked before the catalog was first listed: the default schema was not known yet.
    const only = listing.size === 1 ? [...listing.keys()][0]! : undefined;
    return listing.get(schema === '' && only !== undefined ? only : schema)?.get(table)?.description;
  }

  /** The SELECT for a scan, naming the table as the remote does (`catalog.db_schema.table`). */
  override renderScan(
    table: SqlTableDescription,
    request: Pick<ScanRequest, 'projection' | 'filters' | 'limit' | 'orderBy'>,
  ): RenderedSql {
    const location = this.#known.get(table.schema)?.get(table.name)?.location;
    if (!location)
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `${this.sourceName}: ${table.schema}.${table.name} is gone`,
        {
          source: this.sourceName,
        },
      );
    const d = this.expressionDialect;
    const r = this.filterRenderer(table);
    const columns = request.projection.map((name) => this.column(table, name));
    const select = columns.length
      ? columns.map((c) => this.selectColumn(c)).join(', ')
      : `1 AS ${d.quoteIdentifier('?column?')}`;
    let sql = `SELECT ${select} FROM ${qualifiedName(location, (n) => d.quoteIdentifier(n))}`;
    if (request.filters.length) sql += ` WHERE ${request.filters.map((f) => r.render(f)).join(' AND ')}`;
    if (request.orderBy?.length) sql += ` ORDER BY ${r.renderOrderBy(request.orderBy)}`;
    if (request.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(request.limit))}`;
    return { sql, params: r.params };
  }

  /**
   * A Spoke peer's estimate of a scan's rows: its own EXPLAIN's (the
   * `spoke.explain` action) when its plan carries one, else a capped count
   * run there (`SELECT count(*) FROM (SELECT 1 … WHERE … LIMIT cap + 1)`:
   * exact below the cap, a lower bound at it). Other servers: none.
   */
  override async estimateScanRows(
    table: SqlTableDescription,
    filters: readonly Expr[],
    signal?: AbortSignal,
  ): Promise<number | undefined> {
    if (!this.#peer) return undefined;
    return (await this.#estimate(table, filters, signal))?.rows;
  }

  /** A Spoke peer's row count for a whole table, as {@link FlightSqlConnector.estimateScanRows} finds it. */
  override async tableStatistics(
    table: SqlTableDescription,
    signal?: AbortSignal,
  ): Promise<TableStatistics | undefined> {
    if (!this.#peer) return undefined;
    const estimate = await this.#estimate(table, [], signal);
    if (!estimate) return undefined;
    return {
      rowCount: { value: estimate.rows, exact: estimate.exact },
      ...(estimate.bytes === undefined ? {} : { totalBytes: { value: estimate.bytes, exact: false } }),
    };
  }

  /** Whether the peer's plans carry estimates; learnt at the first try, so later estimates skip a useless round trip. */
  #plansHaveEstimates: boolean | undefined;

  async #estimate(
    table: SqlTableDescription,
    filters: readonly Expr[],
    signal: AbortSignal | undefined,
  ): Promise<{ rows: number; exact: boolean; bytes?: number } | undefined> {
    if (this.#plansHaveEstimates !== false) {
      const scan = this.renderScan(table, { projection: table.columns.map((c) => c.name), filters });
      // A table the peer answers only aggregates of refuses a plain SELECT, EXPLAIN included.
      const plan =
        scan.params.length === 0 ? await this.client.explain(scan.sql).catch(() => undefined) : undefined;
      const rows = plan && sumOf(plan.sources.map((s) => s.estimatedRows));
      if (plan) this.#plansHaveEstimates = rows !== undefined;
      if (rows !== undefined) {
        const bytes = sumOf(plan!.sources.map((s) => s.estimatedBytes));
        return { rows, exact: false, ...(bytes === undefined ? {} : { bytes }) };
      }
    }
    const capped = this.renderScan(table, { projection: [], filters, limit: COUNT_CAP + 1 });
    const query = `SELECT count(*) AS n FROM (${capped.sql}) AS capped`;
    // A count over a view can cost anything: past COUNT_TIMEOUT_MS the cost model goes without.
    const limited = signal
      ? AbortSignal.any([signal, AbortSignal.timeout(COUNT_TIMEOUT_MS)])
      : AbortSignal.timeout(COUNT_TIMEOUT_MS);
    try {
      let n: number | undefined;
      for await (const batch of this.client.query(query, capped.params, limited))
        if (batch.numRows > 0) n = Number(batch.getChildAt(0)?.get(0));
      return n === undefined ? undefined : { rows: n, exact: n <= COUNT_CAP };
    } catch (error) {
      if (signal?.aborted) throw error;
      return undefined; // refused (aggregate_only), too slow or failed: the cost model goes without
    }
  }

  executeSql(query: RenderedSql, options: SqlRunOptions): AsyncIterable<RecordBatch> {
    return this.client.query(query.sql, query.params, options.signal);
  }

  /** The client's counters (statements, bytes and rows received, cancels, logins), as `spoke_source_metric`. */
  metrics(): Readonly<Record<string, number>> {
    return { ...this.client.counters };
  }

  override async close(): Promise<void> {
    this.client.close();
  }
}

/** The sum of estimates, or undefined when any is missing (a partial sum would understate). */
function sumOf(values: readonly (number | undefined)[]): number | undefined {
  if (values.length === 0 || values.some((v) => typeof v !== 'number')) return undefined;
  return (values as number[]).reduce((a, b) => a + b, 0);
}

/** Validates the options and creates the connector (no I/O: the server is first asked at the first query). */
export async function createFlightSqlConnector(
  options: Readonly<Record<string, unknown>>,
  context: ConnectorContext,
): Promise<FlightSqlConnector> {
  return new FlightSqlConnector(resolveFlightSqlOptions(options, context), context);
}
