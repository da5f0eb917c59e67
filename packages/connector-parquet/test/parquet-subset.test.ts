import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parquetMetadata } from 'hyparquet';
import { chunkRanges, subsetFooter, writeSubsetFile } from '../src/parquet-subset.js';
import { CompactReader } from '../src/thrift-compact.js';
import { cleanup, duck, tempDir } from './helpers.js';

let dir: string;
let db: Awaited<ReturnType<typeof duck>>;
let bytes: Uint8Array;
let footerStart: number;
let raw: Uint8Array;

before(async () => {
  dir = tempDir('spoke-pq-subset-');
  db = await duck();
  // Dictionary-encoded text gets a bloom filter from DuckDB's writer: the subset must not point at it.
  await db.conn.run(
    `COPY (SELECT i::BIGINT AS id, 'c' || (i % 7) AS cat, [i, i] AS pair, i * 0.5 AS half FROM range(10000) t(i))
       TO '${join(dir, 'src.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
  );
  bytes = new Uint8Array(readFileSync(join(dir, 'src.parquet')));
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.byteLength - 8, true);
  footerStart = bytes.byteLength - 8 - length;
  raw = bytes.subarray(footerStart, bytes.byteLength - 8);
});

after(() => {
  db?.close();
  cleanup([dir]);
});

describe('subset files', { timeout: 30_000 }, () => {
  test('the footer keeps the chosen row groups and drops bloom filters and page indexes', () => {
    const original = parquetMetadata(bytes.buffer.slice(bytes.byteOffset + footerStart) as ArrayBuffer);
    assert.ok(original.row_groups.length >= 4);
    const hadBloom = original.row_groups.some((rg) =>
      rg.columns.some((c) => c.meta_data?.bloom_filter_offset !== undefined),
    );
    const footer = subsetFooter(raw, [1, 3], 4096n);
    const tail = new Uint8Array(footer.byteLength + 8);
    tail.set(footer);
    new DataView(tail.buffer).setUint32(footer.byteLength, footer.byteLength, true);
    tail.set(new TextEncoder().encode('PAR1'), footer.byteLength + 4);
    const subset = parquetMetadata(tail.buffer);
    assert.equal(subset.num_rows, 4096n);
    assert.deepEqual(subset.schema, original.schema);
    assert.deepEqual(
      subset.row_groups.map((rg) => rg.columns.map((c) => c.meta_data?.data_page_offset)),
      [1, 3].map((g) => original.row_groups[g]?.columns.map((c) => c.meta_data?.data_page_offset)),
    );
    for (const rg of subset.row_groups)
      for (const c of rg.columns) {
        assert.equal(c.meta_data?.bloom_filter_offset, undefined);
        assert.equal(c.offset_index_offset, undefined);
        assert.equal(c.column_index_offset, undefined);
        assert.deepEqual(c.meta_data?.statistics !== undefined, true);
      }
    // Re-encoding every field as it was read gives the same bytes back.
    const all = Array.from({ length: original.row_groups.length }, (_, g) => g);
    if (!hadBloom) assert.deepEqual(subsetFooter(raw, all, original.num_rows), raw);
    // A garbled footer fails rather than producing a file.
    assert.throws(() => new CompactReader(raw.subarray(0, 40)).fields(), /ends early|size|Thrift/);
  });

  test('DuckDB reads the sparse file: exactly the chosen row groups, only the fetched columns', async () => {
    const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset + footerStart) as ArrayBuffer);
    const groups = [1, 2, 4];
    const columns = new Set(['id', 'cat', 'pair']);
    const ranges = chunkRanges(metadata, groups, columns, footerStart);
    const rows = groups.reduce((n, g) => n + Number(metadata.row_groups[g]?.num_rows), 0);
    const path = join(dir, 'subset.parquet');
    await writeSubsetFile(
      path,
      footerStart,
      ranges.map((range) => ({ range, bytes: bytes.subarray(range.start, range.end) })),
      subsetFooter(raw, groups, BigInt(rows)),
    );
    assert.ok(statSync(path).blocks * 512 < bytes.byteLength, 'sparse: the holes take no disk');
    const got = await db.rows(
      `SELECT count(*)::INT AS n, min(id)::INT AS lo, max(id)::INT AS hi, count(DISTINCT cat)::INT AS cats,
              sum(pair[1])::BIGINT = sum(id) AS same FROM read_parquet('${path}') WHERE cat <> 'c0'`,
    );
    // id is sorted: each row group holds the ids between its statistics' bounds.
    const within = groups
      .map((g) => {
        const st = metadata.row_groups[g]?.columns[0]?.meta_data?.statistics;
        return `id BETWEEN ${st?.min_value} AND ${st?.max_value}`;
      })
      .join(' OR ');
    const want = await db.rows(
      `SELECT count(*)::INT AS n, min(id)::INT AS lo, max(id)::INT AS hi, count(DISTINCT cat)::INT AS cats,
              sum(pair[1])::BIGINT = sum(id) AS same FROM read_parquet('${join(dir, 'src.parquet')}')
        WHERE cat <> 'c0' AND (${within})`,
    );
    assert.deepEqual(got, want);
    // A chunk reaching into the footer is a corrupt object, not a read of the holes.
    assert.throws(() => chunkRanges(metadata, [0], columns, 100), /lies outside the data/);
  });
});
