import { runConformance } from '@spoke/testing';
import { connector } from '../src/index.js';
import { startSpokeEndpoint } from './spoke-endpoint.js';

runConformance({
  name: 'flight-sql (a Spoke gateway over a DuckDB file)',
  capabilities: { filters: 'exact', limit: true, topN: true },
  setup: async () => {
    const endpoint = await startSpokeEndpoint();
    const c = await connector.create({ url: endpoint.url }, { sourceName: 'conformance', baseDir: '.' });
    return { connector: c, fixtureSchema: 'duck', teardown: () => endpoint.close() };
  },
});

runConformance({
  name: 'flight-sql (a Spoke gateway over Parquet files)',
  capabilities: { filters: 'exact', limit: true, topN: true },
  setup: async () => {
    const endpoint = await startSpokeEndpoint([], { parquet: true });
    const c = await connector.create({ url: endpoint.url }, { sourceName: 'conformance', baseDir: '.' });
    return { connector: c, fixtureSchema: 'duck', teardown: () => endpoint.close() };
  },
});
