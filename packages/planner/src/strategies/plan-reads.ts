/**
 * The read schedule of a federated SELECT: for every table read, how it is
 * reduced and what it waits for, chosen by cost.
 *
 * Strategies per read (one file each where they carry logic):
 * - **pull**: read it with its own pushed filters, at once, concurrently
 *   with every other read that waits for nothing;
 * - **semi-join in the source** (`in-source-semi-join.ts`): tables of the
 *   same SQL source linked by a join edge restrict each other inside it;
 * - **semi-join by keys**: wait for a smaller read of another source, then
 *   send its distinct join keys as `IN (…)` — worth it when the wait plus
 *   the reduced read finishes sooner than the whole read, by the link
 *   profiles' costs (`cost/`), and allowed only when the keys may leave
 *   their table's source (`never_upload` forbids it: keys are values too);
 * - **semi-join by key range**: the same wait when the keys are too many
 *   for a list but the statistics show them in a narrow band of the
 *   target's column (recent ids of a time-ordered table): their smallest
 *   and largest go as `BETWEEN`, which a source answers from an index or
 *   Parquet row-group statistics (integer keys only).
 *
 * The cost of a schedule is its critical path (reads run concurrently) or
 * DuckDB's serial loading, whichever is longer. Two alternatives are
 * costed alongside, for EXPLAIN: every read whole and at once, and the
 * previous planner's one-by-one, smallest-first order with every key list.
 */
import { arrow, type ScalarValue } from '@spoke/core';
import type { TableBinding } from '../binder/scope.js';
import type { LinkProfiles } from '../cost/link-profile.js';
import {
  DUCKDB_LOAD_ROWS_PER_SECOND,
  KEY_ARRAY_MS_PER_KEY,
  KEY_LIST_MS_PER_KEY,
  readCost,
  SOURCE_SCAN_ROWS_PER_SECOND,
} from '../cost/read-cost.js';
import type { JoinKeyEdge } from '../pushdown/plan-join-keys.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';
import type { SubqueryKeyEdge } from '../pushdown/subquery-key-edges.js';
import type { ReadEstimate } from '../statistics/estimate-reads.js';
import { type InSourceReduction, inSourceReduction } from './in-source-semi-join.js';

/** At most this many distinct keys travel as a dynamic `IN (…)` filter, unless the table takes more (`valueListLimit`). */
export const MAX_DYNAMIC_FILTER_KEYS = 20_000;

/** How many keys a read of `binding`'s table may be sent at once. */
export function keyLimitOf(binding: TableBinding): number {
  return binding.provider.valueListLimit ?? MAX_DYNAMIC_FILTER_KEYS;
}

/** Milliseconds per key sent to `scan`'s table: a list of placeholders, or one array. */
function keyCostOf(scan: ScanPlan): number {
  return keyLimitOf(scan.binding) > MAX_DYNAMIC_FILTER_KEYS ? KEY_ARRAY_MS_PER_KEY : KEY_LIST_MS_PER_KEY;
}
/** A reduction inside the source is considered only when it keeps at most this fraction of the rows. */
const USEFUL_IN_SOURCE_REDUCTION = 0.5;
/** A reduction is considered only when it keeps at most this fraction of the rows (cost decides the rest). */
const USEFUL_REDUCTION = 0.75;
/**
 * A wait this long — at least two round trips of the read's link — is
 * accepted for a smaller answer even when the read alone gains nothing: a
 * smaller answer means fewer keys for the reads after it and less work in
 * DuckDB, which the read-by-read comparison does not see.
 */
const ACCEPTED_DELAY_MS = 2;

/** One read as scheduled. */
export interface PlannedRead {
  readonly scan: ScanPlan;
  /** The estimate before any reduction. */
  readonly estimate: ReadEstimate;
  /** Answered by a reducing query in its own source instead of a plain scan. */
  readonly inSource?: InSourceReduction;
  /**
   * The reduction inside the source this read switches to at run time when
   * the keys it waited for from the same source turn out too many to send
   * (the estimate was wrong): a re-plan on evidence.
   */
  readonly fallback?: InSourceReduction;
  /** Another read of the same table with the same request: its rows are read once, loaded once, and shown under this read's relation too. */
  readonly sharedWith?: ScanPlan;
  /** Edges from earlier reads whose distinct keys this read waits for. */
  readonly waitsFor: readonly JoinKeyEdge[];
  /**
   * The edges of `waitsFor` expected to bring more keys than a list may
   * carry, waited for their range (`semi-join by key range`); their wait is
   * not cut short when the keys pass the list's limit.
   */
  readonly byKeyRange?: readonly JoinKeyEdge[];
  /** `pull`, `semi-join in source`, `semi-join by keys`, or both reductions. */
  readonly strategy: string;
  /** Rows and bytes expected after the reductions (undefined when unknown). */
  readonly estimatedRows: number | undefined;
  readonly estimatedBytes: number | undefined;
  /** Expected milliseconds of this read alone, and when it should finish counting its waits. */
  readonly cost: number | undefined;
  readonly finishesAt: number | undefined;
}

/** A strategy for the whole query that the schedule was compared with. */
export interface CostedAlternative {
  readonly strategy: string;
  /** Expected milliseconds, in the same unit as the chosen schedule's. */
  readonly cost: number;
}

/** Every read of a query, in the order they start, with the cost of the whole. */
export interface ReadSchedule {
  readonly reads: readonly PlannedRead[];
  /** Expected milliseconds until every read is loaded; undefined when estimates are missing. */
  readonly cost: number | undefined;
  readonly alternatives: readonly CostedAlternative[];
  /** Every read waits for the one before it (the previous planner, for comparison). */
  readonly sequential?: boolean;
  /** Pushed FROM sub-queries that wait for key lists ({@link planSubqueryReads}); absent: none waits. */
  readonly subqueries?: readonly PlannedSubquery[];
}

/** What the schedule needs besides the scans. */
export interface ReadPlanningInput {
  readonly scans: readonly ScanPlan[];
  readonly joinKeys: readonly JoinKeyEdge[];
  readonly estimates: ReadonlyMap<ScanPlan, ReadEstimate>;
  readonly links: LinkProfiles;
  readonly params: readonly ScalarValue[];
  /** False when `from`'s values may not be sent to `toSource` (a `never_upload` table). */
  readonly mayShipKeys: (from: TableBinding, toSource: string) => boolean;
  /** Tables whose read takes the keys of a sub-query's answer: their size is unknown until it runs. */
  readonly keyedBySubquery?: ReadonlySet<TableBinding>;
  /**
   * Scans whose plain read the engine's read cache holds now
   * (`executor/read-cache.ts`): they cost nothing and wait for no keys — a
   * reduced read would go to the source instead of the cache.
   */
  readonly cached?: ReadonlySet<ScanPlan>;
  /**
   * Force a strategy instead of choosing by cost, to measure the optimizer
   * against: `sequential` plans as the previous planner did (one read after
   * another, every key list); `pull` reads every table at once, unreduced.
   */
  readonly forced?: 'sequential' | 'pull';
}

/** A FROM sub-query sent whole to its source, and the key lists it waits for (`subquery-key-edges.ts`). */
export interface PlannedSubquery {
  readonly relation: string;
  /** Edges from table reads whose distinct keys filter it inside its SQL. */
  readonly waitsFor: readonly SubqueryKeyEdge[];
  /** `semi-join by keys (x)` when it waits, else undefined. */
  readonly strategy: string | undefined;
  /** Rows and bytes expected after the reductions (undefined when unknown). */
  readonly estimatedRows: number | undefined;
  readonly estimatedBytes: number | undefined;
  readonly finishesAt: number | undefined;
}

/** What is known of a pushed sub-query before it runs. */
export interface SubqueryReadInput {
  readonly relation: string;
  readonly source: string;
  readonly sql: boolean;
  /** Its key edges whose keys may go to its source (policies checked) from reads of the schedule. */
  readonly edges: readonly SubqueryKeyEdge[];
  /** Rows and bytes its answer is expected to bring, and rows its source scans for it, when known. */
  readonly rows: number | undefined;
  readonly bytes: number | undefined;
  readonly scannedRows: number | undefined;
}

/**
 * Which key lists each pushed sub-query waits for, after the table reads
 * are scheduled: as for a table read (`waitForKeys`), a feeder whose keys
 * are few enough and keep at most {@link USEFUL_REDUCTION} of the
 * sub-query's join domain is waited for when the reduced sub-query then
 * finishes no later (give or take a round trip) than whole, or within the
 * time the slowest read takes anyway. A sub-query of unknown size waits for
 * every feeder whose keys may fit (the run-time check decides, as for a
 * table whose size is unknown).
 */
export function planSubqueryReads(
  schedule: ReadSchedule,
  subqueries: readonly SubqueryReadInput[],
  links: LinkProfiles,
): PlannedSubquery[] {
  const readOf = (binding: TableBinding) => schedule.reads.find((r) => r.scan.binding === binding);
  const budget = Math.max(0, ...schedule.reads.map((r) => r.finishesAt ?? 0));
  return subqueries.map((q): PlannedSubquery => {
    const link = links.get(q.source, q.sql);
    const width = q.rows && q.bytes !== undefined ? q.bytes / q.rows : 16;
    const cost = (rows: number) => readCost(link, rows, rows * width, q.scannedRows ?? rows);
    const candidates = q.edges.flatMap((edge) => {
      const read = readOf(edge.from);
      if (!read || read.sharedWith) return [];
      const fromRows = read.estimatedRows;
      const keys =
        fromRows === undefined
          ? Number.POSITIVE_INFINITY
          : distinctKept(read.estimate, edge.fromColumn, fromRows);
      const domain =
        read.estimate.distinct[edge.fromColumn] ?? read.estimate.tableRows ?? Number.POSITIVE_INFINITY;
      return [
        {
          edge,
          keys,
          kept: Number.isFinite(domain) ? Math.min(1, keys / Math.max(1, domain)) : 1,
          ready: read.finishesAt,
          perKey: keyLimitOf(edge.to) > MAX_DYNAMIC_FILTER_KEYS ? KEY_ARRAY_MS_PER_KEY : KEY_LIST_MS_PER_KEY,
          limit: keyLimitOf(edge.to),
          guessed: !read.estimate.confident,
        },
      ];
    });
    const waitsFor: SubqueryKeyEdge[] = [];
    let rows = q.rows;
    let finishesAt = rows === undefined ? undefined : cost(rows);
    let start = 0;
    let keyCost = 0;
    for (const c of [...candidates].sort((a, b) => (a.ready ?? 0) - (b.ready ?? 0))) {
      if (rows === undefined || c.ready === undefined || !Number.isFinite(c.keys)) {
        // Unknown on either side: wait when the keys may fit, and let the run-time check decide.
        if (c.keys <= c.limit || !Number.isFinite(c.keys)) {
          waitsFor.push(c.edge);
          finishesAt = undefined;
        }
        continue;
      }
      if (c.keys > c.limit || (c.kept > USEFUL_REDUCTION && !c.guessed)) continue;
      const reduced = rows * c.kept;
      const waited = Math.max(start, c.ready) + keyCost + c.keys * c.perKey + cost(reduced);
      const current = finishesAt ?? cost(rows);
      const slack = Math.max(ACCEPTED_DELAY_MS, 2 * link.latencyMs, current * 0.1);
      if (waited <= Math.max(current + slack, budget)) {
        waitsFor.push(c.edge);
        start = Math.max(start, c.ready);
        keyCost += c.keys * c.perKey;
        rows = reduced;
        if (finishesAt !== undefined) finishesAt = waited;
      }
    }
    return {
      relation: q.relation,
      waitsFor,
      strategy: waitsFor.length
        ? `semi-join by keys (${waitsFor.map((e) => `${e.from.alias}`).join(', ')})`
        : undefined,
      estimatedRows: rows === undefined ? undefined : Math.round(rows),
      estimatedBytes: rows === undefined ? undefined : Math.round(rows * width),
      finishesAt,
    };
  });
}

/** Chooses each read's strategy. */
export function planReads(input: ReadPlanningInput): ReadSchedule {
  const { scans, joinKeys, estimates, links } = input;
  const order = [...scans].sort((a, b) => compareRows(rowsOf(estimates, a), rowsOf(estimates, b)));
  const scanByBinding = new Map(scans.map((s) => [s.binding, s]));
  const scanOf = (binding: TableBinding) => scanByBinding.get(binding);
  const linkOf = (scan: ScanPlan) => links.get(scan.binding.source, scan.binding.connector.sql !== undefined);
  const cached = input.cached ?? new Set<ScanPlan>();
  const costOf = (scan: ScanPlan, rows: number) => {
    if (cached.has(scan)) return 0;
    const estimate = estimates.get(scan)!;
    return readCost(linkOf(scan), rows, rows * widthOf(estimate), estimate.tableRows ?? rows);
  };
  const unknownRows = input.keyedBySubquery ?? new Set<TableBinding>();

  if (input.forced === 'sequential') return sequentialSchedule(order, input, costOf);
  if (input.forced === 'pull') {
    const reads = order.map(
      (scan): PlannedRead => ({
        scan,
        estimate: estimates.get(scan)!,
        waitsFor: [],
        strategy: 'pull (forced)',
        estimatedRows: estimates.get(scan)!.rows,
        estimatedBytes: estimates.get(scan)!.bytes,
        cost: estimates.get(scan)!.rows === undefined ? undefined : costOf(scan, estimates.get(scan)!.rows!),
        finishesAt: undefined,
      }),
    );
    return { reads, cost: undefined, alternatives: [] };
  }

  // Waiting is free while the query would not finish sooner anyway: its slowest read, pulled whole.
  const budget = Math.max(
    0,
    ...order.map((s) => (estimates.get(s)!.rows === undefined ? 0 : costOf(s, estimates.get(s)!.rows!))),
  );
  /** What of a read's options does not depend on the reads before it, worked out once per read. */
  const fixed = new Map<
    ScanPlan,
    {
      /** Edges into it whose keys may go to its source. */
      readonly incoming: readonly JoinKeyEdge[];
      readonly partners: readonly { edge: JoinKeyEdge; partner: ScanPlan }[];
      readonly inSource: InSourceReduction | undefined;
    }
  >();
  const fixedOf = (scan: ScanPlan) => {
    let found = fixed.get(scan);
    if (!found) {
      const incoming = joinKeys.filter(
        (e) =>
          e.to === scan.binding &&
          scanOf(e.from) !== undefined &&
          scan.limit === undefined &&
          !cached.has(scan) &&
          input.mayShipKeys(e.from, scan.binding.source),
      );
      const partners = joinKeys
        .filter(
          (e) => e.to === scan.binding && e.from !== scan.binding && e.from.source === scan.binding.source,
        )
        .map((edge) => ({ edge, partner: scanOf(edge.from) }))
        .filter((p): p is { edge: JoinKeyEdge; partner: ScanPlan } => {
          if (!p.partner || !p.partner.candidates.some((c) => c.support === 'exact')) return false;
          const kept = inSourceKept(p.edge, p.partner);
          return kept !== undefined && kept <= USEFUL_IN_SOURCE_REDUCTION;
        });
      const inSource =
        partners.length && !cached.has(scan) ? inSourceReduction(scan, partners, input.params) : undefined;
      found = { incoming, partners, inSource };
      fixed.set(scan, found);
    }
    return found;
  };

  const greedy = order.reduce(extend, EMPTY_SCHEDULE);
  const greedyCost = costOfPartial(greedy);
  // The searched order is taken only when it is cheaper by a margin: equal costs keep smallest-first.
  const found =
    greedyCost === undefined
      ? undefined
      : searchOrders(
          order,
          estimates,
          unknownRows,
          extend,
          greedyCost * (1 - MIN_ORDER_GAIN),
          // Same-source partners keep smallest-first's order: see searchOrders.
          order.map((scan, i) =>
            order.reduce(
              (mask, other, j) =>
                j < i && fixedOf(scan).partners.some((p) => p.partner === other) ? mask | (1 << j) : mask,
              0,
            ),
          ),
        );
  // Taken only when it also loads no more rows than smallest-first. The model prices a read's own time
  // and DuckDB's loading, not the residual's work over what is loaded nor how much a stale estimate can
  // miss: on TPC-H, orders that skipped waits for a 1-row read to "save" its round trip (Q20, Q21) cost
  // as much as 3x smallest-first's, with 5-10x the rows. Fewer rows and a lower cost is a safe win.
  const searched =
    found &&
    found.loadingMs !== undefined &&
    greedy.loadingMs !== undefined &&
    found.loadingMs <= greedy.loadingMs
      ? found
      : undefined;
  const shared = shareIdenticalReads(readsOf(searched ?? greedy), unknownRows);
  return {
    reads: shared,
    cost: scheduleCost(shared),
    alternatives: [
      ...alternatives(order, estimates, costOf, joinKeys),
      // The order it beat, for EXPLAIN.
      ...(searched && greedyCost !== undefined
        ? [
            {
              strategy: 'reads ordered smallest first, each waiting for the keys that pay',
              cost: round(greedyCost),
            },
          ]
        : []),
    ],
  };

  /** `state` with `scan` planned next: its strategy given the reads planned before it. */
  function extend(state: PartialSchedule, scan: ScanPlan): PartialSchedule {
    const estimate = estimates.get(scan)!;
    const { incoming, partners, inSource } = fixedOf(scan);
    // Edges from reads that start earlier, whose keys may go to this read's source.
    const feeders = incoming.filter((e) => placedRead(state, e.from) !== undefined);

    // Option 1: a plain read, waiting for the key lists that pay.
    const plain = waitForKeys(state, scan, estimate.rows, feeders);
    // Option 2: reduced inside its own source (no wait), plus key lists from other sources.
    let chosen = plain;
    let reducedInSource = false;
    // Keys from a read of the same source carry every reduction that read got (its own key lists too) and a
    // server answers them from its indexes; the semi-join inside the source carries only static filters. So
    // it is the choice only when those keys would not be sent (too many, or not worth it): then by cost.
    const sameSourceKeys = plain.waitsFor.some((e) => e.from.source === scan.binding.source);
    if (inSource && !sameSourceKeys) {
      let rows = estimate.rows;
      if (rows !== undefined) for (const p of partners) rows *= inSourceKept(p.edge, p.partner)!;
      const waited = waitForKeys(
        state,
        scan,
        rows,
        feeders.filter((e) => e.from.source !== scan.binding.source),
      );
      // The source now scans each partner table too: its rows at the source's scan rate.
      const partnerScans = partners.reduce(
        (ms, p) => ms + ((estimates.get(p.partner)!.tableRows ?? 0) * 1000) / SOURCE_SCAN_ROWS_PER_SECOND,
        0,
      );
      const reduced = {
        ...waited,
        finishesAt: waited.finishesAt === undefined ? undefined : waited.finishesAt + partnerScans,
      };
      if (
        plain.finishesAt === undefined ||
        (reduced.finishesAt !== undefined && reduced.finishesAt <= plain.finishesAt)
      ) {
        chosen = reduced;
        reducedInSource = true;
      }
    }
    const labels: string[] = [];
    if (reducedInSource)
      labels.push(`semi-join in source (${partners.map((p) => p.edge.from.alias).join(', ')})`);
    const byList = chosen.waitsFor.filter((e) => !chosen.byKeyRange.includes(e));
    if (byList.length) labels.push(`semi-join by keys (${byList.map((e) => e.from.alias).join(', ')})`);
    if (chosen.byKeyRange.length)
      labels.push(`semi-join by key range (${chosen.byKeyRange.map((e) => e.from.alias).join(', ')})`);
    const width = widthOf(estimate);
    const read: PlannedRead = {
      scan,
      estimate,
      ...(reducedInSource && inSource ? { inSource } : {}),
      ...(!reducedInSource && inSource && chosen.waitsFor.some((e) => e.from.source === scan.binding.source)
        ? { fallback: inSource }
        : {}),
      waitsFor: chosen.waitsFor,
      ...(chosen.byKeyRange.length ? { byKeyRange: chosen.byKeyRange } : {}),
      strategy: labels.length ? labels.join(' + ') : cached.has(scan) ? 'pull (read cache)' : 'pull',
      estimatedRows: chosen.rows === undefined ? undefined : Math.round(chosen.rows),
      estimatedBytes: chosen.rows === undefined ? undefined : Math.round(chosen.rows * width),
      cost: chosen.cost,
      finishesAt: chosen.finishesAt,
    };
    return {
      read,
      before: state,
      rowsAfter: unknownRows.has(scan.binding) ? undefined : chosen.rows,
      confident:
        estimate.confident && chosen.waitsFor.every((e) => placedRead(state, e.from)?.confident !== false),
      pathMs:
        state.pathMs === undefined || chosen.finishesAt === undefined
          ? undefined
          : Math.max(state.pathMs, chosen.finishesAt),
      loadingMs:
        state.loadingMs === undefined || chosen.rows === undefined
          ? undefined
          : state.loadingMs + (Math.round(chosen.rows) * 1000) / DUCKDB_LOAD_ROWS_PER_SECOND,
    };
  }

  /** The fraction of `edge.to`'s rows a same-source partner's pushed filters keep, by the keys they keep. */
  function inSourceKept(edge: JoinKeyEdge, partner: ScanPlan): number | undefined {
    const from = estimates.get(partner)!;
    const to = estimates.get(scanOf(edge.to)!)!;
    if (from.rows === undefined || !from.tableRows || !to.tableRows) return undefined;
    const keys = distinctKept(from, edge.fromColumn, from.rows);
    return Math.min(1, keys / Math.max(1, joinDomain(edge, to, from)));
  }

  /**
   * Greedy over the feeders that finish first: wait for one while the read
   * then finishes no later than without it — or only a little later (a
   * round trip), since a smaller answer here also means fewer keys for the
   * reads after it and less work in DuckDB. A feeder whose size is unknown
   * (keyed by a sub-query's answer, or without statistics) is waited for,
   * and the run-time check (few keys, under half the target's) decides.
   */
  function waitForKeys(
    state: PartialSchedule,
    scan: ScanPlan,
    rowsBefore: number | undefined,
    feeders: readonly JoinKeyEdge[],
  ): {
    waitsFor: JoinKeyEdge[];
    byKeyRange: JoinKeyEdge[];
    rows: number | undefined;
    cost: number | undefined;
    finishesAt: number | undefined;
  } {
    const estimate = estimates.get(scan)!;
    const byKeyRange: JoinKeyEdge[] = [];
    if (rowsBefore === undefined || estimate.tableRows === undefined) {
      return {
        waitsFor: [...feeders],
        byKeyRange,
        rows: rowsBefore,
        cost: rowsBefore === undefined ? undefined : costOf(scan, rowsBefore),
        finishesAt: undefined,
      };
    }
    const waitsFor: JoinKeyEdge[] = [];
    const keyLimit = keyLimitOf(scan.binding);
    const perKey = keyCostOf(scan);
    const full = costOf(scan, rowsBefore);
    let finishesAt: number | undefined = full;
    let rows = rowsBefore;
    let start = 0;
    let keyCost = 0;
    const candidates = feeders.map((edge) => {
      const from = scanOf(edge.from)!;
      const placed = placedRead(state, edge.from)!;
      const fromRows = placed.rowsAfter;
      const keys =
        fromRows === undefined
          ? Number.POSITIVE_INFINITY
          : distinctKept(estimates.get(from)!, edge.fromColumn, fromRows);
      const targetKeys = joinDomain(edge, estimate, estimates.get(from)!);
      // A feeder whose size is a guess, and might be small, is waited for: the run-time check then decides on
      // its actual keys. Not waiting risks reading this table whole; waiting costs only the feeder's read.
      const guessed = !placed.confident && (fromRows ?? 0) <= keyLimit * 4;
      const kept = Math.min(1, keys / Math.max(1, targetKeys));
      const byList = keys <= keyLimit && kept <= USEFUL_REDUCTION;
      // Too many keys for a list: their range, when the statistics put them in a narrow band of the target's.
      const range = byList ? undefined : keyRangeKept(edge, estimates.get(from)!, scan, estimate);
      return {
        edge,
        guessed,
        unknown: fromRows === undefined || placed.read!.finishesAt === undefined,
        keys,
        kept: byList ? kept : (range ?? kept),
        byList,
        byRange: range !== undefined && range <= USEFUL_REDUCTION,
        ready: placed.read!.finishesAt ?? 0,
      };
    });
    for (const c of candidates.filter((c) => c.unknown)) {
      waitsFor.push(c.edge);
      finishesAt = undefined;
    }
    const known = candidates
      .filter((c) => !c.unknown && (c.byList || c.byRange || c.guessed))
      .sort((a, b) => a.ready - b.ready);
    for (const c of known) {
      const reduced = rows * Math.min(1, c.kept);
      // A range is two values, whatever the keys.
      const sent = c.byRange ? 0 : c.keys * perKey;
      const waited = Math.max(start, c.ready) + keyCost + sent + costOf(scan, reduced);
      const current = finishesAt ?? full;
      const slack = Math.max(ACCEPTED_DELAY_MS, 2 * linkOf(scan).latencyMs, current * 0.1);
      if (c.guessed || waited <= Math.max(current + slack, budget)) {
        waitsFor.push(c.edge);
        if (c.byRange) byKeyRange.push(c.edge);
        start = Math.max(start, c.ready);
        keyCost += sent;
        if (c.keys <= keyLimit || c.byRange) rows = reduced;
        if (finishesAt !== undefined) finishesAt = Math.max(waited, c.guessed ? c.ready : 0);
      }
    }
    return { waitsFor, byKeyRange, rows, cost: costOf(scan, rows), finishesAt };
  }
}

/**
 * The previous planner, kept for comparison (`optimizer: 'sequential'`):
 * one read after another, smallest estimate first, each taking every
 * earlier read's keys (the run-time check decides), no reduction inside a
 * source.
 */
function sequentialSchedule(
  order: readonly ScanPlan[],
  input: ReadPlanningInput,
  costOf: (scan: ScanPlan, rows: number) => number,
): ReadSchedule {
  const reads: PlannedRead[] = [];
  for (const scan of order) {
    const estimate = input.estimates.get(scan)!;
    const waitsFor = input.joinKeys.filter(
      (e) =>
        e.to === scan.binding &&
        reads.some((r) => r.scan.binding === e.from) &&
        scan.limit === undefined &&
        input.mayShipKeys(e.from, scan.binding.source),
    );
    reads.push({
      scan,
      estimate,
      waitsFor,
      strategy: waitsFor.length
        ? `sequential, keys of ${waitsFor.map((e) => e.from.alias).join(', ')}`
        : 'sequential',
      estimatedRows: estimate.rows,
      estimatedBytes: estimate.bytes,
      cost: estimate.rows === undefined ? undefined : costOf(scan, estimate.rows),
      finishesAt: undefined,
    });
  }
  return { reads, cost: undefined, alternatives: [], sequential: true };
}

/**
 * Reads of the same table asking the same rows — the same pushed filters,
 * limit, order and key lists from the same reads (TPC-H Q17's and Q2's
 * correlated sub-queries, Q11's and Q15's repeated views) — are read once:
 * the first asks for the columns of both, the others become views of it.
 */
function shareIdenticalReads(
  reads: readonly PlannedRead[],
  /** Reads restricted by a sub-query's answer (`x IN (SELECT …)`): their rows are their own, never shared. */
  keyedBySubquery: ReadonlySet<TableBinding>,
): PlannedRead[] {
  const first = new Map<string, PlannedRead>();
  // A read fed by a shared read is fed by its leader: the same keys.
  const canonical = new Map<TableBinding, TableBinding>();
  return reads.map((read) => {
    if (read.inSource || read.fallback || keyedBySubquery.has(read.scan.binding)) return read;
    const scan = read.scan;
    const key = JSON.stringify(
      {
        // By name: a past version (time travel) is named apart (`docs@v3`).
        source: scan.binding.source,
        schema: scan.binding.schema,
        table: scan.binding.table,
        filters: scan.candidates.filter((c) => c.support !== 'unsupported').map((c) => c.expr),
        limit: scan.limit,
        orderBy: scan.orderBy,
        waits: read.waitsFor.map((e) => [(canonical.get(e.from) ?? e.from).id, e.fromColumn, e.toColumn]),
      },
      (_k, v) => (typeof v === 'bigint' ? `${v}n` : v),
    );
    const leader = first.get(key);
    if (!leader) {
      first.set(key, read);
      return read;
    }
    canonical.set(scan.binding, canonical.get(leader.scan.binding) ?? leader.scan.binding);
    // The first read now brings the columns both need, in the table's order.
    const wanted = new Set([...leader.scan.projection, ...scan.projection]);
    const union = scan.binding.arrowSchema.fields.map((f) => f.name).filter((n) => wanted.has(n));
    leader.scan.projection.splice(0, leader.scan.projection.length, ...union);
    return {
      ...read,
      waitsFor: [],
      sharedWith: leader.scan,
      strategy: `shared: read once with ${leader.scan.binding.alias}`,
      estimatedRows: 0,
      estimatedBytes: 0,
      cost: 0,
      finishesAt: leader.finishesAt,
    };
  });
}

/**
 * Reads planned so far: the last one and the schedule before it (a chain,
 * so extending a schedule copies nothing — the order search extends
 * thousands), with what later reads need to know of each.
 */
interface PartialSchedule {
  /** The last read planned; undefined for the empty schedule. */
  readonly read: PlannedRead | undefined;
  readonly before: PartialSchedule | undefined;
  /** Rows the last read brings after its reductions (undefined: unknown until it runs). */
  readonly rowsAfter: number | undefined;
  /** Whether that size rests on confident estimates only. */
  readonly confident: boolean;
  /** The critical path and DuckDB's loading so far, in ms (undefined: a read's estimate is missing). */
  readonly pathMs: number | undefined;
  readonly loadingMs: number | undefined;
}

const EMPTY_SCHEDULE: PartialSchedule = {
  read: undefined,
  before: undefined,
  rowsAfter: undefined,
  confident: true,
  pathMs: 0,
  loadingMs: 0,
};

/** The entry of `binding`'s read in `state`, when it is planned there. */
function placedRead(state: PartialSchedule, binding: TableBinding): PartialSchedule | undefined {
  for (let at: PartialSchedule | undefined = state; at?.read; at = at.before)
    if (at.read.scan.binding === binding) return at;
  return undefined;
}

/** The reads of `state`, in the order they were planned. */
function readsOf(state: PartialSchedule): PlannedRead[] {
  const reads: PlannedRead[] = [];
  for (let at: PartialSchedule | undefined = state; at?.read; at = at.before) reads.push(at.read);
  return reads.reverse();
}

/** {@link scheduleCost} of the reads planned so far. */
function costOfPartial(state: PartialSchedule): number | undefined {
  return state.pathMs === undefined || state.loadingMs === undefined
    ? undefined
    : Math.max(state.pathMs, state.loadingMs);
}

/** Orders are searched for queries of at most this many reads (2^n subsets); larger ones keep smallest-first. */
export const MAX_SEARCHED_READS = 10;
/** A read whose size is a guess no larger than this does not keep the order from being searched. */
const SMALL_GUESS_ROWS = 1_000;
/** A searched order replaces smallest-first only when it is cheaper by at least this fraction. */
const MIN_ORDER_GAIN = 0.05;

/**
 * The cheapest order of the reads by dynamic programming over subsets
 * (DPsub, as in Moerkotte & Neumann's join enumeration): a read can take
 * keys only from reads planned before it, so the order decides which
 * semi-joins are possible; smallest-first is blind to link speed and to
 * how selective a read's keys are (a larger table on a fast link with few
 * distinct keys should feed a smaller one on a slow link). For each subset
 * the cheapest partial schedule is kept, and each extension plans the next
 * read exactly as smallest-first would (`extend`); a partial schedule
 * already as costly as the bound (smallest-first's cost, less the margin
 * a new order must win by) is dropped, since adding reads never makes a
 * schedule cheaper (branch and bound). Every subset is
 * enumerated, not only connected ones (DPccp's restriction): a fact table
 * read after two unlinked dimensions takes both their key lists, an order
 * no connected growth reaches. One order is kept as smallest-first has
 * it: a read with a same-source partner it could be reduced by inside the
 * source comes after that partner, so the partner's keys (which carry
 * every reduction the partner got, and which the server answers from its
 * indexes) stay preferred over the semi-join inside the source — a choice
 * `extend` makes by rule, which the cost model alone would not.
 * Undefined when the order is not searched:
 * fewer than 3 reads (nothing to choose), more than
 * {@link MAX_SEARCHED_READS}, an estimate missing (no cost to compare) or
 * a large one only guessed (a textbook selectivity: costs would rank the guess).
 */
function searchOrders(
  order: readonly ScanPlan[],
  estimates: ReadonlyMap<ScanPlan, ReadEstimate>,
  unknownRows: ReadonlySet<TableBinding>,
  extend: (state: PartialSchedule, scan: ScanPlan) => PartialSchedule,
  /** Only schedules cheaper than this are of interest. */
  bound: number,
  /** Per read (by index in `order`), the reads that must be planned before it, as a bit mask. */
  after: readonly number[],
): PartialSchedule | undefined {
  const n = order.length;
  if (n < 3 || n > MAX_SEARCHED_READS) return undefined;
  // No large guess: a textbook selectivity (`p_name LIKE 'forest%'`: 25 % guessed, 0.8 % true) is what
  // smallest-first's waits on guessed feeders hedge against; an order chosen by the guess is not (TPC-H SF 1
  // Q20: the searched order pulled 913,531 lineitem rows that part's 1,538 keys would have cut to thousands).
  // A guess of a handful of rows (`n_name = 'CANADA'` on 25 nations) misleads no order: it is read first anyway.
  const known = (scan: ScanPlan) => {
    const e = estimates.get(scan)!;
    return (
      e.rows !== undefined &&
      e.tableRows !== undefined &&
      (e.confident || e.rows <= SMALL_GUESS_ROWS) &&
      !unknownRows.has(scan.binding)
    );
  };
  if (!order.every(known)) return undefined;
  const best = new Map<number, { state: PartialSchedule; cost: number }>([
    [0, { state: EMPTY_SCHEDULE, cost: 0 }],
  ]);
  const full = (1 << n) - 1;
  // Every subset is reached from smaller numbers only, so ascending order settles each before it grows.
  for (let mask = 0; mask < full; mask++) {
    const here = best.get(mask);
    if (!here) continue;
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if (mask & bit || (mask & after[i]!) !== after[i]) continue;
      const state = extend(here.state, order[i]!);
      const cost = costOfPartial(state);
      if (cost === undefined) return undefined;
      // A schedule's cost only grows as reads are added: one already at the bound leads nowhere better.
      if (cost >= bound) continue;
      const known = best.get(mask | bit);
      if (!known || cost < known.cost) best.set(mask | bit, { state, cost });
    }
  }
  return best.get(full)?.state;
}

/** The critical path, or DuckDB's serial loading of every row, whichever is longer. */
function scheduleCost(reads: readonly PlannedRead[]): number | undefined {
  if (reads.some((r) => r.finishesAt === undefined || r.estimatedRows === undefined)) return undefined;
  const path = Math.max(0, ...reads.map((r) => r.finishesAt!));
  const loading = reads.reduce((sum, r) => sum + (r.estimatedRows! * 1000) / DUCKDB_LOAD_ROWS_PER_SECOND, 0);
  return Math.max(path, loading);
}

/** The two strategies the schedule is shown against in EXPLAIN. */
function alternatives(
  order: readonly ScanPlan[],
  estimates: ReadonlyMap<ScanPlan, ReadEstimate>,
  costOf: (scan: ScanPlan, rows: number) => number,
  joinKeys: readonly JoinKeyEdge[],
): CostedAlternative[] {
  const rows = order.map((s) => estimates.get(s)!.rows);
  if (rows.some((r) => r === undefined)) return [];
  const whole = Math.max(0, ...order.map((s, i) => costOf(s, rows[i]!)));
  const loading = rows.reduce((sum, r) => sum! + (r! * 1000) / DUCKDB_LOAD_ROWS_PER_SECOND, 0)!;
  // One read after another, smallest first, each reduced by every earlier read's keys.
  let sequential = 0;
  const after = new Map<TableBinding, number>();
  order.forEach((scan, i) => {
    let r = rows[i]!;
    const estimate = estimates.get(scan)!;
    for (const e of joinKeys) {
      const keys = e.to === scan.binding ? after.get(e.from) : undefined;
      if (keys === undefined || keys > keyLimitOf(scan.binding)) continue;
      const from = order.find((s) => s.binding === e.from);
      const domain = from ? joinDomain(e, estimate, estimates.get(from)!) : Number.POSITIVE_INFINITY;
      const target = Number.isFinite(domain) ? domain : (estimate.tableRows ?? r);
      r *= Math.min(1, keys / Math.max(1, target));
      sequential += keys * keyCostOf(scan);
    }
    after.set(scan.binding, r);
    sequential += costOf(scan, r);
  });
  return [
    { strategy: 'every read whole, all at once', cost: round(Math.max(whole, loading)) },
    { strategy: 'one read after another, smallest first, every key list', cost: round(sequential) },
  ];
}

/**
 * How many distinct values the target's join column holds — after its own
 * filters on that column (`b.k < 2000`, implied by a partner's filter too:
 * keys of values it already excludes cut nothing more) — or, when its
 * source does not say, the other side's distinct values of its own column (a
 * foreign key ranges over the keys it references — orders' `o_custkey` over
 * customers), else the target's rows (every value distinct, the least a
 * key list can then keep).
 */
function joinDomain(edge: JoinKeyEdge, to: ReadEstimate, from: ReadEstimate): number {
  return (
    to.filteredDistinct?.[edge.toColumn] ??
    to.distinct[edge.toColumn] ??
    from.distinct[edge.fromColumn] ??
    Math.min(to.tableRows ?? Number.POSITIVE_INFINITY, from.tableRows ?? Number.POSITIVE_INFINITY)
  );
}

/**
 * The fraction of `scan`'s rows the range of `edge`'s keys would keep: the
 * share of the target column's [min, max] that the feeder column's covers,
 * by the two tables' statistics (rows spread evenly over the span, as
 * {@link selectivity} assumes). Undefined unless both spans are known and
 * the target column is an integer (a range of other keys is not sent).
 */
function keyRangeKept(
  edge: JoinKeyEdge,
  from: ReadEstimate,
  scan: ScanPlan,
  to: ReadEstimate,
): number | undefined {
  const source = from.ranges?.[edge.fromColumn];
  const target = to.ranges?.[edge.toColumn];
  if (!source || !target || target.max <= target.min) return undefined;
  const field = scan.binding.arrowSchema.fields.find((f) => f.name === edge.toColumn);
  if (!field || !arrow.DataType.isInt(field.type)) return undefined;
  const overlap = Math.min(source.max, target.max) - Math.max(source.min, target.min);
  return Math.max(0, overlap) / (target.max - target.min);
}

/**
 * Distinct values of `column` among `rows` rows of a read: with `m` rows
 * per value on average and a fraction `s` of the rows kept, a value
 * survives with probability `1 − (1 − s)^m` — half of lineitem's rows keep
 * nearly every order key, half of orders' rows keep half of them.
 */
export function distinctKept(estimate: ReadEstimate, column: string, rows: number): number {
  const total = estimate.tableRows;
  if (!total) return rows;
  const distinct = Math.min(total, estimate.distinct[column] ?? total);
  const perValue = total / Math.max(1, distinct);
  const kept = Math.min(1, rows / total);
  return Math.min(rows, distinct * (1 - (1 - kept) ** perValue));
}

/** Ascending, unknown (infinite) last; equal sizes keep the query's order (the sort is stable). */
function compareRows(a: number, b: number): number {
  return a === b ? 0 : a - b;
}

function rowsOf(estimates: ReadonlyMap<ScanPlan, ReadEstimate>, scan: ScanPlan): number {
  return estimates.get(scan)?.rows ?? Number.POSITIVE_INFINITY;
}

function widthOf(estimate: ReadEstimate): number {
  return estimate.rows ? (estimate.bytes ?? 0) / estimate.rows : 16;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
