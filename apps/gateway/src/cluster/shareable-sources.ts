/**
 * Sources several worker processes cannot open at once. Each worker opens
 * every source itself; a DuckDB database file opened read-write
 * (`writable: true`) is locked by the first process that opens it, so the
 * second worker would fail with DuckDB's lock error. Read-only DuckDB files
 * (the default), Parquet, Lance and the network sources are shared freely.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import type { GatewayConfig } from '../config/gateway-config.js';

const DUCKDB_CONNECTORS = new Set(['duckdb', '@spoke/connector-duckdb']);

/** Throws INVALID_CONFIG naming the first source `workers` processes cannot share. */
export function checkShareableSources(config: GatewayConfig, workers: number): void {
  for (const [name, source] of Object.entries(config.sources)) {
    const { path, writable } = source.options;
    if (!DUCKDB_CONNECTORS.has(source.connector) || path === undefined) continue;
    if (writable === true || writable === 'true')
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `server.workers: ${workers} worker processes cannot share sources.${name} (a DuckDB file opened writable: true, which one process locks); set server.workers: 1, or open the file read-only`,
      );
  }
}
