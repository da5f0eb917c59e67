/**
 * Stand-in credentials for logins that cannot succeed, so they look and cost
 * the same as real ones: a SCRAM verifier per unknown name (PostgreSQL's mock
 * authentication) and a scrypt hash to spend a real verification on.
 *
 * The secret they derive from is a hash of the configured credentials: stable
 * across restarts and identical on every replica that shares the config (a
 * per-process random secret would change an unknown user's salt at each
 * restart, or between replicas behind one address, and so give the user
 * away), and unknown to anyone who cannot read the config.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { ApiKeyConfig } from '../config/gateway-config.js';
import {
  SCRAM_ITERATIONS,
  SCRYPT_DEFAULTS,
  type ScramVerifier,
  type ScryptHash,
  verifyScrypt,
} from './password-hash.js';
import { mockVerifier } from './scram-exchange.js';

/** A configured user's parsed credentials, as the authenticator keeps them. */
export interface KnownCredentials {
  readonly name: string;
  readonly passwordHash: string;
  readonly scrypt: ScryptHash;
  readonly scram?: ScramVerifier;
}

/** The value found most often in `values` (the first of equals), or `fallback` when there are none. */
function mostCommon<T>(values: readonly T[], key: (value: T) => string, fallback: T): T {
  const counts = new Map<string, { value: T; n: number }>();
  for (const value of values) {
    const k = key(value);
    const entry = counts.get(k);
    if (entry) entry.n++;
    else counts.set(k, { value, n: 1 });
  }
  let best: { value: T; n: number } | undefined;
  for (const entry of counts.values()) if (!best || entry.n > best.n) best = entry;
  return best ? best.value : fallback;
}

/** Mock SCRAM verifiers and a decoy scrypt hash shaped like the configured users' own. */
export class MockCredentials {
  readonly #secret: Buffer;
  readonly #iterations: number;
  readonly #saltLength: number;
  readonly #decoy: ScryptHash;

  constructor(users: readonly KnownCredentials[], apiKeys: readonly ApiKeyConfig[]) {
    const material = [
      ...[...users]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((u) => `${u.name}\u0000${u.passwordHash}\u0000${u.scram ? 'scram' : ''}`),
      ...apiKeys.map((k) => k.keyHash).sort(),
    ];
    const scram = users.flatMap((u) => (u.scram ? [u.scram] : []));
    this.#secret =
      material.length === 0
        ? randomBytes(32)
        : createHash('sha256').update('spoke login mock\u0000').update(material.join('\u0001')).digest();
    this.#iterations = mostCommon(
      scram.map((v) => v.iterations),
      String,
      SCRAM_ITERATIONS,
    );
    this.#saltLength = mostCommon(
      scram.map((v) => v.salt.length),
      String,
      16,
    );
    const shape = mostCommon(
      users.map((u) => u.scrypt),
      (h) => `${h.N}:${h.r}:${h.p}:${h.salt.length}:${h.hash.length}`,
      { ...SCRYPT_DEFAULTS, salt: Buffer.alloc(16), hash: Buffer.alloc(32) },
    );
    const derive = (label: string, length: number) =>
      createHmac('sha256', this.#secret).update(label).digest().subarray(0, Math.min(32, length));
    this.#decoy = {
      N: shape.N,
      r: shape.r,
      p: shape.p,
      salt: Buffer.concat([
        derive('decoy salt', shape.salt.length),
        Buffer.alloc(Math.max(0, shape.salt.length - 32)),
      ]),
      hash: Buffer.concat([
        derive('decoy hash', shape.hash.length),
        Buffer.alloc(Math.max(0, shape.hash.length - 32)),
      ]),
    };
  }

  /** The SCRAM verifier an exchange for `user`, who cannot log in with SCRAM, runs with. */
  scramVerifier(user: string): ScramVerifier {
    return mockVerifier(this.#secret, user, this.#iterations, this.#saltLength);
  }

  /** Spends one scrypt verification, as checking a real user's password would; the answer is ignored. */
  async spendVerification(password: string): Promise<void> {
    await verifyScrypt(password, this.#decoy);
  }
}
