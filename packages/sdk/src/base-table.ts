import type {
  Expr,
  FilterSupport,
  RecordBatch,
  ScanRequest,
  Schema,
  SpokeTable,
  TableStatistics,
} from '@spoke/core';

/**
 * A table with the contract's defaults: filters unsupported, no statistics,
 * no snapshot token.
 * Subclasses implement {@link BaseTable.schema} and {@link BaseTable.scan} and
 * override the rest as their source allows.
 */
export abstract class BaseTable implements SpokeTable {
  constructor(readonly name: string) {}

  abstract schema(signal?: AbortSignal): Promise<Schema>;

  supportsFilters(filters: readonly Expr[]): Promise<readonly FilterSupport[]> | readonly FilterSupport[] {
    return filters.map(() => 'unsupported' as const);
  }

  async statistics(_signal?: AbortSignal): Promise<TableStatistics | undefined> {
    return undefined;
  }

  /** No token: the engine reads the source on every query (see {@link SpokeTable.snapshot}). */
  async snapshot(_signal?: AbortSignal): Promise<string | undefined> {
    return undefined;
  }

  abstract scan(request: ScanRequest): AsyncIterable<RecordBatch>;
}
