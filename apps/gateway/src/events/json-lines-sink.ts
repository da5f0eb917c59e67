/**
 * An event sink that appends one JSON line per access event to a file —
 * the simplest hook for an external event stream (tail it, ship it). Lines
 * are written whole; when the disk falls behind by more than `maxPendingBytes`,
 * events are dropped and counted instead of held in memory.
 */
import { createWriteStream } from 'node:fs';
import type { AccessEvent } from './access-event.js';
import type { EventSink } from './event-bus.js';

/** Options for {@link jsonLinesSink}. */
export interface JsonLinesSinkOptions {
  /** Bytes waiting for the disk at most; past it events are dropped. Default 8 MiB. */
  readonly maxPendingBytes?: number;
  /** The sink's name in `spoke_events_dropped_total`. Default `file`. */
  readonly name?: string;
}

/** A sink appending events to `path` (created with mode 0600). */
export function jsonLinesSink(path: string, options: JsonLinesSinkOptions = {}): EventSink {
  const limit = options.maxPendingBytes ?? 8 * 1024 * 1024;
  const stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  let failure: Error | undefined;
  let dropped = 0;
  stream.on('error', (error) => {
    failure = error;
  });
  return {
    name: options.name ?? 'file',
    get dropped() {
      return dropped;
    },
    write(event) {
      if (failure || stream.writableLength > limit) {
        dropped++;
        return;
      }
      stream.write(`${JSON.stringify(event)}\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (stream.closed || stream.destroyed) return resolve();
        stream.end(() => resolve());
      }),
  };
}

/**
 * A sink writing events into the audit trail's destination, one line each
 * (`"type": "access"` tells them from the per-query records).
 */
export function auditEventSink(writeLine: (line: string) => void): EventSink {
  return {
    name: 'audit',
    write(event: AccessEvent) {
      writeLine(JSON.stringify(event));
    },
  };
}
