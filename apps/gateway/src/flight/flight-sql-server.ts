/**
 * The Arrow Flight SQL endpoint: a gRPC server (`@grpc/grpc-js`) over the
 * query engine. Clients run a statement with GetFlightInfo (which starts it
 * and answers its schema and a ticket) then DoGet (which streams the rows as
 * Arrow IPC messages straight from the engine's record batches).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { arrow, type QueryContext, type RecordBatch, type Schema, SpokeError } from '@spoke/core';
import { type ParsedStatement, parseSql, type QueryEngine } from '@spoke/planner';
import { DEFAULT_MAX_QUERY_BYTES, oversizedBy, queryTooLarge } from '../service/query-size.js';
import { boundParameters } from './bound-parameters.js';
import {
  CATALOGS_SCHEMA,
  catalogsBatch,
  DB_SCHEMAS_SCHEMA,
  dbSchemasBatch,
  TABLE_TYPES_SCHEMA,
  tablesBatch,
  tablesSchema,
  tableTypesBatch,
} from './catalog-results.js';
import {
  basicCredentials,
  type Caller,
  type Credentials,
  TokenAuthenticator,
  type VerifyBearer,
  type VerifyPassword,
} from './flight-auth.js';
import type {
  Action,
  ActionClosePreparedStatementRequest,
  ActionCreatePreparedStatementRequest,
  ActionResult,
  ActionType,
  CancelFlightInfoRequest,
  CancelStatus,
  CommandGetDbSchemas,
  CommandGetSqlInfo,
  CommandGetTables,
  CommandPreparedStatementQuery,
  CommandStatementQuery,
  FlightData,
  FlightDescriptor,
  FlightInfo,
  HandshakeMessage,
  PutResult,
  SchemaResult,
  Ticket,
  TicketStatementQuery,
} from './flight-messages.js';
import {
  decodeMessage,
  decodeSql,
  encodeMessage,
  flightServiceDefinition,
  PROTO_DIR,
  packAny,
  unpackAny,
} from './flight-protocol.js';
import { FlightError, toGrpcError } from './flight-status.js';
import {
  batchFlightData,
  DEFAULT_MAX_BODY_BYTES,
  encodeSchema,
  flightDataToIpc,
  schemaFlightData,
} from './ipc-messages.js';
import { UPLOAD_SOURCE, uploadsOf } from './query-uploads.js';
import { SQL_INFO_SCHEMA, spokeSqlInfo, sqlInfoBatch } from './sql-info.js';
import { discardResult, type PreparedStatement, StatementRegistry } from './statement-registry.js';

/** Options for {@link startFlightServer}. */
export interface FlightServerOptions {
  readonly host: string;
  /** 0 picks a free port; read the actual one from the result. */
  readonly port: number;
  /** Where server-side failures are reported. */
  readonly log?: (message: string) => void;
  /**
   * Checks passwords at Handshake. Without it every caller is accepted, with
   * or without credentials: until the gateway has users, bind to loopback.
   */
  readonly verifyPassword?: VerifyPassword;
  /** Accepts bearer tokens this server did not issue (API keys, JWTs); without it only handshake tokens pass. */
  readonly verifyBearer?: VerifyBearer;
  /** Serve gRPC over TLS with this certificate and key (PEM files); plaintext without. */
  readonly tls?: { readonly cert: Uint8Array; readonly key: Uint8Array };
  /**
   * The engine one caller's queries go to (the gateway's query service, with
   * its limits and audit, as that caller); `engine` itself when absent.
   */
  readonly engineFor?: (caller: Caller) => QueryEngine;
  /** How long a ticket from GetFlightInfo may wait for its DoGet, in ms (default 5 minutes). */
  readonly ticketTtlMs?: number;
  /** A record batch body larger than this is sent as several (default 3 MiB: under gRPC's usual 4 MiB limit). */
  readonly maxBodyBytes?: number;
  /**
   * `limits.max_query_bytes`: a statement command with a longer query is
   * refused before anything parses it (SQLSTATE 54000; default
   * {@link DEFAULT_MAX_QUERY_BYTES}). The query service checks the statements it runs too.
   */
  readonly maxQueryBytes?: number;
}

/** A listening Flight server. */
export interface RunningFlightServer {
  readonly port: number;
  /** Statements started by GetFlightInfo and not yet fully streamed (or expired). */
  readonly runningStatements: number;
  /** Stops accepting, cancels running queries, and resolves once the server is down. */
  close(): Promise<void>;
}

/**
 * The Flight action a Spoke peer asks for a statement's plan with: what
 * another gateway's cost model reads row and byte estimates from.
 */
export const EXPLAIN_ACTION = 'spoke.explain';

/** The Flight action a Spoke peer drops the relation it uploaded for a query with. */
export const DROP_UPLOAD_ACTION = 'spoke.drop-upload';

/** Largest message accepted from clients (DoPut parameters, commands). */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

const ACTIONS: readonly ActionType[] = [
  {
    type: 'CreatePreparedStatement',
    description: 'Prepares a SQL query; answers its handle and result schema',
  },
  { type: 'ClosePreparedStatement', description: 'Releases a prepared statement' },
  { type: 'CancelFlightInfo', description: 'Cancels the query behind a FlightInfo' },
  { type: 'CancelQuery', description: 'Cancels the query behind a FlightInfo (deprecated form)' },
  {
    type: EXPLAIN_ACTION,
    description:
      'Spoke extension: the plan of a SELECT (body: UTF-8 JSON {"query": "..."}), answered as the JSON of ' +
      "EXPLAIN (sources with estimated rows and bytes, residual SQL, cost), under the caller's policies",
  },
  {
    type: DROP_UPLOAD_ACTION,
    description:
      'Spoke extension: drops a relation the caller uploaded with a temporary CommandStatementIngest (body: its name, UTF-8)',
  },
];

/** Whether a DoPut's descriptor is a bulk ingest (checked against the room for uploads as its rows arrive). */
function isIngest(descriptor: FlightDescriptor): boolean {
  try {
    return descriptor.type === 'CMD' && unpackAny(descriptor.cmd).shortName === 'CommandStatementIngest';
  } catch {
    return false;
  }
}

function serverVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(PROTO_DIR, '..', 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/** `$n` references in a parsed statement: the highest n. */
function parameterCount(statements: readonly ParsedStatement[]): number {
  let max = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) for (const item of node) visit(item);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'ParamRef') max = Math.max(max, Number((value as { number?: number }).number ?? 0));
        visit(value);
      }
    }
  };
  visit(statements.map((s) => s.node));
  return max;
}

/**
 * grpc-js reports a failed listen as "No address added … [listen EADDRINUSE …]"
 * without a `code`: lift the errno code out of the message so callers can
 * tell a taken port like they do for the other listeners.
 */
function withListenCode(error: Error): Error {
  const code = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL|ENOTFOUND)\b/.exec(error.message)?.[1];
  if (code && !(error as NodeJS.ErrnoException).code) (error as NodeJS.ErrnoException).code = code;
  return error;
}

function isCancelled(error: unknown): boolean {
  return SpokeError.isInstance(error) && error.code === 'QUERY_CANCELLED';
}

/**
 * Starts the Arrow Flight SQL endpoint over `engine`.
 *
 * - Handshake: basic credentials (header or `BasicAuth` payload) → a bearer token.
 * - GetFlightInfo / GetSchema / DoGet for `CommandStatementQuery`, `CommandPreparedStatementQuery`,
 *   `CommandGetCatalogs`, `CommandGetDbSchemas`, `CommandGetTables` (with `include_schema`),
 *   `CommandGetTableTypes`, `CommandGetSqlInfo`.
 * - DoAction: `CreatePreparedStatement`, `ClosePreparedStatement`, `CancelFlightInfo`, `CancelQuery`.
 * - DoPut with `CommandPreparedStatementQuery`: binds one row of parameters.
 *
 * Errors carry the gRPC status for their {@link SpokeError} code (see `flight-status.ts`).
 */
export async function startFlightServer(
  engine: QueryEngine,
  options: FlightServerOptions,
): Promise<RunningFlightServer> {
  const log = options.log ?? (() => {});
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const auth = new TokenAuthenticator(options.verifyPassword, options.verifyBearer);
  const registry = new StatementRegistry({
    ticketTtlMs: options.ticketTtlMs ?? 5 * 60_000,
    preparedIdleMs: 60 * 60_000,
    maxPrepared: 10_000,
  });
  const sqlInfo = spokeSqlInfo(serverVersion());
  const maxQueryBytes = options.maxQueryBytes ?? DEFAULT_MAX_QUERY_BYTES;
  /** Refuses a statement over `maxQueryBytes` before it is parsed or started. */
  function checkQuerySize(sql: string): void {
    const bytes = oversizedBy(sql, maxQueryBytes);
    if (bytes !== undefined) throw queryTooLarge(bytes, maxQueryBytes);
  }
  /** Relations peers upload for their queries (absent: the engine has no `spoke_upload` source). */
  const uploads = uploadsOf(engine);
  /** Controllers of every call in progress, so close() can cancel them. */
  const active = new Set<AbortController>();

  function fail(where: string, error: unknown): ReturnType<typeof toGrpcError> {
    const grpcError = toGrpcError(error);
    if (grpcError.code === status.INTERNAL) log(`flight ${where}: ${grpcError.details}`);
    return grpcError;
  }

  function engineOf(caller: Caller): QueryEngine {
    return options.engineFor ? options.engineFor(caller) : engine;
  }

  function contextOf(caller: Caller): { context: Partial<QueryContext> } {
    return {
      context: {
        ...(caller.user === undefined ? {} : { user: caller.user }),
        ...(caller.roles ? { roles: caller.roles } : {}),
        ...(caller.attributes ? { attributes: caller.attributes } : {}),
      },
    };
  }

  /**
   * Starts a statement and keeps it for the DoGet that will redeem the
   * returned ticket. `cancelled` is the GetFlightInfo call's: a client that
   * gives up while the statement starts (a source slow to answer its first
   * row) stops it there, since without a FlightInfo it cannot send CancelFlightInfo.
   */
  async function startStatement(
    sql: string,
    params: PreparedStatement['params'],
    caller: Caller,
    cancelled?: AbortSignal,
  ) {
    checkQuerySize(sql);
    const controller = new AbortController();
    const stop = () => controller.abort(cancelled?.reason);
    cancelled?.addEventListener('abort', stop, { once: true });
    let result: Awaited<ReturnType<QueryEngine['query']>>;
    try {
      result = await engineOf(caller).query(sql, {
        params,
        signal: controller.signal,
        ...contextOf(caller),
      });
    } finally {
      cancelled?.removeEventListener('abort', stop);
    }
    if (cancelled?.aborted) {
      await discardResult(result, controller, cancelled.reason);
      throw SpokeError.cancelled(cancelled);
    }
    const handle = registry.addRunning(result, controller, caller.user);
    return {
      schema: result.schema,
      ticket: packAny('TicketStatementQuery', { statement_handle: Buffer.from(handle, 'hex') }),
    };
  }

  /** The result schema of a statement, learnt by starting it and cancelling it at once. */
  async function statementSchema(
    sql: string,
    params: PreparedStatement['params'],
    caller: Caller,
  ): Promise<Schema> {
    checkQuerySize(sql);
    const controller = new AbortController();
    try {
      const result = await engineOf(caller).query(sql, {
        params,
        signal: controller.signal,
        ...contextOf(caller),
      });
      await discardResult(result, controller, new Error('only the schema was asked for'));
      return result.schema;
    } finally {
      controller.abort(new Error('only the schema was asked for'));
    }
  }

  /**
   * A temporary `CommandStatementIngest`: the rows become the relation
   * `spoke_upload.<table>` for the caller's next statements (see
   * `query-uploads.ts`). Answers the rows stored.
   */
  function ingest(value: Uint8Array, caller: Caller, messages: readonly FlightData[], bytes: number): number {
    if (!uploads)
      throw new FlightError(status.UNIMPLEMENTED, 'this gateway does not accept uploaded relations');
    const request = decodeSql<{ table: string; temporary?: boolean; schema?: string; catalog?: string }>(
      'CommandStatementIngest',
      value,
    );
    if (!request.temporary)
      throw new FlightError(
        status.UNIMPLEMENTED,
        'Spoke accepts temporary ingests only (relations for one query): set CommandStatementIngest.temporary',
      );
    if ((request.schema ?? '') !== '' || (request.catalog ?? '') !== '')
      throw new FlightError(
        status.INVALID_ARGUMENT,
        `temporary relations live in ${UPLOAD_SOURCE}: leave CommandStatementIngest.schema and catalog unset`,
      );
    uploads.checkName(request.table);
    const table = arrow.tableFromIPC(flightDataToIpc(messages));
    uploads.add(request.table, caller.user, table, bytes);
    return table.numRows;
  }

  function flightInfo(descriptor: FlightDescriptor, schema: Schema, ticket: Uint8Array): FlightInfo {
    return {
      schema: encodeSchema(schema),
      flight_descriptor: descriptor,
      endpoint: [{ ticket: { ticket }, location: [] }],
      total_records: -1,
      total_bytes: -1,
      ordered: false,
    };
  }

  /** Reads FlightDescriptor.cmd; PATH descriptors name no Flight SQL command. */
  function commandOf(descriptor: FlightDescriptor) {
    if (descriptor.type !== 'CMD')
      throw new FlightError(
        status.INVALID_ARGUMENT,
        'expected a CMD descriptor carrying a Flight SQL command',
      );
    const any = unpackAny(descriptor.cmd);
    if (any.shortName === undefined)
      throw new FlightError(status.INVALID_ARGUMENT, `not a Flight SQL command: "${any.typeUrl}"`);
    return any;
  }

  function preparedOf(value: Uint8Array, caller: Caller): PreparedStatement {
    const command = decodeSql<CommandPreparedStatementQuery>('CommandPreparedStatementQuery', value);
    return registry.prepared(Buffer.from(command.prepared_statement_handle).toString('hex'), caller.user);
  }

  function checkParameters(prepared: PreparedStatement): void {
    if (prepared.parameterCount > 0 && prepared.params.length === 0)
      throw new FlightError(
        status.INVALID_ARGUMENT,
        `the prepared statement has ${prepared.parameterCount} parameter(s): bind them with DoPut first`,
      );
  }

  /** The schema of a metadata command's answer, or undefined when `shortName` is not one. */
  function metadataSchema(shortName: string, value: Uint8Array): Schema | undefined {
    switch (shortName) {
      case 'CommandGetCatalogs':
        return CATALOGS_SCHEMA;
      case 'CommandGetDbSchemas':
        return DB_SCHEMAS_SCHEMA;
      case 'CommandGetTables':
        return tablesSchema(decodeSql<CommandGetTables>('CommandGetTables', value).include_schema);
      case 'CommandGetTableTypes':
        return TABLE_TYPES_SCHEMA;
      case 'CommandGetSqlInfo':
        return SQL_INFO_SCHEMA;
      default:
        return undefined;
    }
  }

  async function metadataBatch(
    shortName: string,
    value: Uint8Array,
    caller: Caller,
    signal: AbortSignal,
  ): Promise<RecordBatch> {
    switch (shortName) {
      case 'CommandGetCatalogs':
        return catalogsBatch(await engineOf(caller).catalog(signal));
      case 'CommandGetDbSchemas':
        return dbSchemasBatch(
          await engineOf(caller).catalog(signal),
          decodeSql<CommandGetDbSchemas>(shortName, value),
        );
      case 'CommandGetTables':
        return tablesBatch(
          await engineOf(caller).catalog(signal),
          decodeSql<CommandGetTables>(shortName, value),
        );
      case 'CommandGetTableTypes':
        return tableTypesBatch();
      case 'CommandGetSqlInfo':
        return sqlInfoBatch(sqlInfo, decodeSql<CommandGetSqlInfo>(shortName, value).info);
      default:
        throw new FlightError(status.UNIMPLEMENTED, `Flight SQL ticket ${shortName} is not supported`);
    }
  }

  /** Writes FlightData, waiting while the client is slow; stops when the call is cancelled. */
  async function send(
    call: ServerWritableStream<unknown, FlightData>,
    data: FlightData,
    signal: AbortSignal,
  ) {
    if (signal.aborted) throw SpokeError.cancelled(signal);
    if (!call.write(data)) {
      try {
        await once(call, 'drain', { signal });
      } catch {
        throw SpokeError.cancelled(signal);
      }
    }
  }

  async function streamBatches(
    call: ServerWritableStream<unknown, FlightData>,
    schema: Schema,
    batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
    signal: AbortSignal,
  ): Promise<void> {
    await send(call, schemaFlightData(schema), signal);
    for await (const batch of batches) {
      if (signal.aborted) throw SpokeError.cancelled(signal);
      for (const data of batchFlightData(batch, schema, maxBodyBytes)) await send(call, data, signal);
    }
  }

  /** Runs a call body with a controller that a client cancel or server close aborts. */
  function tracked(call: { on(event: 'cancelled', listener: () => void): unknown }): AbortController {
    const controller = new AbortController();
    active.add(controller);
    call.on('cancelled', () => controller.abort(new Error('the client cancelled the call')));
    return controller;
  }

  const implementation: UntypedServiceImplementation = {
    Handshake(call: ServerDuplexStream<HandshakeMessage, HandshakeMessage>) {
      let answered = false;
      const answer = (credentials: Credentials | undefined) => {
        if (answered) return;
        answered = true;
        (async () => {
          if (!credentials && auth.required)
            throw new FlightError(status.UNAUTHENTICATED, 'send basic credentials to authenticate');
          const token = await auth.login(credentials ?? { user: '', password: '' }, call.getPeer());
          const metadata = new Metadata();
          metadata.set('authorization', `Bearer ${token}`);
          call.sendMetadata(metadata);
          call.write({ protocol_version: 0, payload: Buffer.from(token, 'utf8') });
          call.end();
        })().catch((error: unknown) => call.emit('error', fail('Handshake', error)));
      };
      call.on('error', () => {});
      const basic = basicCredentials(call.metadata);
      if (basic) {
        call.on('data', () => {});
        answer(basic);
        return;
      }
      call.on('data', (request: HandshakeMessage) => {
        if (answered) return;
        let credentials: Credentials | undefined;
        if (request.payload.byteLength > 0) {
          try {
            const message = decodeMessage<{ username: string; password: string }>(
              'arrow.flight.protocol.BasicAuth',
              request.payload,
            );
            credentials = { user: message.username, password: message.password };
          } catch {
            credentials = undefined;
          }
        }
        answer(credentials);
      });
      call.on('end', () => answer(undefined));
    },

    ListFlights(call: ServerWritableStream<unknown, FlightInfo>) {
      auth.authenticate(call.metadata, call.getPeer()).then(
        () => call.end(),
        (error: unknown) => call.emit('error', fail('ListFlights', error)),
      );
    },

    GetFlightInfo(call: ServerUnaryCall<FlightDescriptor, FlightInfo>, callback: sendUnaryData<FlightInfo>) {
      const controller = tracked(call);
      (async () => {
        const caller = await auth.authenticate(call.metadata, call.getPeer());
        const descriptor = call.request;
        const command = commandOf(descriptor);
        switch (command.shortName) {
          case 'CommandStatementQuery': {
            const { query } = decodeSql<CommandStatementQuery>(command.shortName, command.value);
            const started = await startStatement(query, [], caller, controller.signal);
            return flightInfo(descriptor, started.schema, started.ticket);
          }
          case 'CommandPreparedStatementQuery': {
            const prepared = preparedOf(command.value, caller);
            checkParameters(prepared);
            const started = await startStatement(prepared.sql, prepared.params, caller, controller.signal);
            return flightInfo(descriptor, started.schema, started.ticket);
          }
          default: {
            const schema = metadataSchema(command.shortName!, command.value);
            if (!schema)
              throw new FlightError(
                status.UNIMPLEMENTED,
                `Flight SQL command ${command.shortName} is not supported`,
              );
            // Metadata is computed when the ticket is redeemed: the ticket is the command itself.
            return flightInfo(descriptor, schema, descriptor.cmd);
          }
        }
      })()
        .then(
          (info) => callback(null, info),
          (error: unknown) => callback(fail('GetFlightInfo', error)),
        )
        .finally(() => active.delete(controller));
    },

    PollFlightInfo(_call: ServerUnaryCall<FlightDescriptor, unknown>, callback: sendUnaryData<unknown>) {
      callback({ code: status.UNIMPLEMENTED, details: 'PollFlightInfo is not supported: use GetFlightInfo' });
    },

    GetSchema(call: ServerUnaryCall<FlightDescriptor, SchemaResult>, callback: sendUnaryData<SchemaResult>) {
      (async () => {
        const caller = await auth.authenticate(call.metadata, call.getPeer());
        const command = commandOf(call.request);
        switch (command.shortName) {
          case 'CommandStatementQuery': {
            const { query } = decodeSql<CommandStatementQuery>(command.shortName, command.value);
            return encodeSchema(await statementSchema(query, [], caller));
          }
          case 'CommandPreparedStatementQuery': {
            const prepared = preparedOf(command.value, caller);
            if (prepared.params.length === 0 && prepared.datasetSchema)
              return encodeSchema(prepared.datasetSchema);
            checkParameters(prepared);
            return encodeSchema(await statementSchema(prepared.sql, prepared.params, caller));
          }
          default: {
            const schema = metadataSchema(command.shortName!, command.value);
            if (!schema)
              throw new FlightError(
                status.UNIMPLEMENTED,
                `Flight SQL command ${command.shortName} is not supported`,
              );
            return encodeSchema(schema);
          }
        }
      })().then(
        (schema) => callback(null, { schema }),
        (error: unknown) => callback(fail('GetSchema', error)),
      );
    },

    DoGet(call: ServerWritableStream<Ticket, FlightData>) {
      const controller = tracked(call);
      let handle: string | undefined;
      (async () => {
        const caller = await auth.authenticate(call.metadata, call.getPeer());
        const ticket = unpackAny(call.request.ticket);
        if (ticket.shortName === 'TicketStatementQuery') {
          const { statement_handle } = decodeSql<TicketStatementQuery>(ticket.shortName, ticket.value);
          handle = Buffer.from(statement_handle).toString('hex');
          const statement = registry.redeem(handle, caller.user);
          // Either side may stop the query: the client (cancel / CancelFlightInfo) or the server (close).
          const stop = () => statement.controller.abort(controller.signal.reason);
          controller.signal.addEventListener('abort', stop, { once: true });
          await streamBatches(
            call,
            statement.result.schema,
            statement.result.batches,
            statement.controller.signal,
          );
          return;
        }
        if (ticket.shortName === undefined)
          throw new FlightError(status.INVALID_ARGUMENT, 'not a Flight SQL ticket');
        const schema = metadataSchema(ticket.shortName, ticket.value);
        if (!schema)
          throw new FlightError(
            status.UNIMPLEMENTED,
            `Flight SQL ticket ${ticket.shortName} is not supported`,
          );
        const batch = await metadataBatch(ticket.shortName, ticket.value, caller, controller.signal);
        await streamBatches(call, schema, [batch], controller.signal);
      })()
        .then(
          () => call.end(),
          (error: unknown) => {
            if (call.cancelled) return; // nobody is listening
            call.emit('error', isCancelled(error) ? toGrpcError(error) : fail('DoGet', error));
          },
        )
        .finally(() => {
          if (handle !== undefined) registry.finish(handle);
          active.delete(controller);
        });
    },

    DoPut(call: ServerDuplexStream<FlightData, PutResult>) {
      const controller = tracked(call);
      const messages: FlightData[] = [];
      let descriptor: FlightDescriptor | null | undefined;
      /** Bytes received so far; an upload over the gateway's room is refused as it arrives, not at its end. */
      let received = 0;
      let refused: unknown;
      call.on('data', (data: FlightData) => {
        if (refused) return;
        descriptor ??= data.flight_descriptor;
        received += (data.data_header?.byteLength ?? 0) + (data.data_body?.byteLength ?? 0);
        messages.push(data);
        if (uploads && descriptor && isIngest(descriptor)) {
          try {
            uploads.checkRoom(received);
          } catch (error) {
            refused = error;
            messages.length = 0;
            call.emit('error', fail('DoPut', error));
          }
        }
      });
      call.on('error', () => {});
      call.on('end', () => {
        if (refused) return;
        (async () => {
          const caller = await auth.authenticate(call.metadata, call.getPeer());
          if (!descriptor)
            throw new FlightError(status.INVALID_ARGUMENT, 'the first FlightData must carry a descriptor');
          const command = commandOf(descriptor);
          if (
            command.shortName === 'CommandStatementUpdate' ||
            command.shortName === 'CommandPreparedStatementUpdate'
          )
            throw new FlightError(status.UNIMPLEMENTED, 'Spoke runs queries: updates are not supported');
          if (command.shortName === 'CommandStatementIngest') {
            const count = ingest(command.value, caller, messages, received);
            call.write({
              app_metadata: encodeMessage('arrow.flight.protocol.sql.DoPutUpdateResult', {
                record_count: count,
              }),
            });
            return;
          }
          if (command.shortName !== 'CommandPreparedStatementQuery')
            throw new FlightError(status.UNIMPLEMENTED, `DoPut with ${command.shortName} is not supported`);
          const prepared = preparedOf(command.value, caller);
          const table = arrow.tableFromIPC(flightDataToIpc(messages));
          prepared.params = boundParameters(table, prepared.parameterCount);
          const result = encodeMessage('arrow.flight.protocol.sql.DoPutPreparedStatementResult', {
            prepared_statement_handle: Buffer.from(prepared.handle, 'hex'),
          });
          call.write({ app_metadata: result });
        })()
          .then(
            () => call.end(),
            (error: unknown) => call.emit('error', fail('DoPut', error)),
          )
          .finally(() => active.delete(controller));
      });
    },

    DoExchange(call: ServerDuplexStream<FlightData, FlightData>) {
      call.on('data', () => {});
      call.on('error', () => {});
      call.emit('error', { code: status.UNIMPLEMENTED, details: 'DoExchange is not supported' });
    },

    DoAction(call: ServerWritableStream<Action, ActionResult>) {
      (async () => {
        const caller = await auth.authenticate(call.metadata, call.getPeer());
        const { type, body } = call.request;
        switch (type) {
          case 'CreatePreparedStatement': {
            const any = unpackAny(body);
            const request = decodeSql<ActionCreatePreparedStatementRequest>(
              'ActionCreatePreparedStatementRequest',
              any.value,
            );
            checkQuerySize(request.query);
            const count = parameterCount(await parseSql(request.query));
            const schema = count === 0 ? await statementSchema(request.query, [], caller) : undefined;
            const prepared = registry.prepare(request.query, count, schema, caller.user);
            const parameters = new arrow.Schema(
              Array.from({ length: count }, (_, i) => new arrow.Field(`$${i + 1}`, new arrow.Null(), true)),
            );
            call.write({
              body: packAny('ActionCreatePreparedStatementResult', {
                prepared_statement_handle: Buffer.from(prepared.handle, 'hex'),
                dataset_schema: schema ? encodeSchema(schema) : new Uint8Array(0),
                parameter_schema: count > 0 ? encodeSchema(parameters) : new Uint8Array(0),
              }),
            });
            return;
          }
          case 'ClosePreparedStatement': {
            const any = unpackAny(body);
            const request = decodeSql<ActionClosePreparedStatementRequest>(
              'ActionClosePreparedStatementRequest',
              any.value,
            );
            registry.closePrepared(
              Buffer.from(request.prepared_statement_handle).toString('hex'),
              caller.user,
            );
            return;
          }
          case 'CancelFlightInfo': {
            const request = decodeMessage<CancelFlightInfoRequest>(
              'arrow.flight.protocol.CancelFlightInfoRequest',
              body,
            );
            const outcome = cancelInfo(request.info, caller);
            call.write({
              body: encodeMessage('arrow.flight.protocol.CancelFlightInfoResult', { status: outcome }),
            });
            return;
          }
          case 'CancelQuery': {
            const any = unpackAny(body);
            const request = decodeSql<{ info: Uint8Array }>('ActionCancelQueryRequest', any.value);
            const info = decodeMessage<FlightInfo>('arrow.flight.protocol.FlightInfo', request.info);
            const outcome = cancelInfo(info, caller).replace('CANCEL_STATUS_', 'CANCEL_RESULT_');
            call.write({ body: packAny('ActionCancelQueryResult', { result: outcome }) });
            return;
          }
          case DROP_UPLOAD_ACTION: {
            const name = Buffer.from(body).toString('utf8');
            const dropped = uploads?.drop(name, caller.user) ?? false;
            call.write({ body: Buffer.from(dropped ? 'dropped' : 'not found', 'utf8') });
            return;
          }
          case EXPLAIN_ACTION: {
            let query: unknown;
            try {
              query = (JSON.parse(Buffer.from(body).toString('utf8')) as { query?: unknown }).query;
            } catch {
              query = undefined;
            }
            if (typeof query !== 'string')
              throw new FlightError(
                status.INVALID_ARGUMENT,
                `${EXPLAIN_ACTION}: send {"query": "SELECT …"} as JSON`,
              );
            checkQuerySize(query);
            const plan = await engineOf(caller).explain(query, contextOf(caller));
            // Bound values in the plan may be bigints: JSON carries them as text.
            const json = JSON.stringify(plan, (_key, value: unknown) =>
              typeof value === 'bigint' ? value.toString() : value,
            );
            call.write({ body: Buffer.from(json, 'utf8') });
            return;
          }
          default:
            throw new FlightError(status.UNIMPLEMENTED, `action "${type}" is not supported`);
        }
      })().then(
        () => call.end(),
        (error: unknown) => call.emit('error', fail('DoAction', error)),
      );
    },

    ListActions(call: ServerWritableStream<unknown, ActionType>) {
      auth.authenticate(call.metadata, call.getPeer()).then(
        () => {
          for (const action of ACTIONS) call.write(action);
          call.end();
        },
        (error: unknown) => call.emit('error', fail('ListActions', error)),
      );
    },
  };

  /** Cancels the statements behind a FlightInfo's tickets. */
  function cancelInfo(info: FlightInfo | null, caller: Caller): CancelStatus {
    let found = false;
    let metadataOnly = false;
    for (const endpoint of info?.endpoint ?? []) {
      const bytes = endpoint.ticket?.ticket;
      if (!bytes || bytes.byteLength === 0) continue;
      const ticket = unpackAny(bytes);
      if (ticket.shortName !== 'TicketStatementQuery') {
        metadataOnly = true;
        continue;
      }
      const { statement_handle } = decodeSql<TicketStatementQuery>(ticket.shortName, ticket.value);
      if (registry.cancel(Buffer.from(statement_handle).toString('hex'), caller.user)) found = true;
    }
    if (found) return 'CANCEL_STATUS_CANCELLED';
    if (metadataOnly) return 'CANCEL_STATUS_NOT_CANCELLABLE';
    throw new FlightError(
      status.NOT_FOUND,
      'no running query for this FlightInfo (finished, cancelled or unknown)',
    );
  }

  const server = new Server({
    'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    'grpc.max_send_message_length': -1,
  });
  server.addService(flightServiceDefinition(), implementation);
  const hostInAddress = options.host.includes(':') ? `[${options.host}]` : options.host;
  const credentials = options.tls
    ? ServerCredentials.createSsl(
        null,
        [{ cert_chain: Buffer.from(options.tls.cert), private_key: Buffer.from(options.tls.key) }],
        false,
      )
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${hostInAddress}:${options.port}`, credentials, (error, bound) =>
      error ? reject(withListenCode(error)) : resolve(bound),
    );
  });
  let closing: Promise<void> | undefined;
  return {
    port,
    get runningStatements() {
      return registry.runningCount;
    },
    close() {
      closing ??= (async () => {
        registry.closeAll();
        for (const controller of active) controller.abort(new Error('server shutting down'));
        await new Promise<void>((resolve) => {
          // Give cancelled calls a moment to send their status, then cut what is left.
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2000);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      })();
      return closing;
    },
  };
}
