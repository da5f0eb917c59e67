/**
 * Who is asking: checks passwords, API keys and JWTs against the config's
 * `users:`, `api_keys:` and `auth.jwt`, and answers with a {@link Principal}.
 * Every front end (HTTP, Postgres wire, Flight) authenticates through it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, SpokeError } from '@spoke/core';
import type { ApiKeyConfig, JwtConfig, UserConfig } from '../config/gateway-config.js';
import { JwtVerifier } from './jwt-verifier.js';
import {
  hashApiKey,
  parseScramVerifier,
  parseScryptHash,
  SCRAM_ITERATIONS,
  type ScramVerifier,
  type ScryptHash,
  verifyScrypt,
} from './password-hash.js';
import { mockVerifier } from './scram-exchange.js';

/** An authenticated caller. `user` is absent when authentication is off. */
export interface Principal {
  readonly user?: string;
  readonly roles: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  /** How the caller proved who they are. */
  readonly method: 'none' | 'password' | 'scram' | 'api-key' | 'jwt';
}

/** The caller when authentication is off (no users, no JWT configured). */
export const ANONYMOUS: Principal = { roles: [], attributes: {}, method: 'none' };

/** What {@link Authenticator} is built from: the config's sections. */
export interface AuthenticatorOptions {
  readonly users?: Readonly<Record<string, UserConfig>>;
  readonly apiKeys?: Readonly<Record<string, ApiKeyConfig>>;
  readonly jwt?: JwtConfig;
}

/** Successful scrypt checks are remembered this long, so HTTP basic auth does not cost 50 ms a request. */
const PASSWORD_CACHE_MS = 5 * 60 * 1000;
const PASSWORD_CACHE_MAX = 10_000;

function unauthenticated(message: string): SpokeError {
  return new SpokeError(ErrorCode.UNAUTHENTICATED, message);
}

/** Checks credentials against the configured users, API keys and JWKS. */
export class Authenticator {
  readonly #users = new Map<string, { config: UserConfig; scrypt: ScryptHash; scram?: ScramVerifier }>();
  readonly #apiKeys: { hash: Buffer; user: string }[] = [];
  readonly #jwt: JwtVerifier | undefined;
  readonly #cacheKey = randomBytes(32);
  readonly #verified = new Map<string, number>();

  constructor(options: AuthenticatorOptions = {}) {
    for (const [name, config] of Object.entries(options.users ?? {})) {
      const scrypt = parseScryptHash(config.passwordHash);
      if (!scrypt)
        throw new SpokeError(ErrorCode.INVALID_CONFIG, `users.${name}.password_hash: not a scrypt hash`);
      const scram = config.scramSha256 === undefined ? undefined : parseScramVerifier(config.scramSha256);
      this.#users.set(name, { config, scrypt, ...(scram ? { scram } : {}) });
    }
    for (const key of Object.values(options.apiKeys ?? {}))
      this.#apiKeys.push({ hash: Buffer.from(key.keyHash.slice('sha256$'.length), 'hex'), user: key.user });
    this.#jwt = options.jwt ? new JwtVerifier(options.jwt) : undefined;
  }

  /** Whether callers must authenticate: users or a JWKS are configured. */
  get required(): boolean {
    return this.#users.size > 0 || this.#jwt !== undefined;
  }

  /** The principal of a configured user (roles and attributes from the config). */
  principal(user: string, method: Principal['method']): Principal {
    const entry = this.#users.get(user);
    return { user, roles: entry?.config.roles ?? [], attributes: entry?.config.attributes ?? {}, method };
  }

  /** Checks a user's password against its scrypt hash; undefined when wrong or unknown. */
  async verifyPassword(user: string, password: string): Promise<Principal | undefined> {
    const entry = this.#users.get(user);
    if (!entry) return undefined;
    const cacheKey = createHmac('sha256', this.#cacheKey)
      .update(user)
      .update('\0')
      .update(password)
      .digest('base64');
    const until = this.#verified.get(cacheKey);
    if (until !== undefined && until > Date.now()) return this.principal(user, 'password');
    if (!(await verifyScrypt(password, entry.scrypt))) return undefined;
    if (this.#verified.size >= PASSWORD_CACHE_MAX) this.#verified.clear();
    this.#verified.set(cacheKey, Date.now() + PASSWORD_CACHE_MS);
    return this.principal(user, 'password');
  }

  /**
   * The SCRAM verifier to run an exchange for `user` with: the configured
   * one, or a mock for an unknown user (the exchange then fails at the end,
   * as for a wrong password). `known` is false for both unknown users and
   * users that have no `scram_sha_256` (they log in with a password over TLS).
   */
  scramVerifier(user: string): { verifier: ScramVerifier; known: boolean } {
    const scram = this.#users.get(user)?.scram;
    return scram
      ? { verifier: scram, known: true }
      : { verifier: mockVerifier(user, SCRAM_ITERATIONS), known: false };
  }

  /** Whether `user` is configured without a SCRAM verifier (only a scrypt hash). */
  passwordOnly(user: string): boolean {
    const entry = this.#users.get(user);
    return entry !== undefined && entry.scram === undefined;
  }

  /** An API key or a JWT, as sent in `authorization: Bearer …`. */
  authenticateBearer(token: string): Principal {
    if (this.#jwt && JwtVerifier.looksLikeJwt(token)) {
      const identity = this.#jwt.verify(token);
      const configured = this.#users.get(identity.user);
      return {
        user: identity.user,
        roles: identity.roles,
        attributes: configured?.config.attributes ?? {},
        method: 'jwt',
      };
    }
    const hash = Buffer.from(hashApiKey(token).slice('sha256$'.length), 'hex');
    // Compare against every key, so the time taken does not say which one nearly matched.
    let found: string | undefined;
    for (const key of this.#apiKeys) if (timingSafeEqual(key.hash, hash)) found = key.user;
    if (found === undefined) throw unauthenticated('invalid API key');
    return this.principal(found, 'api-key');
  }

  /**
   * The caller of an HTTP request from its `authorization` header: `Bearer`
   * (API key or JWT) or `Basic` (user and password). Anonymous when
   * authentication is off; UNAUTHENTICATED when it is on and the header is
   * missing or wrong.
   */
  async authenticateHttp(authorization: string | undefined): Promise<Principal> {
    if (!this.required) return ANONYMOUS;
    if (!authorization)
      throw unauthenticated(
        'authentication required: send Authorization: Bearer API_KEY (or Basic user:password)',
      );
    const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (bearer) return this.authenticateBearer(bearer[1]!);
    const basic = /^\s*basic\s+(\S+)\s*$/i.exec(authorization);
    if (basic) {
      const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      const user = colon < 0 ? text : text.slice(0, colon);
      const principal = colon < 0 ? undefined : await this.verifyPassword(user, text.slice(colon + 1));
      if (!principal) throw unauthenticated(`password authentication failed for user "${user}"`);
      return principal;
    }
    throw unauthenticated('unsupported Authorization scheme: use Bearer or Basic');
  }
}
