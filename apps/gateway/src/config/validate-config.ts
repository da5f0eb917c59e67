import { parseNlConfig } from '@spoke/nl';
import { graphsSection } from '../graph/graphs-config.js';
import {
  checkKeys,
  describe,
  expectBoolean,
  expectInteger,
  expectMap,
  expectSize,
  expectString,
  fail,
  isMap,
} from './config-checks.js';
import type {
  ApiKeyConfig,
  AuditConfig,
  AuthConfig,
  DuckDbEngineConfig,
  GatewayConfig,
  LimitsConfig,
  ListenAddress,
  LoggingConfig,
  ReadCacheConfig,
  ServerConfig,
  SourceConfig,
  SourceLinkConfig,
  TlsFiles,
  UserConfig,
} from './gateway-config.js';
import { type EventsConfig, eventsSection } from './validate-events-config.js';
import {
  apiKeysSection,
  auditSection,
  authSection,
  limitsSection,
  loggingSection,
  tlsSection,
  usersSection,
} from './validate-operator-config.js';

/** The addresses used when the config has no `server:` section at all. */
export const DEFAULT_SERVER: ServerConfig = {
  http: { host: '127.0.0.1', port: 8080 },
  postgres: { host: '127.0.0.1', port: 5433 },
};

/** The most processes `server.workers` may ask for. */
export const MAX_WORKERS = 64;

const SOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function listenAddress(
  value: unknown,
  path: string,
  baseDir: string,
  tls: TlsFiles | undefined,
): ListenAddress {
  const map = expectMap(value, path);
  checkKeys(map, ['host', 'port', 'tls'], path);
  const host = map.host === undefined ? '127.0.0.1' : expectString(map.host, `${path}.host`);
  if (map.port === undefined) throw fail(`${path}.port`, 'is required');
  const own = map.tls === undefined || map.tls === null ? tls : tlsSection(map.tls, `${path}.tls`, baseDir);
  return { host, port: expectInteger(map.port, `${path}.port`, 0, 65535), ...(own ? { tls: own } : {}) };
}

function serverSection(value: unknown, baseDir: string, tls: TlsFiles | undefined): ServerConfig {
  if (value === undefined) {
    if (!tls) return DEFAULT_SERVER;
    return { http: { ...DEFAULT_SERVER.http!, tls }, postgres: { ...DEFAULT_SERVER.postgres!, tls } };
  }
  const map = expectMap(value, 'server');
  checkKeys(map, ['http', 'postgres', 'flight', 'workers'], 'server');
  const out: { http?: ListenAddress; postgres?: ListenAddress; flight?: ListenAddress; workers?: number } =
    {};
  if (map.http !== undefined && map.http !== null)
    out.http = listenAddress(map.http, 'server.http', baseDir, tls);
  if (map.postgres !== undefined && map.postgres !== null)
    out.postgres = listenAddress(map.postgres, 'server.postgres', baseDir, tls);
  if (map.flight !== undefined && map.flight !== null)
    out.flight = listenAddress(map.flight, 'server.flight', baseDir, tls);
  // Bounded by the worker number's room in a Postgres backend key (see cluster/worker-process-id.ts).
  if (map.workers !== undefined && map.workers !== null)
    out.workers = expectInteger(map.workers, 'server.workers', 1, MAX_WORKERS);
  return out;
}

function duckdbSection(value: unknown): DuckDbEngineConfig {
  const map = expectMap(value, 'duckdb');
  checkKeys(
    map,
    ['memoryLimit', 'queryMemoryLimit', 'tempDirectory', 'threads', 'readCache', 'inMemoryResidual'],
    'duckdb',
  );
  const out: {
    memoryLimit?: string;
    queryMemoryLimit?: string;
    tempDirectory?: string;
    threads?: number;
    readCache?: ReadCacheConfig | false;
    inMemoryResidual?: boolean;
  } = {};
  if (map.memoryLimit !== undefined) out.memoryLimit = expectString(map.memoryLimit, 'duckdb.memoryLimit');
  if (map.queryMemoryLimit !== undefined)
    out.queryMemoryLimit = expectString(map.queryMemoryLimit, 'duckdb.queryMemoryLimit');
  if (map.tempDirectory !== undefined)
    out.tempDirectory = expectString(map.tempDirectory, 'duckdb.tempDirectory');
  if (map.threads !== undefined) out.threads = expectInteger(map.threads, 'duckdb.threads', 1, 1024);
  if (map.inMemoryResidual !== undefined && map.inMemoryResidual !== null)
    out.inMemoryResidual = expectBoolean(map.inMemoryResidual, 'duckdb.inMemoryResidual');
  if (map.readCache !== undefined && map.readCache !== null) {
    out.readCache = readCacheSection(map.readCache);
    if (out.readCache !== false && out.queryMemoryLimit !== undefined && isMap(map.readCache))
      throw fail(
        'duckdb.readCache',
        'is not used with duckdb.queryMemoryLimit (each query runs in a DuckDB of its own, so nothing is kept between queries); remove one of them, or set readCache: false',
      );
  }
  return out;
}

/** `duckdb.readCache`: `false` (off), `true` (the defaults) or `{ maxBytes, maxEntryBytes }` (sizes: `64MB` or bytes). */
function readCacheSection(value: unknown): ReadCacheConfig | false {
  const at = 'duckdb.readCache';
  if (value === false || value === 'false') return false;
  if (value === true || value === 'true') return {};
  if (!isMap(value))
    throw fail(at, `expected false, true or a map { maxBytes, maxEntryBytes }, got ${describe(value)}`);
  checkKeys(value, ['maxBytes', 'maxEntryBytes'], at);
  const out: { maxBytes?: number; maxEntryBytes?: number } = {};
  if (value.maxBytes !== undefined) out.maxBytes = expectSize(value.maxBytes, `${at}.maxBytes`);
  if (value.maxEntryBytes !== undefined)
    out.maxEntryBytes = expectSize(value.maxEntryBytes, `${at}.maxEntryBytes`);
  if (out.maxBytes !== undefined && out.maxEntryBytes !== undefined && out.maxEntryBytes > out.maxBytes)
    throw fail(
      `${at}.maxEntryBytes`,
      `must not be larger than maxBytes (${out.maxEntryBytes} > ${out.maxBytes} bytes): a read that size could never be kept`,
    );
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
    const { link, ...options } = entry;
    out[name] = {
      connector: expectString(entry.connector, `${path}.connector`),
      options,
      ...(link !== undefined && link !== null ? { link: linkSection(link, `${path}.link`) } : {}),
    };
  }
  return out;
}

/** `sources.X.link`: positive numbers, each optional. */
function linkSection(value: unknown, path: string): SourceLinkConfig {
  const map = expectMap(value, path);
  checkKeys(map, ['latencyMs', 'mbps', 'rowsPerSecond'], path);
  const out: { latencyMs?: number; mbps?: number; rowsPerSecond?: number } = {};
  for (const key of ['latencyMs', 'mbps', 'rowsPerSecond'] as const) {
    const v = map[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw fail(`${path}.${key}`, `must be a positive number, got ${JSON.stringify(v)}`);
    out[key] = v;
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
  checkKeys(
    root,
    [
      'server',
      'duckdb',
      'sources',
      'users',
      'api_keys',
      'auth',
      'tls',
      'limits',
      'audit',
      'events',
      'logging',
      'policies',
      'nl',
      'graphs',
    ],
    '',
  );
  const present = (key: string) => root[key] !== undefined && root[key] !== null;
  const tls = present('tls') ? tlsSection(root.tls, 'tls', baseDir) : undefined;
  const config: {
    server: ServerConfig;
    duckdb?: DuckDbEngineConfig;
    sources: Record<string, SourceConfig>;
    users?: Record<string, UserConfig>;
    apiKeys?: Record<string, ApiKeyConfig>;
    auth?: AuthConfig;
    limits?: LimitsConfig;
    audit?: AuditConfig;
    events?: EventsConfig;
    logging?: LoggingConfig;
    policies?: unknown;
    nl?: NonNullable<GatewayConfig['nl']>;
    graphs?: NonNullable<GatewayConfig['graphs']>;
    baseDir: string;
    file?: string;
  } = { server: serverSection(root.server, baseDir, tls), sources: sourcesSection(root.sources), baseDir };
  if (present('duckdb')) config.duckdb = duckdbSection(root.duckdb);
  if (present('users')) config.users = usersSection(root.users);
  if (present('api_keys')) config.apiKeys = apiKeysSection(root.api_keys, config.users ?? {});
  if (present('auth')) config.auth = authSection(root.auth, baseDir);
  if (present('limits')) config.limits = limitsSection(root.limits);
  if (present('audit')) config.audit = auditSection(root.audit, baseDir);
  if (present('events')) config.events = eventsSection(root.events, baseDir);
  // Checked in depth (with errors naming `policies[i].key`) when the engine is built.
  if (present('policies')) config.policies = root.policies;
  if (present('nl')) config.nl = parseNlConfig(root.nl, 'nl');
  // Tables and columns are checked against the catalog when the engine starts (graph/graph-engine.ts).
  if (present('graphs')) config.graphs = graphsSection(root.graphs);
  if (present('logging')) config.logging = loggingSection(root.logging);
  if (file !== undefined) config.file = file;
  return config;
}
