/**
 * The expression IR: how filters (and top-N sort keys) travel from the planner
 * to a table's scan.
 *
 * Semantics are SQL's: every operator yields NULL when an operand is NULL,
 * except `isNull`, `and` (FALSE wins), `or` (TRUE wins) and `coalesce`.
 * Columns are referred to by their name in the table's Arrow schema.
 */
import type { ScalarType, ScalarValue } from './scalar-type.js';

/** Comparison operators. `<>` is SQL's not-equal. */
export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** Arithmetic operators. `/` on integers truncates toward zero, as in PostgreSQL. */
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';

/**
 * The scalar functions a filter may use. A connector that cannot evaluate one
 * answers `unsupported` from `supportsFilters` and the planner keeps it local.
 */
export const SCALAR_FUNCTIONS = [
  'lower',
  'upper',
  'length',
  'trim',
  'ltrim',
  'rtrim',
  'substring',
  'concat',
  'replace',
  'starts_with',
  'abs',
  'ceil',
  'floor',
  'round',
  'coalesce',
  'nullif',
  // Vector distances (`<->`, `<=>`, `<#>` in SQL): (vector column, literal list of numbers).
  // Used in top-N `orderBy` so a vector store can answer `ORDER BY embedding <-> $1 LIMIT k` with an index.
  'l2_distance',
  'cosine_distance',
  'negative_inner_product',
  // Full-text match (`text @@ 'words'` in SQL): (text column, query string). True when every word occurs
  // (case-insensitively) in the text; a source with a full-text index may rank and answer it inexactly.
  'text_match',
  // Hybrid ranking (`rrf(embedding <-> $1, body @@ 'words')` in ORDER BY … DESC LIMIT k): reciprocal rank
  // fusion of a vector distance and a full-text match. Only a source with hybrid search (Lance) answers it.
  'reciprocal_rank_fusion',
] as const;

/** One of {@link SCALAR_FUNCTIONS}. */
export type ScalarFunctionName = (typeof SCALAR_FUNCTIONS)[number];

/** A reference to a column of the scanned table, by its schema name. */
export interface ColumnExpr {
  readonly kind: 'column';
  readonly name: string;
}

/** A constant with an explicit type. */
export interface LiteralExpr {
  readonly kind: 'literal';
  readonly value: ScalarValue;
  readonly type: ScalarType;
}

/** `left op right`. */
export interface ComparisonExpr {
  readonly kind: 'compare';
  readonly op: ComparisonOperator;
  readonly left: Expr;
  readonly right: Expr;
}

/** `args[0] AND args[1] AND …` (at least two). */
export interface AndExpr {
  readonly kind: 'and';
  readonly args: readonly Expr[];
}

/** `args[0] OR args[1] OR …` (at least two). */
export interface OrExpr {
  readonly kind: 'or';
  readonly args: readonly Expr[];
}

/** `NOT arg`. */
export interface NotExpr {
  readonly kind: 'not';
  readonly arg: Expr;
}

/** `expr [NOT] IN (list…)`. */
export interface InListExpr {
  readonly kind: 'in';
  readonly expr: Expr;
  readonly list: readonly Expr[];
  readonly negated: boolean;
}

/** `expr [NOT] BETWEEN low AND high` (inclusive, not symmetric). */
export interface BetweenExpr {
  readonly kind: 'between';
  readonly expr: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly negated: boolean;
}

/** `expr [NOT] LIKE|ILIKE pattern` with `\` as the escape character, as in PostgreSQL. */
export interface LikeExpr {
  readonly kind: 'like';
  readonly expr: Expr;
  readonly pattern: Expr;
  readonly caseInsensitive: boolean;
  readonly negated: boolean;
}

/** `expr IS [NOT] NULL`. */
export interface IsNullExpr {
  readonly kind: 'isNull';
  readonly expr: Expr;
  readonly negated: boolean;
}

/** `left op right`, arithmetic. Unary minus is `0 - x`. */
export interface ArithmeticExpr {
  readonly kind: 'arithmetic';
  readonly op: ArithmeticOperator;
  readonly left: Expr;
  readonly right: Expr;
}

/** `CAST(expr AS type)`. */
export interface CastExpr {
  readonly kind: 'cast';
  readonly expr: Expr;
  readonly type: ScalarType;
}

/** A call of one of the named {@link SCALAR_FUNCTIONS}. */
export interface FunctionExpr {
  readonly kind: 'function';
  readonly name: ScalarFunctionName;
  readonly args: readonly Expr[];
}

/** A scalar expression over one table's columns. */
export type Expr =
  | ColumnExpr
  | LiteralExpr
  | ComparisonExpr
  | AndExpr
  | OrExpr
  | NotExpr
  | InListExpr
  | BetweenExpr
  | LikeExpr
  | IsNullExpr
  | ArithmeticExpr
  | CastExpr
  | FunctionExpr;

/** The `kind` of an {@link Expr}. */
export type ExprKind = Expr['kind'];

/** A sort key for top-N push-down. */
export interface SortKey {
  readonly expr: Expr;
  readonly direction: 'asc' | 'desc';
  /** Where NULLs go. PostgreSQL's default is `last` for `asc` and `first` for `desc`. */
  readonly nulls: 'first' | 'last';
}

/** Builders that keep IR construction short and typed. */
export const Ex = {
  col: (name: string): ColumnExpr => ({ kind: 'column', name }),
  lit: (value: ScalarValue, type: ScalarType): LiteralExpr => ({ kind: 'literal', value, type }),
  cmp: (op: ComparisonOperator, left: Expr, right: Expr): ComparisonExpr => ({
    kind: 'compare',
    op,
    left,
    right,
  }),
  and: (...args: Expr[]): AndExpr => ({ kind: 'and', args }),
  or: (...args: Expr[]): OrExpr => ({ kind: 'or', args }),
  not: (arg: Expr): NotExpr => ({ kind: 'not', arg }),
  in: (expr: Expr, list: Expr[], negated = false): InListExpr => ({ kind: 'in', expr, list, negated }),
  between: (expr: Expr, low: Expr, high: Expr, negated = false): BetweenExpr => ({
    kind: 'between',
    expr,
    low,
    high,
    negated,
  }),
  like: (expr: Expr, pattern: Expr, caseInsensitive = false, negated = false): LikeExpr => ({
    kind: 'like',
    expr,
    pattern,
    caseInsensitive,
    negated,
  }),
  isNull: (expr: Expr, negated = false): IsNullExpr => ({ kind: 'isNull', expr, negated }),
  arith: (op: ArithmeticOperator, left: Expr, right: Expr): ArithmeticExpr => ({
    kind: 'arithmetic',
    op,
    left,
    right,
  }),
  cast: (expr: Expr, type: ScalarType): CastExpr => ({ kind: 'cast', expr, type }),
  fn: (name: ScalarFunctionName, ...args: Expr[]): FunctionExpr => ({ kind: 'function', name, args }),
} as const;

/** The direct children of an expression, in evaluation order. */
export function childrenOf(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case 'column':
    case 'literal':
      return [];
    case 'compare':
    case 'arithmetic':
      return [expr.left, expr.right];
    case 'and':
    case 'or':
    case 'function':
      return expr.args;
    case 'not':
      return [expr.arg];
    case 'in':
      return [expr.expr, ...expr.list];
    case 'between':
      return [expr.expr, expr.low, expr.high];
    case 'like':
      return [expr.expr, expr.pattern];
    case 'isNull':
    case 'cast':
      return [expr.expr];
  }
}

/** Calls `visit` on `expr` and every expression below it, depth first. */
export function walkExpr(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  for (const child of childrenOf(expr)) walkExpr(child, visit);
}

/** The distinct column names an expression reads. */
export function columnsOf(expr: Expr): string[] {
  const names = new Set<string>();
  walkExpr(expr, (node) => {
    if (node.kind === 'column') names.add(node.name);
  });
  return [...names];
}

/** Splits nested ANDs into a flat list of conjuncts. */
export function splitConjunction(expr: Expr): Expr[] {
  return expr.kind === 'and' ? expr.args.flatMap(splitConjunction) : [expr];
}
