/**
 * The operator endpoints the console is built on — each usable with curl too:
 *
 * - `GET /v1/sources` → every source the caller may see: health (state, probe
 *   latency, last success and error, history), access counters, current
 *   activity (rows/s) and a catalog summary;
 * - `GET /v1/events` → Server-Sent Events: `access` (one per source access),
 *   `activity` (every second: per-source rates and state, running queries with
 *   per-source progress), filtered to what the caller may see;
 * - `GET /v1/queries/{id}/progress` → per-source rows and bytes read so far;
 * - `GET /` and `GET /console/…` → the console page, when `@spoke/console` is installed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CatalogTable } from '@spoke/planner';
import type { Principal } from '../auth/authenticator.js';
import type { AccessEvent } from '../events/access-event.js';
import { eventFor, seesEverything } from '../events/event-visibility.js';
import type { Operator } from '../events/operator.js';
import { sourceStatus, visibleSourceNames } from '../health/source-status.js';
import type { ClientInfo, QueryService } from '../service/query-service.js';
import { consoleFiles, serveConsoleFile } from './console-files.js';
import { HttpError, HttpErrorCode } from './error-status.js';

/** What {@link operatorRoute} needs from the HTTP server. */
export interface OperatorRouteContext {
  readonly operator: Operator | undefined;
  readonly service: QueryService;
  /** Aborts when the client goes away or the server closes. */
  readonly signal: AbortSignal;
  /** Authenticates the request (401 on failure). */
  authenticate(): Promise<ClientInfo>;
}

/** How long a user's visible catalog is reused before it is read again, ms. */
const CATALOG_TTL_MS = 30_000;
/** How often `activity` is sent on the event stream, ms. */
const ACTIVITY_MS = 1000;
/** A subscriber further behind than this many bytes loses events. */
const MAX_PENDING_BYTES = 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function methodIs(req: IncomingMessage, path: string, method: 'GET'): void {
  if (req.method !== method && !(method === 'GET' && req.method === 'HEAD'))
    throw new HttpError(
      405,
      HttpErrorCode.METHOD_NOT_ALLOWED,
      `${path} expects ${method}, got ${req.method}`,
    );
}

/** The catalog each user sees, reused for a while, and kept when a source is down and the catalog cannot be read. */
const catalogs = new WeakMap<QueryService, Map<string, { at: number; tables: readonly CatalogTable[] }>>();

function principalKey(principal: Principal): string {
  return JSON.stringify([
    principal.method,
    principal.user ?? null,
    [...principal.roles].sort(),
    principal.attributes ?? {},
  ]);
}

async function visibleCatalog(
  service: QueryService,
  client: ClientInfo,
  signal: AbortSignal,
): Promise<{ tables: readonly CatalogTable[]; error: string | null }> {
  let cache = catalogs.get(service);
  if (!cache) {
    cache = new Map();
    catalogs.set(service, cache);
  }
  const key = principalKey(client.principal);
  const cached = cache.get(key);
  if (cached && Date.now() - cached.at < CATALOG_TTL_MS) return { tables: cached.tables, error: null };
  try {
    const tables = await service.catalog(signal, client);
    cache.set(key, { at: Date.now(), tables });
    return { tables, error: null };
  } catch (error) {
    // A source that is down fails the whole catalog: show what was last known.
    return { tables: cached?.tables ?? [], error: error instanceof Error ? error.message : String(error) };
  }
}

function requireOperator(operator: Operator | undefined, path: string): Operator {
  if (!operator)
    throw new HttpError(
      404,
      HttpErrorCode.NOT_FOUND,
      `${path} is not served here (no source meter: start the gateway with createGatewayServices)`,
    );
  return operator;
}

/** `GET /v1/sources`. */
async function sources(ctx: OperatorRouteContext, res: ServerResponse, operator: Operator): Promise<void> {
  const client = await ctx.authenticate();
  const { tables, error } = await visibleCatalog(ctx.service, client, ctx.signal);
  const everything = seesEverything(client.principal);
  const shown = visibleSourceNames(operator, everything, tables).map((name) => {
    const status = sourceStatus(operator, name, everything, tables);
    const perTable = operator.hub.counters.tables(name);
    const fresh = new Map(status.freshness.tables.map((t) => [`${t.schema}.${t.table}`, t]));
    const own = tables.filter((t) => t.source === name);
    return {
      ...status,
      history: status.history.slice(-20),
      catalog: {
        schemas: [...new Set(own.map((t) => t.schema))],
        tables: own.map((t) => {
          const totals = perTable.get(`${t.schema}.${t.name}`);
          const freshness = fresh.get(`${t.schema}.${t.name}`);
          return {
            schema: t.schema,
            name: t.name,
            columns: t.columns.length,
            reads: totals?.reads ?? 0,
            rows: totals?.rows ?? 0,
            lastAccess: totals?.lastAccess ?? null,
            lastModified: freshness?.lastModified ?? null,
          };
        }),
      },
    };
  });
  sendJson(res, 200, {
    user: client.principal.user ?? null,
    probeIntervalMs: operator.health.intervalMs,
    catalogError: error,
    sources: shown,
  });
}

/** One query's progress as `GET /v1/queries/{id}/progress` answers it, if this process knows the query and `principal` may see it. */
export function queryProgress(
  service: QueryService,
  operator: Operator,
  principal: Principal,
  queryId: string,
): Record<string, unknown> | undefined {
  const running = service.list(principal).find((q) => q.queryId === queryId);
  const seen = operator.hub.tap.progress(queryId);
  const mayRead =
    running !== undefined ||
    (seen !== undefined &&
      (seesEverything(principal) || (principal.user !== undefined && seen.user === principal.user)));
  if (!mayRead) return undefined;
  return {
    queryId,
    state: running?.state ?? 'finished',
    elapsedMs: running?.elapsedMs ?? null,
    rows: running?.rows ?? null,
    sources: seen?.sources ?? [],
  };
}

/** The queries `principal` may see with their per-source progress (the activity feed's list) in this process. */
export function queriesWithProgress(
  service: QueryService,
  operator: Operator,
  principal: Principal,
): Record<string, unknown>[] {
  return service.list(principal).map((q) => ({
    ...q,
    sources: operator.hub.tap.progress(q.queryId)?.sources ?? [],
  }));
}

/** `GET /v1/queries/{id}/progress`: from whichever worker runs (or ran) the query. */
async function progress(
  ctx: OperatorRouteContext,
  res: ServerResponse,
  operator: Operator,
  queryId: string,
): Promise<void> {
  const client = await ctx.authenticate();
  const body =
    queryProgress(ctx.service, operator, client.principal, queryId) ??
    (await ctx.service.peers?.progress(queryId, client.principal));
  if (!body) throw new HttpError(404, HttpErrorCode.NOT_FOUND, `no query with id ${queryId}`);
  sendJson(res, 200, body);
}

/** `GET /v1/events`: Server-Sent Events until the client goes away. */
async function events(
  ctx: OperatorRouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  operator: Operator,
): Promise<void> {
  const client = await ctx.authenticate();
  const { principal } = client;
  let visible = new Set<string>();
  let sourcesShown: string[] = [];
  let tablesSeen: readonly CatalogTable[] = [];
  const refresh = async () => {
    const { tables } = await visibleCatalog(ctx.service, client, ctx.signal);
    visible = new Set(tables.map((t) => `${t.source}.${t.schema}.${t.name}`));
    tablesSeen = tables;
    sourcesShown = visibleSourceNames(operator, seesEverything(principal), tables);
  };
  await refresh();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let id = 0;
  const write = (event: string, data: unknown): boolean => {
    if (res.writableLength > MAX_PENDING_BYTES) return false;
    res.write(`id: ${++id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    return true;
  };
  write('hello', {
    user: principal.user ?? null,
    probeIntervalMs: operator.health.intervalMs,
    sources: sourcesShown,
  });
  const unsubscribe = operator.hub.feed.subscribe({
    filter: (event: AccessEvent) =>
      sourcesShown.includes(event.source) ? eventFor(principal, visible, event) : undefined,
    send: (event) => write('access', event),
  });
  let ticks = 0;
  const activity = async () => {
    if (++ticks % Math.round(CATALOG_TTL_MS / ACTIVITY_MS) === 0) void refresh().catch(() => {});
    // Every worker's queries when there are several (server.workers).
    const queries = ctx.service.peers
      ? await ctx.service.peers.queriesWithProgress(principal)
      : queriesWithProgress(ctx.service, operator, principal);
    write('activity', {
      time: new Date().toISOString(),
      sources: sourcesShown.map((name) => {
        const status = sourceStatus(operator, name, seesEverything(principal), tablesSeen);
        const { tables: _perTable, ...freshness } = status.freshness;
        return {
          name,
          state: status.state,
          reason: status.reason,
          lastError: status.lastError,
          freshness,
          ...status.activity,
        };
      }),
      queries,
    });
  };
  const tick = () => void activity().catch(() => {});
  tick();
  const timer = setInterval(tick, ACTIVITY_MS);
  try {
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      req.once('close', () => resolve());
    });
  } finally {
    clearInterval(timer);
    unsubscribe();
    res.end();
  }
}

/**
 * Answers the request when it is one of the operator endpoints or a console
 * file; false when it is not (the HTTP server goes on with its own routes).
 */
export async function operatorRoute(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ctx: OperatorRouteContext,
): Promise<boolean> {
  if (path === '/' || path === '/console' || path.startsWith('/console/')) {
    const files = await consoleFiles();
    if (!files) return false;
    methodIs(req, path, 'GET');
    // The page lives under console/ so its files resolve relative to it, behind any path prefix.
    if (path === '/' || path === '/console') {
      res.writeHead(302, { location: 'console/', 'content-length': 0 });
      res.end();
      return true;
    }
    await serveConsoleFile(files, path.slice('/console/'.length), req, res);
    return true;
  }
  if (path === '/v1/sources') {
    methodIs(req, path, 'GET');
    await sources(ctx, res, requireOperator(ctx.operator, path));
    return true;
  }
  if (path === '/v1/events') {
    methodIs(req, path, 'GET');
    await events(ctx, req, res, requireOperator(ctx.operator, path));
    return true;
  }
  const match = /^\/v1\/queries\/([^/]+)\/progress$/.exec(path);
  if (match) {
    methodIs(req, path, 'GET');
    await progress(ctx, res, requireOperator(ctx.operator, path), decodeURIComponent(match[1]!));
    return true;
  }
  return false;
}
