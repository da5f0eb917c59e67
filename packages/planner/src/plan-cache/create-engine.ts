/**
 * `createEngine` as the package exports it: the engine of `../engine.ts`
 * with the plan cache in front of its `query` (see cached-query.ts), unless
 * `planCache: false`.
 */
import { createEngine as createUncachedEngine, type EngineOptions, type FederatedEngine } from '../engine.js';
import { enablePlanCache } from './cached-query.js';
import type { PlanCacheOptions } from './plan-cache.js';

/** {@link EngineOptions} with the plan cache's. */
export type CachedEngineOptions = EngineOptions & {
  /** The plan cache's options; `false` turns it off. Default: on, 512 statements. */
  readonly planCache?: PlanCacheOptions | false;
};

/** Creates the engine (one embedded DuckDB for residual work, the sources' catalogs for binding), with a plan cache. */
export async function createEngine(options: CachedEngineOptions): Promise<FederatedEngine> {
  const { planCache, ...engineOptions } = options;
  const engine = await createUncachedEngine(engineOptions);
  if (planCache !== false) enablePlanCache(engine, planCache ?? {});
  return engine;
}
