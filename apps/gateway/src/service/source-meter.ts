/**
 * Counts what each source returns: rows and Arrow bytes per source for the
 * metrics, and which sources each query touched for its audit record. It
 * wraps the connectors the gateway hands the planner, so it sees every scan
 * and every pushed-down sub-query with its query id, whatever the plan.
 */
import type {
  QueryContext,
  RecordBatch,
  RenderedSql,
  ScanRequest,
  SpokeConnector,
  SpokeTable,
} from '@spoke/core';
import { AccessTap } from '../events/access-tap.js';
import { type SourcesView, SYSTEM_SOURCE, systemSource } from '../health/sources-table.js';
import { delegate } from './delegate-proxy.js';

/** Per-query and per-source totals. */
export class SourceMeter {
  readonly #queries = new Map<string, Set<string>>();
  /** Turns each source access into an access event (see `events/`); wrapped inside the counting. */
  readonly tap = new AccessTap();
  /** Where the `spoke.sources` system table reads its rows (set by `createGatewayServices`). */
  sourcesView: SourcesView | undefined;
  /** Called with each batch a source returns (the metrics hook). */
  onBatch: (source: string, rows: number, bytes: number) => void = () => {};

  /** Starts collecting for a query. */
  begin(queryId: string): void {
    this.#queries.set(queryId, new Set());
  }

  /** Stops collecting for a query and returns the sources it read, in first-read order. */
  end(queryId: string): string[] {
    const sources = this.#queries.get(queryId);
    this.#queries.delete(queryId);
    return sources ? [...sources] : [];
  }

  /** Records one batch read from `source` for `context`'s query. */
  record(source: string, context: QueryContext | undefined, batch: RecordBatch): void {
    if (context) this.#queries.get(context.queryId)?.add(source);
    this.onBatch(source, batch.numRows, batch.data.byteLength);
  }

  /**
   * Connectors wrapped so that every batch they return is recorded, plus the
   * `spoke` system source (`spoke.sources`, see health/sources-table.ts)
   * unless a configured source is called that.
   */
  wrapAll(connectors: Readonly<Record<string, SpokeConnector>>): Record<string, SpokeConnector> {
    for (const [name, c] of Object.entries(connectors)) this.#connectors.set(name, c);
    const wrapped = Object.fromEntries(
      Object.entries(connectors).map(([name, c]) => [name, this.wrap(name, c)]),
    );
    if (!Object.keys(connectors).some((name) => name.toLowerCase() === SYSTEM_SOURCE))
      wrapped[SYSTEM_SOURCE] = systemSource(() => this.sourcesView);
    return wrapped;
  }

  readonly #connectors = new Map<string, SpokeConnector>();

  /** What each connector reports about itself (pool sizes, cache hits), as gauge samples. */
  connectorMetrics(): [Record<string, string>, number][] {
    const samples: [Record<string, string>, number][] = [];
    for (const [source, connector] of this.#connectors) {
      let values: Readonly<Record<string, number>> | undefined;
      try {
        values = connector.metrics?.();
      } catch {
        continue; // a connector's metrics must never break /metrics
      }
      for (const [name, value] of Object.entries(values ?? {}))
        if (Number.isFinite(value)) samples.push([{ source, name }, value]);
    }
    return samples;
  }

  private counted(
    source: string,
    context: QueryContext | undefined,
    batches: AsyncIterable<RecordBatch>,
  ): AsyncIterable<RecordBatch> {
    const meter = this;
    return {
      [Symbol.asyncIterator]() {
        const inner = batches[Symbol.asyncIterator]();
        return {
          async next() {
            const next = await inner.next();
            if (!next.done) meter.record(source, context, next.value);
            return next;
          },
          return: inner.return ? (value?: unknown) => inner.return!(value) : undefined,
          throw: inner.throw ? (error?: unknown) => inner.throw!(error) : undefined,
        } as AsyncIterator<RecordBatch>;
      },
    };
  }

  /** One connector wrapped; everything but `scan` and `execute` passes through untouched. */
  wrap(source: string, raw: SpokeConnector): SpokeConnector {
    const connector = this.tap.wrap(source, raw);
    // One wrapper per table object, not per lookup: catalogs hand out the same table to every query, and a
    // wrapper remembers the methods it has bound.
    const wrappedTables = new WeakMap<SpokeTable, SpokeTable>();
    const wrapTable = (table: SpokeTable): SpokeTable => {
      let wrapped = wrappedTables.get(table);
      if (!wrapped) {
        wrapped = delegate(table, {
          scan: (request: ScanRequest) => this.counted(source, request.context, table.scan(request)),
        });
        wrappedTables.set(table, wrapped);
      }
      return wrapped;
    };
    const catalog = delegate(connector.catalog, {
      getTable: async (schema: string, name: string, signal?: AbortSignal) => {
        const table = await connector.catalog.getTable(schema, name, signal);
        return table ? wrapTable(table) : table;
      },
    });
    const sql = connector.sql
      ? delegate(connector.sql, {
          execute: (query: RenderedSql, options: { signal: AbortSignal; context: QueryContext }) =>
            this.counted(source, options.context, connector.sql!.execute(query, options)),
        })
      : undefined;
    return delegate(connector, { catalog, ...(sql ? { sql } : {}) });
  }
}
