/**
 * What the operator endpoints and the console read: the access-event hub
 * (bus, counters, live feed, sinks) and the per-source health monitor, both
 * over the connectors the source meter wrapped. Built once per gateway by
 * `createGatewayServices`; started with the listeners, closed with them.
 */
import { HealthMonitor, type HealthMonitorOptions } from '../health/source-health.js';
import type { GatewayMetrics } from '../service/metrics.js';
import type { SourceMeter } from '../service/source-meter.js';
import { AccessHub } from './access-hub.js';
import type { EventSink } from './event-bus.js';

/** Options for {@link Operator}. */
export interface OperatorOptions {
  readonly metrics?: GatewayMetrics;
  /** Extra event sinks (JSON-lines file, audit trail). */
  readonly sinks?: readonly EventSink[];
  /** Events the bus holds at most. */
  readonly capacity?: number;
  readonly health?: HealthMonitorOptions;
}

/** See the file comment. */
export class Operator {
  readonly hub: AccessHub;
  readonly health: HealthMonitor;

  constructor(meter: SourceMeter, options: OperatorOptions = {}) {
    this.hub = new AccessHub(meter.tap, {
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.sinks ? { sinks: options.sinks } : {}),
      ...(options.capacity !== undefined ? { capacity: options.capacity } : {}),
    });
    this.health = new HealthMonitor(meter.tap.connectors(), options.health ?? {});
    // A query's failed access shows on the map at once, before the next probe.
    this.hub.bus.addSink({ name: 'health', write: (event) => this.health.noteAccess(event) });
    options.metrics?.registry.register({
      name: 'spoke_source_up',
      render: () => {
        const lines = [
          '# HELP spoke_source_up Source health from the last probe: 1 up, 0.5 degraded, 0 down (absent before the first probe).',
          '# TYPE spoke_source_up gauge',
        ];
        for (const source of this.health.sources()) {
          const { state } = this.health.health(source);
          if (state === 'unknown') continue;
          const value = state === 'up' ? 1 : state === 'degraded' ? 0.5 : 0;
          lines.push(`spoke_source_up{source="${source.replace(/["\\\n]/g, '_')}"} ${value}`);
        }
        return lines.join('\n');
      },
    });
  }

  /** Starts the probes. */
  start(): void {
    this.health.start();
  }

  /** Stops the probes and closes the event sinks. */
  async close(): Promise<void> {
    this.health.close();
    await this.hub.close();
  }
}
