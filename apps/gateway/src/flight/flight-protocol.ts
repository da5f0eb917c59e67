/**
 * The Arrow Flight and Flight SQL protocol definitions, loaded from
 * `apps/gateway/proto/*.proto` (written from the Arrow specification): the
 * gRPC service definition for server and client, and codecs for the Flight
 * SQL messages that travel packed in a `google.protobuf.Any` inside opaque
 * `bytes` fields (FlightDescriptor.cmd, Ticket.ticket, Action.body, Result.body).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ErrorCode, SpokeError } from '@spoke/core';
import protobuf from 'protobufjs';

/** `apps/gateway/proto`: the same distance from `src/flight` and `dist/flight`. */
export const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');

const FLIGHT_PROTO = join(PROTO_DIR, 'Flight.proto');
const FLIGHT_SQL_PROTO = join(PROTO_DIR, 'FlightSql.proto');

/** The protobuf package of the Flight SQL messages, as it appears in `Any.type_url`. */
export const FLIGHT_SQL_PACKAGE = 'arrow.flight.protocol.sql';
const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Options shared by the service loader: field names as in the .proto, int64 as numbers, enums as names. */
const LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

let service: ServiceDefinition | undefined;

/** The `arrow.flight.protocol.FlightService` definition (method paths, (de)serialisers). */
export function flightServiceDefinition(): ServiceDefinition {
  if (!service) {
    const definition = loadPackageDefinition(loadSync(FLIGHT_PROTO, LOADER_OPTIONS));
    // biome-ignore lint/suspicious/noExplicitAny: the loaded package is typed by its contents, known from the .proto
    service = (definition as any).arrow.flight.protocol.FlightService.service as ServiceDefinition;
  }
  return service;
}

let root: protobuf.Root | undefined;

function messages(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.loadSync([FLIGHT_PROTO, FLIGHT_SQL_PROTO], { keepCase: true });
    root.resolveAll();
  }
  return root;
}

/** `google.protobuf.Any`, declared here rather than loaded: two fields. */
const AnyType = new protobuf.Type('Any')
  .add(new protobuf.Field('type_url', 1, 'string'))
  .add(new protobuf.Field('value', 2, 'bytes'));

/** Encodes a message of the Flight or Flight SQL protocol (`name` is fully qualified). */
export function encodeMessage(name: string, value: Record<string, unknown>): Uint8Array {
  const type = messages().lookupType(name);
  return type.encode(type.fromObject(value)).finish();
}

/**
 * Decodes a message. Unset `optional` fields stay absent (the Flight SQL
 * catalog commands tell "no filter" from "empty string" that way); bytes are Buffers.
 */
export function decodeMessage<T>(name: string, bytes: Uint8Array): T {
  const type = messages().lookupType(name);
  return type.toObject(type.decode(bytes), {
    defaults: true,
    longs: Number,
    enums: String,
    bytes: Buffer,
  }) as T;
}

/** Packs a Flight SQL message (short name, e.g. `CommandStatementQuery`) into `Any` bytes. */
export function packAny(shortName: string, value: Record<string, unknown>): Uint8Array {
  const name = `${FLIGHT_SQL_PACKAGE}.${shortName}`;
  return AnyType.encode({ type_url: TYPE_URL_PREFIX + name, value: encodeMessage(name, value) }).finish();
}

/** A decoded `Any`: the message's short name (within the Flight SQL package) and its undecoded value. */
export interface UnpackedAny {
  readonly typeUrl: string;
  /** `CommandStatementQuery`…, or undefined when the type is not a Flight SQL message. */
  readonly shortName: string | undefined;
  readonly value: Uint8Array;
}

/** Reads `Any` bytes; throws INVALID_QUERY (→ INVALID_ARGUMENT) when they are not an `Any`. */
export function unpackAny(bytes: Uint8Array): UnpackedAny {
  let any: { type_url?: string; value?: Uint8Array };
  try {
    any = AnyType.decode(bytes) as unknown as { type_url?: string; value?: Uint8Array };
  } catch (error) {
    throw new SpokeError(ErrorCode.INVALID_QUERY, 'the command is not a google.protobuf.Any', {
      cause: error,
    });
  }
  const typeUrl = any.type_url ?? '';
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const shortName = name.startsWith(`${FLIGHT_SQL_PACKAGE}.`)
    ? name.slice(FLIGHT_SQL_PACKAGE.length + 1)
    : undefined;
  return { typeUrl, shortName, value: any.value ?? new Uint8Array(0) };
}

/** Decodes the value of an unpacked `Any` as the Flight SQL message it names. */
export function decodeSql<T>(shortName: string, value: Uint8Array): T {
  try {
    return decodeMessage<T>(`${FLIGHT_SQL_PACKAGE}.${shortName}`, value);
  } catch (error) {
    throw new SpokeError(ErrorCode.INVALID_QUERY, `malformed ${shortName}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
