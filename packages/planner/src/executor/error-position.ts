/**
 * Positions for errors DuckDB reports about the rewritten SQL: DuckDB's
 * `LINE n:` caret points into the residual, which the user never wrote, so
 * the engine finds the token in the user's own statement instead — only when
 * it occurs there exactly once, else the position is left out (a wrong caret
 * is worse than none).
 */
import { SpokeError } from '@spoke/core';

/** `error` with `details.position` (1-based, in characters) into `sql` when the token it names is unique there. */
export function locateError(error: unknown, sql: string): unknown {
  if (!SpokeError.isInstance(error)) return error;
  const details = error.details ?? {};
  if (details.position !== undefined || typeof details.sqlstate !== 'string') return error;
  const pattern = tokenPattern(details.sqlstate, error.message);
  if (!pattern) return error;
  const hits = [...sql.matchAll(pattern)];
  if (hits.length !== 1) return error;
  return new SpokeError(error.code, error.message, {
    cause: error.cause,
    ...(error.source !== undefined ? { source: error.source } : {}),
    details: { ...details, position: [...sql.slice(0, hits[0]!.index)].length + 1 },
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tokenPattern(sqlstate: string, message: string): RegExp | undefined {
  // 42883 `function length(integer) does not exist`: the call's name, followed by its parenthesis.
  const call = /^function ([\w.]+)\(/.exec(message);
  if (sqlstate === '42883' && call) return new RegExp(`(?<![\\w."])${escapeRegex(call[1]!)}\\s*\\(`, 'gi');
  // 22P02/22007/22008 `invalid input syntax for type integer: "abc"`: the literal as written.
  const input =
    /^(?:invalid input syntax for type [\w ]+|date\/time field value out of range): "(.*)"$/s.exec(message);
  if (input && /^22/.test(sqlstate))
    return new RegExp(`'${escapeRegex(input[1]!.replace(/'/g, "''"))}'`, 'g');
  return undefined;
}
