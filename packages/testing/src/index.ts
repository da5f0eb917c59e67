/**
 * `@spoke/testing` — the conformance kit. A connector's conformance test
 * is one call to {@link runConformance}; the fixture, the cases (plain data,
 * selected by declared capabilities), the DuckDB reference and the hostile
 * string corpus are exported for connector-specific tests too.
 *
 * @packageDocumentation
 */

export {
  type TypedDuckDBParams as DuckDBParams,
  toTypedDuckDBParams as toDuckDBParams,
} from '@spoke/duckdb-arrow';
export * from './arrow-build.js';
export * from './canonical.js';
export * from './capabilities.js';
export * from './cases.js';
export * from './duckdb-fixture.js';
export * from './expression-signatures.js';
export * from './fixture.js';
export * from './hostile.js';
export * from './reference.js';
export * from './run-case.js';
export * from './run-conformance.js';
export * from './run-whole-query.js';
export * from './temporal.js';
export * from './whole-query-cases.js';
