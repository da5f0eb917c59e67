import { type Expr, type ScalarType, walkExpr } from '@spoke/core';
import { FIXTURE_COLUMNS } from './fixture.js';

/**
 * Expression signatures: how a case's casts and function calls are named in
 * `ConformanceCapabilities.exclude` and in failure messages —
 * `cast(timestamp as date)`, `upper(utf8)`, `round(float64, int32)`. Finer
 * than the `functions` and `operators` lists: one cast target or one
 * argument type can be left out while the rest stays exact.
 */

/** A type's name in a signature: its IR id, `timestamptz` for a timestamp with a time zone. */
export function signatureType(type: ScalarType | undefined): string {
  if (!type) return '?';
  if (type.id === 'timestamp' && type.timezone) return 'timestamptz';
  return type.id;
}

const TEXT_RESULT = new Set(['lower', 'upper', 'trim', 'ltrim', 'rtrim', 'substring', 'concat', 'replace']);

/** The IR type of `expr` over the fixture table, as far as signatures need it. */
export function typeOfExpr(expr: Expr): ScalarType | undefined {
  switch (expr.kind) {
    case 'column':
      return FIXTURE_COLUMNS.find((c) => c.name === expr.name)?.type;
    case 'literal':
    case 'cast':
      return expr.type;
    case 'arithmetic': {
      const left = typeOfExpr(expr.left);
      return left && left.id !== 'null' ? left : typeOfExpr(expr.right);
    }
    case 'function':
      if (TEXT_RESULT.has(expr.name)) return { id: 'utf8' };
      if (expr.name === 'length') return { id: 'int64' };
      if (expr.name === 'starts_with') return { id: 'bool' };
      return expr.args[0] ? typeOfExpr(expr.args[0]) : undefined;
    default:
      return { id: 'bool' };
  }
}

/**
 * The signatures of every cast, function call, LIKE/ILIKE and arithmetic
 * operator in `expr`, outermost first: `cast(int32 as utf8)`, `upper(utf8)`,
 * `ilike(utf8, utf8)`, `%(int32, int32)`.
 */
export function expressionSignatures(expr: Expr): string[] {
  const out: string[] = [];
  walkExpr(expr, (node) => {
    if (node.kind === 'cast')
      out.push(`cast(${signatureType(typeOfExpr(node.expr))} as ${signatureType(node.type)})`);
    if (node.kind === 'function')
      out.push(`${node.name}(${node.args.map((a) => signatureType(typeOfExpr(a))).join(', ')})`);
    if (node.kind === 'like')
      out.push(
        `${node.caseInsensitive ? 'ilike' : 'like'}(${signatureType(typeOfExpr(node.expr))}, ${signatureType(typeOfExpr(node.pattern))})`,
      );
    if (node.kind === 'arithmetic')
      out.push(`${node.op}(${signatureType(typeOfExpr(node.left))}, ${signatureType(typeOfExpr(node.right))})`);
  });
  return [...new Set(out)];
}

/**
 * Whether `signature` is excluded by `pattern`: equal, or `*` in place of
 * the cast's source type (`cast(* as date)`) or of the whole argument list
 * (`round(*)`, `ilike(*)`, `%(*)`).
 */
export function signatureMatches(signature: string, pattern: string): boolean {
  const p = pattern.replace(/\s+/g, ' ').trim().toLowerCase();
  if (p === signature) return true;
  const cast = /^cast\(\* as (.+)\)$/.exec(p);
  if (cast) return signature.startsWith('cast(') && signature.endsWith(` as ${cast[1]})`);
  const fn = /^(.+?)\(\*\)$/.exec(p);
  return fn !== null && signature.startsWith(`${fn[1]}(`);
}
