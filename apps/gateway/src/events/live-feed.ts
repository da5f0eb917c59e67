/**
 * The live feed behind `GET /v1/events`: an event sink that fans each
 * access event out to the connected subscribers, each through its own
 * filter (what that user may see). A subscriber that reads too slowly loses
 * events — counted — rather than holding the bus or growing without bound.
 */
import type { AccessEvent } from './access-event.js';
import type { EventSink } from './event-bus.js';

/** One connected reader of the feed. */
export interface FeedSubscriber {
  /** The event as this subscriber may see it, or undefined to skip it. */
  filter(event: AccessEvent): AccessEvent | undefined;
  /** Delivers an event; false when the subscriber's buffer is full and the event was dropped. */
  send(event: AccessEvent): boolean;
}

/** See the file comment. */
export class LiveFeed implements EventSink {
  readonly name = 'live';
  readonly #subscribers = new Set<FeedSubscriber>();
  #dropped = 0;

  /** Events a subscriber was too slow for. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Subscribers connected now. */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: FeedSubscriber): () => void {
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  write(event: AccessEvent): void {
    for (const subscriber of this.#subscribers) {
      let shown: AccessEvent | undefined;
      try {
        shown = subscriber.filter(event);
        if (shown && !subscriber.send(shown)) this.#dropped++;
      } catch {
        this.#dropped++;
      }
    }
  }
}
