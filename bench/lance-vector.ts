/**
 * Vector top-k through Lance with an IVF_PQ index, against brute force in
 * DuckDB over the same vectors, in the same run.
 *
 *   node --import tsx bench/lance-vector.ts            (100 000 × 128, 50 queries)
 *   LANCE_BENCH_ROWS=20000 LANCE_BENCH_QUERIES=20 node --import tsx bench/lance-vector.ts
 *
 * Prints top-10 latency (median and p95) for the connector's pushed-down scan
 * (`ORDER BY embedding <-> $1 LIMIT 10`) and for DuckDB's
 * `ORDER BY array_distance(embedding, $1) LIMIT 10`, their ratio, and
 * recall@10 of the index against exact search. Target: ≥ 10× at recall ≥ 0.95.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LanceConnector } from '@spoke/connector-lance';
import { arrow, Ex, type RecordBatch, Types } from '@spoke/core';

const ROWS = Number(process.env.LANCE_BENCH_ROWS ?? 100_000);
const DIM = 128;
const QUERIES = Number(process.env.LANCE_BENCH_QUERIES ?? 50);
const K = 10;
const PARTITIONS = Number(process.env.LANCE_BENCH_PARTITIONS ?? 64);
/** (nprobes, refineFactor) settings measured, each against the same DuckDB times. */
const SETTINGS: [number, number][] = [
  [2, 5],
  [4, 10],
  [8, 10],
  [16, 20],
];

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Clustered data, as real embeddings are: 256 topics, 16 sub-topics each,
 * points scattered around their sub-topic. (Uniform noise in 128 dimensions
 * makes every point nearly equidistant, which no ANN index — and no real
 * embedding model — produces.)
 */
function makeVectors(rnd: () => number): Float32Array {
  const topics = Array.from({ length: 256 }, () => Float32Array.from({ length: DIM }, () => rnd() * 2 - 1));
  const subTopics = topics.flatMap((t) =>
    Array.from({ length: 16 }, () => Float32Array.from(t, (x) => x + (rnd() - 0.5) * 0.5)),
  );
  const out = new Float32Array(ROWS * DIM);
  for (let i = 0; i < ROWS; i++) {
    const c = subTopics[Math.floor(rnd() * subTopics.length)]!;
    const spread = 0.05 + rnd() * 0.2;
    for (let d = 0; d < DIM; d++) out[i * DIM + d] = c[d]! + (rnd() - 0.5) * spread;
  }
  return out;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const dir = mkdtempSync(join(tmpdir(), 'spoke-bench-lance-'));
const ctx = { queryId: 'bench', roles: [] };
try {
  const rnd = random(1);
  const vectors = makeVectors(rnd);
  const vecType = new arrow.FixedSizeList(DIM, new arrow.Field('item', new arrow.Float32(), true));
  const schema = new arrow.Schema([
    new arrow.Field('id', new arrow.Int32(), false),
    new arrow.Field('embedding', vecType, true),
  ]);
  const batch: RecordBatch = new arrow.RecordBatch(
    schema,
    arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: ROWS,
      nullCount: 0,
      children: [
        arrow.makeData({
          type: new arrow.Int32(),
          length: ROWS,
          data: Int32Array.from({ length: ROWS }, (_, i) => i),
        }),
        arrow.makeData({
          type: vecType,
          length: ROWS,
          nullCount: 0,
          child: arrow.makeData({ type: new arrow.Float32(), length: ROWS * DIM, data: vectors }),
        }),
      ],
    }),
  );

  // --- Lance: table and IVF_PQ index
  const lance = await LanceConnector.open({ uri: join(dir, 'lance') }, { sourceName: 'lance', baseDir: dir });
  let t0 = performance.now();
  const table = await lance.createTableFrom('vectors', schema, [batch]);
  const loadMs = performance.now() - t0;
  t0 = performance.now();
  await table.buildIndex({
    column: 'embedding',
    type: 'ivf_pq',
    options: { num_partitions: PARTITIONS, num_sub_vectors: 32, max_iterations: 20 },
  });
  const indexMs = performance.now() - t0;

  // --- DuckDB: the same vectors, as FLOAT[128], loaded from a Parquet-free binary-safe route (JSON lines)
  const duck = await DuckDBInstance.create(':memory:');
  const conn = await duck.connect();
  const file = join(dir, 'vectors.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++)
    lines.push(JSON.stringify({ id: i, e: Array.from(vectors.subarray(i * DIM, (i + 1) * DIM)) }));
  writeFileSync(file, lines.join('\n'));
  t0 = performance.now();
  await conn.run(
    `CREATE TABLE vectors AS SELECT id::INTEGER AS id, e::FLOAT[${DIM}] AS embedding FROM read_json('${file}', columns = {id: 'INTEGER', e: 'DOUBLE[]'})`,
  );
  const duckLoadMs = performance.now() - t0;

  const queries = Array.from({ length: QUERIES }, () => {
    const base = Math.floor(rnd() * ROWS);
    return Array.from(vectors.subarray(base * DIM, (base + 1) * DIM), (x) =>
      Math.fround(x + (rnd() - 0.5) * 0.1),
    );
  });

  const scanTopK = async (q: number[], exact: boolean, nprobes = 8, refineFactor = 20): Promise<number[]> => {
    const ids: number[] = [];
    for await (const b of table.scan({
      projection: ['id', '_distance'],
      filters: [],
      orderBy: [
        {
          expr: Ex.fn('l2_distance', Ex.col('embedding'), Ex.lit(q, Types.list(Types.float32))),
          direction: 'asc',
          nulls: 'last',
        },
      ],
      limit: K,
      signal: new AbortController().signal,
      context: ctx,
      lance: exact ? { exact: true } : { nprobes, refineFactor },
    } as never)) {
      for (let i = 0; i < b.numRows; i++) ids.push(b.getChild('id')!.get(i) as number);
    }
    return ids;
  };
  const duckTopK = async (q: number[]): Promise<number[]> => {
    const reader = await conn.runAndReadAll(
      `SELECT id FROM vectors ORDER BY array_distance(embedding, [${q.join(',')}]::FLOAT[${DIM}]) LIMIT ${K}`,
    );
    return reader.getRowsJS().map((r) => Number(r[0]));
  };

  // Warm both (index and data caches, DuckDB's first-query costs).
  await scanTopK(queries[0]!, false);
  await duckTopK(queries[0]!);

  const duckMs: number[] = [];
  const truths: Set<number>[] = [];
  let duckAgree = 0;
  for (const q of queries) {
    const s = performance.now();
    const brute = await duckTopK(q);
    duckMs.push(performance.now() - s);
    const truth = new Set(await scanTopK(q, true));
    truths.push(truth);
    duckAgree += brute.filter((id) => truth.has(id)).length;
  }
  const duckP50 = percentile(duckMs, 50);
  console.log(
    `lance vector top-${K}: ${ROWS} vectors × ${DIM}, ${QUERIES} queries; IVF_PQ ${PARTITIONS} partitions × 32 sub-vectors`,
  );
  console.log(
    `  load: lance ${loadMs.toFixed(0)} ms, index ${indexMs.toFixed(0)} ms, duckdb ${duckLoadMs.toFixed(0)} ms`,
  );
  console.log(
    `  duckdb (brute force)          p50 ${duckP50.toFixed(2)} ms  p95 ${percentile(duckMs, 95).toFixed(2)} ms  (agrees with Lance exact search: ${(duckAgree / (QUERIES * K)).toFixed(3)})`,
  );
  let pass = false;
  for (const [nprobes, refineFactor] of SETTINGS) {
    const lanceMs: number[] = [];
    let hits = 0;
    for (const [i, q] of queries.entries()) {
      const s = performance.now();
      const ann = await scanTopK(q, false, nprobes, refineFactor);
      lanceMs.push(performance.now() - s);
      hits += ann.filter((id) => truths[i]!.has(id)).length;
    }
    const recall = hits / (QUERIES * K);
    const lanceP50 = percentile(lanceMs, 50);
    const ratio = duckP50 / lanceP50;
    const ok = ratio >= 10 && recall >= 0.95;
    pass ||= ok;
    console.log(
      `  lance nprobes ${String(nprobes).padStart(2)} refine ${String(refineFactor).padStart(2)}  p50 ${lanceP50.toFixed(2)} ms  p95 ${percentile(lanceMs, 95).toFixed(2)} ms  speed-up ${ratio.toFixed(1)}×  recall@${K} ${recall.toFixed(3)}  ${ok ? 'PASS' : 'miss'}`,
    );
  }
  console.log(`  target ≥ 10× at recall ≥ 0.95: ${pass ? 'PASS' : 'MISS'}`);
  conn.closeSync();
  duck.closeSync();
  await lance.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
