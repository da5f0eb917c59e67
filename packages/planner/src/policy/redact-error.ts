/**
 * Error messages from DuckDB and from sources quote the value that failed
 * ("Could not convert string 'alice@example.com' to INT32"). Where a policy
 * shaped the query, that value may be one the caller must not see (a row a
 * row filter hides, a column of an aggregate-only table): the engine should
 * pass errors raised while executing such a query (not binding errors, which
 * name only what the caller may see) through {@link redactErrorValues}.
 */
import { SpokeError } from '@spoke/core';

/** The error with every quoted literal in its message replaced by `'…'` (codes, cause and source kept). */
export function redactErrorValues(error: unknown): unknown {
  if (!SpokeError.isInstance(error)) return error;
  const message = redactQuoted(error.message);
  if (message === error.message) return error;
  return new SpokeError(error.code, message, {
    cause: error,
    ...(error.source !== undefined ? { source: error.source } : {}),
  });
}

/**
 * The first line of `message` (DuckDB's further lines echo the SQL and the
 * offending text) with every quoted literal, '…' or "…", replaced by `'…'`.
 */
export function redactQuoted(message: string): string {
  const first = message.split('\n', 1)[0]!;
  return first.replace(/'(?:[^']|'')*'/g, "'…'").replace(/"(?:[^"]|"")*"/g, '"…"');
}
