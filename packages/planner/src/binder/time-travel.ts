/**
 * Time travel: `FROM source.table(version => 3)` (a form the PostgreSQL
 * grammar parses as a function in FROM) names a past version of a table,
 * which connectors with versioned tables (Lance) serve read-only as the table
 * `table@v3`.
 *
 * The rewrite to a plain table reference runs on the whole statement before
 * the security policies see it, so a past version is governed by exactly the
 * rules of its table (deny, masks, row filters) and resolved, or reported
 * missing, exactly as the table itself is.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { type AstNode, str, walkAst } from '../parse/ast.js';
import type { SourceRegistry } from './source-registry.js';

/** The suffix a past version of a table carries in the catalog: `docs@v3`. */
const VERSION_SUFFIX = /@v\d+$/;

/** `docs` for `docs@v3`; other names unchanged. */
export function baseTableName(table: string): string {
  return table.replace(VERSION_SUFFIX, '');
}

/** Replaces, in place, every `source.table(version => N)` in FROM clauses of `stmt` by a reference to `table@vN`. */
export function resolveTimeTravel(stmt: AstNode, registry: SourceRegistry): void {
  walkAst(stmt, (node) => {
    const rangeFunction = node.RangeFunction;
    if (!rangeFunction) return undefined;
    const pinned = versionedTable(rangeFunction, registry);
    if (pinned) {
      for (const key of Object.keys(node)) delete node[key];
      node.RangeVar = pinned;
      return false;
    }
    return undefined;
  });
}

/** The RangeVar for a `source.table(version => N)` function in FROM, or `undefined` for other functions. */
export function versionedTable(rangeFunction: AstNode, registry: SourceRegistry): AstNode | undefined {
  const call = rangeFunction.functions?.[0]?.List?.items?.[0]?.FuncCall;
  if (!call || rangeFunction.functions.length !== 1) return undefined;
  const names = (call.funcname as AstNode[]).map((n) => str(n)!);
  if (names.length < 2 || !registry.has(names[0]!)) return undefined;
  const args = (call.args ?? []) as AstNode[];
  const arg = args[0]?.NamedArgExpr;
  if (args.length !== 1 || arg?.name?.toLowerCase() !== 'version') {
    throw new SpokeError(ErrorCode.INVALID_QUERY, `${names.join('.')}(…) takes one argument: version => N`);
  }
  const version = arg.arg?.A_Const?.ival?.ival;
  if (!Number.isInteger(version) || version < 1) {
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `${names.join('.')}(version => …): the version must be a positive integer`,
    );
  }
  const table = `${names[names.length - 1]}@v${version}`;
  return {
    ...(names.length === 3 ? { catalogname: names[0], schemaname: names[1] } : { schemaname: names[0] }),
    relname: table,
    inh: true,
    relpersistence: 'p',
    alias: { aliasname: rangeFunction.alias?.aliasname ?? names[names.length - 1] },
    ...(rangeFunction.location !== undefined ? { location: rangeFunction.location } : {}),
  };
}
