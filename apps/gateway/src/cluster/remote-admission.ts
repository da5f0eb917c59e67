/**
 * A worker's query slots under `server.workers` > 1: every acquire asks the
 * primary's {@link Admission}, so `limits.max_concurrent_queries`,
 * `max_concurrent_per_user` and the queue (its fairness and timeout) hold for
 * the whole gateway. Used only when a concurrency limit is configured: without
 * one, nothing ever waits and each worker admits locally, with no IPC.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import type { AdmissionGate } from '../service/admission.js';
import type { PrimaryChannel } from './primary-channel.js';

/** The primary's admission, seen from a worker. */
export class RemoteAdmission implements AdmissionGate {
  #running = 0;
  #queued = 0;

  constructor(private readonly channel: PrimaryChannel) {}

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queued;
  }

  acquire(user: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(SpokeError.cancelled(signal));
    const { channel } = this;
    const id = channel.nextId();
    this.#queued++;
    return new Promise<() => void>((resolve, reject) => {
      const onAbort = () => {
        this.#queued--;
        channel.forget(id);
        // The primary stops waiting, or gives the slot back if it was granted meanwhile.
        channel.send({ t: 'release', id });
        reject(SpokeError.cancelled(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      channel.expect(id, (answer) => {
        signal?.removeEventListener('abort', onAbort);
        this.#queued--;
        if (answer.t === 'refused') {
          reject(
            new SpokeError(knownCode(answer.code), answer.message, {
              ...(answer.details ? { details: answer.details } : {}),
            }),
          );
          return;
        }
        this.#running++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#running--;
          channel.send({ t: 'release', id });
        });
      });
      channel.send({ t: 'acquire', id, user });
    });
  }
}

/** Whether `limits` bound concurrency (only then do slots have to come from the primary). */
export function limitsConcurrency(
  limits: { readonly maxConcurrentQueries?: number; readonly maxConcurrentPerUser?: number } | undefined,
): boolean {
  return limits?.maxConcurrentQueries !== undefined || limits?.maxConcurrentPerUser !== undefined;
}

/** The error code `code` names, or INTERNAL for one this version does not know. */
export function knownCode(code: string): ErrorCode {
  return (Object.values(ErrorCode) as string[]).includes(code) ? (code as ErrorCode) : ErrorCode.INTERNAL;
}
