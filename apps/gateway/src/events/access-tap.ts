/**
 * Watches every request the planner sends a source — table scans, pushed-down
 * SQL and writes — and turns each into an access event when it ends, keeping
 * what is under way (for progress and the live rows/s) meanwhile. It wraps
 * the connectors the planner is given, so it sees every access with its
 * query context whatever the plan, and no planner code changes.
 */
import {
  type Expr,
  type QueryContext,
  type RecordBatch,
  type RenderedSql,
  type ScanRequest,
  type SpokeConnector,
  SpokeError,
  type SpokeTable,
  type WriteOptions,
  type WriteResult,
} from '@spoke/core';
import { delegate } from '../service/delegate-proxy.js';
import type { AccessEvent, AccessMethod, AccessOutcome, ActiveAccess } from './access-event.js';
import { ESTIMATE_AFTER_MS, ScanEstimates } from './scan-estimates.js';

/** Rows and bytes one query read from one source so far. */
export interface SourceProgress {
  readonly source: string;
  rows: number;
  bytes: number;
  /** Accesses finished. */
  reads: number;
  /** Accesses under way now. */
  active: number;
  errors: number;
  /**
   * The sources' estimate of the rows its scans return, summed over the
   * scans that have one; null while none has. Pushed-down SQL has none.
   */
  estimatedRows: number | null;
}

/** Queries whose per-source figures are kept after they end, for `/v1/queries/{id}/progress`. */
const KEPT_QUERIES = 1000;

function outcomeOf(error: unknown, signal: AbortSignal | undefined): [AccessOutcome, string, string] {
  const code = SpokeError.isInstance(error) ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  const cancelled = signal?.aborted || code === 'QUERY_CANCELLED' || code === 'QUERY_TIMEOUT';
  return [
    cancelled ? 'cancelled' : 'error',
    cancelled && !SpokeError.isInstance(error) ? 'QUERY_CANCELLED' : code,
    message,
  ];
}

/** Emits one {@link AccessEvent} per source access; see the file comment. */
export class AccessTap {
  readonly #raw = new Map<string, SpokeConnector>();
  readonly #active = new Map<number, ActiveAccess>();
  readonly #queries = new Map<string, { user: string | null; sources: Map<string, SourceProgress> }>();
  /** `schema.table` names each source's catalog handed out, to name the tables of pushed-down SQL. */
  readonly #known = new Map<string, Map<string, readonly string[]>>();
  readonly #estimates = new ScanEstimates();
  /**
   * The timers of scans waiting to ask their source for an estimate, cleared when the scan ends: a
   * timer left to fire held the scan's request (filters, signal) for a second after a point query
   * ended, and the garbage collector copied every such query's objects into the old generation.
   */
  readonly #estimateTimers = new Map<number, NodeJS.Timeout>();
  #nextId = 1;
  /** A scan running this long without an estimate asks its source for one, ms (see scan-estimates.ts). */
  estimateAfterMs = ESTIMATE_AFTER_MS;
  /** Called with each finished access. */
  onEvent: (event: AccessEvent) => void = () => {};
  /** Called when a scan's row estimate becomes known (`access.estimatedRows`). */
  onEstimate: (access: ActiveAccess) => void = () => {};
  /** Called with each batch a source returns, as it arrives. */
  onBatch: (access: ActiveAccess, rows: number, bytes: number) => void = () => {};

  /** The connectors as configured, unwrapped (health probes use them so probes are not accesses). */
  connectors(): ReadonlyMap<string, SpokeConnector> {
    return this.#raw;
  }

  /** Accesses under way now. */
  active(): ActiveAccess[] {
    return [...this.#active.values()];
  }

  /** What `queryId` has read from each source so far (and whose query it is), or undefined when the tap never saw it. */
  progress(queryId: string): { user: string | null; sources: SourceProgress[] } | undefined {
    const query = this.#queries.get(queryId);
    return query
      ? { user: query.user, sources: [...query.sources.values()].map((p) => ({ ...p })) }
      : undefined;
  }

  private begin(
    source: string,
    context: QueryContext | undefined,
    tables: readonly string[],
    method: AccessMethod,
  ): ActiveAccess {
    const access: ActiveAccess = {
      id: this.#nextId++,
      queryId: context?.queryId ?? null,
      user: context?.user ?? null,
      source,
      tables,
      operation: method === 'scan' || method === 'sql' ? 'read' : 'write',
      method,
      started: Date.now(),
      rows: 0,
      bytes: 0,
      estimatedRows: null,
    };
    this.#active.set(access.id, access);
    const progress = this.queryProgress(access);
    if (progress) progress.active++;
    return access;
  }

  private queryProgress(access: ActiveAccess): SourceProgress | undefined {
    if (access.queryId === null) return undefined;
    let query = this.#queries.get(access.queryId);
    if (!query) {
      query = { user: access.user, sources: new Map() };
      this.#queries.set(access.queryId, query);
      if (this.#queries.size > KEPT_QUERIES) this.#queries.delete(this.#queries.keys().next().value!);
    }
    const sources = query.sources;
    let progress = sources.get(access.source);
    if (!progress) {
      progress = {
        source: access.source,
        rows: 0,
        bytes: 0,
        reads: 0,
        active: 0,
        errors: 0,
        estimatedRows: null,
      };
      sources.set(access.source, progress);
    }
    return progress;
  }

  private batch(access: ActiveAccess, rows: number, bytes: number): void {
    access.rows += rows;
    access.bytes += bytes;
    const progress = this.queryProgress(access);
    if (progress) {
      progress.rows += rows;
      progress.bytes += bytes;
    }
    try {
      this.onBatch(access, rows, bytes);
    } catch {
      // observers never break a query
    }
  }

  /** Records the estimate of a scan (once; it may arrive just after the scan ended). */
  private estimated(access: ActiveAccess, rows: number): void {
    if (access.estimatedRows !== null) return;
    access.estimatedRows = rows;
    const progress = this.queryProgress(access);
    if (progress) progress.estimatedRows = (progress.estimatedRows ?? 0) + rows;
    try {
      this.onEstimate(access);
    } catch {
      // observers never break a query
    }
  }

  /**
   * Finds the estimate of a scan that just began: the one the planner asked
   * for with the same filters, or — when the scan is still running after
   * {@link AccessTap.estimateAfterMs} — the source's answer then.
   */
  private estimateScan(access: ActiveAccess, name: string, table: SpokeTable, request: ScanRequest): void {
    const cap = (rows: number) =>
      Math.round(request.limit === undefined ? rows : Math.min(rows, request.limit));
    const known = this.#estimates.lookup(name, request.filters);
    if (known !== undefined) {
      this.estimated(access, cap(known));
      return;
    }
    if (!table.estimateRows) return;
    const timer = setTimeout(() => {
      this.#estimateTimers.delete(access.id);
      if (!this.#active.has(access.id) || request.signal.aborted) return;
      table.estimateRows!(request.filters, request.signal).then(
        (rows) => {
          if (rows !== undefined && Number.isFinite(rows)) this.estimated(access, cap(rows));
        },
        () => {}, // an estimate is a nicety: its failure is nobody's error
      );
    }, this.estimateAfterMs);
    timer.unref();
    this.#estimateTimers.set(access.id, timer);
  }

  private end(
    access: ActiveAccess,
    outcome: AccessOutcome,
    errorCode: string | null,
    error: string | null,
  ): void {
    if (!this.#active.delete(access.id)) return;
    const timer = this.#estimateTimers.get(access.id);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#estimateTimers.delete(access.id);
    }
    const progress = this.queryProgress(access);
    if (progress) {
      progress.active--;
      progress.reads++;
      if (outcome === 'error') progress.errors++;
    }
    const event: AccessEvent = {
      type: 'access',
      time: new Date().toISOString(),
      startedAt: new Date(access.started).toISOString(),
      queryId: access.queryId,
      user: access.user,
      source: access.source,
      table: access.tables.length === 1 ? access.tables[0]! : null,
      tables: access.tables,
      operation: access.operation,
      method: access.method,
      rows: access.rows,
      bytes: access.bytes,
      durationMs: Date.now() - access.started,
      outcome,
      errorCode,
      error,
    };
    try {
      this.onEvent(event);
    } catch {
      // observers never break a query
    }
  }

  /** `batches` with the access recorded: starts on the first `next()`, ends however the iteration ends. */
  private watched(
    source: string,
    context: QueryContext | undefined,
    tables: () => readonly string[],
    method: AccessMethod,
    signal: AbortSignal | undefined,
    batches: AsyncIterable<RecordBatch>,
    onBegin: (access: ActiveAccess) => void = () => {},
  ): AsyncIterable<RecordBatch> {
    const tap = this;
    return {
      [Symbol.asyncIterator]() {
        const inner = batches[Symbol.asyncIterator]();
        let access: ActiveAccess | undefined;
        const finish = (outcome: AccessOutcome, code: string | null, message: string | null) => {
          if (access) tap.end(access, outcome, code, message);
        };
        return {
          async next() {
            if (!access) {
              access = tap.begin(source, context, tables(), method);
              onBegin(access);
            }
            let next: IteratorResult<RecordBatch>;
            try {
              next = await inner.next();
            } catch (error) {
              finish(...outcomeOf(error, signal));
              throw error;
            }
            if (next.done) finish('ok', null, null);
            else tap.batch(access, next.value.numRows, next.value.data.byteLength);
            return next;
          },
          async return(value?: unknown) {
            // Stopped early: a LIMIT that is satisfied is fine; an aborted query is a cancellation.
            if (signal?.aborted) finish('cancelled', 'QUERY_CANCELLED', null);
            else finish('ok', null, null);
            return inner.return ? inner.return(value) : { done: true, value: undefined };
          },
          async throw(error?: unknown) {
            finish(...outcomeOf(error, signal));
            if (inner.throw) return inner.throw(error);
            throw error;
          },
        } as AsyncIterator<RecordBatch>;
      },
    };
  }

  /** A write recorded as one access: rows from the source's answer, bytes from the batches sent. */
  private async written(
    source: string,
    options: WriteOptions,
    table: string,
    method: AccessMethod,
    run: (count: (batches: AsyncIterable<RecordBatch>) => AsyncIterable<RecordBatch>) => Promise<WriteResult>,
  ): Promise<WriteResult> {
    const access = this.begin(source, options.context, [table], method);
    const count = (batches: AsyncIterable<RecordBatch>) => AccessTap.countSent(this, access, batches);
    try {
      const result = await run(count);
      this.batch(access, result.rows, 0);
      this.end(access, 'ok', null, null);
      return result;
    } catch (error) {
      this.end(access, ...outcomeOf(error, options.signal));
      throw error;
    }
  }

  /** `batches` sent to a source, counted on `access` as they go (a generator declared once: see `batchesOf` in `@spoke/core`). */
  private static async *countSent(
    tap: AccessTap,
    access: ActiveAccess,
    batches: AsyncIterable<RecordBatch>,
  ): AsyncGenerator<RecordBatch> {
    for await (const batch of batches) {
      tap.batch(access, 0, batch.data.byteLength);
      yield batch;
    }
  }

  /** Tables of `source` whose names appear in a pushed-down statement. */
  private tablesIn(source: string, connector: SpokeConnector, query: RenderedSql): string[] {
    const known = this.#known.get(source);
    if (!known || !connector.sql) return [];
    const quote = (name: string) => connector.sql!.dialect.quoteIdentifier(name);
    const found: string[] = [];
    for (const [qualified, [schema, name]] of known)
      if (query.sql.includes(`${quote(schema!)}.${quote(name!)}`)) found.push(qualified);
    if (found.length > 0) return found;
    // A dialect that names tables without their schema: the bare quoted name.
    for (const [qualified, [, name]] of known) if (query.sql.includes(quote(name!))) found.push(qualified);
    return found;
  }

  /** One connector wrapped: scans, SQL and writes recorded; everything else passes through. */
  wrap(source: string, connector: SpokeConnector): SpokeConnector {
    this.#raw.set(source, connector);
    const known = new Map<string, readonly string[]>();
    this.#known.set(source, known);
    // One wrapper per table object and schema, not per lookup: catalogs hand out the same table to every query.
    const wrappedTables = new WeakMap<SpokeTable, Map<string, SpokeTable>>();
    const wrapTable = (schema: string, table: SpokeTable): SpokeTable => {
      let bySchema = wrappedTables.get(table);
      if (!bySchema) {
        bySchema = new Map();
        wrappedTables.set(table, bySchema);
      }
      let wrapped = bySchema.get(schema);
      if (!wrapped) {
        wrapped = wrapNewTable(schema, table);
        bySchema.set(schema, wrapped);
      }
      return wrapped;
    };
    const wrapNewTable = (schema: string, table: SpokeTable): SpokeTable => {
      const name = `${schema}.${table.name}`;
      known.set(name, [schema, table.name]);
      const estimateKey = `${source}.${name}`;
      const overrides: Record<string, unknown> = {
        scan: (request: ScanRequest) =>
          this.watched(
            source,
            request.context,
            () => [name],
            'scan',
            request.signal,
            table.scan(request),
            (a) => this.estimateScan(a, estimateKey, table, request),
          ),
      };
      // The planner's own estimates, remembered for the scans that follow.
      if (table.estimateRows)
        overrides.estimateRows = async (filters: readonly Expr[], signal?: AbortSignal) => {
          const rows = await table.estimateRows!(filters, signal);
          if (rows !== undefined) this.#estimates.remember(estimateKey, filters, rows);
          return rows;
        };
      if (table.insert)
        overrides.insert = (batches: AsyncIterable<RecordBatch>, options: WriteOptions) =>
          this.written(source, options, name, 'insert', (count) => table.insert!(count(batches), options));
      if (table.delete)
        overrides.delete = (
          filter: Parameters<NonNullable<SpokeTable['delete']>>[0],
          options: WriteOptions,
        ) => this.written(source, options, name, 'delete', () => table.delete!(filter, options));
      if (table.createIndex)
        overrides.createIndex = (
          spec: Parameters<NonNullable<SpokeTable['createIndex']>>[0],
          options: WriteOptions,
        ) => this.written(source, options, name, 'create_index', () => table.createIndex!(spec, options));
      if (table.dropIndex)
        overrides.dropIndex = (index: string, options: WriteOptions) =>
          this.written(source, options, name, 'drop_index', () => table.dropIndex!(index, options));
      if (table.vacuum)
        overrides.vacuum = (options: WriteOptions) =>
          this.written(source, options, name, 'vacuum', () => table.vacuum!(options));
      return delegate(table, overrides);
    };
    const catalogOverrides: Record<string, unknown> = {
      getTable: async (schema: string, name: string, signal?: AbortSignal) => {
        const table = await connector.catalog.getTable(schema, name, signal);
        return table ? wrapTable(schema, table) : table;
      },
    };
    if (connector.catalog.createTable) {
      const create = connector.catalog.createTable.bind(connector.catalog);
      catalogOverrides.createTable = (
        schema: string,
        name: string,
        arrowSchema: Parameters<typeof create>[2],
        batches: AsyncIterable<RecordBatch>,
        options: WriteOptions,
      ) =>
        this.written(source, options, `${schema}.${name}`, 'create_table', (count) =>
          create(schema, name, arrowSchema, count(batches), options),
        );
    }
    const catalog = delegate(connector.catalog, catalogOverrides);
    const sql = connector.sql
      ? delegate(connector.sql, {
          execute: (query: RenderedSql, options: { signal: AbortSignal; context: QueryContext }) =>
            this.watched(
              source,
              options.context,
              () => this.tablesIn(source, connector, query),
              'sql',
              options.signal,
              connector.sql!.execute(query, options),
            ),
        })
      : undefined;
    return delegate(connector, { catalog, ...(sql ? { sql } : {}) });
  }
}
