/**
 * TPC-H for the differential kit (`test/differential`) and the benchmarks:
 * the spec's schema, a dbgen-rules generator and the 22 queries.
 */
export * from './generate.js';
export * from './queries.js';
export * from './schema.js';
export { seededRandom, textPool } from './text-pool.js';
