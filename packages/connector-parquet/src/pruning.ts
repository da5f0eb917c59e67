/**
 * Deciding from footer statistics and partition values whether a file or a
 * row group can hold a row that passes a filter. "Can" is conservative: any
 * doubt keeps the data; only a proof prunes it.
 */
import { arrow, type DataType, type Expr, type LiteralExpr } from '@spoke/core';
import type { RowGroup } from 'hyparquet';
import type { ColumnShape } from './parquet-type-mapping.js';

/** What is known about one column over a file or row group. */
export interface ColumnRange {
  readonly min?: unknown;
  readonly max?: unknown;
  readonly nullCount?: number;
  readonly rowCount: number;
  /** Decimal statistics arrive as floating point: equal-looking bounds prove nothing. */
  readonly fuzzy?: boolean;
}

/** Domain values: numbers/bigints for numerics, days for dates, micros (bigint) for timestamps, strings. */
export function literalToDomain(lit: LiteralExpr, type: DataType | undefined): unknown {
  const v = lit.value;
  if (v === null || type === undefined) return v;
  switch (type.typeId) {
    case arrow.Type.Date:
      return typeof v === 'string' ? dateToDays(v) : undefined;
    case arrow.Type.Timestamp:
      return typeof v === 'string' ? timestampToMicros(v) : undefined;
    case arrow.Type.Decimal:
      return typeof v === 'string' || typeof v === 'number' ? Number(v) : undefined;
    case arrow.Type.Int:
    case arrow.Type.Float:
      return typeof v === 'number' || typeof v === 'bigint'
        ? v
        : typeof v === 'string' && v.trim() !== ''
          ? Number(v)
          : undefined;
    case arrow.Type.Utf8:
      return typeof v === 'string' ? v : undefined;
    default:
      return undefined;
  }
}

/** `YYYY-MM-DD` → days since 1970-01-01. */
export function dateToDays(s: string): number | undefined {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
}

/** `YYYY-MM-DD[ T]HH:MM:SS[.ffffff]` (UTC) → microseconds since the epoch. */
export function timestampToMicros(s: string): bigint | undefined {
  const m =
    /^(-?\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(?:Z|\+00(?::?00)?)?$/.exec(
      s.trim(),
    );
  if (!m) return undefined;
  const ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
  return BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0') || '0');
}

const utf8 = new TextEncoder();

/** Compares two domain values: negative, zero, positive, or `undefined` when they are not comparable. */
export function compareDomain(a: unknown, b: unknown): number | undefined {
  if (a === null || a === undefined || b === null || b === undefined) return undefined;
  if (typeof a === 'string' && typeof b === 'string') {
    // Parquet orders strings by their UTF-8 bytes, which JS's UTF-16 order does not always match.
    return Buffer.compare(utf8.encode(a), utf8.encode(b));
  }
  const na = typeof a === 'number' || typeof a === 'bigint';
  const nb = typeof b === 'number' || typeof b === 'bigint';
  if (!na || !nb) return undefined;
  if (typeof a === 'number' && Number.isNaN(a)) return undefined;
  if (typeof b === 'number' && Number.isNaN(b)) return undefined;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** Context for {@link mayMatch}: each column's range and Arrow type. */
export interface PruneContext {
  range(column: string): ColumnRange | undefined;
  type(column: string): DataType | undefined;
}

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=', '<>': '<>' };

/** False only when no row described by `ctx` can make `expr` TRUE. */
export function mayMatch(expr: Expr, ctx: PruneContext): boolean {
  switch (expr.kind) {
    case 'and':
      return expr.args.every((a) => mayMatch(a, ctx));
    case 'or':
      return expr.args.some((a) => mayMatch(a, ctx));
    case 'compare': {
      let { left, right, op } = expr;
      if (left.kind === 'literal' && right.kind === 'column') {
        [left, right] = [right, left];
        op = FLIP[op] as typeof op;
      }
      if (left.kind !== 'column' || right.kind !== 'literal') return true;
      return compareMayMatch(ctx, left.name, op, right);
    }
    case 'between': {
      if (
        expr.negated ||
        expr.expr.kind !== 'column' ||
        expr.low.kind !== 'literal' ||
        expr.high.kind !== 'literal'
      )
        return true;
      return (
        compareMayMatch(ctx, expr.expr.name, '>=', expr.low) &&
        compareMayMatch(ctx, expr.expr.name, '<=', expr.high)
      );
    }
    case 'in': {
      if (expr.negated || expr.expr.kind !== 'column') return true;
      const name = expr.expr.name;
      return expr.list.some((item) => item.kind !== 'literal' || compareMayMatch(ctx, name, '=', item));
    }
    case 'isNull': {
      if (expr.expr.kind !== 'column') return true;
      const r = ctx.range(expr.expr.name);
      if (!r || r.nullCount === undefined) return true;
      return expr.negated ? r.nullCount < r.rowCount : r.nullCount > 0;
    }
    case 'literal':
      return expr.value !== false && expr.value !== null;
    default:
      return true;
  }
}

function compareMayMatch(ctx: PruneContext, column: string, op: string, lit: LiteralExpr): boolean {
  if (lit.value === null) return false; // comparing with NULL is never TRUE
  const r = ctx.range(column);
  if (!r) return true;
  if (r.nullCount !== undefined && r.nullCount >= r.rowCount) return false; // only NULLs
  const value = literalToDomain(lit, ctx.type(column));
  if (value === undefined) return true;
  const fuzzy = r.fuzzy === true;
  const c = (bound: unknown) => compareDomain(bound, value);
  const unsure = (bound: unknown) => fuzzy && near(bound, value);
  const provenGE = (b: unknown) => {
    const x = c(b);
    return x !== undefined && x >= 0 && !unsure(b);
  };
  const provenGT = (b: unknown) => {
    const x = c(b);
    return x !== undefined && x > 0 && !unsure(b);
  };
  const provenLE = (b: unknown) => {
    const x = c(b);
    return x !== undefined && x <= 0 && !unsure(b);
  };
  const provenLT = (b: unknown) => {
    const x = c(b);
    return x !== undefined && x < 0 && !unsure(b);
  };
  switch (op) {
    case '=':
      return !(provenGT(r.min) || provenLT(r.max));
    case '<>':
      return !(provenGE(r.min) && provenLE(r.min) && provenGE(r.max) && provenLE(r.max));
    case '<':
      return !provenGE(r.min);
    case '<=':
      return !provenGT(r.min);
    case '>':
      return !provenLE(r.max);
    case '>=':
      return !provenLT(r.max);
    default:
      return true;
  }
}

function near(a: unknown, b: unknown): boolean {
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * SQL's three-valued evaluation of a filter over constant column values
 * (hive partition values): `true`, `false` or `null`, or `undefined` when
 * the expression uses something this evaluator does not know (then it is
 * not applied exactly).
 */
export function evaluateConstant(
  expr: Expr,
  values: (column: string) => { value: unknown; type: DataType } | undefined,
): boolean | null | undefined {
  const scalar = (e: Expr): { v: unknown } | undefined => {
    if (e.kind === 'literal') return { v: e.value };
    if (e.kind === 'column') {
      const c = values(e.name);
      return c ? { v: c.value } : undefined;
    }
    return undefined;
  };
  const cmp = (l: Expr, r: Expr): number | null | undefined => {
    const a = scalar(l);
    const b = scalar(r);
    if (!a || !b) return undefined;
    if (a.v === null || b.v === null) return null;
    const typeOf = (e: Expr) => (e.kind === 'column' ? values(e.name)?.type : undefined);
    const ta = typeOf(l) ?? typeOf(r);
    const norm = (e: Expr, v: unknown) => (e.kind === 'literal' ? literalToDomain(e, ta) : v);
    const c = compareDomain(norm(l, a.v), norm(r, b.v));
    return c === undefined ? undefined : c;
  };
  switch (expr.kind) {
    case 'literal':
      return typeof expr.value === 'boolean' || expr.value === null ? expr.value : undefined;
    case 'compare': {
      const c = cmp(expr.left, expr.right);
      if (c === undefined || c === null) return c;
      return { '=': c === 0, '<>': c !== 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[expr.op];
    }
    case 'between': {
      const lo = cmp(expr.expr, expr.low);
      const hi = cmp(expr.expr, expr.high);
      if (lo === undefined || hi === undefined) return undefined;
      const r = and3([lo === null ? null : lo >= 0, hi === null ? null : hi <= 0]);
      return expr.negated ? not3(r) : r;
    }
    case 'in': {
      const results = expr.list.map((item) => cmp(expr.expr, item));
      if (results.some((r) => r === undefined)) return undefined;
      const r = or3(results.map((c) => (c === null ? null : c === 0)));
      return expr.negated ? not3(r) : r;
    }
    case 'isNull': {
      const s = scalar(expr.expr);
      if (!s) return undefined;
      return expr.negated ? s.v !== null : s.v === null;
    }
    case 'and': {
      const parts = expr.args.map((a) => evaluateConstant(a, values));
      return parts.includes(undefined) ? undefined : and3(parts as (boolean | null)[]);
    }
    case 'or': {
      const parts = expr.args.map((a) => evaluateConstant(a, values));
      return parts.includes(undefined) ? undefined : or3(parts as (boolean | null)[]);
    }
    case 'not': {
      const r = evaluateConstant(expr.arg, values);
      return r === undefined ? undefined : not3(r);
    }
    default:
      return undefined;
  }
}

function and3(parts: (boolean | null)[]): boolean | null {
  if (parts.includes(false)) return false;
  return parts.includes(null) ? null : true;
}
function or3(parts: (boolean | null)[]): boolean | null {
  if (parts.includes(true)) return true;
  return parts.includes(null) ? null : false;
}
function not3(v: boolean | null): boolean | null {
  return v === null ? null : !v;
}

/** Statistics of one top-level leaf column in one row group, in the pruning domain. */
export function chunkRange(
  rg: RowGroup,
  column: string,
  shape: ColumnShape | undefined,
): ColumnRange | undefined {
  if (!shape || shape.children.length > 0 || shape.leaf === 'json-text') return undefined;
  const chunk = rg.columns.find(
    (c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === column,
  );
  const md = chunk?.meta_data;
  if (!md) return undefined;
  const st = md.statistics;
  const rowCount = Number(rg.num_rows);
  const nullCount = st?.null_count === undefined ? undefined : Number(st.null_count);
  if (!st) return { rowCount };
  // The old min/max fields used signed byte order for strings: trust them only for other types.
  const legacyOk = md.type !== 'BYTE_ARRAY' && md.type !== 'FIXED_LEN_BYTE_ARRAY';
  let min: unknown = st.min_value ?? (legacyOk ? st.min : undefined);
  let max: unknown = st.max_value ?? (legacyOk ? st.max : undefined);
  if (shape.leaf === 'binary' || shape.leaf === 'bool' || md.type === 'FIXED_LEN_BYTE_ARRAY') {
    min = undefined;
    max = undefined;
  }
  if (typeof min === 'number' && Number.isNaN(min)) min = undefined;
  if (typeof max === 'number' && Number.isNaN(max)) max = undefined;
  return {
    rowCount,
    ...(nullCount !== undefined ? { nullCount } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(shape.leaf === 'decimal' ? { fuzzy: true } : {}),
  };
}
