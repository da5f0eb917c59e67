import * as lancedb from '@lancedb/lancedb';
import {
  arrow,
  type WriteResult as ContractWriteResult,
  ErrorCode,
  type Expr,
  type FilterSupport,
  type IndexSpec,
  type RecordBatch,
  type ScanRequest,
  type Schema,
  type SortKey,
  SpokeError,
  type TableStatistics,
  type WriteOptions,
} from '@spoke/core';
import { abortableBatches, BaseTable } from '@spoke/sdk';
import { batchLength } from './batch-length.js';
import { coerceBatch } from './coerce-batch.js';
import { lanceError } from './lance-errors.js';
import { asTextMatch, lanceFilterSupport, renderLanceFilter, type TextMatch } from './lance-filters.js';
import { latestLocalVersion, localDatasetDir, manifestIdentity } from './lance-snapshot.js';
import type {
  BatchSource,
  CreateIndexRequest,
  LanceIndexInfo,
  LanceIndexType,
  LanceWriter,
  VacuumOptions,
  VacuumReport,
  WriteResult,
} from './lance-writer.js';
import { LANCE_INDEX_TYPES } from './lance-writer.js';
import { textMatchWords } from './text-match.js';
import { asVectorOrder, type LanceMetric, type VectorOrder } from './vector-order.js';
import { isVirtualColumn, type OutputShape, rowCountBatch, shapeBatch } from './virtual-columns.js';

/** Per-query vector search settings; each defaults to the source's option of the same name. */
export interface VectorSearchSettings {
  /** IVF partitions to search. */
  readonly nprobes: number;
  /** Re-rank `refineFactor × k` index candidates by exact distance. */
  readonly refineFactor: number;
  /** HNSW candidate list size. */
  readonly ef: number;
}

/**
 * A hybrid (vector + full-text) search, fused by reciprocal rank fusion.
 * Needs a full-text index on `text.column`. Rows carry `_relevance_score`
 * (higher is better) and come best first.
 */
export interface HybridSearch {
  readonly vector: {
    readonly column: string;
    readonly vector: readonly number[];
    readonly metric?: LanceMetric;
  };
  readonly text: { readonly column: string; readonly query: string };
  /** RRF's `k` constant (default 60). */
  readonly rrfK?: number;
}

/**
 * `ORDER BY rrf(<vector distance>, <text match>) DESC` from the planner
 * (the IR's `reciprocal_rank_fusion`) as Lance's hybrid search: the vector
 * search and the full-text search fused by reciprocal rank (k = 60).
 * Needs a full-text index on the text column.
 */
export function asHybridOrder(key: SortKey, schema: Schema): HybridSearch | undefined {
  const e = key.expr;
  if (e.kind !== 'function' || e.name !== 'reciprocal_rank_fusion' || key.direction !== 'desc')
    return undefined;
  const [distance, match] = e.args;
  if (distance?.kind !== 'function' || match?.kind !== 'function' || match.name !== 'text_match')
    return undefined;
  const vector = asVectorOrder({ expr: distance, direction: 'asc', nulls: 'last' }, schema);
  const [column, query] = match.args;
  if (!vector || column?.kind !== 'column' || query?.kind !== 'literal' || typeof query.value !== 'string')
    return undefined;
  return {
    vector: { column: vector.column, vector: [...vector.vector], metric: vector.metric },
    text: { column: column.name, query: query.value },
  };
}

/**
 * Lance's optional extension of the scan request. The planner may add it to
 * any scan of a Lance table; other connectors never see it.
 */
export interface LanceScanOptions extends Partial<VectorSearchSettings> {
  /** Search vectors exhaustively even when an index exists. */
  readonly exact?: boolean;
  /** Run a hybrid search instead of the vector / full-text push-down read from the request. */
  readonly hybrid?: HybridSearch;
}

/** A {@link ScanRequest} that may carry {@link LanceScanOptions} as `lance`. */
export interface LanceScanRequest extends ScanRequest {
  readonly lance?: LanceScanOptions;
}

/** Statistics of a Lance table: the contract's, plus fragments, version and index count. */
export interface LanceTableStatistics extends TableStatistics {
  readonly fragmentCount: number;
  /** Fragments small enough that compaction would merge them. */
  readonly smallFragmentCount: number;
  readonly version: number;
  readonly indexCount: number;
}

/** A version of a table, as `listVersions` reports it. */
export interface LanceVersion {
  readonly version: number;
  readonly timestamp: Date;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * What the table objects over one LanceDB handle share (the catalog makes
 * a table object per query): the schema last read and the dataset's
 * directory.
 */
export interface LanceHandleCache {
  /** The schema of the view named `key` (see `LanceTable.schema`). */
  schema?: { readonly key: string; readonly schema: Schema };
  /** The statistics of the view named `key` (see `LanceTable.statistics`). */
  statistics?: { readonly key: string; readonly statistics: LanceTableStatistics };
  /** The dataset's local directory; `null` on an object store; absent until first needed. */
  datasetDir?: string | null;
}

/** What a {@link LanceTable} needs from its connector. */
export interface LanceTableInit {
  /** The open LanceDB table (checked out at `version` when that is set). */
  readonly handle: lancedb.Table;
  /** Shared by every table object over `handle`; a table of its own when absent. */
  readonly cache?: LanceHandleCache;
  /** The connection checks for other processes' commits on every read (`readConsistencyInterval` 0). */
  readonly strongConsistency?: boolean;
  /** The table's name in Lance. */
  readonly lanceName: string;
  /** Set for a past version (`name@vN`): the table is then read-only. */
  readonly version?: number;
  /** The source's configured name, for errors. */
  readonly source: string;
  readonly search: VectorSearchSettings;
  readonly versionRetentionSeconds: number;
}

/**
 * One Lance table (or one past version of it).
 *
 * Reads push down projection, filters, limit, column top-N, vector top-k
 * (`ORDER BY distance(col, [..]) LIMIT k`) and full-text matches; writes are
 * the {@link LanceWriter} methods.
 */
export class LanceTable extends BaseTable implements LanceWriter {
  readonly #handle: lancedb.Table;
  readonly #init: LanceTableInit;
  readonly #cache: LanceHandleCache;

  constructor(name: string, init: LanceTableInit) {
    super(name);
    this.#handle = init.handle;
    this.#init = init;
    this.#cache = init.cache ?? {};
  }

  /** The version this table object is pinned to, or `undefined` for the latest. */
  get pinnedVersion(): number | undefined {
    return this.#init.version;
  }

  /** The underlying LanceDB table, for what Spoke does not wrap. */
  get lanceTable(): lancedb.Table {
    return this.#handle;
  }

  /**
   * The table's schema, kept while the view the handle reads is the same
   * (its version and, for a local dataset, that version's manifest): a
   * schema change commits a new version, and asking LanceDB for the schema
   * costs about three times asking for the version.
   */
  async schema(): Promise<Schema> {
    return this.#call('reading the schema', async () => {
      const view = await this.#view();
      const key = view.token ?? `v${view.version}`;
      const cached = this.#cache.schema;
      if (cached?.key === key) return cached.schema;
      const schema = await this.#handle.schema();
      this.#cache.schema = { key, schema };
      return schema;
    });
  }

  /**
   * Names the rows this table reads now — the version the handle reads and
   * that version's manifest file — for the engine's read cache; see
   * lance-snapshot.ts for why that is safe. `undefined` on an object store.
   */
  override async snapshot(signal?: AbortSignal): Promise<string | undefined> {
    if (signal?.aborted) throw SpokeError.cancelled(signal);
    return this.#call('reading the snapshot', async () => (await this.#view()).token);
  }

  /**
   * The version the handle reads — a past version's own; with strong
   * consistency the latest on disk, which the handle loads on every read;
   * else the handle's, as LanceDB last refreshed it — and its snapshot
   * token, when the dataset is local and that version's manifest is there
   * (see lance-snapshot.ts).
   */
  async #view(): Promise<{ readonly version: number; readonly token: string | undefined }> {
    if (this.#cache.datasetDir === undefined)
      this.#cache.datasetDir = localDatasetDir(this.#handle.display()) ?? null;
    const dir = this.#cache.datasetDir;
    const version =
      this.#init.version ??
      (dir && this.#init.strongConsistency ? latestLocalVersion(dir) : undefined) ??
      (await this.#handle.version());
    return { version, token: dir ? manifestIdentity(dir, version) : undefined };
  }

  override async supportsFilters(filters: readonly Expr[]): Promise<readonly FilterSupport[]> {
    const schema = await this.schema();
    return filters.map((f) => lanceFilterSupport(f, schema));
  }

  /**
   * Top-N Lance answers: a vector distance to a literal vector (nearest
   * neighbours, first key) or plain columns.
   */
  async supportsOrderBy(keys: readonly SortKey[]): Promise<boolean> {
    const schema = await this.schema();
    const [first, ...rest] = keys;
    if (first && asHybridOrder(first, schema)) return rest.length === 0;
    if (first && asVectorOrder(first, schema)) return rest.every((k) => k.expr.kind === 'column');
    return keys.every(
      (k) =>
        k.expr.kind === 'column' && schema.fields.some((f) => f.name === (k.expr as { name: string }).name),
    );
  }

  /**
   * Row count, bytes, fragments and indexes, kept while the view the handle
   * reads is the same (as {@link schema}): the planner asks them for every
   * query that reads the table, and a commit — data, index or compaction —
   * makes a new version.
   */
  override async statistics(): Promise<LanceTableStatistics> {
    return this.#call('reading statistics', async () => {
      const view = await this.#view();
      const key = view.token ?? `v${view.version}`;
      const cached = this.#cache.statistics;
      if (cached?.key === key) return cached.statistics;
      const stats = await this.#handle.stats();
      const statistics: LanceTableStatistics = {
        rowCount: { value: stats.numRows, exact: true },
        totalBytes: { value: stats.totalBytes, exact: true },
        fragmentCount: stats.fragmentStats.numFragments,
        smallFragmentCount: stats.fragmentStats.numSmallFragments,
        version: view.version,
        indexCount: stats.numIndices,
      };
      this.#cache.statistics = { key, statistics };
      return statistics;
    });
  }

  /** The table's versions, oldest first. */
  async listVersions(): Promise<LanceVersion[]> {
    return this.#call('listing versions', async () =>
      (await this.#handle.listVersions()).map((v) => ({
        version: v.version,
        timestamp: v.timestamp,
        metadata: v.metadata,
      })),
    );
  }

  scan(request: LanceScanRequest): AsyncIterable<RecordBatch> {
    return abortableBatches(this.#scan(request), request.signal);
  }

  async *#scan(request: LanceScanRequest): AsyncGenerator<RecordBatch> {
    const first = request.orderBy?.[0];
    // Orders, searches and reads of virtual columns alone depend on the schema. A plain read does not: its
    // projection is checked only if Lance refuses it, sparing each small read a version check.
    const needsSchema =
      first !== undefined ||
      request.lance?.hybrid !== undefined ||
      (request.projection.length > 0 && request.projection.every(isVirtualColumn));
    const schema = needsSchema ? await this.schema() : undefined;
    if (schema) this.#checkProjection(request.projection, schema);
    const where = renderLanceFilter(request.filters);
    const vector = first && schema ? asVectorOrder(first, schema) : undefined;
    const hybrid = request.lance?.hybrid ?? (first && schema ? asHybridOrder(first, schema) : undefined);
    try {
      if (hybrid) {
        yield* this.#hybridScan(request, hybrid, where);
      } else if (vector && (request.limit !== undefined || request.projection.includes('_distance'))) {
        yield* this.#vectorScan(request, vector, first!, where);
      } else {
        const fts = await this.#fullTextPlan(request);
        if (fts) yield* this.#fullTextScan(request, fts, where);
        else yield* this.#plainScan(request, schema, where);
      }
    } catch (error) {
      // Lance refused a plain read: a column that does not exist is named as PostgreSQL names it.
      if (!schema && !SpokeError.isInstance(error)) {
        const current = await this.schema().catch(() => undefined);
        if (current) this.#checkProjection(request.projection, current);
      }
      throw lanceError(error, this.#init.source, `scanning Lance table "${this.name}"`);
    }
  }

  /** Throws `COLUMN_NOT_FOUND` for a projected column the table does not have. */
  #checkProjection(projection: readonly string[], schema: Schema): void {
    for (const name of projection) {
      if (!isVirtualColumn(name) && !schema.fields.some((f) => f.name === name)) {
        throw new SpokeError(
          ErrorCode.COLUMN_NOT_FOUND,
          `column "${name}" does not exist in Lance table "${this.name}"`,
          { source: this.#init.source },
        );
      }
    }
  }

  /** LanceDB's execution options for a read of `columns`: batches of a few MiB (see batch-length.ts). */
  #execution(columns: readonly string[]): { maxBatchLength: number } {
    return { maxBatchLength: batchLength(this.#cache.schema?.schema, columns) };
  }

  /** Vector top-k: Lance's nearest-neighbour search with the filters as a pre-filter; NULL vectors sort as NULLs. */
  async *#vectorScan(
    request: LanceScanRequest,
    order: VectorOrder,
    key: SortKey,
    where: string | undefined,
  ): AsyncGenerator<RecordBatch> {
    const realColumns = request.projection.filter((c) => !isVirtualColumn(c));
    // Without a limit the caller wants every row's distance: search exhaustively so none is missed.
    const exact = request.lance?.exact === true || request.limit === undefined;
    const limit = request.limit ?? (await this.#handle.countRows(where));
    // Rows still to return, shared with the NULL-vector reads before or after the search.
    const remaining = { left: limit };
    const nulls = { request, order, where, realColumns, remaining };
    if (key.nulls === 'first') yield* this.#nullVectors(nulls);
    if (remaining.left > 0) {
      let query = this.#handle
        .vectorSearch(order.vector)
        .column(order.column)
        .distanceType(order.metric)
        .limit(remaining.left);
      if (where) query = query.where(where);
      if (exact) query = query.bypassVectorIndex();
      else {
        const s = { ...this.#init.search, ...definedOnly(request.lance) };
        // HNSW refuses an ef below the candidates it must return (k × refineFactor).
        query = query
          .nprobes(s.nprobes)
          .refineFactor(s.refineFactor)
          .ef(Math.max(s.ef, remaining.left * Math.max(1, s.refineFactor)));
      }
      query = query.select([...realColumns, '_distance']);
      const shape: OutputShape = { projection: request.projection, distanceOf: order.fn };
      for await (const batch of stream(query, this.#execution(realColumns))) {
        if (batch.numRows === 0) continue;
        remaining.left -= batch.numRows;
        yield shapeBatch(batch, shape);
      }
    }
    if (key.nulls === 'last') yield* this.#nullVectors(nulls);
  }

  /**
   * The rows whose vector is NULL (they sort as NULLs), at most `remaining.left` of them. A method
   * rather than a generator expression in {@link #vectorScan}: see `batchesOf` in `@spoke/core`.
   */
  async *#nullVectors(read: {
    readonly request: LanceScanRequest;
    readonly order: VectorOrder;
    readonly where: string | undefined;
    readonly realColumns: readonly string[];
    readonly remaining: { left: number };
  }): AsyncGenerator<RecordBatch> {
    const { request, order, where, realColumns, remaining } = read;
    if (remaining.left <= 0) return;
    const nullWhere = `${where ? `(${where}) AND ` : ''}(\`${order.column}\` IS NULL)`;
    const columns = realColumns.length ? [...realColumns] : [order.column];
    const query = this.#handle.query().where(nullWhere).limit(remaining.left).select(columns);
    for await (const batch of stream(query, this.#execution(columns))) {
      remaining.left -= batch.numRows;
      yield shapeBatch(batch, { projection: request.projection });
    }
  }

  /**
   * Picks a `text_match` filter a full-text index can answer: the index must
   * split text at least as finely as whole words (`simple` or `ngram`
   * tokenizer), and the request must not ask for an order the index cannot
   * give (only `_score DESC` or none).
   */
  async #fullTextPlan(request: LanceScanRequest): Promise<TextMatch | undefined> {
    const matches = request.filters
      .map(asTextMatch)
      .filter((m): m is TextMatch => !!m && textMatchWords(m.query).length > 0);
    if (matches.length === 0) return undefined;
    const order = request.orderBy ?? [];
    const scoreOrder =
      order.length === 0 ||
      (order[0]!.expr.kind === 'column' &&
        order[0]!.expr.name === '_score' &&
        order[0]!.direction === 'desc');
    if (!scoreOrder) return undefined;
    const indexes = await this.#handle.listIndices();
    return matches.find((m) =>
      indexes.some((i) => {
        if (!/fts|inverted/i.test(i.indexType) || i.columns[0] !== m.column) return false;
        const tokenizer =
          (i as { indexDetails?: { base_tokenizer?: string } }).indexDetails?.base_tokenizer ?? 'simple';
        return tokenizer === 'simple' || tokenizer === 'ngram';
      }),
    );
  }

  /**
   * Full-text search through the index (AND of the words, ranked by BM25),
   * with every filter — the whole-word expressions included — applied as a
   * pre-filter, so the rows are exactly those of the plain scan.
   */
  async *#fullTextScan(
    request: LanceScanRequest,
    match: TextMatch,
    where: string | undefined,
  ): AsyncGenerator<RecordBatch> {
    const realColumns = request.projection.filter((c) => !isVirtualColumn(c));
    // Lance's full-text search returns 10 rows unless told otherwise; the table's size bounds every answer.
    const limit = request.limit ?? (await this.#handle.countRows());
    if (limit <= 0) return;
    const text = new lancedb.MatchQuery(textMatchWords(match.query).join(' '), match.column, {
      operator: lancedb.Operator.And,
    });
    let query = this.#handle.query().fullTextSearch(text).limit(limit);
    if (where) query = query.where(where);
    query = query.select([...realColumns, '_score']);
    for await (const batch of stream(query, this.#execution(realColumns))) {
      if (batch.numRows) yield shapeBatch(batch, { projection: request.projection });
    }
  }

  /** A hybrid search: vector and full-text results fused by RRF. */
  async *#hybridScan(
    request: LanceScanRequest,
    hybrid: HybridSearch,
    where: string | undefined,
  ): AsyncGenerator<RecordBatch> {
    const realColumns = request.projection.filter((c) => !isVirtualColumn(c));
    const reranker = await lancedb.rerankers.RRFReranker.create(hybrid.rrfK ?? 60);
    const s = { ...this.#init.search, ...definedOnly(request.lance) };
    let query = this.#handle
      .query()
      .nearestTo(Float32Array.from(hybrid.vector.vector))
      .column(hybrid.vector.column)
      .distanceType(hybrid.vector.metric ?? 'l2')
      .nprobes(s.nprobes)
      .refineFactor(s.refineFactor)
      .fullTextSearch(new lancedb.MatchQuery(hybrid.text.query, hybrid.text.column))
      .rerank(reranker)
      .limit(request.limit ?? 10);
    if (where) query = query.where(where);
    // The reranker adds `_relevance_score` itself; naming it in the projection is refused.
    query = query.select(realColumns.length ? realColumns : [hybrid.vector.column]);
    for await (const batch of query) {
      if (batch.numRows) yield shapeBatch(batch, { projection: request.projection });
    }
  }

  /** A plain read: projection, filter, column top-N and limit, all in Lance. */
  async *#plainScan(
    request: LanceScanRequest,
    schema: Schema | undefined,
    where: string | undefined,
  ): AsyncGenerator<RecordBatch> {
    const realColumns = request.projection.filter((c) => !isVirtualColumn(c));
    // `_score` and `_distance` are NULL here (no index, no vector key): sorting on them changes nothing.
    const keys = (request.orderBy ?? []).filter(
      (k) => !(k.expr.kind === 'column' && isVirtualColumn(k.expr.name)),
    );
    const orderable = keys.every(
      (k) =>
        k.expr.kind === 'column' &&
        schema?.fields.some((f) => f.name === (k.expr as { name: string }).name) === true,
    );
    // An order Lance cannot apply: return every row (a superset) and leave ORDER BY … LIMIT to the planner.
    const limit = orderable ? request.limit : undefined;
    if (request.projection.length === 0) {
      const count = await this.#handle.countRows(where);
      yield rowCountBatch(limit === undefined ? count : Math.min(count, limit));
      return;
    }
    if (limit !== undefined && limit <= 0) return;
    // Only virtual columns asked for: the schema was read (see #scan), and its first column stands in.
    const columns = realColumns.length ? realColumns : [schema!.fields[0]!.name];
    let query = this.#handle.query().select(columns);
    if (where) query = query.where(where);
    if (orderable && keys.length) {
      query = query.orderBy(
        keys.map((k) => ({
          columnName: (k.expr as { name: string }).name,
          ascending: k.direction === 'asc',
          nullsFirst: k.nulls === 'first',
        })),
      );
    }
    if (limit !== undefined) query = query.limit(limit);
    for await (const batch of stream(query, this.#execution(columns))) {
      if (batch.numRows) yield shapeBatch(batch, { projection: request.projection });
    }
  }

  // ------------------------------------------------ the contract's writes (SQL statements)

  /** `INSERT INTO`: one new version. */
  async insert(batches: AsyncIterable<RecordBatch>, options: WriteOptions): Promise<WriteResult> {
    return this.append(batches, options.signal);
  }

  /** `CREATE INDEX [name] ON t USING ivf_pq|ivf_flat|hnsw_pq|hnsw_sq|fts|btree (column) WITH (…)`. */
  async createIndex(spec: IndexSpec, _options: WriteOptions): Promise<ContractWriteResult> {
    if (spec.columns.length !== 1) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `Lance indexes cover one column (got ${spec.columns.length})`,
        { source: this.#init.source },
      );
    }
    const type = spec.method.toLowerCase() as LanceIndexType;
    if (!LANCE_INDEX_TYPES.includes(type)) {
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `unknown Lance index method "${spec.method}" (one of ${LANCE_INDEX_TYPES.join(', ')})`,
      );
    }
    const info = await this.buildIndex({
      column: spec.columns[0]!,
      type,
      options: spec.options,
      ...(spec.name ? { name: spec.name } : {}),
    });
    return {
      rows: 0,
      version: await this.#handle.version(),
      summary: `created ${info.indexType} index "${info.name}" on ${info.columns.join(', ')}`,
    };
  }

  /** `DROP INDEX source.table.name`. */
  async dropIndex(name: string, _options: WriteOptions): Promise<ContractWriteResult> {
    await this.removeIndex(name);
    return { rows: 0, version: await this.#handle.version(), summary: `dropped index "${name}"` };
  }

  /** `VACUUM source.table`: compaction and clean-up of old versions. */
  async vacuum(_options: WriteOptions): Promise<ContractWriteResult> {
    const r = await this.compact();
    return {
      rows: 0,
      version: r.versionAfter,
      summary: `compacted ${r.fragmentsBefore} fragments into ${r.fragmentsAfter}, removed ${r.oldVersionsRemoved} old versions (${r.bytesRemoved} bytes)`,
    };
  }

  // ---------------------------------------------------------------- writes

  async append(batches: BatchSource, signal?: AbortSignal): Promise<WriteResult> {
    this.#writable('INSERT');
    const schema = await this.schema();
    const collected: RecordBatch[] = [];
    for await (const batch of batches) {
      if (signal?.aborted) throw SpokeError.cancelled(signal);
      if (batch.numRows) collected.push(coerceBatch(batch, schema));
    }
    const rows = collected.reduce((n, b) => n + b.numRows, 0);
    if (rows === 0) return { version: await this.#handle.version(), rows: 0 };
    return this.#call(`appending to Lance table "${this.name}"`, async () => {
      const result = await this.#handle.add(new arrow.Table(collected) as never);
      return { version: result.version, rows };
    });
  }

  async delete(filter: Expr | undefined, _options?: WriteOptions): Promise<WriteResult> {
    this.#writable('DELETE');
    const schema = await this.schema();
    if (filter === undefined) {
      return this.#call(`deleting from Lance table "${this.name}"`, async () => {
        const result = await this.#handle.delete('true');
        return { version: result.version, rows: result.numDeletedRows };
      });
    }
    if (lanceFilterSupport(filter, schema) !== 'exact') {
      throw new SpokeError(ErrorCode.UNSUPPORTED, `Lance cannot evaluate this DELETE condition exactly`, {
        source: this.#init.source,
      });
    }
    const predicate = renderLanceFilter([filter])!;
    return this.#call(`deleting from Lance table "${this.name}"`, async () => {
      const result = await this.#handle.delete(predicate);
      return { version: result.version, rows: result.numDeletedRows };
    });
  }

  async buildIndex(request: CreateIndexRequest): Promise<LanceIndexInfo> {
    this.#writable('CREATE INDEX');
    const name = request.name ?? `${request.column}_idx`;
    const config = indexConfig(request);
    await this.#call(`creating index "${name}" on Lance table "${this.name}"`, () =>
      this.#handle.createIndex(request.column, { config, name, replace: request.replace ?? true }),
    );
    const created = (await this.listIndexes()).find((i) => i.name === name);
    if (!created) throw new SpokeError(ErrorCode.INTERNAL, `index "${name}" was created but is not listed`);
    return created;
  }

  async removeIndex(name: string): Promise<void> {
    this.#writable('DROP INDEX');
    await this.#call(`dropping index "${name}" of Lance table "${this.name}"`, () =>
      this.#handle.dropIndex(name),
    );
  }

  async listIndexes(): Promise<readonly LanceIndexInfo[]> {
    return this.#call('listing indexes', async () =>
      (await this.#handle.listIndices()).map((i) => {
        const details = (i as { indexDetails?: { metric_type?: string } }).indexDetails;
        const info: { -readonly [K in keyof LanceIndexInfo]: LanceIndexInfo[K] } = {
          name: i.name,
          indexType: i.indexType,
          columns: i.columns,
        };
        if (details?.metric_type) info.metric = details.metric_type.toLowerCase();
        const counts = i as { numIndexedRows?: number; numUnindexedRows?: number };
        if (counts.numIndexedRows !== undefined) info.indexedRows = counts.numIndexedRows;
        if (counts.numUnindexedRows !== undefined) info.unindexedRows = counts.numUnindexedRows;
        return info;
      }),
    );
  }

  async compact(options: VacuumOptions = {}): Promise<VacuumReport> {
    this.#writable('VACUUM');
    const seconds = options.olderThanSeconds ?? this.#init.versionRetentionSeconds;
    return this.#call(`vacuuming Lance table "${this.name}"`, async () => {
      const before = await this.statistics();
      const stats = await this.#handle.optimize({ cleanupOlderThan: new Date(Date.now() - seconds * 1000) });
      const after = await this.statistics();
      return {
        table: this.name,
        versionBefore: before.version,
        versionAfter: after.version,
        fragmentsBefore: before.fragmentCount,
        fragmentsAfter: after.fragmentCount,
        fragmentsRemoved: stats.compaction.fragmentsRemoved,
        fragmentsAdded: stats.compaction.fragmentsAdded,
        filesRemoved: stats.compaction.filesRemoved,
        filesAdded: stats.compaction.filesAdded,
        oldVersionsRemoved: stats.prune.oldVersionsRemoved,
        bytesRemoved: stats.prune.bytesRemoved,
      };
    });
  }

  #writable(statement: string): void {
    if (this.#init.version !== undefined) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `${statement}: "${this.name}" is a past version of a Lance table and is read-only`,
        {
          source: this.#init.source,
        },
      );
    }
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw lanceError(error, this.#init.source, what);
    }
  }
}

/**
 * A query's batches, read with `options`. `execute` is LanceDB's streaming
 * read, declared `protected` in its types though public in JavaScript; the
 * public way to pass options, `toArrow(options)`, collects every batch
 * before the first is seen. LanceDB is pinned (0.31.0) and every scan test
 * reads through this.
 */
function stream(query: object, options: { readonly maxBatchLength: number }): AsyncIterable<RecordBatch> {
  return (query as { execute(o: { maxBatchLength: number }): AsyncIterable<RecordBatch> }).execute(options);
}

/** The members of `o` that are set, so they can override defaults with a spread. */
function definedOnly(o: LanceScanOptions | undefined): Partial<VectorSearchSettings> {
  const out: { -readonly [K in keyof VectorSearchSettings]?: number } = {};
  if (o?.nprobes !== undefined) out.nprobes = o.nprobes;
  if (o?.refineFactor !== undefined) out.refineFactor = o.refineFactor;
  if (o?.ef !== undefined) out.ef = o.ef;
  return out;
}

/**
 * LanceDB's index configuration for a request. SQL-style option names
 * (`num_partitions`) become LanceDB's (`numPartitions`), and numbers or
 * booleans written as text become values. Full-text indexes default to whole
 * lower-cased words (no stemming, stop words or accent folding), the same
 * words `text_match` looks for.
 */
function indexConfig(request: CreateIndexRequest): lancedb.Index {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request.options ?? {})) {
    const name = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    options[name === 'metric' ? 'distanceType' : name] =
      typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)
        ? Number(value)
        : value === 'true'
          ? true
          : value === 'false'
            ? false
            : value;
  }
  switch (request.type) {
    case 'ivf_pq':
      return lancedb.Index.ivfPq(options);
    case 'ivf_flat':
      return lancedb.Index.ivfFlat(options);
    case 'hnsw_pq':
      return lancedb.Index.hnswPq(options);
    case 'hnsw_sq':
      return lancedb.Index.hnswSq(options);
    case 'fts':
      return lancedb.Index.fts({
        baseTokenizer: 'simple',
        stem: false,
        removeStopWords: false,
        asciiFolding: false,
        lowercase: true,
        ...options,
      });
    case 'btree':
      return lancedb.Index.btree();
    default:
      throw new SpokeError(ErrorCode.UNSUPPORTED, `unknown Lance index type "${String(request.type)}"`);
  }
}
