/**
 * Whole sub-query push-down: a SELECT (or a FROM sub-query / CTE body) that
 * reads tables of ONE SQL-speaking source, and uses only what that source's
 * dialect declares, is sent to it as one query — joins and aggregates inside
 * PostgreSQL stay inside PostgreSQL.
 */
import type { ScalarValue, SelectTree, SpokeConnector, SqlCapabilities } from '@spoke/core';
import type { TableBinding } from '../binder/scope.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import { VOLATILE_FUNCTIONS } from './translate-expression.js';

const AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'stddev',
  'variance',
  'bool_and',
  'bool_or',
  'string_agg',
  'array_agg',
]);
const OPERATORS = new Set([
  '=',
  '<>',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '||',
  '~~',
  '!~~',
  '~~*',
  '!~~*',
]);

/** The one SQL-speaking connector all `bindings` read from, or `undefined`. */
export function singleSqlSource(bindings: readonly TableBinding[]): SpokeConnector | undefined {
  if (bindings.length === 0) return undefined;
  const source = bindings[0]!.source;
  if (!bindings.every((b) => b.source === source)) return undefined;
  return bindings[0]!.connector.sql ? bindings[0]!.connector : undefined;
}

/** Why `stmt` cannot be sent as one query with `caps`, or `undefined` when it can. */
export function unsupportedBy(stmt: AstNode, caps: SqlCapabilities): string | undefined {
  let reason: string | undefined;
  const fail = (why: string) => {
    reason ??= why;
  };
  walkAst(stmt, (n) => {
    if (reason) return false;
    if (n.op && n.op !== 'SETOP_NONE' && n.larg && !caps.setOperations) fail('set operations');
    if (n.withClause || n.SubLink || n.RangeSubselect) if (!caps.subqueries) fail('sub-queries');
    if (n.withClause?.recursive && !caps.recursiveCtes) fail('recursive CTEs');
    if (n.RangeFunction) fail('table functions');
    if (n.groupClause && !caps.groupBy) fail('GROUP BY');
    if (n.distinctClause && !caps.distinct) fail('DISTINCT');
    if (n.limitCount && !caps.orderByLimit) fail('LIMIT');
    if (n.sortClause && !caps.orderByLimit) fail('ORDER BY');
    if (n.lockingClause) fail('FOR UPDATE');
    if (n.JoinExpr) {
      const t: string = n.JoinExpr.jointype;
      const kind =
        t === 'JOIN_INNER'
          ? n.JoinExpr.quals || n.JoinExpr.usingClause
            ? 'inner'
            : 'cross'
          : t.replace('JOIN_', '').toLowerCase();
      if (!(caps.joins as readonly string[]).includes(kind)) fail(`${kind} joins`);
    }
    if (n.FuncCall) {
      const f = n.FuncCall;
      const names = (f.funcname as AstNode[]).map((x) => x.String?.sval as string);
      const name = names[names.length - 1]!.toLowerCase();
      if (names.length > 1 && names[0] !== 'pg_catalog') fail(`the function ${names.join('.')}`);
      if (VOLATILE_FUNCTIONS.has(name)) fail(`the volatile function ${name}()`);
      if (f.over) {
        if (!caps.windowFunctions) fail('window functions');
      } else if (AGGREGATES.has(name) || f.agg_star) {
        if (!caps.aggregates.includes(name)) fail(`the aggregate ${name}()`);
        if (f.agg_distinct && !caps.distinctAggregates) fail(`${name}(DISTINCT …)`);
        if (f.agg_order || f.agg_filter || f.agg_within_group) fail(`ordered or filtered aggregates`);
      } else if (!caps.functions.includes(name)) {
        fail(`the function ${name}()`);
      }
    }
    if (n.A_Expr) {
      const e = n.A_Expr;
      if (e.kind === 'AEXPR_ILIKE' && caps.ilike === false)
        fail('ILIKE (the source folds case in ASCII only)');
      if (e.kind === 'AEXPR_OP') {
        const op = e.name?.[e.name.length - 1]?.String?.sval as string;
        if (!OPERATORS.has(op)) fail(`the operator ${op}`);
      } else if (
        ![
          'AEXPR_IN',
          'AEXPR_LIKE',
          'AEXPR_ILIKE',
          'AEXPR_BETWEEN',
          'AEXPR_NOT_BETWEEN',
          'AEXPR_NULLIF',
        ].includes(e.kind)
      ) {
        fail(`${String(e.kind).replace('AEXPR_', '')} expressions`);
      }
    }
    if (n.SQLValueFunction) fail('CURRENT_DATE and friends (evaluated by the gateway, in UTC)');
    if (n.ColumnRef && n.ColumnRef.fields.length > 2) fail('column references qualified by source');
    return undefined;
  });
  return reason;
}

/**
 * A copy of `stmt` as the source sees it: each table reference named by its
 * own `schema.table`, parameters replaced by constants (the dialect binds
 * them again), aliases kept so column references stay valid.
 */
export function sourceTree(
  stmt: AstNode,
  bindings: readonly TableBinding[],
  params: readonly ScalarValue[],
  /** Another name for some tables at the source (relations uploaded there for the query). */
  rename?: (binding: TableBinding) => { readonly schema: string; readonly table: string } | undefined,
): SelectTree {
  const saved = bindings.map((b) => ({ ...b.rangeVar }));
  try {
    for (const b of bindings) {
      const rv = b.rangeVar;
      const renamed = rename?.(b);
      delete rv.catalogname;
      rv.schemaname = renamed?.schema ?? b.schema;
      rv.relname = renamed?.table ?? b.table;
      // Keep the name the query used, so `customers.id` still resolves when the table had no alias.
      rv.alias = { aliasname: b.alias };
    }
    const copy = structuredClone(stmt);
    substituteParams(copy, params);
    typeAggregates(copy, bindings);
    typeDecimalTargets(copy, bindings);
    return { SelectStmt: copy };
  } finally {
    bindings.forEach((b, i) => {
      for (const key of Object.keys(b.rangeVar)) delete b.rangeVar[key];
      Object.assign(b.rangeVar, saved[i]);
    });
  }
}

/** Replaces `$n` references by constants carrying the parameter values. */
export function substituteParams(tree: AstNode, params: readonly ScalarValue[]): void {
  walkAst(tree, (n) => {
    for (const [key, value] of Object.entries(n)) {
      if (value && typeof value === 'object' && 'ParamRef' in (value as AstNode)) {
        n[key] = constantNode(params[((value as AstNode).ParamRef.number as number) - 1] ?? null);
      }
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          if (item && typeof item === 'object' && 'ParamRef' in item)
            value[i] = constantNode(params[item.ParamRef.number - 1] ?? null);
        });
      }
    }
    return undefined;
  });
}

/** A parse-tree constant for a parameter value. */
export function constantNode(value: ScalarValue): AstNode {
  if (value === null || value === undefined) return { A_Const: { isnull: true } };
  if (typeof value === 'boolean')
    return {
      TypeCast: {
        arg: { A_Const: { sval: { sval: value ? 't' : 'f' } } },
        typeName: { names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: 'bool' } }], typemod: -1 },
      },
    };
  if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) < 2 ** 31)
    return { A_Const: { ival: { ival: value } } };
  if (typeof value === 'number' || typeof value === 'bigint')
    return { A_Const: { fval: { fval: String(value) } } };
  if (value instanceof Uint8Array)
    return { A_Const: { sval: { sval: `\\x${Buffer.from(value).toString('hex')}` } } };
  if (Array.isArray(value)) return { A_Const: { sval: { sval: JSON.stringify(value) } } };
  return { A_Const: { sval: { sval: String(value) } } };
}

const DECIMAL_AGGREGATES = new Set(['sum', 'min', 'max', 'avg']);

/**
 * Gives aggregates over decimal columns the result type DuckDB would give
 * them, so a pushed-down answer has the same types as a local one:
 * PostgreSQL's `sum(numeric(10,2))` is an unconstrained numeric (which a
 * connector can only carry as text), DuckDB's is `decimal(38,2)`; `avg` is a
 * double in DuckDB.
 */
function typeAggregates(tree: AstNode, bindings: readonly TableBinding[]): void {
  const done = new Set<AstNode>();
  walkAst(tree, (n) => {
    for (const [key, value] of Object.entries(n)) {
      const f = (value as AstNode | null)?.FuncCall;
      if (!f || f.over || f.args?.length !== 1 || done.has(f)) continue;
      done.add(f);
      const name = String(f.funcname[f.funcname.length - 1]?.String?.sval).toLowerCase();
      if (!DECIMAL_AGGREGATES.has(name)) continue;
      const decimal = decimalTypeOf(f.args[0], bindings);
      if (!decimal) continue;
      const [precision, scale] = decimal;
      const typeName =
        name === 'avg'
          ? { names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: 'float8' } }], typemod: -1 }
          : {
              names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: 'numeric' } }],
              typmods: [
                { A_Const: { ival: { ival: name === 'sum' ? 38 : precision } } },
                { A_Const: { ival: scale ? { ival: scale } : {} } },
              ],
              typemod: -1,
            };
      n[key] = { TypeCast: { arg: value, typeName } };
    }
    return undefined;
  });
}

/**
 * Casts each decimal expression of the result (`-d`, `abs(d)`, `d + 1.5`,
 * `COALESCE(d, 0.0001)`, `CASE … THEN d ELSE 1.5 END`, a bare `1.5`) to the
 * decimal type DuckDB gives it: PostgreSQL answers them as unconstrained
 * numerics, which a connector can only carry as text, so the client saw
 * `'1.5000'` as text where a local answer is the decimal 1.5 (found by the
 * randomized differential kit). Under DISTINCT, an ORDER BY key that repeats
 * a cast expression is cast alike, as PostgreSQL requires ORDER BY keys of a
 * DISTINCT query to appear in its select list. PostgreSQL names the cast
 * column as the uncast one.
 */
function typeDecimalTargets(stmt: AstNode, bindings: readonly TableBinding[]): void {
  if (!Array.isArray(stmt.targetList)) return;
  const sortKeys = ((stmt.sortClause ?? []) as AstNode[]).map((s) => s?.SortBy).filter(Boolean);
  for (const target of stmt.targetList as AstNode[]) {
    const res = target?.ResTarget;
    const value = res?.val;
    if (!value || value.ColumnRef || value.TypeCast || value.A_Const?.ival) continue;
    const decimal = decimalTypeOf(value, bindings);
    if (!decimal) continue;
    const cast = (arg: AstNode): AstNode => ({
      TypeCast: {
        arg,
        typeName: {
          names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: 'numeric' } }],
          typmods: [
            { A_Const: { ival: { ival: decimal[0] } } },
            { A_Const: { ival: decimal[1] ? { ival: decimal[1] } : {} } },
          ],
          typemod: -1,
        },
      },
    });
    if (stmt.distinctClause) {
      const written = expressionKey(value);
      for (const key of sortKeys) if (expressionKey(key.node) === written) key.node = cast(key.node);
    }
    res.val = cast(value);
  }
}

/** A parse tree's shape without source positions, to compare two expressions as PostgreSQL's `equal()` does. */
function expressionKey(node: AstNode): string {
  return JSON.stringify(node, (key, v) => (key === 'location' ? undefined : v));
}

/**
 * `[precision, scale]` when `node` is a decimal: a decimal column, a cast to
 * `numeric(p,s)`, or `+`, `-`, `*` over decimals, integers and numeric
 * literals with at least one decimal operand (`l_extendedprice * (1 -
 * l_discount)`). The scale is PostgreSQL's and DuckDB's alike (the larger for
 * `+`/`-`, the sum for `*`), so casting the source's unconstrained result to
 * it loses no digit; without the cast it would arrive as text, and DuckDB
 * would compare it as text (`max()` of `'947218.62'` and `'2102543.21'`).
 */
function decimalTypeOf(node: AstNode, bindings: readonly TableBinding[]): [number, number] | undefined {
  const typed = numericTypeOf(node, bindings);
  return typed?.decimal ? [typed.precision, typed.scale] : undefined;
}

interface NumericType {
  readonly precision: number;
  readonly scale: number;
  /** False for integers: an expression is typed only when a decimal takes part. */
  readonly decimal: boolean;
}

const MAX_PRECISION = 38;

function numericTypeOf(node: AstNode, bindings: readonly TableBinding[]): NumericType | undefined {
  if (node?.ColumnRef) return columnNumericType(node, bindings);
  const constant = node?.A_Const;
  if (constant?.ival) return { precision: 10, scale: 0, decimal: false };
  if (constant?.fval) {
    // PostgreSQL's grammar folds a minus sign into the constant (`-1.5`).
    const text = String(constant.fval.fval).replace(/^-/, '');
    if (!/^\d*\.\d+$|^\d+\.\d*$/.test(text)) return undefined;
    const [int = '', frac = ''] = text.split('.');
    return { precision: Math.max(1, int.length + frac.length), scale: frac.length, decimal: true };
  }
  const cast = node?.TypeCast;
  if (cast) {
    const names = (cast.typeName?.names ?? []) as AstNode[];
    const typmods = (cast.typeName?.typmods ?? []) as AstNode[];
    const name = names[names.length - 1]?.String?.sval;
    const p = typmods[0]?.A_Const?.ival?.ival as number | undefined;
    const sc = typmods.length === 2 ? ((typmods[1]?.A_Const?.ival?.ival as number | undefined) ?? 0) : 0;
    if ((name === 'numeric' || name === 'decimal') && p !== undefined && sc >= 0 && sc <= p)
      return { precision: p, scale: sc, decimal: true };
    return undefined;
  }
  const call = node?.FuncCall;
  if (call && !call.over && !call.agg_star && call.args?.length === 1) {
    const name = String(call.funcname?.[call.funcname.length - 1]?.String?.sval).toLowerCase();
    if (name === 'abs' && call.funcname.length === 1) return numericTypeOf(call.args[0], bindings);
  }
  const coalesce = node?.CoalesceExpr;
  if (coalesce && Array.isArray(coalesce.args) && coalesce.args.length > 0)
    return commonNumericType(coalesce.args as AstNode[], bindings);
  const caseExpr = node?.CaseExpr;
  if (caseExpr && Array.isArray(caseExpr.args)) {
    // The THEN and ELSE branches; a missing ELSE is NULL, which takes any type.
    const results = (caseExpr.args as AstNode[]).map((w) => w?.CaseWhen?.result as AstNode);
    if (caseExpr.defresult) results.push(caseExpr.defresult);
    return commonNumericType(
      results.filter((r) => !r?.A_Const?.isnull),
      bindings,
    );
  }
  const expr = node?.A_Expr;
  if (!expr || expr.kind !== 'AEXPR_OP' || expr.name?.length !== 1) return undefined;
  const op = expr.name[0]?.String?.sval as string;
  if (!expr.lexpr) return op === '-' ? numericTypeOf(expr.rexpr, bindings) : undefined;
  const a = numericTypeOf(expr.lexpr, bindings);
  const b = numericTypeOf(expr.rexpr, bindings);
  if (!a || !b) return undefined;
  const decimal = a.decimal || b.decimal;
  if (op === '+' || op === '-') {
    const scale = Math.max(a.scale, b.scale);
    const integral = Math.max(a.precision - a.scale, b.precision - b.scale) + 1;
    return { precision: Math.min(MAX_PRECISION, integral + scale), scale, decimal };
  }
  if (op === '*') {
    const scale = a.scale + b.scale;
    if (scale > MAX_PRECISION) return undefined;
    return { precision: Math.min(MAX_PRECISION, Math.max(scale, a.precision + b.precision)), scale, decimal };
  }
  return undefined;
}

/** The type DuckDB gives a COALESCE or CASE over `args`: the widest integral part and scale of them all. */
function commonNumericType(
  args: readonly AstNode[],
  bindings: readonly TableBinding[],
): NumericType | undefined {
  if (args.length === 0) return undefined;
  const types = args.map((arg) => numericTypeOf(arg, bindings));
  if (types.some((t) => !t)) return undefined;
  const known = types as NumericType[];
  const scale = Math.max(...known.map((t) => t.scale));
  const integral = Math.max(...known.map((t) => t.precision - t.scale));
  if (integral + scale > MAX_PRECISION) return undefined;
  return { precision: integral + scale, scale, decimal: known.some((t) => t.decimal) };
}

/** The numeric type of a column: decimals with their precision and scale, integers by width. */
function columnNumericType(node: AstNode, bindings: readonly TableBinding[]): NumericType | undefined {
  const fields = node.ColumnRef.fields as AstNode[] | undefined;
  if (!fields || fields.some((f) => !f.String)) return undefined;
  const names = fields.map((f) => f.String.sval as string);
  const column = names[names.length - 1]!;
  const candidates =
    names.length > 1 ? bindings.filter((b) => b.alias === names[names.length - 2]) : bindings;
  const types = candidates
    .map(
      (b) =>
        b.arrowSchema.fields.find((f) => f.name === column)?.type as unknown as
          | { typeId: number; precision?: number; scale?: number; bitWidth?: number }
          | undefined,
    )
    .filter((t) => t !== undefined);
  if (types.length !== 1) return undefined;
  const t = types[0]!;
  // Arrow's type ids: 7 Decimal, 2 Int.
  if (t.typeId === 7 && t.precision !== undefined && t.scale !== undefined)
    return { precision: t.precision, scale: t.scale, decimal: true };
  if (t.typeId === 2 && t.bitWidth !== undefined)
    return { precision: t.bitWidth <= 16 ? 5 : t.bitWidth <= 32 ? 10 : 19, scale: 0, decimal: false };
  return undefined;
}
