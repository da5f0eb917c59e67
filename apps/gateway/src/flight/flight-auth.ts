/**
 * Flight authentication: a Handshake with basic credentials (the
 * `authorization: Basic …` header, or a `BasicAuth` message as the handshake
 * payload) earns a bearer token, which later calls send as
 * `authorization: Bearer …`. Tokens are random and live in this process only.
 */
import { randomBytes } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { ErrorCode, SpokeError } from '@spoke/core';

/**
 * Checks a user's password. Until the gateway has users configured, the
 * Flight server runs without one and accepts every caller (bind it to loopback then).
 */
export type VerifyPassword = (user: string, password: string) => boolean | Promise<boolean>;

/** Basic credentials. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** Who a call runs as; `user` is absent for anonymous callers (no verifier configured, no handshake). */
export interface Caller {
  readonly user?: string;
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
  readonly #tokens = new Map<string, { user: string; lastUsed: number }>();

  constructor(private readonly verify: VerifyPassword | undefined) {}

  /** Whether calls must carry a token (a password verifier is configured). */
  get required(): boolean {
    return this.verify !== undefined;
  }

  /** Checks the credentials and returns a fresh token; UNAUTHENTICATED when they are wrong. */
  async login(credentials: Credentials): Promise<string> {
    if (this.verify && !(await this.verify(credentials.user, credentials.password)))
      throw new SpokeError(
        ErrorCode.UNAUTHENTICATED,
        `password authentication failed for user "${credentials.user}"`,
      );
    this.#evict();
    const token = randomBytes(32).toString('base64url');
    this.#tokens.set(token, { user: credentials.user, lastUsed: Date.now() });
    return token;
  }

  /**
   * Who the call runs as. A bearer token must be known; basic credentials
   * sent on the call itself are checked like a handshake's; a call with
   * neither is anonymous when no verifier is configured.
   */
  async authenticate(metadata: Metadata): Promise<Caller> {
    const token = bearerToken(metadata);
    if (token !== undefined) {
      const entry = this.#tokens.get(token);
      if (!entry || Date.now() - entry.lastUsed > TOKEN_IDLE_MS) {
        this.#tokens.delete(token);
        throw new SpokeError(ErrorCode.UNAUTHENTICATED, 'unknown or expired bearer token: handshake again');
      }
      entry.lastUsed = Date.now();
      return { user: entry.user };
    }
    const basic = basicCredentials(metadata);
    if (basic) {
      if (this.verify && !(await this.verify(basic.user, basic.password)))
        throw new SpokeError(
          ErrorCode.UNAUTHENTICATED,
          `password authentication failed for user "${basic.user}"`,
        );
      return { user: basic.user };
    }
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
