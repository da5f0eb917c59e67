import { resolve } from 'node:path';
import type { GatewayConfig, ServerConfig } from '../config/gateway-config.js';
import { DEFAULT_SERVER } from '../config/validate-config.js';
import type { DemoData } from './generate-demo-data.js';

/** The demo data directory when neither `--demo-dir` nor `SPOKE_DEMO_DIR` says otherwise: `.demo-data` in the working directory. */
export function defaultDemoDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return resolve(env.SPOKE_DEMO_DIR ?? '.demo-data');
}

/**
 * The demo's config: three sources over the generated data, so that a join of
 * `crm` and `lake` is a real cross-source query, and `docs` (Lance) answers vector and full-text search. `examples/demo.yaml` is the
 * same config written as a file.
 */
export function demoConfig(data: DemoData, server: ServerConfig = DEFAULT_SERVER): GatewayConfig {
  return {
    server,
    baseDir: data.dir,
    sources: {
      crm: { connector: 'duckdb', options: { connector: 'duckdb', path: 'crm.duckdb' } },
      lake: { connector: 'duckdb', options: { connector: 'duckdb', files: { ...data.lakeFiles } } },
      docs: { connector: 'lance', options: { connector: 'lance', uri: 'docs' } },
    },
    // A property graph over three sources: customers in DuckDB, documents in Lance, sales in Parquet.
    graphs: {
      shop: {
        vertices: {
          Customer: { table: 'crm.customers', key: 'id' },
          Document: { table: 'docs.documents', key: 'id' },
          Sale: { table: 'lake.sales', key: 'id' },
        },
        edges: {
          WROTE: {
            table: 'docs.documents',
            source: 'customer_id',
            target: 'id',
            from: 'Customer',
            to: 'Document',
          },
          BOUGHT: { table: 'lake.sales', source: 'customer_id', target: 'id', from: 'Customer', to: 'Sale' },
        },
      },
    },
  };
}
