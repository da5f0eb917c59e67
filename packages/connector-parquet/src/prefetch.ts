/**
 * A first scan's column chunks fetched as each object's footer arrives
 * (issue 20, item 5: list, footers and data ranges fetched concurrently).
 *
 * A table's first load reads every object's footer before its schema is
 * known, and the scan plans its parts only then: the data GETs waited for the
 * slowest of the footers. The scan that starts the load now hands it a
 * {@link Prefetch}: as each footer is parsed, that object's row groups are
 * pruned with its own statistics, its parts planned exactly as the scan will
 * plan them (`planParts`), and their ranges requested through the caches. The
 * scan's own requests for the same ranges then find the bytes in L1, or wait
 * for the GET already in flight (`CachingObjectStore` shares it): nothing is
 * fetched twice, and nothing is decoded before the schema is known.
 *
 * Only what the scan would read is fetched: no limit (a limited scan fetches
 * one part ahead), no top-N, DuckDB-decodable columns; at most
 * {@link PREFETCH_BYTES} (and half of L1), {@link PREFETCH_GETS} GETs at once.
 * Statistics the object cannot give (partition values, columns it lacks)
 * never prune here, so an object the scan prunes by its path may be fetched
 * (bounded; the bytes stay in L1). The GETs stop when the scan ends, however it ends.
 */
import { arrow, type Expr, type ScanRequest, type SortKey, splitConjunction } from '@spoke/core';
import type { CachingObjectStore } from '@spoke/object-store';
import { ExpressionRenderer } from '@spoke/sdk';
import type { DuckDBDecoder } from './duckdb-decoder.js';
import { type DuckDBScan, fetchPart, planParts } from './duckdb-scan.js';
import type { FileState } from './parquet-table.js';
import { duckdbReadable } from './parquet-type-mapping.js';
import { chunkRange, mayMatch, type PruneContext } from './pruning.js';
import { Gate } from './read-ahead.js';

/** Bytes a scan prefetches at most (beyond this, its own read-ahead takes over). */
export const PREFETCH_BYTES = 48 * 1024 * 1024;
/** Prefetch GETs in flight at once. */
export const PREFETCH_GETS = 8;

/** What a scan prefetches while its table's footers load. */
export class Prefetch {
  readonly #controller = new AbortController();
  readonly #gate = new Gate(PREFETCH_GETS);
  readonly #conjuncts: readonly Expr[];
  readonly #pushed: readonly Expr[];
  #budget: number;
  /** Bytes requested so far (for tests). */
  bytes = 0;

  private constructor(
    readonly decoder: DuckDBDecoder,
    readonly store: CachingObjectStore,
    readonly sourceName: string,
    readonly request: ScanRequest,
    budget: number,
  ) {
    this.#budget = budget;
    this.#conjuncts = request.filters.flatMap(splitConjunction);
    const renderer = new ExpressionRenderer(decoder.dialect);
    // As the scan decides which filters DuckDB applies (their columns are fetched too).
    this.#pushed = this.#conjuncts.filter((c) => renderer.canRender(c));
  }

  /**
   * A prefetch for `request`, or undefined when the scan would not read
   * ahead of knowing its table (a limit, a top-N, no decoder, no L1 to keep
   * the bytes in, nothing to project or filter).
   */
  static for(
    request: ScanRequest,
    decoder: DuckDBDecoder | undefined,
    store: CachingObjectStore,
    sourceName: string,
    orderBy: readonly SortKey[] | undefined,
  ): Prefetch | undefined {
    const l1 = store.l1;
    if (!decoder || !l1 || request.limit !== undefined || orderBy || request.signal.aborted) return undefined;
    if (request.projection.length === 0 && request.filters.length === 0) return undefined;
    const budget = Math.min(PREFETCH_BYTES, Math.floor(l1.budgetBytes / 2));
    return budget > 0 ? new Prefetch(decoder, store, sourceName, request, budget) : undefined;
  }

  /** Called with each object as its footer is parsed: requests the parts the scan will read of it. */
  onFile(s: FileState): void {
    if (this.#controller.signal.aborted || this.#budget <= 0) return;
    // The scan decodes with DuckDB only when every object's columns are DuckDB-readable.
    if (![...s.shapes.values()].every(duckdbReadable)) return;
    const type = (column: string) => s.shapes.get(column)?.field.type;
    const selected: { index: number; rows: number }[] = [];
    s.metadata.row_groups.forEach((rg, index) => {
      const rows = Number(rg.num_rows);
      const ctx: PruneContext = {
        // Only the object's own statistics: partition values and absent columns are not known here.
        range: (column) => (s.shapes.has(column) ? chunkRange(rg, column, s.shapes.get(column)) : undefined),
        type,
      };
      if (rows > 0 && this.#conjuncts.every((c) => mayMatch(c, ctx))) selected.push({ index, rows });
    });
    if (selected.length === 0) return;
    const scan: DuckDBScan = {
      decoder: this.decoder,
      store: this.store,
      sourceName: this.sourceName,
      batchRows: 1,
      file: s,
      rowGroups: selected,
      projection: this.request.projection,
      schema: new arrow.Schema([]),
      fields: new Map(),
      partition: () => undefined,
      filters: this.#pushed,
      limit: Number.POSITIVE_INFINITY,
      signal: this.#controller.signal,
      onRowGroups: () => undefined,
    };
    let parts: ReturnType<typeof planParts>;
    try {
      parts = planParts(scan);
    } catch {
      return; // a corrupt footer: the scan reports it
    }
    for (const part of parts) {
      if (part.bytes > this.#budget) return;
      this.#budget -= part.bytes;
      this.bytes += part.bytes;
      // The scan asks again and reports any failure; a prefetch only warms the cache.
      fetchPart(scan, part, this.#gate, this.#controller.signal).catch(() => undefined);
    }
  }

  /**
   * Stops the GETs still waiting or in flight: the scan has ended (a
   * cancelled query's scan ends as soon as its own GETs fail, so no listener
   * on the query's signal is needed, nor added to the many it has).
   */
  stop(): void {
    this.#controller.abort();
  }
}
