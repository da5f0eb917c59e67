/**
 * Translates parse-tree expressions over ONE source table into the
 * expression IR of `@spoke/core`. Anything without an exact IR equivalent
 * returns `undefined` and stays in DuckDB: push-down is an optimisation,
 * never a change of meaning.
 */
import {
  type ComparisonOperator,
  Ex,
  type Expr,
  fromArrowType,
  type LiteralExpr,
  SCALAR_FUNCTIONS,
  type ScalarFunctionName,
  type ScalarType,
  type ScalarValue,
  type Schema,
  Types,
} from '@spoke/core';
import { findColumn } from '../binder/column-names.js';
import { type AstNode, nodeKind, str } from '../parse/ast.js';
import { foldDateInterval } from './fold-date-interval.js';

/** Functions whose value changes from call to call: never pushed, never moved. */
export const VOLATILE_FUNCTIONS = new Set([
  'random',
  'setseed',
  'nextval',
  'currval',
  'lastval',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'uuid_generate_v4',
  'txid_current',
]);

const COMPARISONS: Record<string, ComparisonOperator> = {
  '=': '=',
  '<>': '<>',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const VECTOR_OPERATORS: Record<string, ScalarFunctionName> = {
  '<->': 'l2_distance',
  '<=>': 'cosine_distance',
  '<#>': 'negative_inner_product',
};
const FUNCTION_ALIASES: Record<string, ScalarFunctionName> = {
  ceiling: 'ceil',
  char_length: 'length',
  character_length: 'length',
  btrim: 'trim',
};

/** What a translation needs: the table's schema, its alias in the query, and the statement's parameter values. */
export interface TranslationContext {
  readonly schema: Schema;
  /** Names a column reference may be qualified with (alias, table name). */
  readonly qualifiers: readonly string[];
  readonly params: readonly ScalarValue[];
}

/** The IR for `node`, or `undefined` when it cannot be pushed exactly. */
export function translateExpression(node: AstNode | undefined, ctx: TranslationContext): Expr | undefined {
  if (!node) return undefined;
  const [kind, body] = nodeKind(node);
  switch (kind) {
    case 'ColumnRef': {
      const names = (body.fields as AstNode[]).map((f) => str(f));
      if (names.some((n) => n === undefined)) return undefined; // `*`
      if (names.length > 1 && !ctx.qualifiers.includes(names[names.length - 2]!)) return undefined;
      const column = findColumn(ctx.schema, names[names.length - 1]!);
      return column === undefined ? undefined : Ex.col(column);
    }
    case 'A_Const':
      return constant(body);
    case 'ParamRef': {
      const value = ctx.params[(body.number as number) - 1];
      return value === undefined ? undefined : literalOf(value);
    }
    case 'TypeCast': {
      const target = typeFromName(body.typeName);
      const arg = translateExpression(body.arg, ctx);
      if (!target || !arg) return undefined;
      if (arg.kind === 'literal') {
        // An explicit cast of a number to a float is a float: `CAST(2.5 AS double precision)`.
        if (isFloat(target) && NUMERIC.has(arg.type.id) && arg.value !== null)
          return Ex.lit(Number(arg.value), Types.float64);
        return coerceLiteral(arg, target) ?? Ex.cast(arg, target);
      }
      return Ex.cast(arg, target);
    }
    case 'BoolExpr': {
      const args = (body.args as AstNode[]).map((a) => translateExpression(a, ctx));
      if (args.some((a) => a === undefined)) return undefined;
      const exprs = args as Expr[];
      if (body.boolop === 'AND_EXPR') return Ex.and(...exprs);
      if (body.boolop === 'OR_EXPR') return Ex.or(...exprs);
      return Ex.not(exprs[0]!);
    }
    case 'NullTest': {
      const arg = translateExpression(body.arg, ctx);
      return arg && Ex.isNull(arg, body.nulltesttype === 'IS_NOT_NULL');
    }
    case 'A_Expr':
      return translateOperator(body, ctx);
    case 'FuncCall':
      return translateFunction(body, ctx);
    case 'CoalesceExpr': {
      const args = (body.args as AstNode[]).map((a) => translateExpression(a, ctx));
      return args.every((a) => a !== undefined) ? Ex.fn('coalesce', ...(args as Expr[])) : undefined;
    }
    default:
      return undefined;
  }
}

function translateOperator(body: AstNode, ctx: TranslationContext): Expr | undefined {
  const op = str(body.name?.[body.name.length - 1]);
  const left = body.lexpr ? translateExpression(body.lexpr, ctx) : undefined;
  switch (body.kind) {
    case 'AEXPR_OP': {
      if (op === undefined) return undefined;
      if (!body.lexpr) {
        // Unary minus on a constant is a negative literal; on a column, 0 - x.
        const arg = translateExpression(body.rexpr, ctx);
        if (!arg || (op !== '-' && op !== '+')) return undefined;
        if (op === '+') return arg;
        if (arg.kind === 'literal') return negate(arg);
        return Ex.arith('-', Ex.lit(0, Types.int32), arg);
      }
      const folded = foldDateInterval(left, body.rexpr, op);
      if (folded) return folded;
      const right = translateExpression(body.rexpr, ctx);
      if (!left || !right) return undefined;
      const cmp = COMPARISONS[op];
      if (cmp) {
        const [l, r] = coercePair(left, right, ctx);
        return l && r ? Ex.cmp(cmp, l, r) : undefined;
      }
      if (ARITHMETIC.has(op)) return Ex.arith(op as '+', left, right);
      const vector = VECTOR_OPERATORS[op];
      if (vector) {
        const query = right.kind === 'literal' ? vectorLiteral(right.value) : undefined;
        return query ? Ex.fn(vector, left, query) : undefined;
      }
      if (op === '@@' && right.kind === 'literal' && typeof right.value === 'string')
        return Ex.fn('text_match', left, right);
      return undefined;
    }
    case 'AEXPR_IN': {
      const items = (body.rexpr?.List?.items ?? []) as AstNode[];
      const list = items.map((i) => translateExpression(i, ctx));
      if (!left || list.some((i) => i === undefined)) return undefined;
      const coerced = (list as Expr[]).map((i) => coercePair(left, i, ctx)[1]);
      if (coerced.some((i) => i === undefined)) return undefined;
      return Ex.in(left, coerced as Expr[], op === '<>');
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      const pattern = translateExpression(body.rexpr, ctx);
      if (!left || !pattern) return undefined;
      if (pattern.kind === 'literal' && typeof pattern.value !== 'string') return undefined;
      return Ex.like(left, pattern, body.kind === 'AEXPR_ILIKE', op?.startsWith('!') ?? false);
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN': {
      const [lowNode, highNode] = body.rexpr?.List?.items ?? [];
      const low = translateExpression(lowNode, ctx);
      const high = translateExpression(highNode, ctx);
      if (!left || !low || !high) return undefined;
      const l = coercePair(left, low, ctx)[1];
      const h = coercePair(left, high, ctx)[1];
      return l && h ? Ex.between(left, l, h, body.kind === 'AEXPR_NOT_BETWEEN') : undefined;
    }
    case 'AEXPR_NULLIF': {
      const right = translateExpression(body.rexpr, ctx);
      return left && right ? Ex.fn('nullif', left, right) : undefined;
    }
    default:
      return undefined;
  }
}

function translateFunction(body: AstNode, ctx: TranslationContext): Expr | undefined {
  if (body.agg_star || body.agg_distinct || body.over || body.agg_order || body.agg_filter) return undefined;
  const names = (body.funcname as AstNode[]).map((n) => str(n)!);
  if (names.length > 2 || (names.length === 2 && names[0] !== 'pg_catalog')) return undefined;
  const raw = names[names.length - 1]!.toLowerCase();
  if (raw === 'rrf') return translateRrf(body, ctx);
  const name = (FUNCTION_ALIASES[raw] ?? raw) as ScalarFunctionName;
  if (!(SCALAR_FUNCTIONS as readonly string[]).includes(name)) return undefined;
  // The vector and full-text functions come from operators, not calls.
  if (
    name === 'text_match' ||
    name.endsWith('_distance') ||
    name === 'negative_inner_product' ||
    name === 'reciprocal_rank_fusion'
  )
    return undefined;
  const args = ((body.args ?? []) as AstNode[]).map((a) => translateExpression(a, ctx));
  if (args.some((a) => a === undefined)) return undefined;
  return Ex.fn(name, ...(args as Expr[]));
}

/** `rrf(<vector distance>, <text @@ 'words'>)`: hybrid ranking, as the IR's `reciprocal_rank_fusion`. */
function translateRrf(body: AstNode, ctx: TranslationContext): Expr | undefined {
  const args = ((body.args ?? []) as AstNode[]).map((a) => translateExpression(a, ctx));
  const [vector, text] = args;
  if (args.length !== 2 || vector?.kind !== 'function' || text?.kind !== 'function') return undefined;
  if (
    !['l2_distance', 'cosine_distance', 'negative_inner_product'].includes(vector.name) ||
    text.name !== 'text_match'
  )
    return undefined;
  return Ex.fn('reciprocal_rank_fusion', vector, text);
}

/** The type of a column expression, when the schema knows it. */
function typeOf(expr: Expr, ctx: TranslationContext): ScalarType | undefined {
  if (expr.kind === 'column') {
    const field = ctx.schema.fields.find((f) => f.name === expr.name);
    return field ? fromArrowType(field.type) : undefined;
  }
  if (expr.kind === 'literal') return expr.type;
  if (expr.kind === 'cast') return expr.type;
  return undefined;
}

/**
 * Types an untyped or loosely typed literal by the other operand, as
 * PostgreSQL types `'2024-01-01'` by the date column it is compared with.
 * Returns `[undefined, undefined]` when the pair cannot be typed exactly.
 */
function coercePair(left: Expr, right: Expr, ctx: TranslationContext): [Expr | undefined, Expr | undefined] {
  const lt = typeOf(left, ctx);
  const rt = typeOf(right, ctx);
  if (right.kind === 'literal' && lt && left.kind !== 'literal') {
    const r = coerceLiteral(right, lt);
    return r ? [left, r] : [undefined, undefined];
  }
  if (left.kind === 'literal' && rt && right.kind !== 'literal') {
    const l = coerceLiteral(left, rt);
    return l ? [l, right] : [undefined, undefined];
  }
  return [left, right];
}

const NUMERIC = new Set([
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float32',
  'float64',
  'decimal',
]);

function isFloat(type: ScalarType): boolean {
  return type.id === 'float32' || type.id === 'float64';
}

/** `literal` as a value of `target`, or `undefined` when the conversion is not exact and obvious. */
export function coerceLiteral(literal: LiteralExpr, target: ScalarType): LiteralExpr | undefined {
  const { value, type } = literal;
  if (value === null) return Ex.lit(null, target);
  // A timestamp at midnight against a date column compares as that date (`date + interval '1 month'`).
  if (type.id === 'timestamp' && !type.timezone && target.id === 'date' && typeof value === 'string')
    return /^\d{4}-\d{2}-\d{2} 00:00:00$/.test(value) ? Ex.lit(value.slice(0, 10), target) : undefined;
  // A wall-clock timestamp against an instant (or the reverse) depends on a time zone: kept local.
  if (type.id === 'timestamp' && target.id === 'timestamp' && !type.timezone !== !target.timezone)
    return undefined;
  if (type.id === target.id && type.id !== 'decimal') return literal;
  // A number compared with a number column keeps its own type: the source widens it exactly.
  if (NUMERIC.has(type.id) && NUMERIC.has(target.id)) return literal;
  if (typeof value !== 'string' || type.id !== 'utf8') return type.id === target.id ? literal : undefined;
  const text = value.trim();
  switch (target.id) {
    case 'utf8':
      return literal;
    case 'bool': {
      const t = text.toLowerCase();
      if (['t', 'true', 'yes', 'on', '1', 'y'].includes(t)) return Ex.lit(true, target);
      if (['f', 'false', 'no', 'off', '0', 'n'].includes(t)) return Ex.lit(false, target);
      return undefined;
    }
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return /^[+-]?\d+$/.test(text) ? Ex.lit(BigInt(text), Types.int64) : undefined;
    case 'float32':
    case 'float64':
      return /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+|NaN|Infinity|-Infinity)$/i.test(text)
        ? Ex.lit(Number(text), Types.float64)
        : undefined;
    case 'decimal':
      return /^[+-]?\d+(\.\d+)?$/.test(text) ? decimalLiteral(text) : undefined;
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(text) && validDate(text) ? Ex.lit(text, target) : undefined;
    case 'timestamp': {
      const m =
        /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
          text,
        );
      if (!m || !validDate(m[1]!)) return undefined;
      const time = m[2] ?? '00:00:00';
      const local = `${m[1]} ${time.length === 5 ? `${time}:00` : time}`;
      if (!target.timezone) return m[3] ? undefined : Ex.lit(local, target);
      // With a zone: normalise to UTC; without one, the session time zone (UTC) applies.
      const offset = m[3] && m[3] !== 'Z' ? m[3] : '+00:00';
      const iso = `${local.replace(' ', 'T')}${offset.length === 3 ? `${offset}:00` : offset.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`;
      const ms = Date.parse(iso);
      if (Number.isNaN(ms)) return undefined;
      const micros = local.includes('.') ? local.split('.')[1]!.padEnd(6, '0').slice(3) : '000';
      const utc = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
      return Ex.lit(`${utc}${micros === '000' ? '' : micros}`, target);
    }
    case 'time':
      return /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/.test(text)
        ? Ex.lit(text.length === 5 ? `${text}:00` : text, target)
        : undefined;
    default:
      return undefined;
  }
}

function validDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text);
}

function constant(body: AstNode): Expr | undefined {
  if (body.isnull) return Ex.lit(null, Types.null);
  if (body.ival !== undefined) {
    const v: number = body.ival.ival ?? 0;
    return Ex.lit(v, Types.int32);
  }
  if (body.fval !== undefined) {
    const text: string = body.fval.fval;
    // Integers too large for int4 arrive as fval; PostgreSQL types them bigint, then numeric.
    if (/^-?\d+$/.test(text)) {
      const n = BigInt(text);
      return n >= -(2n ** 63n) && n < 2n ** 63n ? Ex.lit(n, Types.int64) : decimalLiteral(text);
    }
    return /^-?\d*\.?\d+$/.test(text) || /^-?\d+\.\d*$/.test(text)
      ? decimalLiteral(text)
      : Ex.lit(Number(text), Types.float64);
  }
  if (body.boolval !== undefined) return Ex.lit(body.boolval.boolval === true, Types.bool);
  if (body.sval !== undefined) return Ex.lit(body.sval.sval ?? '', Types.utf8);
  return undefined;
}

/** A numeric literal with the precision and scale its digits need. */
function decimalLiteral(text: string): LiteralExpr | undefined {
  let t = text.replace(/^\+/, '');
  if (t.startsWith('.')) t = `0${t}`;
  if (t.startsWith('-.')) t = `-0${t.slice(1)}`;
  if (t.endsWith('.')) t = t.slice(0, -1);
  const digits = t.replace('-', '');
  const [whole, frac = ''] = digits.split('.');
  const scale = frac.length;
  const precision = Math.max(1, whole!.replace(/^0+/, '').length + scale);
  if (precision > 38) return undefined;
  return Ex.lit(t, Types.decimal(Math.max(precision, scale), scale));
}

function negate(literal: LiteralExpr): LiteralExpr | undefined {
  const v = literal.value;
  if (typeof v === 'number') return Ex.lit(-v, literal.type);
  if (typeof v === 'bigint') return Ex.lit(-v, literal.type);
  if (typeof v === 'string' && literal.type.id === 'decimal')
    return Ex.lit(v.startsWith('-') ? v.slice(1) : `-${v}`, literal.type);
  return undefined;
}

/** The IR literal for a parameter value, typed by its JavaScript type. */
export function literalOf(value: ScalarValue): LiteralExpr {
  if (value === null) return Ex.lit(null, Types.null);
  if (typeof value === 'boolean') return Ex.lit(value, Types.bool);
  if (typeof value === 'bigint') return Ex.lit(value, Types.int64);
  if (typeof value === 'number') {
    if (Number.isInteger(value))
      return Number.isSafeInteger(value) ? Ex.lit(BigInt(value), Types.int64) : Ex.lit(value, Types.float64);
    return Ex.lit(value, Types.float64);
  }
  if (value instanceof Uint8Array) return Ex.lit(value, Types.binary);
  if (Array.isArray(value)) return Ex.lit(value, Types.list(Types.float64));
  return Ex.lit(value as string, Types.utf8);
}

/** A query vector from a literal: `'[1,2,3]'` (pgvector's text form) or an array of numbers. */
function vectorLiteral(value: ScalarValue): LiteralExpr | undefined {
  let items: unknown = value;
  if (typeof value === 'string') {
    try {
      items = JSON.parse(value.trim().replace(/^\{(.*)\}$/, '[$1]'));
    } catch {
      return undefined;
    }
  }
  if (
    !Array.isArray(items) ||
    items.length === 0 ||
    items.some((x) => typeof x !== 'number' || !Number.isFinite(x))
  )
    return undefined;
  return Ex.lit(items as number[], Types.list(Types.float32));
}

/** The IR type for a SQL type name (`int4`, `pg_catalog.timestamptz`, `numeric(10,2)`…). */
export function typeFromName(typeName: AstNode | undefined): ScalarType | undefined {
  if (!typeName || typeName.arrayBounds) return undefined;
  const names = (typeName.names as AstNode[]).map((n) => str(n)!);
  const name = names[names.length - 1]!.toLowerCase();
  const mods = ((typeName.typmods ?? []) as AstNode[]).map((m) => m.A_Const?.ival?.ival ?? 0);
  switch (name) {
    case 'bool':
    case 'boolean':
      return Types.bool;
    case 'int2':
    case 'smallint':
      return Types.int16;
    case 'int4':
    case 'int':
    case 'integer':
      return Types.int32;
    case 'int8':
    case 'bigint':
      return Types.int64;
    case 'float4':
    case 'real':
      return Types.float32;
    case 'float8':
    case 'double precision':
      return Types.float64;
    case 'numeric':
    case 'decimal':
      return mods.length ? Types.decimal(mods[0]!, mods[1] ?? 0) : undefined;
    case 'text':
    case 'varchar':
    case 'bpchar':
      return mods.length ? undefined : Types.utf8;
    case 'bytea':
      return Types.binary;
    case 'date':
      return Types.date;
    case 'time':
      return Types.time;
    case 'timestamp':
      return Types.timestamp;
    case 'timestamptz':
      return Types.timestamptz;
    default:
      return undefined;
  }
}
