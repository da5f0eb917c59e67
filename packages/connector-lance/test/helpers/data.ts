/**
 * Deterministic test data: documents with a category, a price, a text and a
 * 16-dimensional embedding (some texts and embeddings NULL), built as Arrow
 * for Lance and loaded into DuckDB (through a JSON-lines file) as the
 * reference.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { arrow, type RecordBatch, type Schema } from '@spoke/core';

export const DIM = 16;
const WORDS = [
  'machine',
  'learning',
  'deep',
  'vector',
  'search',
  'lance',
  'duck',
  'query',
  'index',
  'cooking',
  'garden',
  'MACHINE',
  'relearning',
  'Learning,',
];

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DocRow {
  id: number;
  category: string;
  price: number | null;
  text: string | null;
  embedding: number[] | null;
}

/** `n` rows starting at id `first`. */
export function makeDocs(n: number, first = 0, seed = 42): DocRow[] {
  const rnd = random(seed + first);
  const rows: DocRow[] = [];
  for (let i = 0; i < n; i++) {
    const id = first + i;
    const words = Array.from(
      { length: 3 + Math.floor(rnd() * 6) },
      () => WORDS[Math.floor(rnd() * WORDS.length)],
    );
    const embedding = Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1));
    rows.push({
      id,
      category: ['a', 'b', 'c', "it's"][id % 4]!,
      price: id % 17 === 0 ? null : Math.round(rnd() * 10000) / 100,
      text: id % 23 === 0 ? null : words.join(' '),
      embedding: id % 31 === 5 ? null : embedding,
    });
  }
  return rows;
}

export const vectorType = () =>
  new arrow.FixedSizeList(DIM, new arrow.Field('item', new arrow.Float32(), true));

export function docsSchema(): Schema {
  return new arrow.Schema([
    new arrow.Field('id', new arrow.Int32(), false),
    new arrow.Field('category', new arrow.Utf8(), true),
    new arrow.Field('price', new arrow.Float64(), true),
    new arrow.Field('text', new arrow.Utf8(), true),
    new arrow.Field('embedding', vectorType(), true),
  ]);
}

/** The rows as one Arrow batch with {@link docsSchema}. */
export function docsBatch(rows: readonly DocRow[]): RecordBatch {
  const schema = docsSchema();
  const n = rows.length;
  const values = new Float32Array(n * DIM);
  const valid = new Uint8Array(Math.ceil(n / 8));
  let nulls = 0;
  rows.forEach((r, i) => {
    if (r.embedding) {
      values.set(r.embedding, i * DIM);
      valid[i >> 3]! |= 1 << (i & 7);
    } else nulls++;
  });
  const emb = arrow.makeData({
    type: vectorType(),
    length: n,
    nullCount: nulls,
    nullBitmap: valid,
    child: arrow.makeData({ type: new arrow.Float32(), length: n * DIM, data: values }),
  });
  const children = [
    arrow.vectorFromArray(
      rows.map((r) => r.id),
      new arrow.Int32(),
    ).data[0]!,
    arrow.vectorFromArray(
      rows.map((r) => r.category),
      new arrow.Utf8(),
    ).data[0]!,
    arrow.vectorFromArray(
      rows.map((r) => r.price),
      new arrow.Float64(),
    ).data[0]!,
    arrow.vectorFromArray(
      rows.map((r) => r.text),
      new arrow.Utf8(),
    ).data[0]!,
    emb,
  ];
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children }),
  );
}

/** DuckDB holding the same rows as table `docs`, as the reference. */
export class DuckReference {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly dir: string,
  ) {}

  static async create(): Promise<DuckReference> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    return new DuckReference(instance, connection, mkdtempSync(join(tmpdir(), 'spoke-lance-duck-')));
  }

  /** Replaces table `name` with `rows`. */
  async load(name: string, rows: readonly DocRow[]): Promise<void> {
    const file = join(this.dir, `${name}.jsonl`);
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    await this.connection.run(
      `CREATE OR REPLACE TABLE "${name}" AS SELECT id::INTEGER AS id, category::VARCHAR AS category, price::DOUBLE AS price, "text"::VARCHAR AS "text", embedding::FLOAT[${DIM}] AS embedding
       FROM read_json('${file}', columns = {id: 'INTEGER', category: 'VARCHAR', price: 'DOUBLE', text: 'VARCHAR', embedding: 'DOUBLE[]'})`,
    );
  }

  async rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every row of every batch as plain objects (vectors as number arrays, bigints as numbers). */
export async function collect(batches: AsyncIterable<RecordBatch>): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const batch of batches) {
    for (let i = 0; i < batch.numRows; i++) {
      const row: Record<string, unknown> = {};
      for (const field of batch.schema.fields) {
        const v = batch.getChild(field.name)!.get(i);
        row[field.name] =
          v && typeof v === 'object' && 'toArray' in v
            ? Array.from((v as { toArray(): ArrayLike<number> }).toArray())
            : typeof v === 'bigint'
              ? Number(v)
              : v;
      }
      out.push(row);
    }
  }
  return out;
}

/** Counts the rows of a scan. */
export async function countRows(batches: AsyncIterable<RecordBatch>): Promise<number> {
  let n = 0;
  for await (const b of batches) n += b.numRows;
  return n;
}
