/**
 * PostgreSQL raises 22012 `division by zero` for `x / 0` and `x % 0` (integer,
 * numeric and float alike); DuckDB answers NULL, which would turn an error
 * into a quiet wrong answer (a NULL row, or a row a filter drops). Before the
 * residual or a system-catalog query reaches DuckDB, each divisor that is not
 * a non-zero constant becomes `CASE WHEN d = 0 THEN error('division by zero')
 * ELSE d END`; the executor maps DuckDB's error back to 22012
 * (`duckdb-errors.ts`).
 */
import { type AstNode, walkAst } from '../parse/ast.js';

/** The message DuckDB's `error()` raises, which `translateDuckDBError` recognizes. */
export const DIVISION_BY_ZERO = 'division by zero';

const DIVISIONS = new Set(['/', '%']);

/** Rewrites every `/` and `%` in the tree (in place) to raise on a zero divisor. */
export function guardDivisions(tree: AstNode): void {
  // Pre-order: a division inside a divisor is met (and guarded) again in both copies the guard holds.
  walkAst(tree, (node) => {
    guardDivision(node);
    return undefined;
  });
}

/** Guards one node's divisor when the node is a `/` or `%` (for walks that do several rewrites at once). */
export function guardDivision(node: AstNode): void {
  const e = node.A_Expr;
  if (e?.kind !== 'AEXPR_OP' || !e.lexpr || !e.rexpr) return;
  const op = e.name?.[e.name.length - 1]?.String?.sval as string | undefined;
  if (op === undefined || !DIVISIONS.has(op) || isNonZeroConstant(e.rexpr)) return;
  e.rexpr = guard(e.rexpr);
}

function isNonZeroConstant(node: AstNode): boolean {
  const c = node.A_Const;
  if (!c) return false;
  if (c.ival !== undefined) return (c.ival.ival ?? 0) !== 0;
  if (c.fval !== undefined) return Number(c.fval.fval) !== 0;
  return false;
}

function guard(divisor: AstNode): AstNode {
  const zero = { A_Const: { ival: {} } };
  return {
    CaseExpr: {
      args: [
        {
          CaseWhen: {
            expr: {
              A_Expr: { kind: 'AEXPR_OP', name: [{ String: { sval: '=' } }], lexpr: divisor, rexpr: zero },
            },
            result: {
              FuncCall: {
                funcname: [{ String: { sval: 'error' } }],
                args: [{ A_Const: { sval: { sval: DIVISION_BY_ZERO } } }],
                funcformat: 'COERCE_EXPLICIT_CALL',
              },
            },
          },
        },
      ],
      // A copy: later passes renumber `$n` in place, and must not meet the same node twice.
      defresult: structuredClone(divisor),
    },
  };
}
