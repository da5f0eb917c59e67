/**
 * `limits.max_query_bytes`: the largest statement the gateway accepts. A
 * statement's parse tree, and every planning pass over it, grow with its
 * text, and most of that work is synchronous; bounding the text bounds the
 * memory and the time any one statement can take from the event loop.
 *
 * The QueryService checks every statement (one place, every front end); the
 * protocols check the size of the message that carries it before buffering
 * it (Postgres wire, HTTP body), so an oversized statement is refused without
 * ever being held whole in memory.
 */
import { ErrorCode, SpokeError } from '@spoke/core';

/**
 * The default `limits.max_query_bytes`: 128 KiB. Parsing runs in a worker
 * thread for long statements and the engine yields between planning phases,
 * but each phase (binding, policy rewriting, push-down planning) walks the
 * parse tree synchronously. At 128 KiB of a worst-case statement (a long IN
 * list, VALUES list or OR chain) the longest stall measured 24–64 ms on a
 * 2-core machine, so `/healthz` and other clients keep answering within
 * 100 ms; at 256 KiB it reached 117 ms (see docs/operators-guide.md,
 * "Statement size").
 */
export const DEFAULT_MAX_QUERY_BYTES = 128 * 1024;

/** The error for a statement of `bytes` UTF-8 bytes over the `limit`: SQLSTATE 54000 (program_limit_exceeded). */
export function queryTooLarge(bytes: number, limit: number): SpokeError {
  return new SpokeError(
    ErrorCode.INVALID_QUERY,
    `statement of ${bytes} bytes is larger than limits.max_query_bytes (${limit} bytes)`,
    { details: { sqlstate: '54000', bytes, limit } },
  );
}

/** The statement's size in UTF-8 bytes when it is over `limit`, else `undefined`; cheap for the common short statement. */
export function oversizedBy(sql: string, limit: number): number | undefined {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no counting.
  if (sql.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(sql, 'utf8');
  return bytes > limit ? bytes : undefined;
}
