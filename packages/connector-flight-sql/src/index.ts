/**
 * `@spoke/connector-flight-sql` — any Arrow Flight SQL server as a Spoke
 * source, and another Spoke gateway as a peer whose sources appear as
 * schemas (`R.pg.orders`): catalog from the Flight SQL catalog commands,
 * scans and whole sub-queries pushed as SQL, results streamed from DoGet,
 * cancellation through CancelFlightInfo.
 *
 * @packageDocumentation
 */
import { defineConnector } from '@spoke/sdk';
import { createFlightSqlConnector } from './flight-sql-connector.js';

export {
  batchFlightData,
  decodeSchema,
  encodeSchema,
  type FlightData,
  parameterFlightData,
  recordBatchesOf,
  schemaFlightData,
  tableFlightData,
  tableOf,
} from './flight-data.js';
export {
  decodeMessage,
  encodeMessage,
  FLIGHT_SQL_PACKAGE,
  flightServiceDefinition,
  packAny,
  type UnpackedAny,
  unpackAny,
} from './flight-protocol.js';
export {
  EXPLAIN_ACTION,
  type FlightDescriptor,
  type FlightInfo,
  type FlightSqlAuth,
  FlightSqlClient,
  type FlightSqlClientOptions,
  type FlightSqlCounters,
  type RemotePlan,
  type RemoteTable,
  type ServerInfo,
} from './flight-sql-client.js';
export {
  createFlightSqlConnector,
  DROP_UPLOAD_ACTION,
  FlightSqlConnector,
  PEER_UPLOAD_SOURCE,
  SPOKE_SERVER_NAME,
} from './flight-sql-connector.js';
export {
  AnsiInlineDialect,
  GENERIC_CAPABILITIES,
  GenericFlightSqlDialect,
  type LocateTable,
  qualifiedName,
  type RemoteLocation,
  SpokePeerDialect,
} from './flight-sql-dialect.js';
export { ERROR_CODE_TRAILER, remoteError, SQLSTATE_TRAILER } from './flight-sql-errors.js';
export {
  FLIGHT_SQL_OPTIONS,
  type FlightSqlOptions,
  type FlightSqlSettings,
  resolveFlightSqlOptions,
} from './flight-sql-options.js';

/** The connector factory the gateway loads for `connector: flight-sql`. */
export const connector = defineConnector({ name: 'flight-sql', create: createFlightSqlConnector });
export default connector;
