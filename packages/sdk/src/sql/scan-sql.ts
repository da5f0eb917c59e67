import type { RenderedSql, ScanRequest } from '@spoke/core';
import type { ExpressionDialect } from './expression-dialect.js';
import { ExpressionRenderer } from './expression-renderer.js';

/**
 * Renders a scan request as one SELECT: the projected columns in order, the
 * filters ANDed in WHERE, the top-N order and the limit.
 *
 * `table` is the qualified name's parts (`['public', 'orders']`), each quoted
 * by the dialect. An empty projection selects no column; the dialect's
 * `emptyProjection` (default `1 AS "?column?"`) is used so row counts survive.
 */
export function renderScanSql(
  dialect: ExpressionDialect,
  table: readonly string[],
  request: Pick<ScanRequest, 'projection' | 'filters' | 'limit' | 'orderBy'>,
): RenderedSql {
  const r = new ExpressionRenderer(dialect);
  const columns = request.projection.length
    ? request.projection.map((c) => dialect.quoteIdentifier(c)).join(', ')
    : `1 AS ${dialect.quoteIdentifier('?column?')}`;
  let sql = `SELECT ${columns} FROM ${table.map((p) => dialect.quoteIdentifier(p)).join('.')}`;
  if (request.filters.length) sql += ` WHERE ${request.filters.map((f) => r.render(f)).join(' AND ')}`;
  if (request.orderBy?.length) sql += ` ORDER BY ${r.renderOrderBy(request.orderBy)}`;
  if (request.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(request.limit))}`;
  return { sql, params: r.params };
}
