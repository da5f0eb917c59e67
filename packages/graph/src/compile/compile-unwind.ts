/**
 * `UNWIND [1, 2, 3] AS x` / `UNWIND $ids AS id`: a VALUES list joined to the
 * rows so far, one row per item. Lists computed by the query (`UNWIND
 * collect(…)`) are refused: they would need a lateral unnest.
 */

import type { UnwindClause } from '../cypher/cypher-ir.js';
import { invalidCypher, unsupportedCypher } from '../errors.js';
import { compileExpression } from './compile-expression.js';
import { expressionContext } from './compile-match.js';
import type { CompileState, SelectBuilder } from './select-builder.js';
import { quoteIdent } from './sql-text.js';

/** Adds the rows of an UNWIND to `b` and binds its variable. */
export function compileUnwind(clause: UnwindClause, b: SelectBuilder, state: CompileState): void {
  if (b.scope.has(clause.variable))
    throw invalidCypher(`\`${clause.variable}\` is already defined`, clause.position, '42P08');
  const { list } = clause;
  let items: string[];
  if (list.kind === 'list') {
    const ctx = expressionContext(b.scope, state);
    items = list.items.map((item) => compileExpression(item, ctx));
  } else if (list.kind === 'param') items = state.params.list(list.name, list.position);
  else
    throw unsupportedCypher(
      `UNWIND of ${list.text} (only a list literal or a list parameter can be unwound)`,
      list.position,
    );
  const alias = state.alias('u');
  const column = quoteIdent(clause.variable);
  const rows =
    items.length === 0
      ? `(SELECT NULL AS ${column} WHERE FALSE) AS ${alias}`
      : `(VALUES ${items.map((i) => `(${i})`).join(', ')}) AS ${alias}(${column})`;
  b.join(rows);
  b.scope.set(clause.variable, { kind: 'value', sql: `${alias}.${column}` });
}
