/**
 * The subset of node-postgres (`pg`, `pg-copy-streams`, `pg-cursor`) this
 * connector calls, declared structurally (as Kysely does) so that no driver
 * types leak into our public API. The CommonJS modules are loaded once.
 */
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';

/** A field of a result's row description. */
export interface PgField {
  readonly name: string;
  readonly dataTypeID: number;
  readonly dataTypeModifier: number;
}

/** A query result (`rowMode: 'array'` gives arrays). */
export interface PgResult<R = unknown[]> {
  readonly rows: R[];
  readonly fields: readonly PgField[];
  readonly rowCount: number | null;
}

/** A pooled connection. `processID`/`secretKey` identify its backend for CancelRequest. */
export interface PgPoolClient {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<PgResult<R>>;
  query<R = unknown[]>(config: {
    text: string;
    values?: readonly unknown[];
    rowMode?: 'array';
    types?: { getTypeParser: (oid: number, format?: string) => (value: string) => unknown };
  }): Promise<PgResult<R>>;
  query<T extends PgSubmittable>(submittable: T): T;
  release(destroy?: boolean | Error): void;
  readonly processID?: number | null;
  readonly secretKey?: number | null;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** Something a client can run (a COPY stream, a cursor). */
export type PgSubmittable = object;

/** The pool. */
export interface PgPool {
  connect(): Promise<PgPoolClient>;
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<PgResult<R>>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
}

/** The pool's configuration (what we pass). */
export interface PgPoolConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  max?: number;
  ssl?: boolean | { rejectUnauthorized: boolean };
  application_name?: string;
  statement_timeout?: number;
  options?: string;
  connectionTimeoutMillis?: number;
  idleTimeoutMillis?: number;
  keepAlive?: boolean;
}

/** A `COPY … TO STDOUT` stream. */
export type PgCopyToStream = Readable & PgSubmittable;

/** A server-side cursor over a query. */
export interface PgCursor extends PgSubmittable {
  read(rows: number): Promise<unknown[][]>;
  close(): Promise<void>;
}

interface PgModule {
  Pool: new (config: PgPoolConfig) => PgPool;
}
interface CopyModule {
  to(text: string): PgCopyToStream;
}
type CursorCtor = new (
  text: string,
  values: readonly unknown[],
  config: { rowMode: 'array'; types: { getTypeParser: () => (value: string) => unknown } },
) => PgCursor;

const require = createRequire(import.meta.url);
let pg: PgModule | undefined;
let copy: CopyModule | undefined;
let cursor: CursorCtor | undefined;

/** Creates a `pg.Pool`. */
export function createPool(config: PgPoolConfig): PgPool {
  pg ??= require('pg') as PgModule;
  return new pg.Pool(config);
}

/** `pg-copy-streams`' `to(COPY … TO STDOUT)`. */
export function copyTo(text: string): PgCopyToStream {
  copy ??= require('pg-copy-streams') as CopyModule;
  return copy.to(text);
}

/** A `pg-cursor` returning rows as arrays of raw text (no value parsing). */
export function createCursor(text: string, values: readonly unknown[]): PgCursor {
  cursor ??= require('pg-cursor') as CursorCtor;
  return new cursor(text, values, {
    rowMode: 'array',
    types: { getTypeParser: () => (value: string) => value },
  });
}
