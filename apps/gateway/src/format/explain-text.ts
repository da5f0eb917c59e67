import type { ExplainPlan } from '@spoke/planner';

function literal(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return JSON.stringify(value);
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/**
 * A plan as text for people: what each source is asked (columns, filters
 * with their push-down answer, limit, order, or the SQL sent), then the SQL
 * DuckDB runs over the answers.
 */
export function explainText(plan: ExplainPlan): string {
  const lines: string[] = [];
  for (const request of plan.sources) {
    const what = request.kind === 'sql' ? 'sub-query' : `scan ${request.table ?? ''}`.trimEnd();
    lines.push(`${request.source}: ${what} -> ${request.relation}`);
    if (request.kind === 'sql' && request.sql !== undefined) {
      lines.push(indent(request.sql, '    '));
      if (request.params && request.params.length > 0)
        lines.push(`  params: ${request.params.map(literal).join(', ')}`);
    } else {
      lines.push(
        `  columns: ${request.columns.length > 0 ? request.columns.join(', ') : '(none: row count only)'}`,
      );
      for (const filter of request.filters) lines.push(`  filter: ${filter.sql}  [${filter.support}]`);
      if (request.orderBy !== undefined) lines.push(`  order by: ${request.orderBy}`);
      if (request.limit !== undefined) lines.push(`  limit: ${request.limit}`);
    }
  }
  lines.push('duckdb:', indent(plan.residualSql, '    '));
  return `${lines.join('\n')}\n`;
}
