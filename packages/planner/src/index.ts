/**
 * `@spoke/planner` — parse, bind, push-down, execution of the residual in
 * embedded DuckDB, EXPLAIN.
 *
 * @packageDocumentation
 */
export * from './engine-api.js';
export { createEngine, collectBatches, FederatedEngine, type EngineOptions, type PreparedSelect } from './engine.js';
export { formatExplain } from './explain/explain-plan.js';
export { parseSql, type ParsedStatement } from './parse/parse-sql.js';
export * from './execution/index.js';
