/**
 * `@spoke/planner` — parse, bind, push-down, execution of the residual in
 * embedded DuckDB, EXPLAIN.
 *
 * @packageDocumentation
 */

// Side effect first: every deparse in the process keeps boolean operands' parentheses.
import './parse/deparser-precedence.js';

export * from '@spoke/duckdb-arrow';
export { type ResolvedTable, SourceRegistry } from './binder/source-registry.js';
export {
  collectBatches,
  type EngineOptions,
  FederatedEngine,
  type PreparedSelect,
} from './engine.js';
export * from './engine-api.js';
export { formatExplain } from './explain/explain-plan.js';
export { type ParsedStatement, parseSql } from './parse/parse-sql.js';
export { enablePlanCache, planCacheOf } from './plan-cache/cached-query.js';
export { type CachedEngineOptions, createEngine } from './plan-cache/create-engine.js';
export { PlanCache, type PlanCacheOptions, type PlanCacheStats } from './plan-cache/plan-cache.js';
export * from './policy/index.js';
export * from './policy-hook.js';
export { timeSettingMs } from './session/run-time-parameters.js';
export * from './table-functions.js';
