/**
 * Server-side state of the Flight SQL endpoint: statements started by
 * GetFlightInfo and waiting for (or streaming to) their DoGet, and prepared
 * statements. Handles are random; each belongs to the user who created it,
 * and is not found by anyone else.
 */
import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { ScalarValue, Schema } from '@spoke/core';
import type { QueryResult } from '@spoke/planner';
import { discardResult as drainAbandoned } from '../service/discard-result.js';
import { FlightError } from './flight-status.js';

/** A statement GetFlightInfo started; its rows go to the DoGet that redeems the ticket. */
export interface RunningStatement {
  readonly handle: string;
  readonly user: string | undefined;
  readonly controller: AbortController;
  readonly result: QueryResult;
  /** `waiting` for DoGet, or `streaming` to it. */
  state: 'waiting' | 'streaming';
  timer: NodeJS.Timeout | undefined;
}

/** A prepared statement: SQL text, its parameters once bound (DoPut), and what is known of its result. */
export interface PreparedStatement {
  readonly handle: string;
  readonly user: string | undefined;
  readonly sql: string;
  readonly parameterCount: number;
  /** The result schema, when known without parameters. */
  datasetSchema: Schema | undefined;
  params: readonly ScalarValue[];
  lastUsed: number;
}

/** Bounds, so clients that never redeem or close cannot grow memory without end. */
export interface RegistryLimits {
  /** A ticket not redeemed within this many ms is dropped and its query cancelled. */
  readonly ticketTtlMs: number;
  /** A prepared statement unused for this many ms is closed. */
  readonly preparedIdleMs: number;
  /** At most this many prepared statements are kept (the least recently used go first). */
  readonly maxPrepared: number;
}

function notFound(what: string): FlightError {
  return new FlightError(status.NOT_FOUND, `unknown or expired ${what}`);
}

/** Stops a result that may never have been read, and lets the engine free what it holds. */
export async function discardResult(
  result: QueryResult,
  controller: AbortController,
  reason: Error,
): Promise<void> {
  controller.abort(reason);
  await drainAbandoned(result);
}

/** A new random handle, as the hex text used for map keys. */
export function newHandle(): string {
  return randomBytes(16).toString('hex');
}

/** Running statements and prepared statements of one Flight server. */
export class StatementRegistry {
  readonly #running = new Map<string, RunningStatement>();
  readonly #prepared = new Map<string, PreparedStatement>();

  constructor(private readonly limits: RegistryLimits) {}

  /** Registers a started statement and returns its handle; it is cancelled if not redeemed in time. */
  addRunning(result: QueryResult, controller: AbortController, user: string | undefined): string {
    const handle = newHandle();
    const entry: RunningStatement = { handle, user, controller, result, state: 'waiting', timer: undefined };
    entry.timer = setTimeout(() => {
      if (this.#running.get(handle) === entry && entry.state === 'waiting') {
        this.#running.delete(handle);
        void discardResult(result, controller, new Error('the ticket was not redeemed in time'));
      }
    }, this.limits.ticketTtlMs);
    entry.timer.unref();
    this.#running.set(handle, entry);
    return handle;
  }

  /** Takes a waiting statement for its DoGet. Tickets are single use. */
  redeem(handle: string, user: string | undefined): RunningStatement {
    const entry = this.#running.get(handle);
    if (!entry || entry.user !== user || entry.state !== 'waiting') throw notFound('ticket');
    entry.state = 'streaming';
    clearTimeout(entry.timer);
    return entry;
  }

  /** Forgets a statement whose stream ended. */
  finish(handle: string): void {
    this.#running.delete(handle);
  }

  /** Cancels a running statement; false when there is none under that handle for this user. */
  cancel(handle: string, user: string | undefined): boolean {
    const entry = this.#running.get(handle);
    if (!entry || entry.user !== user) return false;
    this.#running.delete(handle);
    clearTimeout(entry.timer);
    if (entry.state === 'waiting')
      void discardResult(entry.result, entry.controller, new Error('cancelled by the client'));
    else entry.controller.abort(new Error('cancelled by the client')); // its DoGet is reading: it stops and cleans up
    return true;
  }

  /** Registers a prepared statement. */
  prepare(
    sql: string,
    parameterCount: number,
    datasetSchema: Schema | undefined,
    user: string | undefined,
  ): PreparedStatement {
    this.#expirePrepared();
    const entry: PreparedStatement = {
      handle: newHandle(),
      user,
      sql,
      parameterCount,
      datasetSchema,
      params: [],
      lastUsed: Date.now(),
    };
    this.#prepared.set(entry.handle, entry);
    return entry;
  }

  /** A prepared statement of this user. */
  prepared(handle: string, user: string | undefined): PreparedStatement {
    const entry = this.#prepared.get(handle);
    if (!entry || entry.user !== user) throw notFound('prepared statement');
    entry.lastUsed = Date.now();
    // Re-insert: the map's order is then least recently used first.
    this.#prepared.delete(handle);
    this.#prepared.set(handle, entry);
    return entry;
  }

  /** Closes a prepared statement. */
  closePrepared(handle: string, user: string | undefined): void {
    this.prepared(handle, user);
    this.#prepared.delete(handle);
  }

  /** Cancels everything (server shutdown). */
  closeAll(): void {
    for (const entry of this.#running.values()) {
      clearTimeout(entry.timer);
      const reason = new Error('server shutting down');
      if (entry.state === 'waiting') void discardResult(entry.result, entry.controller, reason);
      else entry.controller.abort(reason);
    }
    this.#running.clear();
    this.#prepared.clear();
  }

  /** Statements started and not yet finished (tests, metrics). */
  get runningCount(): number {
    return this.#running.size;
  }

  #expirePrepared(): void {
    const now = Date.now();
    for (const [handle, entry] of this.#prepared) {
      if (now - entry.lastUsed > this.limits.preparedIdleMs || this.#prepared.size >= this.limits.maxPrepared)
        this.#prepared.delete(handle);
      else break; // least recently used first: the rest are newer
    }
  }
}
