/**
 * Running and recent queries: user, state, elapsed, per-source progress bars
 * — against the source's row estimate where it gave one, otherwise relative
 * to the busiest source — and cancel (own queries, or any for an admin).
 */
import { call, type RunningQuery } from './api.js';

/** A query that has ended, as the page saw it go. */
export interface RecentQuery {
  readonly queryId: string;
  readonly user: string | null;
  readonly sql: string;
  readonly elapsedMs: number;
  readonly rows: number;
  readonly endedAt: string;
}

export function QueryList(props: { running: readonly RunningQuery[]; recent: readonly RecentQuery[] }) {
  const cancel = async (id: string) => {
    await call(`v1/queries/${encodeURIComponent(id)}`, { method: 'DELETE' }).catch(() => {});
  };
  return (
    <section class="queries" aria-label="Running and recent queries">
      <h2>Running queries</h2>
      {props.running.length === 0 ? <p class="hint">None.</p> : null}
      <ul class="running">
        {props.running.map((q) => {
          const most = Math.max(1, ...q.sources.map((s) => s.rows));
          return (
            <li key={q.queryId} data-query-id={q.queryId}>
              <div class="query-head">
                <span class="user">{q.user ?? 'anonymous'}</span>
                <span class={`qstate ${q.state}`}>{q.state}</span>
                <span class="elapsed">{(q.elapsedMs / 1000).toFixed(1)} s</span>
                <button
                  type="button"
                  onClick={() => void cancel(q.queryId)}
                  aria-label={`Cancel query ${q.queryId}`}
                >
                  Cancel
                </button>
              </div>
              <code class="sql">{q.sql}</code>
              {q.sources.map((s) => {
                const estimate =
                  typeof s.estimatedRows === 'number' ? Math.max(s.estimatedRows, s.rows) : null;
                const text =
                  estimate === null
                    ? `${s.rows.toLocaleString()} rows`
                    : `${s.rows.toLocaleString()} of ~${estimate.toLocaleString()} rows`;
                return (
                  <div
                    key={s.source}
                    class="progress-row"
                    data-estimated={estimate === null ? 'false' : 'true'}
                  >
                    <span>{s.source}</span>
                    <progress
                      max={estimate ?? most}
                      value={s.rows}
                      aria-label={`${s.source}: ${estimate === null ? `${s.rows} rows read` : `${s.rows} of about ${estimate} rows read`}`}
                    />
                    <span>{text}</span>
                  </div>
                );
              })}
            </li>
          );
        })}
      </ul>
      <h2>Recent</h2>
      {props.recent.length === 0 ? <p class="hint">None since this page opened.</p> : null}
      <ul class="recent-queries">
        {props.recent.map((q) => (
          <li key={q.queryId}>
            <span class="user">{q.user ?? 'anonymous'}</span>{' '}
            <span class="elapsed">{(q.elapsedMs / 1000).toFixed(1)} s</span> <code class="sql">{q.sql}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}
