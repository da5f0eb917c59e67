import type { RenderedSql, ScanRequest } from '@spoke/core';
import type { ExpressionDialect } from './expression-dialect.js';
import { ExpressionRenderer } from './expression-renderer.js';

/**
 * A FROM item the connector wrote itself — a table function call
 * (`read_parquet('…')`) or a sub-query — used as is. Build it only from
 * quoted identifiers and escaped strings; it is never parsed or checked.
 */
export interface TableSql {
  readonly sql: string;
}

/**
 * Renders a scan request as one SELECT: the projected columns in order, the
 * filters ANDed in WHERE, the top-N order and the limit.
 *
 * `table` is the qualified name's parts (`['public', 'orders']`), each quoted
 * by the dialect, or a {@link TableSql} FROM item. An empty projection selects no column; the dialect's
 * `emptyProjection` (default `1 AS "?column?"`) is used so row counts survive.
 */
export function renderScanSql(
  dialect: ExpressionDialect,
  table: readonly string[] | TableSql,
  request: Pick<ScanRequest, 'projection' | 'filters' | 'limit' | 'orderBy'>,
): RenderedSql {
  const r = new ExpressionRenderer(dialect);
  const columns = request.projection.length
    ? request.projection.map((c) => dialect.quoteIdentifier(c)).join(', ')
    : `1 AS ${dialect.quoteIdentifier('?column?')}`;
  const from = 'sql' in table ? table.sql : table.map((p) => dialect.quoteIdentifier(p)).join('.');
  let sql = `SELECT ${columns} FROM ${from}`;
  if (request.filters.length) sql += ` WHERE ${request.filters.map((f) => r.render(f)).join(' AND ')}`;
  if (request.orderBy?.length) sql += ` ORDER BY ${r.renderOrderBy(request.orderBy)}`;
  if (request.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(request.limit))}`;
  return { sql, params: r.params };
}
