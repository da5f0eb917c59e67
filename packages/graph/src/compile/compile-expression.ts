/**
 * Cypher expressions → PostgreSQL-dialect SQL expressions. Operators whose
 * meaning differs between the two are spelt out (`+` on strings, `=~` as a
 * whole-string match, `STARTS WITH` without LIKE wildcards, `avg` as a float).
 */

import type { CypherExpr } from '../cypher/cypher-ir.js';
import { invalidCypher, unsupportedCypher } from '../errors.js';
import type { Parameters } from './parameters.js';
import type { Scope } from './scope.js';
import { quoteLiteral } from './sql-text.js';

/** What an expression is compiled against. */
export interface ExpressionContext {
  readonly scope: Scope;
  readonly params: Parameters;
  /** Whether aggregate functions may appear (RETURN and WITH items, not WHERE). */
  readonly aggregates: boolean;
  /** Compiles `EXISTS { … }`, pattern predicates and `COUNT { … }` (they need the graph and the joins). */
  readonly subquery?: (
    expr: Extract<CypherExpr, { kind: 'patternSubquery' }>,
    ctx: ExpressionContext,
  ) => string;
}

/** Aggregate functions of the subset. */
export const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'collect']);

/** Whether `expr` contains an aggregate. */
export function hasAggregate(expr: CypherExpr): boolean {
  switch (expr.kind) {
    case 'countStar':
      return true;
    case 'call':
      return AGGREGATES.has(expr.name) || expr.args.some(hasAggregate);
    case 'binary':
      return hasAggregate(expr.left) || hasAggregate(expr.right);
    case 'not':
    case 'negate':
    case 'isNull':
      return hasAggregate(expr.operand);
    case 'property':
      return hasAggregate(expr.target);
    case 'list':
      return expr.items.some(hasAggregate);
    case 'case':
      return (
        (expr.operand !== undefined && hasAggregate(expr.operand)) ||
        expr.whens.some((w) => hasAggregate(w.when) || hasAggregate(w.result)) ||
        (expr.otherwise !== undefined && hasAggregate(expr.otherwise))
      );
    default:
      return false;
  }
}

/** Whether the expression is certainly a string (decides `+` → `||`). */
function isString(expr: CypherExpr, ctx: ExpressionContext): boolean {
  if (expr.kind === 'literal') return typeof expr.value === 'string';
  if (expr.kind === 'param') return typeof ctx.params.values[expr.name] === 'string';
  if (expr.kind === 'binary' && expr.op === '+') return isString(expr.left, ctx) || isString(expr.right, ctx);
  if (expr.kind === 'call')
    return [
      'tostring',
      'toupper',
      'tolower',
      'upper',
      'lower',
      'trim',
      'substring',
      'replace',
      'type',
    ].includes(expr.name);
  return false;
}

function literal(expr: Extract<CypherExpr, { kind: 'literal' }>): string {
  const v = expr.value;
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return quoteLiteral(v);
  // Numbers keep the digits as written: the lexer only lets digits, dots and exponents through.
  return Number.isInteger(v) && !/[.eE]/.test(expr.text) ? String(v) : expr.text.replace(/^\+/, '');
}

/** Compiles one expression. */
export function compileExpression(expr: CypherExpr, ctx: ExpressionContext): string {
  const c = (e: CypherExpr) => compileExpression(e, ctx);
  switch (expr.kind) {
    case 'literal':
      return literal(expr);
    case 'param':
      return ctx.params.scalar(expr.name, expr.position);
    case 'variable': {
      const b = ctx.scope.get(expr.name);
      if (!b) throw invalidCypher(`variable \`${expr.name}\` is not defined`, expr.position, '42703');
      if (b.kind === 'node') return b.key;
      if (b.kind === 'value') return b.sql;
      if (b.kind === 'edge') {
        if (b.key) return b.key;
        throw unsupportedCypher(
          `using the relationship \`${expr.name}\` as a value (its type has no key column; use its properties)`,
          expr.position,
        );
      }
      throw unsupportedCypher(
        `using the path \`${expr.name}\` as a value (use length(${expr.name}))`,
        expr.position,
      );
    }
    case 'property': {
      if (expr.target.kind !== 'variable')
        throw unsupportedCypher(`property access on ${expr.target.text}`, expr.position);
      const b = ctx.scope.get(expr.target.name);
      if (!b)
        throw invalidCypher(`variable \`${expr.target.name}\` is not defined`, expr.target.position, '42703');
      if (b.kind === 'node' || b.kind === 'edge') return b.prop(expr.key, expr.position);
      throw unsupportedCypher(`property access on the ${b.kind} \`${expr.target.name}\``, expr.position);
    }
    case 'not':
      return `(NOT ${c(expr.operand)})`;
    case 'negate':
      return `(- ${c(expr.operand)})`;
    case 'isNull':
      return `(${c(expr.operand)} IS ${expr.negated ? 'NOT ' : ''}NULL)`;
    case 'list':
      if (expr.items.length === 0) throw unsupportedCypher('an empty list outside IN', expr.position);
      return `ARRAY[${expr.items.map(c).join(', ')}]`;
    case 'case': {
      const parts = ['CASE'];
      if (expr.operand) parts.push(c(expr.operand));
      for (const w of expr.whens) parts.push(`WHEN ${c(w.when)} THEN ${c(w.result)}`);
      if (expr.otherwise) parts.push(`ELSE ${c(expr.otherwise)}`);
      parts.push('END');
      return `(${parts.join(' ')})`;
    }
    case 'countStar':
      if (!ctx.aggregates) throw invalidCypher('count(*) is not allowed here', expr.position, '42803');
      return 'count(*)';
    case 'binary':
      return binary(expr, ctx);
    case 'call':
      return call(expr, ctx);
    case 'patternSubquery':
      if (!ctx.subquery) throw unsupportedCypher(`${expr.text} here`, expr.position);
      return ctx.subquery(expr, ctx);
  }
}

function binary(expr: Extract<CypherExpr, { kind: 'binary' }>, ctx: ExpressionContext): string {
  const c = (e: CypherExpr) => compileExpression(e, ctx);
  const { op, left, right } = expr;
  switch (op) {
    case 'AND':
    case 'OR':
      return `(${c(left)} ${op} ${c(right)})`;
    case 'XOR':
      return `(${c(left)} <> ${c(right)})`;
    case '=':
    case '<>':
    case '<':
    case '>':
    case '<=':
    case '>=':
    case '-':
    case '*':
    case '/':
    case '%':
      return `(${c(left)} ${op} ${c(right)})`;
    case '+':
      return `(${c(left)} ${isString(left, ctx) || isString(right, ctx) ? '||' : '+'} ${c(right)})`;
    case '^':
      return `power(${c(left)}, ${c(right)})`;
    case 'STARTS WITH': {
      const r = c(right);
      return `(left(${c(left)}, length(${r})) = ${r})`;
    }
    case 'ENDS WITH': {
      const r = c(right);
      return `(right(${c(left)}, length(${r})) = ${r})`;
    }
    case 'CONTAINS':
      return `(strpos(${c(left)}, ${c(right)}) > 0)`;
    case '=~':
      // Cypher matches the whole string; PostgreSQL's ~ finds a match anywhere.
      return `(${c(left)} ~ ('^(?:' || ${c(right)} || ')$'))`;
    case 'IN': {
      const l = c(left);
      if (right.kind === 'list')
        return right.items.length === 0 ? 'FALSE' : `(${l} IN (${right.items.map(c).join(', ')}))`;
      if (right.kind === 'param') {
        const items = ctx.params.list(right.name, right.position);
        return items.length === 0 ? 'FALSE' : `(${l} IN (${items.join(', ')}))`;
      }
      return `(${l} = ANY(${c(right)}))`;
    }
  }
}

const SIMPLE_FUNCTIONS: Readonly<Record<string, { sql: string; args: readonly number[] }>> = {
  toupper: { sql: 'upper', args: [1] },
  tolower: { sql: 'lower', args: [1] },
  upper: { sql: 'upper', args: [1] },
  lower: { sql: 'lower', args: [1] },
  trim: { sql: 'trim', args: [1] },
  ltrim: { sql: 'ltrim', args: [1] },
  rtrim: { sql: 'rtrim', args: [1] },
  replace: { sql: 'replace', args: [3] },
  reverse: { sql: 'reverse', args: [1] },
  left: { sql: 'left', args: [2] },
  right: { sql: 'right', args: [2] },
  abs: { sql: 'abs', args: [1] },
  ceil: { sql: 'ceil', args: [1] },
  floor: { sql: 'floor', args: [1] },
  round: { sql: 'round', args: [1, 2] },
  sqrt: { sql: 'sqrt', args: [1] },
  sign: { sql: 'sign', args: [1] },
  exp: { sql: 'exp', args: [1] },
  log: { sql: 'ln', args: [1] },
  log10: { sql: 'log10', args: [1] },
  coalesce: { sql: 'coalesce', args: [] },
};

const CASTS: Readonly<Record<string, string>> = {
  tostring: 'TEXT',
  tointeger: 'BIGINT',
  tofloat: 'DOUBLE PRECISION',
  toboolean: 'BOOLEAN',
};

function call(expr: Extract<CypherExpr, { kind: 'call' }>, ctx: ExpressionContext): string {
  const { name, args, distinct, position } = expr;
  const arity = (...allowed: number[]) => {
    if (!allowed.includes(args.length))
      throw invalidCypher(
        `${name}() takes ${allowed.join(' or ')} argument(s), got ${args.length}`,
        position,
        '42883',
      );
  };
  if (AGGREGATES.has(name)) {
    if (!ctx.aggregates) throw invalidCypher(`aggregate ${name}() is not allowed here`, position, '42803');
    arity(1);
    const inner: ExpressionContext = { ...ctx, aggregates: false };
    const arg = compileExpression(args[0]!, inner);
    const d = distinct ? 'DISTINCT ' : '';
    switch (name) {
      case 'count':
        return `count(${d}${arg})`;
      case 'avg':
        // Cypher's avg is a float whatever the input; PostgreSQL's avg of integers is numeric.
        return `avg(${d}CAST(${arg} AS DOUBLE PRECISION))`;
      case 'collect':
        // Cypher's collect skips nulls.
        return `array_agg(${d}${arg}) FILTER (WHERE ${arg} IS NOT NULL)`;
      default:
        return `${name}(${d}${arg})`;
    }
  }
  if (distinct) throw unsupportedCypher(`DISTINCT in ${name}()`, position);
  const c = (e: CypherExpr) => compileExpression(e, ctx);
  const simple = SIMPLE_FUNCTIONS[name];
  if (simple) {
    if (simple.args.length > 0) arity(...simple.args);
    else if (args.length === 0) arity(1);
    return `${simple.sql}(${args.map(c).join(', ')})`;
  }
  const cast = CASTS[name];
  if (cast) {
    arity(1);
    return `CAST(${c(args[0]!)} AS ${cast})`;
  }
  switch (name) {
    case 'size':
      arity(1);
      return `length(${c(args[0]!)})`;
    case 'substring': {
      arity(2, 3);
      // Cypher counts from 0, SQL from 1.
      const s = `(${c(args[1]!)} + 1)`;
      return args.length === 3
        ? `substr(${c(args[0]!)}, ${s}, ${c(args[2]!)})`
        : `substr(${c(args[0]!)}, ${s})`;
    }
    case 'exists': {
      arity(1);
      if (args[0]!.kind !== 'property')
        throw unsupportedCypher('exists() of anything but a property', position);
      return `(${c(args[0]!)} IS NOT NULL)`;
    }
    case 'id':
    case 'elementid': {
      arity(1);
      const a = args[0]!;
      const b = a.kind === 'variable' ? ctx.scope.get(a.name) : undefined;
      if (!b || (b.kind !== 'node' && b.kind !== 'edge'))
        throw invalidCypher(`${name}() needs a node or relationship variable`, position, '42804');
      const key = b.key;
      if (!key) throw unsupportedCypher(`${name}() of a relationship whose type has no key column`, position);
      return name === 'id' ? key : `CAST(${key} AS TEXT)`;
    }
    case 'type': {
      arity(1);
      const a = args[0]!;
      const b = a.kind === 'variable' ? ctx.scope.get(a.name) : undefined;
      if (b?.kind !== 'edge') throw invalidCypher('type() needs a relationship variable', position, '42804');
      if (b.types.length !== 1)
        throw unsupportedCypher('type() of a relationship that may have several types', position);
      return quoteLiteral(b.types[0]!);
    }
    case 'labels': {
      arity(1);
      const a = args[0]!;
      const b = a.kind === 'variable' ? ctx.scope.get(a.name) : undefined;
      if (b?.kind !== 'node') throw invalidCypher('labels() needs a node variable', position, '42804');
      return `ARRAY[${b.labelSql ?? quoteLiteral(b.label)}]`;
    }
    case 'nodes': {
      arity(1);
      const a = args[0]!;
      const b = a.kind === 'variable' ? ctx.scope.get(a.name) : undefined;
      if (b?.kind !== 'path') throw invalidCypher('nodes() needs a path variable', position, '42804');
      if (!b.nodes) throw unsupportedCypher(`nodes(${a.text}) here`, position);
      return b.nodes;
    }
    case 'length': {
      arity(1);
      const a = args[0]!;
      const b = a.kind === 'variable' ? ctx.scope.get(a.name) : undefined;
      if (b?.kind === 'path') return b.length;
      return `length(${c(a)})`;
    }
    default:
      throw unsupportedCypher(`the function ${name}()`, position);
  }
}
