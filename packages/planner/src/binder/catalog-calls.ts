/**
 * Calls of functions only the system catalog answers (`format_type`,
 * `pg_get_userbyid`, `has_table_privilege`… — `catalogOnly` in
 * `allowed-functions.ts`). DuckDB has functions of some of these names with
 * other meanings (its `format_type(23, -1)` is `float8`, PostgreSQL's is
 * `integer`), so such a call must never reach the residual: a statement
 * without source tables goes to the system catalog whatever its FROM
 * (`\gdesc`'s `FROM (VALUES …)`), and one over source tables is refused.
 */
import { type AstNode, walkAst } from '../parse/ast.js';
import { allowedCallables } from './allowed-functions.js';

/** The name of the first catalog-only function `stmt` calls, if any. */
export function catalogOnlyCall(stmt: AstNode): string | undefined {
  let found: string | undefined;
  walkAst(stmt, (node) => {
    if (found !== undefined) return false;
    if (!node.FuncCall) return undefined;
    const parts = (node.FuncCall.funcname ?? []) as AstNode[];
    const name = parts[parts.length - 1]?.String?.sval as string | undefined;
    if (name === undefined) return undefined;
    const entries = allowedCallables(name);
    if (entries.length > 0 && entries.every((c) => c.catalogOnly)) found = name;
    return undefined;
  });
  return found;
}

/**
 * Replaces, in place, each `pg_backend_pid()` of `stmt` by the connection's
 * own process id (an `integer`, as PostgreSQL's): the id the client was
 * given at start-up, so a tool showing or matching its own backend sees the
 * connection it holds, not the catalog's constant.
 */
export function answerBackendPid(stmt: AstNode, pid: number): void {
  const answer = () => ({ TypeCast: { arg: { A_Const: { ival: { ival: pid } } }, typeName: int4 } });
  walkAst(stmt, (node) => {
    for (const [key, value] of Object.entries(node)) {
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          if (isBackendPidCall(item)) value[i] = answer();
        });
      } else if (isBackendPidCall(value)) {
        node[key] = answer();
      }
    }
    return undefined;
  });
}

/** `pg_backend_pid()` or `pg_catalog.pg_backend_pid()`, as a node. */
function isBackendPidCall(value: unknown): boolean {
  const call = (value as AstNode | null)?.FuncCall;
  if (!call || (call.args?.length ?? 0) !== 0 || call.agg_star || call.over) return false;
  const parts = (call.funcname ?? []) as AstNode[];
  return (
    parts[parts.length - 1]?.String?.sval === 'pg_backend_pid' &&
    (parts.length === 1 || (parts.length === 2 && parts[0]?.String?.sval === 'pg_catalog'))
  );
}

const int4 = { names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: 'int4' } }], typemod: -1 };
