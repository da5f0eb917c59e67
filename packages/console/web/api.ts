/**
 * The console talks only to the gateway's documented endpoints, relative to
 * where the page is served (`<prefix>/console/` → API at `<prefix>/`), so it
 * works on any port and behind any path prefix. The login is the HTTP API's:
 * a Basic (user and password) or Bearer (API key or JWT) header, kept for the
 * browser tab only.
 */

/** The gateway's base URL, from the page's own. */
export const API_BASE = new URL('../', window.location.href);

const KEY = 'spoke.authorization';

/** The Authorization header value, when logged in. */
export function authorization(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Keeps the header for this tab (user + password → Basic, otherwise the token as Bearer). */
export function logIn(user: string, secret: string): void {
  const value = user
    ? `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${secret}`)))}`
    : `Bearer ${secret}`;
  sessionStorage.setItem(KEY, value);
}

export function logOut(): void {
  sessionStorage.removeItem(KEY);
}

/** An error the gateway answered with: its code, message and (for SQL) SQLSTATE and position. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly sqlstate?: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

/** `fetch` against the gateway with the login header. */
export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const auth = authorization();
  if (auth) headers.set('authorization', auth);
  const res = await fetch(new URL(path, API_BASE), { ...init, headers });
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** The error in a non-2xx answer. */
export async function errorOf(res: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; sqlstate?: string; position?: number } } = {};
  try {
    body = await res.json();
  } catch {
    // not JSON: the status says enough
  }
  const e = body.error ?? {};
  return new ApiError(
    res.status,
    e.code ?? `HTTP_${res.status}`,
    e.message ?? res.statusText,
    e.sqlstate,
    e.position,
  );
}

/** GET returning JSON. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await call(path, signal ? { signal } : {});
  return (await res.json()) as T;
}

/** When a source's data last changed (see the operator's guide: data freshness). */
export interface Freshness {
  readonly state: 'known' | 'unknown';
  readonly lastModified: string | null;
  readonly exact: boolean | null;
  readonly method: string | null;
  readonly ageMs: number | null;
  readonly checkedAt: string | null;
  readonly error?: string | null;
}

/** One source as `GET /v1/sources` lists it. */
export interface SourceInfo {
  readonly name: string;
  readonly state: 'up' | 'degraded' | 'down' | 'unknown';
  readonly reason: string | null;
  readonly latencyMs: number | null;
  readonly lastProbe: string | null;
  readonly lastSuccess: string | null;
  readonly lastError: { time: string; code: string; message: string } | null;
  readonly history: readonly {
    time: string;
    ok: boolean;
    latencyMs: number;
    errorCode?: string;
    error?: string;
  }[];
  readonly freshness: Freshness;
  readonly activity: SourceActivity;
  readonly counters: {
    reads: number;
    writes: number;
    rows: number;
    bytes: number;
    errors: number;
    lastAccess: string | null;
  };
  readonly catalog: {
    schemas: string[];
    tables: {
      schema: string;
      name: string;
      columns: number;
      reads: number;
      rows: number;
      lastAccess: string | null;
      lastModified: string | null;
    }[];
  };
}

/** Current rates of a source. */
export interface SourceActivity {
  readonly rowsPerSecond: number;
  readonly bytesPerSecond: number;
  readonly active: number;
}

/** One access event (see the operator's guide). */
export interface AccessEvent {
  readonly time: string;
  readonly queryId: string | null;
  readonly user: string | null;
  readonly source: string;
  readonly table: string | null;
  readonly tables: readonly string[];
  readonly operation: 'read' | 'write';
  readonly method: string;
  readonly rows: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly outcome: 'ok' | 'error' | 'cancelled';
  readonly errorCode: string | null;
  readonly error: string | null;
}

/** A running query, with what it read from each source so far. */
export interface RunningQuery {
  readonly queryId: string;
  readonly user: string | null;
  readonly sql: string;
  readonly state: 'queued' | 'running';
  readonly elapsedMs: number;
  readonly rows: number;
  readonly sources: readonly {
    source: string;
    rows: number;
    bytes: number;
    active: number;
    /** The sources' estimate of the rows the scans return, when they gave one. */
    estimatedRows?: number | null;
  }[];
}

/** The `activity` event, every second. */
export interface Activity {
  readonly time: string;
  readonly sources: readonly (SourceActivity & {
    name: string;
    state: SourceInfo['state'];
    reason: string | null;
    lastError: SourceInfo['lastError'];
    freshness?: Freshness;
  })[];
  readonly queries: readonly RunningQuery[];
}

/** The plan `POST /v1/explain` returns. */
export interface ExplainPlan {
  readonly sources: readonly {
    source: string;
    table?: string;
    kind: 'scan' | 'sql';
    columns: readonly string[];
    filters: readonly { sql: string; support: string }[];
    limit?: number;
    orderBy?: string;
    dynamicFilters?: readonly string[];
    sql?: string;
    relation: string;
    /** The optimizer's choice and estimates (see the planner's README, "The gravity optimizer"). */
    strategy?: string;
    estimatedRows?: number;
    estimatedBytes?: number;
    cost?: number;
    /** With `"analyze": true`: what the read actually did. */
    actualRows?: number;
    actualBytes?: number;
    elapsedMs?: number;
    errorFactor?: number;
    replanned?: string;
    /** `hit`: the rows came from the gateway's read cache (`cachedRows` of them), nothing was read; `kept`: they were kept there. */
    readCache?: 'hit' | 'kept';
    cachedRows?: number;
  }[];
  readonly residualSql: string;
  readonly appliedRules: readonly string[];
  readonly cost?: number;
  readonly alternatives?: readonly { strategy: string; cost: number }[];
  readonly analyze?: { totalMs: number; readsMs: number; keyListMs: number; rows: number };
}
