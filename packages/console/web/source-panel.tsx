/** A source's detail: its health history, its catalog with per-table reads, and the recent accesses seen. */
import type { AccessEvent, SourceInfo } from './api.js';
import { freshnessLabel } from './freshness.js';

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleTimeString() : '—';
}

export function SourcePanel(props: { source: SourceInfo | undefined; events: readonly AccessEvent[] }) {
  const { source } = props;
  if (!source)
    return <p class="hint">Select a source on the map for its catalog, health and recent queries.</p>;
  const recent = props.events
    .filter((e) => e.source === source.name)
    .slice(-12)
    .reverse();
  return (
    <section class="source-panel" aria-label={`Source ${source.name}`}>
      <h2>
        {source.name} <span class={`state ${source.state}`}>{source.state}</span>
      </h2>
      <dl class="facts">
        <dt>probe latency</dt>
        <dd>{source.latencyMs === null ? '—' : `${source.latencyMs} ms`}</dd>
        <dt>last success</dt>
        <dd>{when(source.lastSuccess)}</dd>
        <dt>reads</dt>
        <dd>{source.counters.reads}</dd>
        <dt>rows read</dt>
        <dd>{source.counters.rows.toLocaleString()}</dd>
        <dt>errors</dt>
        <dd>{source.counters.errors}</dd>
        <dt>last access</dt>
        <dd>{when(source.counters.lastAccess)}</dd>
        <dt>data changed</dt>
        <dd class="freshness" title={source.freshness.method ?? 'the source cannot say'}>
          {source.freshness.lastModified
            ? `${new Date(source.freshness.lastModified).toLocaleString()} — ${freshnessLabel(source.freshness)}`
            : freshnessLabel(source.freshness)}
        </dd>
      </dl>
      {source.lastError ? (
        <p class="last-error">
          last error {when(source.lastError.time)}: <code>{source.lastError.code}</code>{' '}
          {source.lastError.message}
        </p>
      ) : null}
      <h3>Health</h3>
      <div class="history" role="img" aria-label={`Last ${source.history.length} probes`}>
        {source.history.map((p) => (
          <span
            key={p.time}
            class={p.ok ? 'ok' : 'failed'}
            title={`${when(p.time)}: ${p.ok ? `${p.latencyMs} ms` : `${p.errorCode}: ${p.error}`}`}
          />
        ))}
      </div>
      <h3>Catalog</h3>
      <table class="catalog">
        <thead>
          <tr>
            <th>table</th>
            <th>columns</th>
            <th>reads</th>
            <th>rows read</th>
            <th>data changed</th>
          </tr>
        </thead>
        <tbody>
          {source.catalog.tables.map((t) => (
            <tr key={`${t.schema}.${t.name}`}>
              <td>
                {t.schema}.{t.name}
              </td>
              <td>{t.columns}</td>
              <td>{t.reads}</td>
              <td>{t.rows.toLocaleString()}</td>
              <td>{t.lastModified ? new Date(t.lastModified).toLocaleString() : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Recent accesses</h3>
      {recent.length === 0 ? (
        <p class="hint">None since this page opened.</p>
      ) : (
        <table class="recent">
          <thead>
            <tr>
              <th>time</th>
              <th>user</th>
              <th>table</th>
              <th>rows</th>
              <th>ms</th>
              <th>outcome</th>
            </tr>
          </thead>
          <tbody>
            {recent.map((e, i) => (
              <tr key={`${e.time}-${i}`} class={e.outcome}>
                <td>{when(e.time)}</td>
                <td>{e.user ?? '—'}</td>
                <td>{e.table ?? (e.tables.join(', ') || 'sub-query')}</td>
                <td>{e.rows.toLocaleString()}</td>
                <td>{e.durationMs}</td>
                <td>{e.outcome === 'ok' ? 'ok' : `${e.outcome} ${e.errorCode ?? ''}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
