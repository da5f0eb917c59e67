import {
  ErrorCode,
  type Expr,
  type ScalarFunctionName,
  type ScalarType,
  type ScalarValue,
  SpokeError,
} from '@spoke/core';

/**
 * What the expression renderer needs to know about one SQL dialect. A dialect
 * answers for quoting, literal binding and names; the renderer owns the
 * structure, so every dialect gets the same NULL semantics and precedence.
 */
export interface ExpressionDialect {
  /** `postgres`, `duckdb`, `mysql`, `snowflake`… */
  readonly name: string;
  /** Quotes an identifier so that any string (quotes, NUL, unicode) is read as a name. */
  quoteIdentifier(name: string): string;
  /**
   * The text for bound parameter number `index` (1-based) of type `type`
   * (`$1`, `?`), or `undefined` when the driver cannot bind and literals must
   * be escaped inline with {@link ExpressionDialect.renderLiteral}.
   */
  placeholder(index: number, type: ScalarType): string | undefined;
  /** An escaped, typed literal. Only used when {@link ExpressionDialect.placeholder} returns `undefined`, or for NULL. */
  renderLiteral(value: ScalarValue, type: ScalarType): string;
  /** The dialect's name for a type in `CAST(x AS …)`; `undefined` when it has none. */
  typeName(type: ScalarType): string | undefined;
  /** The dialect's name for a scalar function; `undefined` when it cannot render it. */
  functionName(name: ScalarFunctionName): string | undefined;
  /** Whether `ILIKE` exists; otherwise `lower(x) LIKE lower(p)` is rendered. */
  readonly hasIlike: boolean;
  /** Whether `NULLS FIRST/LAST` may be written in ORDER BY. */
  readonly hasNullsOrdering: boolean;
  /**
   * Text written after every LIKE/ILIKE pattern so that `\` escapes `%`, `_`
   * and itself, as the IR requires (`ESCAPE '\'`). Absent or empty when `\`
   * already is the dialect's default escape character (PostgreSQL): DuckDB
   * and standard SQL have no default escape, so without it `a\_b` would
   * match `a\xb` there.
   */
  readonly likeEscape?: string | undefined;
  /**
   * A last say over a rendered literal (its placeholder or escaped text) and
   * the value it carries, for a dialect whose engine mis-optimizes some
   * constants: DuckDB wraps an integer type's minimum in a one-row
   * sub-query (`DuckDBDialect`). Absent: the literal as rendered.
   */
  finishLiteral?(sql: string, value: ScalarValue, type: ScalarType): string;
  /**
   * Wraps the divisor of `/` and `%` so that a zero raises PostgreSQL's
   * `division by zero` where the engine would answer NULL (DuckDB). `divisor`
   * may be repeated in the result: only for dialects whose placeholders may
   * occur twice (`$n`). An engine that raises by itself (PostgreSQL) returns
   * `divisor` as it is. Absent: scan filters render division plainly (the
   * connector's `filterSupport` keeps a NULL-answering engine's division at
   * home) and whole statements with `%` by a divisor that may be zero stay
   * with Spoke.
   */
  guardDivisor?(divisor: string): string;
  /**
   * A say over any expression node — a column, literal, comparison,
   * operator, cast or function call — before the renderer's standard
   * rendering (documented on {@link AnsiDialect}). Return:
   *
   * - the SQL for `expr` (render its operands with `context.render`, so the
   *   hook applies to them too, or take the standard text with
   *   `context.standard()` and wrap it);
   * - `undefined` for the standard rendering;
   * - {@link DECLINE} when the source cannot evaluate the node as Spoke's
   *   engine does. The filter or sort key holding it is then answered
   *   `unsupported` and evaluated by Spoke (residual DuckDB) instead.
   *
   * ```ts
   * renderExpression(expr, context) {
   *   if (expr.kind === 'cast' && expr.type.id === 'date') return `date(${context.render(expr.expr)})`;
   *   if (expr.kind === 'function' && expr.name === 'starts_with')
   *     return `(instr(${context.render(expr.args[0]!)}, ${context.render(expr.args[1]!)}) = 1)`;
   *   if (expr.kind === 'function' && (expr.name === 'upper' || expr.name === 'lower')) return DECLINE; // ASCII-only
   *   return undefined;
   * }
   * ```
   *
   * Absent: every node renders the standard way (and casts or functions the
   * dialect has no name for are declined).
   */
  renderExpression?(expr: Expr, context: ExpressionRenderContext): string | undefined | typeof DECLINE;
  /**
   * Converts a value just before it is bound to a placeholder — a date as
   * the source's day number, a boolean as `1`/`0`, an int64 as a JS number
   * for a driver without bigint. `type` is the value's IR type; the
   * placeholder text is still {@link ExpressionDialect.placeholder}'s.
   * Not called for inline literals or NULL. Absent: the IR value as it is
   * (see `ScalarValue` for each type's form).
   */
  bindValue?(value: ScalarValue, type: ScalarType): ScalarValue;
  /**
   * True when `x = ANY(<array>)` is the better form of a long `IN` list of
   * literals: one value to parse and bind instead of thousands (PostgreSQL
   * hashes it). The renderer then sends a list of {@link LONG_VALUE_LIST}
   * or more literals of one integer or text type as one list literal (see
   * `ScalarType` `list`), so the planner can send a join's keys by the
   * hundred thousand. Absent: false.
   */
  readonly valueListsAsArrays?: boolean;
  /**
   * How this dialect writes `operand IN (<one array>)` for arrays of
   * `itemType` (with {@link valueListsAsArrays}): a function of the rendered
   * operand, the rendered array (its one bound value) and NOT — given the
   * operand, the item type and the values (a form may size a column by them); `undefined`
   * for an array this dialect cannot take (the list is then rendered value
   * by value). `operand` is the expression, to decline what the form cannot
   * compare exactly (undefined: an expression of a whole statement other
   * than a plain column). Absent: PostgreSQL's `operand = ANY(array)` and
   * `operand <> ALL(array)`.
   */
  valueArray?(
    operand: Expr | undefined,
    itemType: ScalarType,
    values: readonly ScalarValue[],
  ): ((operandSql: string, arraySql: string, negated: boolean) => string) | undefined;
}

/** The length from which an `IN` list goes as one array where the dialect prefers it ({@link ExpressionDialect.valueListsAsArrays}). */
export const LONG_VALUE_LIST = 64;

/**
 * Returned by {@link ExpressionDialect.renderExpression} to decline a node:
 * the filter or sort key holding it stays with Spoke's engine.
 */
export const DECLINE: unique symbol = Symbol('@spoke/sdk/decline');

/** What {@link ExpressionDialect.renderExpression} may call back into. */
export interface ExpressionRenderContext {
  /** Renders a child expression (through the hook again). */
  render(expr: Expr): string;
  /** The standard rendering of the node being rendered (its children through the hook). */
  standard(): string;
  /** Binds `value` as a parameter (or inlines it where the dialect cannot bind) and returns its text. */
  literal(value: ScalarValue, type: ScalarType): string;
}

/** Doubles `quote` inside `text` and wraps it: the standard SQL way of quoting. */
export function quoteWith(text: string, quote: string): string {
  if (text.includes('\u0000')) {
    // No SQL system accepts NUL inside an identifier or string; refuse rather than truncate.
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      'identifiers and strings cannot contain the NUL character (U+0000)',
    );
  }
  return quote + text.split(quote).join(quote + quote) + quote;
}
