/**
 * The Flight SQL client the connector talks through: Handshake (basic
 * credentials → bearer token) or a configured token, GetFlightInfo, streaming
 * DoGet, prepared statements with parameters bound by DoPut, CancelFlightInfo,
 * and the catalog commands. Every call can be cancelled through an
 * AbortSignal; failures become {@link SpokeError}s (see `flight-sql-errors.ts`).
 */
import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientUnaryCall,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { arrow, type RecordBatch, type ScalarValue, type Schema, SpokeError, type Table } from '@spoke/core';
import {
  batchFlightData,
  decodeSchema,
  type FlightData,
  parameterFlightData,
  recordBatchesOf,
  schemaFlightData,
  tableOf,
} from './flight-data.js';
import {
  decodeMessage,
  encodeMessage,
  flightServiceDefinition,
  packAny,
  unpackAny,
} from './flight-protocol.js';
import { remoteError } from './flight-sql-errors.js';

type Callback<T> = (error: ServiceError | null, value?: T) => void;

/** `arrow.flight.protocol.FlightDescriptor`. */
export interface FlightDescriptor {
  readonly type: 'CMD' | 'PATH' | 'UNKNOWN';
  readonly cmd: Uint8Array;
  readonly path: readonly string[];
}

/** `arrow.flight.protocol.FlightInfo`, as decoded. */
export interface FlightInfo {
  readonly schema: Uint8Array;
  readonly flight_descriptor?: FlightDescriptor | null;
  readonly endpoint: readonly {
    readonly ticket?: { readonly ticket: Uint8Array } | null;
    readonly location: readonly { readonly uri: string }[];
  }[];
  readonly total_records: number;
  readonly total_bytes: number;
}

interface FlightServiceClient extends Client {
  Handshake(metadata: Metadata, options?: CallOptions): ClientDuplexStream<unknown, { payload: Uint8Array }>;
  GetFlightInfo(
    request: FlightDescriptor,
    metadata: Metadata,
    callback: Callback<FlightInfo>,
  ): ClientUnaryCall;
  GetSchema(
    request: FlightDescriptor,
    metadata: Metadata,
    callback: Callback<{ schema: Uint8Array }>,
  ): ClientUnaryCall;
  DoGet(request: { ticket: Uint8Array }, metadata: Metadata): ClientReadableStream<FlightData>;
  DoPut(metadata: Metadata): ClientDuplexStream<FlightData, { app_metadata: Uint8Array }>;
  DoAction(
    request: { type: string; body: Uint8Array },
    metadata: Metadata,
  ): ClientReadableStream<{ body: Uint8Array }>;
}

/** How the client proves who it is. */
export type FlightSqlAuth =
  | { readonly username: string; readonly password: string }
  | { readonly token: string }
  | undefined;

/** Options for {@link FlightSqlClient}. */
export interface FlightSqlClientOptions {
  /** `host:port`. */
  readonly address: string;
  /** TLS; `ca` (PEM) replaces the system trust store when given. Plaintext when absent. */
  readonly tls?: { readonly ca?: Uint8Array };
  readonly auth?: FlightSqlAuth;
  /** The configured source name, for errors. */
  readonly sourceName: string;
  /** Time allowed for a catalog or handshake call, in ms. */
  readonly callTimeoutMs?: number;
}

/** A `FLIGHT_SQL_SERVER_NAME`… answer: the server's name and version. */
export interface ServerInfo {
  readonly name: string | undefined;
  readonly version: string | undefined;
}

/** The Flight action a Spoke gateway answers with the JSON of a statement's EXPLAIN. */
export const EXPLAIN_ACTION = 'spoke.explain';

/** What this connector reads of a Spoke peer's EXPLAIN. */
export interface RemotePlan {
  readonly sources: readonly { readonly estimatedRows?: number; readonly estimatedBytes?: number }[];
  readonly residualSql?: string;
  readonly cost?: number;
}

/** One table as `CommandGetTables` reports it. */
export interface RemoteTable {
  readonly catalog: string | null;
  readonly dbSchema: string | null;
  readonly name: string;
  readonly type: string;
  readonly schema: Schema;
}

function collect<T>(stream: ClientReadableStream<T> | ClientDuplexStream<unknown, T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    stream.on('data', (value: T) => out.push(value));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

function commandDescriptor(shortName: string, command: Record<string, unknown>): FlightDescriptor {
  return { type: 'CMD', cmd: packAny(shortName, command), path: [] };
}

/** What a client has done, for the gateway's `spoke_source_metric`. */
export interface FlightSqlCounters {
  /** Statements started (GetFlightInfo of a query). */
  statements: number;
  /** Arrow IPC bytes received from DoGet streams (headers and bodies). */
  bytes_received: number;
  /** Rows received from DoGet streams. */
  rows_received: number;
  /** CancelFlightInfo requests sent. */
  cancels_sent: number;
  /** Basic-auth handshakes done. */
  logins: number;
  /** Arrow IPC bytes and rows uploaded with DoPut (`CommandStatementIngest`, relations for one query). */
  bytes_sent: number;
  rows_sent: number;
}

/** Counts the bytes of each FlightData as it passes. */
async function* counted(
  messages: AsyncIterable<FlightData>,
  counters: FlightSqlCounters,
): AsyncGenerator<FlightData> {
  for await (const data of messages) {
    counters.bytes_received += (data.data_header?.byteLength ?? 0) + (data.data_body?.byteLength ?? 0);
    yield data;
  }
}

/** A connection to one Flight SQL server (a gRPC channel; calls are multiplexed on it). */
export class FlightSqlClient {
  /** Running totals since the client was created. */
  readonly counters: FlightSqlCounters = {
    statements: 0,
    bytes_received: 0,
    rows_received: 0,
    cancels_sent: 0,
    logins: 0,
    bytes_sent: 0,
    rows_sent: 0,
  };
  readonly #client: FlightServiceClient;
  /** Channels to the other locations endpoints named, by `tls:host:port`. */
  readonly #locations = new Map<string, FlightServiceClient>();
  readonly #options: FlightSqlClientOptions;
  #token: string | undefined;
  #login: Promise<void> | undefined;

  constructor(options: FlightSqlClientOptions) {
    this.#options = options;
    this.#client = this.#connect(options.address, options.tls);
    if (options.auth && 'token' in options.auth) this.#token = options.auth.token;
  }

  /** A channel to `address`, TLS trusting `tls.ca` when `tls` is given. */
  #connect(address: string, tls: { readonly ca?: Uint8Array } | undefined): FlightServiceClient {
    const Constructor = makeGenericClientConstructor(flightServiceDefinition(), 'FlightService');
    const channel: ChannelCredentials = tls
      ? credentials.createSsl(tls.ca ? Buffer.from(tls.ca) : null)
      : credentials.createInsecure();
    return new Constructor(address, channel, {
      // Flight messages carry whole record batches: no 4 MiB cap.
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    }) as unknown as FlightServiceClient;
  }

  #error(error: unknown, what: string): SpokeError {
    return remoteError(error, this.#options.sourceName, what);
  }

  #metadata(): Metadata {
    const metadata = new Metadata();
    if (this.#token) metadata.set('authorization', `Bearer ${this.#token}`);
    return metadata;
  }

  /** Logs in with the configured user and password (once; again after the token is refused). */
  async #authenticate(): Promise<void> {
    const auth = this.#options.auth;
    if (!auth || !('username' in auth)) return;
    this.#login ??= this.#handshake(auth.username, auth.password).catch((error: unknown) => {
      this.#login = undefined;
      throw this.#error(error, 'login failed');
    });
    return this.#login;
  }

  async #handshake(user: string, password: string): Promise<void> {
    this.counters.logins++;
    const metadata = new Metadata();
    metadata.set('authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
    const deadline = Date.now() + (this.#options.callTimeoutMs ?? 30_000);
    const call = this.#client.Handshake(metadata, { deadline });
    const headers = new Promise<Metadata>((resolve) => call.once('metadata', resolve));
    const responses = collect(call);
    call.write({
      protocol_version: 0,
      payload: encodeMessage('arrow.flight.protocol.BasicAuth', { username: user, password }),
    });
    call.end();
    const [answers, received] = await Promise.all([responses, headers]);
    const header = received.get('authorization')[0]?.toString() ?? '';
    this.#token =
      /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? Buffer.from(answers[0]?.payload ?? []).toString('utf8');
  }

  /** Runs a unary-ish call, logging in first and once more if the token was refused. */
  async #withLogin<T>(run: () => Promise<T>): Promise<T> {
    await this.#authenticate();
    try {
      return await run();
    } catch (error) {
      const auth = this.#options.auth;
      if ((error as ServiceError).code !== status.UNAUTHENTICATED || !auth || !('username' in auth))
        throw error;
      this.#login = undefined;
      await this.#authenticate();
      return run();
    }
  }

  /** GetFlightInfo; aborting `signal` cancels the call. */
  getFlightInfo(descriptor: FlightDescriptor, signal?: AbortSignal): Promise<FlightInfo> {
    return this.#withLogin(
      () =>
        new Promise<FlightInfo>((resolve, reject) => {
          const cancel = () => call.cancel();
          const call = this.#client.GetFlightInfo(descriptor, this.#metadata(), (error, info) => {
            signal?.removeEventListener('abort', cancel);
            if (error) reject(error);
            else resolve(info!);
          });
          signal?.addEventListener('abort', cancel, { once: true });
        }),
    );
  }

  /** DoGet on every endpoint of `info`, in order, decoded batch by batch. */
  async *doGet(info: FlightInfo, signal?: AbortSignal): AsyncGenerator<RecordBatch> {
    for (const endpoint of info.endpoint) {
      const ticket = endpoint.ticket?.ticket;
      if (!ticket) continue;
      // An endpoint may name where its data is (a distributed engine's workers): try each location in
      // order until one answers; none (or the reuse-connection URI) means this server.
      const clients = endpoint.location.length
        ? endpoint.location.map((l) => this.#clientAt(l.uri))
        : [this.#client];
      for (let i = 0; i < clients.length; i++) {
        const call = clients[i]!.DoGet({ ticket }, this.#metadata());
        const cancel = () => call.cancel();
        signal?.addEventListener('abort', cancel, { once: true });
        let finished = false;
        let received = false;
        try {
          for await (const batch of recordBatchesOf(counted(call, this.counters))) {
            received = true;
            this.counters.rows_received += batch.numRows;
            yield batch;
          }
          finished = true;
        } catch (error) {
          const unreachable = (error as ServiceError).code === status.UNAVAILABLE;
          if (!received && unreachable && i < clients.length - 1 && !signal?.aborted) continue;
          throw error;
        } finally {
          signal?.removeEventListener('abort', cancel);
          // A consumer that stopped early: stop the remote too.
          if (!finished) call.cancel();
        }
        break;
      }
    }
  }

  /** The client for a location URI: this connection, or one more channel with the same credentials. */
  #clientAt(uri: string): FlightServiceClient {
    if (uri === '' || uri.startsWith('arrow-flight-reuse-connection:')) return this.#client;
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw this.#error(
        new Error(`the server named an endpoint location that is not a URI: "${uri}"`),
        'query failed',
      );
    }
    const secure = url.protocol === 'grpc+tls:' || url.protocol === 'grpcs:';
    if (!secure && url.protocol !== 'grpc:' && url.protocol !== 'grpc+tcp:')
      throw this.#error(
        new Error(
          `the server named an endpoint location this connector cannot reach: "${uri}" (expected grpc:// or grpc+tls://)`,
        ),
        'query failed',
      );
    const address = `${url.hostname}:${url.port}`;
    if (address === this.#options.address) return this.#client;
    let client = this.#locations.get(`${secure}:${address}`);
    if (!client) {
      client = this.#connect(address, secure ? (this.#options.tls ?? {}) : undefined);
      this.#locations.set(`${secure}:${address}`, client);
    }
    return client;
  }

  /** DoAction, every result body; failures as SpokeErrors. */
  async doAction(type: string, body: Uint8Array): Promise<Uint8Array[]> {
    try {
      return await this.#withLogin(async () =>
        (await collect(this.#client.DoAction({ type, body }, this.#metadata()))).map((r) => r.body),
      );
    } catch (error) {
      throw this.#error(error, `${type} failed`);
    }
  }

  /** `CreatePreparedStatement`: the handle. */
  async prepare(query: string): Promise<Uint8Array> {
    const [body] = await this.doAction(
      'CreatePreparedStatement',
      packAny('ActionCreatePreparedStatementRequest', { query }),
    );
    if (!body) throw this.#error(new Error('CreatePreparedStatement answered nothing'), 'prepare failed');
    const result = decodeMessage<{ prepared_statement_handle: Uint8Array }>(
      'arrow.flight.protocol.sql.ActionCreatePreparedStatementResult',
      unpackAny(body).value,
    );
    return result.prepared_statement_handle;
  }

  /** Binds one row of parameters to a prepared statement with DoPut; answers the (possibly new) handle. */
  async bind(handle: Uint8Array, values: readonly ScalarValue[]): Promise<Uint8Array> {
    return this.#withLogin(async () => {
      const call = this.#client.DoPut(this.#metadata());
      const results = collect(call);
      parameterFlightData(values).forEach((data, i) => {
        call.write({
          ...data,
          ...(i === 0
            ? {
                flight_descriptor: commandDescriptor('CommandPreparedStatementQuery', {
                  prepared_statement_handle: handle,
                }),
              }
            : {}),
        });
      });
      call.end();
      // Servers may answer a new handle for the bound statement (DoPutPreparedStatementResult).
      for (const result of await results) {
        if (!result.app_metadata?.byteLength) continue;
        const answer = decodeMessage<{ prepared_statement_handle?: Uint8Array }>(
          'arrow.flight.protocol.sql.DoPutPreparedStatementResult',
          result.app_metadata,
        );
        if (answer.prepared_statement_handle?.byteLength) return answer.prepared_statement_handle;
      }
      return handle;
    });
  }

  /**
   * DoPut with `CommandStatementIngest` (`temporary`): streams `batches` to
   * the server as the relation `table`, batch by batch as they come (the
   * schema message first, from `schema` when there are no batches).
   * Answers the record count the server acknowledged and the Arrow bytes
   * sent. Aborting `signal` cancels the call; the server then drops what it
   * received.
   */
  async ingest(
    table: string,
    schema: Schema,
    batches: AsyncIterable<RecordBatch>,
    signal: AbortSignal,
    options: Readonly<Record<string, string>> = {},
  ): Promise<{ readonly rows: number; readonly bytes: number }> {
    if (signal.aborted) throw SpokeError.cancelled(signal);
    try {
      return await this.#withLogin(async () => {
        const call = this.#client.DoPut(this.#metadata());
        const cancel = () => call.cancel();
        signal.addEventListener('abort', cancel, { once: true });
        const results = collect(call);
        // The server may answer (an error) before the stream ends: don't leave it unobserved meanwhile.
        results.catch(() => {});
        let bytes = 0;
        let rows = 0;
        let first = true;
        const send = async (data: FlightData) => {
          const message = first
            ? {
                ...data,
                flight_descriptor: commandDescriptor('CommandStatementIngest', {
                  table_definition_options: { if_not_exist: 1, if_exists: 1 },
                  table,
                  temporary: true,
                  options,
                }),
              }
            : data;
          first = false;
          bytes += (data.data_header?.byteLength ?? 0) + (data.data_body?.byteLength ?? 0);
          // Backpressure: wait for the channel to drain when its buffer is full.
          if (!call.write(message)) await new Promise<void>((resolve) => call.once('drain', resolve));
        };
        try {
          let sentSchema = false;
          for await (const batch of batches) {
            if (signal.aborted) throw SpokeError.cancelled(signal);
            const messages = batchFlightData(batch);
            // Every batch is encoded as its own stream: its schema message goes once.
            for (const data of sentSchema ? messages.slice(1) : messages) await send(data);
            sentSchema = true;
            rows += batch.numRows;
          }
          if (!sentSchema) await send(schemaFlightData(schema));
          call.end();
        } catch (error) {
          call.cancel();
          throw error;
        } finally {
          signal.removeEventListener('abort', cancel);
        }
        const answers = await results;
        for (const answer of answers) {
          if (!answer.app_metadata?.byteLength) continue;
          const result = decodeMessage<{ record_count?: number | string }>(
            'arrow.flight.protocol.sql.DoPutUpdateResult',
            answer.app_metadata,
          );
          if (result.record_count !== undefined && Number(result.record_count) !== rows)
            throw new Error(`the server stored ${result.record_count} of ${rows} rows`);
        }
        this.counters.bytes_sent += bytes;
        this.counters.rows_sent += rows;
        return { rows, bytes };
      });
    } catch (error) {
      if (signal.aborted) throw SpokeError.cancelled(signal);
      throw this.#error(error, `upload of ${table} failed`);
    }
  }

  /** `ClosePreparedStatement`. */
  async closePrepared(handle: Uint8Array): Promise<void> {
    await this.doAction(
      'ClosePreparedStatement',
      packAny('ActionClosePreparedStatementRequest', { prepared_statement_handle: handle }),
    );
  }

  /** `CancelFlightInfo`: the remote stops the query behind `info` (and its own sources' queries). */
  async cancelFlightInfo(info: FlightInfo): Promise<string> {
    this.counters.cancels_sent++;
    const [body] = await this.doAction(
      'CancelFlightInfo',
      encodeMessage('arrow.flight.protocol.CancelFlightInfoRequest', { info }),
    );
    return body
      ? decodeMessage<{ status: string }>('arrow.flight.protocol.CancelFlightInfoResult', body).status
      : 'CANCEL_STATUS_UNSPECIFIED';
  }

  /**
   * Runs `query` and streams its batches: a plain statement without
   * parameters, a prepared statement with them bound otherwise. Aborting
   * `signal` cancels the DoGet and sends CancelFlightInfo, so the remote
   * stops too; a consumer that stops reading early does the same.
   */
  async *query(
    query: string,
    params: readonly ScalarValue[],
    signal: AbortSignal,
  ): AsyncGenerator<RecordBatch, void, undefined> {
    if (signal.aborted) throw SpokeError.cancelled(signal);
    let handle: Uint8Array | undefined;
    let info: FlightInfo | undefined;
    let cancelRemote = () => {};
    this.counters.statements++;
    try {
      try {
        if (params.length === 0) {
          info = await this.getFlightInfo(commandDescriptor('CommandStatementQuery', { query }), signal);
        } else {
          handle = await this.prepare(query);
          handle = await this.bind(handle, params);
          if (signal.aborted) throw SpokeError.cancelled(signal);
          info = await this.getFlightInfo(
            commandDescriptor('CommandPreparedStatementQuery', { prepared_statement_handle: handle }),
            signal,
          );
        }
      } catch (error) {
        if (signal.aborted) throw SpokeError.cancelled(signal);
        throw error;
      }
      const started = info;
      let done = false;
      cancelRemote = () => {
        if (!done) this.cancelFlightInfo(started).catch(() => {}); // finished or unknown: nothing to stop
      };
      signal.addEventListener('abort', cancelRemote, { once: true });
      try {
        for await (const batch of this.doGet(started, signal)) {
          if (signal.aborted) throw SpokeError.cancelled(signal);
          yield batch;
        }
        done = true;
      } catch (error) {
        if (signal.aborted) throw SpokeError.cancelled(signal);
        throw error;
      } finally {
        if (!done && !signal.aborted) cancelRemote();
        done = true;
      }
    } catch (error) {
      throw this.#error(error, 'query failed');
    } finally {
      signal.removeEventListener('abort', cancelRemote);
      if (handle) this.closePrepared(handle).catch(() => {}); // the remote expires it anyway
    }
  }

  /**
   * Runs a Flight SQL command (`CommandGetTables`…, by short name) to the end:
   * GetFlightInfo, then DoGet on its first endpoint, as a table with the
   * schema the DoGet stream declared.
   */
  async command(shortName: string, command: Record<string, unknown>): Promise<Table> {
    try {
      const info = await this.getFlightInfo(commandDescriptor(shortName, command));
      const ticket = info.endpoint[0]?.ticket?.ticket;
      if (!ticket) return new arrow.Table(decodeSchema(info.schema));
      return await this.#withLogin(() => tableOf(this.#client.DoGet({ ticket }, this.#metadata())));
    } catch (error) {
      throw this.#error(error, `${shortName} failed`);
    }
  }

  /**
   * A Spoke peer's plan for `query` (the `spoke.explain` action): the JSON of
   * its EXPLAIN, whose `sources[].estimatedRows`/`estimatedBytes` feed the cost model.
   */
  async explain(query: string): Promise<RemotePlan> {
    try {
      const [body] = await this.doAction(EXPLAIN_ACTION, Buffer.from(JSON.stringify({ query }), 'utf8'));
      return JSON.parse(Buffer.from(body ?? []).toString('utf8')) as RemotePlan;
    } catch (error) {
      throw this.#error(error, `${EXPLAIN_ACTION} failed`);
    }
  }

  /** `CommandGetSqlInfo` for `ids` (every id the server knows when empty). */
  sqlInfo(ids: readonly number[]): Promise<Table> {
    return this.command('CommandGetSqlInfo', { info: ids });
  }

  /** `CreatePreparedStatement`, GetFlightInfo and DoGet of a prepared statement without parameters. */
  async executePrepared(query: string): Promise<Table> {
    const handle = await this.prepare(query);
    try {
      return await this.command('CommandPreparedStatementQuery', { prepared_statement_handle: handle });
    } finally {
      await this.closePrepared(handle);
    }
  }

  /** `CommandGetSqlInfo` for the server's name and version. */
  async serverInfo(): Promise<ServerInfo> {
    const table = await this.sqlInfo([0, 1]);
    const names = table.getChild('info_name');
    const values = table.getChild('value');
    let name: string | undefined;
    let version: string | undefined;
    for (let i = 0; i < table.numRows; i++) {
      const value = values?.get(i);
      if (typeof value !== 'string') continue;
      if (Number(names?.get(i)) === 0) name = value;
      else if (Number(names?.get(i)) === 1) version = value;
    }
    return { name, version };
  }

  /** `CommandGetCatalogs`. */
  async catalogs(): Promise<string[]> {
    const table = await this.command('CommandGetCatalogs', {});
    return [...(table.getChild('catalog_name') ?? [])].map(String);
  }

  /** `CommandGetTables` with every table's Arrow schema. */
  async tables(command: Record<string, unknown> = {}): Promise<RemoteTable[]> {
    const table = await this.command('CommandGetTables', { ...command, include_schema: true });
    const out: RemoteTable[] = [];
    for (const row of table) {
      const r = row as unknown as {
        catalog_name: string | null;
        db_schema_name: string | null;
        table_name: string;
        table_type: string;
        table_schema?: Uint8Array | null;
      };
      const catalog = r.catalog_name ?? null;
      const dbSchema = r.db_schema_name ?? null;
      // Servers that ignore include_schema: ask for the schema of a SELECT * without running it.
      const schema = r.table_schema?.byteLength
        ? decodeSchema(r.table_schema)
        : await this.statementSchema(
            `SELECT * FROM ${[catalog, dbSchema, r.table_name]
              .filter((p): p is string => p !== null && p !== '')
              .map((p) => `"${p.replaceAll('"', '""')}"`)
              .join('.')}`,
          );
      out.push({ catalog, dbSchema, name: r.table_name, type: r.table_type, schema });
    }
    return out;
  }

  /** The result schema of `query` (GetSchema of a CommandStatementQuery: planned, not run). */
  async statementSchema(query: string): Promise<Schema> {
    try {
      return await this.#withLogin(
        () =>
          new Promise<Schema>((resolve, reject) =>
            this.#client.GetSchema(
              commandDescriptor('CommandStatementQuery', { query }),
              this.#metadata(),
              (error, result) => (error ? reject(error) : resolve(decodeSchema(result!.schema))),
            ),
          ),
      );
    } catch (error) {
      throw this.#error(error, 'GetSchema failed');
    }
  }

  /** `CommandGetDbSchemas` (with optional catalog and pattern). */
  async dbSchemas(
    command: Record<string, unknown> = {},
  ): Promise<{ catalog: string | null; name: string }[]> {
    const table = await this.command('CommandGetDbSchemas', command);
    return [...table].map((row) => {
      const r = row as unknown as { catalog_name: string | null; db_schema_name: string };
      return { catalog: r.catalog_name ?? null, name: r.db_schema_name };
    });
  }

  /** `CommandGetTableTypes`. */
  async tableTypes(): Promise<string[]> {
    const table = await this.command('CommandGetTableTypes', {});
    return [...(table.getChild('table_type') ?? [])].map(String);
  }

  /** The result schema of `info`. */
  static schemaOf(info: FlightInfo): Schema {
    return decodeSchema(info.schema);
  }

  /** Closes the channels. */
  close(): void {
    this.#client.close();
    for (const client of this.#locations.values()) client.close();
    this.#locations.clear();
  }
}
