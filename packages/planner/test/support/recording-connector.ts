/**
 * Wraps a real connector so tests can see exactly what each table was asked
 * (the scan requests) and, optionally, make a table answer every filter
 * `inexact` — to prove the planner re-applies such filters and withholds
 * the limit.
 */
import type { Expr, FilterSupport, ScanRequest, SpokeCatalog, SpokeConnector, SpokeTable } from '@spoke/core';

/** A connector whose tables record their scan requests. */
export interface RecordingConnector extends SpokeConnector {
  readonly requests: { table: string; request: ScanRequest }[];
}

/**
 * Records every scan of `inner`'s tables; `override` replaces the tables' filter answers;
 * `snapshot`, when given, is each table's `SpokeTable.snapshot` (by table name).
 */
export function recording(
  inner: SpokeConnector,
  override?: FilterSupport,
  snapshot?: (table: string) => Promise<string | undefined>,
): RecordingConnector {
  const requests: { table: string; request: ScanRequest }[] = [];
  const wrap = (table: SpokeTable): SpokeTable => ({
    name: table.name,
    schema: (signal) => table.schema(signal),
    statistics: (signal) => table.statistics?.(signal) ?? Promise.resolve(undefined),
    supportsFilters: async (filters: readonly Expr[]) => {
      const answers = (await table.supportsFilters?.(filters)) ?? filters.map(() => 'unsupported' as const);
      return override ? answers.map((a) => (a === 'unsupported' ? a : override)) : answers;
    },
    supportsOrderBy: (keys) => table.supportsOrderBy?.(keys) ?? false,
    ...(snapshot ? { snapshot: () => snapshot(table.name) } : {}),
    scan: (request) => {
      requests.push({ table: table.name, request });
      return table.scan(request);
    },
  });
  const catalog: SpokeCatalog = {
    defaultSchema: inner.catalog.defaultSchema,
    listSchemas: (s) => inner.catalog.listSchemas(s),
    listTables: (schema, s) => inner.catalog.listTables(schema, s),
    getTable: async (schema, name, s) => {
      const t = await inner.catalog.getTable(schema, name, s);
      return t && wrap(t);
    },
  };
  return { specificationVersion: inner.specificationVersion, catalog, requests, close: () => inner.close() };
}
