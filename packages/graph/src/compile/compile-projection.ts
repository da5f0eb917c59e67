/**
 * WITH and RETURN → the select list, GROUP BY (implicit: every item without
 * an aggregate), DISTINCT, ORDER BY, OFFSET and LIMIT. A WITH exports its
 * variables as columns (`a` for a vertex's key, `a.name` for a property it
 * needs later) for the next part of the query to read.
 */

import type { CypherExpr, Projection } from '../cypher/cypher-ir.js';
import { invalidCypher } from '../errors.js';
import { compileExpression, type ExpressionContext, hasAggregate } from './compile-expression.js';
import { exportColumns, expressionContext } from './compile-match.js';
import type { Binding } from './scope.js';
import type { CompileState, SelectBuilder } from './select-builder.js';
import { quoteIdent } from './sql-text.js';

/** One projected variable or column. */
export interface ProjectedItem {
  readonly name: string;
  /** What the name is bound to in the input (for WITH of a bare variable), else a value. */
  readonly binding?: Binding;
  readonly columns: readonly { readonly column: string; readonly sql: string }[];
  readonly aggregate: boolean;
  readonly expr?: CypherExpr;
}

/** A compiled WITH or RETURN. */
export interface CompiledProjection {
  readonly sql: string;
  readonly items: readonly ProjectedItem[];
}

function count(expr: CypherExpr | undefined, what: string, ctx: ExpressionContext): string | undefined {
  if (!expr) return undefined;
  if (expr.kind === 'literal') {
    if (typeof expr.value !== 'number' || !Number.isInteger(expr.value) || expr.value < 0)
      throw invalidCypher(
        `${what} must be a non-negative integer (got ${expr.text})`,
        expr.position,
        '22023',
      );
    return String(expr.value);
  }
  if (expr.kind === 'param') {
    const v = ctx.params.value(expr.name, expr.position);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw invalidCypher(`${what} $${expr.name} must be a non-negative integer`, expr.position, '22023');
    return String(v);
  }
  throw invalidCypher(`${what} must be an integer literal or a parameter`, expr.position, '42601');
}

/** Compiles a WITH (`kind` 'with') or RETURN over the rows of `b`. */
export function compileProjection(
  projection: Projection,
  b: SelectBuilder,
  state: CompileState,
  kind: 'with' | 'return',
): CompiledProjection {
  const ctx: ExpressionContext = expressionContext(b.scope, state, true);
  const entries: { name: string; expr?: CypherExpr; binding?: Binding }[] = [];
  if (projection.star) {
    for (const [name, binding] of b.scope) if (!name.startsWith(' ')) entries.push({ name, binding });
    if (entries.length === 0 && projection.items.length === 0)
      throw invalidCypher(`${kind.toUpperCase()} * with no variables in scope`, projection.position, '42601');
  }
  for (const item of projection.items) {
    const bare = item.expr.kind === 'variable' ? item.expr.name : undefined;
    if (kind === 'with' && !item.alias && !bare)
      throw invalidCypher(
        `the expression ${item.expr.text} in WITH must be aliased (AS name)`,
        item.position,
        '42601',
      );
    const name = item.alias ?? bare ?? item.expr.text;
    const binding = bare !== undefined ? b.scope.get(bare) : undefined;
    if (bare !== undefined && !binding)
      throw invalidCypher(`variable \`${bare}\` is not defined`, item.expr.position, '42703');
    entries.push({ name, expr: item.expr, ...(binding ? { binding } : {}) });
  }
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name))
      throw invalidCypher(
        `the column name \`${e.name}\` appears twice in ${kind.toUpperCase()}`,
        projection.position,
        '42701',
      );
    seen.add(e.name);
  }
  const items: ProjectedItem[] = entries.map((e) => {
    const aggregate = e.expr ? hasAggregate(e.expr) : false;
    if (kind === 'with' && e.binding && e.binding.kind !== 'value')
      return {
        name: e.name,
        binding: e.binding,
        columns: exportColumns(e.name, e.binding, state),
        aggregate,
      };
    const sql = e.expr
      ? compileExpression(e.expr, ctx)
      : compileExpression(
          { kind: 'variable', name: e.name, text: e.name, position: projection.position },
          ctx,
        );
    return {
      name: e.name,
      columns: [{ column: e.name, sql }],
      aggregate,
      ...(e.expr ? { expr: e.expr } : {}),
    };
  });
  const aggregating = items.some((i) => i.aggregate);
  const select = items.flatMap((i) => i.columns.map((c) => `${c.sql} AS ${quoteIdent(c.column)}`));
  const parts = [
    `SELECT ${projection.distinct ? 'DISTINCT ' : ''}${select.join(', ') || '1 AS "_one"'}`,
    b.tail(),
  ];
  if (aggregating) {
    const keys = items.filter((i) => !i.aggregate).flatMap((i) => i.columns.map((c) => c.sql));
    if (keys.length > 0) parts.push(`GROUP BY ${keys.join(', ')}`);
  }
  const outputs = items.flatMap((i) => i.columns.map((c) => c.column));
  const ordinal = (column: string) => String(outputs.indexOf(column) + 1);
  if (projection.orderBy.length > 0) {
    const order = projection.orderBy.map(({ expr, descending }) => {
      const dir = descending ? ' DESC' : '';
      const byName =
        (expr.kind === 'variable' && items.find((i) => i.name === expr.name)) ||
        items.find((i) => i.expr && i.expr.text === expr.text);
      // Output columns by position: a bare name would also match input columns in some binders.
      if (byName) return `${ordinal(byName.columns[0]!.column)}${dir}`;
      if (expr.kind === 'property' && expr.target.kind === 'variable') {
        const target = expr.target.name;
        const item = items.find((i) => i.name === target && i.binding);
        const col = item?.columns.find((c) => c.column === `${target}.${expr.key}`);
        if (col) return `${ordinal(col.column)}${dir}`;
      }
      if (aggregating || projection.distinct)
        throw invalidCypher(
          `ORDER BY ${expr.text} after ${aggregating ? 'aggregation' : 'DISTINCT'} must use a projected column`,
          expr.position,
          '42703',
        );
      return `${compileExpression(expr, { ...ctx, aggregates: false })}${dir}`;
    });
    // Cypher sorts nulls last ascending and first descending, as PostgreSQL does by default.
    parts.push(`ORDER BY ${order.join(', ')}`);
  }
  const limit = count(projection.limit, 'LIMIT', ctx);
  const skip = count(projection.skip, 'SKIP', ctx);
  if (limit !== undefined) parts.push(`LIMIT ${limit}`);
  if (skip !== undefined) parts.push(`OFFSET ${skip}`);
  return { sql: parts.filter((p) => p !== '').join('\n'), items };
}
