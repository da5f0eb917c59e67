/**
 * `DATE '1995-09-01' + interval '1 month'` as the constant it is, so a
 * filter such as TPC-H's `l_shipdate < date '…' + interval '3' month` (Q5,
 * Q6, Q10, Q12, Q14, Q20) reaches the source instead of leaving it to read
 * every row past the lower bound. PostgreSQL's rules: the months are added
 * first, the day clamped to the month's end (`2024-01-31 + 1 month` is
 * `2024-02-29`), then the days; the result is a `timestamp` (midnight).
 * Only intervals of years, months, weeks and days fold; any time part, or
 * anything unusual, is left alone.
 */
import { Ex, type Expr, Types } from '@spoke/core';
import type { AstNode } from '../parse/ast.js';

const UNITS: Readonly<Record<string, { months: number; days: number }>> = {
  year: { months: 12, days: 0 },
  mon: { months: 1, days: 0 },
  month: { months: 1, days: 0 },
  week: { months: 0, days: 7 },
  day: { months: 0, days: 1 },
};

/** The timestamp `date op interval` when `date` is a date literal and `interval` an interval constant; else `undefined`. */
export function foldDateInterval(date: Expr | undefined, interval: AstNode, op: string): Expr | undefined {
  if (op !== '+' && op !== '-') return undefined;
  if (date?.kind !== 'literal' || date.type.id !== 'date' || typeof date.value !== 'string') return undefined;
  const text = intervalText(interval);
  const parts = text === undefined ? undefined : intervalParts(text);
  if (!parts) return undefined;
  const sign = op === '-' ? -1 : 1;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const months = year * 12 + month + sign * parts.months;
  const y = Math.floor(months / 12);
  const mo = months - y * 12;
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  const result = new Date(Date.UTC(y, mo, Math.min(day, lastDay)) + sign * parts.days * 86_400_000);
  const iso = result.toISOString().slice(0, 10);
  if (!/^\d{4}-/.test(iso)) return undefined;
  return Ex.lit(`${iso} 00:00:00`, Types.timestamp);
}

/** The text of `interval '…'` or `CAST('…' AS interval)`. */
function intervalText(node: AstNode): string | undefined {
  const cast = node?.TypeCast;
  const names = (cast?.typeName?.names ?? []) as AstNode[];
  if (names.at(-1)?.String?.sval !== 'interval' || cast.typeName.typmods) return undefined;
  const value = cast.arg?.A_Const?.sval?.sval;
  return typeof value === 'string' ? value : undefined;
}

/** `3 months`, `1 year 2 mons`, `-7 days` as months and days; `undefined` for anything else. */
function intervalParts(text: string): { months: number; days: number } | undefined {
  const tokens = text.trim().toLowerCase().split(/\s+/);
  if (tokens.length === 0 || tokens.length % 2 !== 0) return undefined;
  let months = 0;
  let days = 0;
  for (let i = 0; i < tokens.length; i += 2) {
    if (!/^[+-]?\d{1,6}$/.test(tokens[i]!)) return undefined;
    const unit = UNITS[tokens[i + 1]!.replace(/s$/, '')];
    if (!unit) return undefined;
    const n = Number(tokens[i]);
    months += n * unit.months;
    days += n * unit.days;
  }
  return { months, days };
}
