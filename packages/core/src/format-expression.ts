import type { Expr } from './expression.js';
import type { ScalarValue } from './scalar-type.js';

/**
 * A readable, SQL-like rendering of an expression for EXPLAIN, logs and
 * error messages — not for sending to a source (use a dialect for that).
 * Long list literals (query vectors) are abbreviated.
 */
export function formatExpression(expr: Expr): string {
  switch (expr.kind) {
    case 'column':
      return /^[a-z_][a-z0-9_]*$/.test(expr.name) ? expr.name : `"${expr.name.replaceAll('"', '""')}"`;
    case 'literal':
      return formatValue(expr.value);
    case 'compare':
    case 'arithmetic':
      return `${formatExpression(expr.left)} ${expr.op} ${formatExpression(expr.right)}`;
    case 'and':
    case 'or':
      return expr.args.map((a) => `(${formatExpression(a)})`).join(expr.kind === 'and' ? ' AND ' : ' OR ');
    case 'not':
      return `NOT (${formatExpression(expr.arg)})`;
    case 'in':
      return `${formatExpression(expr.expr)} ${expr.negated ? 'NOT IN' : 'IN'} (${expr.list.map(formatExpression).join(', ')})`;
    case 'between':
      return `${formatExpression(expr.expr)} ${expr.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${formatExpression(expr.low)} AND ${formatExpression(expr.high)}`;
    case 'like':
      return `${formatExpression(expr.expr)} ${expr.negated ? 'NOT ' : ''}${expr.caseInsensitive ? 'ILIKE' : 'LIKE'} ${formatExpression(expr.pattern)}`;
    case 'isNull':
      return `${formatExpression(expr.expr)} IS ${expr.negated ? 'NOT ' : ''}NULL`;
    case 'cast':
      return `CAST(${formatExpression(expr.expr)} AS ${expr.type.id})`;
    case 'function':
      return `${expr.name}(${expr.args.map(formatExpression).join(', ')})`;
  }
}

function formatValue(value: ScalarValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (value instanceof Uint8Array) return `'\\x${Buffer.from(value).toString('hex')}'`;
  if (Array.isArray(value)) {
    const items = value.slice(0, 4).map(formatValue);
    return `[${items.join(', ')}${value.length > 4 ? `, … ${value.length} items` : ''}]`;
  }
  return String(value);
}
