/**
 * Puts the access-event pieces together: the tap on the connectors feeds
 * the bus; the bus feeds the rolling counters, the live feed and whatever
 * sinks the config names (a JSON-lines file, the audit trail); `/metrics`
 * gets the event and drop counts.
 */
import type { GatewayMetrics } from '../service/metrics.js';
import { AccessCounters } from './access-counters.js';
import type { AccessTap } from './access-tap.js';
import { EventBus, type EventSink } from './event-bus.js';
import { LiveFeed } from './live-feed.js';

/** Options for {@link AccessHub}. */
export interface AccessHubOptions {
  /** Events the bus holds for slow sinks at most (default 10 000). */
  readonly capacity?: number;
  /** Extra sinks: a JSON-lines file, the audit trail, an external stream. */
  readonly sinks?: readonly EventSink[];
  /** Where `spoke_events_total` and `spoke_events_dropped_total` are registered. */
  readonly metrics?: GatewayMetrics;
}

/** A counter whose value is read when scraped (the registry's metric shape). */
function collectedCounter(name: string, help: string, collect: () => [Record<string, string>, number][]) {
  return {
    name,
    render() {
      const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} counter`];
      for (const [labels, value] of collect()) {
        const text = Object.entries(labels)
          .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
          .join(',');
        lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
      }
      return lines.join('\n');
    },
  };
}

/** See the file comment. */
export class AccessHub {
  readonly bus: EventBus;
  readonly counters = new AccessCounters();
  readonly feed = new LiveFeed();

  constructor(
    readonly tap: AccessTap,
    options: AccessHubOptions = {},
  ) {
    this.bus = new EventBus(options.capacity !== undefined ? { capacity: options.capacity } : {});
    this.bus.addSink(this.counters);
    this.bus.addSink(this.feed);
    for (const sink of options.sinks ?? []) this.bus.addSink(sink);
    tap.onEvent = (event) => this.bus.publish(event);
    tap.onBatch = (access, rows, bytes) => this.counters.batch(access, rows, bytes);
    this.counters.active = (source) => tap.active().filter((a) => a.source === source).length;
    const registry = options.metrics?.registry;
    if (registry) {
      registry.register(
        collectedCounter(
          'spoke_events_total',
          'Access events published (one per source read, write, error or cancellation).',
          () => [[{}, this.bus.published]],
        ),
      );
      registry.register(
        collectedCounter(
          'spoke_events_dropped_total',
          'Access events dropped because a buffer was full, by sink (bus: the bus itself).',
          () => Object.entries(this.bus.drops()).map(([sink, n]) => [{ sink }, n]),
        ),
      );
    }
  }

  /** Delivers what is queued and closes the sinks. */
  close(): Promise<void> {
    this.tap.onEvent = () => {};
    this.tap.onBatch = () => {};
    return this.bus.close();
  }
}
