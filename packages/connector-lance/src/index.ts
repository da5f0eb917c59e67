/**
 * `@spoke/connector-lance` — Lance tables through LanceDB: projection, filter
 * and limit push-down, vector top-k and full-text push-down, hybrid search,
 * time travel, writes, indexes and compaction; local or on S3.
 *
 * @packageDocumentation
 */

export { coerceBatch } from './coerce-batch.js';
export * from './compaction-policy.js';
export * from './lance-catalog.js';
export * from './lance-connector.js';
export { connector as default } from './lance-connector.js';
export * from './lance-dialect.js';
export * from './lance-filters.js';
export * from './lance-options.js';
export * from './lance-table.js';
export * from './lance-writer.js';
export * from './text-match.js';
export * from './vector-order.js';
export * from './virtual-columns.js';
