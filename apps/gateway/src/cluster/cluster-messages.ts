/**
 * The messages between `spoke serve`'s primary process and its workers
 * (`server.workers` > 1), over node:cluster's IPC channel. Plain JSON: the
 * channel serializes them so.
 */
import type { Principal } from '../auth/authenticator.js';

/** Where a worker listens, reported once it does (ports chosen by the OS included). */
export interface WorkerListeners {
  readonly http?: { readonly url: string };
  readonly postgres?: { readonly host: string; readonly port: number };
  readonly flight?: { readonly host: string; readonly port: number };
}

/** What the primary gathers from every worker to answer one of them. */
export type GatherRequest =
  | { readonly op: 'list'; readonly principal: Principal }
  | { readonly op: 'cancel'; readonly principal: Principal; readonly queryId: string }
  | { readonly op: 'metrics' }
  | { readonly op: 'progress'; readonly principal: Principal; readonly queryId: string }
  | { readonly op: 'activity'; readonly principal: Principal };

/** Messages a worker sends the primary. */
export type WorkerMessage =
  | { readonly t: 'ready'; readonly listeners: WorkerListeners }
  | { readonly t: 'failed'; readonly code: string; readonly message: string }
  /** Waits for a query slot of the gateway-wide admission; answered by `granted` or `refused`. */
  | { readonly t: 'acquire'; readonly id: number; readonly user: string }
  /** Gives a slot back, or stops waiting for one (either: whichever state it is in). */
  | { readonly t: 'release'; readonly id: number }
  /** One line for the audit destination. */
  | { readonly t: 'audit'; readonly line: string }
  /** Asks every worker (this one too); answered by `gathered`. */
  | ({ readonly t: 'gather'; readonly id: number } & GatherRequest)
  /** A CancelRequest for another worker's session. */
  | { readonly t: 'pg-cancel'; readonly processId: number; readonly secret: number }
  /** A worker's own answer to `local`. */
  | { readonly t: 'local-reply'; readonly id: number; readonly result: unknown }
  /** A login attempt that ended on one worker, for the others' failed-login throttles. */
  | {
      readonly t: 'login';
      readonly outcome: 'success' | 'failure';
      readonly user?: string;
      readonly address: string;
    };

/** Messages the primary sends a worker. */
export type PrimaryMessage =
  | { readonly t: 'granted'; readonly id: number }
  | {
      readonly t: 'refused';
      readonly id: number;
      readonly code: string;
      readonly message: string;
      readonly details?: Record<string, unknown>;
    }
  /** This worker's part of a `gather`. */
  | ({ readonly t: 'local'; readonly id: number } & GatherRequest)
  | { readonly t: 'gathered'; readonly id: number; readonly result: unknown }
  | { readonly t: 'pg-cancel'; readonly processId: number; readonly secret: number }
  /** A login attempt that ended on one worker, for the others' failed-login throttles. */
  | {
      readonly t: 'login';
      readonly outcome: 'success' | 'failure';
      readonly user?: string;
      readonly address: string;
    }
  | { readonly t: 'shutdown' };

/** The environment variable a worker learns its number from (1 to `server.workers`). */
export const WORKER_ID_ENV = 'SPOKE_WORKER_ID';
/** Set for every worker but the first one started: it logs no "listening on" line (the first did). */
export const WORKER_QUIET_ENV = 'SPOKE_WORKER_QUIET';
/** Environment variable telling a worker how many workers share the machine (for its share of the cores). */
export const WORKER_COUNT_ENV = 'SPOKE_WORKER_COUNT';
