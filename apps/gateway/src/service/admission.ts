/**
 * Concurrency limits: at most `maxTotal` queries at once, `maxPerUser` per
 * user. A query that cannot start waits, holding no slot, for up to
 * `queueTimeoutMs`, then fails with RESOURCE_EXHAUSTED ("too busy").
 *
 * Fairness: a waiter whose own user is at `maxPerUser` blocks nobody. A new
 * query starts at once whenever it fits (a global slot is free and its user
 * is under their cap), whatever waits; that is safe because the queue never
 * holds a waiter that could run (every release wakes all that fit). Among
 * waiters that can run, the longest-waiting goes first (FIFO).
 */
import { ErrorCode, SpokeError } from '@spoke/core';

/** Options for {@link Admission}. */
export interface AdmissionOptions {
  readonly maxTotal?: number;
  readonly maxPerUser?: number;
  readonly queueTimeoutMs: number;
  /** Bound on waiting queries; past it a query is refused at once. Default 10,000. */
  readonly maxQueued?: number;
}

interface Waiter {
  readonly user: string;
  /** Takes the slot and settles the waiter's promise (called by {@link Admission.wake}). */
  readonly admit: () => void;
}

/**
 * What the query service takes its slots from: an {@link Admission} in this
 * process, or, under `server.workers` > 1, the primary's (cluster/remote-admission.ts).
 */
export interface AdmissionGate {
  /** Queries of this process holding a slot. */
  readonly running: number;
  /** Queries of this process waiting for one. */
  readonly queued: number;
  /** Waits for a slot; resolves with its release function (see {@link Admission.acquire}). */
  acquire(user: string, signal?: AbortSignal): Promise<() => void>;
}

/** Hands out query slots. */
export class Admission implements AdmissionGate {
  #running = 0;
  readonly #perUser = new Map<string, number>();
  /** Waiters in arrival order; none of them fits while it is here (see the file comment). */
  readonly #queue: Waiter[] = [];

  constructor(private readonly options: AdmissionOptions) {}

  /** Queries holding a slot. */
  get running(): number {
    return this.#running;
  }

  /** Queries waiting for one. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Slots `user` holds now. */
  runningFor(user: string): number {
    return this.#perUser.get(user) ?? 0;
  }

  private globalFull(): boolean {
    const { maxTotal } = this.options;
    return maxTotal !== undefined && this.#running >= maxTotal;
  }

  private userFull(user: string): boolean {
    const { maxPerUser } = this.options;
    return maxPerUser !== undefined && this.runningFor(user) >= maxPerUser;
  }

  private fits(user: string): boolean {
    return !this.globalFull() && !this.userFull(user);
  }

  private take(user: string): () => void {
    this.#running++;
    this.#perUser.set(user, this.runningFor(user) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      const left = this.runningFor(user) - 1;
      if (left <= 0) this.#perUser.delete(user);
      else this.#perUser.set(user, left);
      this.wake();
    };
  }

  /** Admits, in arrival order, every waiter that fits now (skipping those whose user is at their cap). */
  private wake(): void {
    for (let i = 0; i < this.#queue.length && !this.globalFull(); ) {
      const waiter = this.#queue[i]!;
      if (this.userFull(waiter.user)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      waiter.admit();
    }
  }

  /** Why `user` cannot start now, for the "too busy" message. */
  private why(user: string): string {
    const { maxTotal, maxPerUser } = this.options;
    return this.userFull(user)
      ? `user "${user}" already runs ${maxPerUser} queries (limits.max_concurrent_per_user)`
      : `${this.#running} queries are running (limits.max_concurrent_queries is ${maxTotal})`;
  }

  /**
   * Waits for a slot; resolves with its release function. Rejects with
   * RESOURCE_EXHAUSTED after the queue timeout, or QUERY_CANCELLED when
   * `signal` aborts while waiting.
   */
  async acquire(user: string, signal?: AbortSignal): Promise<() => void> {
    // Nothing queued can run now (the invariant), so a query that fits overtakes no one who could.
    if (this.fits(user)) return this.take(user);
    if (signal?.aborted) throw SpokeError.cancelled(signal);
    const { queueTimeoutMs, maxQueued = 10_000 } = this.options;
    if (this.#queue.length >= maxQueued)
      throw new SpokeError(
        ErrorCode.RESOURCE_EXHAUSTED,
        `too busy: ${this.why(user)} and ${this.#queue.length} are waiting; try again later`,
      );
    return new Promise<() => void>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
      };
      const onAbort = () => {
        leave();
        reject(SpokeError.cancelled(signal));
      };
      const waiter: Waiter = {
        user,
        admit: () => {
          leave();
          resolve(this.take(user));
        },
      };
      const timer = setTimeout(() => {
        leave();
        reject(
          new SpokeError(
            ErrorCode.RESOURCE_EXHAUSTED,
            `too busy: ${this.why(user)}; waited ${queueTimeoutMs / 1000}s for a slot (limits.queue_timeout); try again later`,
            { details: { retryable: true } },
          ),
        );
      }, queueTimeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }
}
