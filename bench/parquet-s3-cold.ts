/**
 * Parquet on S3, the cold first query (issue 20, item 5): a fresh connector
 * — empty memory cache, empty disk cache directory — against s3rver running
 * in its own process (as a real object store runs elsewhere, it does not
 * share the connector's event loop), beside DuckDB `read_parquet` on a local
 * copy of the same files, in the same run. Two tables: `multi`, a prefix of
 * several files (sorted on `id` across files, 100k-row row groups), and
 * `big`, one large file. Two queries on each: a 1%-selective filter on `id`
 * (all four columns) and a full-column aggregate-style scan (`sum(v)`: the
 * connector returns every `v`, summed here; DuckDB sums locally). Each cold
 * figure is timed from the connector's creation (catalog discovery LIST
 * included) to the last batch. A second connector on the same cache
 * directory then runs the query again ("restart": footers and data from the
 * disk cache, no object GET for footers). Target: cold ≤ 2× DuckDB local.
 *
 * What bounds a cold figure: "store alone" replays the cold run's own LIST
 * and GETs (same keys and ranges, same waves: a GET waits only for the ones
 * that ended before it started) on a fresh store, without decoding; the
 * restart figure is the decoding side (no GET). The Parquet connectors of a
 * process share one DuckDB instance (started by the first connector, ~10 ms
 * of CPU in the background): only the first cold query of a run starts it.
 *
 *   node --import tsx bench/parquet-s3-cold.ts [files=12] [rowsPerFile=1000000] [bigRows=10000000] [rounds=5]
 *
 * `BENCH_QUERIES=selective` (or `sum`) runs only those (more rounds in the same time on a shared machine).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { createParquetConnector, type ParquetConnector } from '@spoke/connector-parquet';
import { Ex, type ScanRequest, Types } from '@spoke/core';
import { type ObjectStore, openStore } from '@spoke/object-store';
import { startS3Server } from '../test/harness/s3-server.js';

if (process.argv[2] === '--serve') {
  // The child: s3rver on a free port; prints its endpoint, stops when the parent closes stdin.
  const s3 = await startS3Server({ buckets: ['bench'] });
  process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void s3.close().then(() => process.exit(0)));
} else {
  await main();
}

async function startChildS3(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`s3rver child exited with ${code}`)));
  });
  return { endpoint: (JSON.parse(line) as { endpoint: string }).endpoint, child };
}

async function main(): Promise<void> {
  const FILES = Number(process.argv[2] ?? 12);
  const ROWS_PER_FILE = Number(process.argv[3] ?? 1_000_000);
  const BIG_ROWS = Number(process.argv[4] ?? 10_000_000);
  const ROUNDS = Number(process.argv[5] ?? 5);
  const ROW_GROUP = 100_000;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const best = (xs: number[]) => Math.min(...xs);
  const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

  const dir = mkdtempSync(join(tmpdir(), 'spoke-bench-pqcold-'));
  const { endpoint, child } = await startChildS3();
  try {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const select = (from: number, to: number) =>
      `SELECT i::BIGINT AS id, (hash(i) % 100000000)::DOUBLE / 100 AS v, 'cat-' || (i % 97) AS cat,
              ((i % 100000) / 100.0)::DECIMAL(12,2) AS amount FROM range(${from}, ${to}) t(i)`;
    let t0 = process.hrtime.bigint();
    mkdirSync(join(dir, 'multi'));
    const multiFiles: string[] = [];
    for (let f = 0; f < FILES; f++) {
      const path = join(dir, 'multi', `part-${String(f).padStart(3, '0')}.parquet`);
      await conn.run(
        `COPY (${select(f * ROWS_PER_FILE, (f + 1) * ROWS_PER_FILE)}) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE ${ROW_GROUP})`,
      );
      multiFiles.push(path);
    }
    const bigFile = join(dir, 'big.parquet');
    await conn.run(
      `COPY (${select(0, BIG_ROWS)}) TO '${bigFile}' (FORMAT parquet, ROW_GROUP_SIZE ${ROW_GROUP})`,
    );
    const multiBytes = multiFiles.reduce((s, p) => s + statSync(p).size, 0);
    const bigBytes = statSync(bigFile).size;
    console.log(
      `generated multi: ${FILES} files × ${ROWS_PER_FILE} rows, ${(multiBytes / 1e6).toFixed(1)} MB; big: ${BIG_ROWS} rows, ${(bigBytes / 1e6).toFixed(1)} MB; in ${ms(t0).toFixed(0)} ms`,
    );
    const s3 = {
      endpoint,
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      region: 'us-east-1',
    };
    const up = openStore('s3://bench/lake/', { s3 });
    t0 = process.hrtime.bigint();
    for (const p of multiFiles)
      await up.put(`multi/${p.slice(p.lastIndexOf('/') + 1)}`, new Uint8Array(readFileSync(p)));
    await up.put('big.parquet', new Uint8Array(readFileSync(bigFile)));
    await up.close();
    console.log(`uploaded to s3rver (own process) in ${ms(t0).toFixed(0)} ms`);

    type Query = 'selective' | 'sum';
    const QUERIES = (process.env.BENCH_QUERIES ?? 'selective,sum').split(',') as Query[];
    type Table = 'multi' | 'big';
    const rowsOf: Record<Table, number> = { multi: FILES * ROWS_PER_FILE, big: BIG_ROWS };
    const range = (table: Table) => {
      const lo = Math.floor(rowsOf[table] / 2) + 12_345;
      return { lo, hi: lo + Math.floor(rowsOf[table] / 100) - 1 };
    };
    const localOf = (table: Table) =>
      table === 'big' ? `'${bigFile}'` : `'${join(dir, 'multi', '*.parquet')}'`;
    const duckSql = (table: Table, query: Query) => {
      const { lo, hi } = range(table);
      return query === 'selective'
        ? `SELECT id, v, cat, amount FROM read_parquet(${localOf(table)}) WHERE id BETWEEN ${lo} AND ${hi}`
        : `SELECT sum(v) AS s, count(*) AS n FROM read_parquet(${localOf(table)})`;
    };
    const request = (table: Table, query: Query): ScanRequest => {
      const { lo, hi } = range(table);
      return query === 'selective'
        ? {
            projection: ['id', 'v', 'cat', 'amount'],
            filters: [
              Ex.between(Ex.col('id'), Ex.lit(BigInt(lo), Types.int64), Ex.lit(BigInt(hi), Types.int64)),
            ],
            signal: new AbortController().signal,
            context: { queryId: 'bench', roles: [] },
          }
        : {
            projection: ['v'],
            filters: [],
            signal: new AbortController().signal,
            context: { queryId: 'bench', roles: [] },
          };
    };
    /** Runs the query on the connector; answers rows and (for sum) the sum of v. */
    const runOn = async (c: ParquetConnector, table: Table, query: Query) => {
      const t = await c.catalog.getTable('main', table);
      if (!t) throw new Error(`no table ${table}`);
      let rows = 0;
      let sum = 0;
      for await (const b of t.scan(request(table, query))) {
        rows += b.numRows;
        if (query === 'sum') {
          const col = b.getChildAt(0) as unknown as {
            data: { values: Float64Array; offset: number; length: number }[];
          };
          for (const d of col.data) {
            const values = d.values as Float64Array;
            for (let i = 0; i < d.length; i++) sum += values[d.offset + i] as number;
          }
        }
      }
      return { rows, sum };
    };
    const connectorOptions = (cacheDirectory: string) => ({
      url: 's3://bench/lake/',
      s3: { ...s3, forcePathStyle: 'true' },
      cacheDirectory,
    });
    const context = { sourceName: 'bench', baseDir: dir };

    type Cell = {
      duck: number[];
      cold: number[];
      restart: number[];
      store: number[];
      gets: number;
      footerGets: number;
    };
    /** One request of a cold run, relative to the connector's creation. */
    type Sent = { key?: string; range?: { start: number; end: number }; start: number; end: number };
    /** Records the LIST and GETs a connector's store sends (the store's own methods, wrapped). */
    const record = (c: ParquetConnector, t: bigint): Sent[] => {
      const sent: Sent[] = [];
      const inner = c.store.inner as ObjectStore;
      const get = inner.get.bind(inner);
      const list = inner.list.bind(inner);
      inner.get = async (key, options) => {
        const start = ms(t);
        const bytes = await get(key, options);
        sent.push({ key, ...(options?.range ? { range: options.range } : {}), start, end: ms(t) });
        return bytes;
      };
      inner.list = async function* (prefix, signal) {
        const start = ms(t);
        yield* list(prefix, signal);
        sent.push({ start, end: ms(t) });
      };
      return sent;
    };
    /**
     * Sends the same requests on a fresh store, without decoding: in waves, a
     * request waiting only for those that had ended when it started. Answers
     * the milliseconds from the first to the last.
     */
    const replay = async (sent: readonly Sent[]): Promise<number> => {
      const store = openStore('s3://bench/lake/', { s3 });
      try {
        const order = [...sent].sort((a, b) => a.start - b.start);
        const waves: Sent[][] = [];
        let lastEnd = Number.NEGATIVE_INFINITY;
        for (const r of order) {
          const wave = waves[waves.length - 1];
          if (wave && r.start < lastEnd) wave.push(r);
          else waves.push([r]);
          lastEnd = Math.max(...(waves[waves.length - 1] as Sent[]).map((w) => w.end));
        }
        const t = process.hrtime.bigint();
        for (const wave of waves)
          await Promise.all(
            wave.map(async (r) => {
              if (r.key === undefined) for await (const _ of store.list('')) void _;
              else await store.get(r.key, r.range ? { range: r.range } : {});
            }),
          );
        return ms(t);
      } finally {
        await store.close();
      }
    };
    const cells = new Map<string, Cell>();
    const answers = new Map<string, string>();
    const load0 = loadavg()[0] as number;
    let round = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const table of ['multi', 'big'] as Table[]) {
        for (const query of QUERIES) {
          const id = `${table} ${query}`;
          const cell = cells.get(id) ?? {
            duck: [],
            cold: [],
            restart: [],
            store: [],
            gets: 0,
            footerGets: 0,
          };
          cells.set(id, cell);
          t0 = process.hrtime.bigint();
          const res = await conn.runAndReadAll(duckSql(table, query));
          cell.duck.push(ms(t0));
          const duckRows = query === 'sum' ? Number(res.getRows()[0]?.[1]) : res.currentRowCount;
          const duckSum = query === 'sum' ? Number(res.getRows()[0]?.[0]) : 0;
          // Cold: a new connector, an empty cache directory.
          const cacheDirectory = join(dir, `cache-${round++}`);
          t0 = process.hrtime.bigint();
          const c = await createParquetConnector(connectorOptions(cacheDirectory), context);
          const sent = record(c, t0);
          const out = await runOn(c, table, query);
          cell.cold.push(ms(t0));
          cell.gets = c.store.stats.gets;
          await c.close();
          // Sums of doubles in another order differ in the last bits only.
          if (out.rows !== duckRows || Math.abs(out.sum - duckSum) > 1e-9 * Math.abs(duckSum))
            throw new Error(
              `${id}: connector answered ${out.rows} rows (sum ${out.sum}), DuckDB ${duckRows} (${duckSum})`,
            );
          answers.set(
            id,
            query === 'sum' ? `${out.rows} rows, sum ${out.sum.toFixed(0)}` : `${out.rows} rows`,
          );
          // Restart: another new connector on the same cache directory.
          t0 = process.hrtime.bigint();
          const again = await createParquetConnector(connectorOptions(cacheDirectory), context);
          await runOn(again, table, query);
          cell.restart.push(ms(t0));
          cell.footerGets = again.store.stats.gets;
          await again.close();
          rmSync(cacheDirectory, { recursive: true, force: true });
          cell.store.push(await replay(sent));
        }
      }
    }
    const load1 = loadavg()[0] as number;
    conn.closeSync();
    db.closeSync();
    console.log(
      `machine: ${cpus().length} cores, load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end; ${ROUNDS} rounds`,
    );
    for (const [id, cell] of cells) {
      const d = best(cell.duck);
      const dm = median(cell.duck);
      const c = best(cell.cold);
      const cm = median(cell.cold);
      console.log(`-- ${id}: ${answers.get(id)} (equal to DuckDB's)`);
      console.log(`   DuckDB local: best ${d.toFixed(1)} ms, median ${dm.toFixed(1)} ms`);
      console.log(
        `   cold: best ${c.toFixed(1)} ms, median ${cm.toFixed(1)} ms, ${cell.gets} GETs; ratio ${(c / d).toFixed(2)}x best/best, ${(cm / dm).toFixed(2)}x median/median  (target <= 2x)  ${cm / dm <= 2 ? 'OK' : 'MISS'}`,
      );
      console.log(
        `   store alone (the cold run's LIST and GETs replayed, no decoding): best ${best(cell.store).toFixed(1)} ms, median ${median(cell.store).toFixed(1)} ms`,
      );
      console.log(
        `   restart (disk caches): best ${best(cell.restart).toFixed(1)} ms, median ${median(cell.restart).toFixed(1)} ms, ${cell.footerGets} GETs; ratio ${(median(cell.restart) / dm).toFixed(2)}x median/median`,
      );
    }
  } finally {
    child.stdin?.end();
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
