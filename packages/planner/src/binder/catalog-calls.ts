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
