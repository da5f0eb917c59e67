/**
 * Failed-login throttling, counted per (user, client address) and per client
 * address. Below a key's threshold nothing changes; from it on, each further
 * failure refuses that key's attempts for an exponentially growing backoff
 * (1 s, 2 s, 4 s… up to a cap), and only one attempt of a throttled key is
 * checked at a time, so opening many connections at once cannot multiply the
 * guesses. A key's failures are forgotten once a window passes without a new
 * one; a successful login clears its (user, address) key but not its
 * address's, so one valid account does not reset the count of guesses
 * against others.
 *
 * A throttled attempt is refused at once, without checking its credentials:
 * holding it open instead (PostgreSQL's `auth_delay`) would keep connection
 * slots busy, which its documentation names as a denial-of-service risk.
 * Memory is bounded: past `maxEntries` keys per kind, the least recently
 * failed are forgotten first.
 */

/** The knobs of {@link LoginThrottle}; `auth.login_throttle` in the config. */
export interface LoginThrottleSettings {
  /** Failures of one user from one client address before backoff starts. */
  readonly maxFailures: number;
  /** Failures from one client address, whatever the users, before backoff starts. */
  readonly maxFailuresPerAddress: number;
  /** A key's failures are forgotten once this long passes without a new one (ms). */
  readonly windowMs: number;
  /** The first backoff (ms); it doubles with each further failure. */
  readonly backoffMs: number;
  /** The longest backoff (ms). */
  readonly maxBackoffMs: number;
  /** Keys kept per kind (user-and-address, address) before the oldest are dropped. */
  readonly maxEntries: number;
}

/**
 * The defaults: 5 failures per user and address; 50 per address (offices and
 * NAT put many users behind one); within 15 minutes; 1 s doubling up to 60 s.
 */
export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = {
  maxFailures: 5,
  maxFailuresPerAddress: 50,
  windowMs: 15 * 60_000,
  backoffMs: 1000,
  maxBackoffMs: 60_000,
  maxEntries: 50_000,
};

/**
 * How long one admitted attempt of a throttled key holds its slot at most,
 * so a client that never finishes its login cannot keep the key open.
 */
const ATTEMPT_SLOT_MS = 30_000;

interface Entry {
  failures: number;
  /** When the last failure happened. */
  last: number;
  /** Attempts refused until then. */
  blockedUntil: number;
  /** Attempts admitted while the key was at its threshold and not finished yet. */
  inFlight: number;
  admittedAt: number;
}

/** Why an attempt was refused, for the operator's log. */
export interface Throttled {
  readonly scope: 'user' | 'address';
  /** How long until the key admits an attempt again (ms); 0 when an earlier attempt is still being checked. */
  readonly retryAfterMs: number;
}

/** One kind of key with its threshold. */
class Counts {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly threshold: number,
    private readonly settings: LoginThrottleSettings,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The entry of `key` if it still counts (expired ones are dropped). */
  current(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (
      now - entry.last > this.settings.windowMs &&
      entry.blockedUntil <= now &&
      !this.#holding(entry, now)
    ) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #holding(entry: Entry, now: number): boolean {
    return entry.inFlight > 0 && now - entry.admittedAt < ATTEMPT_SLOT_MS;
  }

  /** Why `key` may not try now, if it may not. */
  refusal(key: string, now: number): number | undefined {
    const entry = this.current(key, now);
    if (!entry) return undefined;
    if (entry.blockedUntil > now) return entry.blockedUntil - now;
    if (entry.failures >= this.threshold && this.#holding(entry, now)) return 0;
    return undefined;
  }

  /** Takes the key's slot when it is at its threshold; returns the entry to release later. */
  admit(key: string, now: number): Entry | undefined {
    const entry = this.current(key, now);
    if (!entry || entry.failures < this.threshold) return undefined;
    if (now - entry.admittedAt >= ATTEMPT_SLOT_MS) entry.inFlight = 0;
    entry.inFlight++;
    entry.admittedAt = now;
    return entry;
  }

  fail(key: string, now: number): void {
    let entry = this.current(key, now);
    if (entry) this.#entries.delete(key);
    else {
      entry = { failures: 0, last: now, blockedUntil: 0, inFlight: 0, admittedAt: 0 };
      // Maps iterate in insertion order and every update re-inserts: the first key is the stalest.
      for (const oldest of this.#entries.keys()) {
        if (this.#entries.size < this.settings.maxEntries) break;
        this.#entries.delete(oldest);
      }
    }
    if (now - entry.last > this.settings.windowMs) entry.failures = 0;
    entry.failures++;
    entry.last = now;
    const over = entry.failures - this.threshold;
    if (over >= 0) {
      const backoff = this.settings.backoffMs * 2 ** Math.min(over, 30);
      entry.blockedUntil = now + Math.min(backoff, this.settings.maxBackoffMs);
    }
    this.#entries.set(key, entry);
  }

  clear(key: string): void {
    this.#entries.delete(key);
  }
}

/** The outcome of one admitted attempt; the first call wins, later ones do nothing. */
export class ThrottleTicket {
  #open = true;

  constructor(private readonly release: (outcome: 'success' | 'failure' | 'abandoned') => void) {}

  /** The login succeeded: the user's count from this address starts over. */
  succeeded(): void {
    this.#finish('success');
  }

  /** The login failed: both keys count one more failure. */
  failed(): void {
    this.#finish('failure');
  }

  /** The client went away before the login ended: nothing is counted. */
  abandoned(): void {
    this.#finish('abandoned');
  }

  #finish(outcome: 'success' | 'failure' | 'abandoned'): void {
    if (!this.#open) return;
    this.#open = false;
    this.release(outcome);
  }
}

/** Counts failed logins and says when a client must wait. */
export class LoginThrottle {
  readonly #byUser: Counts;
  readonly #byAddress: Counts;

  constructor(
    readonly settings: LoginThrottleSettings = DEFAULT_LOGIN_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {
    this.#byUser = new Counts(settings.maxFailures, settings);
    this.#byAddress = new Counts(settings.maxFailuresPerAddress, settings);
  }

  /**
   * Told of every attempt that ended in success or failure here. Under
   * `server.workers` > 1 each worker has its own throttle; a worker passes
   * its outcomes on (see cluster/gateway-worker.ts) and the others
   * {@link record} them, so the counts are the gateway's, not one worker's.
   */
  observer: ((outcome: 'success' | 'failure', user: string | undefined, address: string) => void) | undefined;

  /** Counts an attempt that ended in another worker, as if it had ended here. */
  record(outcome: 'success' | 'failure', user: string | undefined, address: string): void {
    this.#count(outcome, user === undefined ? undefined : `${address}\u0000${user}`, address);
  }

  #count(outcome: 'success' | 'failure', userKey: string | undefined, address: string): void {
    const at = this.now();
    if (outcome === 'failure') {
      this.#byAddress.fail(address, at);
      if (userKey !== undefined) this.#byUser.fail(userKey, at);
    } else if (userKey !== undefined) this.#byUser.clear(userKey);
  }

  /** Keys held now, of both kinds (for tests and the curious: memory stays bounded). */
  get size(): number {
    return this.#byUser.size + this.#byAddress.size;
  }

  /**
   * Admits an attempt by `user` (undefined for bearer tokens, which name no
   * user until checked) from `address` (a {@link throttleAddress} key), or
   * says why not.
   */
  admit(user: string | undefined, address: string): ThrottleTicket | Throttled {
    const now = this.now();
    const userKey = user === undefined ? undefined : `${address}\u0000${user}`;
    const byAddress = this.#byAddress.refusal(address, now);
    if (byAddress !== undefined) return { scope: 'address', retryAfterMs: byAddress };
    const byUser = userKey === undefined ? undefined : this.#byUser.refusal(userKey, now);
    if (byUser !== undefined) return { scope: 'user', retryAfterMs: byUser };
    const held = [this.#byAddress.admit(address, now), userKey && this.#byUser.admit(userKey, now)];
    return new ThrottleTicket((outcome) => {
      for (const entry of held) if (entry && entry.inFlight > 0) entry.inFlight--;
      if (outcome === 'abandoned') return;
      this.#count(outcome, userKey, address);
      this.observer?.(outcome, user, address);
    });
  }
}
