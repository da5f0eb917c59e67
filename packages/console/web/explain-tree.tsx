/**
 * EXPLAIN drawn as a tree: DuckDB's residual at the root, one child per
 * request a source is sent (a scan or a pushed-down sub-query), each edge
 * labelled with what crosses it — the optimizer's strategy and estimated
 * rows and bytes, columns, filters and limit pushed, and (EXPLAIN ANALYZE, or
 * the last run's progress) the rows and bytes the source actually answered.
 */
import type { ExplainPlan } from './api.js';

/** Rows and bytes read per source in the last run, when known. */
export type EdgeFigures = ReadonlyMap<string, { rows: number; bytes: number }>;

export function ExplainTree(props: { plan: ExplainPlan; figures?: EdgeFigures }) {
  const { plan } = props;
  return (
    <section class="explain" aria-label="Query plan">
      <ul class="tree">
        <li>
          <div class="plan-node residual">
            <strong>DuckDB</strong> runs what is left
            <pre>{plan.residualSql}</pre>
            {plan.appliedRules.length > 0 ? (
              <p class="rules">policies applied: {plan.appliedRules.join(', ')}</p>
            ) : null}
            {plan.cost !== undefined ? (
              <p class="cost">
                expected {plan.cost} ms until every read is loaded
                {plan.alternatives?.length
                  ? ` (instead of ${plan.alternatives.map((a) => `${a.strategy}: ${a.cost} ms`).join('; ')})`
                  : ''}
              </p>
            ) : null}
            {plan.analyze ? (
              <p class="analyze">
                ran: {plan.analyze.rows.toLocaleString()} rows in {plan.analyze.totalMs} ms, reads loaded
                after {plan.analyze.readsMs} ms
              </p>
            ) : null}
          </div>
          <ul>
            {plan.sources.map((s) => {
              const figures =
                s.actualRows !== undefined
                  ? { rows: s.actualRows, bytes: s.actualBytes ?? 0 }
                  : props.figures?.get(s.source);
              return (
                <li key={s.relation} data-source={s.source}>
                  <div class="edge">
                    {s.estimatedRows !== undefined
                      ? `est. ${s.estimatedRows.toLocaleString()} rows · ${(s.estimatedBytes ?? 0).toLocaleString()} bytes`
                      : ''}
                    {s.estimatedRows !== undefined && figures ? ' → ' : ''}
                    {s.readCache === 'hit'
                      ? `${(s.cachedRows ?? 0).toLocaleString()} rows from the read cache (nothing read)`
                      : figures
                        ? `${figures.rows.toLocaleString()} rows · ${figures.bytes.toLocaleString()} bytes${s.elapsedMs !== undefined ? ` in ${s.elapsedMs} ms` : ''}`
                        : s.estimatedRows === undefined
                          ? `${s.columns.length} column${s.columns.length === 1 ? '' : 's'}`
                          : ''}
                    {s.limit !== undefined ? ` · limit ${s.limit}` : ''}
                  </div>
                  <div class="plan-node source">
                    <strong>{s.source}</strong>{' '}
                    {s.kind === 'sql' ? 'pushed-down SQL' : `scan ${s.table ?? ''}`}
                    {s.strategy ? <span class="strategy"> · {s.strategy}</span> : null}
                    {s.replanned ? <p class="replanned">re-planned: {s.replanned}</p> : null}
                    {s.kind === 'sql' && s.sql ? <pre>{s.sql}</pre> : null}
                    {s.filters.length > 0 ? (
                      <ul class="filters">
                        {s.filters.map((f) => (
                          <li key={f.sql} class={f.support}>
                            {f.sql}{' '}
                            <em>({f.support === 'rejected' ? 'in DuckDB' : `pushed, ${f.support}`})</em>
                          </li>
                        ))}
                      </ul>
                    ) : null}
                    {s.dynamicFilters?.length ? <p>dynamic filters: {s.dynamicFilters.join(', ')}</p> : null}
                  </div>
                </li>
              );
            })}
          </ul>
        </li>
      </ul>
    </section>
  );
}
