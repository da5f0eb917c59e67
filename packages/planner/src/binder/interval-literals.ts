/**
 * `interval '90' day`: PostgreSQL's SQL-standard interval literal, a string
 * with a field qualifier (the parser keeps the field as a type modifier).
 * DuckDB reads `CAST('90' AS interval day)` — what the deparser writes — as
 * 90 seconds, and sources' dialects render it their own way, so a bare
 * number with one field is rewritten to the unit-bearing literal
 * `'90 day'::interval`, which PostgreSQL and DuckDB read alike.
 */
import { type AstNode, walkAst } from '../parse/ast.js';

/** PostgreSQL's interval field masks (`INTERVAL_MASK` in datetime.h) for the single fields. */
const FIELDS: Readonly<Record<number, string>> = {
  [1 << 2]: 'year',
  [1 << 1]: 'month',
  [1 << 3]: 'day',
  [1 << 10]: 'hour',
  [1 << 11]: 'minute',
  [1 << 12]: 'second',
};

/** Rewrites, in place, every `interval 'n' <field>` with a plain number `n` to `'n <field>'::interval`. */
export function normalizeIntervalLiterals(tree: AstNode): void {
  walkAst(tree, (node) => {
    const cast = node.TypeCast;
    if (!cast) return undefined;
    const names = (cast.typeName?.names ?? []) as AstNode[];
    const typmods = (cast.typeName?.typmods ?? []) as AstNode[];
    if (names[names.length - 1]?.String?.sval !== 'interval' || typmods.length !== 1) return undefined;
    const field = FIELDS[typmods[0]?.A_Const?.ival?.ival as number];
    const text = cast.arg?.A_Const?.sval?.sval;
    if (!field || typeof text !== 'string' || !/^\s*[+-]?\d+(\.\d+)?\s*$/.test(text)) return undefined;
    cast.arg.A_Const.sval.sval = `${text.trim()} ${field}`;
    delete cast.typeName.typmods;
    return undefined;
  });
}
