/**
 * Concurrency limits: at most `maxTotal` queries at once, `maxPerUser` per
 * user; the rest wait in one FIFO queue for up to `queueTimeoutMs`, then fail
 * with RESOURCE_EXHAUSTED ("too busy"). A waiting query whose user is at
 * their own limit does not hold up the queries behind it.
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
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  done: boolean;
}

/** Hands out query slots. */
export class Admission {
  #running = 0;
  readonly #perUser = new Map<string, number>();
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

  private fits(user: string): boolean {
    const { maxTotal, maxPerUser } = this.options;
    if (maxTotal !== undefined && this.#running >= maxTotal) return false;
    if (maxPerUser !== undefined && (this.#perUser.get(user) ?? 0) >= maxPerUser) return false;
    return true;
  }

  private take(user: string): () => void {
    this.#running++;
    this.#perUser.set(user, (this.#perUser.get(user) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      const left = (this.#perUser.get(user) ?? 1) - 1;
      if (left === 0) this.#perUser.delete(user);
      else this.#perUser.set(user, left);
      this.wake();
    };
  }

  private wake(): void {
    for (let i = 0; i < this.#queue.length; ) {
      const waiter = this.#queue[i]!;
      if (this.fits(waiter.user)) {
        this.#queue.splice(i, 1);
        waiter.done = true;
        waiter.resolve();
      } else i++;
      if (this.options.maxTotal !== undefined && this.#running >= this.options.maxTotal) return;
    }
  }

  /**
   * Waits for a slot; resolves with its release function. Rejects with
   * RESOURCE_EXHAUSTED after the queue timeout, or QUERY_CANCELLED when
   * `signal` aborts while waiting.
   */
  async acquire(user: string, signal?: AbortSignal): Promise<() => void> {
    if (this.#queue.length === 0 && this.fits(user)) return this.take(user);
    if (signal?.aborted) throw SpokeError.cancelled(signal);
    const { maxTotal, maxPerUser, queueTimeoutMs, maxQueued = 10_000 } = this.options;
    const why = () =>
      maxPerUser !== undefined && (this.#perUser.get(user) ?? 0) >= maxPerUser
        ? `user "${user}" already runs ${maxPerUser} queries (limits.max_concurrent_per_user)`
        : `${this.#running} queries are running (limits.max_concurrent_queries is ${maxTotal})`;
    if (this.#queue.length >= maxQueued)
      throw new SpokeError(
        ErrorCode.RESOURCE_EXHAUSTED,
        `too busy: ${why()} and ${this.#queue.length} are waiting; try again later`,
      );
    return new Promise<() => void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => settle(() => reject(SpokeError.cancelled(signal)));
      const waiter: Waiter = {
        user,
        resolve: () => settle(() => resolve(this.take(user))),
        reject,
        done: false,
      };
      const settle = (action: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        waiter.done = true;
        action();
      };
      timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new SpokeError(
                ErrorCode.RESOURCE_EXHAUSTED,
                `too busy: ${why()}; waited ${queueTimeoutMs / 1000}s for a slot (limits.queue_timeout); try again later`,
                { details: { retryable: true } },
              ),
            ),
          ),
        queueTimeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }
}
