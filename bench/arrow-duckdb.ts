/**
 * The Arrow ↔ DuckDB boundary: 1M rows × 5 columns (int32, int64, double,
 * utf8, timestamp) loaded INTO DuckDB from Arrow batches and streamed OUT of
 * DuckDB as Arrow, beside DuckDB reading the same rows from a local Parquet
 * file (the limit: DuckDB's own native reader) and beside node-api's
 * value-by-value path (what the fast path replaces).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBDataChunk, type DuckDBValue, DuckDBVector, timestampValue } from '@duckdb/node-api';
import type { RecordBatch, Schema } from '@spoke/core';
import { arrow } from '@spoke/core';
// The planner's package index is another engineer's file; the bench reads the execution module directly.
import { createDuckDBInstance, loadBatches, streamResultAsArrow } from '@spoke/duckdb-arrow';
import type { Data } from 'apache-arrow';
import { type Bench, best, perSecond, printTable } from './harness.js';

const ROWS = 1_000_000;
const BATCH = 65_536;
const RUNS = 3;

function makeBatches(): { schema: Schema; batches: RecordBatch[] } {
  const schema = new arrow.Schema([
    new arrow.Field('i32', new arrow.Int32(), true),
    new arrow.Field('i64', new arrow.Int64(), true),
    new arrow.Field('f64', new arrow.Float64(), true),
    new arrow.Field('name', new arrow.Utf8(), true),
    new arrow.Field('ts', new arrow.TimestampMicrosecond(), true),
  ]);
  const encoder = new TextEncoder();
  const batches: RecordBatch[] = [];
  for (let start = 0; start < ROWS; start += BATCH) {
    const n = Math.min(BATCH, ROWS - start);
    const i32 = new Int32Array(n);
    const i64 = new BigInt64Array(n);
    const f64 = new Float64Array(n);
    const ts = new BigInt64Array(n);
    const offsets = new Int32Array(n + 1);
    const parts: Uint8Array[] = [];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const row = start + i;
      i32[i] = row;
      i64[i] = BigInt(row) * 1_000_003n;
      f64[i] = row * 0.25;
      ts[i] = 1_600_000_000_000_000n + BigInt(row) * 1_000n;
      // TPC-H style names: 18 bytes, longer than DuckDB's 12-byte inline strings, so the slow string path is measured.
      const s = encoder.encode(`Customer#${String(row).padStart(9, '0')}`);
      parts.push(s);
      bytes += s.length;
      offsets[i + 1] = bytes;
    }
    const values = new Uint8Array(bytes);
    for (let i = 0, at = 0; i < n; i++) {
      values.set(parts[i] as Uint8Array, at);
      at += (parts[i] as Uint8Array).length;
    }
    const fields = schema.fields;
    const children: Data[] = [
      arrow.makeData({ type: fields[0]?.type, length: n, data: i32 } as never),
      arrow.makeData({ type: fields[1]?.type, length: n, data: i64 } as never),
      arrow.makeData({ type: fields[2]?.type, length: n, data: f64 } as never),
      arrow.makeData({ type: fields[3]?.type, length: n, valueOffsets: offsets, data: values } as never),
      arrow.makeData({ type: fields[4]?.type, length: n, data: ts } as never),
    ];
    batches.push(
      new arrow.RecordBatch(
        schema,
        arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children }),
      ),
    );
  }
  return { schema, batches };
}

async function* iterate(batches: RecordBatch[]): AsyncGenerator<RecordBatch> {
  for (const b of batches) yield b;
}

export const bench: Bench = {
  name: 'arrow-duckdb',
  description:
    '1M rows × (int32, int64, double, utf8, timestamp): Arrow → DuckDB and DuckDB → Arrow vs DuckDB reading Parquet',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'spoke-bench-arrow-duckdb-'));
    const instance = await createDuckDBInstance({ threads: 2, tempDirectory: join(dir, 'spill') });
    const connection = await instance.connect();
    try {
      const { schema, batches } = makeBatches();
      const parquet = join(dir, 'rows.parquet');

      // INTO DuckDB: our loader.
      const into = await best(
        RUNS,
        (r) => loadBatches(connection, `load_${r}`, schema, iterate(batches)),
        async (r) => (r > 0 ? connection.run(`DROP TABLE load_${r - 1}`) : undefined),
      );
      await connection.run(`COPY load_${RUNS - 1} TO '${parquet}' (FORMAT parquet)`);

      // INTO DuckDB: node-api's value-by-value chunk path, for comparison.
      const naiveInto = await best(
        1,
        async () => {
          const appender = await connection.createAppender('naive', 'main', 'temp');
          const types = [0, 1, 2, 3, 4].map((c) => appender.columnType(c));
          for (const b of batches) {
            const columns = [0, 1, 2, 3, 4].map((c) =>
              (b.getChildAt(c) as unknown as { toArray(): ArrayLike<unknown> }).toArray(),
            );
            for (let start = 0; start < b.numRows; start += DuckDBVector.standardSize()) {
              const n = Math.min(DuckDBVector.standardSize(), b.numRows - start);
              const chunk = DuckDBDataChunk.create(types, n);
              const ts = columns[4] as BigInt64Array;
              chunk.setColumns([
                Array.from((columns[0] as Int32Array).subarray(start, start + n)),
                Array.from((columns[1] as BigInt64Array).subarray(start, start + n)),
                Array.from((columns[2] as Float64Array).subarray(start, start + n)),
                (b
                  .getChildAt(3)
                  ?.slice(start, start + n)
                  .toArray() ?? []) as DuckDBValue[],
                Array.from({ length: n }, (_, i) => timestampValue(ts[start + i] as bigint)),
              ]);
              appender.appendDataChunk(chunk);
            }
          }
          appender.closeSync();
        },
        () =>
          connection.run(
            'CREATE TEMP TABLE naive (i32 INTEGER, i64 BIGINT, f64 DOUBLE, name VARCHAR, ts TIMESTAMP)',
          ),
      );

      // Reference for INTO: DuckDB loading the same rows from Parquet.
      const parquetInto = await best(
        RUNS,
        (r) => connection.run(`CREATE TEMP TABLE pq_${r} AS SELECT * FROM read_parquet('${parquet}')`),
        async (r) => (r > 0 ? connection.run(`DROP TABLE pq_${r - 1}`) : undefined),
      );

      // OUT of DuckDB: our streamer.
      let outRows = 0;
      const out = await best(RUNS, async () => {
        outRows = 0;
        const result = await connection.stream(`SELECT * FROM load_${RUNS - 1}`);
        for await (const b of streamResultAsArrow(result)) outRows += b.numRows;
      });
      if (outRows !== ROWS) throw new Error(`streamed ${outRows} rows, expected ${ROWS}`);

      // OUT of DuckDB: node-api's value-by-value reading, for comparison.
      const naiveOut = await best(1, async () => {
        const result = await connection.stream(`SELECT * FROM load_${RUNS - 1}`);
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          chunk.getColumns();
        }
      });

      // Reference for OUT: DuckDB scanning the Parquet file and touching every column.
      const parquetScan = await best(RUNS, () =>
        connection.run(
          `SELECT count(*), sum(i32), sum(i64), sum(f64), sum(length(name)), max(ts) FROM read_parquet('${parquet}')`,
        ),
      );

      const ratio = (s: number, ref: number) => `${(s / ref).toFixed(1)}×`;
      printTable([
        ['path', 'seconds', 'rows/s', 'vs parquet'],
        [
          'INTO: Arrow → DuckDB (loadBatches)',
          into.toFixed(3),
          perSecond(ROWS, into),
          ratio(into, parquetInto),
        ],
        [
          'INTO: node-api value by value',
          naiveInto.toFixed(3),
          perSecond(ROWS, naiveInto),
          ratio(naiveInto, parquetInto),
        ],
        [
          'INTO ref: CREATE TABLE AS read_parquet',
          parquetInto.toFixed(3),
          perSecond(ROWS, parquetInto),
          '1.0×',
        ],
        [
          'OUT: DuckDB → Arrow (streamResultAsArrow)',
          out.toFixed(3),
          perSecond(ROWS, out),
          ratio(out, parquetScan),
        ],
        [
          'OUT: node-api getColumns',
          naiveOut.toFixed(3),
          perSecond(ROWS, naiveOut),
          ratio(naiveOut, parquetScan),
        ],
        [
          'OUT ref: aggregate scan of read_parquet',
          parquetScan.toFixed(3),
          perSecond(ROWS, parquetScan),
          '1.0×',
        ],
      ]);
      console.log(
        `\n${ROWS} rows in ${Math.ceil(ROWS / BATCH)} batches; parquet file ${(statSync(parquet).size / 1e6).toFixed(1)} MB; best of ${RUNS} (node-api paths: 1 run); DuckDB threads=2.`,
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
