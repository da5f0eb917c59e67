/**
 * EXPLAIN drawn as a tree: DuckDB's residual at the root, one child per
 * request a source is sent (a scan or a pushed-down sub-query), each edge
 * labelled with what crosses it — columns, filters and limit pushed, and the
 * rows and bytes the source answered with once the query has run.
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
          </div>
          <ul>
            {plan.sources.map((s) => {
              const figures = props.figures?.get(s.source);
              return (
                <li key={s.relation} data-source={s.source}>
                  <div class="edge">
                    {figures
                      ? `${figures.rows.toLocaleString()} rows · ${figures.bytes.toLocaleString()} bytes`
                      : `${s.columns.length} column${s.columns.length === 1 ? '' : 's'}`}
                    {s.limit !== undefined ? ` · limit ${s.limit}` : ''}
                  </div>
                  <div class="plan-node source">
                    <strong>{s.source}</strong>{' '}
                    {s.kind === 'sql' ? 'pushed-down SQL' : `scan ${s.table ?? ''}`}
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
