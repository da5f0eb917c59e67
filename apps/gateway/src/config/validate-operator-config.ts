/**
 * Validation of the operator sections of the config: `users`, `api_keys`,
 * `auth` (JWT, failed-login throttling), `tls`, `limits`, `audit`, `logging`. Errors name the key.
 */
import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_LOGIN_THROTTLE } from '../auth/login-throttle.js';
import { parseScramVerifier, parseScryptHash } from '../auth/password-hash.js';
import {
  checkKeys,
  describe,
  expectBoolean,
  expectDuration,
  expectInteger,
  expectMap,
  expectSize,
  expectString,
  expectStringList,
  fail,
} from './config-checks.js';
import type {
  ApiKeyConfig,
  AuditConfig,
  AuthConfig,
  JwtConfig,
  LimitsConfig,
  LoggingConfig,
  LoginThrottleConfig,
  TlsFiles,
  UserConfig,
} from './gateway-config.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_.@-]*$/;

/** `limits.max_query_bytes` may not exceed this: 64 MB, the largest message the Postgres wire reads. */
const MAX_QUERY_BYTES_CEILING = 64 * 1024 * 1024;

function path(baseDir: string, file: string): string {
  return isAbsolute(file) ? file : resolve(baseDir, file);
}

/** `users: { NAME: { password_hash, scram_sha_256?, roles?, attributes? } }`. */
export function usersSection(value: unknown): Record<string, UserConfig> {
  const map = expectMap(value, 'users');
  const out: Record<string, UserConfig> = {};
  for (const [name, raw] of Object.entries(map)) {
    const at = `users.${name}`;
    if (!NAME.test(name))
      throw fail(at, 'a user name must start with a letter or _ and hold letters, digits, _ . @ -');
    const entry = expectMap(raw, at);
    checkKeys(entry, ['password_hash', 'scram_sha_256', 'roles', 'attributes', 'password'], at);
    if (entry.password !== undefined)
      throw fail(
        `${at}.password`,
        'plain passwords are not accepted: store password_hash (and scram_sha_256) from `spoke hash-password`',
      );
    if (entry.password_hash === undefined)
      throw fail(`${at}.password_hash`, 'is required: create one with `spoke hash-password`');
    const passwordHash = expectString(entry.password_hash, `${at}.password_hash`);
    if (!parseScryptHash(passwordHash))
      throw fail(`${at}.password_hash`, 'expected scrypt$N$r$p$SALT$HASH as `spoke hash-password` prints it');
    const user: { -readonly [K in keyof UserConfig]: UserConfig[K] } = {
      passwordHash,
      roles: entry.roles === undefined ? [] : expectStringList(entry.roles, `${at}.roles`),
      attributes: {},
    };
    if (entry.scram_sha_256 !== undefined) {
      const scram = expectString(entry.scram_sha_256, `${at}.scram_sha_256`);
      if (!parseScramVerifier(scram))
        throw fail(
          `${at}.scram_sha_256`,
          'expected SCRAM-SHA-256$ITERATIONS:SALT$STOREDKEY:SERVERKEY as `spoke hash-password` prints it',
        );
      user.scramSha256 = scram;
    }
    if (entry.attributes !== undefined) {
      const attributes = expectMap(entry.attributes, `${at}.attributes`);
      const out2: Record<string, string> = {};
      for (const [k, v] of Object.entries(attributes)) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
          throw fail(`${at}.attributes.${k}`, `expected a string, got ${describe(v)}`);
        out2[k] = String(v);
      }
      user.attributes = out2;
    }
    out[name] = user;
  }
  return out;
}

/** `api_keys: { NAME: { key_hash, user } }`; `user` must be a configured user. */
export function apiKeysSection(
  value: unknown,
  users: Readonly<Record<string, UserConfig>>,
): Record<string, ApiKeyConfig> {
  const map = expectMap(value, 'api_keys');
  const out: Record<string, ApiKeyConfig> = {};
  for (const [name, raw] of Object.entries(map)) {
    const at = `api_keys.${name}`;
    const entry = expectMap(raw, at);
    checkKeys(entry, ['key_hash', 'user'], at);
    if (entry.key_hash === undefined)
      throw fail(`${at}.key_hash`, 'is required: create one with `spoke hash-password --api-key`');
    const keyHash = expectString(entry.key_hash, `${at}.key_hash`);
    if (!/^sha256\$[0-9a-f]{64}$/.test(keyHash))
      throw fail(`${at}.key_hash`, 'expected sha256$HEX as `spoke hash-password --api-key` prints it');
    if (entry.user === undefined) throw fail(`${at}.user`, 'is required: the user the key acts as');
    const user = expectString(entry.user, `${at}.user`);
    if (!Object.hasOwn(users, user)) throw fail(`${at}.user`, `no such user "${user}" under users:`);
    out[name] = { keyHash, user };
  }
  return out;
}

/** `auth: { jwt?: { jwks_file, issuer?, audience?, roles_claim?, user_claim? }, login_throttle? }`. */
export function authSection(value: unknown, baseDir: string): AuthConfig {
  const map = expectMap(value, 'auth');
  checkKeys(map, ['jwt', 'login_throttle'], 'auth');
  const out: { -readonly [K in keyof AuthConfig]: AuthConfig[K] } = {};
  if (map.login_throttle !== undefined && map.login_throttle !== null)
    out.loginThrottle = loginThrottleSection(map.login_throttle);
  if (map.jwt === undefined || map.jwt === null) return out;
  const jwt = expectMap(map.jwt, 'auth.jwt');
  checkKeys(jwt, ['jwks_file', 'issuer', 'audience', 'roles_claim', 'user_claim'], 'auth.jwt');
  if (jwt.jwks_file === undefined)
    throw fail('auth.jwt.jwks_file', 'is required: the JWKS file with the signing keys');
  const config: { -readonly [K in keyof JwtConfig]: JwtConfig[K] } = {
    jwksFile: path(baseDir, expectString(jwt.jwks_file, 'auth.jwt.jwks_file')),
    rolesClaim:
      jwt.roles_claim === undefined ? 'roles' : expectString(jwt.roles_claim, 'auth.jwt.roles_claim'),
    userClaim: jwt.user_claim === undefined ? 'sub' : expectString(jwt.user_claim, 'auth.jwt.user_claim'),
  };
  if (jwt.issuer !== undefined) config.issuer = expectString(jwt.issuer, 'auth.jwt.issuer');
  if (jwt.audience !== undefined) config.audience = expectString(jwt.audience, 'auth.jwt.audience');
  out.jwt = config;
  return out;
}

/**
 * `auth.login_throttle: { max_failures, max_failures_per_address, window, backoff, max_backoff }`,
 * or `false` to turn throttling off (e.g. behind a proxy that hides client addresses).
 */
function loginThrottleSection(value: unknown): LoginThrottleConfig | false {
  const at = 'auth.login_throttle';
  if (value === false || value === 'false') return false;
  const map = value === true || value === 'true' ? {} : expectMap(value, at);
  checkKeys(map, ['max_failures', 'max_failures_per_address', 'window', 'backoff', 'max_backoff'], at);
  const d = DEFAULT_LOGIN_THROTTLE;
  const out: LoginThrottleConfig = {
    maxFailures:
      map.max_failures === undefined
        ? d.maxFailures
        : expectInteger(map.max_failures, `${at}.max_failures`, 1, 1000),
    maxFailuresPerAddress:
      map.max_failures_per_address === undefined
        ? d.maxFailuresPerAddress
        : expectInteger(map.max_failures_per_address, `${at}.max_failures_per_address`, 1, 1_000_000),
    windowMs: map.window === undefined ? d.windowMs : expectDuration(map.window, `${at}.window`),
    backoffMs: map.backoff === undefined ? d.backoffMs : expectDuration(map.backoff, `${at}.backoff`),
    maxBackoffMs:
      map.max_backoff === undefined ? d.maxBackoffMs : expectDuration(map.max_backoff, `${at}.max_backoff`),
  };
  if (out.backoffMs > out.maxBackoffMs)
    throw fail(
      map.backoff === undefined ? `${at}.max_backoff` : `${at}.backoff`,
      `backoff (${out.backoffMs} ms) must not be longer than max_backoff (${out.maxBackoffMs} ms)`,
    );
  return out;
}

/** `tls: { cert_file, key_file }` (top level or per listener). */
export function tlsSection(value: unknown, at: string, baseDir: string): TlsFiles {
  const map = expectMap(value, at);
  checkKeys(map, ['cert_file', 'key_file'], at);
  if (map.cert_file === undefined) throw fail(`${at}.cert_file`, 'is required: the PEM certificate (chain)');
  if (map.key_file === undefined) throw fail(`${at}.key_file`, 'is required: the PEM private key');
  return {
    certFile: path(baseDir, expectString(map.cert_file, `${at}.cert_file`)),
    keyFile: path(baseDir, expectString(map.key_file, `${at}.key_file`)),
  };
}

/** `limits: { query_timeout, max_result_rows, max_result_bytes, max_concurrent_queries, max_concurrent_per_user, queue_timeout, max_query_bytes }`. */
export function limitsSection(value: unknown): LimitsConfig {
  const map = expectMap(value, 'limits');
  checkKeys(
    map,
    [
      'query_timeout',
      'max_result_rows',
      'max_result_bytes',
      'max_concurrent_queries',
      'max_concurrent_per_user',
      'queue_timeout',
      'max_query_bytes',
    ],
    'limits',
  );
  const out: { -readonly [K in keyof LimitsConfig]: LimitsConfig[K] } = {
    queueTimeoutMs:
      map.queue_timeout === undefined ? 10_000 : expectDuration(map.queue_timeout, 'limits.queue_timeout'),
  };
  if (map.query_timeout !== undefined)
    out.queryTimeoutMs = expectDuration(map.query_timeout, 'limits.query_timeout');
  if (map.max_result_rows !== undefined)
    out.maxResultRows = expectInteger(
      map.max_result_rows,
      'limits.max_result_rows',
      1,
      Number.MAX_SAFE_INTEGER,
    );
  if (map.max_result_bytes !== undefined)
    out.maxResultBytes = expectSize(map.max_result_bytes, 'limits.max_result_bytes');
  if (map.max_concurrent_queries !== undefined)
    out.maxConcurrentQueries = expectInteger(
      map.max_concurrent_queries,
      'limits.max_concurrent_queries',
      1,
      100_000,
    );
  if (map.max_query_bytes !== undefined) {
    out.maxQueryBytes = expectSize(map.max_query_bytes, 'limits.max_query_bytes');
    if (out.maxQueryBytes > MAX_QUERY_BYTES_CEILING)
      throw fail(
        'limits.max_query_bytes',
        `must be at most ${MAX_QUERY_BYTES_CEILING / 1024 / 1024}MB (the Postgres wire's largest message), got ${out.maxQueryBytes} bytes`,
      );
  }
  if (map.max_concurrent_per_user !== undefined)
    out.maxConcurrentPerUser = expectInteger(
      map.max_concurrent_per_user,
      'limits.max_concurrent_per_user',
      1,
      100_000,
    );
  return out;
}

/** `audit: { path | stdout, redact_literals }`. */
export function auditSection(value: unknown, baseDir: string): AuditConfig {
  const map = expectMap(value, 'audit');
  checkKeys(map, ['path', 'stdout', 'redact_literals'], 'audit');
  const stdout = map.stdout === undefined ? false : expectBoolean(map.stdout, 'audit.stdout');
  const file = map.path === undefined ? undefined : expectString(map.path, 'audit.path');
  if (stdout && file !== undefined) throw fail('audit', 'give either path or stdout: true, not both');
  if (!stdout && file === undefined) throw fail('audit', 'needs path: FILE or stdout: true');
  return {
    ...(file !== undefined ? { path: path(baseDir, file) } : {}),
    stdout,
    redactLiterals:
      map.redact_literals === undefined ? false : expectBoolean(map.redact_literals, 'audit.redact_literals'),
  };
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** `logging: { level, format }`. */
export function loggingSection(value: unknown): LoggingConfig {
  const map = expectMap(value, 'logging');
  checkKeys(map, ['level', 'format'], 'logging');
  const level = map.level === undefined ? 'info' : expectString(map.level, 'logging.level');
  if (!(LEVELS as readonly string[]).includes(level))
    throw fail('logging.level', `expected one of ${LEVELS.join(', ')}, got ${describe(level)}`);
  const format = map.format === undefined ? 'json' : expectString(map.format, 'logging.format');
  if (format !== 'json' && format !== 'text')
    throw fail('logging.format', `expected json or text, got ${describe(format)}`);
  return { level: level as LoggingConfig['level'], format };
}
