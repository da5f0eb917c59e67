/**
 * `CURRENT_DATE`, `CURRENT_TIMESTAMP`, `LOCALTIME`… as DuckDB function calls.
 * DuckDB reads the bare keyword as a column reference first, so once the
 * select list names its column `current_date` (PostgreSQL's name, see
 * `parse/figure-colname.ts`) the keyword would bind to that alias and fail;
 * the call form has no such ambiguity.
 */
import type { AstNode } from '../parse/ast.js';

const CALLS: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'get_current_time',
  SVFOP_CURRENT_TIME_N: 'get_current_time',
  SVFOP_CURRENT_TIMESTAMP: 'get_current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'get_current_timestamp',
  SVFOP_LOCALTIME: 'current_localtime',
  SVFOP_LOCALTIME_N: 'current_localtime',
  SVFOP_LOCALTIMESTAMP: 'current_localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'current_localtimestamp',
};

/** The DuckDB call for a date/time SQL value function node, or `undefined` for any other node. */
export function valueFunctionCall(node: AstNode): AstNode | undefined {
  const op = node.SQLValueFunction?.op as string | undefined;
  const name = op === undefined ? undefined : CALLS[op];
  if (name === undefined) return undefined;
  return {
    FuncCall: { funcname: [{ String: { sval: name } }], args: [], funcformat: 'COERCE_EXPLICIT_CALL' },
  };
}

/** Replaces `node` in place when it is a date/time SQL value function; whether it was. */
export function rewriteValueFunction(node: AstNode): boolean {
  if (!node.SQLValueFunction) return false;
  const call = valueFunctionCall(node);
  if (!call) return false;
  // The wrapper object is replaced in place: a walker holds no parent.
  delete node.SQLValueFunction;
  Object.assign(node, call);
  return true;
}
