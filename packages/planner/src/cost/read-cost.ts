/**
 * The cost of moving data, in milliseconds of wall time: a request's round
 * trip, its bytes over the link, its rows through the source and the
 * decoder, and DuckDB's loading of them. One unit for every choice, so
 * "wait for a small side's keys, then read less" and "read everything now,
 * concurrently" compare directly.
 */
import type { LinkProfile } from './link-profile.js';

/** Rows per second DuckDB loads from Arrow (appender); measured on this project's bench machine. */
export const DUCKDB_LOAD_ROWS_PER_SECOND = 8_000_000;
/** Rows per second a SQL source scans a table it joins inside itself (a semi-join's other side). */
export const SOURCE_SCAN_ROWS_PER_SECOND = 5_000_000;
/** What one key costs in an `IN (…)` list: rendering, sending, and the source parsing it. */
export const KEY_LIST_MS_PER_KEY = 0.006;
/**
 * What one key costs in a list sent as one array (`= ANY(…)`, a table with a
 * `valueListLimit` above the default): fetching it from DuckDB, writing it
 * into the array's text, the source parsing and hashing it.
 */
export const KEY_ARRAY_MS_PER_KEY = 0.001;

/**
 * Milliseconds to read `rows` rows of `bytes` bytes over `link` and load
 * them into DuckDB, the source first going through `scannedRows` rows (its
 * table, filtered: the same whatever is asked of it, so it weighs in when a
 * read is waited for).
 */
export function readCost(link: LinkProfile, rows: number, bytes: number, scannedRows = 0): number {
  return (
    link.latencyMs +
    (scannedRows * 1000) / link.scanRowsPerSecond +
    (bytes * 8) / (link.mbps * 1000) +
    (rows * 1000) / link.rowsPerSecond +
    (rows * 1000) / DUCKDB_LOAD_ROWS_PER_SECOND
  );
}
