import { childrenOf, type Expr, type ScalarType } from '@spoke/core';

/** How an expression's value is typed, for choosing how division renders. */
export type NumericClass = 'int' | 'float' | 'decimal' | 'other';

/** Looks up a column's type in the source table (`undefined` when unknown). */
export type ColumnTypeLookup = (column: string) => ScalarType | undefined;

const INTEGER_IDS = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);

/**
 * Whether `e` is integer, floating, decimal or something else, from the
 * table's column types. `scaleZeroIsInteger` counts `decimal(p,0)` as an
 * integer (Snowflake's NUMBER(p,0) is its only integer type).
 */
export function numericClass(e: Expr, typeOf: ColumnTypeLookup, scaleZeroIsInteger = false): NumericClass {
  const ofType = (t: ScalarType | undefined): NumericClass => {
    if (t === undefined) return 'other';
    if (INTEGER_IDS.has(t.id) || (scaleZeroIsInteger && t.id === 'decimal' && t.scale === 0)) return 'int';
    if (t.id === 'float32' || t.id === 'float64') return 'float';
    return t.id === 'decimal' ? 'decimal' : 'other';
  };
  switch (e.kind) {
    case 'column':
      return ofType(typeOf(e.name));
    case 'literal':
    case 'cast':
      return ofType(e.type);
    case 'arithmetic': {
      const l = numericClass(e.left, typeOf, scaleZeroIsInteger);
      const r = numericClass(e.right, typeOf, scaleZeroIsInteger);
      if (l === 'other' || r === 'other') return 'other';
      if (l === 'float' || r === 'float') return 'float';
      return l === 'int' && r === 'int' ? 'int' : 'decimal';
    }
    default:
      return 'other';
  }
}

/**
 * Rewrites integer `a / b`, which truncates toward zero in the IR (as in
 * PostgreSQL), as `(a - a % b) / b` for dialects whose `/` yields a decimal
 * (MySQL, Snowflake): exact whatever the operands' signs, since `%` takes
 * the dividend's sign.
 */
export function truncatingIntegerDivision(
  e: Expr,
  typeOf: ColumnTypeLookup,
  scaleZeroIsInteger = false,
): Expr {
  const walk = (x: Expr): Expr => {
    const mapped = mapChildren(x, walk);
    if (
      mapped.kind === 'arithmetic' &&
      mapped.op === '/' &&
      numericClass(x.kind === 'arithmetic' ? x.left : x, typeOf, scaleZeroIsInteger) === 'int' &&
      numericClass(x.kind === 'arithmetic' ? x.right : x, typeOf, scaleZeroIsInteger) === 'int'
    ) {
      const { left, right } = mapped;
      return {
        kind: 'arithmetic',
        op: '/',
        left: { kind: 'arithmetic', op: '-', left, right: { kind: 'arithmetic', op: '%', left, right } },
        right,
      };
    }
    return mapped;
  };
  return walk(e);
}

/** `e` with `fn` applied to each direct child. */
function mapChildren(e: Expr, fn: (child: Expr) => Expr): Expr {
  if (childrenOf(e).length === 0) return e;
  switch (e.kind) {
    case 'compare':
    case 'arithmetic':
      return { ...e, left: fn(e.left), right: fn(e.right) };
    case 'and':
    case 'or':
      return { ...e, args: e.args.map(fn) };
    case 'function':
      return { ...e, args: e.args.map(fn) };
    case 'not':
      return { ...e, arg: fn(e.arg) };
    case 'in':
      return { ...e, expr: fn(e.expr), list: e.list.map(fn) };
    case 'between':
      return { ...e, expr: fn(e.expr), low: fn(e.low), high: fn(e.high) };
    case 'like':
      return { ...e, expr: fn(e.expr), pattern: fn(e.pattern) };
    case 'isNull':
    case 'cast':
      return { ...e, expr: fn(e.expr) };
    default:
      return e;
  }
}

/**
 * True when `e` is a `/` or `%` whose divisor is not a non-zero literal.
 * PostgreSQL raises 22012 for a zero divisor; an engine that answers NULL
 * instead (MySQL) would drop the row at the source rather than fail the
 * query, so its connector keeps such a filter with Spoke, which raises.
 */
export function dividesByPossibleZero(e: Expr): boolean {
  if (e.kind !== 'arithmetic' || (e.op !== '/' && e.op !== '%')) return false;
  const d = e.right;
  return !(d.kind === 'literal' && d.value !== null && Number(d.value) !== 0);
}
