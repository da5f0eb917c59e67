/**
 * Parquet on S3, selective scan: a 10M-row file sorted on `id` (many row
 * groups) on s3rver; a 1%-selective filter on `id` through the parquet
 * connector, against the file's size (bytes) and DuckDB `read_parquet` on a
 * local copy (time), measured in the same run. Targets: ≤ 5% of the bytes,
 * ≤ 2× DuckDB's time, and the repeated query served from cache.
 *
 *   node --import tsx bench/parquet-s3.ts [rows]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createParquetConnector, type ParquetTable } from '@spoke/connector-parquet';
import { Ex, type ScanRequest, Types } from '@spoke/core';
import { openStore } from '@spoke/object-store';
import { startS3Server } from '../test/harness/s3-server.js';

const ROWS = Number(process.argv[2] ?? 10_000_000);
const ROW_GROUP = 100_000;
const RUNS = 5;

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

  // Cold: a fresh connector each run (empty caches, footer not yet read).
  const cold: { time: number; bytes: number; rows: number }[] = [];
  let warmTable: ParquetTable | undefined;
  let warmConnector: Awaited<ReturnType<typeof createParquetConnector>> | undefined;
  for (let r = 0; r < RUNS; r++) {
    const c = await createParquetConnector(
      { url: 's3://bench/lake/', s3: { ...s3Options, forcePathStyle: 'true' } },
      { sourceName: 'bench', baseDir: dir },
    );
    const table = (await c.catalog.getTable('main', 'big')) as ParquetTable;
    t0 = process.hrtime.bigint();
    let rows = 0;
    for await (const b of table.scan(request())) rows += b.numRows;
    cold.push({ time: ms(t0), bytes: c.store.stats.bytesRead, rows });
    if (r === RUNS - 1) {
      warmTable = table;
      warmConnector = c;
    } else await c.close();
  }
  // Warm: the same connector again: served from the L1 cache.
  const warm: number[] = [];
  const getsBefore = warmConnector!.store.stats.gets;
  for (let r = 0; r < RUNS; r++) {
    t0 = process.hrtime.bigint();
    for await (const _ of warmTable!.scan(request())) void _;
    warm.push(ms(t0));
  }
  const warmGets = warmConnector!.store.stats.gets - getsBefore;
  await warmConnector!.close();

  // DuckDB read_parquet on the local copy, same filter and columns, result materialised.
  const duck: number[] = [];
  let duckRows = 0;
  for (let r = 0; r < RUNS; r++) {
    t0 = process.hrtime.bigint();
    const res = await conn.runAndReadAll(
      `SELECT ${projection.join(', ')} FROM read_parquet('${file}') WHERE id BETWEEN ${lo} AND ${hi}`,
    );
    duckRows = res.currentRowCount;
    duck.push(ms(t0));
  }
  conn.closeSync();
  db.closeSync();

  const c0 = cold[0]!;
  const coldMedian = median(cold.map((c) => c.time));
  const bytesPct = (100 * c0.bytes) / size;
  console.log(
    `filter: id BETWEEN ${lo} AND ${hi} (${((100 * (hi - lo + 1)) / ROWS).toFixed(2)}% of rows); ${c0.rows} rows returned by the scan (row-group granular), DuckDB ${duckRows}`,
  );
  console.log(
    `bytes fetched (cold, incl. footer): ${c0.bytes} of ${size} = ${bytesPct.toFixed(2)}%  (target <= 5%)  ${bytesPct <= 5 ? 'OK' : 'MISS'}`,
  );
  console.log(
    `time cold (median of ${RUNS}, fresh connector, footer + ranged GETs): ${coldMedian.toFixed(1)} ms`,
  );
  console.log(
    `time warm (median of ${RUNS}, cached): ${median(warm).toFixed(1)} ms, GETs on repeats: ${warmGets}  ${warmGets === 0 ? 'OK (served from cache)' : 'MISS'}`,
  );
  console.log(`DuckDB read_parquet local (median of ${RUNS}): ${median(duck).toFixed(1)} ms`);
  console.log(
    `ratio cold/DuckDB: ${(coldMedian / median(duck)).toFixed(2)}x, warm/DuckDB: ${(median(warm) / median(duck)).toFixed(2)}x  (target <= 2x)`,
  );
} finally {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
}
