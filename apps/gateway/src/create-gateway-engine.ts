import { resolve } from 'node:path';
import { ErrorCode, SpokeError } from '@spoke/core';
import { createEngine, createSecurityPolicy, type QueryEngine } from '@spoke/planner';
import type { GatewayConfig } from './config/gateway-config.js';
import { loadConnectors } from './config/load-connectors.js';
import { attachUploads, QueryUploads, UPLOAD_SOURCE } from './flight/query-uploads.js';
import { attachGraphs, installGraphs } from './graph/graph-engine.js';
import { withGraphStatements } from './graph/graph-statements.js';
import { withNl } from './nl/nl-engine.js';
import { attachEngineCaches } from './service/engine-caches.js';
import type { SourceMeter } from './service/source-meter.js';

/**
 * Builds the query engine a config describes: imports and creates each
 * source's connector, then hands them (and the security policies) to the planner. Closing the engine
 * closes the connectors; if the engine cannot be built, they are closed here.
 *
 * @param options.meter - counts rows and bytes per source and the sources each query reads (for metrics and audit)
 */
export async function createGatewayEngine(
  config: GatewayConfig,
  options: { readonly meter?: SourceMeter } = {},
): Promise<QueryEngine> {
  // Policies first: a bad rule is a config error before any source is opened.
  const policy =
    config.policies === undefined ? undefined : await createSecurityPolicy(config.policies, 'policies');
  if (Object.hasOwn(config.sources, UPLOAD_SOURCE))
    throw new SpokeError(
      ErrorCode.INVALID_CONFIG,
      `sources.${UPLOAD_SOURCE}: the name is reserved for the relations peer gateways upload for a query; rename the source`,
    );
  const loaded = await loadConnectors(config);
  const metered = options.meter ? options.meter.wrapAll(loaded) : loaded;
  // Relations peer gateways upload for one query (Flight DoPut), joined here with this gateway's sources.
  const uploads = new QueryUploads();
  const sources = { ...metered, [UPLOAD_SOURCE]: uploads.connector };
  const duckdb: {
    memoryLimit?: string;
    queryMemoryLimit?: string;
    tempDirectory?: string;
    threads?: number;
  } = {};
  if (config.duckdb?.memoryLimit !== undefined) duckdb.memoryLimit = config.duckdb.memoryLimit;
  if (config.duckdb?.queryMemoryLimit !== undefined) duckdb.queryMemoryLimit = config.duckdb.queryMemoryLimit;
  if (config.duckdb?.tempDirectory !== undefined)
    duckdb.tempDirectory = resolve(config.baseDir, config.duckdb.tempDirectory);
  if (config.duckdb?.threads !== undefined) duckdb.threads = config.duckdb.threads;
  try {
    const links = Object.fromEntries(
      Object.entries(config.sources).flatMap(([name, source]) => (source.link ? [[name, source.link]] : [])),
    );
    const readCache = config.duckdb?.readCache;
    const engine = await createEngine({
      sources,
      duckdb,
      links,
      ...(policy ? { policy } : {}),
      ...(readCache !== undefined ? { readCache } : {}),
      ...(config.duckdb?.inMemoryResidual !== undefined
        ? { inMemoryResidual: config.duckdb.inMemoryResidual }
        : {}),
    });
    const close = engine.close.bind(engine);
    engine.close = async () => {
      uploads.close();
      await close();
    };
    // Graphs: checked against the catalog, then cypher('graph', $$ … $$) in every client's SQL.
    const graphs = await installGraphs(engine, config.graphs).catch(async (error: unknown) => {
      await engine.close();
      throw error;
    });
    // CREATE/DROP PROPERTY GRAPH and EXPLAIN of graph queries, before the planner's parser sees them.
    const graphed = withGraphStatements(engine, engine, {
      graphs,
      configured: new Set(graphs.keys()),
      authenticationOff:
        Object.keys(config.users ?? {}).length === 0 &&
        Object.keys(config.apiKeys ?? {}).length === 0 &&
        config.auth?.jwt === undefined,
    });
    // Natural language: embed() in every client's SQL, and the models for POST /v1/ask and spoke ask.
    const served = config.nl ? withNl(graphed, config.nl, { graphs }) : graphed;
    attachGraphs(served, graphs);
    attachUploads(served, uploads);
    attachEngineCaches(served, engine);
    return served;
  } catch (error) {
    uploads.close();
    await Promise.allSettled(Object.values(loaded).map((c) => c.close()));
    throw error;
  }
}
