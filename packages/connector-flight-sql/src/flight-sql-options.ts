import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type ConnectorContext, ErrorCode, SpokeError } from '@spoke/core';
import { type ParsedOptions, parseOptions } from '@spoke/sdk';
import type { FlightSqlAuth } from './flight-sql-client.js';

/** The options a `connector: flight-sql` source takes (also the README's table). */
export const FLIGHT_SQL_OPTIONS = {
  url: {
    type: 'string',
    required: true,
    description: 'grpc://host:port (plaintext) or grpc+tls://host:port',
  },
  username: { type: 'string', description: 'user name for the basic-auth handshake' },
  password: { type: 'string', description: 'password for the basic-auth handshake' },
  token: { type: 'string', description: 'bearer token (an API key or JWT) instead of username/password' },
  tls: {
    type: 'object',
    description: '{ ca: PEM file } trusted instead of the system CAs (relative to the config file)',
  },
  peer: {
    type: 'string',
    description: 'auto (a server that names itself Spoke is a peer), spoke, or generic',
    default: 'auto',
    oneOf: ['auto', 'spoke', 'generic'],
  },
  catalogCacheMs: {
    type: 'integer',
    description: 'how long the remote catalog (tables and their schemas) is reused, in ms',
    default: 30_000,
  },
  callTimeoutMs: {
    type: 'integer',
    description: 'time allowed for the login handshake, in ms',
    default: 30_000,
  },
} as const;

/** Parsed {@link FLIGHT_SQL_OPTIONS}. */
export type FlightSqlOptions = ParsedOptions<typeof FLIGHT_SQL_OPTIONS>;

/** What the connector needs to open its channel. */
export interface FlightSqlSettings {
  readonly options: FlightSqlOptions;
  /** `host:port`. */
  readonly address: string;
  readonly tls: { readonly ca?: Uint8Array } | undefined;
  readonly auth: FlightSqlAuth;
}

/** Validates the options, reads the CA file and resolves the address. */
export function resolveFlightSqlOptions(
  raw: Readonly<Record<string, unknown>>,
  context: Pick<ConnectorContext, 'sourceName' | 'baseDir'>,
): FlightSqlSettings {
  const options = parseOptions(raw, FLIGHT_SQL_OPTIONS, context);
  const bad = (key: string, message: string) =>
    new SpokeError(ErrorCode.INVALID_CONFIG, `sources.${context.sourceName}.${key}: ${message}`, {
      source: context.sourceName,
    });
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw bad('url', `"${options.url}" is not a URL (expected grpc://host:port or grpc+tls://host:port)`);
  }
  const secure = url.protocol === 'grpc+tls:' || url.protocol === 'grpcs:';
  if (!secure && url.protocol !== 'grpc:' && url.protocol !== 'grpc+tcp:')
    throw bad('url', `unsupported scheme ${url.protocol}// (expected grpc:// or grpc+tls://)`);
  if (!url.hostname || !url.port) throw bad('url', 'must name a host and a port (grpc://host:port)');
  if (options.token !== undefined && (options.username !== undefined || options.password !== undefined))
    throw bad('token', 'give either token or username/password, not both');
  if ((options.username === undefined) !== (options.password === undefined))
    throw bad(options.username === undefined ? 'username' : 'password', 'username and password go together');
  if (options.catalogCacheMs < 0) throw bad('catalogCacheMs', 'must be 0 or more');
  if (options.callTimeoutMs < 1) throw bad('callTimeoutMs', 'must be at least 1');

  let tls: { ca?: Uint8Array } | undefined;
  if (options.tls !== undefined) {
    const unknown = Object.keys(options.tls).filter((k) => k !== 'ca');
    if (unknown.length) throw bad(`tls.${unknown[0]}`, 'unknown option (tls takes ca)');
    if (!secure) throw bad('tls', 'is set but url is not grpc+tls://');
    const ca = options.tls.ca;
    if (ca !== undefined && typeof ca !== 'string') throw bad('tls.ca', 'expected the path of a PEM file');
    if (ca !== undefined) {
      const path = isAbsolute(ca) ? ca : resolve(context.baseDir, ca);
      try {
        tls = { ca: readFileSync(path) };
      } catch (error) {
        throw bad('tls.ca', `cannot read ${path}: ${(error as Error).message}`);
      }
    } else tls = {};
  } else if (secure) tls = {};

  const auth: FlightSqlAuth =
    options.token !== undefined
      ? { token: options.token }
      : options.username !== undefined
        ? { username: options.username, password: options.password ?? '' }
        : undefined;
  // URL keeps an IPv6 host in brackets, which is also how gRPC wants it in `host:port`.
  return { options, address: `${url.hostname}:${url.port}`, tls, auth };
}
