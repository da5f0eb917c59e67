import { didYouMean, ErrorCode, SpokeError } from '@spoke/core';
import type {
  DuckDbEngineConfig,
  GatewayConfig,
  ListenAddress,
  ServerConfig,
  SourceConfig,
} from './gateway-config.js';

/** The addresses used when the config has no `server:` section at all. */
export const DEFAULT_SERVER: ServerConfig = {
  http: { host: '127.0.0.1', port: 8080 },
  postgres: { host: '127.0.0.1', port: 5433 },
};

const SOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(path: string, message: string): SpokeError {
  return new SpokeError(ErrorCode.INVALID_CONFIG, `${path}: ${message}`, { details: { key: path } });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value === 'string' ? `"${value}"` : String(value);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectMap(value: unknown, path: string): Record<string, unknown> {
  if (!isMap(value)) throw fail(path, `expected a map, got ${describe(value)}`);
  return value;
}

function checkKeys(map: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(map)) {
    if (!allowed.includes(key)) {
      const where = path === '' ? key : `${path}.${key}`;
      throw fail(where, `unknown key${didYouMean(key, allowed)}; expected one of ${allowed.join(', ')}`);
    }
  }
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '')
    throw fail(path, `expected a non-empty string, got ${describe(value)}`);
  return value;
}

/** Integers may arrive as strings after `${ENV}` interpolation (`port: ${PORT}`). */
function expectInteger(value: unknown, path: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw fail(path, `expected an integer from ${min} to ${max}, got ${describe(value)}`);
  return n;
}

function listenAddress(value: unknown, path: string): ListenAddress {
  const map = expectMap(value, path);
  checkKeys(map, ['host', 'port'], path);
  const host = map.host === undefined ? '127.0.0.1' : expectString(map.host, `${path}.host`);
  if (map.port === undefined) throw fail(`${path}.port`, 'is required');
  return { host, port: expectInteger(map.port, `${path}.port`, 0, 65535) };
}

function serverSection(value: unknown): ServerConfig {
  if (value === undefined) return DEFAULT_SERVER;
  const map = expectMap(value, 'server');
  checkKeys(map, ['http', 'postgres'], 'server');
  const out: { http?: ListenAddress; postgres?: ListenAddress } = {};
  if (map.http !== undefined && map.http !== null) out.http = listenAddress(map.http, 'server.http');
  if (map.postgres !== undefined && map.postgres !== null)
    out.postgres = listenAddress(map.postgres, 'server.postgres');
  return out;
}

function duckdbSection(value: unknown): DuckDbEngineConfig {
  const map = expectMap(value, 'duckdb');
  checkKeys(map, ['memoryLimit', 'tempDirectory', 'threads'], 'duckdb');
  const out: { memoryLimit?: string; tempDirectory?: string; threads?: number } = {};
  if (map.memoryLimit !== undefined) out.memoryLimit = expectString(map.memoryLimit, 'duckdb.memoryLimit');
  if (map.tempDirectory !== undefined)
    out.tempDirectory = expectString(map.tempDirectory, 'duckdb.tempDirectory');
  if (map.threads !== undefined) out.threads = expectInteger(map.threads, 'duckdb.threads', 1, 1024);
  return out;
}

function sourcesSection(value: unknown): Record<string, SourceConfig> {
  if (value === undefined || value === null) throw fail('sources', 'is required: name at least one source');
  const map = expectMap(value, 'sources');
  const names = Object.keys(map);
  if (names.length === 0) throw fail('sources', 'is empty: name at least one source');
  const out: Record<string, SourceConfig> = {};
  const seen = new Map<string, string>();
  for (const name of names) {
    const path = `sources.${name}`;
    if (!SOURCE_NAME.test(name))
      throw fail(path, 'a source name must be an identifier (letters, digits, _; not starting with a digit)');
    // Names are matched case-insensitively in SQL (unquoted identifiers fold to lower case).
    const folded = name.toLowerCase();
    const clash = seen.get(folded);
    if (clash !== undefined)
      throw fail(path, `clashes with sources.${clash}: source names are case-insensitive`);
    seen.set(folded, name);
    const entry = expectMap(map[name], path);
    if (entry.connector === undefined)
      throw fail(`${path}.connector`, 'is required (a short name such as duckdb, or a package name)');
    out[name] = { connector: expectString(entry.connector, `${path}.connector`), options: entry };
  }
  return out;
}

/**
 * Checks a parsed, interpolated config tree and returns it typed. Every error
 * is `INVALID_CONFIG` and starts with the key path (`server.http.port: …`).
 *
 * Connector options are not checked here: each connector validates its own
 * (the sdk's `parseOptions` names the key the same way).
 *
 * @param raw - the parsed YAML
 * @param baseDir - what relative paths are resolved against
 * @param file - the file it came from, when there is one
 */
export function validateConfig(raw: unknown, baseDir: string, file?: string): GatewayConfig {
  if (raw === null || raw === undefined)
    throw fail('(root)', 'the config is empty; it needs at least a sources: section');
  const root = expectMap(raw, '(root)');
  checkKeys(root, ['server', 'duckdb', 'sources'], '');
  const config: {
    server: ServerConfig;
    duckdb?: DuckDbEngineConfig;
    sources: Record<string, SourceConfig>;
    baseDir: string;
    file?: string;
  } = { server: serverSection(root.server), sources: sourcesSection(root.sources), baseDir };
  if (root.duckdb !== undefined && root.duckdb !== null) config.duckdb = duckdbSection(root.duckdb);
  if (file !== undefined) config.file = file;
  return config;
}
