/**
 * PostgreSQL's `percentile_cont` takes double precision (or interval):
 * over a `numeric` or `real` column it answers double precision. DuckDB's
 * keeps the column's type (`DECIMAL(12,2)`, `FLOAT`), so a median of
 * amounts read `409.50` where PostgreSQL reads `409.5`, and a `real`
 * column's median lost digits. Where the ORDER BY of a `percentile_cont`
 * is a column of a source table whose type is decimal or single-precision
 * float, it is cast to double precision, as PostgreSQL casts it.
 * `percentile_disc` keeps its input type in both engines; anything but a
 * plain column is left alone (an interval expression must stay one).
 */
import { arrow } from '@spoke/core';
import { resolveColumnRef } from '../binder/bind-query.js';
import type { Scope } from '../binder/scope.js';
import { type AstNode, walkAst } from '../parse/ast.js';

/** Casts, in place, the ORDER BY argument of each `percentile_cont` of `scope`'s own SELECT where PostgreSQL would. */
export function castPercentileArguments(scope: Scope): void {
  const own = scope.stmt;
  walkAst(own, (node) => {
    // A nested SELECT is another scope: its calls are cast when its own tables are planned.
    if (node !== own && node.SelectStmt) return false;
    const call = node.FuncCall;
    if (!call?.agg_within_group) return undefined;
    const name = call.funcname?.[call.funcname.length - 1]?.String?.sval;
    if (name !== 'percentile_cont') return undefined;
    const sort = call.agg_order?.[0]?.SortBy;
    const ref = sort?.node?.ColumnRef;
    if (!ref || !needsDouble(ref, scope)) return undefined;
    sort.node = {
      TypeCast: {
        arg: sort.node,
        typeName: {
          names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: 'float8' } }],
          typemod: -1,
        },
      },
    };
    return undefined;
  });
}

/** Whether `ref` names a source table's decimal or single-precision column (unresolvable: no). */
function needsDouble(ref: AstNode, scope: Scope): boolean {
  try {
    const resolved = resolveColumnRef(ref, scope);
    if (resolved.kind === 'opaque' || !resolved.column || resolved.entries?.length !== 1) return false;
    const binding = resolved.entries[0]!.binding;
    const field = binding?.arrowSchema.fields.find((f) => f.name === resolved.column);
    if (!field) return false;
    return (
      arrow.DataType.isDecimal(field.type) ||
      (arrow.DataType.isFloat(field.type) && field.type.precision === arrow.Precision.SINGLE)
    );
  } catch {
    return false;
  }
}
