import {
  ErrorCode,
  type Expr,
  formatScalarType,
  type ScalarType,
  type ScalarValue,
  type SortKey,
  SpokeError,
} from '@spoke/core';
import { DECLINE, type ExpressionDialect, LONG_VALUE_LIST, quoteWith } from './expression-dialect.js';

/** Thrown (as `UNSUPPORTED`) when a dialect cannot render part of an expression. */
function cannot(dialect: ExpressionDialect, what: string): SpokeError {
  return new SpokeError(ErrorCode.UNSUPPORTED, `the ${dialect.name} dialect cannot render ${what}`);
}

/** A node as a declined-rendering error names it: `the function upper()`, `a cast to date`, `the operator LIKE`. */
function describeNode(expr: Expr): string {
  switch (expr.kind) {
    case 'function':
      return `the function ${expr.name}()`;
    case 'cast':
      return `a cast to ${formatScalarType(expr.type)}`;
    case 'compare':
    case 'arithmetic':
      return `the operator ${expr.op}`;
    case 'like':
      return `the operator ${expr.caseInsensitive ? 'ILIKE' : 'LIKE'}`;
    case 'literal':
      return `a ${formatScalarType(expr.type)} literal`;
    case 'column':
      return `the column ${JSON.stringify(expr.name)}`;
    case 'isNull':
      return 'IS NULL';
    default:
      return expr.kind.toUpperCase();
  }
}

/**
 * Renders expression IR as SQL for one dialect, collecting literal values as
 * bound parameters (or escaping them inline where the dialect cannot bind).
 * Every sub-expression is parenthesised, so precedence never depends on the
 * dialect's grammar.
 */
export class ExpressionRenderer {
  /** The values bound so far, in placeholder order. */
  readonly params: ScalarValue[] = [];

  constructor(readonly dialect: ExpressionDialect) {}

  /** True when the dialect can render `expr` (no unknown function or type). */
  canRender(expr: Expr): boolean {
    try {
      new ExpressionRenderer(this.dialect).render(expr);
      return true;
    } catch (error) {
      if (SpokeError.isInstance(error) && error.code === ErrorCode.UNSUPPORTED) return false;
      throw error;
    }
  }

  /**
   * Renders one expression: the dialect's {@link ExpressionDialect.renderExpression}
   * first, then the standard rendering. Throws `UNSUPPORTED` when the
   * dialect declines a node.
   */
  render(expr: Expr): string {
    const hook = this.dialect.renderExpression;
    if (hook) {
      const out = hook.call(this.dialect, expr, {
        render: (child) => this.render(child),
        standard: () => this.renderStandard(expr),
        literal: (value, type) => this.literal(value, type),
      });
      if (out === DECLINE) throw cannot(this.dialect, describeNode(expr));
      if (out !== undefined) return out;
    }
    return this.renderStandard(expr);
  }

  /** The standard rendering of one node (documented on `AnsiDialect`); children go through {@link ExpressionRenderer.render}. */
  renderStandard(expr: Expr): string {
    const d = this.dialect;
    switch (expr.kind) {
      case 'column':
        return d.quoteIdentifier(expr.name);
      case 'literal':
        return this.literal(expr.value, expr.type);
      case 'compare':
        return `(${this.render(expr.left)} ${expr.op} ${this.render(expr.right)})`;
      case 'and':
      case 'or':
        return `(${expr.args.map((a) => this.render(a)).join(expr.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${this.render(expr.arg)})`;
      case 'in': {
        if (expr.list.length === 0) return expr.negated ? '(1 = 1)' : '(1 = 0)';
        const array = d.valueListsAsArrays ? arrayOfLiterals(expr.list) : undefined;
        const form = array && (d.valueArray ? d.valueArray(expr.expr, array.type, array.values) : anyOrAll);
        if (array && form) {
          // The operand first: positional placeholders (`?`) bind in the order they appear.
          const operand = this.render(expr.expr);
          return form(operand, this.literal(array.values, { id: 'list', item: array.type }), expr.negated);
        }
        const list = expr.list.map((e) => this.render(e)).join(', ');
        return `(${this.render(expr.expr)} ${expr.negated ? 'NOT IN' : 'IN'} (${list}))`;
      }
      case 'between':
        return `(${this.render(expr.expr)} ${expr.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${this.render(expr.low)} AND ${this.render(expr.high)})`;
      case 'like': {
        const not = expr.negated ? 'NOT ' : '';
        const escapeClause = d.likeEscape ? ` ${d.likeEscape}` : '';
        if (expr.caseInsensitive && !d.hasIlike) {
          return `(lower(${this.render(expr.expr)}) ${not}LIKE lower(${this.render(expr.pattern)})${escapeClause})`;
        }
        return `(${this.render(expr.expr)} ${not}${expr.caseInsensitive ? 'ILIKE' : 'LIKE'} ${this.render(expr.pattern)}${escapeClause})`;
      }
      case 'isNull':
        return `(${this.render(expr.expr)} IS ${expr.negated ? 'NOT ' : ''}NULL)`;
      case 'arithmetic': {
        const left = this.render(expr.left);
        const right = this.render(expr.right);
        const nonZero =
          expr.right.kind === 'literal' && expr.right.value !== null && Number(expr.right.value) !== 0;
        if ((expr.op === '/' || expr.op === '%') && d.guardDivisor && !nonZero)
          return `(${left} ${expr.op} ${d.guardDivisor(right)})`;
        return `(${left} ${expr.op} ${right})`;
      }
      case 'cast': {
        const name = d.typeName(expr.type);
        if (!name) throw cannot(d, `a cast to ${formatScalarType(expr.type)}`);
        return `CAST(${this.render(expr.expr)} AS ${name})`;
      }
      case 'function': {
        const name = d.functionName(expr.name);
        if (!name) throw cannot(d, `the function ${expr.name}()`);
        return `${name}(${expr.args.map((a) => this.render(a)).join(', ')})`;
      }
    }
  }

  /** Renders `ORDER BY` keys (without the keywords). */
  renderOrderBy(keys: readonly SortKey[]): string {
    return keys
      .map((k) => {
        const base = `${this.render(k.expr)} ${k.direction === 'asc' ? 'ASC' : 'DESC'}`;
        if (this.dialect.hasNullsOrdering) return `${base} NULLS ${k.nulls === 'first' ? 'FIRST' : 'LAST'}`;
        // Without NULLS FIRST/LAST, sort on "is null" first: portable and exact.
        const nullsKey = `(CASE WHEN ${this.render(k.expr)} IS NULL THEN ${k.nulls === 'first' ? 0 : 1} ELSE ${k.nulls === 'first' ? 1 : 0} END)`;
        return `${nullsKey}, ${base}`;
      })
      .join(', ');
  }

  /** Renders a literal: a placeholder with the value bound, or an escaped literal. */
  literal(value: ScalarValue, type: ScalarType): string {
    if (value === null) return this.dialect.renderLiteral(null, type);
    // Bound values skip the dialect's quoting, so refuse NUL here too: no
    // source stores it, and some drivers would silently truncate at it.
    if (typeof value === 'string' && value.includes('\u0000')) quoteWith(value, "'");
    const placeholder = this.dialect.placeholder(this.params.length + 1, type);
    let sql = placeholder;
    if (sql === undefined) sql = this.dialect.renderLiteral(value, type);
    else this.params.push(this.dialect.bindValue ? this.dialect.bindValue(value, type) : value);
    return this.dialect.finishLiteral ? this.dialect.finishLiteral(sql, value, type) : sql;
  }
}

/** PostgreSQL's form: no NULL among the values (checked), so `<> ALL` is exactly `NOT IN`, NULL operand included. */
function anyOrAll(operand: string, array: string, negated: boolean): string {
  return `(${operand} ${negated ? '<> ALL' : '= ANY'}(${array}))`;
}

const ARRAY_ITEM_TYPES = new Set(['int16', 'int32', 'int64', 'utf8']);

/**
 * A long list of non-NULL literals of one integer or text type, as the
 * values of one array; `undefined` for anything else (short, mixed, NULLs,
 * expressions), which renders as a plain `IN` list.
 */
function arrayOfLiterals(list: readonly Expr[]): { values: ScalarValue[]; type: ScalarType } | undefined {
  if (list.length < LONG_VALUE_LIST) return undefined;
  const first = list[0]!;
  if (first.kind !== 'literal' || !ARRAY_ITEM_TYPES.has(first.type.id)) return undefined;
  const values: ScalarValue[] = [];
  for (const item of list) {
    if (item.kind !== 'literal' || item.type.id !== first.type.id || item.value === null) return undefined;
    values.push(item.value);
  }
  return { values, type: first.type };
}
