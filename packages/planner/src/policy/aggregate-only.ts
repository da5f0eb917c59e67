/**
 * `aggregate_only`: a SELECT that reads a protected table directly must
 * aggregate, may only use aggregates that do not return a row's own value
 * (count, sum, avg, variance…: not min, max, string_agg, first…) over bare
 * columns, and gets `HAVING count(*) >= min_group_size` (counting distinct
 * protected rows when it joins, so duplicating rows through a join cannot
 * shrink a group). Casts and functions that could echo a raw value in an
 * error message are refused; so are window functions and sub-queries in its
 * output. Outer queries then only ever see groups of at least k rows.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { type AstNode, walkAst } from '../parse/ast.js';
import type { PolicyRule } from './policy-rule.js';
import { and, call, integer, qualifiedColumn } from './policy-sql.js';

/** A protected table as the query now sees it: the sub-select that replaced it. */
export interface AggregateOnlyRelation {
  /** The `RangeSubselect` node (the FROM item). */
  readonly item: AstNode;
  /** Its SELECT body. */
  readonly inner: AstNode;
  /** The name the query uses for it. */
  readonly alias: string;
  /** The table as the query named it, for messages. */
  readonly displayName: string;
  readonly rules: readonly PolicyRule[];
  readonly minGroupSize: number;
  /** Visible column names (lower case), and which of them are text. */
  readonly columns: ReadonlySet<string>;
  readonly textColumns: ReadonlySet<string>;
}

/** The hidden row number that lets a joined aggregate count distinct protected rows. */
export const ROW_ID_COLUMN = '__spoke_row';

/** Aggregates that summarise a group without returning any one row's value. */
const SAFE_AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'mean',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'corr',
  'covar_pop',
  'covar_samp',
  'approx_count_distinct',
]);
/** Aggregates that may return one row's own value (or that this check does not know to be safe). */
const OTHER_AGGREGATES = new Set([
  'min',
  'max',
  'array_agg',
  'string_agg',
  'list',
  'first',
  'last',
  'any_value',
  'arbitrary',
  'arg_max',
  'arg_min',
  'argmax',
  'argmin',
  'max_by',
  'min_by',
  'median',
  'mode',
  'quantile',
  'quantile_cont',
  'quantile_disc',
  'percentile_cont',
  'percentile_disc',
  'histogram',
  'json_agg',
  'jsonb_agg',
  'json_object_agg',
  'jsonb_object_agg',
  'group_concat',
  'listagg',
  'bool_and',
  'bool_or',
  'every',
  'bit_and',
  'bit_or',
  'bit_xor',
  'product',
  'mad',
  'approx_quantile',
  'reservoir_quantile',
  'entropy',
  'kurtosis',
  'skewness',
  'fsum',
  'favg',
  'kahan_sum',
  'sumkahan',
]);
/** Functions that never fail on a value of their argument's type, so no error message can carry a raw value. */
const SAFE_FUNCTIONS = new Set([
  'lower',
  'upper',
  'length',
  'char_length',
  'character_length',
  'octet_length',
  'trim',
  'btrim',
  'ltrim',
  'rtrim',
  'substring',
  'substr',
  'left',
  'right',
  'concat',
  'coalesce',
  'nullif',
  // not abs: abs(-2147483648) overflows
  'round',
  'floor',
  'ceil',
  'ceiling',
  'sign',
  'date_trunc',
  'date_part',
  'extract',
  'year',
  'month',
  'day',
  'quarter',
  'week',
  'dayofweek',
  'hour',
  'minute',
  'greatest',
  'least',
  'md5',
  'starts_with',
  'isnull',
]);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '^']);
const COMPARISON = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/** Checks one SELECT that reads `relations` directly and adds its minimum-group-size HAVING. */
export function enforceAggregateOnly(stmt: AstNode, relations: readonly AggregateOnlyRelation[]): void {
  const first = relations[0]!;
  const deny = (reason: string): never => {
    throw new SpokeError(
      ErrorCode.POLICY_DENIED,
      `only aggregates of ${first.displayName} may be read: ${reason} (rule ${first.rules[0]!.name})`,
    );
  };
  const protectedRef = (ref: AstNode): AggregateOnlyRelation | undefined => {
    const names = (ref.fields as AstNode[]).map((f) => f.String?.sval as string | undefined);
    if (ref.fields.at(-1)?.A_Star) {
      const qualifier = names.at(-2);
      return qualifier === undefined
        ? first
        : relations.find((r) => r.alias.toLowerCase() === qualifier.toLowerCase());
    }
    const name = names.at(-1)!.toLowerCase();
    const qualifier = names.at(-2)?.toLowerCase();
    return relations.find(
      (r) => (qualifier === undefined || r.alias.toLowerCase() === qualifier) && r.columns.has(name),
    );
  };
  const readsProtected = (node: unknown): boolean => {
    let found = false;
    walkAst(node, (n) => {
      if (n.ColumnRef && protectedRef(n.ColumnRef)) found = true;
      return found ? false : undefined;
    });
    return found;
  };
  const isProtectedText = (node: AstNode | undefined): boolean => {
    const ref = node?.ColumnRef;
    if (!ref) return false;
    const rel = protectedRef(ref);
    const name = (ref.fields.at(-1)?.String?.sval as string | undefined)?.toLowerCase();
    return rel !== undefined && name !== undefined && rel.textColumns.has(name);
  };
  const notText = (node: AstNode | undefined): boolean =>
    node?.ParamRef !== undefined ||
    (node?.A_Const !== undefined && node.A_Const.sval === undefined && !node.A_Const.isnull);

  /** Refuses expressions that could surface a protected value through an error message. */
  const checkExpression = (node: unknown, where: string): void => {
    walkAst(node, (n) => {
      if (n.TypeCast && readsProtected(n.TypeCast.arg))
        deny(`casts of its columns are not allowed in ${where}`);
      if (n.FuncCall) {
        const name = functionName(n.FuncCall);
        if (n.FuncCall.over) deny('window functions are not allowed');
        if (!SAFE_FUNCTIONS.has(name) && !SAFE_AGGREGATES.has(name) && readsProtected(n.FuncCall.args)) {
          deny(`${name}() of its columns is not allowed in ${where}`);
        }
      }
      const e = n.A_Expr;
      if (e) {
        const opName = e.name?.at(-1)?.String?.sval as string | undefined;
        const operands: AstNode[] = [
          e.lexpr,
          ...(Array.isArray(e.rexpr) ? e.rexpr : (e.rexpr?.List?.items ?? [e.rexpr])),
        ].filter(Boolean);
        const text = operands.some(isProtectedText);
        if (text && opName !== undefined && ARITHMETIC.has(opName))
          deny(`arithmetic on its text columns is not allowed in ${where}`);
        // Arithmetic can fail on one row's value (overflow, division by zero); `CASE WHEN id = 42 THEN
        // amount * 2147483647 …` would turn that failure into a yes/no question about row 42.
        // Division and modulo by a positive constant cannot fail (`customer_id % 50` stays a fine group key).
        const byPositiveConstant =
          (opName === '/' || opName === '%') &&
          Number(e.rexpr?.A_Const?.ival?.ival ?? e.rexpr?.A_Const?.fval?.fval ?? Number.NaN) > 0;
        if (
          opName !== undefined &&
          ARITHMETIC.has(opName) &&
          !byPositiveConstant &&
          operands.some(readsProtected)
        )
          deny(`arithmetic on its columns is not allowed in ${where}: it can fail on a single row's value`);
        const comparison =
          e.kind === 'AEXPR_IN' ||
          e.kind.includes('BETWEEN') ||
          (opName !== undefined && COMPARISON.has(opName));
        if (text && comparison && operands.some(notText))
          deny(`compare its text columns with text values (in ${where})`);
      }
      return undefined;
    });
  };

  if (stmt.windowClause?.length) deny('window functions are not allowed');
  const output = [stmt.targetList, stmt.havingClause, stmt.sortClause];
  let aggregates = 0;
  for (const part of output) {
    walkAst(part, (n) => {
      if (n.SubLink) deny('sub-queries are not allowed in the select list, HAVING or ORDER BY');
      const f = n.FuncCall;
      if (!f) return undefined;
      if (f.over) deny('window functions are not allowed');
      const name = functionName(f);
      if (f.agg_star || SAFE_AGGREGATES.has(name) || OTHER_AGGREGATES.has(name)) {
        aggregates++;
        if (!SAFE_AGGREGATES.has(name) && !readsProtected(f.args) && !f.agg_star) return false;
        if (!SAFE_AGGREGATES.has(name)) deny(`${name}(*) is not an allowed aggregate`);
        if (f.agg_filter || f.agg_order || f.agg_within_group)
          deny('aggregates may not filter or order their input');
        for (const arg of f.args ?? []) {
          if (!(arg.ColumnRef && !arg.ColumnRef.fields.at(-1)?.A_Star) && !arg.A_Const)
            deny(`${name}() takes a bare column`);
        }
        return false;
      }
      if (!SAFE_FUNCTIONS.has(name) && readsProtected(f.args)) {
        deny(
          `${name}() of its columns is not allowed (allowed aggregates: ${[...SAFE_AGGREGATES].join(', ')})`,
        );
      }
      return undefined;
    });
  }
  if (aggregates === 0 && !stmt.groupClause?.length)
    deny('the query must aggregate (GROUP BY or count/sum/avg…)');
  for (const part of output) checkExpression(part, 'the select list');
  checkExpression(stmt.whereClause, 'WHERE');
  checkExpression(stmt.groupClause, 'GROUP BY');
  checkExpression(joinConditions(stmt.fromClause), 'JOIN conditions');

  // The minimum group size: rows of the protected table behind each group.
  const alone = stmt.fromClause?.length === 1 && stmt.fromClause[0] === first.item && relations.length === 1;
  const conditions: AstNode[] = [];
  for (const rel of relations) {
    let counted: AstNode;
    if (alone) {
      counted = {
        FuncCall: {
          funcname: [{ String: { sval: 'count' } }],
          agg_star: true,
          funcformat: 'COERCE_EXPLICIT_CALL',
        },
      };
    } else {
      if (!rel.inner.targetList.some((t: AstNode) => t.ResTarget?.name === ROW_ID_COLUMN)) {
        const rowNumber = call('row_number', []);
        delete rowNumber.FuncCall.args;
        rowNumber.FuncCall.over = { frameOptions: 1058 };
        rel.inner.targetList.push({ ResTarget: { name: ROW_ID_COLUMN, val: rowNumber } });
      }
      counted = call('count', [qualifiedColumn(rel.alias, ROW_ID_COLUMN)]);
      counted.FuncCall.agg_distinct = true;
    }
    conditions.push({
      A_Expr: {
        kind: 'AEXPR_OP',
        name: [{ String: { sval: '>=' } }],
        lexpr: counted,
        rexpr: integer(rel.minGroupSize),
      },
    });
  }
  stmt.havingClause = and(stmt.havingClause ? [stmt.havingClause, ...conditions] : conditions);
}

function functionName(f: AstNode): string {
  return String(f.funcname.at(-1)?.String?.sval ?? '').toLowerCase();
}

/** The ON conditions of the JOINs in a FROM clause. */
function joinConditions(from: AstNode[] | undefined): AstNode[] {
  const out: AstNode[] = [];
  const visit = (item: AstNode) => {
    const j = item?.JoinExpr;
    if (!j) return;
    if (j.quals) out.push(j.quals);
    visit(j.larg);
    visit(j.rarg);
  };
  for (const item of from ?? []) visit(item);
  return out;
}
