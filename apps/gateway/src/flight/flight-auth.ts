/**
 * Flight authentication: a Handshake with basic credentials (the
 * `authorization: Basic …` header, or a `BasicAuth` message as the handshake
 * payload) earns a bearer token, which later calls send as
 * `authorization: Bearer …`. Tokens are random and live in this process only.
 * A refused login is UNAUTHENTICATED with one message whatever the reason
 * (see `auth/login-failure.ts`), so the answer does not tell which users exist.
 */
import { randomBytes } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { ErrorCode, SpokeError } from '@spoke/core';
import { LOGIN_FAILED_MESSAGE } from '../auth/login-failure.js';

/** What a successful check may tell about the user, for the query context (row filters, role policies). */
export interface Identity {
  readonly roles?: readonly string[];
  readonly attributes?: Readonly<Record<string, string>>;
}

/**
 * Checks a user's password: false or undefined refuses, true or an
 * {@link Identity} accepts; it may also throw its own UNAUTHENTICATED. Until
 * the gateway has users configured, the Flight server runs without one and
 * accepts every caller (bind it to loopback then). `peer` is the client's
 * address as gRPC gives it (`IP:port`), for throttling failed logins.
 */
export type VerifyPassword = (
  user: string,
  password: string,
  peer?: string,
) => boolean | Identity | undefined | Promise<boolean | Identity | undefined>;

/**
 * Accepts a bearer token this server did not issue (an API key, a JWT), or
 * throws UNAUTHENTICATED. Returns who it stands for. `peer` as for {@link VerifyPassword}.
 */
export type VerifyBearer = (
  token: string,
  peer?: string,
) => (Identity & { readonly user?: string }) | Promise<Identity & { readonly user?: string }>;

/** Basic credentials. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** Who a call runs as; `user` is absent for anonymous callers (no verifier configured, no handshake). */
export interface Caller extends Identity {
  readonly user?: string;
}

/** The verifier's answer kept whole (a gateway Principal stays one), with the user named. */
function callerOf(user: string, verdict: boolean | Identity | undefined): Caller | undefined {
  if (!verdict) return undefined;
  return verdict === true ? { user } : { ...verdict, user };
}

/** Tokens expire after this long without use. */
const TOKEN_IDLE_MS = 12 * 60 * 60 * 1000;
/** Bound on live tokens, so a client handshaking in a loop cannot grow memory without end. */
const MAX_TOKENS = 100_000;

function header(metadata: Metadata, name: string): string | undefined {
  const value = metadata.get(name)[0];
  return typeof value === 'string' ? value : value?.toString('utf8');
}

/** Reads `authorization: Basic base64(user:password)`. */
export function basicCredentials(metadata: Metadata): Credentials | undefined {
  const value = header(metadata, 'authorization');
  const match = value && /^\s*basic\s+(\S+)\s*$/i.exec(value);
  if (!match) return undefined;
  const text = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Reads `authorization: Bearer token`. */
export function bearerToken(metadata: Metadata): string | undefined {
  const value = header(metadata, 'authorization');
  const match = value && /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : undefined;
}

/** Issues and checks bearer tokens. */
export class TokenAuthenticator {
  readonly #tokens = new Map<string, { caller: Caller; lastUsed: number }>();

  constructor(
    private readonly verify: VerifyPassword | undefined,
    private readonly verifyBearer?: VerifyBearer,
  ) {}

  async #check(credentials: Credentials, peer: string | undefined): Promise<Caller> {
    if (!this.verify) return { user: credentials.user };
    const caller = callerOf(
      credentials.user,
      await this.verify(credentials.user, credentials.password, peer),
    );
    if (!caller) throw new SpokeError(ErrorCode.UNAUTHENTICATED, LOGIN_FAILED_MESSAGE);
    return caller;
  }

  /** Whether calls must carry a token (a password verifier is configured). */
  get required(): boolean {
    return this.verify !== undefined;
  }

  /** Checks the credentials of a client at `peer` and returns a fresh token; UNAUTHENTICATED when they are wrong. */
  async login(credentials: Credentials, peer?: string): Promise<string> {
    const caller = await this.#check(credentials, peer);
    this.#evict();
    const token = randomBytes(32).toString('base64url');
    this.#tokens.set(token, { caller, lastUsed: Date.now() });
    return token;
  }

  /**
   * Who the call runs as. A bearer token must be one this server issued
   * (or one `verifyBearer` accepts); basic credentials sent on the call
   * itself are checked like a handshake's; a call with neither is anonymous
   * when no verifier is configured. `peer` is the client's address (`call.getPeer()`).
   */
  async authenticate(metadata: Metadata, peer?: string): Promise<Caller> {
    // `auth-token-bin` is where older Flight clients put the handshake's token.
    const token = bearerToken(metadata) ?? header(metadata, 'auth-token-bin');
    if (token !== undefined) {
      const entry = this.#tokens.get(token);
      if (entry && Date.now() - entry.lastUsed <= TOKEN_IDLE_MS) {
        entry.lastUsed = Date.now();
        return entry.caller;
      }
      this.#tokens.delete(token);
      if (this.verifyBearer) return this.verifyBearer(token, peer);
      throw new SpokeError(ErrorCode.UNAUTHENTICATED, 'unknown or expired bearer token: handshake again');
    }
    const basic = basicCredentials(metadata);
    if (basic) return this.#check(basic, peer);
    if (this.verify)
      throw new SpokeError(ErrorCode.UNAUTHENTICATED, 'authenticate first: Handshake with basic credentials');
    return {};
  }

  #evict(): void {
    const now = Date.now();
    for (const [token, entry] of this.#tokens)
      if (now - entry.lastUsed > TOKEN_IDLE_MS) this.#tokens.delete(token);
    // Maps iterate in insertion order: drop the oldest tokens first.
    for (const token of this.#tokens.keys()) {
      if (this.#tokens.size < MAX_TOKENS) break;
      this.#tokens.delete(token);
    }
  }
}
