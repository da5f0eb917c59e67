/**
 * Parquet on S3, selective scan: a 10M-row file sorted on `id` (many row
 * groups) on s3rver; a 1%-selective filter on `id` through the parquet
 * connector, against the file's size (bytes) and DuckDB `read_parquet` on a
 * local copy (time), measured in the same run, for both decoders (DuckDB
 * on a local subset file, and the JavaScript one). Targets: ≤ 5% of the
 * bytes, ≤ 2× DuckDB's time, and the repeated query served from cache.
 * The machine is shared: rounds interleave the measurements, and best and
 * median are both printed with the load average.
 *
 *   node --import tsx bench/parquet-s3.ts [rows] [rounds]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createParquetConnector, type ParquetTable } from '@spoke/connector-parquet';
import { Ex, type ScanRequest, Types } from '@spoke/core';
import { openStore } from '@spoke/object-store';
import { startS3Server } from '../test/harness/s3-server.js';

const ROWS = Number(process.argv[2] ?? 10_000_000);
const ROW_GROUP = 100_000;
const RUNS = Number(process.argv[3] ?? 7);
const WARM_PER_ROUND = 3;
/** Both decoders, measured in the same run (see the connector's README, "The reader"). */
const DECODERS = ['duckdb', 'js'] as const;
type Decoder = (typeof DECODERS)[number];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

const dir = mkdtempSync(join(tmpdir(), 'spoke-bench-pq-'));
const s3 = await startS3Server({ buckets: ['bench'] });
try {
  const file = join(dir, 'big.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  let t0 = process.hrtime.bigint();
  await conn.run(
    `COPY (SELECT i::BIGINT AS id, (i * 0.37) % 1000 AS v, 'cat-' || (i % 97) AS cat, ((i % 100000) / 100.0)::DECIMAL(12,2) AS amount
           FROM range(${ROWS}) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE ${ROW_GROUP})`,
  );
  const size = statSync(file).size;
  console.log(
    `generated ${ROWS} rows, ${(size / 1e6).toFixed(1)} MB, ${Math.ceil(ROWS / ROW_GROUP)} row groups in ${ms(t0).toFixed(0)} ms`,
  );
  const s3Options = {
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    region: s3.region,
  };
  const up = openStore('s3://bench/lake/', { s3: s3Options });
  t0 = process.hrtime.bigint();
  await up.put('big/big.parquet', new Uint8Array(readFileSync(file)));
  await up.close();
  console.log(`uploaded to s3rver in ${ms(t0).toFixed(0)} ms`);

  const lo = Math.floor(ROWS / 2);
  const hi = lo + Math.floor(ROWS / 100) - 1;
  const projection = ['id', 'v', 'cat', 'amount'];
  const request = (): ScanRequest => ({
    projection,
    filters: [Ex.between(Ex.col('id'), Ex.lit(BigInt(lo), Types.int64), Ex.lit(BigInt(hi), Types.int64))],
    signal: new AbortController().signal,
    context: { queryId: 'bench', roles: [] },
  });

  // Rounds interleave every measurement, so load from other users of the machine hits them alike.
  // Each round: DuckDB on the local copy; then per decoder a fresh connector (cold: listing, footer and
  // ranged GETs) and the same scan again on it WARM_PER_ROUND times (warm: bytes from the L1 cache, as a
  // long-running gateway repeats a query).
  type Figures = {
    cold: number[];
    warm: number[];
    bytes: number;
    gets: number;
    rows: number;
    warmGets: number;
  };
  const figures = new Map<Decoder, Figures>(
    DECODERS.map((d) => [d, { cold: [], warm: [], bytes: 0, gets: 0, rows: 0, warmGets: 0 }]),
  );
  const duck: number[] = [];
  let duckRows = 0;
  const scan = async (table: ParquetTable) => {
    let rows = 0;
    for await (const b of table.scan(request())) rows += b.numRows;
    return rows;
  };
  const load0 = loadavg()[0] as number;
  for (let r = 0; r < RUNS; r++) {
    t0 = process.hrtime.bigint();
    const res = await conn.runAndReadAll(
      `SELECT ${projection.join(', ')} FROM read_parquet('${file}') WHERE id BETWEEN ${lo} AND ${hi}`,
    );
    duckRows = res.currentRowCount;
    duck.push(ms(t0));
    for (const decoder of DECODERS) {
      const f = figures.get(decoder) as Figures;
      const c = await createParquetConnector(
        { url: 's3://bench/lake/', s3: { ...s3Options, forcePathStyle: 'true' }, decoder },
        { sourceName: 'bench', baseDir: dir },
      );
      const table = (await c.catalog.getTable('main', 'big')) as ParquetTable;
      t0 = process.hrtime.bigint();
      f.rows = await scan(table);
      f.cold.push(ms(t0));
      f.bytes = c.store.stats.bytesRead;
      f.gets = c.store.stats.gets;
      const gets = c.store.stats.gets;
      for (let w = 0; w < WARM_PER_ROUND; w++) {
        t0 = process.hrtime.bigint();
        await scan(table);
        f.warm.push(ms(t0));
      }
      f.warmGets += c.store.stats.gets - gets;
      await c.close();
    }
  }
  const load1 = loadavg()[0] as number;
  conn.closeSync();
  db.closeSync();

  const best = (xs: number[]) => Math.min(...xs);
  const d = { best: best(duck), median: median(duck) };
  console.log(
    `filter: id BETWEEN ${lo} AND ${hi} (${((100 * (hi - lo + 1)) / ROWS).toFixed(2)}% of rows); DuckDB returns ${duckRows} rows`,
  );
  console.log(
    `machine: ${cpus().length} cores, load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end; ${RUNS} rounds`,
  );
  console.log(`DuckDB read_parquet local: best ${d.best.toFixed(1)} ms, median ${d.median.toFixed(1)} ms`);
  for (const decoder of DECODERS) {
    const f = figures.get(decoder) as Figures;
    const bytesPct = (100 * f.bytes) / size;
    console.log(`-- decoder ${decoder}: ${f.rows} rows returned`);
    console.log(
      `   bytes fetched (cold, incl. footer): ${f.bytes} of ${size} = ${bytesPct.toFixed(2)}% in ${f.gets} GETs  (target <= 5%)  ${bytesPct <= 5 ? 'OK' : 'MISS'}`,
    );
    console.log(
      `   cold (fresh connector, footer + ranged GETs): best ${best(f.cold).toFixed(1)} ms, median ${median(f.cold).toFixed(1)} ms`,
    );
    console.log(
      `   warm (cached bytes): best ${best(f.warm).toFixed(1)} ms, median ${median(f.warm).toFixed(1)} ms; GETs on repeats: ${f.warmGets}  ${f.warmGets === 0 ? 'OK (served from cache)' : 'MISS'}`,
    );
    const ratio = (xs: number[]) =>
      `${(best(xs) / d.best).toFixed(2)}x best/best, ${(median(xs) / d.median).toFixed(2)}x median/median`;
    console.log(`   ratio cold/DuckDB: ${ratio(f.cold)}`);
    console.log(
      `   ratio warm/DuckDB: ${ratio(f.warm)}  (target <= 2x)  ${best(f.warm) / d.best <= 2 ? 'OK' : 'MISS'}`,
    );
  }
} finally {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
}
