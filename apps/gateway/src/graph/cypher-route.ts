/**
 * `POST /v1/cypher` `{"graph": "social", "query": "MATCH …", "params": {…}}`:
 * answered exactly as `/v1/query` answers (JSON rows, or an Arrow stream when
 * the request accepts `application/vnd.apache.arrow.stream`), because it
 * runs the SQL statement `SELECT * FROM cypher($1, $2, $3)` through the
 * caller's own engine (limits, audit, policies). With `"explain": true` it
 * answers `{"graph", "cypher", "sql", "plan"}`: the Cypher, the SQL it
 * compiles to, and the plan (what each source is asked, what DuckDB runs).
 */
import type { ScalarValue } from '@spoke/core';
import type { ExplainPlan, QueryEngine } from '@spoke/planner';
import { HttpError, HttpErrorCode } from '../http/error-status.js';
import { parseJsonObjectBody } from '../http/json-object-body.js';
import { compileCypherCall, cypherParams, cypherStatementFor, graphsOf } from './graph-engine.js';

/** A parsed `/v1/cypher` body. */
export interface CypherBody {
  readonly graph: string;
  readonly query: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly explain: boolean;
}

function bad(message: string): HttpError {
  return new HttpError(400, HttpErrorCode.BAD_REQUEST, message);
}

/** Parses and checks a `/v1/cypher` request body. */
export function parseCypherBody(text: string): CypherBody {
  const body = parseJsonObjectBody(text, '{"graph": "...", "query": "MATCH ...", "params": {...}}');
  const { graph, query, params, explain, ...rest } = body;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw bad(`unknown member "${unknown}": expected graph, query, params, explain`);
  if (typeof graph !== 'string' || graph === '') throw bad('"graph" must be the name of a configured graph');
  if (typeof query !== 'string' || query.trim() === '') throw bad('"query" must be a non-empty Cypher query');
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params)))
    throw bad('"params" must be a JSON object {"name": value}');
  if (explain !== undefined && typeof explain !== 'boolean') throw bad('"explain" must be true or false');
  return { graph, query, params: (params ?? {}) as Record<string, unknown>, explain: explain === true };
}

/** The SQL statement and parameters a `/v1/cypher` body runs as. */
export function cypherStatement(body: CypherBody): { sql: string; params: ScalarValue[] } {
  return { sql: cypherStatementFor(body.query), params: cypherParams(body.graph, body.query, body.params) };
}

/** `"explain": true`: the Cypher, its SQL and the plan. */
export async function explainCypher(
  served: QueryEngine,
  callerEngine: QueryEngine,
  body: CypherBody,
  signal: AbortSignal,
): Promise<{ graph: string; cypher: string; sql: string; plan: ExplainPlan }> {
  const { sql, params } = cypherStatement(body);
  const compiled = await compileCypherCall(graphsOf(served), params);
  const plan = await callerEngine.explain(sql, { params, signal });
  return { graph: body.graph, cypher: body.query, sql: compiled.sql, plan };
}
