import { Ex, type Expr, type ScalarType, type ScalarValue, type SortKey, Types } from '@spoke/core';
import { FIXTURE_TABLE } from './fixture.js';

/** The scan a case sends: what `ScanRequest` carries apart from the signal and context. */
export interface CaseRequest {
  readonly projection: readonly string[];
  readonly filters: readonly Expr[];
  readonly limit?: number;
  readonly orderBy?: readonly SortKey[];
}

interface CaseBase {
  /** Stable id, e.g. `filter.like.escaped-percent`; the test's name. */
  readonly id: string;
  readonly description: string;
}

/** Schema discovery: listSchemas, listTables, getTable (and a missing table). */
export interface CatalogCase extends CaseBase {
  readonly kind: 'catalog';
}

/** The table's Arrow schema: the fixture's column names, in order, with Spoke's types. */
export interface SchemaCase extends CaseBase {
  readonly kind: 'schema';
}

/**
 * A scan whose rows must equal `expectedSql`'s on the reference, as
 * multisets. `filter` cases first ask `supportsFilters`: an exact answer
 * must give equal rows, an inexact one a superset.
 */
export interface RowsCase extends CaseBase {
  readonly kind: 'scan' | 'filter';
  readonly request: CaseRequest;
  /** DuckDB SQL over `spoke_conformance` for the expected rows; rendered from `request` when absent. */
  readonly expectedSql?: string;
}

/**
 * A scan with a limit: exactly `min(limit, n)` rows, each one of the rows
 * the same request without the limit returns (`expectedSql`).
 */
export interface LimitCase extends CaseBase {
  readonly kind: 'limit';
  readonly request: CaseRequest & { readonly limit: number };
  readonly expectedSql?: string;
}

/** Top-N: `orderBy` + `limit`, compared in order (every case ends its keys with the unique `id`). */
export interface TopNCase extends CaseBase {
  readonly kind: 'topN';
  readonly request: CaseRequest & { readonly limit: number; readonly orderBy: readonly SortKey[] };
  readonly expectedSql?: string;
}

/** Cancellation and early termination. */
export interface AbortCase extends CaseBase {
  readonly kind: 'abort';
  readonly mode: 'pre-aborted' | 'during-iteration' | 'early-return';
}

/** `statistics()`: when it reports a row count or null counts, they must be right. */
export interface StatisticsCase extends CaseBase {
  readonly kind: 'statistics';
}

/** One conformance case: plain data, independent of any test runner. */
export type ConformanceCase =
  | CatalogCase
  | SchemaCase
  | RowsCase
  | LimitCase
  | TopNCase
  | AbortCase
  | StatisticsCase;

const col = Ex.col;
const lit = Ex.lit;
const i16 = (v: number) => lit(v, Types.int16);
const i32 = (v: number) => lit(v, Types.int32);
const i64 = (v: bigint) => lit(v, Types.int64);
const f64 = (v: number) => lit(v, Types.float64);
const dec = (v: string, p: number, s: number) => lit(v, Types.decimal(p, s));
const txt = (v: string) => lit(v, Types.utf8);
const date = (v: string) => lit(v, Types.date);
const ts = (v: string) => lit(v, Types.timestamp);
const tstz = (v: string) => lit(v, Types.timestamptz);
const bin = (...b: number[]) => lit(new Uint8Array(b), Types.binary);
const nul = (type: ScalarType) => lit(null as ScalarValue, type);
const q = (name: string) => `"${name}"`;
const T = FIXTURE_TABLE;

/** The columns an expression reads, in first-seen order. */
function columnsIn(expr: Expr, out: string[] = []): string[] {
  if (expr.kind === 'column') {
    if (!out.includes(expr.name)) out.push(expr.name);
    return out;
  }
  const children: Expr[] = [];
  switch (expr.kind) {
    case 'literal':
      break;
    case 'compare':
    case 'arithmetic':
      children.push(expr.left, expr.right);
      break;
    case 'and':
    case 'or':
    case 'function':
      children.push(...expr.args);
      break;
    case 'not':
      children.push(expr.arg);
      break;
    case 'in':
      children.push(expr.expr, ...expr.list);
      break;
    case 'between':
      children.push(expr.expr, expr.low, expr.high);
      break;
    case 'like':
      children.push(expr.expr, expr.pattern);
      break;
    case 'isNull':
    case 'cast':
      children.push(expr.expr);
      break;
  }
  for (const c of children) columnsIn(c, out);
  return out;
}

/** A filter case: `where` is hand-written DuckDB SQL meaning the same as `filter`, an oracle independent of the renderer. */
function filterCase(
  id: string,
  description: string,
  filter: Expr,
  where: string,
  projection?: string[],
): RowsCase {
  const cols = projection ?? ['id', ...columnsIn(filter).filter((c) => c !== 'id')];
  return {
    id: `filter.${id}`,
    kind: 'filter',
    description,
    request: { projection: cols, filters: [filter] },
    expectedSql: `SELECT ${cols.length ? cols.map(q).join(', ') : '1'} FROM ${T} WHERE ${where}`,
  };
}

const ALL_COLUMNS = [
  'id',
  'c_int16',
  'c_int32',
  'c_int64',
  'c_float64',
  'c_decimal18',
  'c_decimal38',
  'c_text',
  'c_bool',
  'c_date',
  'c_timestamp',
  'c_timestamptz',
  'c_binary',
];

const COMPARE_OPS = [
  ['eq', '='],
  ['ne', '<>'],
  ['lt', '<'],
  ['le', '<='],
  ['gt', '>'],
  ['ge', '>='],
] as const;

const FILTER_CASES: RowsCase[] = [
  // Comparisons, every operator on one column and `=` on every type.
  ...COMPARE_OPS.map(([name, op]) =>
    filterCase(
      `compare.int32.${name}`,
      `c_int32 ${op} 1000`,
      Ex.cmp(op, col('c_int32'), i32(1000)),
      `c_int32 ${op} 1000`,
    ),
  ),
  filterCase(
    'compare.int16.min',
    'smallest int16',
    Ex.cmp('=', col('c_int16'), i16(-32768)),
    'c_int16 = -32768',
  ),
  filterCase(
    'compare.int64.max',
    'largest int64',
    Ex.cmp('=', col('c_int64'), i64(9223372036854775807n)),
    'c_int64 = 9223372036854775807',
  ),
  filterCase(
    'compare.int64.large-negative',
    'int64 below -2^62',
    Ex.cmp('<', col('c_int64'), i64(-4611686018427387904n)),
    'c_int64 < -4611686018427387904',
  ),
  filterCase(
    'compare.int64.beyond-2^53',
    'an int64 a double cannot hold (binding through a JS number would lose it)',
    Ex.cmp('=', col('c_int64'), i64(9007199254740993n)),
    'c_int64 = 9007199254740993',
  ),
  filterCase(
    'compare.float64.gt',
    'float64 greater than',
    Ex.cmp('>', col('c_float64'), f64(12.5)),
    'c_float64 > 12.5',
  ),
  filterCase(
    'compare.float64.eq-inexact-decimal',
    'float64 equal to 0.1',
    Ex.cmp('=', col('c_float64'), f64(0.1)),
    'c_float64 = 0.1::DOUBLE',
  ),
  filterCase(
    'compare.float64.huge',
    'float64 1e300',
    Ex.cmp('>=', col('c_float64'), f64(1e300)),
    'c_float64 >= 1e300',
  ),
  filterCase(
    'compare.decimal18.eq',
    'decimal(18,4) equality',
    Ex.cmp('=', col('c_decimal18'), dec('12345.6789', 18, 4)),
    'c_decimal18 = 12345.6789',
  ),
  filterCase(
    'compare.decimal18.lt-negative',
    'decimal(18,4) below a small negative',
    Ex.cmp('<', col('c_decimal18'), dec('-0.0001', 18, 4)),
    'c_decimal18 < -0.0001',
  ),
  filterCase(
    'compare.decimal38.eq-min',
    'the smallest decimal(38,10)',
    Ex.cmp('=', col('c_decimal38'), dec('-9999999999999999999999999999.9999999999', 38, 10)),
    "c_decimal38 = '-9999999999999999999999999999.9999999999'::DECIMAL(38,10)",
  ),
  filterCase(
    'compare.decimal38.ge-tiny',
    'decimal(38,10) at least 1e-10',
    Ex.cmp('>=', col('c_decimal38'), dec('0.0000000001', 38, 10)),
    "c_decimal38 >= '0.0000000001'::DECIMAL(38,10)",
  ),
  filterCase(
    'compare.text.single-quote',
    'text with a single quote',
    Ex.cmp('=', col('c_text'), txt("it's")),
    "c_text = 'it''s'",
  ),
  filterCase(
    'compare.text.double-quote',
    'text with double quotes',
    Ex.cmp('=', col('c_text'), txt('say "hi"')),
    `c_text = 'say "hi"'`,
  ),
  filterCase(
    'compare.text.backslash',
    'text with a backslash',
    Ex.cmp('=', col('c_text'), txt('back\\slash')),
    "c_text = 'back\\slash'",
  ),
  filterCase(
    'compare.text.emoji',
    'text with an emoji',
    Ex.cmp('=', col('c_text'), txt('emoji 😀 ok')),
    "c_text = 'emoji 😀 ok'",
  ),
  filterCase(
    'compare.text.unicode',
    'text with accents',
    Ex.cmp('=', col('c_text'), txt('naïve café')),
    "c_text = 'naïve café'",
  ),
  filterCase(
    'compare.text.empty',
    'the empty string (not NULL)',
    Ex.cmp('=', col('c_text'), txt('')),
    "c_text = ''",
  ),
  filterCase(
    'compare.text.comment-like',
    'text that looks like SQL',
    Ex.cmp('=', col('c_text'), txt('semi;colon -- not a comment')),
    "c_text = 'semi;colon -- not a comment'",
  ),
  filterCase(
    'compare.text.dollars',
    'text with $$',
    Ex.cmp('=', col('c_text'), txt('$$dollar$$')),
    "c_text = '$$dollar$$'",
  ),
  filterCase(
    'compare.text.newline',
    'text with a newline',
    Ex.cmp('=', col('c_text'), txt('line\nbreak')),
    "c_text = 'line' || chr(10) || 'break'",
  ),
  filterCase(
    'compare.text.lt',
    'text ordering is by code point (binary collation)',
    Ex.cmp('<', col('c_text'), txt('bat')),
    "c_text < 'bat'",
  ),
  filterCase(
    'compare.bool.eq',
    'boolean equality',
    Ex.cmp('=', col('c_bool'), lit(true, Types.bool)),
    'c_bool = true',
  ),
  filterCase('compare.bool.bare-column', 'a boolean column as the whole filter', col('c_bool'), 'c_bool'),
  filterCase(
    'compare.date.ge',
    'dates from 2000',
    Ex.cmp('>=', col('c_date'), date('2000-01-01')),
    "c_date >= DATE '2000-01-01'",
  ),
  filterCase(
    'compare.date.leap-day',
    'a leap day',
    Ex.cmp('=', col('c_date'), date('2024-02-29')),
    "c_date = DATE '2024-02-29'",
  ),
  filterCase(
    'compare.timestamp.lt',
    'timestamps before 2000',
    Ex.cmp('<', col('c_timestamp'), ts('2000-01-01 00:00:00')),
    "c_timestamp < TIMESTAMP '2000-01-01 00:00:00'",
  ),
  filterCase(
    'compare.timestamp.micros',
    'timestamp equality to the microsecond',
    Ex.cmp('=', col('c_timestamp'), ts('2024-02-29 12:34:56.789012')),
    "c_timestamp = TIMESTAMP '2024-02-29 12:34:56.789012'",
  ),
  filterCase(
    'compare.timestamptz.ge',
    'instants from 2020-06-01 12:00 UTC',
    Ex.cmp('>=', col('c_timestamptz'), tstz('2020-06-01 12:00:00')),
    "c_timestamptz >= TIMESTAMPTZ '2020-06-01 12:00:00+00'",
  ),
  filterCase(
    'compare.timestamptz.near-midnight',
    'an instant 30 minutes before midnight UTC (a wrong session time zone moves it)',
    Ex.cmp('=', col('c_timestamptz'), tstz('2024-02-29 23:30:00.000001')),
    "c_timestamptz = TIMESTAMPTZ '2024-02-29 23:30:00.000001+00'",
  ),
  filterCase(
    'compare.binary.eq',
    'bytes 00 ff',
    Ex.cmp('=', col('c_binary'), bin(0, 0xff)),
    "c_binary = from_hex('00ff')",
  ),
  filterCase(
    'compare.binary.empty',
    'zero bytes (not NULL)',
    Ex.cmp('=', col('c_binary'), bin()),
    "c_binary = ''::BLOB",
  ),
  filterCase(
    'compare.column-column',
    'two columns compared',
    Ex.cmp('<', col('c_int16'), col('c_int32')),
    'c_int16 < c_int32',
  ),
  filterCase(
    'compare.null-literal',
    '= NULL matches nothing',
    Ex.cmp('=', col('c_int32'), nul(Types.int32)),
    'c_int32 = NULL',
  ),

  // AND / OR / NOT with three-valued logic.
  filterCase(
    'logic.and',
    'AND',
    Ex.and(Ex.cmp('>', col('c_int32'), i32(0)), Ex.cmp('=', col('c_bool'), lit(true, Types.bool))),
    'c_int32 > 0 AND c_bool = true',
  ),
  filterCase(
    'logic.or',
    'OR',
    Ex.or(Ex.cmp('<', col('c_int32'), i32(-1000)), Ex.cmp('=', col('c_text'), txt(''))),
    "c_int32 < -1000 OR c_text = ''",
  ),
  filterCase(
    'logic.or-null',
    'OR where one side is NULL',
    Ex.or(col('c_bool'), Ex.cmp('>', col('c_int32'), i32(1000))),
    'c_bool OR c_int32 > 1000',
  ),
  filterCase(
    'logic.not',
    'NOT drops NULL rows',
    Ex.not(Ex.cmp('>', col('c_int32'), i32(0))),
    'NOT (c_int32 > 0)',
  ),
  filterCase(
    'logic.not-and-null',
    'NOT over AND with NULLs',
    Ex.not(Ex.and(col('c_bool'), Ex.cmp('>', col('c_int16'), i16(0)))),
    'NOT (c_bool AND c_int16 > 0)',
  ),
  filterCase(
    'logic.nested',
    '(a OR b) AND NOT c',
    Ex.and(
      Ex.or(Ex.cmp('<', col('c_int16'), i16(0)), Ex.cmp('>', col('c_float64'), f64(100))),
      Ex.not(Ex.cmp('=', col('c_bool'), lit(false, Types.bool))),
    ),
    '(c_int16 < 0 OR c_float64 > 100) AND NOT (c_bool = false)',
  ),

  // IN / NOT IN.
  filterCase(
    'in.int32',
    'IN a list',
    Ex.in(col('c_int32'), [i32(42), i32(-42), i32(1000), i32(7)]),
    'c_int32 IN (42, -42, 1000, 7)',
  ),
  filterCase(
    'in.not-int32',
    'NOT IN a list',
    Ex.in(col('c_int32'), [i32(42), i32(-42), i32(1000), i32(7)], true),
    'c_int32 NOT IN (42, -42, 1000, 7)',
  ),
  filterCase(
    'in.with-null',
    'IN a list holding NULL',
    Ex.in(col('c_int32'), [i32(42), nul(Types.int32)]),
    'c_int32 IN (42, NULL)',
  ),
  filterCase(
    'in.not-with-null',
    'NOT IN a list holding NULL matches nothing',
    Ex.in(col('c_int32'), [i32(42), nul(Types.int32)], true),
    'c_int32 NOT IN (42, NULL)',
  ),
  filterCase(
    'in.text',
    'IN awkward strings',
    Ex.in(col('c_text'), [txt("it's"), txt(''), txt('emoji 😀 ok'), txt('back\\slash')]),
    "c_text IN ('it''s', '', 'emoji 😀 ok', 'back\\slash')",
  ),
  filterCase(
    'in.date',
    'IN dates',
    Ex.in(col('c_date'), [date('2024-02-29'), date('1900-01-01')]),
    "c_date IN (DATE '2024-02-29', DATE '1900-01-01')",
  ),
  filterCase(
    'in.decimal38',
    'IN decimal(38,10)',
    Ex.in(col('c_decimal38'), [dec('1.5', 38, 10), dec('0.0000000001', 38, 10)]),
    "c_decimal38 IN ('1.5'::DECIMAL(38,10), '0.0000000001'::DECIMAL(38,10))",
  ),

  // BETWEEN (inclusive, not symmetric).
  filterCase(
    'between.int64',
    'BETWEEN on int64',
    Ex.between(col('c_int64'), i64(-1_000_000_000_000n), i64(1_000_000_000_000n)),
    'c_int64 BETWEEN -1000000000000 AND 1000000000000',
  ),
  filterCase(
    'between.not-decimal18',
    'NOT BETWEEN on decimal(18,4)',
    Ex.between(col('c_decimal18'), dec('-100', 18, 4), dec('100', 18, 4), true),
    'c_decimal18 NOT BETWEEN -100 AND 100',
  ),
  filterCase(
    'between.date',
    'BETWEEN dates, bounds included',
    Ex.between(col('c_date'), date('1969-12-31'), date('2000-01-01')),
    "c_date BETWEEN DATE '1969-12-31' AND DATE '2000-01-01'",
  ),
  filterCase(
    'between.timestamptz',
    'BETWEEN instants',
    Ex.between(col('c_timestamptz'), tstz('1969-12-31 23:59:59.999999'), tstz('2020-06-01 12:00:00')),
    "c_timestamptz BETWEEN TIMESTAMPTZ '1969-12-31 23:59:59.999999+00' AND TIMESTAMPTZ '2020-06-01 12:00:00+00'",
  ),
  filterCase(
    'between.reversed',
    'BETWEEN with low > high matches nothing',
    Ex.between(col('c_int32'), i32(100), i32(-100)),
    'c_int32 BETWEEN 100 AND -100',
  ),

  // LIKE / ILIKE with `\` escapes.
  filterCase(
    'compare.text.non-ascii-gt',
    "c_text > 'z' in code point order: 'über…', 'ÄRGER', 'İstanbul', '日本語…' are greater, 'zeta…' too",
    Ex.cmp('>', col('c_text'), txt('z')),
    "c_text > 'z'",
  ),
  filterCase('like.prefix', "LIKE 'hello%'", Ex.like(col('c_text'), txt('hello%')), "c_text LIKE 'hello%'"),
  filterCase('like.underscore', "LIKE 'b_t'", Ex.like(col('c_text'), txt('b_t')), "c_text LIKE 'b_t'"),
  filterCase(
    'like.escaped-percent',
    'a literal % in the pattern',
    Ex.like(col('c_text'), txt('%100\\%%')),
    "c_text LIKE '%100\\%%' ESCAPE '\\'",
  ),
  filterCase(
    'like.escaped-underscore',
    'a literal _ in the pattern (must not match underXscore)',
    Ex.like(col('c_text'), txt('under\\_score')),
    "c_text LIKE 'under\\_score' ESCAPE '\\'",
  ),
  filterCase(
    'like.escaped-backslash',
    'a literal backslash in the pattern',
    Ex.like(col('c_text'), txt('back\\\\slash')),
    "c_text LIKE 'back\\\\slash' ESCAPE '\\'",
  ),
  filterCase('like.emoji', 'LIKE around an emoji', Ex.like(col('c_text'), txt('%😀%')), "c_text LIKE '%😀%'"),
  filterCase(
    'like.not',
    'NOT LIKE',
    Ex.like(col('c_text'), txt('%o%'), false, true),
    "c_text NOT LIKE '%o%'",
  ),
  filterCase('like.ilike', 'ILIKE', Ex.like(col('c_text'), txt('hello%'), true), "c_text ILIKE 'hello%'"),
  filterCase(
    'like.ilike.non-ascii',
    "ILIKE folding a non-ASCII letter ('ÄRGER' ILIKE 'ärger')",
    Ex.like(col('c_text'), txt('ärger'), true),
    "c_text ILIKE 'ärger'",
  ),
  filterCase(
    'like.not-ilike',
    'NOT ILIKE',
    Ex.like(col('c_text'), txt('%WORLD%'), true, true),
    "c_text NOT ILIKE '%WORLD%'",
  ),

  // IS [NOT] NULL on every column.
  ...ALL_COLUMNS.filter((c) => c !== 'id').map((c) =>
    filterCase(`is-null.${c}`, `${c} IS NULL`, Ex.isNull(col(c)), `${q(c)} IS NULL`, ['id']),
  ),
  filterCase(
    'is-not-null.c_text',
    'c_text IS NOT NULL',
    Ex.isNull(col('c_text'), true),
    'c_text IS NOT NULL',
  ),
  filterCase(
    'is-not-null.c_binary',
    'c_binary IS NOT NULL',
    Ex.isNull(col('c_binary'), true),
    'c_binary IS NOT NULL',
  ),

  // Arithmetic. Operands stay clear of overflow, which sources report differently.
  filterCase(
    'arithmetic.add',
    'c_int16 + 1 > 300',
    Ex.cmp('>', Ex.arith('+', col('c_int16'), i32(1)), i32(300)),
    'c_int16 + 1::INTEGER > 300',
  ),
  filterCase(
    'arithmetic.subtract-columns',
    'c_int32 - c_int16 < 0',
    Ex.cmp('<', Ex.arith('-', col('c_int32'), col('c_int16')), i32(0)),
    'c_int32 - c_int16 < 0',
  ),
  filterCase(
    'arithmetic.multiply',
    'c_int16 * 3 > 1000',
    Ex.cmp('>', Ex.arith('*', col('c_int16'), i32(3)), i32(1000)),
    'c_int16 * 3::INTEGER > 1000',
  ),
  filterCase(
    'arithmetic.integer-division',
    'integer / truncates toward zero (-27 / 7 = -3)',
    Ex.cmp('=', Ex.arith('/', col('c_int32'), i32(7)), i32(-3)),
    'CAST(trunc(c_int32::DOUBLE / 7) AS INTEGER) = -3',
  ),
  filterCase(
    'arithmetic.modulo',
    '% keeps the dividend sign (-7 % 5 = -2)',
    Ex.cmp('=', Ex.arith('%', col('c_int32'), i32(5)), i32(-2)),
    'c_int32 % 5 = -2',
  ),
  filterCase(
    'arithmetic.decimal',
    // Widened first: DuckDB keeps decimal(18,4) + decimal at 18 digits and
    // overflows at the fixture's extremes, where PostgreSQL's numeric does not.
    'decimal addition',
    Ex.cmp(
      '>',
      Ex.arith('+', Ex.cast(col('c_decimal18'), Types.decimal(38, 4)), dec('0.5', 38, 4)),
      dec('3', 38, 4),
    ),
    'c_decimal18::DECIMAL(38,4) + 0.5 > 3',
  ),
  filterCase(
    'arithmetic.float-division',
    'float division',
    Ex.cmp('<', Ex.arith('/', col('c_float64'), f64(2)), f64(-100)),
    'c_float64 / 2.0 < -100',
  ),
  filterCase(
    'arithmetic.negate',
    'unary minus as 0 - x',
    Ex.cmp('>', Ex.arith('-', i32(0), col('c_int16')), i32(500)),
    '0 - c_int16 > 500',
  ),
  filterCase(
    'arithmetic.null',
    'x + NULL is NULL',
    Ex.isNull(Ex.arith('+', col('c_int32'), nul(Types.int32))),
    'c_int32 + NULL IS NULL',
  ),

  // CAST.
  filterCase(
    'cast.int-to-text',
    'CAST(int AS text)',
    Ex.cmp('=', Ex.cast(col('c_int32'), Types.utf8), txt('42')),
    "CAST(c_int32 AS VARCHAR) = '42'",
  ),
  filterCase(
    'cast.widen',
    'CAST(int16 AS int64)',
    Ex.cmp('>', Ex.cast(col('c_int16'), Types.int64), i64(100n)),
    'CAST(c_int16 AS BIGINT) > 100',
  ),
  filterCase(
    'cast.to-double',
    'CAST(int AS float64)',
    Ex.cmp('>', Ex.cast(col('c_int32'), Types.float64), f64(0.5)),
    'CAST(c_int32 AS DOUBLE) > 0.5',
  ),
  filterCase(
    'cast.decimal-to-int64',
    'CAST(decimal AS int64) rounds half away from zero',
    Ex.cmp('=', Ex.cast(col('c_decimal18'), Types.int64), i64(3n)),
    'CAST(c_decimal18 AS BIGINT) = 3',
  ),
  filterCase(
    'cast.timestamp-to-date',
    'CAST(timestamp AS date)',
    Ex.cmp('=', Ex.cast(col('c_timestamp'), Types.date), date('2024-02-29')),
    "CAST(c_timestamp AS DATE) = DATE '2024-02-29'",
  ),
  filterCase(
    'cast.timestamptz-to-date',
    'CAST(instant AS date) is the UTC date',
    Ex.cmp('=', Ex.cast(col('c_timestamptz'), Types.date), date('2024-02-29')),
    "CAST(c_timestamptz AT TIME ZONE 'UTC' AS DATE) = DATE '2024-02-29'",
  ),
  filterCase(
    'cast.date-to-text',
    'CAST(date AS text) is ISO',
    Ex.like(Ex.cast(col('c_date'), Types.utf8), txt('2024-%')),
    "strftime(c_date, '%Y-%m-%d') LIKE '2024-%'",
  ),

  // Every scalar function.
  filterCase(
    'function.lower',
    'lower()',
    Ex.cmp('=', Ex.fn('lower', col('c_text')), txt('hello world')),
    "lower(c_text) = 'hello world'",
  ),
  filterCase(
    'function.upper',
    'upper()',
    Ex.cmp('=', Ex.fn('upper', col('c_text')), txt('HELLO WORLD')),
    "upper(c_text) = 'HELLO WORLD'",
  ),
  filterCase(
    'function.upper.non-ascii',
    "upper() of non-ASCII letters ('naïve café' → 'NAÏVE CAFÉ', not 'NAïVE CAFé')",
    Ex.cmp('=', Ex.fn('upper', col('c_text')), txt('NAÏVE CAFÉ')),
    "upper(c_text) = 'NAÏVE CAFÉ'",
  ),
  filterCase(
    'function.lower.non-ascii',
    "lower() of non-ASCII letters ('ÄRGER' → 'ärger')",
    Ex.cmp('=', Ex.fn('lower', col('c_text')), txt('ärger')),
    "lower(c_text) = 'ärger'",
  ),
  filterCase(
    'function.lower.dotted-capital-i',
    "lower('İstanbul') is 'istanbul' (one character per letter, as Spoke's engine maps it)",
    Ex.cmp('=', Ex.fn('lower', col('c_text')), txt('istanbul')),
    "lower(c_text) = 'istanbul'",
  ),
  filterCase(
    'function.upper.sharp-s',
    "upper('Straße') is not 'STRASSE' (Spoke's engine maps letter by letter)",
    Ex.cmp('=', Ex.fn('upper', col('c_text')), txt('STRASSE')),
    "upper(c_text) = 'STRASSE'",
  ),
  filterCase(
    'function.length',
    'length() counts characters, not bytes',
    Ex.cmp('=', Ex.fn('length', col('c_text')), i64(10n)),
    'length(c_text) = 10',
  ),
  filterCase(
    'function.trim',
    'trim()',
    Ex.cmp('=', Ex.fn('trim', col('c_text')), txt('padded')),
    "trim(c_text) = 'padded'",
  ),
  filterCase(
    'function.ltrim',
    'ltrim()',
    Ex.cmp('=', Ex.fn('ltrim', col('c_text')), txt('padded  ')),
    "ltrim(c_text) = 'padded  '",
  ),
  filterCase(
    'function.rtrim',
    'rtrim()',
    Ex.cmp('=', Ex.fn('rtrim', col('c_text')), txt('  padded')),
    "rtrim(c_text) = '  padded'",
  ),
  filterCase(
    'function.substring',
    'substring(x, from, count)',
    Ex.cmp('=', Ex.fn('substring', col('c_text'), i32(1), i32(5)), txt('hello')),
    "substring(c_text, 1, 5) = 'hello'",
  ),
  filterCase(
    'function.substring-from',
    'substring(x, from)',
    Ex.cmp('=', Ex.fn('substring', col('c_text'), i32(7)), txt('world')),
    "substring(c_text, 7) = 'world'",
  ),
  filterCase(
    'function.concat',
    'concat()',
    Ex.cmp('=', Ex.fn('concat', col('c_text'), txt('!')), txt("it's!")),
    "concat(c_text, '!') = 'it''s!'",
  ),
  filterCase(
    'function.concat-null',
    'concat() skips NULL arguments',
    Ex.cmp('=', Ex.fn('concat', col('c_text'), txt('x')), txt('x')),
    "concat(c_text, 'x') = 'x'",
  ),
  filterCase(
    'function.replace',
    'replace()',
    Ex.cmp('=', Ex.fn('replace', col('c_text'), txt('o'), txt('0')), txt('hell0 w0rld')),
    "replace(c_text, 'o', '0') = 'hell0 w0rld'",
  ),
  filterCase(
    'function.starts_with',
    'starts_with()',
    Ex.fn('starts_with', col('c_text'), txt('hel')),
    "starts_with(c_text, 'hel')",
  ),
  filterCase(
    'function.abs',
    'abs()',
    Ex.cmp('=', Ex.fn('abs', col('c_float64')), f64(2.5)),
    'abs(c_float64) = 2.5',
  ),
  filterCase(
    'function.abs-decimal',
    'abs() on decimal',
    Ex.cmp('=', Ex.fn('abs', col('c_decimal18')), dec('2.5', 18, 4)),
    'abs(c_decimal18) = 2.5',
  ),
  filterCase(
    'function.ceil',
    'ceil()',
    Ex.cmp('=', Ex.fn('ceil', col('c_float64')), f64(3)),
    'ceil(c_float64) = 3',
  ),
  filterCase(
    'function.floor',
    'floor() on decimal',
    Ex.cmp('=', Ex.fn('floor', col('c_decimal18')), dec('-3', 18, 4)),
    'floor(c_decimal18) = -3',
  ),
  filterCase(
    'function.round',
    'round() half away from zero',
    Ex.cmp('=', Ex.fn('round', col('c_decimal18')), dec('3', 18, 4)),
    'round(c_decimal18) = 3',
  ),
  filterCase(
    'function.round-digits',
    'round(x, 2)',
    Ex.cmp('=', Ex.fn('round', col('c_decimal18'), i32(2)), dec('1.24', 18, 4)),
    'round(c_decimal18, 2) = 1.24',
  ),
  filterCase(
    'function.coalesce',
    'coalesce()',
    Ex.cmp('=', Ex.fn('coalesce', col('c_int32'), i32(0)), i32(0)),
    'coalesce(c_int32, 0) = 0',
  ),
  filterCase(
    'function.nullif',
    'nullif()',
    Ex.isNull(Ex.fn('nullif', col('c_int32'), i32(0))),
    'nullif(c_int32, 0) IS NULL',
  ),

  // Several filters (ANDed) and a filter with an empty projection.
  {
    id: 'filter.several',
    kind: 'filter',
    description: 'two filters are ANDed',
    request: {
      projection: ['id', 'c_int32', 'c_text'],
      filters: [Ex.cmp('>', col('c_int32'), i32(0)), Ex.like(col('c_text'), txt('%a%'))],
    },
    expectedSql: `SELECT id, c_int32, c_text FROM ${T} WHERE c_int32 > 0 AND c_text LIKE '%a%'`,
  },
  {
    id: 'filter.empty-projection',
    kind: 'filter',
    description: 'a filter with no projected column returns the matching row count',
    request: { projection: [], filters: [Ex.cmp('>', col('c_int32'), i32(0))] },
    expectedSql: `SELECT 1 FROM ${T} WHERE c_int32 > 0`,
  },
  {
    id: 'filter.unprojected-column',
    kind: 'filter',
    description: 'a filter on a column that is not projected',
    request: { projection: ['c_text'], filters: [Ex.cmp('<', col('c_int64'), i64(0n))] },
    expectedSql: `SELECT c_text FROM ${T} WHERE c_int64 < 0`,
  },
];

const SCAN_CASES: RowsCase[] = [
  {
    id: 'scan.full',
    kind: 'scan',
    description: 'every column, every row',
    request: { projection: ALL_COLUMNS, filters: [] },
  },
  {
    id: 'scan.projection-reordered',
    kind: 'scan',
    description: 'a subset of columns in a different order than the table',
    request: { projection: ['c_text', 'id', 'c_int64'], filters: [] },
    expectedSql: `SELECT c_text, id, c_int64 FROM ${T}`,
  },
  ...ALL_COLUMNS.map(
    (c): RowsCase => ({
      id: `scan.single-column.${c}`,
      kind: 'scan',
      description: `only ${c}`,
      request: { projection: [c], filters: [] },
      expectedSql: `SELECT ${q(c)} FROM ${T}`,
    }),
  ),
  {
    id: 'scan.projection-empty',
    kind: 'scan',
    description: 'no column: batches carry only the row count',
    request: { projection: [], filters: [] },
    expectedSql: `SELECT 1 FROM ${T}`,
  },
];

const LIMIT_CASES: LimitCase[] = [
  {
    id: 'limit.10',
    kind: 'limit',
    description: 'LIMIT 10',
    request: { projection: ['id', 'c_text'], filters: [], limit: 10 },
  },
  {
    id: 'limit.0',
    kind: 'limit',
    description: 'LIMIT 0 returns no rows',
    request: { projection: ['id'], filters: [], limit: 0 },
  },
  {
    id: 'limit.1',
    kind: 'limit',
    description: 'LIMIT 1',
    request: { projection: ALL_COLUMNS, filters: [], limit: 1 },
  },
  {
    id: 'limit.beyond-table',
    kind: 'limit',
    description: 'a limit above the row count returns every row',
    request: { projection: ['id'], filters: [], limit: 1000 },
  },
  {
    id: 'limit.empty-projection',
    kind: 'limit',
    description: 'LIMIT 7 with no column',
    request: { projection: [], filters: [], limit: 7 },
  },
  {
    id: 'limit.with-filter',
    kind: 'limit',
    description: 'LIMIT 5 after an exact filter',
    request: { projection: ['id', 'c_int32'], filters: [Ex.cmp('>', col('c_int32'), i32(0))], limit: 5 },
  },
];

const key = (name: string, direction: 'asc' | 'desc', nulls: 'first' | 'last'): SortKey => ({
  expr: col(name),
  direction,
  nulls,
});
const byId = key('id', 'asc', 'last');

const TOP_N_CASES: TopNCase[] = [
  {
    id: 'top-n.int32-desc-nulls-first',
    kind: 'topN',
    description: 'ORDER BY c_int32 DESC NULLS FIRST, id LIMIT 10',
    request: {
      projection: ['id', 'c_int32'],
      filters: [],
      orderBy: [key('c_int32', 'desc', 'first'), byId],
      limit: 10,
    },
  },
  {
    id: 'top-n.int64-asc-nulls-last',
    kind: 'topN',
    description: 'ORDER BY c_int64 ASC NULLS LAST, id LIMIT 5',
    request: {
      projection: ['c_int64', 'id'],
      filters: [],
      orderBy: [key('c_int64', 'asc', 'last'), byId],
      limit: 5,
    },
  },
  {
    id: 'top-n.int32-asc-nulls-first',
    kind: 'topN',
    description: 'ORDER BY c_int32 ASC NULLS FIRST (not the default for ASC), id LIMIT 20',
    request: {
      projection: ['id', 'c_int32'],
      filters: [],
      orderBy: [key('c_int32', 'asc', 'first'), byId],
      limit: 20,
    },
  },
  {
    id: 'top-n.text',
    kind: 'topN',
    description:
      'ORDER BY c_text: code point order, as DuckDB (a source with a linguistic collation must not claim it)',
    request: {
      projection: ['id', 'c_text'],
      filters: [],
      orderBy: [key('c_text', 'asc', 'last'), byId],
      limit: 15,
    },
  },
  {
    id: 'top-n.text-desc-non-ascii',
    kind: 'topN',
    description:
      "ORDER BY c_text DESC: code point order puts '日本語…', 'İstanbul', 'über…', 'ÄRGER' before 'zeta…' (a linguistic collation would not)",
    request: {
      projection: ['id', 'c_text'],
      filters: [],
      orderBy: [key('c_text', 'desc', 'last'), byId],
      limit: 12,
    },
  },
  {
    id: 'top-n.decimal38-desc',
    kind: 'topN',
    description: 'ORDER BY c_decimal38 DESC NULLS LAST',
    request: {
      projection: ['id', 'c_decimal38'],
      filters: [],
      orderBy: [key('c_decimal38', 'desc', 'last'), byId],
      limit: 8,
    },
  },
  {
    id: 'top-n.date-then-timestamptz',
    kind: 'topN',
    description: 'two keys: c_date, then c_timestamptz DESC',
    request: {
      projection: ['id', 'c_date', 'c_timestamptz'],
      filters: [],
      orderBy: [key('c_date', 'asc', 'last'), key('c_timestamptz', 'desc', 'first'), byId],
      limit: 12,
    },
  },
  {
    id: 'top-n.with-filter',
    kind: 'topN',
    description: 'an exact filter, then the top 3',
    request: {
      projection: ['id', 'c_int32'],
      filters: [Ex.cmp('>', col('c_int32'), i32(0))],
      orderBy: [key('c_int32', 'asc', 'last'), byId],
      limit: 3,
    },
  },
];

/** Every conformance case, in a stable order. Select the ones a connector runs with `selectCases`. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    id: 'catalog.discovery',
    kind: 'catalog',
    description: 'listSchemas, listTables and getTable find the fixture; a missing table is undefined',
  },
  {
    id: 'schema.arrow-types',
    kind: 'schema',
    description: "the Arrow schema has the fixture's columns, in order, with Spoke's types",
  },
  ...SCAN_CASES,
  ...FILTER_CASES,
  ...LIMIT_CASES,
  ...TOP_N_CASES,
  {
    id: 'abort.pre-aborted',
    kind: 'abort',
    mode: 'pre-aborted',
    description: 'an already aborted signal: no rows, or QUERY_CANCELLED',
  },
  {
    id: 'abort.during-iteration',
    kind: 'abort',
    mode: 'during-iteration',
    description:
      'aborting after the first batch ends the iteration promptly (QUERY_CANCELLED or done), and the connector still works',
  },
  {
    id: 'abort.early-return',
    kind: 'abort',
    mode: 'early-return',
    description: 'a consumer that stops after one batch releases the source; the next scan works',
  },
  {
    id: 'statistics.row-count',
    kind: 'statistics',
    description: 'reported row counts and null counts are right (exact) or plausible (estimated)',
  },
];

/** The columns a case reads (projection, filters and sort keys). */
export function columnsOfCase(c: ConformanceCase): string[] {
  if (!('request' in c)) return [];
  const out = [...c.request.projection];
  for (const f of c.request.filters) columnsIn(f, out);
  for (const k of c.request.orderBy ?? []) columnsIn(k.expr, out);
  return [...new Set(out)];
}
