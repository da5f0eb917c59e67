/**
 * The HTTP API: `POST /v1/query`, `POST /v1/explain`, `POST /v1/ask`, `GET /v1/catalog`,
 * `GET /v1/queries`, `DELETE /v1/queries/{id}`, `GET /metrics`, `GET /healthz`.
 * Plain `node:http` (or `node:https` with TLS); rows stream out as the engine
 * produces them, and a client that disconnects cancels its query end to end.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { arrow, type RecordBatch, recordBatch, type ScalarValue, type Schema, SpokeError } from '@spoke/core';
import type { QueryEngine, QueryResult } from '@spoke/planner';
import { ANONYMOUS, type Authenticator, type Principal } from '../auth/authenticator.js';
import { LoginFailure } from '../auth/login-failure.js';
import type { Operator } from '../events/operator.js';
import { batchRows } from '../format/batch-rows.js';
import { typeName } from '../format/value-reader.js';
import { cypherStatement, explainCypher, parseCypherBody } from '../graph/cypher-route.js';
import { handleAsk } from '../nl/ask-route.js';
import { PROMETHEUS_CONTENT_TYPE } from '../service/metrics.js';
import { type ClientInfo, QueryService } from '../service/query-service.js';
import { describeError, HttpError, HttpErrorCode } from './error-status.js';
import { ingestRows, ingestTarget } from './ingest-rows.js';
import { parseJsonObjectBody } from './json-object-body.js';
import { operatorRoute } from './operator-routes.js';

/** The media type of an Arrow IPC stream; a request that accepts it gets one. */
export const ARROW_STREAM_TYPE = 'application/vnd.apache.arrow.stream';

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port; read the actual one from the result. */
  readonly port: number;
  /**
   * Largest request body accepted, in bytes. Default: 1 MiB, and for
   * `/v1/query` and `/v1/explain` room for a statement of the service's
   * `limits.max_query_bytes` (twice it, for JSON escapes, plus 64 KiB of parameters).
   */
  readonly maxBodyBytes?: number;
  /** Where server-side failures (5xx) are reported. */
  readonly log?: (message: string) => void;
  /** The query service every request goes through; one over `engine` without limits when absent. */
  readonly service?: QueryService;
  /** Checks `authorization` headers; absent means authentication is off. */
  readonly auth?: Authenticator;
  /** Serve HTTPS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Access events and source health: `/v1/sources`, `/v1/events`, query progress (see `operator-routes.ts`). */
  readonly operator?: Operator;
}

/** A listening HTTP server. */
export interface RunningHttpServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, or `https://` with TLS. */
  readonly url: string;
  /** Requests being handled: queries running or still sending rows, catalog and explain calls. */
  readonly activeRequests: number;
  /** Stops accepting, cancels running queries, and resolves once every connection is closed. */
  close(): Promise<void>;
}

/** Rows are written in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/** The largest refused body read to its end (and dropped) rather than cut off by closing the connection. */
const MAX_DRAINED_BODY = 64 * 1024 * 1024;

interface QueryBody {
  sql: string;
  params?: ScalarValue[];
}

/**
 * Reads a request body of at most `limit` bytes. A larger one is refused
 * (413) as soon as that is known — from Content-Length before reading
 * anything, else once `limit` bytes have arrived — without holding it: the
 * rest is dropped as it arrives, or, past MAX_DRAINED_BODY or without a
 * Content-Length, left unread and the connection closed after the answer.
 */
async function readBody(req: IncomingMessage, limit: number, why = ''): Promise<string> {
  const tooLarge = (size: string) =>
    new HttpError(
      413,
      HttpErrorCode.PAYLOAD_TOO_LARGE,
      `request body ${size} is larger than ${limit} bytes${why}`,
    );
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw tooLarge(`of ${declared} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', settle);
      req.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        settle(tooLarge(`of more than ${limit} bytes`));
      } else chunks.push(chunk);
    };
    const onEnd = () => settle();
    const onClose = () => settle(new Error('the client closed the connection while sending the body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', settle);
    req.on('close', onClose);
  });
  try {
    return UTF8.decode(Buffer.concat(chunks, size));
  } catch {
    throw new HttpError(400, HttpErrorCode.BAD_REQUEST, 'request body is not valid UTF-8');
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseQueryBody(text: string): QueryBody {
  const { sql, params } = parseJsonObjectBody(text, '{"sql": "...", "params": [...]}');
  if (typeof sql !== 'string' || sql.trim() === '')
    throw new HttpError(400, HttpErrorCode.BAD_REQUEST, '"sql" must be a non-empty string');
  if (params === undefined || params === null) return { sql };
  if (!Array.isArray(params))
    throw new HttpError(400, HttpErrorCode.BAD_REQUEST, '"params" must be an array');
  if (params.some((p) => typeof p === 'object' && p !== null && !Array.isArray(p)))
    throw new HttpError(
      400,
      HttpErrorCode.BAD_REQUEST,
      '"params" items must be JSON scalars, null or arrays',
    );
  return { sql, params: params as ScalarValue[] };
}

/** JSON.stringify that survives what plans and catalogs hold: bigints, bytes. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    return v;
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = toJson(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function wantsArrow(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.split(',').some((part) => {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    if (type?.toLowerCase() !== ARROW_STREAM_TYPE) return false;
    const q = rest.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Writes to the response, waiting while its buffer is full; throws
 * `QUERY_CANCELLED` if the client went away meanwhile (no 'drain' would come).
 */
function responseWriter(
  res: ServerResponse,
  signal: AbortSignal,
): (chunk: string | Uint8Array) => Promise<void> {
  return async (chunk) => {
    if (signal.aborted) throw SpokeError.cancelled(signal);
    if (!res.write(chunk)) {
      try {
        await once(res, 'drain', { signal });
      } catch {
        throw SpokeError.cancelled(signal);
      }
    }
  };
}

/** Pulls the first batch before answering, so errors raised when the query starts still get a proper status. */
async function firstBatch(
  result: QueryResult,
): Promise<{ iterator: AsyncIterator<RecordBatch>; first: IteratorResult<RecordBatch> }> {
  const iterator = result.batches[Symbol.asyncIterator]();
  return { iterator, first: await iterator.next() };
}

async function* rest(
  iterator: AsyncIterator<RecordBatch>,
  first: IteratorResult<RecordBatch>,
): AsyncGenerator<RecordBatch> {
  try {
    let next = first;
    while (!next.done) {
      yield next.value;
      next = await iterator.next();
    }
  } finally {
    // Ends the engine's iterator early (client gone, write failed) so it releases the query.
    await iterator.return?.();
  }
}

function columnsOf(schema: Schema): { name: string; type: string }[] {
  return schema.fields.map((f) => ({ name: f.name, type: typeName(f.type) }));
}

async function streamJson(
  res: ServerResponse,
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
  write: (chunk: string) => Promise<void>,
  log: (message: string) => void,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  let chunk = `{"columns":${JSON.stringify(columnsOf(schema))},"rows":[`;
  let first = true;
  try {
    for await (const batch of batches) {
      for (const row of batchRows(batch, 'json')) {
        chunk += (first ? '' : ',') + JSON.stringify(row);
        first = false;
        if (chunk.length >= CHUNK_CHARS) {
          await write(chunk);
          chunk = '';
        }
      }
    }
    await write(`${chunk}]}`);
  } catch (error) {
    if (res.destroyed) throw error;
    // The status line is long gone: end the document with an "error" member
    // instead of cutting it off, so the client sees why the rows stopped.
    const { code, message } = describeError(error);
    log(`query failed after rows were sent: ${code}: ${message}`);
    await write(`${chunk}],"error":${JSON.stringify({ code, message })}}`);
  }
  res.end();
}

async function streamArrow(
  res: ServerResponse,
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
  write: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  res.writeHead(200, { 'content-type': ARROW_STREAM_TYPE });
  const writer = new arrow.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  // The writer queues its bytes; this pump moves them to the socket with back-pressure.
  const pump = (async () => {
    for await (const bytes of writer) await write(bytes);
  })();
  pump.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled

  try {
    for await (const batch of batches) {
      if (res.destroyed) throw SpokeError.cancelled();
      // The writer silently ends the stream on a schema that differs (metadata, nullability), so re-label.
      writer.write(batch.schema === schema ? batch : recordBatch(schema, batch.data));
      if (res.writableNeedDrain) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  } catch (error) {
    // An Arrow stream has no place for an error after the schema: end the
    // stream abruptly so the client's reader fails rather than seeing a short, valid answer.
    writer.abort(error);
    await pump.catch(() => {});
    res.destroy(error as Error);
    return;
  }
  writer.finish();
  writer.close();
  await pump;
  res.end();
}

/**
 * Starts the HTTP API over `engine`.
 *
 * - `POST /v1/query` `{"sql": "...", "params": [...]}` → `{"columns": [{"name", "type"}], "rows": [[...]]}`,
 *   or an Arrow IPC stream when the request's `Accept` includes `application/vnd.apache.arrow.stream`.
 * - `POST /v1/explain` (same body) → the plan: what each source is asked and the SQL DuckDB runs.
 * - `POST /v1/ask` `{"question": "...", "dryRun": false}` → `{"question", "sql", "explain", "attempts", "model", "columns", "rows"}`
 *   (see `nl/ask-route.ts`); 501 when no `nl:` section is configured.
 * - `POST /v1/cypher` `{"graph", "query", "params": {…}}` → as `/v1/query` (see `graph/cypher-route.ts`).
 * - `GET /v1/catalog` → `{"tables": [{"source", "schema", "name", "columns": [{"name", "type", "nullable"}]}]}`.
 * - `GET /healthz` → `{"status": "ok"}`.
 *
 * Errors are `{"error": {"code", "message"}}` with the status from `error-status.ts`.
 */
export async function startHttpServer(
  engine: QueryEngine,
  options: HttpServerOptions,
): Promise<RunningHttpServer> {
  const log = options.log ?? (() => {});
  // The engine as started (`engine` below is each caller's view of it): it carries the nl models.
  const served = engine;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const service = options.service ?? new QueryService(engine);
  // A statement's body: the statement JSON-escaped (at most about twice its size in practice) and its parameters.
  const maxQueryBody = options.maxBodyBytes ?? Math.max(maxBody, 2 * service.maxQueryBytes + 64 * 1024);
  const queryBodyWhy = ` (statements may be up to ${service.maxQueryBytes} bytes: limits.max_query_bytes)`;
  const readQueryBody = (req: IncomingMessage) =>
    readBody(req, maxQueryBody, options.maxBodyBytes === undefined ? queryBodyWhy : '');
  const running = new Set<AbortController>();
  const auth = options.auth;

  /**
   * The request's caller. A failed login answers 401 with the same body
   * whatever the reason; the reason is audited and logged.
   */
  async function authenticate(req: IncomingMessage, client: ClientInfo): Promise<Principal> {
    if (!auth?.required) return ANONYMOUS;
    try {
      return await auth.authenticateHttp(req.headers.authorization, {
        protocol: 'http',
        ...(req.socket.remoteAddress ? { address: req.socket.remoteAddress } : {}),
      });
    } catch (error) {
      if (error instanceof LoginFailure) error.report(service, client);
      else if (SpokeError.isInstance(error)) service.refuse(client, '', error);
      throw error;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    const { signal } = controller;
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
    });
    const path = (req.url ?? '/').split('?')[0];
    const route = (method: string) => {
      if (req.method !== method && !(method === 'GET' && req.method === 'HEAD'))
        throw new HttpError(
          405,
          HttpErrorCode.METHOD_NOT_ALLOWED,
          `${path} expects ${method}, got ${req.method}`,
        );
    };
    running.add(controller);
    const address = req.socket.remoteAddress;
    const anonymous: ClientInfo = {
      protocol: 'http',
      ...(address ? { address: `${address}:${req.socket.remotePort}` } : {}),
      principal: ANONYMOUS,
      secureTransport: (req.socket as { encrypted?: boolean }).encrypted === true,
    };
    try {
      if (path === '/healthz') {
        route('GET');
        return sendJson(res, 200, { status: 'ok' });
      }
      // The console's files (no login: they hold no data) and the operator endpoints (which authenticate).
      const operatorContext = {
        operator: options.operator,
        service,
        signal,
        authenticate: async () => ({ ...anonymous, principal: await authenticate(req, anonymous) }),
      };
      if (path && (await operatorRoute(req, res, path, operatorContext))) return;
      const principal = await authenticate(req, anonymous);
      const client: ClientInfo = { ...anonymous, principal };
      const engine = service.engineFor(client);
      if (path?.startsWith('/v1/queries/')) {
        route('DELETE');
        const id = decodeURIComponent(path.slice('/v1/queries/'.length));
        if ((await service.cancelEverywhere(id, principal)) === 'not-found')
          throw new HttpError(404, HttpErrorCode.NOT_FOUND, `no running query with id ${id}`);
        return sendJson(res, 200, { queryId: id, status: 'cancelled' });
      }
      const ingest = path ? ingestTarget(path) : undefined;
      if (ingest) {
        route('POST');
        return sendJson(
          res,
          200,
          await ingestRows(req, res, engine, ingest, signal, () => readBody(req, maxBody)),
        );
      }
      switch (path) {
        case '/metrics': {
          route('GET');
          const text = await service.renderMetrics();
          res.writeHead(200, {
            'content-type': PROMETHEUS_CONTENT_TYPE,
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
          return;
        }
        case '/v1/queries':
          route('GET');
          return sendJson(res, 200, { queries: await service.listEverywhere(principal) });
        case '/v1/catalog': {
          route('GET');
          const tables = await engine.catalog(signal);
          return sendJson(res, 200, {
            tables: tables.map((t) => ({
              source: t.source,
              schema: t.schema,
              name: t.name,
              columns: t.columns.map((c) => ({ name: c.name, type: typeName(c.type), nullable: c.nullable })),
            })),
          });
        }
        case '/v1/explain': {
          route('POST');
          const text = await readQueryBody(req);
          const body = parseQueryBody(text);
          // `"analyze": true` runs the query and adds the actual figures (EXPLAIN ANALYZE).
          const { analyze } = parseJsonObjectBody(text, '{"sql": "...", "params": [...], "analyze": true}');
          if (analyze !== undefined && typeof analyze !== 'boolean')
            throw new HttpError(400, HttpErrorCode.BAD_REQUEST, '"analyze" must be true or false');
          const plan = await engine.explain(body.sql, {
            ...(body.params ? { params: body.params } : {}),
            ...(analyze ? { analyze: true } : {}),
            signal,
          });
          return sendJson(res, 200, plan);
        }
        case '/v1/ask':
        case '/v1/nl':
          route('POST');
          return await handleAsk({
            req,
            res,
            engine: served,
            callerEngine: engine,
            principal,
            signal,
            readBody: () => readBody(req, maxBody),
            write: responseWriter(res, signal),
            log,
          });
        case '/v1/cypher':
        case '/v1/query': {
          route('POST');
          const text = await readQueryBody(req);
          // A Cypher query runs as the SQL statement SELECT * FROM cypher($1, $2, $3) (graph/cypher-route.ts).
          const cypher = path === '/v1/cypher' ? parseCypherBody(text) : undefined;
          if (cypher?.explain) return sendJson(res, 200, await explainCypher(served, engine, cypher, signal));
          const body = cypher ? cypherStatement(cypher) : parseQueryBody(text);
          const result = await engine.query(body.sql, {
            ...(body.params ? { params: body.params } : {}),
            signal,
          });
          const queryId = (result as { queryId?: string }).queryId;
          if (queryId) res.setHeader('x-spoke-query-id', queryId);
          const { iterator, first } = await firstBatch(result);
          const batches = rest(iterator, first);
          const write = responseWriter(res, signal);
          if (wantsArrow(req)) await streamArrow(res, result.schema, batches, write);
          else await streamJson(res, result.schema, batches, write, log);
          return;
        }
        default:
          throw new HttpError(404, HttpErrorCode.NOT_FOUND, `no such endpoint: ${req.method} ${path}`);
      }
    } catch (error) {
      if (res.destroyed) return;
      const described = describeError(error);
      const { code, message } = described;
      // A statement over limits.max_query_bytes is a payload too large, however it got here.
      const status =
        SpokeError.isInstance(error) && error.details?.sqlstate === '54000' ? 413 : described.status;
      if (status >= 500 && status !== 499) log(`${req.method} ${path}: ${code}: ${message}`);
      if (res.headersSent) res.destroy(error as Error);
      else {
        if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="spoke", Basic realm="spoke"');
        if (status === 413 && !req.complete) {
          // The rest of a body refused for its size is never held. Up to MAX_DRAINED_BODY it is read and
          // dropped, so a client still uploading (fetch, most HTTP libraries) gets to read the 413 instead
          // of a reset connection; past that, the connection ends after the answer.
          const declared = Number(req.headers['content-length']);
          if (declared <= MAX_DRAINED_BODY) req.resume();
          else res.setHeader('connection', 'close');
        }
        // SQLSTATE and position (1-based, in characters) when known, so a client can point at the mistake.
        const details = SpokeError.isInstance(error) ? error.details : undefined;
        const where = {
          ...(typeof details?.sqlstate === 'string' ? { sqlstate: details.sqlstate } : {}),
          ...(typeof details?.position === 'number' ? { position: details.position } : {}),
        };
        sendJson(res, status, { error: { code, message, ...where } });
      }
    } finally {
      running.delete(controller);
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      log(`unhandled HTTP error: ${(error as Error)?.stack ?? String(error)}`);
      res.destroy();
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createServer(listener);
  server.on('connection', (socket) => {
    service.metrics.connections.add({ protocol: 'http' }, 1);
    socket.once('close', () => service.metrics.connections.add({ protocol: 'http' }, -1));
  });
  // A TLS handshake that fails (a plain-HTTP client, garbage) is the client's problem, not a crash.
  server.on('tlsClientError', (error) => log(`http: TLS handshake failed: ${error.message}`));
  server.listen(options.port, options.host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  const address = server.address() as AddressInfo;
  const host = options.host;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port: address.port,
    url: `${options.tls ? 'https' : 'http'}://${hostInUrl}:${address.port}`,
    get activeRequests() {
      return running.size;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const controller of running) controller.abort(new Error('server shutting down'));
      server.closeIdleConnections();
      // Give cancelled queries a moment to send their answer, then cut what is left.
      const timer = setTimeout(() => server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(timer);
    },
  };
}
