/**
 * The attacker's clients — node-postgres, HTTP `fetch` and the gateway's
 * Flight SQL client — each answering one attempt as an {@link Outcome}
 * that holds everything the client received (rows, column names, every
 * error field, notices, HTTP headers and body, gRPC metadata), so a leak
 * check searches all of it, not just the message.
 */
import { performance } from 'node:perf_hooks';
import type { ServiceError } from '@grpc/grpc-js';
import pg from 'pg';
// The gateway's own Flight SQL client; @spoke/gateway does not export it (yet), so from its source.
import { FlightSqlClient } from '../../apps/gateway/src/flight/flight-client.js';
import { PASSWORDS, type Sentinel, type UserName } from './security-fixture.js';

/** What one attempt came back with, on any protocol. */
export interface Outcome {
  readonly protocol: 'pg' | 'http' | 'flight';
  readonly sql: string;
  /** The statement answered (rows or a command tag). */
  readonly ok: boolean;
  /** SQLSTATE (pg), `error.code` (HTTP), gRPC status name (Flight). */
  readonly code: string | undefined;
  readonly message: string | undefined;
  /** HTTP status (HTTP only). */
  readonly status?: number;
  readonly rows: readonly unknown[];
  /** Everything the client received, as text. */
  readonly seen: string;
  readonly ms: number;
}

/** JSON that keeps bigints and binary data visible to the leak search. */
export function toText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
    return v;
  });
}

const PG_ERROR_FIELDS = [
  'severity',
  'code',
  'message',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

/** Every field of a node-postgres error (DatabaseError or connection error). */
export function pgErrorFields(error: unknown): Record<string, unknown> {
  const e = error as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of PG_ERROR_FIELDS) if (e?.[k] !== undefined) out[k] = e[k];
  if (out.message === undefined) out.message = String(error);
  return out;
}

let statementCount = 0;

/** One Postgres wire connection as one user; reconnects after a connection-ending error. */
export class PgSession {
  #client: pg.Client | undefined;
  #notices: unknown[] = [];

  constructor(
    readonly port: number,
    readonly user: UserName | string,
    readonly password: string = PASSWORDS[user as UserName] ?? 'no-password',
  ) {}

  async #connected(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: this.user,
      password: this.password,
      database: 'spoke',
    });
    client.on('notice', (n) => this.#notices.push(pgErrorFields(n)));
    client.on('error', () => {
      if (this.#client === client) this.#client = undefined;
    });
    await client.connect();
    this.#client = client;
    return client;
  }

  /**
   * Runs `sql`: the simple protocol unless `params` are given or `prepared`
   * (a named statement: Parse, Describe, Bind, Execute, as JDBC and most drivers do).
   */
  async run(sql: string, params?: unknown[], prepared = false): Promise<Outcome> {
    const started = performance.now();
    this.#notices = [];
    try {
      const client = await this.#connected();
      const result = await client.query({
        text: sql,
        rowMode: 'array',
        ...(params ? { values: params } : {}),
        ...(prepared ? { name: `attack_${++statementCount}` } : {}),
      });
      const results = Array.isArray(result) ? (result as pg.QueryResult[]) : [result];
      const rows = results.flatMap((r) => r.rows ?? []);
      const fields = results.flatMap((r) => (r.fields ?? []).map((f) => f.name));
      return {
        protocol: 'pg',
        sql,
        ok: true,
        code: undefined,
        message: undefined,
        rows,
        seen: toText({ rows, fields, commands: results.map((r) => r.command), notices: this.#notices }),
        ms: performance.now() - started,
      };
    } catch (error) {
      const fields = pgErrorFields(error);
      const fatal = fields.severity === 'FATAL' || !('code' in (error as object));
      if (fatal) await this.close();
      return {
        protocol: 'pg',
        sql,
        ok: false,
        code: typeof fields.code === 'string' ? fields.code : undefined,
        message: String(fields.message ?? ''),
        rows: [],
        seen: toText({ error: fields, notices: this.#notices }),
        ms: performance.now() - started,
      };
    }
  }

  /** Ends the connection (a later `run` reconnects). */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}

/** `Authorization: Basic` for a user. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** One attempt over HTTP: `POST /v1/query` (or `endpoint`, e.g. `/v1/explain`). */
export async function httpRun(
  url: string,
  user: UserName | string,
  sql: string,
  password: string = PASSWORDS[user as UserName] ?? 'no-password',
  endpoint = '/v1/query',
): Promise<Outcome> {
  const started = performance.now();
  const res = await fetch(`${url}${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(user, password) },
    body: JSON.stringify({ sql }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = await res.text();
  let parsed: { rows?: unknown[]; error?: { code?: string; message?: string } } = {};
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON (rows streamed as another format): the raw text is still searched.
  }
  const headers = toText(Object.fromEntries(res.headers.entries()));
  return {
    protocol: 'http',
    sql,
    ok: res.ok,
    code: parsed.error?.code,
    message: parsed.error?.message,
    status: res.status,
    rows: Array.isArray(parsed) ? parsed : (parsed.rows ?? []),
    seen: `${res.status}\n${headers}\n${body}`,
    ms: performance.now() - started,
  };
}

/** gRPC status names by number, for readable outcomes. */
const GRPC_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** A gRPC error as text: status, details and every metadata entry. */
export function grpcErrorText(error: unknown): { code: string; message: string; seen: string } {
  const e = error as Partial<ServiceError>;
  const code = typeof e.code === 'number' ? (GRPC_NAMES[e.code] ?? String(e.code)) : 'UNKNOWN';
  const metadata = e.metadata?.toJSON?.() ?? {};
  const message = e.details ?? e.message ?? String(error);
  return { code, message, seen: toText({ code, details: e.details, message: e.message, metadata }) };
}

/** One Flight SQL connection as one user (handshake on first use). */
export class FlightSession {
  readonly #client: FlightSqlClient;
  #handshaken = false;

  constructor(
    address: string,
    readonly user: UserName,
  ) {
    this.#client = new FlightSqlClient(address);
  }

  /** The underlying client, logged in. */
  async client(): Promise<FlightSqlClient> {
    if (!this.#handshaken) {
      await this.#client.handshake(this.user, PASSWORDS[this.user]);
      this.#handshaken = true;
    }
    return this.#client;
  }

  /** Runs `sql` (GetFlightInfo + DoGet), or as a prepared statement (whose described schema is part of what is seen). */
  async run(sql: string, prepared = false): Promise<Outcome> {
    const started = performance.now();
    try {
      const client = await this.client();
      let described = '';
      let table: Awaited<ReturnType<FlightSqlClient['execute']>>;
      if (prepared) {
        const handle = await client.prepare(sql);
        described = toText(handle.datasetSchema?.fields.map((f) => f.name) ?? []);
        table = await client.executePrepared(handle.handle);
        await client.closePrepared(handle.handle);
      } else table = await client.execute(sql);
      const rows = table.toArray().map((r) => r.toJSON());
      return {
        protocol: 'flight',
        sql,
        ok: true,
        code: undefined,
        message: undefined,
        rows,
        seen: toText({ described, fields: table.schema.fields.map((f) => f.name), rows }),
        ms: performance.now() - started,
      };
    } catch (error) {
      const { code, message, seen } = grpcErrorText(error);
      return {
        protocol: 'flight',
        sql,
        ok: false,
        code,
        message,
        rows: [],
        seen,
        ms: performance.now() - started,
      };
    }
  }

  close(): void {
    this.#client.close();
  }
}

/** The sentinels whose pattern occurs in `text`. */
export function leaksIn(text: string, sentinels: readonly Sentinel[]): string[] {
  return [...new Set(sentinels.filter((s) => s.pattern.test(text)).map((s) => s.label))];
}

/** Throws when an attack's own SQL holds a sentinel (the leak check could then not tell an echo from a leak). */
export function assertCleanSql(sql: string, sentinels: readonly Sentinel[]): void {
  const found = leaksIn(sql, sentinels);
  if (found.length) throw new Error(`test bug: the attack SQL itself contains ${found.join(', ')}: ${sql}`);
}

/** A short, single-line description of an outcome for failure lists. */
export function brief(o: Outcome): string {
  const what = o.ok
    ? `answered ${o.rows.length} row(s): ${toText(o.rows.slice(0, 2)).slice(0, 160)}`
    : `${o.code ?? '?'}${o.status ? `/${o.status}` : ''}: ${(o.message ?? '').split('\n')[0]!.slice(0, 200)}`;
  return `[${o.protocol}] ${o.sql.length > 140 ? `${o.sql.slice(0, 140)}…` : o.sql} → ${what}`;
}
