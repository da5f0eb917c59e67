/**
 * The shapes of the Flight and Flight SQL messages as the loaded protocol
 * definitions hand them over (field names as in the .proto; int64 as numbers;
 * enums as names; bytes as Buffers when decoded, any Uint8Array when encoded).
 */

/** `FlightDescriptor.DescriptorType`. */
export type DescriptorType = 'UNKNOWN' | 'PATH' | 'CMD';

/** `arrow.flight.protocol.FlightDescriptor`. */
export interface FlightDescriptor {
  type: DescriptorType;
  cmd: Uint8Array;
  path: string[];
}

/** `arrow.flight.protocol.Ticket`. */
export interface Ticket {
  ticket: Uint8Array;
}

/** `arrow.flight.protocol.FlightEndpoint` (locations empty: redeem on this server). */
export interface FlightEndpoint {
  ticket: Ticket | null;
  location?: { uri: string }[];
  app_metadata?: Uint8Array;
}

/** `arrow.flight.protocol.FlightInfo`. */
export interface FlightInfo {
  /** The schema as an encapsulated IPC message. */
  schema: Uint8Array;
  flight_descriptor: FlightDescriptor | null;
  endpoint: FlightEndpoint[];
  total_records: number;
  total_bytes: number;
  ordered: boolean;
  app_metadata?: Uint8Array;
}

/** `arrow.flight.protocol.FlightData`: one IPC message. */
export interface FlightData {
  flight_descriptor?: FlightDescriptor | null;
  /** The flatbuffer `Message`. */
  data_header: Uint8Array;
  app_metadata?: Uint8Array;
  /** The message body. */
  data_body: Uint8Array;
}

/** `arrow.flight.protocol.HandshakeRequest` / `HandshakeResponse`. */
export interface HandshakeMessage {
  protocol_version: number;
  payload: Uint8Array;
}

/** `arrow.flight.protocol.Action`. */
export interface Action {
  type: string;
  body: Uint8Array;
}

/** `arrow.flight.protocol.Result`. */
export interface ActionResult {
  body: Uint8Array;
}

/** `arrow.flight.protocol.ActionType`. */
export interface ActionType {
  type: string;
  description: string;
}

/** `arrow.flight.protocol.SchemaResult`. */
export interface SchemaResult {
  schema: Uint8Array;
}

/** `arrow.flight.protocol.PutResult`. */
export interface PutResult {
  app_metadata: Uint8Array;
}

/** `arrow.flight.protocol.CancelFlightInfoRequest`. */
export interface CancelFlightInfoRequest {
  info: FlightInfo | null;
}

/** `arrow.flight.protocol.CancelStatus`. */
export type CancelStatus =
  | 'CANCEL_STATUS_UNSPECIFIED'
  | 'CANCEL_STATUS_CANCELLED'
  | 'CANCEL_STATUS_CANCELLING'
  | 'CANCEL_STATUS_NOT_CANCELLABLE';

/** `arrow.flight.protocol.sql.CommandStatementQuery`. */
export interface CommandStatementQuery {
  query: string;
  transaction_id?: Uint8Array;
}

/** `arrow.flight.protocol.sql.CommandPreparedStatementQuery`. */
export interface CommandPreparedStatementQuery {
  prepared_statement_handle: Uint8Array;
}

/** `arrow.flight.protocol.sql.TicketStatementQuery`. */
export interface TicketStatementQuery {
  statement_handle: Uint8Array;
}

/** `arrow.flight.protocol.sql.CommandGetDbSchemas`. */
export interface CommandGetDbSchemas {
  catalog?: string;
  db_schema_filter_pattern?: string;
}

/** `arrow.flight.protocol.sql.CommandGetTables`. */
export interface CommandGetTables {
  catalog?: string;
  db_schema_filter_pattern?: string;
  table_name_filter_pattern?: string;
  table_types: string[];
  include_schema: boolean;
}

/** `arrow.flight.protocol.sql.CommandGetSqlInfo`. */
export interface CommandGetSqlInfo {
  info: number[];
}

/** `arrow.flight.protocol.sql.ActionCreatePreparedStatementRequest`. */
export interface ActionCreatePreparedStatementRequest {
  query: string;
  transaction_id?: Uint8Array;
}

/** `arrow.flight.protocol.sql.ActionCreatePreparedStatementResult`. */
export interface ActionCreatePreparedStatementResult {
  prepared_statement_handle: Uint8Array;
  dataset_schema: Uint8Array;
  parameter_schema: Uint8Array;
}

/** `arrow.flight.protocol.sql.ActionClosePreparedStatementRequest`. */
export interface ActionClosePreparedStatementRequest {
  prepared_statement_handle: Uint8Array;
}

/** `arrow.flight.protocol.sql.ActionCancelQueryRequest`: `info` is a serialised FlightInfo. */
export interface ActionCancelQueryRequest {
  info: Uint8Array;
}
