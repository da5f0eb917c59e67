/**
 * The server side of one SCRAM-SHA-256 exchange (RFC 5802, RFC 7677) as
 * PostgreSQL runs it: client-first → server-first → client-final →
 * server-final. Pure: the Postgres wire code frames the messages.
 *
 * Channel binding (SCRAM-SHA-256-PLUS) is not offered; a client on TLS that
 * could bind says so with the `y` flag, which is accepted because the server
 * indeed does not support it (no downgrade to detect).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type ScramVerifier, scramCrypto } from './password-hash.js';

/** The mechanism name sent in AuthenticationSASL. */
export const SCRAM_MECHANISM = 'SCRAM-SHA-256';

/** Why an exchange failed; the wire answers every case with the same 28P01 message. */
export class ScramError extends Error {
  constructor(
    message: string,
    /** The exchange was well formed but the client's proof is wrong (a wrong password, for a real verifier). */
    readonly wrongProof = false,
  ) {
    super(message);
  }
}

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/**
 * One exchange. `verifier` is the user's; for an unknown user pass a mock
 * (see {@link mockVerifier}) so that the exchange looks the same and fails at the end.
 */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private nonce = '';

  constructor(
    private readonly verifier: ScramVerifier,
    private readonly knownUser: boolean,
  ) {}

  /** Takes the client-first-message; returns the server-first-message. */
  first(clientFirst: string): string {
    const match = /^([nyp][^,]*),([^,]*),(.*)$/.exec(clientFirst);
    if (!match) throw new ScramError('malformed SCRAM client-first-message');
    if (match[1]!.startsWith('p')) throw new ScramError('channel binding is not supported');
    this.gs2Header = `${match[1]},${match[2]},`;
    this.clientFirstBare = match[3]!;
    const clientNonce = attributes(this.clientFirstBare).get('r');
    if (!clientNonce || /[^\x21-\x2b\x2d-\x7e]/.test(clientNonce))
      throw new ScramError('malformed SCRAM nonce');
    this.nonce = clientNonce + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString('base64')},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  /** Takes the client-final-message; returns the server-final-message, or throws when the proof is wrong. */
  final(clientFinal: string): string {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('malformed SCRAM client-final-message');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(this.gs2Header).toString('base64'))
      throw new ScramError('SCRAM channel binding does not match');
    if (attrs.get('r') !== this.nonce) throw new ScramError('SCRAM nonce does not match');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const { hmac, sha256 } = scramCrypto;
    const signature = hmac(this.verifier.storedKey, authMessage);
    if (proof.length !== signature.length) throw new ScramError('SCRAM proof has the wrong length');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
    const ok = timingSafeEqual(sha256(clientKey), this.verifier.storedKey);
    if (!ok || !this.knownUser) throw new ScramError('SCRAM proof does not match', true);
    return `v=${hmac(this.verifier.serverKey, authMessage).toString('base64')}`;
  }
}

/**
 * A verifier for a user that cannot log in with SCRAM (unknown, or without a
 * `scram_sha_256`), as PostgreSQL's mock authentication makes one: salt and
 * keys derived from the name and a server secret, so the server-first
 * message is the same on every attempt (and on every replica sharing the
 * secret), with the iteration count and salt length real users have. The
 * exchange then fails at the end, as for a wrong password.
 */
export function mockVerifier(
  secret: Buffer,
  user: string,
  iterations: number,
  saltLength: number,
): ScramVerifier {
  const { hmac } = scramCrypto;
  const salt = Buffer.alloc(saltLength);
  for (let block = 0; block * 32 < saltLength; block++)
    hmac(secret, `salt:${block}:${user}`).copy(salt, block * 32);
  return {
    iterations,
    salt,
    storedKey: hmac(secret, `stored:${user}`),
    serverKey: hmac(secret, `server:${user}`),
  };
}
