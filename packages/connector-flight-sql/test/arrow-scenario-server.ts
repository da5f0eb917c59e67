/**
 * A stand-in Flight SQL server for the Arrow project's `flight_sql`
 * integration scenario (apache/arrow cpp/src/arrow/flight/integration_tests:
 * `FlightSqlScenarioServer`), ported: it checks each request the way the
 * scenario's server does (exact query text, catalog filters, table types,
 * SqlInfo ids, prepared-statement handles) and answers the scenario's
 * schemas with no rows. Requests that do not match fail with
 * INVALID_ARGUMENT naming what was expected, as the scenario's `AssertEq` does.
 *
 * Beside the scenario, it serves a small non-Spoke catalog (`catalog` mode),
 * so the connector's generic path (ANSI SQL, three-part names) is exercised
 * against a server that is not Spoke: the SQL it receives is recorded.
 */
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { arrow, type Schema, type Table } from '@spoke/core';
import {
  decodeMessage,
  encodeMessage,
  encodeSchema,
  type FlightDescriptor,
  flightServiceDefinition,
  packAny,
  tableFlightData,
  unpackAny,
} from '../src/index.js';

const utf8 = (name: string, nullable: boolean) => new arrow.Field(name, new arrow.Utf8(), nullable);

/** The schemas the specification fixes for each command (Arrow's `SqlSchema`). */
export const SCENARIO_SCHEMAS = {
  query: new arrow.Schema([new arrow.Field('id', new arrow.Int64(), true)]),
  catalogs: new arrow.Schema([utf8('catalog_name', false)]),
  dbSchemas: new arrow.Schema([utf8('catalog_name', true), utf8('db_schema_name', false)]),
  tables: new arrow.Schema([
    utf8('catalog_name', true),
    utf8('db_schema_name', true),
    utf8('table_name', false),
    utf8('table_type', false),
    new arrow.Field('table_schema', new arrow.Binary(), false),
  ]),
  tableTypes: new arrow.Schema([utf8('table_type', false)]),
  sqlInfo: new arrow.Schema([
    new arrow.Field('info_name', new arrow.Uint32(), false),
    new arrow.Field(
      'value',
      new arrow.DenseUnion(
        [0, 1, 2, 3],
        [
          utf8('string_value', true),
          new arrow.Field('bool_value', new arrow.Bool(), true),
          new arrow.Field('bigint_value', new arrow.Int64(), true),
          new arrow.Field('int32_bitmask', new arrow.Int32(), true),
        ],
      ),
      false,
    ),
  ]),
} as const;

/** The generic catalog's one table. */
export const ORDERS_SCHEMA: Schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('amount', new arrow.Float64(), true),
]);

/** Its rows. */
export const ORDERS: Table = arrow.tableFromArrays({
  id: BigInt64Array.from([1n, 2n, 3n, 4n]),
  amount: Float64Array.from([1.5, 2.5, 3.5, 4.5]),
});

class Mismatch extends Error {}

function expect<T>(what: string, expected: T, actual: T): void {
  if (JSON.stringify(expected) !== JSON.stringify(actual))
    throw new Mismatch(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** A running stand-in. */
export interface ScenarioServer {
  readonly url: string;
  /** Every SQL text received (statements and prepared). */
  readonly queries: string[];
  close(): Promise<void>;
}

/** `scenario`: the Arrow scenario's checks; `catalog`: a small generic server with one table. */
/** Options for {@link startScenarioServer}. */
export interface ScenarioServerOptions {
  /** Tickets and their answers, shared with other stand-ins (a "worker" serving endpoints elsewhere). */
  readonly answers?: Map<string, Table>;
  /**
   * Catalog mode: answer statements as two endpoints, the first here, the
   * second at these locations (tried in order), as a distributed engine does.
   */
  readonly secondEndpointAt?: readonly string[];
  /** Catalog mode: ignore include_schema (no table_schema column); answer GetSchema of `SELECT *` instead. */
  readonly withoutTableSchemas?: boolean;
}

export async function startScenarioServer(
  mode: 'scenario' | 'catalog',
  options: ScenarioServerOptions = {},
): Promise<ScenarioServer> {
  const queries: string[] = [];
  const answers = options.answers ?? new Map<string, Table>();

  function info(descriptor: FlightDescriptor, schema: Schema, ticket: Uint8Array) {
    return {
      schema: encodeSchema(schema),
      flight_descriptor: descriptor,
      endpoint: [{ ticket: { ticket }, location: [] }],
      total_records: -1,
      total_bytes: -1,
    };
  }

  function empty(schema: Schema): Table {
    return new arrow.Table(schema);
  }

  function catalogAnswer(shortName: string, value: Uint8Array): { schema: Schema; table: Table } {
    const sql = (name: string) =>
      decodeMessage<Record<string, unknown>>(`arrow.flight.protocol.sql.${name}`, value);
    switch (shortName) {
      case 'CommandGetCatalogs':
        return {
          schema: SCENARIO_SCHEMAS.catalogs,
          table:
            mode === 'scenario'
              ? empty(SCENARIO_SCHEMAS.catalogs)
              : arrow.tableFromArrays({ catalog_name: ['cat'] }),
        };
      case 'CommandGetDbSchemas': {
        const command = sql('CommandGetDbSchemas');
        if (mode === 'scenario') {
          expect('catalog', 'catalog', command.catalog);
          expect('db_schema_filter_pattern', 'db_schema_filter_pattern', command.db_schema_filter_pattern);
        }
        return { schema: SCENARIO_SCHEMAS.dbSchemas, table: empty(SCENARIO_SCHEMAS.dbSchemas) };
      }
      case 'CommandGetTables': {
        const command = sql('CommandGetTables');
        if (mode === 'scenario') {
          expect('catalog', 'catalog', command.catalog);
          expect('db_schema_filter_pattern', 'db_schema_filter_pattern', command.db_schema_filter_pattern);
          expect('table_name_filter_pattern', 'table_filter_pattern', command.table_name_filter_pattern);
          expect('table_types', ['table', 'view'], command.table_types);
          expect('include_schema', true, command.include_schema);
          return { schema: SCENARIO_SCHEMAS.tables, table: empty(SCENARIO_SCHEMAS.tables) };
        }
        expect('include_schema', true, command.include_schema);
        if (options.withoutTableSchemas) {
          // A server that ignores include_schema: the four columns only.
          const table = arrow.tableFromArrays({
            catalog_name: ['cat'],
            db_schema_name: ['sales'],
            table_name: ['orders'],
            table_type: ['TABLE'],
          });
          return { schema: table.schema, table };
        }
        const data = arrow.makeData({
          type: new arrow.Struct(SCENARIO_SCHEMAS.tables.fields),
          length: 1,
          nullCount: 0,
          children: [
            arrow.vectorFromArray(['cat'], new arrow.Utf8()).data[0]!,
            arrow.vectorFromArray(['sales'], new arrow.Utf8()).data[0]!,
            arrow.vectorFromArray(['orders'], new arrow.Utf8()).data[0]!,
            arrow.vectorFromArray(['TABLE'], new arrow.Utf8()).data[0]!,
            arrow.vectorFromArray([encodeSchema(ORDERS_SCHEMA)], new arrow.Binary()).data[0]!,
          ],
        });
        return {
          schema: SCENARIO_SCHEMAS.tables,
          table: new arrow.Table([new arrow.RecordBatch(SCENARIO_SCHEMAS.tables, data)]),
        };
      }
      case 'CommandGetTableTypes':
        return { schema: SCENARIO_SCHEMAS.tableTypes, table: empty(SCENARIO_SCHEMAS.tableTypes) };
      case 'CommandGetSqlInfo': {
        const command = sql('CommandGetSqlInfo');
        // FLIGHT_SQL_SERVER_NAME, FLIGHT_SQL_SERVER_READ_ONLY in the scenario; the connector asks name and version.
        if (mode === 'scenario') expect('info', [0, 3], command.info);
        return { schema: SCENARIO_SCHEMAS.sqlInfo, table: empty(SCENARIO_SCHEMAS.sqlInfo) };
      }
      default:
        throw new Mismatch(`unexpected command ${shortName}`);
    }
  }

  function statement(query: string): { schema: Schema; table: Table } {
    queries.push(query);
    if (mode === 'scenario') {
      expect('query', 'SELECT STATEMENT', query);
      return { schema: SCENARIO_SCHEMAS.query, table: empty(SCENARIO_SCHEMAS.query) };
    }
    // The generic server runs the one scan shape the test sends and answers the rows over 2.
    expect(
      'query',
      'SELECT "id", "amount" FROM "cat"."sales"."orders" WHERE ("amount" > CAST(2 AS INTEGER))',
      query,
    );
    return { schema: ORDERS_SCHEMA, table: ORDERS.slice(1) };
  }

  const fail = (error: unknown) => ({
    code: error instanceof Mismatch ? status.INVALID_ARGUMENT : status.INTERNAL,
    details: (error as Error).message,
  });

  const server = new Server();
  server.addService(flightServiceDefinition(), {
    GetFlightInfo(call: ServerUnaryCall<FlightDescriptor, unknown>, callback: sendUnaryData<unknown>) {
      try {
        const descriptor = call.request;
        const any = unpackAny(descriptor.cmd);
        const value = any.value;
        if (any.shortName === 'CommandStatementQuery') {
          const { query } = decodeMessage<{ query: string }>(
            'arrow.flight.protocol.sql.CommandStatementQuery',
            value,
          );
          const result = statement(query);
          // The scenario's ticket: a TicketStatementQuery with handle "SELECT STATEMENT HANDLE".
          const ticket = packAny('TicketStatementQuery', {
            statement_handle: Buffer.from('SELECT STATEMENT HANDLE'),
          });
          if (options.secondEndpointAt && result.table.numRows > 1) {
            const second = packAny('TicketStatementQuery', { statement_handle: Buffer.from('SECOND PART') });
            answers.set(Buffer.from(ticket).toString('hex'), result.table.slice(0, 1));
            answers.set(Buffer.from(second).toString('hex'), result.table.slice(1));
            const split = info(descriptor, result.schema, ticket);
            callback(null, {
              ...split,
              endpoint: [
                { ticket: { ticket }, location: [] },
                { ticket: { ticket: second }, location: options.secondEndpointAt.map((uri) => ({ uri })) },
              ],
            });
            return;
          }
          answers.set(Buffer.from(ticket).toString('hex'), result.table);
          callback(null, info(descriptor, result.schema, ticket));
          return;
        }
        if (any.shortName === 'CommandPreparedStatementQuery') {
          const { prepared_statement_handle } = decodeMessage<{ prepared_statement_handle: Uint8Array }>(
            'arrow.flight.protocol.sql.CommandPreparedStatementQuery',
            value,
          );
          expect(
            'prepared_statement_handle',
            'SELECT PREPARED STATEMENT HANDLE',
            Buffer.from(prepared_statement_handle).toString(),
          );
          const ticket = descriptor.cmd;
          answers.set(Buffer.from(ticket).toString('hex'), empty(SCENARIO_SCHEMAS.query));
          callback(null, info(descriptor, SCENARIO_SCHEMAS.query, ticket));
          return;
        }
        const result = catalogAnswer(String(any.shortName), value);
        answers.set(Buffer.from(descriptor.cmd).toString('hex'), result.table);
        callback(null, info(descriptor, result.schema, descriptor.cmd));
      } catch (error) {
        callback(fail(error));
      }
    },
    GetSchema(call: ServerUnaryCall<FlightDescriptor, unknown>, callback: sendUnaryData<unknown>) {
      try {
        const any = unpackAny(call.request.cmd);
        expect('command', 'CommandStatementQuery', any.shortName);
        const { query } = decodeMessage<{ query: string }>(
          'arrow.flight.protocol.sql.CommandStatementQuery',
          any.value,
        );
        queries.push(query);
        expect('query', 'SELECT * FROM "cat"."sales"."orders"', query);
        callback(null, { schema: encodeSchema(ORDERS_SCHEMA) });
      } catch (error) {
        callback(fail(error));
      }
    },
    DoGet(call: ServerWritableStream<{ ticket: Uint8Array }, unknown>) {
      const table = answers.get(Buffer.from(call.request.ticket).toString('hex'));
      if (!table) {
        call.emit('error', { code: status.NOT_FOUND, details: 'unknown ticket' });
        return;
      }
      for (const data of tableFlightData(table)) call.write(data);
      call.end();
    },
    DoAction(call: ServerWritableStream<{ type: string; body: Uint8Array }, unknown>) {
      try {
        const { type, body } = call.request;
        if (type === 'CreatePreparedStatement') {
          const { query } = decodeMessage<{ query: string }>(
            'arrow.flight.protocol.sql.ActionCreatePreparedStatementRequest',
            unpackAny(body).value,
          );
          queries.push(query);
          expect('query', 'SELECT PREPARED STATEMENT', query);
          call.write({
            body: packAny('ActionCreatePreparedStatementResult', {
              prepared_statement_handle: Buffer.from(`${query} HANDLE`),
            }),
          });
        } else if (type === 'ClosePreparedStatement') {
          // The scenario's server accepts any close.
        } else if (type === 'CancelFlightInfo') {
          call.write({
            body: encodeMessage('arrow.flight.protocol.CancelFlightInfoResult', {
              status: 'CANCEL_STATUS_NOT_CANCELLABLE',
            }),
          });
        } else throw new Mismatch(`unexpected action ${type}`);
        call.end();
      } catch (error) {
        call.emit('error', fail(error));
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    url: `grpc://127.0.0.1:${port}`,
    queries,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
