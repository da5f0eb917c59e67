/**
 * DuckDB 1.5 folds `x * -1 >= -2147483648` to false (its `MoveConstantsRule`
 * cannot represent the moved constant and gives up on the wrong side; fixed
 * upstream after 1.5.6). Before SQL reaches DuckDB, a literal equal to an
 * integer type's minimum becomes `(SELECT -2147483648)`, which the optimizer
 * does not fold into the comparison; see `isMisfoldedIntegerConstant` in
 * `@spoke/core`, which the DuckDB sources' dialect shares.
 */
import { isMisfoldedIntegerConstant } from '@spoke/core';
import type { AstNode } from '../parse/ast.js';

/**
 * Replaces `node` in place when it is an integer literal DuckDB may mis-fold;
 * whether it did (the caller must not walk into the replacement, which holds
 * the literal again).
 */
export function hideMisfoldedConstant(node: AstNode): boolean {
  const c = node.A_Const;
  if (!c) return false;
  const value = c.ival !== undefined ? (c.ival.ival ?? 0) : c.fval?.fval;
  if (value === undefined || !isMisfoldedIntegerConstant(value)) return false;
  const literal = { A_Const: c };
  delete node.A_Const;
  Object.assign(node, {
    SubLink: {
      subLinkType: 'EXPR_SUBLINK',
      subselect: {
        SelectStmt: {
          targetList: [{ ResTarget: { val: literal } }],
          limitOption: 'LIMIT_OPTION_DEFAULT',
          op: 'SETOP_NONE',
        },
      },
    },
  });
  return true;
}
