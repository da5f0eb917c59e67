/**
 * Postgres backend keys under `server.workers` > 1. A CancelRequest arrives
 * on a new connection, which the cluster may hand to any worker; the
 * process id of the BackendKeyData carries the number of the worker that
 * owns the session, so whichever worker reads the CancelRequest knows where
 * to send it (through the primary). The id stays a positive int32, as
 * clients expect of a PostgreSQL pid.
 */

/** Bits of the process id numbering sessions within one worker. */
const SESSION_BITS = 24;
const SESSION_MASK = (1 << SESSION_BITS) - 1;

/** The process id of session number `session` on worker `workerId` (1 to 127). */
export function workerProcessId(workerId: number, session: number): number {
  return workerId * 2 ** SESSION_BITS + (session & SESSION_MASK);
}

/** The worker a process id from {@link workerProcessId} belongs to (0 for ids not made by it). */
export function workerOfProcessId(processId: number): number {
  return processId > 0 ? Math.floor(processId / 2 ** SESSION_BITS) : 0;
}
