/**
 * The Arrow Flight and Flight SQL protocol definitions (`proto/*.proto`, the
 * subset of the Arrow specification Spoke speaks, with the specification's
 * names and field numbers): the gRPC service definition for the client, and
 * codecs for the Flight SQL messages that travel packed in a
 * `google.protobuf.Any` inside opaque `bytes` fields.
 *
 * The gateway's Flight SQL endpoint loads the same definitions; they are
 * copied here rather than imported so a connector install does not pull in
 * the whole gateway.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

/** `proto/`: the same distance from `src/` and `dist/`. */
const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto');
const FLIGHT_PROTO = join(PROTO_DIR, 'Flight.proto');
const FLIGHT_SQL_PROTO = join(PROTO_DIR, 'FlightSql.proto');

/** The protobuf package of the Flight SQL messages, as it appears in `Any.type_url`. */
export const FLIGHT_SQL_PACKAGE = 'arrow.flight.protocol.sql';
const TYPE_URL_PREFIX = 'type.googleapis.com/';

let service: ServiceDefinition | undefined;

/** The `arrow.flight.protocol.FlightService` definition (method paths, (de)serialisers). */
export function flightServiceDefinition(): ServiceDefinition {
  if (!service) {
    const definition = loadPackageDefinition(
      loadSync(FLIGHT_PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true }),
    );
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

/** Encodes a message of the Flight or Flight SQL protocol (`name` fully qualified). */
export function encodeMessage(name: string, value: Record<string, unknown>): Uint8Array {
  const type = messages().lookupType(name);
  return type.encode(type.fromObject(value)).finish();
}

/** Decodes a message; unset `optional` fields stay absent, bytes are Buffers. */
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

/** A decoded `Any`: the Flight SQL short name (undefined for other types) and the undecoded value. */
export interface UnpackedAny {
  readonly typeUrl: string;
  readonly shortName: string | undefined;
  readonly value: Uint8Array;
}

/** Reads `Any` bytes. */
export function unpackAny(bytes: Uint8Array): UnpackedAny {
  const any = AnyType.decode(bytes) as unknown as { type_url?: string; value?: Uint8Array };
  const typeUrl = any.type_url ?? '';
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const shortName = name.startsWith(`${FLIGHT_SQL_PACKAGE}.`)
    ? name.slice(FLIGHT_SQL_PACKAGE.length + 1)
    : undefined;
  return { typeUrl, shortName, value: any.value ?? new Uint8Array(0) };
}
