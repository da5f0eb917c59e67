/**
 * The federated tables the randomized differential kit queries: `pg.t1` in
 * the harness's PostgreSQL, `duck.t2` in a DuckDB file and `s3.t3` as
 * Parquet on s3rver, and the same rows in a reference DuckDB (schemas `pg`,
 * `duck`, `s3` in memory) that answers every query for comparison. The rows
 * hold NULLs, empty and padded strings, integer extremes, large decimals,
 * NaN and ±Infinity, and dates at the edges of both engines' ranges.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { createParquetConnector } from '@spoke/connector-parquet';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import type { SpokeConnector } from '@spoke/core';
import { openStore } from '@spoke/object-store';
import { startPostgres } from '../harness/index.js';
import { startS3Server } from '../harness/s3-server.js';
import { Random } from './random-queries.js';

/** Column types as both PostgreSQL and DuckDB spell them. */
const T1 =
  'id INTEGER, a INTEGER, e INTEGER, b BIGINT, d DECIMAL(18,4), f DOUBLE PRECISION, s VARCHAR, dt DATE, bo BOOLEAN';
const T2 = 'id INTEGER, t1_id INTEGER, a INTEGER, d DECIMAL(18,4), s VARCHAR, dt DATE';
const T3 = 'id INTEGER, k INTEGER, a INTEGER, f DOUBLE PRECISION, s VARCHAR, bo BOOLEAN';

/** String values the tables and the generated literals share. */
export const STRINGS = ['', ' ', 'a', 'A', 'ab', 'abc', ' a', 'a ', 'b', 'ba', 'x_y', '%', 'zz'] as const;
const INTS = ['-2147483648', '2147483647', '0', '1', '-1', '7'];
const BIGINTS = ['-9223372036854775808', '9223372036854775807', '0', '42', '-42'];
const DECIMALS = ['99999999999999.9999', '-99999999999999.9999', '0', '1.5', '-1.5', '0.0001', '12.25'];
const FLOATS = ["'NaN'", "'Infinity'", "'-Infinity'", '0', '-1.5', '2.5', '1e300', '-1e-300'];
/** Dates at the edges both engines accept, and ordinary ones. */
export const DATES = ['0001-01-01', '9999-12-31', '1970-01-01', '2000-02-29', '2024-06-15', '1999-12-31'];

function pick<T>(r: Random, values: readonly T[], nullRate = 0.15): T | null {
  return r.next() < nullRate ? null : r.pick(values);
}

const lit = {
  int: (v: string | null) => (v === null ? 'NULL' : v),
  str: (v: string | null) => (v === null ? 'NULL' : `'${v}'`),
  dec: (v: string | null) => (v === null ? 'NULL' : `CAST(${v} AS DECIMAL(18,4))`),
  float: (v: string | null) => (v === null ? 'NULL' : `CAST(${v} AS DOUBLE PRECISION)`),
  date: (v: string | null) => (v === null ? 'NULL' : `DATE '${v}'`),
  bool: (v: boolean | null) => (v === null ? 'NULL' : String(v)),
};

/** INSERT statements (valid in PostgreSQL and DuckDB) for the three tables. */
export function tableRows(): Record<'t1' | 't2' | 't3', string[]> {
  const r = new Random(20261206);
  const small = (): string | null => pick(r, ['-3', '-1', '0', '1', '2', '3', '5']);
  const t1: string[] = [];
  for (let id = 1; id <= 24; id++) {
    t1.push(
      [
        String(id),
        lit.int(small()),
        lit.int(pick(r, INTS)),
        lit.int(pick(r, BIGINTS)),
        lit.dec(pick(r, DECIMALS)),
        lit.float(pick(r, FLOATS)),
        lit.str(pick(r, STRINGS)),
        lit.date(pick(r, DATES)),
        lit.bool(pick(r, [true, false])),
      ].join(', '),
    );
  }
  const t2: string[] = [];
  for (let id = 1; id <= 30; id++) {
    // Keys 1–28 of 24 rows in t1: some dangle, some repeat, some are NULL.
    t2.push(
      [
        String(id),
        lit.int(
          pick(
            r,
            Array.from({ length: 28 }, (_, i) => String(i + 1)),
            0.1,
          ),
        ),
        lit.int(small()),
        lit.dec(pick(r, DECIMALS)),
        lit.str(pick(r, STRINGS)),
        lit.date(pick(r, DATES)),
      ].join(', '),
    );
  }
  const t3: string[] = [];
  for (let id = 1; id <= 20; id++) {
    t3.push(
      [
        String(id),
        lit.int(
          pick(
            r,
            Array.from({ length: 26 }, (_, i) => String(i + 1)),
            0.1,
          ),
        ),
        lit.int(small()),
        lit.float(pick(r, FLOATS)),
        lit.str(pick(r, STRINGS)),
        lit.bool(pick(r, [true, false])),
      ].join(', '),
    );
  }
  return { t1, t2, t3 };
}

function inserts(table: string, rows: readonly string[]): string {
  return `INSERT INTO ${table} VALUES ${rows.map((v) => `(${v})`).join(', ')}`;
}

/** The started sources and how to stop them. */
export interface RandomSources {
  readonly connectors: Record<'pg' | 'duck' | 's3', SpokeConnector>;
  close(): Promise<void>;
}

/**
 * Loads the reference (`ref`: schemas pg, duck, s3 in memory) and starts the
 * three sources holding the same rows, using `dir` for files.
 */
export async function startRandomSources(ref: DuckDBConnection, dir: string): Promise<RandomSources> {
  const rows = tableRows();
  for (const [schema, table, columns] of [
    ['pg', 't1', T1],
    ['duck', 't2', T2],
    ['s3', 't3', T3],
  ] as const) {
    await ref.run(`CREATE SCHEMA ${schema}`);
    await ref.run(`CREATE TABLE ${schema}.${table} (${columns})`);
    await ref.run(inserts(`${schema}.${table}`, rows[table]));
  }
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const duckFile = join(dir, 'random.duckdb');
    await ref.run(`ATTACH '${duckFile}' AS duckfile`);
    await ref.run('CREATE TABLE duckfile.t2 AS SELECT * FROM duck.t2');
    await ref.run('DETACH duckfile');
    mkdirSync(join(dir, 'parquet'));
    const parquetFile = join(dir, 'parquet', 't3.parquet');
    await ref.run(`COPY s3.t3 TO '${parquetFile}' (FORMAT parquet)`);

    const [pg, s3] = await Promise.all([startPostgres(), startS3Server({ buckets: ['fuzz'] })]);
    closers.push(
      () => pg.close(),
      () => s3.close(),
    );
    pg.psql(`CREATE TABLE t1 (${T1});\n${inserts('t1', rows.t1)};\nANALYZE;`);
    const s3Options = {
      endpoint: s3.endpoint,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      region: s3.region,
    };
    const store = openStore('s3://fuzz/', { s3: { ...s3Options, forcePathStyle: true } });
    await store.put('t3.parquet', new Uint8Array(readFileSync(parquetFile)));
    await store.close();

    const context = (sourceName: string) => ({ sourceName, baseDir: dir });
    const connectors = {
      pg: await postgresConnector.create({ url: pg.url }, context('pg')),
      duck: await duckdbConnector.create({ path: duckFile }, context('duck')),
      s3: await createParquetConnector(
        { url: 's3://fuzz/', s3: { ...s3Options, forcePathStyle: 'true' } },
        context('s3'),
      ),
    };
    for (const c of Object.values(connectors)) closers.push(async () => c.close?.());
    return { connectors, close };
  } catch (error) {
    await close();
    throw error;
  }
}
