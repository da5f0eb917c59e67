/**
 * How many rows (and bytes) each planned read will bring into the gateway,
 * before any dynamic filter: the source's own estimate of its pushed
 * filters when it can give one (`SpokeTable.estimateRows`: PostgreSQL's
 * planner knows its data's distributions, cached per filter set), else the
 * table's row count with textbook selectivities (equality 5 %, a range or a
 * pattern 25 %), else unknown. The source is not asked when the statistics
 * alone put the read at a few rows with every selectivity known (a point or
 * a narrow key range): the answer could not change a plan, and asking costs
 * a round trip per query. Every figure says where it came from, so EXPLAIN
 * can show how much to trust it.
 */
import { columnsOf, type DataType, type Expr } from '@spoke/core';
import type { ScanPlan } from '../pushdown/plan-scans.js';

/** What the planner expects one read to bring. */
export interface ReadEstimate {
  /** Rows after the pushed filters; `undefined` when nothing is known. */
  readonly rows: number | undefined;
  /** `rows` × the projected row width; `undefined` with `rows`. */
  readonly bytes: number | undefined;
  /** The table's whole row count, when known. */
  readonly tableRows: number | undefined;
  /** Distinct values per column, where the source keeps them (join-key reductions use them). */
  readonly distinct: Readonly<Record<string, number>>;
  /** Each column's [min, max] where the statistics know it (a join-key range is sent only if it narrows it). */
  readonly ranges?: Readonly<Record<string, ColumnRange>>;
  /**
   * Distinct values left of a column its own pushed filters restrict
   * (`k < 2000` keeps 2,000 of 50,000 keys): what another read's keys can
   * still cut from it. Absent for columns no filter names alone.
   */
  readonly filteredDistinct?: Readonly<Record<string, number>>;
  /** Where `rows` came from. */
  readonly basis: 'source' | 'statistics' | 'unknown';
  /**
   * False when `rows` rests on a textbook guess (a range, a pattern, an
   * equality without a distinct count): such an estimate can be off by
   * orders of magnitude (`p_name LIKE 'forest%'`: 25 % guessed, 0.8 % true).
   */
  readonly confident: boolean;
}

/**
 * Rows up to which a read the statistics estimate with known selectivities
 * is not estimated again by its source (`SpokeTable.estimateRows`).
 */
export const TRUSTED_STATISTICS_ROWS = 1000;

/** Estimates every read at once (sources answer concurrently; each answer is cached by the table). */
export async function estimateReads(
  scans: readonly ScanPlan[],
  signal: AbortSignal,
): Promise<Map<ScanPlan, ReadEstimate>> {
  const estimates = await Promise.all(scans.map((scan) => estimateRead(scan, signal)));
  return new Map(scans.map((scan, i) => [scan, estimates[i]!]));
}

/** Every read unknown: for a plan with nothing to choose. */
export function unknownEstimates(scans: readonly ScanPlan[]): Map<ScanPlan, ReadEstimate> {
  return new Map(
    scans.map((scan) => [
      scan,
      {
        rows: undefined,
        bytes: undefined,
        tableRows: undefined,
        distinct: {},
        basis: 'unknown' as const,
        confident: false,
      },
    ]),
  );
}

async function estimateRead(scan: ScanPlan, signal: AbortSignal): Promise<ReadEstimate> {
  const provider = scan.binding.provider;
  const pushed = scan.candidates.filter((c) => c.support !== 'unsupported').map((c) => c.expr);
  const stats = await provider.statistics?.(signal).catch(() => undefined);
  const tableRows = stats?.rowCount?.value;
  const distinct: Record<string, number> = {};
  const ranges: Record<string, ColumnRange> = {};
  for (const [column, s] of Object.entries(stats?.columns ?? {})) {
    if (s.distinctCount?.value !== undefined) distinct[column] = s.distinctCount.value;
    const min = s.min === undefined ? undefined : ordinal(s.min.value);
    const max = s.max === undefined ? undefined : ordinal(s.max.value);
    if (min !== undefined && max !== undefined && max >= min) ranges[column] = { min, max };
  }
  const known: ColumnKnowledge = { distinct, ranges };
  // A read the statistics alone put at a few rows, every filter's selectivity known, is small whatever
  // the source would say: asking it (a round trip, and its planner's work) would cost more than the read.
  const statisticsRows =
    tableRows === undefined ? undefined : pushed.reduce((n, e) => n * selectivity(e, known), tableRows);
  const small =
    statisticsRows !== undefined &&
    statisticsRows <= TRUSTED_STATISTICS_ROWS &&
    pushed.every((e) => knownSelectivity(e, known));
  const fromSource =
    pushed.length && !small ? await provider.estimateRows?.(pushed, signal).catch(() => undefined) : undefined;
  let rows: number | undefined;
  let basis: ReadEstimate['basis'] = 'unknown';
  let confident = false;
  if (fromSource !== undefined) {
    rows = fromSource;
    basis = 'source';
    confident = true;
  } else if (statisticsRows !== undefined) {
    rows = statisticsRows;
    basis = 'statistics';
    confident = pushed.every((e) => knownSelectivity(e, known));
  }
  // A filter over a non-empty table keeps at least a row (a 5 % guess over 5 rows is not a quarter of one).
  if (rows !== undefined && tableRows) rows = Math.max(1, rows);
  if (rows !== undefined && scan.limit !== undefined) rows = Math.min(rows, scan.limit);
  const width = rowWidth(scan);
  // A filter on one column alone keeps that share of its distinct values too (uniformity).
  const filteredDistinct: Record<string, number> = {};
  for (const expr of pushed) {
    const [column, ...others] = new Set(columnsOf(expr));
    if (column === undefined || others.length || distinct[column] === undefined) continue;
    filteredDistinct[column] = (filteredDistinct[column] ?? distinct[column]) * selectivity(expr, known);
  }
  for (const column of Object.keys(filteredDistinct))
    filteredDistinct[column] = Math.max(
      1,
      Math.min(filteredDistinct[column]!, rows ?? Number.POSITIVE_INFINITY),
    );
  return {
    rows,
    bytes: rows === undefined ? undefined : Math.round(rows * width),
    tableRows,
    distinct,
    ...(Object.keys(filteredDistinct).length ? { filteredDistinct } : {}),
    ranges,
    basis,
    confident,
  };
}

/** A column's smallest and largest value as numbers on one scale (numbers, or milliseconds for dates and times). */
export interface ColumnRange {
  readonly min: number;
  readonly max: number;
}

/** What the statistics say about a table's columns, for selectivities. */
export interface ColumnKnowledge {
  readonly distinct: Readonly<Record<string, number>>;
  readonly ranges?: Readonly<Record<string, ColumnRange>>;
}

/**
 * A statistic's or a literal's value on a scale where ranges interpolate:
 * numbers as they are, dates and timestamps (ISO text, as connectors and
 * literals carry them) as milliseconds; anything else (text, bytes) has none.
 */
export function ordinal(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value)) {
    const ms = Date.parse(`${value.replace(' ', 'T')}${value.length > 10 ? 'Z' : 'T00:00:00Z'}`);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/** `column op literal` with the column on the left (flipping the operator when the literal came first). */
function columnBound(expr: Expr): { column: string; op: string; value: number } | undefined {
  if (expr.kind !== 'compare') return undefined;
  const flip: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
  const [column, literal, op] =
    expr.left.kind === 'column'
      ? [expr.left, expr.right, expr.op]
      : [expr.right, expr.left, flip[expr.op] ?? expr.op];
  if (column.kind !== 'column' || literal.kind !== 'literal') return undefined;
  const value = ordinal(literal.value);
  return value === undefined ? undefined : { column: column.name, op, value };
}

/** The fraction of a column's [min, max] at or below / above `value` (uniformity), clamped to [0, 1]. */
function rangeFraction(range: ColumnRange, op: string, value: number): number {
  const span = range.max - range.min;
  const below = span > 0 ? (value - range.min) / span : value >= range.min ? 1 : 0;
  const fraction = op === '<' || op === '<=' ? below : 1 - below;
  return Math.min(1, Math.max(0, fraction));
}

/** Whether {@link selectivity} knows `expr`'s fraction rather than guessing it: equality on a column with a distinct count, or a range on a column with a known min and max. */
function knownSelectivity(expr: Expr, known: ColumnKnowledge): boolean {
  const { distinct, ranges = {} } = known;
  switch (expr.kind) {
    case 'compare': {
      if (expr.op !== '=') {
        const bound = columnBound(expr);
        return bound !== undefined && bound.op !== '<>' && ranges[bound.column] !== undefined;
      }
      const side = expr.left.kind === 'column' ? expr.left : expr.right;
      return side.kind === 'column' && distinct[side.name] !== undefined;
    }
    case 'between':
      return (
        !expr.negated &&
        expr.expr.kind === 'column' &&
        ranges[expr.expr.name] !== undefined &&
        expr.low.kind === 'literal' &&
        expr.high.kind === 'literal' &&
        ordinal(expr.low.value) !== undefined &&
        ordinal(expr.high.value) !== undefined
      );
    case 'in':
      return !expr.negated && expr.expr.kind === 'column' && distinct[expr.expr.name] !== undefined;
    case 'and':
      return expr.args.every((a) => knownSelectivity(a, known));
    default:
      return false;
  }
}

/**
 * The fraction of rows a filter keeps: `column = value` keeps one value's
 * share when the column's distinct count is known (uniformity, as every
 * optimizer starts from), else the textbook 5 %; a range the share of the
 * column's [min, max] it covers when the statistics know them (numbers,
 * dates, timestamps), else 25 %; patterns 25 %.
 */
export function selectivity(expr: Expr, known: ColumnKnowledge = { distinct: {} }): number {
  const { distinct, ranges = {} } = known;
  const equality = (e: Expr): number => {
    const column = e.kind === 'column' ? distinct[e.name] : undefined;
    return column ? 1 / column : 0.05;
  };
  switch (expr.kind) {
    case 'compare': {
      if (expr.op === '<>') return 0.9;
      if (expr.op !== '=') {
        const bound = columnBound(expr);
        const range = bound && ranges[bound.column];
        return range ? rangeFraction(range, bound.op, bound.value) : 0.25;
      }
      const side = expr.left.kind === 'column' ? expr.left : expr.right;
      return equality(side);
    }
    case 'between': {
      const range = expr.expr.kind === 'column' ? ranges[expr.expr.name] : undefined;
      const low = expr.low.kind === 'literal' ? ordinal(expr.low.value) : undefined;
      const high = expr.high.kind === 'literal' ? ordinal(expr.high.value) : undefined;
      if (!range || low === undefined || high === undefined) return expr.negated ? 0.75 : 0.25;
      const kept = Math.max(0, rangeFraction(range, '<=', high) - rangeFraction(range, '<', low));
      return expr.negated ? 1 - kept : kept;
    }
    case 'in':
      return expr.negated ? 0.9 : Math.min(1, equality(expr.expr) * expr.list.length);
    case 'and':
      return expr.args.reduce((p, a) => p * selectivity(a, known), 1);
    case 'or':
      return Math.min(
        1,
        expr.args.reduce((p, a) => p + selectivity(a, known), 0),
      );
    case 'isNull':
      return expr.negated ? 0.9 : 0.1;
    default:
      return 0.25;
  }
}

/** Bytes per row of the projected columns as Arrow carries them (one byte for a row-count-only read). */
export function rowWidth(scan: ScanPlan): number {
  if (scan.projection.length === 0) return 1;
  let width = 0;
  for (const name of scan.projection) {
    const field = scan.binding.arrowSchema.fields.find((f) => f.name === name);
    width += field ? typeWidth(field.type) : 16;
  }
  return width;
}

/** Arrow's fixed widths; 24 bytes for variable-length values (offsets and a short text). */
function typeWidth(type: DataType): number {
  const t = type as unknown as { typeId: number; bitWidth?: number; byteWidth?: number };
  switch (t.typeId) {
    case 1: // Null
      return 0;
    case 2: // Int
      return (t.bitWidth ?? 64) / 8;
    case 3: // Float
      return 8;
    case 6: // Bool
      return 1;
    case 7: // Decimal
      return 16;
    case 8: // Date
      return 4;
    case 9: // Time
    case 10: // Timestamp
    case 11: // Interval
      return 8;
    case 15: // FixedSizeBinary
      return t.byteWidth ?? 16;
    default:
      return 24;
  }
}
