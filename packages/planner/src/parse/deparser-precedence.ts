/**
 * Keeps `pgsql-deparser` from dropping parentheses that change a query's
 * meaning. It writes `(NOT p) IS NULL` as `NOT (p) IS NULL` and
 * `(a AND b) IS NULL` as `a AND b IS NULL`; `IS` binds tighter than `NOT`,
 * `AND` and `OR` in PostgreSQL and DuckDB alike, so the test moves inside
 * and the answer changes (found by the randomized differential kit: the
 * `WHERE p IS NULL` partition of TLP). `(NOT p) IS TRUE` had the same fault.
 * Every deparse in the process (the residual, EXPLAIN, the SDK's PostgreSQL
 * dialect) shares the one `Deparser` class, so patching it once, when the
 * planner loads, covers them all.
 */
import { Deparser } from 'pgsql-deparser';

type Visit = (node: unknown, context: unknown) => string;
interface TestNode {
  readonly arg?: { readonly BoolExpr?: unknown };
}
interface Patchable {
  NullTest: Visit;
  BooleanTest: Visit;
  visit(node: unknown, context: unknown): string;
}

const proto = Deparser.prototype as unknown as Patchable & { __spokeParenthesized?: boolean };

/** Wraps a visitor so that a boolean (AND/OR/NOT) operand keeps its parentheses. */
function parenthesizeBoolArg(original: Visit, tests: Record<string, string>, field: string): Visit {
  return function (this: Patchable, node: unknown, context: unknown): string {
    const n = node as TestNode & Record<string, string>;
    const test = tests[n[field] ?? ''];
    if (n.arg?.BoolExpr === undefined || test === undefined) return original.call(this, node, context);
    return `(${this.visit(n.arg, context)}) ${test}`;
  };
}

if (!proto.__spokeParenthesized) {
  proto.__spokeParenthesized = true;
  proto.NullTest = parenthesizeBoolArg(
    proto.NullTest,
    { IS_NULL: 'IS NULL', IS_NOT_NULL: 'IS NOT NULL' },
    'nulltesttype',
  );
  proto.BooleanTest = parenthesizeBoolArg(
    proto.BooleanTest,
    {
      IS_TRUE: 'IS TRUE',
      IS_NOT_TRUE: 'IS NOT TRUE',
      IS_FALSE: 'IS FALSE',
      IS_NOT_FALSE: 'IS NOT FALSE',
      IS_UNKNOWN: 'IS UNKNOWN',
      IS_NOT_UNKNOWN: 'IS NOT UNKNOWN',
    },
    'booltesttype',
  );
}
