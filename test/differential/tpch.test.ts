/**
 * The TPC-H differential kit (issue 14): the 22 queries at SF 0.01, in their
 * spec form, under three placements of the eight tables across PostgreSQL,
 * MariaDB, Parquet on S3, Lance, a DuckDB file and the Snowflake emulator —
 * each answer equal to DuckDB's on local copies of the same rows. Placement
 * C puts every table in a source other than A's and B's. Ends with
 * `N passed, N failed`. `SPOKE_TPCH_SCALE` changes the scale factor.
 *
 *   cd test && node --import tsx --test differential/tpch.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { collectBatches, createEngine, type FederatedEngine } from '@spoke/planner';
import { type CanonicalRow, canonicalRowsFromBatches, canonicalRowsFromDuckDB } from '@spoke/testing';
import {
  generateTpch,
  qualifyTables,
  TPCH_QUERIES,
  TPCH_TABLE_NAMES,
  type TpchTableName,
} from '../harness/tpch/index.js';
import { compareAnswers } from './tpch-compare.js';
import { SOURCE_NAMES, type SourceName, startTpchSources, type TpchSources } from './tpch-sources.js';

const SCALE = Number(process.env.SPOKE_TPCH_SCALE ?? 0.01);

/**
 * Placement k puts table i in source (i + 2k + 1) mod 6: over the three
 * placements every table sits in three different sources, and each source
 * holds four tables.
 */
const PLACEMENTS: Readonly<Record<string, Record<TpchTableName, SourceName>>> = Object.fromEntries(
  ['A', 'B', 'C'].map((name, k) => [
    name,
    Object.fromEntries(
      TPCH_TABLE_NAMES.map((t, i) => [t, SOURCE_NAMES[(i + 2 * k + 1) % SOURCE_NAMES.length]!]),
    ) as Record<TpchTableName, SourceName>,
  ]),
);

/**
 * Answers known to differ from DuckDB's, by `placement/query`, each with
 * what the difference looks like now (a pattern over the error or the first
 * differing row). The kit asserts they still fail that way: a fix makes the
 * case fail until it is taken off this list, so the list stays true.
 */
const KNOWN_FAILURES: Readonly<Record<string, RegExp>> = {};

const tally = { passed: 0, failed: 0 };
let dir: string;
let ref: DuckDBInstance;
let rc: DuckDBConnection;
let sources: TpchSources | undefined;
let engine: FederatedEngine | undefined;
const expected = new Map<string, CanonicalRow[]>();
const started = Date.now();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-tpch-'));
  ref = await DuckDBInstance.create(':memory:');
  rc = await ref.connect();
  await generateTpch(rc, SCALE);
  const holds = Object.fromEntries(SOURCE_NAMES.map((s) => [s, [] as TpchTableName[]])) as Record<
    SourceName,
    TpchTableName[]
  >;
  for (const placement of Object.values(PLACEMENTS))
    for (const [t, s] of Object.entries(placement))
      if (!holds[s].includes(t as TpchTableName)) holds[s].push(t as TpchTableName);
  sources = await startTpchSources(rc, dir, holds);
  engine = await createEngine({ sources: sources.connectors, duckdb: { tempDirectory: join(dir, 'spill') } });
  for (const q of TPCH_QUERIES) {
    const result = await rc.run(q.sql);
    const chunks = await result.fetchAllChunks();
    expected.set(
      q.name,
      canonicalRowsFromDuckDB(
        chunks,
        result.columnTypes().map((t) => /INT/.test(String(t))),
      ),
    );
  }
});

after(async (t) => {
  await engine?.close();
  await sources?.close();
  rc?.closeSync();
  ref?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  (t as TestContext).diagnostic(
    `TPC-H differential kit (SF ${SCALE}, ${Object.keys(PLACEMENTS).length} placements, ${seconds} s): ${tally.passed} passed, ${tally.failed} failed`,
  );
});

/** Runs one query through the engine; the first difference from DuckDB's answer, or undefined. */
async function difference(name: string, sql: string): Promise<string | undefined> {
  let actual: CanonicalRow[];
  try {
    actual = canonicalRowsFromBatches(await collectBatches(await engine!.query(sql)));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
  return compareAnswers(actual, expected.get(name)!);
}

for (const [placement, tables] of Object.entries(PLACEMENTS)) {
  const where = TPCH_TABLE_NAMES.map((t) => `${t}@${tables[t]}`).join(' ');
  for (const q of TPCH_QUERIES) {
    const key = `${placement}/${q.name}`;
    test(`${key} equals DuckDB (${where})`, { timeout: 120_000 }, async () => {
      try {
        const problem = await difference(q.name, qualifyTables(q.sql, tables));
        const known = KNOWN_FAILURES[key];
        if (known) {
          assert.ok(
            problem,
            `${key} is listed in KNOWN_FAILURES but now equals DuckDB: take it off the list`,
          );
          assert.match(problem, known, `${key} fails differently than KNOWN_FAILURES says`);
        } else if (problem) {
          assert.fail(`${key}: ${problem}`);
        }
        tally.passed++;
      } catch (error) {
        tally.failed++;
        throw error;
      }
    });
  }
}
