/**
 * The fixed cost of a small Lance read through the connector: a 25-row
 * table (TPC-H `nation`) scanned whole, with an equality filter, and with
 * an IN list (a join's keys), as the federated TPC-H plans read it — plus
 * `snapshot()`, the read cache's token, per call.
 *
 *   node --import tsx bench/lance-small-read.ts [calls=400]
 *
 * Prints the median and p90 per call (µs) of each, and the same reads made
 * with LanceDB directly (`table.query()…toArrow()`) as the floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { LanceConnector } from '@spoke/connector-lance';
import { arrow, Ex, type Expr, type RecordBatch, type ScanRequest, Types } from '@spoke/core';

const CALLS = Number(process.argv[2] ?? 400);
const { col, lit, cmp } = Ex;

const NATIONS = [
  'ALGERIA',
  'ARGENTINA',
  'BRAZIL',
  'CANADA',
  'EGYPT',
  'ETHIOPIA',
  'FRANCE',
  'GERMANY',
  'INDIA',
  'INDONESIA',
  'IRAN',
  'IRAQ',
  'JAPAN',
  'JORDAN',
  'KENYA',
  'MOROCCO',
  'MOZAMBIQUE',
  'PERU',
  'CHINA',
  'ROMANIA',
  'SAUDI ARABIA',
  'VIETNAM',
  'RUSSIA',
  'UNITED KINGDOM',
  'UNITED STATES',
];

function nationBatch(): RecordBatch {
  return arrow.tableFromArrays({
    n_nationkey: Int32Array.from(NATIONS, (_, i) => i),
    n_name: NATIONS,
    n_regionkey: Int32Array.from(NATIONS, (_, i) => i % 5),
    n_comment: NATIONS.map((n) => `comment about ${n.toLowerCase()} and its furious deposits`),
  }).batches[0]!;
}

async function measure(label: string, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0);
  console.log(`${label.padEnd(44)} median ${at(0.5).padStart(6)} µs   p90 ${at(0.9).padStart(6)} µs`);
}

const dir = mkdtempSync(join(tmpdir(), 'spoke-lance-small-'));
try {
  const connector = await LanceConnector.open({ uri: dir }, { sourceName: 'lance', baseDir: dir });
  const batch = nationBatch();
  await connector.createTableFrom('nation', batch.schema, [batch]);
  const table = (await connector.catalog.getTable('default', 'nation'))!;
  const signal = new AbortController().signal;
  const request = (projection: string[], filters: Expr[]): ScanRequest => ({
    projection,
    filters,
    signal,
    context: { queryId: 'bench', roles: [] },
  });
  const scan = async (r: ScanRequest) => {
    let rows = 0;
    for await (const b of table.scan(r)) rows += b.numRows;
    return rows;
  };
  const all = request(['n_nationkey', 'n_name', 'n_regionkey', 'n_comment'], []);
  const eq = request(['n_nationkey', 'n_name'], [cmp('=', col('n_name'), lit('FRANCE', Types.utf8))]);
  const inList = request(
    ['n_nationkey', 'n_name', 'n_regionkey'],
    [
      Ex.in(
        col('n_regionkey'),
        [0, 1, 3].map((k) => lit(k, Types.int32)),
      ),
    ],
  );
  if ((await scan(all)) !== 25 || (await scan(eq)) !== 1 || (await scan(inList)) !== 15)
    throw new Error('unexpected row counts');

  const db = await lancedb.connect(dir, { readConsistencyInterval: 0 });
  const raw = await db.openTable('nation');
  console.log(`Lance small reads, 25-row table, ${CALLS} calls each (after 50 warm-up)`);
  await measure('lancedb query().toArrow() (floor)', () => raw.query().toArrow());
  await measure('lancedb query().where(=).select(2)', () =>
    raw.query().where("n_name = 'FRANCE'").select(['n_nationkey', 'n_name']).toArrow(),
  );
  await measure('connector scan, all columns', () => scan(all));
  await measure('connector scan, = filter, 2 columns', () => scan(eq));
  await measure('connector scan, IN (3 keys), 3 columns', () => scan(inList));
  await measure('connector supportsFilters + scan (=)', async () => {
    await table.supportsFilters?.(eq.filters);
    return scan(eq);
  });
  if (table.snapshot) {
    await measure('snapshot() latest', () => table.snapshot!(signal));
    const past = (await connector.catalog.getTable('default', 'nation@v1'))!;
    await measure('snapshot() past version (nation@v1)', () => past.snapshot!(signal));
  }
  raw.close();
  db.close();
  await connector.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
