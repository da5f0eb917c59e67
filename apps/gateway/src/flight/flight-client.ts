/**
 * A small Flight SQL client on the same protocol definitions as the server:
 * what the tests drive the endpoint with, and a starting point for Spoke's
 * remote-gateway connector. Errors are grpc-js `ServiceError`s (`code`, `details`).
 */
import {
  type CallOptions,
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { arrow, type Schema, type Table } from '@spoke/core';
import type {
  ActionType,
  CancelStatus,
  CommandGetDbSchemas,
  CommandGetTables,
  FlightData,
  FlightDescriptor,
  FlightInfo,
  HandshakeMessage,
  PutResult,
  SchemaResult,
} from './flight-messages.js';
import {
  decodeMessage,
  encodeMessage,
  flightServiceDefinition,
  packAny,
  unpackAny,
} from './flight-protocol.js';
import { decodeSchema, flightDataToIpc, splitIpcStream } from './ipc-messages.js';

type Callback<T> = (error: ServiceError | null, value?: T) => void;

/** The generic client's methods, as `makeGenericClientConstructor` names them. */
interface FlightServiceClient extends Client {
  Handshake(
    metadata: Metadata,
    options?: CallOptions,
  ): ClientDuplexStream<HandshakeMessage, HandshakeMessage>;
  GetFlightInfo(request: FlightDescriptor, metadata: Metadata, callback: Callback<FlightInfo>): unknown;
  GetSchema(request: FlightDescriptor, metadata: Metadata, callback: Callback<SchemaResult>): unknown;
  DoGet(
    request: { ticket: Uint8Array },
    metadata: Metadata,
    options?: CallOptions,
  ): ClientReadableStream<FlightData>;
  DoPut(metadata: Metadata, options?: CallOptions): ClientDuplexStream<FlightData, PutResult>;
  DoAction(
    request: { type: string; body: Uint8Array },
    metadata: Metadata,
  ): ClientReadableStream<{ body: Buffer }>;
  ListActions(request: Record<string, never>, metadata: Metadata): ClientReadableStream<ActionType>;
}

/** A prepared statement as the server described it. */
export interface PreparedStatementHandle {
  readonly handle: Uint8Array;
  /** Absent when the server could not tell without parameters. */
  readonly datasetSchema: Schema | undefined;
  readonly parameterSchema: Schema | undefined;
}

function collect<T>(stream: ClientReadableStream<T> | ClientDuplexStream<unknown, T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    stream.on('data', (value: T) => out.push(value));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

/** A CMD descriptor carrying a Flight SQL command. */
export function commandDescriptor(shortName: string, command: Record<string, unknown>): FlightDescriptor {
  return { type: 'CMD', cmd: packAny(shortName, command), path: [] };
}

/** A Flight SQL client connection. */
export class FlightSqlClient {
  readonly #client: FlightServiceClient;
  #token: string | undefined;

  /** `address` is `host:port`; plaintext gRPC, or TLS trusting `rootCert` (PEM) when given. */
  constructor(address: string, options: { readonly rootCert?: Uint8Array } = {}) {
    const Constructor = makeGenericClientConstructor(flightServiceDefinition(), 'FlightService');
    const channel = options.rootCert
      ? credentials.createSsl(Buffer.from(options.rootCert))
      : credentials.createInsecure();
    this.#client = new Constructor(address, channel, {
      // Flight messages carry whole record batches: no 4 MiB cap.
      'grpc.max_receive_message_length': -1,
    }) as unknown as FlightServiceClient;
  }

  /** The bearer token from the last handshake. */
  get token(): string | undefined {
    return this.#token;
  }

  /** Uses `token` on later calls (or none). */
  set token(token: string | undefined) {
    this.#token = token;
  }

  /** Call metadata: the bearer token when there is one. */
  metadata(): Metadata {
    const metadata = new Metadata();
    if (this.#token) metadata.set('authorization', `Bearer ${this.#token}`);
    return metadata;
  }

  /**
   * Basic-auth handshake: credentials in the `authorization` header, or (`via:
   * 'payload'`) as a `BasicAuth` message; keeps and returns the bearer token.
   */
  async handshake(user: string, password: string, via: 'header' | 'payload' = 'header'): Promise<string> {
    const metadata = new Metadata();
    if (via === 'header')
      metadata.set('authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
    const call = this.#client.Handshake(metadata);
    const headers = new Promise<Metadata>((resolve) => call.once('metadata', resolve));
    const responses = collect(call);
    const payload =
      via === 'payload'
        ? encodeMessage('arrow.flight.protocol.BasicAuth', { username: user, password })
        : new Uint8Array(0);
    call.write({ protocol_version: 0, payload });
    call.end();
    const [answers, received] = await Promise.all([responses, headers]);
    const header = received.get('authorization')[0]?.toString() ?? '';
    const token =
      /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? Buffer.from(answers[0]?.payload ?? []).toString('utf8');
    this.#token = token;
    return token;
  }

  /** GetFlightInfo. */
  getFlightInfo(descriptor: FlightDescriptor): Promise<FlightInfo> {
    return new Promise((resolve, reject) =>
      this.#client.GetFlightInfo(descriptor, this.metadata(), (error, info) =>
        error ? reject(error) : resolve(info!),
      ),
    );
  }

  /** GetSchema, decoded. */
  getSchema(descriptor: FlightDescriptor): Promise<Schema> {
    return new Promise((resolve, reject) =>
      this.#client.GetSchema(descriptor, this.metadata(), (error, result) =>
        error ? reject(error) : resolve(decodeSchema(result!.schema)),
      ),
    );
  }

  /** DoGet as a gRPC stream of FlightData (cancel it with `.cancel()`). */
  doGetStream(ticket: Uint8Array): ClientReadableStream<FlightData> {
    return this.#client.DoGet({ ticket }, this.metadata());
  }

  /** DoGet, read to the end: the raw messages. */
  doGetMessages(ticket: Uint8Array): Promise<FlightData[]> {
    return collect(this.doGetStream(ticket));
  }

  /** DoGet, read into an Arrow table. */
  async doGet(ticket: Uint8Array): Promise<Table> {
    return arrow.tableFromIPC(flightDataToIpc(await this.doGetMessages(ticket)));
  }

  /** Redeems every endpoint of a FlightInfo, in order, into one table. */
  async fetch(info: FlightInfo): Promise<Table> {
    const messages: FlightData[] = [];
    for (const endpoint of info.endpoint) {
      const got = await this.doGetMessages(endpoint.ticket!.ticket);
      // One schema message opens the combined stream.
      messages.push(...(messages.length === 0 ? got : got.slice(1)));
    }
    return arrow.tableFromIPC(flightDataToIpc(messages));
  }

  /** Runs a SQL query: GetFlightInfo(CommandStatementQuery), then DoGet. */
  async execute(query: string): Promise<Table> {
    return this.fetch(await this.getFlightInfo(commandDescriptor('CommandStatementQuery', { query })));
  }

  /** DoAction, every result body. */
  doAction(type: string, body: Uint8Array): Promise<Uint8Array[]> {
    return collect(this.#client.DoAction({ type, body }, this.metadata())).then((results) =>
      results.map((r) => r.body),
    );
  }

  /** ListActions. */
  listActions(): Promise<ActionType[]> {
    return collect(this.#client.ListActions({}, this.metadata()));
  }

  /** The CreatePreparedStatement action. */
  async prepare(query: string): Promise<PreparedStatementHandle> {
    const [body] = await this.doAction(
      'CreatePreparedStatement',
      packAny('ActionCreatePreparedStatementRequest', { query }),
    );
    const result = decodeMessage<{
      prepared_statement_handle: Uint8Array;
      dataset_schema: Uint8Array;
      parameter_schema: Uint8Array;
    }>('arrow.flight.protocol.sql.ActionCreatePreparedStatementResult', unpackAny(body!).value);
    return {
      handle: result.prepared_statement_handle,
      datasetSchema: result.dataset_schema.byteLength ? decodeSchema(result.dataset_schema) : undefined,
      parameterSchema: result.parameter_schema.byteLength ? decodeSchema(result.parameter_schema) : undefined,
    };
  }

  /** Binds one row of parameters (a table with one column per `$n`) with DoPut. */
  async bind(handle: Uint8Array, parameters: Table): Promise<PutResult[]> {
    const call = this.#client.DoPut(this.metadata());
    const results = collect(call);
    const messages = splitIpcStream(arrow.tableToIPC(parameters, 'stream'));
    messages.forEach((message, i) => {
      call.write({
        ...(i === 0
          ? {
              flight_descriptor: commandDescriptor('CommandPreparedStatementQuery', {
                prepared_statement_handle: handle,
              }),
            }
          : {}),
        data_header: message.header,
        data_body: message.body,
      });
    });
    call.end();
    return results;
  }

  /** Runs a prepared statement: GetFlightInfo(CommandPreparedStatementQuery), then DoGet. */
  async executePrepared(handle: Uint8Array): Promise<Table> {
    return this.fetch(
      await this.getFlightInfo(
        commandDescriptor('CommandPreparedStatementQuery', { prepared_statement_handle: handle }),
      ),
    );
  }

  /** The ClosePreparedStatement action. */
  async closePrepared(handle: Uint8Array): Promise<void> {
    await this.doAction(
      'ClosePreparedStatement',
      packAny('ActionClosePreparedStatementRequest', { prepared_statement_handle: handle }),
    );
  }

  /** The CancelFlightInfo action. */
  async cancelFlightInfo(info: FlightInfo): Promise<CancelStatus> {
    const [body] = await this.doAction(
      'CancelFlightInfo',
      encodeMessage('arrow.flight.protocol.CancelFlightInfoRequest', { info }),
    );
    return decodeMessage<{ status: CancelStatus }>('arrow.flight.protocol.CancelFlightInfoResult', body!)
      .status;
  }

  /** The deprecated CancelQuery action. */
  async cancelQuery(info: FlightInfo): Promise<string> {
    const request = {
      info: encodeMessage('arrow.flight.protocol.FlightInfo', info as unknown as Record<string, unknown>),
    };
    const [body] = await this.doAction('CancelQuery', packAny('ActionCancelQueryRequest', request));
    return decodeMessage<{ result: string }>(
      'arrow.flight.protocol.sql.ActionCancelQueryResult',
      unpackAny(body!).value,
    ).result;
  }

  /** CommandGetCatalogs. */
  async getCatalogs(): Promise<Table> {
    return this.fetch(await this.getFlightInfo(commandDescriptor('CommandGetCatalogs', {})));
  }

  /** CommandGetDbSchemas. */
  async getDbSchemas(command: Partial<CommandGetDbSchemas> = {}): Promise<Table> {
    return this.fetch(await this.getFlightInfo(commandDescriptor('CommandGetDbSchemas', { ...command })));
  }

  /** CommandGetTables. */
  async getTables(command: Partial<CommandGetTables> = {}): Promise<Table> {
    return this.fetch(await this.getFlightInfo(commandDescriptor('CommandGetTables', { ...command })));
  }

  /** CommandGetSqlInfo. */
  async getSqlInfo(info: number[] = []): Promise<Table> {
    return this.fetch(await this.getFlightInfo(commandDescriptor('CommandGetSqlInfo', { info })));
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}
