/**
 * `@spoke/planner` — parse, bind, push-down, execution of the residual in
 * embedded DuckDB, EXPLAIN.
 *
 * @packageDocumentation
 */
export * from './engine-api.js';
export { createEngine, collectBatches, FederatedEngine, type EngineOptions, type PreparedSelect } from './engine.js';
export { formatExplain } from './explain/explain-plan.js';
export * from './policy-hook.js';
export * from './policy/index.js';
export { SourceRegistry, type ResolvedTable } from './binder/source-registry.js';
export { parseSql, type ParsedStatement } from './parse/parse-sql.js';
export * from '@spoke/duckdb-arrow';
