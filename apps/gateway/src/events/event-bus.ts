/**
 * The in-process event bus: publishers hand it access events and return at
 * once; sinks get them a moment later, off the query's path. The buffer is
 * bounded — when sinks fall behind, new events are dropped and counted
 * rather than held or waited for — so the bus never slows or fails a query.
 * This is the seam for an external event stream: add a sink.
 */
import type { AccessEvent } from './access-event.js';

/** Where events go: the audit log, a JSON-lines file, the live feed, counters, or your own stream. */
export interface EventSink {
  /** Shown in `spoke_events_dropped_total{sink}` and errors. */
  readonly name: string;
  /**
   * Takes one event. Must not block: a sink that writes somewhere slow keeps
   * its own bounded queue and reports what it drops through `dropped`.
   * A throw is counted as a drop for this sink; the others still get the event.
   */
  write(event: AccessEvent): void;
  /** Events this sink dropped on its own (its queue was full). */
  readonly dropped?: number;
  /** Flushes and releases the destination. */
  close?(): Promise<void>;
}

/** Options for {@link EventBus}. */
export interface EventBusOptions {
  /** Events held for the sinks at most; past it new events are dropped. Default 10 000. */
  readonly capacity?: number;
}

/** Publishes access events to sinks without ever making the publisher wait. */
export class EventBus {
  readonly #capacity: number;
  readonly #sinks = new Set<EventSink>();
  #queue: AccessEvent[] = [];
  #scheduled = false;
  #published = 0;
  #dropped = 0;
  readonly #sinkErrors = new Map<string, number>();

  constructor(options: EventBusOptions = {}) {
    this.#capacity = options.capacity ?? 10_000;
  }

  /** Adds a sink; returns a function that removes it. */
  addSink(sink: EventSink): () => void {
    this.#sinks.add(sink);
    return () => {
      this.#sinks.delete(sink);
    };
  }

  /** Queues `event` for every sink. Never throws, never waits. */
  publish(event: AccessEvent): void {
    this.#published++;
    if (this.#queue.length >= this.#capacity) {
      this.#dropped++;
      return;
    }
    this.#queue.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After the current I/O turn: the query that produced the event goes on first.
      setImmediate(() => this.flush());
    }
  }

  /** Hands every queued event to the sinks now. */
  flush(): void {
    this.#scheduled = false;
    const events = this.#queue;
    this.#queue = [];
    for (const event of events)
      for (const sink of this.#sinks) {
        try {
          sink.write(event);
        } catch {
          this.#sinkErrors.set(sink.name, (this.#sinkErrors.get(sink.name) ?? 0) + 1);
        }
      }
  }

  /** Events published so far (dropped ones included). */
  get published(): number {
    return this.#published;
  }

  /** Events dropped: by the bus (`bus`, its buffer was full) and by each sink (full queue or a throw). */
  drops(): Record<string, number> {
    const drops: Record<string, number> = { bus: this.#dropped };
    for (const sink of this.#sinks)
      drops[sink.name] = (sink.dropped ?? 0) + (this.#sinkErrors.get(sink.name) ?? 0);
    for (const [name, count] of this.#sinkErrors) drops[name] ??= count;
    return drops;
  }

  /** Delivers what is queued, then closes every sink. */
  async close(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.#sinks].map((sink) => sink.close?.()));
    this.#sinks.clear();
  }
}
