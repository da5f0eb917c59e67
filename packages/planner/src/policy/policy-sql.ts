/**
 * Parse-tree builders for what the policy writes into queries: masking
 * expressions, row filters with the caller's attributes, and the
 * view-like sub-select that replaces a protected table. Masks use only
 * functions PostgreSQL and DuckDB share (md5, right, length, concat), so a
 * query pushed whole to a SQL source renders them unchanged.
 */
import type { QueryContext } from '@spoke/core';
import { type AstNode, cloneAst } from '../parse/ast.js';
import { DEFAULT_KEEP_LAST, USER_ATTRIBUTE_FUNCTION } from './policy-config.js';
import type { MaskKind, PolicyRule } from './policy-rule.js';

/** What the e-mail mask shows, as the design has it. */
export const EMAIL_MASK = '***@***.com';
/** What the redact mask (and short values under the partial mask) show. */
export const REDACTED = '***';

export const column = (name: string): AstNode => ({ ColumnRef: { fields: [{ String: { sval: name } }] } });
export const qualifiedColumn = (qualifier: string, name: string): AstNode => ({
  ColumnRef: { fields: [{ String: { sval: qualifier } }, { String: { sval: name } }] },
});
export const text = (value: string): AstNode => ({ A_Const: { sval: { sval: value } } });
export const integer = (value: number): AstNode => ({
  A_Const: { ival: value === 0 ? {} : { ival: value } },
});
export const nullConst = (): AstNode => ({ A_Const: { isnull: true } });
export const bool = (value: boolean): AstNode => ({ A_Const: { boolval: value ? { boolval: true } : {} } });
export const call = (name: string, args: AstNode[]): AstNode => ({
  FuncCall: { funcname: [{ String: { sval: name } }], args, funcformat: 'COERCE_EXPLICIT_CALL' },
});
const asText = (arg: AstNode): AstNode => ({
  TypeCast: { arg, typeName: { names: [{ String: { sval: 'text' } }], typemod: -1 } },
});
const isNull = (arg: AstNode): AstNode => ({ NullTest: { arg, nulltesttype: 'IS_NULL' } });
const op = (name: string, lexpr: AstNode, rexpr: AstNode): AstNode => ({
  A_Expr: { kind: 'AEXPR_OP', name: [{ String: { sval: name } }], lexpr, rexpr },
});
const caseWhen = (whens: [AstNode, AstNode][], otherwise?: AstNode): AstNode => ({
  CaseExpr: {
    args: whens.map(([expr, result]) => ({ CaseWhen: { expr, result } })),
    ...(otherwise ? { defresult: otherwise } : {}),
  },
});

/** `left AND right AND …` (one operand stays itself). */
export function and(args: AstNode[]): AstNode {
  return args.length === 1 ? args[0]! : { BoolExpr: { boolop: 'AND_EXPR', args } };
}

/**
 * The expression showing `name` masked. NULL stays NULL (masks hide values,
 * not their absence); `null` keeps the column's type (`CASE WHEN false THEN c
 * END`), the others are text.
 */
export function maskExpression(name: string, mask: MaskKind, rule: PolicyRule): AstNode {
  const c = column(name);
  switch (mask) {
    case 'null':
      return caseWhen([[bool(false), c]]);
    case 'redact':
      return caseWhen([[isNull(c), nullConst()]], text(REDACTED));
    case 'email':
      return caseWhen([[isNull(c), nullConst()]], text(EMAIL_MASK));
    case 'hash':
      // Deterministic, so equality joins between columns hashed alike still match.
      return caseWhen(
        [[isNull(c), nullConst()]],
        call('md5', [call('concat', [text(rule.salt ?? ''), asText(c)])]),
      );
    case 'partial': {
      const keep = rule.keepLast ?? DEFAULT_KEEP_LAST;
      // At least four characters stay hidden; shorter values are fully redacted.
      return caseWhen(
        [
          [isNull(c), nullConst()],
          [
            op('>=', call('length', [asText(c)]), integer(keep + 4)),
            call('concat', [text(REDACTED), call('right', [asText(c), integer(keep)])]),
          ],
        ],
        text(REDACTED),
      );
    }
  }
}

/**
 * A row filter with the caller substituted: `current_user_attr('x')` becomes
 * the attribute's value and `current_user` the user name. A missing
 * attribute or user makes the whole filter FALSE, never TRUE.
 */
export function rowFilterFor(rule: PolicyRule, context: QueryContext): AstNode {
  const tree = cloneAst(rule.predicate!.tree);
  let missing = false;
  const replace = (node: AstNode): AstNode | undefined => {
    const f = node.FuncCall;
    if (f && f.funcname.at(-1)?.String?.sval?.toLowerCase() === USER_ATTRIBUTE_FUNCTION) {
      const value = context.attributes?.[f.args[0].A_Const.sval.sval as string];
      if (value === undefined) missing = true;
      return text(value ?? '');
    }
    const v = node.SQLValueFunction;
    if (v && ['SVFOP_CURRENT_USER', 'SVFOP_SESSION_USER', 'SVFOP_USER'].includes(v.op)) {
      if (context.user === undefined) missing = true;
      return text(context.user ?? '');
    }
    return undefined;
  };
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const replaced = replace(node as AstNode);
    if (replaced) return replaced;
    for (const [k, v] of Object.entries(node)) (node as AstNode)[k] = visit(v);
    return node;
  };
  const result = visit(tree) as AstNode;
  return missing ? bool(false) : result;
}
