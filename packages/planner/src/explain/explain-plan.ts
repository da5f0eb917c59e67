/** EXPLAIN: for every source exactly what it is asked, and the SQL DuckDB runs over the answers. */
import { formatExpression } from '@spoke/core';
import { deparseSync } from 'pgsql-deparser';
import type { PreparedSelect } from '../engine.js';
import type { ExplainPlan, ExplainSourceRequest } from '../engine-api.js';
import type { AstNode } from '../parse/ast.js';
import type { JoinKeyEdge } from '../pushdown/plan-join-keys.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';

/** The plan of a prepared SELECT. */
export function explainPlan(prepared: PreparedSelect): ExplainPlan {
  return { ...planOf(prepared), appliedRules: prepared.appliedRules };
}

function planOf(prepared: PreparedSelect): Omit<ExplainPlan, 'appliedRules'> {
  switch (prepared.kind) {
    case 'system':
      return { sources: [], residualSql: `-- system catalog\n${prepared.sql}` };
    case 'source-sql':
      return {
        sources: [
          {
            source: prepared.source,
            kind: 'sql',
            columns: [],
            filters: [],
            sql: prepared.rendered.sql,
            params: prepared.rendered.params,
            relation: '(streamed to the client)',
          },
        ],
        residualSql: '(none: the whole query runs in the source)',
      };
    case 'federated':
      return {
        sources: [
          ...prepared.subqueries.map(
            (q): ExplainSourceRequest => ({
              source: q.source,
              kind: 'sql',
              columns: [],
              filters: [],
              sql: q.rendered.sql,
              params: q.rendered.params,
              relation: q.relation,
            }),
          ),
          ...prepared.scans.map((scan) => ({
            ...explainScan(scan),
            ...keyFilters(scan, prepared.joinKeys),
          })),
        ],
        residualSql: prepared.residual.sql,
      };
  }
}

function explainScan(scan: ScanPlan): ExplainSourceRequest {
  const b = scan.binding;
  return {
    source: b.source,
    table: `${b.schema}.${b.table}`,
    kind: 'scan',
    columns: scan.projection,
    filters: scan.candidates.map((c) => ({
      sql: expressionSql(c.node),
      support: c.support === 'unsupported' ? 'rejected' : c.support,
    })),
    ...(scan.limit !== undefined ? { limit: scan.limit } : {}),
    ...(scan.orderBy
      ? {
          orderBy: scan.orderBy
            .map((k) => `${formatExpression(k.expr)} ${k.direction} nulls ${k.nulls}`)
            .join(', '),
        }
      : {}),
    relation: scan.relation,
  };
}

/** The dynamic filters a scan may receive at run time, as EXPLAIN shows them. */
function keyFilters(scan: ScanPlan, edges: readonly JoinKeyEdge[]): { dynamicFilters?: string[] } {
  const lines = edges
    .filter((e) => e.to === scan.binding)
    .map(
      (e) =>
        `${e.toColumn} IN (keys of ${e.from.alias}.${e.fromColumn}, when the smaller side is read first)`,
    );
  return lines.length ? { dynamicFilters: lines } : {};
}

function expressionSql(node: AstNode): string {
  try {
    // Deparse the conjunct inside a throwaway SELECT: the deparser renders statements.
    const sql = deparseSync({
      SelectStmt: { targetList: [{ ResTarget: { val: node } }], op: 'SETOP_NONE' },
    } as never);
    return sql.replace(/^SELECT\s+/i, '').trim();
  } catch {
    return JSON.stringify(node);
  }
}

/** EXPLAIN as text lines (the SQL form's rows, the CLI's output). */
export function formatExplain(plan: ExplainPlan): string[] {
  const lines: string[] = [];
  for (const s of plan.sources) {
    if (s.kind === 'sql') {
      lines.push(
        s.relation.startsWith('__spoke')
          ? `Source ${s.source}: sub-query pushed down -> ${s.relation}`
          : `Source ${s.source}: whole query pushed down`,
      );
      lines.push(`  SQL: ${s.sql}`);
      if (s.params?.length)
        lines.push(
          `  Params: ${JSON.stringify(s.params, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
        );
      continue;
    }
    lines.push(`Scan ${s.source}.${s.table} -> ${s.relation}`);
    lines.push(`  Columns: ${s.columns.length ? s.columns.join(', ') : '(none: row count only)'}`);
    for (const f of s.filters) lines.push(`  Filter [${f.support}]: ${f.sql}`);
    for (const d of s.dynamicFilters ?? []) lines.push(`  Dynamic filter: ${d}`);
    if (s.filters.length === 0) lines.push('  Filters: (none)');
    if (s.orderBy) lines.push(`  Order: ${s.orderBy}`);
    if (s.limit !== undefined) lines.push(`  Limit: ${s.limit}`);
  }
  for (const rule of plan.appliedRules) lines.push(`Policy applied: ${rule}`);
  lines.push('Residual (DuckDB):');
  for (const line of plan.residualSql.split('\n')) lines.push(`  ${line}`);
  return lines;
}
