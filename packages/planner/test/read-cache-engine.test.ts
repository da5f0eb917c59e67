/**
 * The read cache inside the engine, over the DuckDB-file connector with a
 * snapshot token the test controls: a kept read answers later queries
 * without a scan, a changed token reads again, and rows read while the
 * token changed are never kept. Answers are compared with DuckDB running
 * the same SQL over the same files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB, diffRows } from '@spoke/testing';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';
import { createFixtures, type Fixtures } from './support/fixtures.js';
import { type RecordingConnector, recording } from './support/recording-connector.js';

let fx: Fixtures;
let crm: RecordingConnector;
let engine: FederatedEngine;
let reference: (sql: string) => Promise<unknown[][]>;
/** The token `crm.customers` names; the test changes it. */
let token = 'v1';
/** Tokens the next snapshot calls answer first (a change during a read), before `token` again. */
const upcoming: string[] = [];

before(async () => {
  fx = await createFixtures();
  const open = async (name: string, path: string) =>
    duckdb.create({ path }, { sourceName: name, baseDir: fx.dir });
  crm = recording(await open('crm', fx.crmPath), undefined, async (table) =>
    table === 'customers' ? (upcoming.shift() ?? token) : undefined,
  );
  engine = await createEngine({ sources: { crm, shop: await open('shop', fx.shopPath) } });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`ATTACH '${fx.crmPath}' AS crm (READ_ONLY)`);
  await c.run(`ATTACH '${fx.shopPath}' AS shop (READ_ONLY)`);
  reference = async (sql) => {
    const result = await c.run(sql);
    const ints = result.columnTypes().map((t) => /INT/.test(String(t)));
    return canonicalRowsFromDuckDB(await result.fetchAllChunks(), ints) as unknown[][];
  };
});

after(async () => {
  await engine?.close();
  fx?.close();
});

const SQL = `SELECT o.id, o.amount, c.name FROM shop.orders o JOIN crm.customers c ON c.id = o.customer_id
             WHERE c.region = 'EU' AND o.id < 60`;

/** Runs SQL, checks it against DuckDB, and says how many scans of customers it made. */
async function run(): Promise<number> {
  const before = crm.requests.length;
  const actual = canonicalRowsFromBatches(await collectBatches(await engine.query(SQL))) as unknown[][];
  assert.deepEqual(diffRows(actual as never, (await reference(SQL)) as never), { extra: [], missing: [] });
  return crm.requests.length - before;
}

describe('read cache in the engine', () => {
  test('a kept read answers the next query; a new token reads again; a change during the read is not kept', async () => {
    const stats = () => engine.readCache!.stats();
    assert.equal(await run(), 1, 'first query reads');
    assert.equal(stats().entries, 1);
    assert.equal(await run(), 0, 'second query: from the cache');
    assert.equal(stats().hits, 1);

    token = 'v2';
    assert.equal(await run(), 1, 'a new snapshot is read again');
    assert.equal(await run(), 0);

    // The token changes while the read runs (v3 before it, v4 after): its rows are not kept.
    upcoming.push('v3', 'v4');
    token = 'v4';
    const entries = stats().entries;
    const plan = await engine.explain(SQL, { analyze: true });
    const read = plan.sources.find((s) => s.table?.endsWith('customers'));
    assert.equal(read?.readCache, undefined, 'neither a hit nor kept');
    assert.equal(stats().entries, entries);
    assert.equal(await run(), 1, 'v4 was not kept from a read that began under v3');
    assert.equal(await run(), 0);
  });

  test('a read the cache holds is planned as free: no wait for keys, and the residual runs in memory', async () => {
    // A request no query made yet: customers are a read like any other.
    const sql = `SELECT o.id, o.returned, c.name FROM shop.orders o JOIN crm.customers c ON c.id = o.customer_id
                 WHERE c.region = 'US' AND o.id < 60`;
    const cold = await engine.explain(sql, { analyze: true });
    assert.notEqual(cold.sources.find((s) => s.table?.endsWith('customers'))?.strategy, 'pull (read cache)');
    const before = crm.requests.length;
    const warm = await engine.explain(sql, { analyze: true });
    const customers = warm.sources.find((s) => s.table?.endsWith('customers'));
    assert.equal(customers?.strategy, 'pull (read cache)');
    assert.equal(customers?.readCache, 'hit');
    assert.equal(warm.analyze?.residualInMemory, true, 'the kept rows are at hand as Arrow batches');
    assert.equal(crm.requests.length, before, 'nothing asked of crm');
    assert.equal(await run(), 0);
  });
});
