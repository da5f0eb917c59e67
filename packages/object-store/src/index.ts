/**
 * `@spoke/object-store` — object-first storage: one async API over memory,
 * local files and S3-compatible stores chosen by URL at run time; Spoke keys
 * (`spoke://tenant/dataset/version/fragment`) and content-addressed blobs;
 * L1 memory and L2 disk caches keyed by object key.
 *
 * @packageDocumentation
 */
export * from './caching-store.js';
export * from './disk-cache.js';
export { isObjectNotFound, objectNotFound } from './errors.js';
export * from './file-store.js';
export * from './lru-memory-cache.js';
export * from './memory-store.js';
export * from './object-space.js';
export * from './object-store.js';
export * from './open-store.js';
export * from './s3-store.js';
export * from './spoke-key.js';
