/**
 * A pause that lets the event loop serve everything else — timers, sockets,
 * `/healthz` — before the caller goes on: how long planning steps of a large
 * statement share the one thread with every other client.
 */

/**
 * Resolves after a full turn of the event loop. One `setImmediate` is not
 * always one: called from an I/O callback (a worker's message, a socket's
 * data) it runs in the same turn's check phase, before any timer or other
 * socket; the second then runs only after the next turn's timers and poll.
 */
export function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
