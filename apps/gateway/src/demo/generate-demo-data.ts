/**
 * The demo's sample data, generated on first run so a fresh clone can query
 * something real without any external server: a DuckDB file standing in for
 * a CRM database, a folder of Parquet files standing in for a data lake, and
 * a Lance dataset of documents with embeddings for vector and full-text search.
 *
 * Generated with DuckDB SQL from `range()` and `hash()` (of strings like
 * `'region:' || i`: hashes of `(i, 'region')` and `(i, 'tier')` turned out correlated), so every run (and
 * every machine with the same DuckDB version) produces the same rows.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, type RecordBatch, type Schema, type SpokeConnector, SpokeError } from '@spoke/core';
import { assertDemoConnectorsInstalled } from './demo-connectors.js';

/** Bump when the generated data changes, so old copies are regenerated. */
const DEMO_VERSION = 'spoke-demo-data v3';
const MARKER = 'VERSION';
const ENTRIES = new Set(['crm.duckdb', 'lake', 'docs', MARKER]);

/** Row counts of the generated tables. */
export const DEMO_ROWS = { customers: 1000, sales: 100_000, documents: 500 } as const;

/** Where the demo's files are. */
export interface DemoData {
  /** The directory holding everything. */
  readonly dir: string;
  /** The DuckDB file with `customers` (the `crm` source). */
  readonly crmFile: string;
  /** Parquet globs by table name (the `lake` source), relative to `dir`. */
  readonly lakeFiles: Readonly<Record<'sales' | 'documents', string>>;
  /** The Lance directory (the `docs` source, table `documents` with 8-dimensional embeddings). */
  readonly lanceDir: string;
}

/** Topics of the demo documents; each document's embedding points near its topic's axis. */
export const DEMO_TOPICS = [
  'machine learning',
  'vector search',
  'data gravity',
  'lakehouse design',
  'query federation',
  'security policies',
  'columnar storage',
  'stream processing',
] as const;

function describe(dir: string): DemoData {
  return {
    dir,
    crmFile: join(dir, 'crm.duckdb'),
    lakeFiles: { sales: 'lake/sales/*.parquet', documents: 'lake/documents/*.parquet' },
    lanceDir: join(dir, 'docs'),
  };
}

async function isReady(dir: string): Promise<boolean> {
  try {
    return (await readFile(join(dir, MARKER), 'utf8')).trim() === DEMO_VERSION;
  } catch {
    return false;
  }
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The statements that build the demo in `dir` (which must exist and be empty). */
function generationSql(dir: string): string[] {
  const crm = sqlString(join(dir, 'crm.duckdb'));
  const lake = (path: string) => sqlString(join(dir, 'lake', path));
  const { customers, sales, documents } = DEMO_ROWS;
  return [
    `SET TimeZone = 'UTC'`,
    `ATTACH ${crm} AS crm`,
    `CREATE TABLE crm.customers (
       id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, email VARCHAR NOT NULL, region VARCHAR NOT NULL,
       tier VARCHAR NOT NULL, signup_date DATE NOT NULL)`,
    `INSERT INTO crm.customers
     WITH words AS (SELECT
       ['Ada','Grace','Alan','Edsger','Barbara','Donald','Frances','Ken','Radia','Tim','Margaret','Dennis',
        'Shafi','Leslie','Hedy','John','Katherine','Linus','Sophie','Yukihiro'] AS first,
       ['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Allen','Thompson','Perlman','Berners-Lee',
        'Hamilton','Ritchie','Goldwasser','Lamport','Lamarr','Backus','Johnson','Torvalds','Wilson','Matsumoto'] AS last)
     SELECT i::INTEGER,
       first[1 + (hash('first:' || i) % 20)::INTEGER] || ' ' || last[1 + (hash('last:' || i) % 20)::INTEGER],
       lower(first[1 + (hash('first:' || i) % 20)::INTEGER]) || '.' || lower(replace(last[1 + (hash('last:' || i) % 20)::INTEGER], '-', ''))
         || i || '@example.com',
       ['APAC','EMEA','AMER','LATAM'][1 + (hash('region:' || i) % 4)::INTEGER],
       ['free','free','free','pro','pro','enterprise'][1 + (hash('tier:' || i) % 6)::INTEGER],
       DATE '2021-01-01' + (hash('signup:' || i) % 1096)::INTEGER
     FROM range(1, ${customers + 1}) t(i), words
     ORDER BY 1`,
    `DETACH crm`,
    `CREATE TEMP TABLE sales AS
     WITH products AS (SELECT
       ['Starter plan','Pro plan','Enterprise plan','Support hours','Training seat','Storage add-on'] AS name,
       [49.00, 199.00, 999.00, 150.00, 450.00, 25.00] AS price)
     SELECT i::BIGINT AS id,
       (1 + hash('customer:' || i) % ${customers})::INTEGER AS customer_id,
       name[1 + (hash('product:' || i) % 6)::INTEGER] AS product,
       (1 + hash('quantity:' || i) % 5)::INTEGER AS quantity,
       round(price[1 + (hash('product:' || i) % 6)::INTEGER] * (1 + hash('quantity:' || i) % 5)
             * (100 - hash('discount:' || i) % 20) / 100, 2)::DECIMAL(12,2) AS amount,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((hash('sold_at:' || i) % (366 * 86400))::BIGINT) AS sold_at
     FROM range(1, ${sales + 1}) t(i), products`,
    ...[1, 2, 3, 4].map(
      (q) => `COPY (SELECT * FROM sales WHERE quarter(sold_at) = ${q} ORDER BY sold_at, id)
              TO ${lake(`sales/2024-q${q}.parquet`)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 8192)`,
    ),
    `CREATE TEMP TABLE documents AS
       WITH words AS (SELECT
         [${DEMO_TOPICS.map((t) => `'${t}'`).join(',')}] AS topic,
         ['Notes on','An introduction to','A field guide to','Benchmarks for','Lessons learned from'] AS kind,
         ['Research','Engineering','Sales','Support'] AS department)
       SELECT i::INTEGER AS id,
         (1 + hash('author:' || i) % ${customers})::INTEGER AS customer_id,
         kind[1 + (hash('kind:' || i) % 5)::INTEGER] || ' ' || topic[1 + (hash('topic:' || i) % 8)::INTEGER] AS title,
         department[1 + (hash('department:' || i) % 4)::INTEGER] AS department,
         'This document covers ' || topic[1 + (hash('topic:' || i) % 8)::INTEGER] || ' and '
           || topic[1 + (hash('topic2:' || i) % 8)::INTEGER] || '.' AS body,
         TIMESTAMP '2023-01-01 00:00:00' + to_seconds((hash('created:' || i) % (730 * 86400))::BIGINT) AS created_at,
         -- Near the axis of the document's topic, a little off it: nearest neighbours share a topic.
         CAST(list_transform(range(8), k -> CASE WHEN k = (hash('topic:' || i) % 8)::INTEGER THEN 1.0 ELSE 0.0 END
           + (hash('noise:' || i || ':' || k) % 200)::DOUBLE / 1000.0) AS FLOAT[8]) AS embedding
       FROM range(1, ${documents + 1}) t(i), words ORDER BY id`,
    `COPY (SELECT * EXCLUDE (embedding) FROM documents) TO ${lake('documents/documents.parquet')} (FORMAT parquet, COMPRESSION zstd)`,
  ];
}

/** What the demo uses of `LanceConnector` (typed here: the gateway does not depend on connector-lance). */
interface LanceWriter {
  createTableFrom(
    name: string,
    schema: Schema,
    batches: RecordBatch[],
  ): Promise<{ buildIndex(index: { column: string; type: 'fts' }): Promise<unknown> }>;
}

/** The documents, with their embeddings, as the Lance table `documents` of the `docs` source. */
async function writeLanceDocuments(
  connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
  dir: string,
): Promise<void> {
  // Loaded only for the demo: LanceDB's native module is large.
  const [{ connector }, { streamResultAsArrow }] = await Promise.all([
    import('@spoke/connector-lance'),
    import('@spoke/planner'),
  ]);
  const lance = (await connector.create(
    { uri: dir },
    { sourceName: 'docs', baseDir: dir },
  )) as SpokeConnector & LanceWriter;
  try {
    const result = await connection.stream(
      'SELECT id, customer_id, title, department, body, created_at, embedding FROM documents ORDER BY id',
    );
    const batches = [];
    for await (const batch of streamResultAsArrow(result)) batches.push(batch);
    const table = await lance.createTableFrom('documents', batches[0]!.schema, batches);
    await table.buildIndex({ column: 'body', type: 'fts' });
  } finally {
    await lance.close();
  }
}

/**
 * Makes sure the demo data exists in `dir` (created on first call, reused
 * after) and says where it is. Generation happens in a sibling temporary
 * directory that is renamed into place, so an interrupted run or two
 * concurrent first runs never leave half-written files behind.
 *
 * @param dir - where the data lives, e.g. `<repo>/.demo-data`
 * @param log - progress messages for the first run (generation takes a second or two)
 */
export async function ensureDemoData(
  dir: string,
  log: (message: string) => void = () => {},
): Promise<DemoData> {
  assertDemoConnectorsInstalled();
  const target = resolve(dir);
  if (await isReady(target)) return describe(target);
  const existing = await readdir(target).catch(() => [] as string[]);
  const foreign = existing.filter((name) => !ENTRIES.has(name));
  if (foreign.length > 0)
    throw new SpokeError(
      ErrorCode.INVALID_CONFIG,
      `demo data directory ${target} holds other files (${foreign.slice(0, 3).join(', ')}); choose another with --demo-dir`,
    );
  log(`generating demo data in ${target} …`);
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(join(tmp, 'lake', 'sales'), { recursive: true });
  await mkdir(join(tmp, 'lake', 'documents'), { recursive: true });
  try {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const sql of generationSql(tmp)) await connection.run(sql);
      await writeLanceDocuments(connection, join(tmp, 'docs'));
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    await writeFile(join(tmp, MARKER), `${DEMO_VERSION}\n`);
    // A stale, unmarked copy (interrupted older run) is replaced; a ready one from a concurrent run is kept.
    if (existing.length > 0 && !(await isReady(target))) await rm(target, { recursive: true, force: true });
    try {
      await rename(tmp, target);
    } catch (error) {
      if (!(await isReady(target))) throw error;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return describe(target);
}
