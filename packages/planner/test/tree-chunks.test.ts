/**
 * Parse trees in pieces (the parser thread's answer): whatever the nesting of
 * long arrays, the main thread puts back exactly the tree that was split, and
 * no piece it parses between turns of the event loop is long.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSync } from 'libpg-query';
import { loadParser } from '../src/parse/parse-sql.js';
import { assembleTree, CHUNK_ITEMS, splitTree } from '../src/parse/tree-chunks.js';

/** Splits a copy of `tree` and puts it back. */
async function roundTrip(tree: unknown): Promise<{ back: unknown; holes: number; longestChunk: number }> {
  const pieces = splitTree(structuredClone(tree));
  const back = await assembleTree(pieces);
  return {
    back,
    holes: pieces.holes.length,
    longestChunk: Math.max(0, ...pieces.chunks.map((c) => (JSON.parse(c) as unknown[]).length)),
  };
}

describe('parse trees in pieces', () => {
  it('a tree without long arrays is one piece', async () => {
    const tree = { a: [1, 2, { b: [3] }], c: null, d: 'x' };
    const { back, holes } = await roundTrip(tree);
    assert.deepEqual(back, tree);
    assert.equal(holes, 0);
  });

  it('long arrays inside long arrays, at the root and deep, at every length around a chunk', async () => {
    for (const n of [CHUNK_ITEMS, CHUNK_ITEMS + 1, 2 * CHUNK_ITEMS, 3 * CHUNK_ITEMS + 7]) {
      const inner = (i: number) => ({ List: { items: Array.from({ length: n }, (_, j) => ({ i, j })) } });
      const tree = {
        top: Array.from({ length: n }, (_, i) => (i % 500 === 0 ? inner(i) : { v: i, s: `é${i}` })),
        deep: { x: [{ y: { z: Array.from({ length: n }, (_, i) => [i, null, true]) } }] },
      };
      const { back, holes, longestChunk } = await roundTrip(tree);
      assert.deepEqual(back, tree, `n = ${n}`);
      assert.ok(longestChunk <= CHUNK_ITEMS);
      // Arrays of exactly CHUNK_ITEMS items stay in place.
      assert.equal(holes, n > CHUNK_ITEMS ? 2 + Math.ceil(n / 500) : 0, `n = ${n}`);
    }
  });

  it("PostgreSQL's trees of an IN list, an OR chain and a VALUES list of long rows come back equal", async () => {
    await loadParser();
    const ids = Array.from({ length: 5000 }, (_, i) => i);
    const row = (i: number) => `(${Array.from({ length: 1500 }, (_, j) => i * j).join(',')})`;
    for (const sql of [
      `SELECT * FROM t WHERE id IN (${ids.join(',')})`,
      `SELECT * FROM t WHERE ${ids.map((i) => `id = ${i}`).join(' OR ')}`,
      `SELECT * FROM (VALUES ${[0, 1, 2].map(row).join(',')}) v`,
    ]) {
      const tree = parseSync(sql);
      const { back, holes } = await roundTrip(tree);
      assert.deepEqual(back, tree, sql.slice(0, 40));
      assert.ok(holes > 0, sql.slice(0, 40));
    }
  });
});
