/**
 * The planner's caches as the gateway sees them: the engine the gateway
 * serves is a wrapper (graphs, natural language), so the read cache and the
 * plan cache of the planner underneath are attached to it here and found
 * again for `/metrics`.
 */
import { type FederatedEngine, type PlanCache, planCacheOf } from '@spoke/planner';

/** The planner's read cache (`createEngine({ readCache })`). */
export type EngineReadCache = NonNullable<FederatedEngine['readCache']>;

/** The caches of one planner engine (absent: that cache is off). */
interface EngineCaches {
  readonly readCache?: EngineReadCache;
  readonly planCache?: PlanCache;
}

const CACHES = Symbol.for('spoke.engineCaches');

/** Records the caches of `planner` on `engine`, the wrapper the gateway serves. */
export function attachEngineCaches(engine: object, planner: FederatedEngine): void {
  const planCache = planCacheOf(planner);
  const caches: EngineCaches = {
    ...(planner.readCache ? { readCache: planner.readCache } : {}),
    ...(planCache ? { planCache } : {}),
  };
  Object.defineProperty(engine, CACHES, { value: caches, enumerable: false });
}

function cachesOf(engine: object): EngineCaches | undefined {
  return (engine as { [CACHES]?: EngineCaches })[CACHES];
}

/** The read cache attached to `engine`, if it has one. */
export function readCacheOf(engine: object): EngineReadCache | undefined {
  return cachesOf(engine)?.readCache;
}

/** The read cache's counters as gauge samples (`spoke_read_cache{name}`); none when it is off. */
export function readCacheSamples(engine: object): [Record<string, string>, number][] {
  const cache = readCacheOf(engine);
  if (!cache) return [];
  return Object.entries(cache.stats()).map(([name, value]) => [{ name }, value]);
}

/**
 * The plan cache's counters (hits, of which template, literal and federated
 * ones; re-planned federated executions; misses, invalidations, bypassed) and
 * the plans it holds (`entries`), as gauge samples (`spoke_plan_cache{name}`);
 * none when it is off.
 */
export function planCacheSamples(engine: object): [Record<string, string>, number][] {
  const cache = cachesOf(engine)?.planCache;
  if (!cache) return [];
  const samples: [Record<string, string>, number][] = Object.entries(cache.stats).map(([name, value]) => [
    { name },
    value,
  ]);
  samples.push([{ name: 'entries' }, cache.size]);
  return samples;
}
