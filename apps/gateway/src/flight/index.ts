/**
 * The Arrow Flight SQL front end: ADBC, JDBC and Python Flight SQL clients
 * run queries over gRPC and receive Arrow record batches as the engine
 * produces them.
 */

export {
  type Caller,
  type Credentials,
  type Identity,
  TokenAuthenticator,
  type VerifyBearer,
  type VerifyPassword,
} from './flight-auth.js';
export { commandDescriptor, FlightSqlClient, type PreparedStatementHandle } from './flight-client.js';
export type * from './flight-messages.js';
export { PROTO_DIR, packAny, unpackAny } from './flight-protocol.js';
export {
  EXPLAIN_ACTION,
  type FlightServerOptions,
  type RunningFlightServer,
  startFlightServer,
} from './flight-sql-server.js';
export {
  ERROR_CODE_TRAILER,
  FlightError,
  GRPC_STATUS,
  SQLSTATE_TRAILER,
  toGrpcError,
} from './flight-status.js';
export { decodeSchema, encodeSchema, flightDataToIpc, splitIpcStream } from './ipc-messages.js';
export { SqlInfo } from './sql-info.js';
