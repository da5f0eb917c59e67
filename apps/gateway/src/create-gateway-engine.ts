import { resolve } from 'node:path';
import { createEngine, type QueryEngine } from '@spoke/planner';
import type { GatewayConfig } from './config/gateway-config.js';
import { loadConnectors } from './config/load-connectors.js';

/**
 * Builds the query engine a config describes: imports and creates each
 * source's connector, then hands them to the planner. Closing the engine
 * closes the connectors; if the engine cannot be built, they are closed here.
 */
export async function createGatewayEngine(config: GatewayConfig): Promise<QueryEngine> {
  const sources = await loadConnectors(config);
  const duckdb: { memoryLimit?: string; tempDirectory?: string; threads?: number } = {};
  if (config.duckdb?.memoryLimit !== undefined) duckdb.memoryLimit = config.duckdb.memoryLimit;
  if (config.duckdb?.tempDirectory !== undefined)
    duckdb.tempDirectory = resolve(config.baseDir, config.duckdb.tempDirectory);
  if (config.duckdb?.threads !== undefined) duckdb.threads = config.duckdb.threads;
  try {
    return await createEngine({ sources, duckdb });
  } catch (error) {
    await Promise.allSettled(Object.values(sources).map((c) => c.close()));
    throw error;
  }
}
