/**
 * A Snowflake protocol emulator: an HTTP server answering the REST endpoints
 * `snowflake-sdk` calls, executing the SQL in DuckDB over fixture data.
 *
 * Endpoints (as the real service):
 * - `POST /session/v1/login-request` — password or key-pair (JWT, RS256) login
 * - `POST /session/token-request` — session token renewal
 * - `POST /session/heartbeat`, `POST /session?delete=true` — keep-alive, close
 * - `POST /queries/v1/query-request` — run a statement; answers in the JSON
 *   result format, the first rows inline and the rest as chunks; a statement
 *   still running after `progressAfterMs` is answered with code `333334` and
 *   a `getResultUrl` the driver polls, as Snowflake does
 * - `GET /queries/{id}/result` — the result of a statement in progress
 * - `POST /queries/{id}/abort-request`, `POST /queries/v1/abort-request`
 *   (by request id) — cancel a running statement (DuckDB `interrupt()`)
 * - `GET /chunks/{id}/{n}` — result chunks (stands in for the S3 URLs)
 * - `POST /telemetry/send` — accepted and ignored
 *
 * The Node driver never asks for Arrow results (it only parses the JSON
 * format), so the emulator answers in JSON only, as Snowflake does for it.
 */
import { createVerify, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { type ColumnCodec, codecFor, type SnowflakeColumn } from './result-encoding.js';
import { translateSql } from './sql-translation.js';

/** One statement the emulator received, for tests to inspect. */
export interface ReceivedQuery {
  readonly queryId: string;
  readonly requestId: string;
  /** The SQL as the driver sent it (Snowflake dialect). */
  readonly sqlText: string;
  /** What DuckDB ran. */
  readonly duckdbSql: string;
  /** Statement parameters the driver sent (`QUERY_TAG`…). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Bound values, as the driver sent them (`{ type, value }` by position). */
  readonly bindings: Readonly<Record<string, { type: string; value: unknown }>>;
  status: 'running' | 'success' | 'failed' | 'aborted';
  rowCount?: number;
}

/** Options of the emulator server. */
export interface EmulatorServerOptions {
  readonly instance: DuckDBInstance;
  readonly account: string;
  readonly user: string;
  readonly password: string;
  /** PEM public key accepted for key-pair (JWT) login. */
  readonly publicKey?: string;
  readonly database: string;
  readonly schema: string;
  readonly warehouse: string;
  readonly role: string;
  /** The qualified DuckDB schema standing in for INFORMATION_SCHEMA. */
  readonly infoSchema: string;
  /** Refreshes the INFORMATION_SCHEMA stand-in before a statement that reads it. */
  readonly refreshInfoSchema: (conn: DuckDBConnection) => Promise<void>;
  readonly inlineRows: number;
  readonly chunkRows: number;
  readonly progressAfterMs: number;
}

interface Session {
  readonly id: number;
  token: string;
  readonly masterToken: string;
  database: string;
  schema: string;
  warehouse: string;
  role: string;
  /** Parameters set with ALTER SESSION, sent back with every result as Snowflake does. */
  readonly params: Map<string, unknown>;
}

interface ResultBody {
  readonly data: Record<string, unknown>;
  readonly code: string | null;
  readonly message: string | null;
  readonly success: boolean;
}

interface RunningQuery {
  readonly record: ReceivedQuery;
  readonly abort: AbortController;
  readonly done: Promise<ResultBody>;
  finished?: ResultBody;
  chunks: string[];
}

const PARAMETERS = [
  { name: 'TIMEZONE', value: 'UTC' },
  { name: 'BINARY_OUTPUT_FORMAT', value: 'HEX' },
  { name: 'DATE_OUTPUT_FORMAT', value: 'YYYY-MM-DD' },
  { name: 'TIME_OUTPUT_FORMAT', value: 'HH24:MI:SS' },
  { name: 'TIMESTAMP_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM' },
  { name: 'TIMESTAMP_NTZ_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3' },
  { name: 'TIMESTAMP_LTZ_OUTPUT_FORMAT', value: '' },
  { name: 'TIMESTAMP_TZ_OUTPUT_FORMAT', value: '' },
  { name: 'CLIENT_SESSION_KEEP_ALIVE', value: false },
  { name: 'QUERY_CONTEXT_CACHE_SIZE', value: 5 },
];

function fail(code: string, message: string, data: Record<string, unknown> = {}): ResultBody {
  return {
    data: { internalError: false, errorCode: code, age: 0, line: -1, pos: -1, ...data },
    code,
    message,
    success: false,
  };
}

function ok(data: Record<string, unknown>): ResultBody {
  return { data, code: null, message: null, success: true };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  let buf = Buffer.concat(parts);
  if (req.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf);
  if (buf.length === 0) return {};
  return JSON.parse(buf.toString('utf8'));
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Verifies an RS256 JWT against a PEM public key. */
function verifyJwt(token: string, publicKey: string): boolean {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return false;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${header}.${payload}`);
  return verifier.verify(publicKey, Buffer.from(signature, 'base64url'));
}

/** The emulator's HTTP server and what it has seen. */
export class EmulatorServer {
  readonly queries: ReceivedQuery[] = [];
  readonly #sessions = new Map<string, Session>();
  readonly #running = new Map<string, RunningQuery>();
  readonly #byRequestId = new Map<string, RunningQuery>();
  #server: Server | undefined;
  #nextSession = 1;
  #port = 0;
  /** Counts of requests by path, for tests (heartbeats, closes…). */
  readonly requestCounts = new Map<string, number>();
  /** Sessions opened and closed so far. */
  sessionsOpened = 0;
  sessionsClosed = 0;

  constructor(readonly options: EmulatorServerOptions) {}

  get port(): number {
    return this.#port;
  }

  /** Sessions currently open. */
  get openSessions(): number {
    return this.#sessions.size;
  }

  async listen(): Promise<number> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent)
          send(res, 500, { success: false, message: String(error), code: '000603', data: null });
      });
    });
    server.keepAliveTimeout = 1000;
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
    return this.#port;
  }

  async close(): Promise<void> {
    for (const q of this.#running.values()) q.abort.abort();
    await Promise.allSettled([...this.#running.values()].map((q) => q.done));
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    this.requestCounts.set(path, (this.requestCounts.get(path) ?? 0) + 1);
    if (req.method === 'POST' && path === '/session/v1/login-request') {
      send(
        res,
        200,
        this.#login((await readBody(req)) as { data?: Record<string, unknown> }, url.searchParams),
      );
      return;
    }
    const chunk = /^\/chunks\/([\w-]+)\/(\d+)$/.exec(path);
    if (req.method === 'GET' && chunk) {
      // Stands in for a pre-signed cloud-storage URL: no session token needed.
      const body = this.#running.get(chunk[1]!)?.chunks[Number(chunk[2])];
      if (body === undefined) send(res, 404, 'no such chunk', 'text/plain');
      else send(res, 200, body, 'binary/octet-stream');
      return;
    }
    const token = /Snowflake Token="([^"]*)"/.exec(req.headers.authorization ?? '')?.[1];
    const session = token ? this.#findSession(token) : undefined;
    if (!session) {
      send(res, 200, fail('390104', 'User must login again to access the service.'));
      return;
    }
    const body = req.method === 'POST' ? ((await readBody(req)) as Record<string, unknown>) : {};
    if (path === '/session/heartbeat') {
      send(res, 200, ok({}));
    } else if (path === '/session' && url.searchParams.get('delete') === 'true') {
      for (const [key, s] of this.#sessions) if (s === session) this.#sessions.delete(key);
      this.sessionsClosed++;
      send(res, 200, ok({}));
    } else if (path === '/session/token-request') {
      this.#sessions.delete(session.token);
      session.token = randomUUID();
      this.#sessions.set(session.token, session);
      send(
        res,
        200,
        ok({ sessionToken: session.token, validityInSecondsST: 3600, masterToken: session.masterToken }),
      );
    } else if (path === '/telemetry/send') {
      send(res, 200, ok({}));
    } else if (req.method === 'POST' && path === '/queries/v1/query-request') {
      const requestId = url.searchParams.get('requestId') ?? randomUUID();
      const query = this.#startQuery(session, requestId, body);
      send(res, 200, await this.#waitForResult(query));
    } else if (req.method === 'GET' && /^\/queries\/[\w-]+\/result$/.test(path)) {
      const query = this.#running.get(path.split('/')[2]!);
      send(res, 200, query ? await this.#waitForResult(query) : fail('000709', 'Statement not found.'));
    } else if (req.method === 'POST' && /^\/queries\/[\w-]+\/abort-request$/.test(path)) {
      const id = path.split('/')[2]!;
      const query = id === 'v1' ? this.#byRequestId.get(String(body.requestId)) : this.#running.get(id);
      query?.abort.abort();
      send(res, 200, ok({}));
    } else if (path.startsWith('/monitoring/queries/')) {
      const query = this.#running.get(path.split('/')[3]!);
      const status = query
        ? { running: 'RUNNING', success: 'SUCCESS', failed: 'FAILED_WITH_ERROR', aborted: 'ABORTED' }[
            query.record.status
          ]
        : 'NO_DATA';
      send(res, 200, ok({ queries: [{ id: path.split('/')[3], status }] }));
    } else {
      send(res, 404, fail('390400', `the emulator does not implement ${req.method} ${path}`));
    }
  }

  #findSession(token: string): Session | undefined {
    const direct = this.#sessions.get(token);
    if (direct) return direct;
    // Token renewal and close are signed with the master token.
    for (const s of this.#sessions.values()) if (s.masterToken === token) return s;
    return undefined;
  }

  #login(body: { data?: Record<string, unknown> }, params: URLSearchParams): ResultBody {
    const data = body.data ?? {};
    const o = this.options;
    const loginName = String(data.LOGIN_NAME ?? '');
    const authenticator = String(data.AUTHENTICATOR ?? 'SNOWFLAKE');
    if (String(data.ACCOUNT_NAME ?? '').toUpperCase() !== o.account.toUpperCase()) {
      return fail('390201', `The requested account ${String(data.ACCOUNT_NAME)} does not exist.`);
    }
    let authenticated = false;
    if (authenticator.toUpperCase() === 'SNOWFLAKE_JWT') {
      authenticated =
        loginName.toUpperCase() === o.user.toUpperCase() &&
        !!o.publicKey &&
        verifyJwt(String(data.TOKEN ?? ''), o.publicKey);
    } else {
      authenticated = loginName.toUpperCase() === o.user.toUpperCase() && data.PASSWORD === o.password;
    }
    if (!authenticated) return fail('390100', 'Incorrect username or password was specified.');
    const session: Session = {
      id: this.#nextSession++,
      token: randomUUID(),
      masterToken: randomUUID(),
      database: params.get('databaseName') || o.database,
      schema: params.get('schemaName') || o.schema,
      warehouse: params.get('warehouse') || o.warehouse,
      role: params.get('roleName') || o.role,
      params: new Map(),
    };
    this.#sessions.set(session.token, session);
    this.sessionsOpened++;
    return ok({
      token: session.token,
      masterToken: session.masterToken,
      validityInSeconds: 3600,
      masterValidityInSeconds: 14400,
      sessionId: session.id,
      parameters: PARAMETERS,
      sessionInfo: {
        databaseName: session.database,
        schemaName: session.schema,
        warehouseName: session.warehouse,
        roleName: session.role,
      },
      idToken: null,
      serverVersion: 'spoke-emulator',
    });
  }

  #startQuery(session: Session, requestId: string, body: Record<string, unknown>): RunningQuery {
    const existing = this.#byRequestId.get(requestId);
    if (existing) return existing; // a retried request: Snowflake answers it once
    const sqlText = String(body.sqlText ?? '');
    const queryId = randomUUID();
    const translated = translateSql(sqlText, this.options.infoSchema);
    const record: ReceivedQuery = {
      queryId,
      requestId,
      sqlText,
      duckdbSql: translated.sql,
      parameters: (body.parameters as Record<string, unknown>) ?? {},
      bindings: (body.bindings as Record<string, { type: string; value: unknown }>) ?? {},
      status: 'running',
    };
    this.queries.push(record);
    const abort = new AbortController();
    const query: RunningQuery = {
      record,
      abort,
      chunks: [],
      done: Promise.resolve(undefined as unknown as ResultBody),
    };
    (query as { done: Promise<ResultBody> }).done = this.#execute(
      session,
      query,
      translated.sql,
      translated.waitSeconds,
    ).then((result) => {
      query.finished = result;
      return result;
    });
    this.#running.set(queryId, query);
    this.#byRequestId.set(requestId, query);
    return query;
  }

  /** The result when it is ready within `progressAfterMs`, else Snowflake's "still running" answer. */
  async #waitForResult(query: RunningQuery): Promise<ResultBody> {
    if (query.finished) return query.finished;
    let timer: NodeJS.Timeout | undefined;
    const progress = new Promise<ResultBody>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            data: { queryId: query.record.queryId, getResultUrl: `/queries/${query.record.queryId}/result` },
            code: '333334',
            message:
              'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.',
            success: true,
          }),
        this.options.progressAfterMs,
      );
    });
    const result = await Promise.race([query.done, progress]);
    clearTimeout(timer);
    return result;
  }

  async #execute(
    session: Session,
    query: RunningQuery,
    sql: string,
    waitSeconds: number,
  ): Promise<ResultBody> {
    const { record, abort } = query;
    const queryId = record.queryId;
    const failed = (code: string, message: string, sqlState: string) => {
      record.status = abort.signal.aborted ? 'aborted' : 'failed';
      return fail(code, message, { queryId, sqlState, type: 'COMPILATION' });
    };
    const cancelled = () => {
      record.status = 'aborted';
      return fail('000604', 'SQL execution canceled', { queryId, sqlState: '57014' });
    };
    if (waitSeconds > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitSeconds * 1000);
        abort.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (abort.signal.aborted) return cancelled();
    }
    const session_ = this.#sessionStatement(session, record.sqlText);
    if (session_) {
      record.status = 'success';
      return ok(
        this.#resultData(
          session,
          queryId,
          [codecFor('status', { typeId: 17 } as never).column],
          [[session_]],
          [],
        ),
      );
    }
    const conn = await this.options.instance.connect();
    const onAbort = () => conn.interrupt();
    abort.signal.addEventListener('abort', onAbort);
    try {
      await conn.run(`USE ${quoteIdent(session.database)}.${quoteIdent(session.schema)}`);
      // Snowflake's TO_BINARY(text, 'HEX'): the form the connector binds binary values in.
      await conn.run(`CREATE TEMP MACRO to_binary(s, f := 'HEX') AS unhex(s)`);
      if (/INFORMATION_SCHEMA/i.test(record.sqlText)) await this.options.refreshInfoSchema(conn);
      const prepared = await conn.prepare(sql);
      const bindings = Object.entries(record.bindings).sort(([a], [b]) => Number(a) - Number(b));
      bindings.forEach(([, b], i) => {
        const v = b.value;
        if (v === null || v === undefined) prepared.bindNull(i + 1);
        else if (b.type === 'BOOLEAN') prepared.bindBoolean(i + 1, v === true || v === 'true' || v === '1');
        else prepared.bindVarchar(i + 1, String(v));
      });
      const reader = await prepared.runAndReadAll();
      const names = reader.columnNames();
      const codecs: ColumnCodec[] = reader.columnTypes().map((t, i) => codecFor(names[i]!, t));
      const rows = reader.getRows();
      const json = codecs.some((c) => c.needsJson) ? reader.getRowsJson() : undefined;
      const encoded = rows.map((row, r) =>
        row.map((v: DuckDBValue, c) => (v === null ? null : codecs[c]!.encode(v, json?.[r]?.[c]))),
      );
      if (abort.signal.aborted) return cancelled();
      record.status = 'success';
      record.rowCount = encoded.length;
      return ok(
        this.#resultData(
          session,
          queryId,
          codecs.map((c) => c.column),
          encoded,
          query.chunks,
        ),
      );
    } catch (error) {
      if (abort.signal.aborted) return cancelled();
      const message = error instanceof Error ? error.message : String(error);
      return failed('002003', `SQL compilation error:\n${message}`, '42000');
    } finally {
      abort.signal.removeEventListener('abort', onAbort);
      conn.closeSync();
    }
  }

  /** `USE …` and `ALTER SESSION …` change session state only; returns their status text, or undefined. */
  #sessionStatement(session: Session, sql: string): string | undefined {
    const text = sql.trim().replace(/;\s*$/, '');
    const use = /^USE\s+(DATABASE|SCHEMA|WAREHOUSE|ROLE)\s+(.+)$/i.exec(text);
    if (use) {
      const raw = use[2]!.trim();
      const name = raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw.toUpperCase();
      const kind = use[1]!.toUpperCase();
      if (kind === 'DATABASE') session.database = name;
      else if (kind === 'SCHEMA') session.schema = name;
      else if (kind === 'WAREHOUSE') session.warehouse = name;
      else session.role = name;
      return 'Statement executed successfully.';
    }
    const alter = /^ALTER\s+SESSION\s+SET\s+(.+)$/is.exec(text);
    if (alter) {
      for (const m of alter[1]!.matchAll(/(\w+)\s*=\s*('(?:[^']|'')*'|[^,\s]+)/g)) {
        const raw = m[2]!;
        session.params.set(
          m[1]!.toUpperCase(),
          raw.startsWith("'") ? raw.slice(1, -1).replaceAll("''", "'") : raw,
        );
      }
      return 'Statement executed successfully.';
    }
    if (/^ALTER\s+SESSION\s+/i.test(text)) return 'Statement executed successfully.';
    return undefined;
  }

  #resultData(
    session: Session,
    queryId: string,
    rowtype: SnowflakeColumn[],
    rows: (string | null)[][],
    chunks: string[],
  ): Record<string, unknown> {
    const { inlineRows, chunkRows } = this.options;
    const inline = rows.slice(0, inlineRows);
    const chunkInfo: { url: string; rowCount: number; uncompressedSize: number; compressedSize: number }[] =
      [];
    for (let start = inlineRows; start < rows.length; start += chunkRows) {
      const part = rows.slice(start, start + chunkRows);
      // A chunk is the rows without the enclosing brackets, as Snowflake stores it.
      const text = part.map((r) => JSON.stringify(r)).join(',');
      chunks.push(text);
      chunkInfo.push({
        url: `http://127.0.0.1:${this.#port}/chunks/${queryId}/${chunks.length - 1}`,
        rowCount: part.length,
        uncompressedSize: Buffer.byteLength(text),
        compressedSize: Buffer.byteLength(text),
      });
    }
    const parameters = PARAMETERS.map((p) =>
      session.params.has(p.name) ? { name: p.name, value: session.params.get(p.name) } : p,
    );
    return {
      parameters,
      rowtype,
      rowset: inline,
      total: rows.length,
      returned: rows.length,
      queryId,
      databaseProvider: null,
      finalDatabaseName: session.database,
      finalSchemaName: session.schema,
      finalWarehouseName: session.warehouse,
      finalRoleName: session.role,
      numberOfBinds: 0,
      arrayBindSupported: false,
      statementTypeId: 4096,
      version: 1,
      sendResultTime: Date.now(),
      queryResultFormat: 'json',
      ...(chunkInfo.length ? { chunks: chunkInfo, chunkHeaders: {} } : {}),
    };
  }
}
