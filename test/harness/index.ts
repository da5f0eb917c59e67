/**
 * The test harness: starts real services on free loopback ports in temporary
 * directories, for integration tests and benchmarks (`@spoke/test/harness`).
 */
export * from './postgres-server.js';
export * from './throttling-proxy.js';
