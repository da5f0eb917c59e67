/**
 * The read cache (`executor/read-cache.ts`) on its own, over a real DuckDB:
 * keys tell apart every part of a request (values of look-alike types too),
 * the least recently used entries go once the budget is passed, a table is
 * dropped only once nobody reads it, and a second load of the same key is
 * not kept. Which tables exist is asked of DuckDB itself.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Ex, type Expr, type ScalarType, type ScalarValue, Types } from '@spoke/core';
import {
  ENTRY_OVERHEAD_BYTES,
  ReadCache,
  type ReadCacheKeyParts,
  readCacheKey,
} from '../src/executor/read-cache.js';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

// A DuckDB of its own per test: a cache's table names start again at 0, and close() leaves its tables to the instance.
beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterEach(() => {
  connection?.closeSync();
  instance?.closeSync();
});

/** Whether `main.<table>` exists, as DuckDB sees it. */
async function exists(table: string): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*)::INTEGER FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = '${table}'`,
  );
  return reader.getRows()[0]?.[0] === 1;
}

/** Waits (drops run in the background, one after another) until `main.<table>` is gone or 5 s pass. */
async function gone(table: string): Promise<boolean> {
  for (const until = Date.now() + 5000; Date.now() < until; await delay(10))
    if (!(await exists(table))) return true;
  return false;
}

/** A table of `rows` integers in `main`, named by the cache, as the executor loads one. */
async function load(cache: ReadCache, rows = 3): Promise<string> {
  const table = cache.newTable();
  await connection.run(`CREATE TABLE main."${table}" AS SELECT range AS v FROM range(${rows})`);
  return table;
}

const base: ReadCacheKeyParts = {
  source: 'lake',
  schema: 'main',
  table: 'dim',
  snapshot: '[["dim/part-0.parquet","etag-1",1234]]',
  projection: ['id', 'name'],
  filters: [Ex.cmp('=', Ex.col('id'), Ex.lit(5, Types.int32))],
};
const key = (parts: Partial<ReadCacheKeyParts>) => readCacheKey({ ...base, ...parts });
const eq = (value: ScalarValue, type: ScalarType = Types.int64): Expr[] => [
  Ex.cmp('=', Ex.col('id'), Ex.lit(value, type)),
];

describe('readCacheKey', () => {
  test('the same request gives the same key', () => {
    assert.equal(key({}), key({ filters: [Ex.cmp('=', Ex.col('id'), Ex.lit(5, Types.int32))] }));
    assert.equal(key({ limit: undefined, orderBy: undefined }), key({}));
  });

  test('every part of the request, and the snapshot, changes the key', () => {
    const keys = [
      key({}),
      key({ source: 'lake2' }),
      key({ schema: 'other' }),
      key({ table: 'dim2' }),
      key({ snapshot: '[["dim/part-0.parquet","etag-2",1234]]' }),
      key({ snapshot: '[["dim/part-0.parquet","etag-1",1235]]' }),
      key({ projection: ['id'] }),
      key({ projection: ['name', 'id'] }),
      key({ filters: [] }),
      key({ filters: eq(6, Types.int32) }),
      key({ filters: [Ex.cmp('<>', Ex.col('id'), Ex.lit(5, Types.int32))] }),
      key({ filters: [...base.filters, Ex.isNull(Ex.col('name'))] }),
      key({ limit: 10 }),
      key({ limit: 11 }),
      key({ limit: 0 }),
      key({ orderBy: [{ expr: Ex.col('id'), direction: 'asc', nulls: 'last' }] }),
      key({ orderBy: [{ expr: Ex.col('id'), direction: 'desc', nulls: 'last' }] }),
      key({ orderBy: [{ expr: Ex.col('id'), direction: 'asc', nulls: 'first' }] }),
      key({ limit: 10, orderBy: [{ expr: Ex.col('id'), direction: 'asc', nulls: 'last' }] }),
    ];
    assert.equal(new Set(keys).size, keys.length, keys.join('\n'));
  });

  test('values of look-alike types stay apart: bigint and number, bytes and text and lists', () => {
    const keys = [
      key({ filters: eq(5n) }),
      key({ filters: eq(5) }),
      key({ filters: eq('5') }),
      key({ filters: eq(12345678901234567890n) }),
      key({ filters: eq(12345678901234567000n) }),
      key({ filters: eq(new Uint8Array([1, 2, 3]), Types.binary) }),
      key({ filters: eq(new Uint8Array([1, 2, 4]), Types.binary) }),
      key({ filters: eq('AQID', Types.binary) }),
      key({ filters: eq([1, 2, 3], Types.binary) }),
      key({ filters: eq(null) }),
      key({ filters: eq(true, Types.bool) }),
      key({ filters: eq(1, Types.bool) }),
    ];
    assert.equal(new Set(keys).size, keys.length, keys.join('\n'));
    // Equal bigints are equal keys, whatever their spelling.
    assert.equal(key({ filters: eq(BigInt('5')) }), key({ filters: eq(5n) }));
  });

  test('floating-point values JSON cannot spell stay apart: NaN, ±Infinity, NULL, -0', () => {
    const f = (value: number | null) => key({ filters: eq(value, Types.float64) });
    const keys = [
      f(Number.NaN),
      f(Number.POSITIVE_INFINITY),
      f(Number.NEGATIVE_INFINITY),
      f(null),
      f(0),
      f(-0),
    ];
    assert.equal(new Set(keys).size, keys.length, keys.join('\n'));
  });
});

describe('ReadCache', () => {
  test('hit and miss: a kept table is found again, pinned, and counted', async () => {
    const cache = new ReadCache(instance, { maxBytes: 1000, maxEntryBytes: 1000, entryOverheadBytes: 0 });
    assert.equal(cache.acquire('k'), undefined);
    const table = await load(cache);
    const first = cache.add('k', table, 3, 100);
    assert.equal(first.kept, true);
    assert.equal(first.table, table);
    const again = cache.acquire('k');
    assert.ok(again);
    assert.equal(again.table, table);
    assert.equal(again.rows, 3);
    assert.equal(again.bytes, 100);
    first.release();
    again.release();
    again.release(); // a second release does nothing
    assert.deepEqual(cache.stats(), { hits: 1, misses: 1, evictions: 0, entries: 1, bytes: 100 });
    // Still kept after every release: it is an entry, not a pin.
    await delay(20);
    assert.ok(await exists(table));
    assert.ok(cache.acquire('k'));
    await cache.close();
  });

  test('each entry is charged its DuckDB table on top of its rows, so many tiny reads cannot pass maxBytes', async () => {
    const cache = new ReadCache(instance, { maxBytes: 4 * ENTRY_OVERHEAD_BYTES });
    assert.equal(cache.entryOverheadBytes, ENTRY_OVERHEAD_BYTES);
    for (let i = 0; i < 10; i++) {
      cache.add(`k${i}`, await load(cache), 1, 8).release();
    }
    const stats = cache.stats();
    assert.equal(stats.entries, 3, JSON.stringify(stats));
    assert.equal(stats.bytes, 3 * (8 + ENTRY_OVERHEAD_BYTES));
    assert.equal(stats.evictions, 7);
  });
  test('least recently used entries are evicted (and dropped) to stay within maxBytes', async () => {
    const cache = new ReadCache(instance, { maxBytes: 300, maxEntryBytes: 300, entryOverheadBytes: 0 });
    const tables: string[] = [];
    for (const k of ['a', 'b', 'c']) {
      const table = await load(cache);
      tables.push(table);
      cache.add(k, table, 3, 100).release();
    }
    // `a` is used again, so `b` is now the least recently used.
    cache.acquire('a')?.release();
    const d = await load(cache);
    cache.add('d', d, 3, 150).release();
    assert.deepEqual(cache.stats(), { hits: 1, misses: 0, evictions: 2, entries: 2, bytes: 250 });
    assert.equal(cache.acquire('b'), undefined);
    assert.equal(cache.acquire('c'), undefined);
    assert.ok(cache.acquire('a'));
    assert.ok(cache.acquire('d'));
    assert.ok(await gone(tables[1]!), 'b dropped');
    assert.ok(await gone(tables[2]!), 'c dropped');
    assert.ok(await exists(tables[0]!));
    assert.ok(await exists(d));
    assert.ok(cache.stats().bytes <= cache.maxBytes);
    await cache.close();
  });

  test('a read larger than maxEntryBytes is served once, not kept, and dropped when released', async () => {
    const cache = new ReadCache(instance, { maxBytes: 1000, maxEntryBytes: 200, entryOverheadBytes: 0 });
    assert.equal(new ReadCache(instance, { maxBytes: 1000 }).maxEntryBytes, 250, 'default: a quarter');
    const table = await load(cache);
    const pinned = cache.add('big', table, 3, 201);
    assert.equal(pinned.kept, false);
    assert.deepEqual(cache.stats(), { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0 });
    await delay(20);
    assert.ok(await exists(table), 'still read by its query');
    pinned.release();
    assert.ok(await gone(table));
    assert.equal(cache.acquire('big'), undefined);
    // Exactly maxEntryBytes is kept.
    const fits = await load(cache);
    assert.equal(cache.add('fits', fits, 3, 200).kept, true);
    await cache.close();
  });

  test('an evicted entry still pinned is dropped only after its last release', async () => {
    const cache = new ReadCache(instance, { maxBytes: 100, maxEntryBytes: 100, entryOverheadBytes: 0 });
    const table = await load(cache);
    const loader = cache.add('a', table, 3, 100);
    const reader = cache.acquire('a');
    assert.ok(reader);
    // `b` pushes `a` out while two queries still read it.
    const b = await load(cache);
    cache.add('b', b, 3, 100).release();
    assert.equal(cache.stats().evictions, 1);
    assert.equal(cache.acquire('a'), undefined);
    await delay(50);
    assert.ok(await exists(table), 'pinned twice');
    loader.release();
    await delay(50);
    assert.ok(await exists(table), 'pinned once');
    const rows = await connection.runAndReadAll(`SELECT count(*)::INTEGER FROM main."${table}"`);
    assert.equal(rows.getRows()[0]?.[0], 3, 'its reader still reads every row');
    reader.release();
    assert.ok(await gone(table), 'dropped after the last release');
    assert.ok(await exists(b));
    await cache.close();
  });

  test('a concurrent second load of the same key is not kept, and is dropped once released', async () => {
    const cache = new ReadCache(instance, { maxBytes: 1000, maxEntryBytes: 1000, entryOverheadBytes: 0 });
    // Two queries miss at once and both load the rows.
    assert.equal(cache.acquire('k'), undefined);
    assert.equal(cache.acquire('k'), undefined);
    const first = await load(cache);
    const second = await load(cache);
    assert.notEqual(first, second);
    const p1 = cache.add('k', first, 3, 100);
    const p2 = cache.add('k', second, 3, 100);
    assert.equal(p1.kept, true);
    assert.equal(p2.kept, false);
    assert.deepEqual(cache.stats(), { hits: 0, misses: 2, evictions: 0, entries: 1, bytes: 100 });
    await delay(20);
    assert.ok(await exists(second), 'read by the second query');
    p2.release();
    assert.ok(await gone(second));
    p1.release();
    await delay(20);
    assert.ok(await exists(first), 'the kept one stays');
    assert.equal(cache.acquire('k')?.table, first);
    await cache.close();
  });

  test('discard drops a table whose load failed', async () => {
    const cache = new ReadCache(instance, { maxBytes: 1000 });
    const table = await load(cache);
    cache.discard(table);
    assert.ok(await gone(table));
    assert.deepEqual(cache.stats(), { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0 });
    await cache.close();
  });

  test('maxBytes 0 keeps nothing; negative or NaN sizes are refused', async () => {
    const cache = new ReadCache(instance, { maxBytes: 0 });
    const table = await load(cache);
    const pinned = cache.add('k', table, 3, 1);
    assert.equal(pinned.kept, false);
    pinned.release();
    assert.ok(await gone(table));
    assert.equal(cache.stats().entries, 0);
    await cache.close();
    assert.throws(() => new ReadCache(instance, { maxBytes: -1 }), RangeError);
    assert.throws(() => new ReadCache(instance, { maxBytes: Number.NaN }), RangeError);
    assert.throws(() => new ReadCache(instance, { maxBytes: 10, maxEntryBytes: -1 }), RangeError);
  });

  test('close() forgets every entry and keeps nothing new', async () => {
    const cache = new ReadCache(instance, { maxBytes: 1000 });
    const table = await load(cache);
    const pinned = cache.add('k', table, 3, 100);
    await cache.close();
    assert.equal(cache.stats().entries, 0);
    assert.equal(cache.stats().bytes, 0);
    assert.equal(cache.acquire('k'), undefined);
    pinned.release(); // after close: nothing happens, nothing throws
    const later = await load(cache);
    const after = cache.add('k2', later, 3, 10);
    assert.equal(after.kept, false);
    after.release();
    assert.equal(cache.stats().entries, 0);
    await cache.close(); // twice is fine
  });
});
