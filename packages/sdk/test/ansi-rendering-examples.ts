/**
 * The standard (ANSI) rendering of each expression node, as the sdk README
 * documents it: one row per example, rendered by an `AnsiDialect` that
 * inlines its literals. `ansi-rendering.test.ts` checks the README's table
 * is exactly this.
 */
import { Ex, type Expr, Types } from '@spoke/core';
import { AnsiDialect } from '../src/sql/ansi-dialect.js';

/** An AnsiDialect with no placeholders, so the rendered text shows each literal. */
export class InlineAnsiDialect extends AnsiDialect {
  readonly name = 'ansi';
  placeholder(): string | undefined {
    return undefined;
  }
}

const c = Ex.col;
const lit = Ex.lit;

/** [node, example IR in words, the IR] — the README's table rows. */
export const ANSI_EXAMPLES: readonly (readonly [string, string, Expr])[] = [
  ['column', 'column `a"b`', c('a"b')],
  ['literal int32', '42 (int32)', lit(42, Types.int32)],
  ['literal int64', '42 (int64)', lit(42n, Types.int64)],
  ['literal float64', '0.5 (float64)', lit(0.5, Types.float64)],
  ['literal float64', 'NaN (float64)', lit(Number.NaN, Types.float64)],
  ['literal decimal', "'12.50' (decimal(10,2))", lit('12.50', Types.decimal(10, 2))],
  ['literal utf8', "`it's`", lit("it's", Types.utf8)],
  ['literal bool', 'true', lit(true, Types.bool)],
  ['literal date', "'2024-01-02' (date)", lit('2024-01-02', Types.date)],
  ['literal timestamp', "'2024-01-02 03:04:05'", lit('2024-01-02 03:04:05', Types.timestamp)],
  ['literal timestamptz', "'2024-01-02 03:04:05' (UTC)", lit('2024-01-02 03:04:05', Types.timestamptz)],
  ['literal binary', 'bytes 0xDEAD', lit(new Uint8Array([0xde, 0xad]), Types.binary)],
  ['literal NULL', 'NULL (int32)', lit(null, Types.int32)],
  ['compare', 'a = 1', Ex.cmp('=', c('a'), lit(1, Types.int32))],
  ['and / or / not', 'a AND NOT b', Ex.and(c('a'), Ex.not(c('b')))],
  ['in', 'a IN (1, 2)', Ex.in(c('a'), [lit(1, Types.int32), lit(2, Types.int32)])],
  ['in (empty)', 'a IN ()', Ex.in(c('a'), [])],
  ['between', 'a BETWEEN 1 AND 2', Ex.between(c('a'), lit(1, Types.int32), lit(2, Types.int32))],
  ['like', "a LIKE 'x%'", Ex.like(c('a'), lit('x%', Types.utf8))],
  ['ilike', "a ILIKE 'x%' (no ILIKE)", Ex.like(c('a'), lit('x%', Types.utf8), true)],
  ['isNull', 'a IS NOT NULL', Ex.isNull(c('a'), true)],
  ['arithmetic', 'a / 2', Ex.arith('/', c('a'), lit(2, Types.int32))],
  ['cast', 'CAST(a AS date)', Ex.cast(c('a'), Types.date)],
  ['cast', 'CAST(a AS decimal(12,2))', Ex.cast(c('a'), Types.decimal(12, 2))],
  ['cast', 'CAST(a AS utf8)', Ex.cast(c('a'), Types.utf8)],
  ['function', 'starts_with(a, b)', Ex.fn('starts_with', c('a'), c('b'))],
  ['function', 'upper(a)', Ex.fn('upper', c('a'))],
];
