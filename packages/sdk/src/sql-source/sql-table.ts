import {
  arrow,
  columnsOf,
  type Expr,
  type FilterSupport,
  type RecordBatch,
  type ScanRequest,
  type Schema,
  type SortKey,
  type TableStatistics,
} from '@spoke/core';
import { BaseTable } from '../base-table.js';
import { ExpressionRenderer } from '../sql/expression-renderer.js';
import { ExpiringCache } from './expiring-cache.js';
import type { SqlSourceConnector } from './sql-source-connector.js';
import type { SqlTableDescription } from './sql-source-types.js';

/**
 * A table of a SQL-speaking source. Every part of a scan request is pushed
 * down: the projection, each filter the dialect can render (exactly: the
 * source evaluates it with SQL semantics), the top-N order and the limit.
 * The connector renders and runs the SELECT ({@link SqlSourceConnector.scanTable}).
 */
export class SqlTable extends BaseTable {
  readonly #schema: Schema;
  /** Estimates, read by the cost model several times per federated query: kept as long as the catalog is. */
  readonly #statistics: ExpiringCache<TableStatistics | undefined>;
  readonly #estimates: ExpiringCache<number | undefined>;

  constructor(
    readonly connector: SqlSourceConnector,
    readonly description: SqlTableDescription,
  ) {
    super(description.name);
    this.#schema = new arrow.Schema(description.columns.map((c) => c.field));
    this.#statistics = new ExpiringCache(() => connector.catalogCacheMs, 1);
    this.#estimates = new ExpiringCache(() => connector.catalogCacheMs, 256);
  }

  async schema(): Promise<Schema> {
    return this.#schema;
  }

  /** A million keys where the dialect sends a long `IN` list as one array (`valueListsAsArrays`); else the default. */
  get valueListLimit(): number | undefined {
    return this.connector.expressionDialect.valueListsAsArrays ? 1_000_000 : undefined;
  }

  override supportsFilters(filters: readonly Expr[]): readonly FilterSupport[] {
    const known = new Set(this.description.columns.map((c) => c.name));
    const renderer = new ExpressionRenderer(this.connector.expressionDialect);
    return filters.map((filter) => {
      if (!columnsOf(filter).every((c) => known.has(c))) return 'unsupported';
      if (!renderer.canRender(filter)) return 'unsupported';
      return this.connector.filterSupport(filter, this.description);
    });
  }

  /** Top-N goes to the source when the dialect renders every sort key over known columns. */
  supportsOrderBy(keys: readonly SortKey[]): boolean {
    const known = new Set(this.description.columns.map((c) => c.name));
    const renderer = new ExpressionRenderer(this.connector.expressionDialect);
    return keys.every((k) => columnsOf(k.expr).every((c) => known.has(c)) && renderer.canRender(k.expr));
  }

  override async statistics(signal?: AbortSignal): Promise<TableStatistics | undefined> {
    return this.#statistics.get('', () => this.connector.tableStatistics(this.description, signal));
  }

  /** The connector's {@link SqlSourceConnector.estimateScanRows}, cached by filter set. */
  async estimateRows(filters: readonly Expr[], signal?: AbortSignal): Promise<number | undefined> {
    const key = JSON.stringify(filters, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
    return this.#estimates.get(key, () =>
      this.connector.estimateScanRows(this.description, filters, signal).catch(() => undefined),
    );
  }

  scan(request: ScanRequest): AsyncIterable<RecordBatch> {
    return this.connector.scanTable(this.description, request);
  }
}
