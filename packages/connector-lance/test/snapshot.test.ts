/**
 * Snapshot tokens of local Lance tables (lance-snapshot.ts), with real
 * LanceDB in a temporary directory: the same token while nothing changed,
 * a new one after every kind of change — a write through the connector, a
 * commit by another LanceDB connection (as another process would make), a
 * drop and re-create that lands on the same version number — and, for a
 * connection that checks for others' commits only every few seconds, a
 * token that never claims unchanged rows the handle no longer reads. Then
 * through the engine: a repeated federated join reads the Lance table once
 * (the read cache), answers as DuckDB does, and reads again after a write.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import * as lancedb from '@lancedb/lancedb';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { arrow, type RecordBatch, type ScanRequest } from '@spoke/core';
import { collectBatches, createEngine, type FederatedEngine } from '@spoke/planner';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB, diffRows } from '@spoke/testing';
import { LanceConnector, type LanceTable } from '../src/index.js';
import { latestLocalVersion, localDatasetDir } from '../src/lance-snapshot.js';

const NATIONS = ['ALGERIA', 'ARGENTINA', 'BRAZIL', 'CANADA', 'EGYPT', 'FRANCE', 'GERMANY', 'INDIA'];

/** `count` nations (keys from `first`), as a batch of the table's schema. */
function nations(count: number, first = 0): RecordBatch {
  const keys = Array.from({ length: count }, (_, i) => first + i);
  return arrow.tableFromArrays({
    n_nationkey: Int32Array.from(keys),
    n_name: keys.map((k) => `${NATIONS[k % NATIONS.length]}-${k}`),
    n_regionkey: Int32Array.from(keys, (k) => k % 5),
  }).batches[0]!;
}

/** The rows a plain scan of every column returns, sorted, as text. */
async function rowsOf(table: LanceTable): Promise<string[]> {
  const request: ScanRequest = {
    projection: ['n_nationkey', 'n_name', 'n_regionkey'],
    filters: [],
    signal: new AbortController().signal,
    context: { queryId: 'test', roles: [] },
  };
  const rows: string[] = [];
  for await (const b of table.scan(request))
    for (const r of b.toArray()) rows.push(`${r.n_nationkey}|${r.n_name}|${r.n_regionkey}`);
  return rows.sort();
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spoke-lance-snap-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function open(dir: string, options: Record<string, unknown> = {}): Promise<LanceConnector> {
  return LanceConnector.open({ uri: dir, ...options }, { sourceName: 'lance', baseDir: dir });
}

describe('Lance snapshot tokens', () => {
  test('the dataset directory comes from the handle, local only', () => {
    assert.equal(
      localDatasetDir('NativeTable(t, uri=/a, b/t.lance, read_consistency_interval=0s)'),
      '/a, b/t.lance',
    );
    assert.equal(
      localDatasetDir('NativeTable(t, uri=file:///a%20b/t.lance, read_consistency_interval=None)'),
      '/a b/t.lance',
    );
    assert.equal(
      localDatasetDir('NativeTable(t, uri=s3://bucket/t.lance, read_consistency_interval=0s)'),
      undefined,
    );
    assert.equal(localDatasetDir('something else'), undefined);
  });

  for (const manifestEnabled of [false, true])
    test(`same token while unchanged; a new one after an INSERT through the connector (manifestEnabled: ${manifestEnabled})`, async () => {
      const connector = await open(tempDir(), { manifestEnabled });
      try {
        await connector.createTableFrom('nation', nations(5).schema, [nations(5)]);
        const table = (await connector.openTable('nation'))!;
        const t1 = await table.snapshot();
        assert.ok(t1, 'a local table names its snapshot');
        assert.equal(await table.snapshot(), t1);
        const again = (await connector.openTable('nation'))!;
        assert.equal(await again.snapshot(), t1, 'another table object on the same handle: same token');
        await table.insert(
          (async function* () {
            yield nations(1, 5);
          })(),
          { signal: new AbortController().signal } as never,
        );
        const t2 = await table.snapshot();
        assert.notEqual(t2, t1);
        assert.equal((await rowsOf(table)).length, 6);
        assert.equal(await table.snapshot(), t2);
      } finally {
        await connector.close();
      }
    });

  test('a commit by another connection changes the token, and the scan sees it', async () => {
    const dir = tempDir();
    const connector = await open(dir);
    const other = await lancedb.connect(dir, { readConsistencyInterval: 0 });
    try {
      await connector.createTableFrom('nation', nations(5).schema, [nations(5)]);
      const table = (await connector.openTable('nation'))!;
      const t1 = await table.snapshot();
      const before = await rowsOf(table);
      await (await other.openTable('nation')).add(
        arrow.tableFromArrays({
          n_nationkey: Int32Array.from([7]),
          n_name: ['GERMANY-7'],
          n_regionkey: Int32Array.from([2]),
        }) as never,
      );
      const t2 = await table.snapshot();
      assert.notEqual(t2, t1);
      assert.deepEqual(await rowsOf(table), [...before, '7|GERMANY-7|2'].sort());
    } finally {
      other.close();
      await connector.close();
    }
  });

  test('statistics are kept per view: the same object while unchanged, the new row count after a commit elsewhere', async () => {
    const dir = tempDir();
    const connector = await open(dir);
    const other = await lancedb.connect(dir, { readConsistencyInterval: 0 });
    try {
      await connector.createTableFrom('nation', nations(5).schema, [nations(5)]);
      const table = (await connector.openTable('nation'))!;
      const first = await table.statistics();
      assert.equal(first.rowCount?.value, 5);
      assert.equal(await table.statistics(), first, 'answered from memory');
      const again = (await connector.openTable('nation'))!;
      assert.equal(await again.statistics(), first, 'another table object on the same handle shares them');
      await (await other.openTable('nation')).add(
        arrow.tableFromArrays({
          n_nationkey: Int32Array.from([7, 8]),
          n_name: ['GERMANY-7', 'GERMANY-8'],
          n_regionkey: Int32Array.from([2, 2]),
        }) as never,
      );
      const after = await table.statistics();
      assert.equal(after.rowCount?.value, 7);
      assert.ok(after.version > first.version, `${after.version} after ${first.version}`);
    } finally {
      other.close();
      await connector.close();
    }
  });

  test('a schema change by another connection is seen: the schema is kept per view', async () => {
    const dir = tempDir();
    const connector = await open(dir);
    const other = await lancedb.connect(dir, { readConsistencyInterval: 0 });
    try {
      await connector.createTableFrom('nation', nations(3).schema, [nations(3)]);
      const table = (await connector.openTable('nation'))!;
      const t1 = await table.snapshot();
      assert.deepEqual(
        (await table.schema()).fields.map((f) => f.name),
        ['n_nationkey', 'n_name', 'n_regionkey'],
      );
      await (await other.openTable('nation')).addColumns([{ name: 'twice', valueSql: 'n_regionkey * 2' }]);
      assert.notEqual(await table.snapshot(), t1);
      assert.deepEqual(
        (await table.schema()).fields.map((f) => f.name),
        ['n_nationkey', 'n_name', 'n_regionkey', 'twice'],
      );
      const rows: number[] = [];
      for await (const b of table.scan({
        projection: ['n_regionkey', 'twice'],
        filters: [],
        signal: new AbortController().signal,
        context: { queryId: 'test', roles: [] },
      }))
        for (const r of b.toArray()) rows.push(Number(r.twice) - 2 * Number(r.n_regionkey));
      assert.deepEqual(rows, [0, 0, 0]);
    } finally {
      other.close();
      await connector.close();
    }
  });

  test('the latest version on disk: the hint, or a newer manifest past a hint left behind', async () => {
    const dir = tempDir();
    const db = await lancedb.connect(dir, { readConsistencyInterval: 0 });
    try {
      const t = await db.createTable('x', [{ id: 1 }]);
      for (let i = 0; i < 3; i++) await t.add([{ id: i }]);
      const dataset = join(dir, 'x.lance');
      assert.equal(latestLocalVersion(dataset), await t.version());
      // A writer that died between its commit and the hint: the manifests still say 4.
      writeFileSync(join(dataset, '_versions', 'latest_version_hint.json'), '{"version":2}');
      assert.equal(latestLocalVersion(dataset), 4);
      writeFileSync(join(dataset, '_versions', 'latest_version_hint.json'), '{"version":9}');
      assert.equal(latestLocalVersion(dataset), undefined, 'a hint past every manifest is not trusted');
      writeFileSync(join(dataset, '_versions', 'latest_version_hint.json'), 'garbage');
      assert.equal(latestLocalVersion(dataset), undefined);
    } finally {
      db.close();
    }
  });

  test('drop and re-create with as many rows, at the same version, changes the token', async () => {
    const dir = tempDir();
    const connector = await open(dir);
    const other = await lancedb.connect(dir, { readConsistencyInterval: 0 });
    try {
      await connector.createTableFrom('nation', nations(5).schema, [nations(5)]);
      const table = (await connector.openTable('nation'))!;
      const t1 = await table.snapshot();
      const v1 = (await table.statistics()).version;
      // Another process drops the table and creates it again: version 1 again, five other rows.
      await other.dropTable('nation');
      await other.createTable(
        'nation',
        arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table([nations(5, 10)]))) as never,
      );
      const t2 = await table.snapshot();
      assert.equal((await table.statistics()).version, v1, 'the same version number');
      assert.notEqual(t2, t1);
      assert.deepEqual(await rowsOf(table), (await rowsOfBatch(nations(5, 10))).sort());

      // The same through the connector: a new table object, a new token.
      await connector.dropTable('nation');
      const created = await connector.createTableFrom('nation', nations(5).schema, [nations(5, 20)]);
      const t3 = await created.snapshot();
      assert.ok(t3);
      assert.notEqual(t3, t2);
      assert.notEqual(t3, t1);
    } finally {
      other.close();
      await connector.close();
    }
  });

  test("a past version's token and rows stay while the table moves on", async () => {
    const connector = await open(tempDir());
    try {
      await connector.createTableFrom('nation', nations(5).schema, [nations(5)]);
      const latest = (await connector.openTable('nation'))!;
      await latest.append([nations(2, 5)]);
      const past = (await connector.openTable('nation', 1))!;
      const p1 = await past.snapshot();
      const rows = await rowsOf(past);
      assert.ok(p1);
      await latest.append([nations(2, 7)]);
      assert.equal(await past.snapshot(), p1);
      assert.deepEqual(await rowsOf(past), rows);
      assert.equal(rows.length, 5);
      assert.notEqual(await latest.snapshot(), p1);
    } finally {
      await connector.close();
    }
  });

  test('with a consistency interval the token follows what the handle reads', async () => {
    const dir = tempDir();
    const setup = await open(dir);
    await setup.createTableFrom('nation', nations(5).schema, [nations(5)]);
    await setup.close();
    // LanceDB refreshes such a handle only once the interval has passed (in the background shortly before).
    const connector = await open(dir, { readConsistencyInterval: 2 });
    const other = await lancedb.connect(dir, { readConsistencyInterval: 0 });
    try {
      const table = (await connector.openTable('nation'))!;
      const opened = Date.now();
      const t0 = await table.snapshot();
      const r0 = await rowsOf(table);
      await (await other.openTable('nation')).add(
        arrow.tableFromArrays({
          n_nationkey: Int32Array.from([9]),
          n_name: ['INDIA-9'],
          n_regionkey: Int32Array.from([4]),
        }) as never,
      );
      // Every observation the engine could make: the token before and after a read; equal tokens, equal rows.
      const seen = new Map<string, string[]>([[t0!, r0]]);
      let changed = false;
      for (let i = 0; i < 40 && !changed; i++) {
        const before = await table.snapshot();
        const rows = await rowsOf(table);
        const afterRead = await table.snapshot();
        if (before === afterRead) {
          const known = seen.get(before!);
          if (known) assert.deepEqual(rows, known, 'an unchanged token names unchanged rows');
          else seen.set(before!, rows);
        }
        if (i === 0 && Date.now() - opened < 1000)
          assert.equal(before, t0, 'the handle has not looked yet: neither has the token');
        changed = before !== t0 && rows.length === 6;
        if (!changed) await sleep(100);
      }
      assert.ok(changed, 'once the handle refreshes, the token and rows change');
    } finally {
      other.close();
      await connector.close();
    }
  });
});

/** A batch's rows in {@link rowsOf}'s form. */
async function rowsOfBatch(batch: RecordBatch): Promise<string[]> {
  return batch.toArray().map((r) => `${r.n_nationkey}|${r.n_name}|${r.n_regionkey}`);
}

describe('Lance tables in the engine read cache', () => {
  let dir: string;
  let lance: LanceConnector;
  let engine: FederatedEngine;
  let reference: DuckDBInstance;
  let other: lancedb.Connection;

  before(async () => {
    dir = tempDir();
    lance = await open(join(dir, 'lance'));
    await lance.createTableFrom('nation', nations(25).schema, [nations(25)]);
    const shopPath = join(dir, 'shop.duckdb');
    {
      const db = await DuckDBInstance.create(shopPath);
      const c = await db.connect();
      await c.run(`CREATE TABLE orders AS SELECT i AS id, CAST(i % 30 AS INTEGER) AS nationkey,
        CAST(i * 3 % 100 AS DOUBLE) AS amount FROM range(1, 301) t(i)`);
      c.closeSync();
      db.closeSync();
    }
    const shop = await duckdbConnector.create({ path: shopPath }, { sourceName: 'shop', baseDir: dir });
    engine = await createEngine({ sources: { lance, shop } });
    reference = await DuckDBInstance.create(':memory:');
    const rc = await reference.connect();
    await rc.run(`ATTACH '${shopPath}' AS shop (READ_ONLY)`);
    await rc.run('CREATE TABLE nation (n_nationkey INTEGER, n_name VARCHAR, n_regionkey INTEGER)');
    await loadReference(nations(25));
    other = await lancedb.connect(join(dir, 'lance'), { readConsistencyInterval: 0 });
  });

  after(async () => {
    other?.close();
    await engine?.close();
    reference?.closeSync();
  });

  async function loadReference(batch: RecordBatch): Promise<void> {
    const rc = await reference.connect();
    for (const r of batch.toArray())
      await rc.run('INSERT INTO nation VALUES ($1, $2, $3)', [r.n_nationkey, r.n_name, r.n_regionkey]);
    rc.closeSync();
  }

  const SQL = `SELECT o.id, o.amount, n.n_name FROM shop.orders o JOIN lance.nation n ON n.n_nationkey = o.nationkey
               WHERE o.amount > 40`;
  const REFERENCE_SQL = SQL.replace('lance.nation', 'nation');

  /** Runs the join, checks it against DuckDB; the read cache's hits and misses it made. */
  async function run(): Promise<{ hits: number; misses: number; rows: number }> {
    const before = engine.readCache!.stats();
    const actual = canonicalRowsFromBatches(await collectBatches(await engine.query(SQL)));
    const rc = await reference.connect();
    const result = await rc.run(REFERENCE_SQL);
    const ints = result.columnTypes().map((t) => /INT/.test(String(t)));
    const expected = canonicalRowsFromDuckDB(await result.fetchAllChunks(), ints);
    rc.closeSync();
    assert.deepEqual(diffRows(actual, expected), { extra: [], missing: [] });
    const now = engine.readCache!.stats();
    return { hits: now.hits - before.hits, misses: now.misses - before.misses, rows: actual.length };
  }

  test('a repeated join reads Lance once; a write by another connection is read on the next query', async () => {
    const first = await run();
    assert.ok(first.rows > 0);
    assert.equal(first.hits, 0);
    assert.ok(first.misses >= 1, 'the first query reads the Lance table');
    const second = await run();
    assert.ok(second.hits >= 1, 'the second query takes the Lance rows from the read cache');

    // Another process commits new nations (25..29: orders reference keys up to 29).
    const added = nations(5, 25);
    await (await other.openTable('nation')).add(
      arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table([added]))) as never,
    );
    await loadReference(added);
    const third = await run();
    assert.equal(third.hits, 0, 'a new snapshot is read again');
    assert.ok(third.rows > first.rows, 'and the new rows are seen');
    const fourth = await run();
    assert.ok(fourth.hits >= 1, 'the new snapshot is kept in turn');
  });
});
