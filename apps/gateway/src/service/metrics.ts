/**
 * Prometheus metrics without a dependency: counters, gauges and histograms
 * with labels, rendered in the text exposition format (version 0.0.4) for
 * `GET /metrics`.
 */

type Labels = Readonly<Record<string, string>>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/**
 * The series key of a label set, independent of the labels' order. Built by
 * hand, length-prefixed so no two label sets share a key: it runs several
 * times per query, where sorting entries and JSON text cost more than the rest.
 */
function keyOf(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const name of names) {
    const value = labels[name]!;
    key += `${name.length}:${name}${value.length}:${value}`;
  }
  return key;
}

function number(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15)));
}

interface Metric {
  readonly name: string;
  render(): string;
}

/** A counter (only goes up), one series per label set. */
export class Counter implements Metric {
  private readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = keyOf(labels);
    const entry = this.series.get(key);
    if (entry) entry.value += by;
    else this.series.set(key, { labels, value: by });
  }
  /** The value for one label set (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.series.values())
      lines.push(`${this.name}${labelText(labels)} ${number(value)}`);
    return lines.join('\n');
  }
}

/** A gauge: a value read when scraped (`collect`) or set. */
export class Gauge implements Metric {
  private readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly collect?: () => readonly (readonly [Labels, number])[],
  ) {}
  set(labels: Labels, value: number): void {
    this.series.set(keyOf(labels), { labels, value });
  }
  /** Adds `by` (negative to subtract) to the series of `labels`. */
  add(labels: Labels, by: number): void {
    const key = keyOf(labels);
    const entry = this.series.get(key);
    if (entry) entry.value += by;
    else this.series.set(key, { labels, value: by });
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const values = this.collect
      ? this.collect()
      : [...this.series.values()].map((s) => [s.labels, s.value] as const);
    for (const [labels, value] of values) lines.push(`${this.name}${labelText(labels)} ${number(value)}`);
    return lines.join('\n');
  }
}

/** A histogram with fixed buckets (upper bounds, in the metric's unit). */
export class Histogram implements Metric {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly buckets: readonly number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const key = keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) entry.counts[i]!++;
    entry.sum += value;
    entry.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${labelText(labels, ['le', number(bound)])} ${counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${number(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

/** The media type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A set of metrics rendered together. */
export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  /** Adds a metric and returns it. */
  register<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name))
      throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }
  /** Every metric in the text exposition format. */
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

/** Latency buckets in seconds: from a point query to a long federated join. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

/** The gateway's metrics. */
export class GatewayMetrics {
  readonly registry = new MetricsRegistry();
  readonly queries = this.registry.register(
    new Counter('spoke_queries_total', 'Queries finished, by protocol and outcome (ok or the error code).'),
  );
  readonly duration = this.registry.register(
    new Histogram(
      'spoke_query_duration_seconds',
      'Query time from admission to the last row sent, by protocol.',
      LATENCY_BUCKETS,
    ),
  );
  readonly queueWait = this.registry.register(
    new Histogram(
      'spoke_query_queue_seconds',
      'Time queries waited for a concurrency slot.',
      LATENCY_BUCKETS,
    ),
  );
  readonly resultRows = this.registry.register(
    new Counter('spoke_result_rows_total', 'Rows returned to clients, by protocol.'),
  );
  readonly resultBytes = this.registry.register(
    new Counter('spoke_result_bytes_total', 'Arrow bytes returned to clients, by protocol.'),
  );
  readonly sourceRows = this.registry.register(
    new Counter('spoke_source_rows_total', 'Rows read from each source.'),
  );
  readonly sourceBytes = this.registry.register(
    new Counter('spoke_source_bytes_total', 'Arrow bytes read from each source.'),
  );
  readonly authFailures = this.registry.register(
    new Counter('spoke_authentication_failures_total', 'Failed authentications, by protocol.'),
  );
  readonly loginThrottled = this.registry.register(
    new Counter(
      'spoke_login_throttled_total',
      'Login attempts refused by failed-login throttling (also counted as authentication failures), by protocol.',
    ),
  );
  readonly connections = this.registry.register(
    new Gauge('spoke_open_connections', 'Open client connections, by protocol.'),
  );
  private gauges: { active: () => number; queued: () => number } = { active: () => 0, queued: () => 0 };

  constructor() {
    this.registry.register(
      new Gauge('spoke_active_queries', 'Queries running now.', () => [[{}, this.gauges.active()]]),
    );
    this.registry.register(
      new Gauge('spoke_queued_queries', 'Queries waiting for a concurrency slot.', () => [
        [{}, this.gauges.queued()],
      ]),
    );
    this.registry.register(
      new Gauge(
        'spoke_source_metric',
        'What each source reports about itself (pool sizes, cache hits…), by source and name.',
        () => this.sourceSamples(),
      ),
    );
    this.registry.register(
      new Gauge(
        'spoke_read_cache',
        "The planner's read cache (rows of Parquet objects kept in DuckDB for later queries): hits, misses, evictions (counted since start), entries and Arrow bytes kept now.",
        () => this.readCacheSamples(),
      ),
    );
    this.registry.register(
      new Gauge(
        'spoke_plan_cache',
        "The planner's plan cache (statements planned once and run again with new parameters): hits (of which templateHits, literalHits and federatedHits), replanned federated executions, misses, invalidations and bypassed statements (counted since start), and entries held now.",
        () => this.planCacheSamples(),
      ),
    );
    this.registry.register(
      new Gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => [
        [{}, process.memoryUsage.rss()],
      ]),
    );
    this.registry.register(
      new Gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes.', () => [
        [{}, process.memoryUsage().heapUsed],
      ]),
    );
  }

  private sourceSamples: () => [Record<string, string>, number][] = () => [];

  /** Where the connectors' own metrics (pool sizes, cache hits) are read from (the source meter). */
  bindSources(samples: () => [Record<string, string>, number][]): void {
    this.sourceSamples = samples;
  }

  private readCacheSamples: () => [Record<string, string>, number][] = () => [];

  /** Where the read cache's counters are read from (the engine's, see engine-caches.ts). */
  bindReadCache(samples: () => [Record<string, string>, number][]): void {
    this.readCacheSamples = samples;
  }

  private planCacheSamples: () => [Record<string, string>, number][] = () => [];

  /** Where the plan cache's counters are read from (the engine's, see engine-caches.ts). */
  bindPlanCache(samples: () => [Record<string, string>, number][]): void {
    this.planCacheSamples = samples;
  }

  /** Where the active and queued gauges read from (the query service). */
  bindGauges(gauges: { active: () => number; queued: () => number }): void {
    this.gauges = gauges;
  }

  /** The text exposition. */
  render(): string {
    return this.registry.render();
  }
}
