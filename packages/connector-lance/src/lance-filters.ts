import {
  arrow,
  type DataType,
  ErrorCode,
  type Expr,
  type FilterSupport,
  type Schema,
  SpokeError,
} from '@spoke/core';
import { ExpressionRenderer } from '@spoke/sdk';
import { lanceDialect } from './lance-dialect.js';
import { textMatchPredicate } from './text-match.js';

/**
 * Renders filter IR as a Lance filter string. `text_match` becomes a
 * whole-word regular expression per query word (see `text-match.ts`); the
 * rest goes through the sdk renderer with {@link lanceDialect}.
 */
export class LanceFilterRenderer extends ExpressionRenderer {
  constructor() {
    super(lanceDialect);
  }

  override render(expr: Expr): string {
    if (expr.kind === 'function' && expr.name === 'text_match') {
      const match = asTextMatch(expr);
      if (!match)
        throw new SpokeError(ErrorCode.UNSUPPORTED, 'text_match() needs a column and a text literal');
      return textMatchPredicate(this.dialect.quoteIdentifier(match.column), match.query, (s) =>
        lanceDialect.quoteString(s),
      );
    }
    return super.render(expr);
  }
}

/** Renders ANDed filters as one Lance filter string; `undefined` when there are none. */
export function renderLanceFilter(filters: readonly Expr[]): string | undefined {
  if (filters.length === 0) return undefined;
  const r = new LanceFilterRenderer();
  return filters.map((f) => r.render(f)).join(' AND ');
}

/** A `text_match(column, 'words')` call, taken apart. */
export interface TextMatch {
  readonly column: string;
  readonly query: string;
}

/** The column and query of a `text_match(col, 'literal')`, or `undefined` for any other shape. */
export function asTextMatch(expr: Expr): TextMatch | undefined {
  if (expr.kind !== 'function' || expr.name !== 'text_match' || expr.args.length !== 2) return undefined;
  const [column, query] = expr.args;
  if (column?.kind !== 'column' || query?.kind !== 'literal' || typeof query.value !== 'string')
    return undefined;
  return { column: column.name, query: query.value };
}

/**
 * Whether Lance applies `filter` with PostgreSQL's meaning (`exact`) or not
 * at all (`unsupported`). Lance evaluates everything it accepts exactly, so
 * there is no `inexact` answer: what could differ (arithmetic overflow,
 * casts, `round`) is refused and left to DuckDB.
 */
export function lanceFilterSupport(filter: Expr, schema: Schema): FilterSupport {
  const types = new Map(schema.fields.map((f) => [f.name, f.type as DataType]));
  return supported(filter, types) ? 'exact' : 'unsupported';
}

function supported(expr: Expr, types: ReadonlyMap<string, DataType>): boolean {
  switch (expr.kind) {
    case 'column': {
      const type = types.get(expr.name);
      return (
        type !== undefined &&
        !expr.name.includes('`') &&
        !expr.name.includes('\u0000') &&
        filterableType(type)
      );
    }
    case 'literal':
      try {
        lanceDialect.renderLiteral(expr.value, expr.type);
        return true;
      } catch {
        return false;
      }
    case 'compare':
      return (
        supported(expr.left, types) &&
        supported(expr.right, types) &&
        !decimalAgainstFloat([expr.left, expr.right], types)
      );
    case 'and':
    case 'or':
      return expr.args.every((a) => supported(a, types));
    case 'not':
      return supported(expr.arg, types);
    case 'in':
      return (
        supported(expr.expr, types) &&
        expr.list.every((e) => supported(e, types)) &&
        !decimalAgainstFloat([expr.expr, ...expr.list], types)
      );
    case 'between':
      return (
        supported(expr.expr, types) &&
        supported(expr.low, types) &&
        supported(expr.high, types) &&
        !decimalAgainstFloat([expr.expr, expr.low, expr.high], types)
      );
    case 'like':
      return supported(expr.expr, types) && supported(expr.pattern, types);
    case 'isNull':
      // NULL tests work on every column type, vectors included.
      return expr.expr.kind === 'column'
        ? types.has(expr.expr.name) && !expr.expr.name.includes('`')
        : supported(expr.expr, types);
    case 'function': {
      if (expr.name === 'text_match') {
        const match = asTextMatch(expr);
        const type = match && types.get(match.column);
        return (
          !!match &&
          !!type &&
          isStringType(type) &&
          !match.column.includes('`') &&
          !match.query.includes('\u0000')
        );
      }
      return (
        lanceDialect.functionName(expr.name) !== undefined && expr.args.every((a) => supported(a, types))
      );
    }
    // Overflow and cast failures differ between DataFusion and PostgreSQL: keep them local.
    case 'arithmetic':
    case 'cast':
      return false;
  }
}

/**
 * A float column next to a decimal literal: Lance casts the column to the
 * literal's decimal type, which fails on NaN and ±Infinity rows, where
 * PostgreSQL compares as doubles. Such comparisons stay with DuckDB.
 */
function decimalAgainstFloat(operands: readonly Expr[], types: ReadonlyMap<string, DataType>): boolean {
  const float = operands.some((o) => o.kind === 'column' && types.get(o.name)?.typeId === arrow.Type.Float);
  return float && operands.some((o) => o.kind === 'literal' && o.type.id === 'decimal');
}

/** Column types Lance compares with PostgreSQL's meaning. */
function filterableType(type: DataType): boolean {
  const t = arrow.Type;
  switch (type.typeId) {
    case t.Bool:
    case t.Int:
    case t.Float:
    case t.Decimal:
    case t.Utf8:
    case t.LargeUtf8:
    case t.Date:
      return true;
    case t.Timestamp:
      // A time-zone-aware column against Lance's zone-less TIMESTAMP literal is ambiguous.
      return !(type as unknown as { timezone: string | null }).timezone;
    case t.Dictionary:
      return filterableType((type as unknown as { dictionary: DataType }).dictionary);
    default:
      return false;
  }
}

/** True for text columns (plain or dictionary-encoded). */
export function isStringType(type: DataType): boolean {
  const t = arrow.Type;
  if (type.typeId === t.Dictionary)
    return isStringType((type as unknown as { dictionary: DataType }).dictionary);
  return type.typeId === t.Utf8 || type.typeId === t.LargeUtf8;
}
