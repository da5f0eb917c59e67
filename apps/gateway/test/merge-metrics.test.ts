/**
 * The metrics of several workers summed into the gateway's: equal to one
 * registry that saw every worker's observations (counters, histograms,
 * gauges), each family's lines kept together under one HELP and TYPE even
 * when only a later worker has some of its series.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeMetrics } from '../src/cluster/merge-metrics.js';
import { GatewayMetrics } from '../src/service/metrics.js';

type Work = (m: GatewayMetrics) => void;

const workerA: Work = (m) => {
  m.queries.inc({ protocol: 'postgres', outcome: 'ok' }, 3);
  m.duration.observe({ protocol: 'postgres' }, 0.004);
  m.duration.observe({ protocol: 'postgres' }, 0.7);
  m.connections.add({ protocol: 'postgres' }, 5);
  m.sourceRows.inc({ source: 'crm' }, 1000);
};
const workerB: Work = (m) => {
  m.queries.inc({ protocol: 'postgres', outcome: 'ok' }, 2);
  m.queries.inc({ protocol: 'http', outcome: 'QUERY_CANCELLED' });
  m.duration.observe({ protocol: 'postgres' }, 0.02);
  m.duration.observe({ protocol: 'http' }, 12.5);
  m.connections.add({ protocol: 'postgres' }, 4);
  m.connections.add({ protocol: 'http' }, 1);
  m.sourceRows.inc({ source: 'lake' }, 250);
  m.sourceRows.inc({ source: 'crm' }, 10);
};

/** The text without the per-process gauges (memory), which differ between registries. */
function comparable(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/process_resident_memory_bytes|nodejs_heap_used_bytes/.test(line))
    .join('\n');
}

function metricsOf(active: number, ...work: Work[]): GatewayMetrics {
  const m = new GatewayMetrics();
  m.bindGauges({ active: () => active, queued: () => 0 });
  for (const w of work) w(m);
  return m;
}

describe('mergeMetrics', () => {
  it('sums two workers into what one registry with all their observations renders', () => {
    const merged = mergeMetrics([metricsOf(1, workerA).render(), metricsOf(2, workerB).render()]);
    const whole = metricsOf(3, workerA, workerB).render();
    assert.equal(comparable(merged), comparable(whole));
  });

  it("keeps a family's series together when only the second worker has some of them", () => {
    const merged = mergeMetrics([
      '# HELP a A.\n# TYPE a counter\na{x="1"} 1\n# HELP b B.\n# TYPE b gauge\nb 2\n',
      '# HELP a A.\n# TYPE a counter\na{x="1"} 4\na{x="2"} 0.5\n# HELP b B.\n# TYPE b gauge\nb 3\n',
    ]);
    assert.equal(
      merged,
      '# HELP a A.\n# TYPE a counter\na{x="1"} 5\na{x="2"} 0.5\n# HELP b B.\n# TYPE b gauge\nb 5\n',
    );
  });
});
