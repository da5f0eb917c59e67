/**
 * Filters on `character(n)` columns, rendered so PostgreSQL compares them as
 * `character(n)`: a text literal is otherwise cast to `text`, which makes
 * PostgreSQL compare `l_returnflag::text = 'R'` — a function of the column,
 * so neither its index nor its statistics apply (the planner's estimate
 * falls to a default 0.5 %, and the read order built on it with it). The
 * literal goes untyped instead (`$n` or `E'R'`), which PostgreSQL resolves
 * to the column's type. Only for literals without trailing blanks: those
 * compare alike either way, since Spoke reads `character(n)` values without
 * their padding (a literal `'R '` would equal `'R'` as character(n) but not
 * as text, so it keeps its cast).
 */
import type { Expr, ScalarType, ScalarValue } from '@spoke/core';
import { type ExpressionDialect, ExpressionRenderer, type SqlTableDescription } from '@spoke/sdk';
import type { PgColumnInfo } from './postgres-introspection.js';

/** PostgreSQL's `bpchar` (character(n)) type OID. */
const BPCHAR_OID = 1042;

/** An ExpressionRenderer that leaves text literals compared with `character(n)` columns untyped. */
export class BpcharFilterRenderer extends ExpressionRenderer {
  #untyped = false;

  constructor(
    dialect: ExpressionDialect,
    private readonly table: SqlTableDescription,
  ) {
    super(untypedTextLiterals(dialect, () => this.#untyped));
  }

  override render(expr: Expr): string {
    const operands =
      expr.kind === 'compare'
        ? [expr.left, expr.right]
        : expr.kind === 'in'
          ? [expr.expr, ...expr.list]
          : expr.kind === 'between'
            ? [expr.expr, expr.low, expr.high]
            : undefined;
    if (!operands || !operands.some((o) => this.#isBpchar(o))) return super.render(expr);
    const plainText = operands.every(
      (o) => o.kind !== 'literal' || (typeof o.value === 'string' && !/\s$/.test(o.value)),
    );
    if (!plainText) return super.render(expr);
    this.#untyped = true;
    try {
      return super.render(expr);
    } finally {
      this.#untyped = false;
    }
  }

  #isBpchar(e: Expr): boolean {
    if (e.kind !== 'column') return false;
    const info = this.table.columns.find((c) => c.name === e.name)?.native as PgColumnInfo | undefined;
    return info?.type.oid === BPCHAR_OID;
  }
}

/** `dialect`, rendering utf8 literals without their `CAST(… AS TEXT)` while `untyped()` holds. */
function untypedTextLiterals(dialect: ExpressionDialect, untyped: () => boolean): ExpressionDialect {
  return Object.assign(Object.create(dialect) as ExpressionDialect, {
    placeholder(index: number, type: ScalarType): string | undefined {
      const typed = dialect.placeholder(index, type);
      return untyped() && type.id === 'utf8' && typed !== undefined ? `$${index}` : typed;
    },
    renderLiteral(value: ScalarValue, type: ScalarType): string {
      if (untyped() && type.id === 'utf8' && typeof value === 'string')
        return (dialect as ExpressionDialect & { quoteString(text: string): string }).quoteString(value);
      return dialect.renderLiteral(value, type);
    },
  });
}
