/**
 * The two ways a Cypher query is refused, with the SQLSTATE PostgreSQL would
 * send: 42601 for text the grammar does not accept, 0A000 for a construct the
 * subset does not support (named, so the user knows what to change).
 */
import { ErrorCode, SpokeError } from '@spoke/core';

/** A syntax error at a 1-based character position of the query text. */
export function cypherSyntaxError(message: string, position: number): SpokeError {
  return new SpokeError(ErrorCode.SYNTAX_ERROR, `Cypher syntax error at position ${position}: ${message}`, {
    details: { sqlstate: '42601', position },
  });
}

/** A construct outside the supported subset. */
export function unsupportedCypher(construct: string, position?: number): SpokeError {
  return new SpokeError(
    ErrorCode.UNSUPPORTED,
    `Cypher: ${construct} is not supported${position === undefined ? '' : ` (at position ${position})`}`,
    { details: position === undefined ? { sqlstate: '0A000' } : { sqlstate: '0A000', position } },
  );
}

/** A query that is valid Cypher but wrong for the graph (unknown label, unbound variable, bad parameter). */
export function invalidCypher(message: string, position?: number, sqlstate = '42P01'): SpokeError {
  const code =
    sqlstate === '42703'
      ? ErrorCode.COLUMN_NOT_FOUND
      : sqlstate === '42P01'
        ? ErrorCode.TABLE_NOT_FOUND
        : ErrorCode.INVALID_QUERY;
  return new SpokeError(
    code,
    `Cypher: ${message}${position === undefined ? '' : ` (at position ${position})`}`,
    {
      details: position === undefined ? { sqlstate } : { sqlstate, position },
    },
  );
}
