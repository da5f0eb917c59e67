/**
 * The planner's read cache as the gateway sees it: the engine the gateway
 * serves is a wrapper (graphs, natural language), so the cache of the
 * planner underneath is attached to it here and found again for `/metrics`.
 */
import type { FederatedEngine } from '@spoke/planner';

/** The planner's read cache (`createEngine({ readCache })`). */
export type EngineReadCache = NonNullable<FederatedEngine['readCache']>;

const READ_CACHE = Symbol.for('spoke.readCache');

/** Records the read cache of the planner behind `engine` (none: the cache is off). */
export function attachReadCache(engine: object, cache: EngineReadCache | undefined): void {
  if (cache) Object.defineProperty(engine, READ_CACHE, { value: cache, enumerable: false });
}

/** The read cache attached to `engine`, if it has one. */
export function readCacheOf(engine: object): EngineReadCache | undefined {
  return (engine as { [READ_CACHE]?: EngineReadCache })[READ_CACHE];
}

/** The cache's counters as gauge samples (`spoke_read_cache{name}`); none when it is off. */
export function readCacheSamples(engine: object): [Record<string, string>, number][] {
  const cache = readCacheOf(engine);
  if (!cache) return [];
  return Object.entries(cache.stats()).map(([name, value]) => [{ name }, value]);
}
