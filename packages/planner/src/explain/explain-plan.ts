/** EXPLAIN: for every source exactly what it is asked, and the SQL DuckDB runs over the answers. */
import { formatExpression } from '@spoke/core';
import { deparseSync } from 'pgsql-deparser';
import type { PreparedSelect } from '../engine.js';
import type { ExplainAnalyze, ExplainLink, ExplainPlan, ExplainSourceRequest } from '../engine-api.js';
import type { ExecutionTrace } from '../executor/execution-trace.js';
import { ANSWER_RELATION } from '../executor/join-at-source.js';
import type { AstNode } from '../parse/ast.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';
import { renderReduction } from '../strategies/in-source-semi-join.js';
import type { PlannedRead, PlannedSubquery } from '../strategies/plan-reads.js';

/** The plan of a prepared SELECT; with a trace and totals, EXPLAIN ANALYZE's. */
export function explainPlan(
  prepared: PreparedSelect,
  analyzed?: { readonly trace: ExecutionTrace; readonly totals: ExplainAnalyze },
): ExplainPlan {
  const plan: ExplainPlan = { ...planOf(prepared), appliedRules: prepared.appliedRules };
  if (!analyzed) return plan;
  const sources = plan.sources.map((s) => withActuals(s, analyzed.trace));
  return {
    ...plan,
    sources,
    ...(plan.links
      ? {
          links: plan.links.map((link) => ({
            ...link,
            actualBytesDown: sources
              .filter((s) => s.site === link.site)
              .reduce((n, s) => n + (s.actualBytes ?? 0), 0),
            actualBytesUp: sources.reduce((n, s) => n + (s.uploadedBytes ?? 0), 0),
          })),
        }
      : {}),
    analyze: analyzed.totals,
  };
}

/** A source request with what the read actually did. */
function withActuals(request: ExplainSourceRequest, trace: ExecutionTrace): ExplainSourceRequest {
  const read = trace.reads.get(request.relation);
  if (!read) return request;
  const ms = (n: number) => Math.round(n * 100) / 100;
  const estimate = request.estimatedRows;
  return {
    ...request,
    actualRows: read.rows,
    actualBytes: read.bytes,
    elapsedMs: ms(read.elapsedMs),
    waitedMs: ms(read.waitedMs),
    loadMs: ms(read.loadMs),
    keysSent: read.keysSent,
    ...(read.keyRanges ? { keyRanges: read.keyRanges } : {}),
    ...(read.replanned ? { replanned: read.replanned } : {}),
    ...(read.uploadedBytes !== undefined ? { uploadedBytes: read.uploadedBytes } : {}),
    ...(read.cachedRows !== undefined ? { readCache: 'hit' as const, cachedRows: read.cachedRows } : {}),
    ...(read.keptInCache ? { readCache: 'kept' as const } : {}),
    ...(estimate !== undefined && read.cachedRows === undefined
      ? {
          errorFactor:
            Math.round(
              (Math.max(read.rows, estimate, 1) / Math.max(1, Math.min(read.rows, estimate))) * 100,
            ) / 100,
        }
      : {}),
  };
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
            relation: ANSWER_RELATION,
            ...siteOf(prepared.connector),
          },
        ],
        residualSql: '(none: the whole query runs in the source)',
      };
    case 'join-at-source': {
      const plan = prepared.plan;
      const uploads = plan.connector.sql!.uploads!;
      const requests: ExplainSourceRequest[] = [
        ...plan.uploads.map(
          (u): ExplainSourceRequest => ({
            ...explainScan(u.scan),
            columns: [...u.columns],
            relation: `${uploads.schema}.${u.name}`,
            strategy: `upload to ${plan.site} (a relation for this query)`,
            estimateBasis: 'statistics',
            ...(u.estimatedRows !== undefined ? { estimatedRows: u.estimatedRows } : {}),
            ...(u.estimatedBytes !== undefined ? { estimatedBytes: u.estimatedBytes } : {}),
            ...siteOf(u.scan.binding.connector),
          }),
        ),
        {
          source: plan.source,
          kind: 'sql',
          columns: [],
          filters: [],
          sql: plan.rendered.sql,
          params: plan.rendered.params,
          relation: ANSWER_RELATION,
          strategy: `join at ${plan.site}: the statement runs there with the uploaded relations`,
          estimatedRows: plan.resultRows,
          estimatedBytes: plan.resultBytes,
          site: plan.site,
        },
      ];
      return {
        sources: requests,
        residualSql: `(none: the statement runs at ${plan.site}, joined with the uploaded relations)`,
        cost: plan.cost,
        alternatives: [
          ...(prepared.schedule.cost !== undefined
            ? [
                {
                  strategy: 'read every table into this gateway and join in DuckDB (the read schedule)',
                  cost: Math.round(prepared.schedule.cost * 100) / 100,
                },
              ]
            : []),
          ...prepared.schedule.alternatives,
        ],
        links: linksOf(requests, plan.site),
      };
    }
    case 'federated': {
      const requests: ExplainSourceRequest[] = [
        ...prepared.subqueries
          .map(
            (q): ExplainSourceRequest => ({
              source: q.source,
              kind: 'sql',
              columns: [],
              filters: [],
              sql: q.rendered.sql,
              params: q.rendered.params,
              relation: q.relation,
              ...eagerOf(prepared.eagerAggregations?.get(q.relation)),
              ...joinOf(prepared.joinsInSource?.get(q.relation)),
              ...siteOf(q.connector),
            }),
          )
          .map((request) => withSubqueryKeys(request, prepared.schedule.subqueries)),
        ...prepared.schedule.reads.map((read) => ({
          ...explainScan(read.scan),
          ...explainRead(read),
          ...siteOf(read.scan.binding.connector),
        })),
      ];
      const links = linksOf(requests);
      return {
        sources: requests,
        residualSql: prepared.residual.sql,
        ...(prepared.schedule.cost !== undefined
          ? { cost: Math.round(prepared.schedule.cost * 100) / 100 }
          : {}),
        ...(prepared.schedule.alternatives.length ? { alternatives: prepared.schedule.alternatives } : {}),
        ...(links.length ? { links } : {}),
      };
    }
  }
}

/** A pushed sub-query that waits for other reads' keys: its strategy, reduced estimate and dynamic filters. */
function withSubqueryKeys(
  request: ExplainSourceRequest,
  planned: readonly PlannedSubquery[] | undefined,
): ExplainSourceRequest {
  const p = planned?.find((q) => q.relation === request.relation);
  if (!p?.waitsFor.length) return request;
  return {
    ...request,
    strategy: request.strategy ? `${request.strategy} + ${p.strategy}` : p.strategy!,
    ...(p.estimatedRows !== undefined ? { estimatedRows: p.estimatedRows } : {}),
    ...(p.estimatedBytes !== undefined ? { estimatedBytes: p.estimatedBytes } : {}),
    dynamicFilters: p.waitsFor.map(
      (e) =>
        `${e.output} (${e.to.alias}.${e.toColumn}, inside the sub-query) IN (keys of ${e.from.alias}.${e.fromColumn}, after that read)`,
    ),
  };
}

/** A pre-aggregating sub-query's strategy and expected groups (`strategies/eager-aggregation.ts`). */
function eagerOf(
  eager:
    | { readonly strategy: string; readonly estimatedRows: number; readonly rowsBefore: number }
    | undefined,
): Partial<ExplainSourceRequest> {
  if (!eager) return {};
  return {
    strategy: `${eager.strategy}: ${eager.estimatedRows} groups instead of ${eager.rowsBefore} rows`,
    estimatedRows: eager.estimatedRows,
    estimateBasis: 'statistics',
  };
}

/** A sub-query joining tables of one source inside it (`strategies/join-in-source.ts`). */
function joinOf(
  join:
    | {
        readonly strategy: string;
        readonly estimatedRows: number;
        readonly estimatedBytes: number;
        readonly bytesBefore: number;
      }
    | undefined,
): Partial<ExplainSourceRequest> {
  if (!join) return {};
  return {
    strategy: `${join.strategy}: ${join.estimatedBytes} bytes instead of ${join.bytesBefore} read separately`,
    estimatedRows: join.estimatedRows,
    estimatedBytes: join.estimatedBytes,
    estimateBasis: 'statistics',
  };
}

/** The site of a request sent to a peer gateway (absent for this gateway's own sources). */
function siteOf(connector: { readonly site?: string | undefined }): { site?: string } {
  return connector.site === undefined ? {} : { site: connector.site };
}

/**
 * Bytes expected on the link to each peer site: the rows of the requests it
 * runs come down; with `uploadsTo`, the other requests' rows (the relations
 * uploaded for a join there) go up to that site.
 */
function linksOf(requests: readonly ExplainSourceRequest[], uploadsTo?: string): ExplainLink[] {
  const links = new Map<string, { down: number; up: number }>();
  const at = (site: string) => {
    let link = links.get(site);
    if (!link) {
      link = { down: 0, up: 0 };
      links.set(site, link);
    }
    return link;
  };
  for (const r of requests) {
    if (r.site !== undefined) at(r.site).down += r.estimatedBytes ?? 0;
    else if (uploadsTo !== undefined) at(uploadsTo).up += r.estimatedBytes ?? 0;
  }
  return [...links].map(([site, l]) => ({ site, estimatedBytesDown: l.down, estimatedBytesUp: l.up }));
}

/** The optimizer's choice for one read: its strategy, estimates, cost and the key lists it waits for. */
function explainRead(read: PlannedRead): Partial<ExplainSourceRequest> {
  const lines = read.waitsFor.map(
    (e) => `${e.toColumn} IN (keys of ${e.from.alias}.${e.fromColumn}, after that read)`,
  );
  return {
    strategy: read.strategy,
    estimateBasis: read.estimate.basis,
    ...(read.estimatedRows !== undefined ? { estimatedRows: read.estimatedRows } : {}),
    ...(read.estimatedBytes !== undefined ? { estimatedBytes: read.estimatedBytes } : {}),
    ...(read.cost !== undefined ? { cost: Math.round(read.cost * 100) / 100 } : {}),
    ...(lines.length ? { dynamicFilters: lines } : {}),
    ...(read.inSource ? { sql: renderReduction(read.inSource, read.scan.binding.alias, []).sql } : {}),
  };
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
          : s.strategy
            ? `Source ${s.source}: ${s.strategy}`
            : `Source ${s.source}: whole query pushed down`,
      );
      if (s.site !== undefined) lines.push(`  Site: ${s.site}`);
      if (s.estimatedRows !== undefined) lines.push(`  Expected back${estimateText(s)}`);
      if (s.actualRows !== undefined) lines.push(`  Actual: ${actualText(s)}`);
      lines.push(`  SQL: ${s.sql}`);
      if (s.params?.length)
        lines.push(
          `  Params: ${JSON.stringify(s.params, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
        );
      continue;
    }
    lines.push(`Scan ${s.source}.${s.table} -> ${s.relation}`);
    if (s.site !== undefined) lines.push(`  Site: ${s.site}`);
    if (s.strategy) lines.push(`  Strategy: ${s.strategy}${estimateText(s)}`);
    if (s.actualRows !== undefined) lines.push(`  Actual: ${actualText(s)}`);
    if (s.replanned) lines.push(`  Re-planned: ${s.replanned}`);
    if (s.sql) lines.push(`  SQL: ${s.sql}`);
    lines.push(`  Columns: ${s.columns.length ? s.columns.join(', ') : '(none: row count only)'}`);
    for (const f of s.filters) lines.push(`  Filter [${f.support}]: ${f.sql}`);
    for (const d of s.dynamicFilters ?? []) lines.push(`  Dynamic filter: ${d}`);
    if (s.filters.length === 0) lines.push('  Filters: (none)');
    if (s.orderBy) lines.push(`  Order: ${s.orderBy}`);
    if (s.limit !== undefined) lines.push(`  Limit: ${s.limit}`);
  }
  for (const rule of plan.appliedRules) lines.push(`Policy applied: ${rule}`);
  if (plan.cost !== undefined) {
    lines.push(`Cost: ${plan.cost} ms expected until every read is loaded`);
    for (const a of plan.alternatives ?? []) lines.push(`  instead of: ${a.strategy} (${a.cost} ms)`);
  }
  for (const link of plan.links ?? []) {
    const actual =
      link.actualBytesDown !== undefined
        ? `; moved ${formatBytes(link.actualBytesDown)} down, ${formatBytes(link.actualBytesUp ?? 0)} up`
        : '';
    lines.push(
      `Link to ${link.site}: expected ${formatBytes(link.estimatedBytesDown)} down, ${formatBytes(link.estimatedBytesUp)} up${actual}`,
    );
  }
  if (plan.analyze) {
    const a = plan.analyze;
    lines.push(
      `Execution: ${a.rows} rows in ${a.totalMs} ms (reads loaded after ${a.readsMs} ms; key lists ${a.keyListMs} ms)`,
    );
  }
  lines.push(
    plan.analyze?.residualInMemory
      ? 'Residual (run in memory on the rows read, without DuckDB):'
      : 'Residual (DuckDB):',
  );
  for (const line of plan.residualSql.split('\n')) lines.push(`  ${line}`);
  return lines;
}

/** `; estimated 1,234 rows, 56 kB, 3.2 ms (source)` — what the optimizer expected. */
function estimateText(s: ExplainSourceRequest): string {
  if (s.estimatedRows === undefined) return '; estimated rows unknown';
  const bytes = s.estimatedBytes !== undefined ? `, ${formatBytes(s.estimatedBytes)}` : '';
  const cost = s.cost !== undefined ? `, ${s.cost} ms` : '';
  return `; estimated ${s.estimatedRows} rows${bytes}${cost} (${s.estimateBasis ?? 'unknown'})`;
}

/** What a read actually did (EXPLAIN ANALYZE). */
function actualText(s: ExplainSourceRequest): string {
  if (s.readCache === 'hit')
    return `${s.cachedRows} rows from the read cache (nothing read from the source), loaded in ${s.loadMs} ms`;
  const parts = [
    `${s.actualRows} rows`,
    formatBytes(s.actualBytes ?? 0),
    `${s.elapsedMs} ms`,
    ...(s.waitedMs !== undefined && s.waitedMs >= 1 ? [`waited ${s.waitedMs} ms for other reads`] : []),
    ...(s.keysSent ? [`${s.keysSent} keys sent`] : []),
    ...(s.keyRanges?.length ? [`key range sent (${s.keyRanges.join(', ')})`] : []),
    ...(s.loadMs !== undefined ? [`loaded in ${s.loadMs} ms`] : []),
    ...(s.errorFactor !== undefined ? [`estimate off by ×${s.errorFactor}`] : []),
    ...(s.readCache === 'kept' ? ['kept in the read cache'] : []),
  ];
  return parts.join(', ');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
