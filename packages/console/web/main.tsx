/**
 * The console page: log in, then the spoke map and the selected source's
 * detail, the query workbench, and running and recent queries — all from
 * the gateway's JSON and event-stream endpoints.
 */
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import {
  type AccessEvent,
  type Activity,
  ApiError,
  authorization,
  getJson,
  logIn,
  logOut,
  type RunningQuery,
  type SourceInfo,
} from './api.js';
import { Login } from './login.js';
import { QueryList, type RecentQuery } from './query-list.js';
import { SourcePanel } from './source-panel.js';
import { type MapSource, SpokeMap } from './spoke-map.js';
import type { CompletionSchema } from './sql-editor.js';
import { subscribe } from './sse.js';
import { Workbench } from './workbench.js';

/** Access events kept for the source panels. */
const KEPT_EVENTS = 500;

function App() {
  const [phase, setPhase] = useState<'checking' | 'login' | 'ready'>('checking');
  const [loginError, setLoginError] = useState<string | null>(null);
  const [user, setUser] = useState<string | null>(null);
  const [sources, setSources] = useState<SourceInfo[]>([]);
  const [activity, setActivity] = useState<Activity | null>(null);
  const [events, setEvents] = useState<AccessEvent[]>([]);
  const [eventCounts, setEventCounts] = useState<Record<string, number>>({});
  const [recent, setRecent] = useState<RecentQuery[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [schema, setSchema] = useState<CompletionSchema>({});
  const [live, setLive] = useState(false);

  const load = useCallback(async () => {
    try {
      const listed = await getJson<{ user: string | null; sources: SourceInfo[] }>('v1/sources');
      setSources(listed.sources);
      setUser(listed.user);
      setPhase('ready');
      setLoginError(null);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        if (authorization()) setLoginError('Login failed: check the user and password, or the API key.');
        logOut();
        setPhase('login');
      } else setLoginError((error as Error).message);
    }
  }, []);

  useEffect(() => void load(), [load]);

  // While logged in: the catalog for completion, sources every few seconds, and the live feed.
  useEffect(() => {
    if (phase !== 'ready') return;
    const stop = new AbortController();
    getJson<{ tables: { source: string; schema: string; name: string; columns: { name: string }[] }[] }>(
      'v1/catalog',
    )
      .then(({ tables }) => {
        const next: CompletionSchema = {};
        for (const t of tables) next[`${t.source}.${t.name}`] = t.columns.map((c) => c.name);
        setSchema(next);
      })
      .catch(() => {});
    const timer = setInterval(() => void load(), 5000);
    let previous: readonly RunningQuery[] = [];
    subscribe(
      'v1/events',
      (name, data) => {
        if (name === 'access') {
          const event = data as AccessEvent;
          setEvents((list) => [...list.slice(-(KEPT_EVENTS - 1)), event]);
          setEventCounts((counts) => ({ ...counts, [event.source]: (counts[event.source] ?? 0) + 1 }));
        } else if (name === 'activity') {
          const next = data as Activity;
          const ended = previous.filter((q) => !next.queries.some((n) => n.queryId === q.queryId));
          if (ended.length > 0)
            setRecent((list) =>
              [
                ...ended.map((q) => ({
                  queryId: q.queryId,
                  user: q.user,
                  sql: q.sql,
                  elapsedMs: q.elapsedMs,
                  rows: q.rows,
                  endedAt: next.time,
                })),
                ...list,
              ].slice(0, 20),
            );
          previous = next.queries;
          setActivity(next);
        }
      },
      stop.signal,
      (connected) => setLive(connected),
    );
    return () => {
      stop.abort();
      clearInterval(timer);
    };
  }, [phase, load]);

  const mapSources: MapSource[] = useMemo(
    () =>
      sources.map((s) => {
        const now = activity?.sources.find((a) => a.name === s.name);
        return {
          name: s.name,
          state: now?.state ?? s.state,
          reason: now ? now.reason : s.reason,
          lastError: now ? now.lastError : s.lastError,
          rowsPerSecond: now?.rowsPerSecond ?? s.activity.rowsPerSecond,
          active: now?.active ?? s.activity.active,
          freshness: now?.freshness ?? s.freshness,
          events: eventCounts[s.name] ?? 0,
        };
      }),
    [sources, activity, eventCounts],
  );

  if (phase === 'checking') return <p class="loading">Connecting…</p>;
  if (phase === 'login')
    return (
      <Login
        error={loginError}
        onLogIn={(name, secret) => {
          logIn(name, secret);
          void load();
        }}
      />
    );
  return (
    <div class="console">
      <header>
        <h1>Spoke console</h1>
        <span class={`live ${live ? 'on' : 'off'}`} role="status">
          {live ? 'live' : 'reconnecting…'}
        </span>
        <span class="who">{user ? `signed in as ${user}` : 'authentication off'}</span>
        {user ? (
          <button
            type="button"
            onClick={() => {
              logOut();
              setPhase('login');
            }}
          >
            Log out
          </button>
        ) : null}
      </header>
      <main>
        <div class="top">
          <SpokeMap
            sources={mapSources}
            selected={selected}
            onSelect={(name) => {
              setSelected(name);
              void load();
            }}
          />
          <SourcePanel source={sources.find((s) => s.name === selected)} events={events} />
        </div>
        <div class="bottom">
          <Workbench schema={schema} />
          <QueryList running={activity?.queries ?? []} recent={recent} />
        </div>
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
