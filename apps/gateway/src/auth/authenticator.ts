/**
 * Who is asking: checks passwords, API keys and JWTs against the config's
 * `users:`, `api_keys:` and `auth.jwt`, and answers with a {@link Principal}.
 * Every front end (HTTP, Postgres wire, Flight) authenticates through it.
 *
 * Every failed login ends in a {@link LoginFailure}: one message per
 * protocol whatever went wrong, the real reason kept for the operator.
 * Logins that cannot succeed cost what real ones do (a scrypt verification,
 * a SCRAM exchange with a mock verifier), and failed logins are throttled
 * per (user, client address) and per client address.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, SpokeError } from '@spoke/core';
import type { ApiKeyConfig, JwtConfig, LoginThrottleConfig, UserConfig } from '../config/gateway-config.js';
import { throttleAddress } from './client-address.js';
import { JwtVerifier } from './jwt-verifier.js';
import { LoginFailure, type LoginProtocol } from './login-failure.js';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type ThrottleTicket } from './login-throttle.js';
import { type KnownCredentials, MockCredentials } from './mock-credentials.js';
import {
  hashApiKey,
  parseScramVerifier,
  parseScryptHash,
  type ScramVerifier,
  type ScryptHash,
  verifyScrypt,
} from './password-hash.js';
import { ScramExchange } from './scram-exchange.js';

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
  /** `auth.login_throttle`: the defaults when absent, no throttling when `false`. */
  readonly loginThrottle?: LoginThrottleConfig | false;
  /** The clock throttling reads (tests). */
  readonly now?: () => number;
}

/** Where a login comes from. */
export interface LoginClient {
  readonly protocol: LoginProtocol;
  /** The client's address (an IP, or `IP:port`); failed logins are counted by it. */
  readonly address?: string;
}

/** Successful scrypt checks are remembered this long, so HTTP basic auth does not cost 50 ms a request. */
const PASSWORD_CACHE_MS = 5 * 60 * 1000;
const PASSWORD_CACHE_MAX = 10_000;

/**
 * One login in progress, admitted by throttling: it ends with
 * {@link LoginAttempt.succeed}, {@link LoginAttempt.fail} or
 * {@link LoginAttempt.abandon} (the first call counts).
 */
export class LoginAttempt {
  constructor(
    /** The user the client named; undefined for bearer tokens until checked. */
    readonly user: string | undefined,
    readonly client: LoginClient,
    private readonly ticket: ThrottleTicket | undefined,
  ) {}

  /** The login worked: the user's failure count from this address starts over. */
  succeed(): void {
    this.ticket?.succeeded();
  }

  /** The login failed for `reason` (operator-side): counted, and the uniform failure to send. */
  fail(reason: string): LoginFailure {
    this.ticket?.failed();
    return new LoginFailure(this.client.protocol, this.user, reason);
  }

  /** The client left before the login ended: nothing is counted. */
  abandon(): void {
    this.ticket?.abandoned();
  }
}

/** How the Postgres wire asks for credentials: a SCRAM exchange or a cleartext password (inside TLS only). */
export type WireLoginMethod = 'scram' | 'password';

/** Checks credentials against the configured users, API keys and JWKS. */
export class Authenticator {
  readonly #users = new Map<string, { config: UserConfig; scrypt: ScryptHash; scram?: ScramVerifier }>();
  readonly #apiKeys: { hash: Buffer; user: string }[] = [];
  readonly #jwt: JwtVerifier | undefined;
  readonly #mock: MockCredentials;
  readonly #throttle: LoginThrottle | undefined;
  readonly #cacheKey = randomBytes(32);
  readonly #verified = new Map<string, number>();

  constructor(options: AuthenticatorOptions = {}) {
    const known: KnownCredentials[] = [];
    for (const [name, config] of Object.entries(options.users ?? {})) {
      const scrypt = parseScryptHash(config.passwordHash);
      if (!scrypt)
        throw new SpokeError(ErrorCode.INVALID_CONFIG, `users.${name}.password_hash: not a scrypt hash`);
      const scram = config.scramSha256 === undefined ? undefined : parseScramVerifier(config.scramSha256);
      this.#users.set(name, { config, scrypt, ...(scram ? { scram } : {}) });
      known.push({ name, passwordHash: config.passwordHash, scrypt, ...(scram ? { scram } : {}) });
    }
    const apiKeys = Object.values(options.apiKeys ?? {});
    for (const key of apiKeys)
      this.#apiKeys.push({ hash: Buffer.from(key.keyHash.slice('sha256$'.length), 'hex'), user: key.user });
    this.#jwt = options.jwt ? new JwtVerifier(options.jwt) : undefined;
    this.#mock = new MockCredentials(known, apiKeys);
    this.#throttle =
      options.loginThrottle === false
        ? undefined
        : new LoginThrottle(
            { ...DEFAULT_LOGIN_THROTTLE, ...(options.loginThrottle ?? {}) },
            options.now ?? Date.now,
          );
  }

  /** The failed-login throttle (`auth.login_throttle`), unless turned off. */
  get throttle(): LoginThrottle | undefined {
    return this.#throttle;
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

  /**
   * Starts a login by `user` (undefined for a bearer token) from `client`.
   *
   * @throws LoginFailure, uncounted, when throttling refuses the attempt
   */
  beginLogin(user: string | undefined, client: LoginClient): LoginAttempt {
    if (!this.#throttle) return new LoginAttempt(user, client, undefined);
    const address = throttleAddress(client.address);
    const admitted = this.#throttle.admit(user, address);
    if ('retryAfterMs' in admitted) {
      const who = admitted.scope === 'user' ? `for user "${user}" from ${address}` : `from ${address}`;
      const wait =
        admitted.retryAfterMs > 0
          ? `refused for ${Math.ceil(admitted.retryAfterMs / 1000)} s more`
          : 'one attempt at a time while throttled';
      throw new LoginFailure(
        client.protocol,
        user,
        `throttled: too many failed logins ${who} (${wait})`,
        true,
      );
    }
    return new LoginAttempt(user, client, admitted);
  }

  /**
   * Checks `password` for the attempt's user against its scrypt hash. An
   * unknown user costs the same verification, so the time taken does not
   * say which names exist.
   *
   * @throws LoginFailure when the user is unknown or the password wrong
   */
  async checkPassword(attempt: LoginAttempt, password: string): Promise<Principal> {
    const user = attempt.user ?? '';
    const entry = this.#users.get(user);
    if (!entry) {
      await this.#mock.spendVerification(password);
      throw attempt.fail(
        `no user "${user}" under users:${this.#jwt ? ' (JWT users log in with a bearer token)' : ''}`,
      );
    }
    const cacheKey = createHmac('sha256', this.#cacheKey)
      .update(user)
      .update('\0')
      .update(password)
      .digest('base64');
    const until = this.#verified.get(cacheKey);
    if (until === undefined || until <= Date.now()) {
      if (!(await verifyScrypt(password, entry.scrypt)))
        throw attempt.fail(`wrong password for user "${user}"`);
      if (this.#verified.size >= PASSWORD_CACHE_MAX) this.#verified.clear();
      this.#verified.set(cacheKey, Date.now() + PASSWORD_CACHE_MS);
    }
    attempt.succeed();
    return this.principal(user, 'password');
  }

  /**
   * A password login from start to end (HTTP basic credentials, the Flight
   * handshake): throttling, then {@link Authenticator.checkPassword}.
   *
   * @throws LoginFailure for every failure, with the protocol's uniform message
   */
  async login(user: string, password: string, client: LoginClient): Promise<Principal> {
    const attempt = this.beginLogin(user, client);
    try {
      return await this.checkPassword(attempt, password);
    } finally {
      attempt.abandon();
    }
  }

  /**
   * How the Postgres wire asks for credentials. Without TLS always SCRAM
   * (users without a verifier get a mock exchange that fails at the end).
   * Inside TLS, SCRAM too — unless some user has only a scrypt hash: then
   * every user is asked for a cleartext password, because asking only some
   * names for one would tell which users exist and how they log in.
   */
  wireMethod(tls: boolean): WireLoginMethod {
    if (!tls) return 'scram';
    for (const entry of this.#users.values()) if (!entry.scram) return 'password';
    return 'scram';
  }

  /**
   * The SCRAM exchange for the attempt's user: with its verifier, or with a
   * mock one (unknown user, user without `scram_sha_256`), in which case
   * `refusal` says why it will fail.
   */
  scramExchange(attempt: LoginAttempt): { readonly exchange: ScramExchange; readonly refusal?: string } {
    const user = attempt.user ?? '';
    const entry = this.#users.get(user);
    if (entry?.scram) return { exchange: new ScramExchange(entry.scram, true) };
    return {
      exchange: new ScramExchange(this.#mock.scramVerifier(user), false),
      refusal: entry
        ? `user "${user}" has no scram_sha_256 verifier: it can log in only over TLS, with its password`
        : `no user "${user}" under users:`,
    };
  }

  /**
   * An API key or a JWT, as sent in `authorization: Bearer …`; throttled
   * per client address (a token names no user until it is checked).
   *
   * @throws LoginFailure for every failure, with the protocol's uniform message
   */
  async loginBearer(token: string, client: LoginClient): Promise<Principal> {
    const attempt = this.beginLogin(undefined, client);
    try {
      const principal = this.#bearer(token, attempt);
      attempt.succeed();
      return principal;
    } finally {
      attempt.abandon();
    }
  }

  #bearer(token: string, attempt: LoginAttempt): Principal {
    if (this.#jwt && JwtVerifier.looksLikeJwt(token)) {
      let identity: ReturnType<JwtVerifier['verify']>;
      try {
        identity = this.#jwt.verify(token);
      } catch (error) {
        throw attempt.fail(error instanceof Error ? error.message : String(error));
      }
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
    if (found === undefined)
      throw attempt.fail(
        JwtVerifier.looksLikeJwt(token) && !this.#jwt
          ? 'a JWT, but auth.jwt is not configured'
          : 'invalid API key',
      );
    return this.principal(found, 'api-key');
  }

  /**
   * The caller of an HTTP request from its `authorization` header: `Bearer`
   * (API key or JWT) or `Basic` (user and password). Anonymous when
   * authentication is off; UNAUTHENTICATED when it is on and the header is
   * missing or its scheme unknown (saying how to authenticate), a
   * {@link LoginFailure} when credentials were sent and are not accepted.
   */
  async authenticateHttp(authorization: string | undefined, client: LoginClient): Promise<Principal> {
    if (!this.required) return ANONYMOUS;
    if (!authorization)
      throw new SpokeError(
        ErrorCode.UNAUTHENTICATED,
        'authentication required: send Authorization: Bearer API_KEY (or Basic user:password)',
      );
    const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (bearer) return this.loginBearer(bearer[1]!, client);
    const basic = /^\s*basic\s+(\S+)\s*$/i.exec(authorization);
    if (basic) {
      const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon < 0) {
        const attempt = this.beginLogin(text, client);
        await this.#mock.spendVerification('');
        throw attempt.fail('basic credentials without a ":" between user and password');
      }
      return this.login(text.slice(0, colon), text.slice(colon + 1), client);
    }
    throw new SpokeError(ErrorCode.UNAUTHENTICATED, 'unsupported Authorization scheme: use Bearer or Basic');
  }
}
