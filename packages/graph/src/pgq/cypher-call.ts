/**
 * The arguments of the SQL table function `cypher(graph, query [, params
 * [, $1, $2, …]])` (Apache AGE's spelling, plus the statement parameters a
 * rewritten GRAPH_TABLE passes on): the Cypher parameters they give.
 */
import { ErrorCode, SpokeError } from '@spoke/core';

function invalid(message: string, sqlstate: string): SpokeError {
  return new SpokeError(ErrorCode.INVALID_QUERY, `cypher(): ${message}`, { details: { sqlstate } });
}

/**
 * `params` (JSON text of an object, or null) and the positional values after
 * it (read by the Cypher as `$1`, `$2`, …) as one parameter map.
 */
export function cypherCallParameters(
  params: unknown,
  positional: readonly unknown[] = [],
): Record<string, unknown> {
  let named: Record<string, unknown> = {};
  if (params !== undefined && params !== null) {
    if (typeof params !== 'string') throw invalid('params must be JSON text of an object', '22023');
    let parsed: unknown;
    try {
      parsed = JSON.parse(params);
    } catch (error) {
      throw invalid(`params are not JSON: ${(error as Error).message}`, '22P02');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw invalid('params must be a JSON object {"name": value}', '22023');
    named = parsed as Record<string, unknown>;
  }
  const out: Record<string, unknown> = { ...named };
  positional.forEach((value, i) => {
    out[String(i + 1)] = value;
  });
  return out;
}
