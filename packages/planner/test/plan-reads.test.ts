/**
 * The read schedule for given statistics and links (unit): which read
 * waits for whose keys, and in what order they are planned — smallest
 * first, or the cheaper order the search over subsets finds when link
 * speed and key selectivity say so. Tables here are descriptions only (no
 * source is read): the planner sees names, sizes, distinct counts and
 * links, exactly what estimates and link profiles give it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arrow } from '@spoke/core';
import type { TableBinding } from '../src/binder/scope.js';
import { LinkProfiles } from '../src/cost/link-profile.js';
import type { JoinKeyEdge } from '../src/pushdown/plan-join-keys.js';
import type { ScanPlan } from '../src/pushdown/plan-scans.js';
import type { ReadEstimate } from '../src/statistics/estimate-reads.js';
import { MAX_SEARCHED_READS, planReads, type ReadSchedule } from '../src/strategies/plan-reads.js';

interface TableSpec {
  readonly alias: string;
  readonly source: string;
  /** Rows after its filters, and in the whole table. */
  readonly rows: number;
  readonly tableRows?: number;
  /** Distinct values per column. */
  readonly distinct?: Record<string, number>;
  /** Bytes per row. */
  readonly width?: number;
  /** Each column's [min, max] from the statistics. */
  readonly ranges?: Record<string, { min: number; max: number }>;
}

let nextId = 0;

/** A scan of a table described by `spec` (a server source: SQL, so its link is a network link). */
function scanOf(spec: TableSpec): { scan: ScanPlan; estimate: ReadEstimate } {
  const id = nextId++;
  const binding = {
    id,
    alias: spec.alias,
    source: spec.source,
    schema: 'public',
    table: spec.alias,
    connector: { sql: {} },
    provider: {},
    arrowSchema: new arrow.Schema([new arrow.Field('k', new arrow.Int64())]),
  } as unknown as TableBinding;
  const scan: ScanPlan = { binding, relation: `__spoke_${id}`, projection: ['k'], candidates: [] };
  const estimate: ReadEstimate = {
    rows: spec.rows,
    bytes: spec.rows * (spec.width ?? 16),
    tableRows: spec.tableRows ?? spec.rows,
    distinct: spec.distinct ?? {},
    ...(spec.ranges ? { ranges: spec.ranges } : {}),
    basis: 'statistics',
    confident: true,
  };
  return { scan, estimate };
}

/** Join edges both ways between `a.column` and `b.column`. */
function join(
  { scan: a }: { scan: ScanPlan },
  aColumn: string,
  { scan: b }: { scan: ScanPlan },
  bColumn: string,
): JoinKeyEdge[] {
  return [
    { from: a.binding, fromColumn: aColumn, to: b.binding, toColumn: bColumn },
    { from: b.binding, fromColumn: bColumn, to: a.binding, toColumn: aColumn },
  ];
}

function plan(
  tables: { scan: ScanPlan; estimate: ReadEstimate }[],
  joinKeys: JoinKeyEdge[],
  links: ConstructorParameters<typeof LinkProfiles>[0] = {},
): ReadSchedule {
  return planReads({
    scans: tables.map((t) => t.scan),
    joinKeys,
    estimates: new Map(tables.map((t) => [t.scan, t.estimate])),
    links: new LinkProfiles(links),
    params: [],
    mayShipKeys: () => true,
  });
}

function readOf(schedule: ReadSchedule, alias: string) {
  const read = schedule.reads.find((r) => r.scan.binding.alias === alias);
  assert.ok(read, `a read of ${alias}`);
  return read;
}

describe('read order', () => {
  test('a larger read on a fast link with few distinct keys feeds a smaller one on a slow link', () => {
    // far: 5,000 wide rows over 20 ms and 2 Mbit/s; near: 10,000 rows of only 40 customers, on a LAN.
    const far = scanOf({ alias: 'far', source: 'remote', rows: 5_000, width: 200, distinct: { k: 5_000 } });
    const near = scanOf({
      alias: 'near',
      source: 'local',
      rows: 10_000,
      tableRows: 200_000,
      distinct: { k: 40 },
    });
    const tiny = scanOf({ alias: 'tiny', source: 'local2', rows: 3, distinct: { k: 3 } });
    const links = { remote: { latencyMs: 20, mbps: 2 }, local: { latencyMs: 0.2, mbps: 1000 } };
    const edges = [...join(near, 'k', far, 'k'), ...join(tiny, 'k', near, 'k')];
    // Without the third read there is nothing to search (two reads: smallest first decides).
    const schedule = plan([far, near, tiny], edges, links);
    const farRead = readOf(schedule, 'far');
    assert.deepEqual(
      farRead.waitsFor.map((e) => e.from.alias),
      ['near'],
      `far waits for near's keys: ${farRead.strategy}`,
    );
    assert.ok(farRead.estimatedRows! <= 100, `far reduced to near's 40 keys' rows: ${farRead.estimatedRows}`);
    // Smallest first would read far first, whole; EXPLAIN shows that order as the runner-up it beat.
    const greedy = schedule.alternatives.find((a) => /smallest first, each waiting/.test(a.strategy));
    assert.ok(greedy, JSON.stringify(schedule.alternatives));
    assert.ok(schedule.cost! < greedy.cost * 0.5, `${schedule.cost} vs ${greedy.cost}`);
    const order = schedule.reads.map((r) => r.scan.binding.alias);
    assert.ok(order.indexOf('near') < order.indexOf('far'), order.join(', '));
  });

  test('a fact table is read after the dimensions that reduce it, each taking its keys (not only linked growth)', () => {
    const fact = scanOf({
      alias: 'fact',
      source: 'warehouse',
      rows: 1_000_000,
      distinct: { a: 10_000, b: 10_000 },
    });
    const dimA = scanOf({ alias: 'da', source: 'crm', rows: 50, tableRows: 10_000, distinct: { a: 10_000 } });
    const dimB = scanOf({ alias: 'db', source: 'erp', rows: 80, tableRows: 10_000, distinct: { b: 10_000 } });
    const edges = [...join(dimA, 'a', fact, 'a'), ...join(dimB, 'b', fact, 'b')];
    const schedule = plan([fact, dimA, dimB], edges, { warehouse: { latencyMs: 5, mbps: 100 } });
    const read = readOf(schedule, 'fact');
    assert.deepEqual(read.waitsFor.map((e) => e.from.alias).sort(), ['da', 'db']);
    assert.equal(schedule.reads.at(-1)?.scan.binding.alias, 'fact');
  });

  test('when the orders cost the same, smallest first stays (no alternative listed)', () => {
    const a = scanOf({ alias: 'a', source: 's1', rows: 10, distinct: { k: 10 } });
    const b = scanOf({ alias: 'b', source: 's2', rows: 1_000, distinct: { k: 1_000 } });
    const c = scanOf({ alias: 'c', source: 's3', rows: 100_000, distinct: { k: 1_000 } });
    const schedule = plan([c, b, a], [...join(a, 'k', b, 'k'), ...join(b, 'k', c, 'k')]);
    assert.deepEqual(
      schedule.reads.map((r) => r.scan.binding.alias),
      ['a', 'b', 'c'],
    );
    assert.equal(
      schedule.alternatives.some((x) => /smallest first, each waiting/.test(x.strategy)),
      false,
    );
  });

  test(`the search over ${MAX_SEARCHED_READS} reads plans in milliseconds; above that, smallest first`, () => {
    const build = (n: number) => {
      const tables = Array.from({ length: n }, (_, i) =>
        scanOf({
          alias: `t${i}`,
          source: `s${i}`,
          rows: 10 ** (1 + (i % 5)) * (i + 1),
          distinct: { k: 1_000 },
        }),
      );
      // A chain with a star around the first table: every read has a partner.
      const edges = tables.slice(1).flatMap((t, i) => join(tables[i]!, 'k', t, 'k'));
      edges.push(...tables.slice(2).flatMap((t) => join(tables[0]!, 'k', t, 'k')));
      return { tables, edges };
    };
    const { tables, edges } = build(MAX_SEARCHED_READS);
    plan(tables, edges);
    const started = performance.now();
    const schedule = plan(tables, edges);
    const ms = performance.now() - started;
    assert.equal(schedule.reads.length, MAX_SEARCHED_READS);
    assert.ok(ms < 1_000, `planned in ${ms.toFixed(1)} ms`);
    const big = build(MAX_SEARCHED_READS + 2);
    const bigStarted = performance.now();
    const bigSchedule = plan(big.tables, big.edges);
    assert.equal(bigSchedule.reads.length, MAX_SEARCHED_READS + 2);
    assert.ok(performance.now() - bigStarted < 200);
  });
});

describe('semi-join by key range', () => {
  // 100,000 recent visits name 50,000 orders, all among the newest 5 % of 1,000,000 order ids: too many keys for
  // the orders table's list (20,000), but their range keeps a twentieth of it.
  const visits = () =>
    scanOf({
      alias: 'v',
      source: 'clicks',
      rows: 100_000,
      distinct: { k: 50_000 },
      ranges: { k: { min: 950_001, max: 1_000_000 } },
    });
  const orders = (ranges?: Record<string, { min: number; max: number }>) =>
    scanOf({
      alias: 'o',
      source: 'shop',
      rows: 1_000_000,
      distinct: { k: 1_000_000 },
      ...(ranges ? { ranges } : {}),
    });
  const links = { shop: { latencyMs: 5, mbps: 100 } };

  test('keys too many for a list, in a narrow band of the target: the read waits for their range', () => {
    const v = visits();
    const o = orders({ k: { min: 1, max: 1_000_000 } });
    const schedule = plan([v, o], join(v, 'k', o, 'k'), links);
    const read = readOf(schedule, 'o');
    assert.equal(read.strategy, 'semi-join by key range (v)');
    assert.deepEqual(
      read.byKeyRange?.map((e) => e.from.alias),
      ['v'],
    );
    assert.ok(read.estimatedRows! <= 60_000, `about a twentieth of the orders: ${read.estimatedRows}`);
  });

  test('keys over most of the target span: no range, the read is pulled', () => {
    const o = orders({ k: { min: 900_000, max: 1_000_000 } });
    // 80 % of the target's span: more than the 3/4 a reduction must keep at most to be considered.
    const wide = scanOf({
      alias: 'w',
      source: 'clicks',
      rows: 100_000,
      distinct: { k: 50_000 },
      ranges: { k: { min: 920_000, max: 1_000_000 } },
    });
    const schedule = plan([wide, o], join(wide, 'k', o, 'k'), links);
    const read = readOf(schedule, 'o');
    assert.equal(read.strategy, 'pull');
    assert.equal(read.byKeyRange, undefined);
  });

  test('without the span of the target column in the statistics, no range is planned', () => {
    const v = visits();
    const o = orders();
    const schedule = plan([v, o], join(v, 'k', o, 'k'), links);
    assert.equal(readOf(schedule, 'o').strategy, 'pull');
  });

  test('keys few enough for a list still go as a list', () => {
    const v = scanOf({
      alias: 'v',
      source: 'clicks',
      rows: 5_000,
      distinct: { k: 5_000 },
      ranges: { k: { min: 950_001, max: 1_000_000 } },
    });
    const o = orders({ k: { min: 1, max: 1_000_000 } });
    const schedule = plan([v, o], join(v, 'k', o, 'k'), links);
    const read = readOf(schedule, 'o');
    assert.equal(read.strategy, 'semi-join by keys (v)');
    assert.equal(read.byKeyRange, undefined);
  });
});
