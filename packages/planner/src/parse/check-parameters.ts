/**
 * A `$n` the client bound no value for is an error, as in PostgreSQL
 * (42P02 `there is no parameter $n`): read as NULL it would quietly match no
 * rows (`WHERE id = $1` answering nothing instead of failing).
 */
import { ErrorCode, type ScalarValue, SpokeError } from '@spoke/core';
import { type AstNode, walkAst } from './ast.js';

/** Throws 42P02 for the first `$n` in the statement beyond the values bound. */
export function checkParameters(tree: AstNode, params: readonly ScalarValue[], sql: string): void {
  // No `$` in the text, no parameter: skip walking a long statement's tree.
  if (!sql.includes('$')) return;
  let missing: AstNode | undefined;
  walkAst(tree, (node) => {
    if (missing) return false;
    const number = node.ParamRef?.number as number | undefined;
    if (number !== undefined && number > params.length) missing = node.ParamRef;
    return undefined;
  });
  if (!missing) return;
  throw new SpokeError(ErrorCode.INVALID_QUERY, `there is no parameter $${missing.number}`, {
    details: {
      sqlstate: '42P02',
      // libpg-query's locations count bytes; PostgreSQL's positions count characters.
      ...(typeof missing.location === 'number'
        ? { position: Buffer.from(sql).subarray(0, missing.location).toString().length + 1 }
        : {}),
    },
  });
}
