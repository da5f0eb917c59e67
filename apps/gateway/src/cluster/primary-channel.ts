/**
 * A worker's side of the IPC channel to the primary: sends messages, matches
 * answers to requests by id, and hands the primary's own requests (`local`,
 * `pg-cancel`, `shutdown`) to a handler.
 */
import type { PrimaryMessage, WorkerMessage } from './cluster-messages.js';

const ignore = () => {};

type Answer = Extract<PrimaryMessage, { readonly id: number }>;

/** The channel; one per worker process. */
export class PrimaryChannel {
  #nextId = 1;
  readonly #waiting = new Map<number, (message: Answer) => void>();

  /**
   * @param onRequest - called with the messages that are not answers to this worker's requests
   */
  constructor(onRequest: (message: PrimaryMessage) => void) {
    process.on('message', (message: PrimaryMessage) => {
      if (message.t === 'granted' || message.t === 'refused' || message.t === 'gathered') {
        const waiter = this.#waiting.get(message.id);
        if (waiter) {
          this.#waiting.delete(message.id);
          waiter(message);
        } else if (message.t === 'granted') {
          // Granted after this worker stopped waiting (the release crossed it): give the slot back.
          this.send({ t: 'release', id: message.id });
        }
        return;
      }
      onRequest(message);
    });
  }

  /** A fresh request id. */
  nextId(): number {
    return this.#nextId++;
  }

  /** Sends one message (dropped when the primary is gone: the worker is shutting down then). */
  send(message: WorkerMessage): void {
    // With a callback, a channel that closes meanwhile is reported to it rather than thrown as an 'error' event.
    if (process.connected) process.send!(message, undefined, {}, ignore);
  }

  /** Sends one message and resolves once it is handed to the channel (before the process exits). */
  sendNow(message: WorkerMessage): Promise<void> {
    if (!process.connected) return Promise.resolve();
    return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
  }

  /** Calls `onAnswer` with the primary's answer to request `id`. */
  expect(id: number, onAnswer: (message: Answer) => void): void {
    this.#waiting.set(id, onAnswer);
  }

  /** Stops waiting for the answer to `id`. */
  forget(id: number): void {
    this.#waiting.delete(id);
  }
}
