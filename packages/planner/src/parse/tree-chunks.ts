/**
 * A parse tree sent from the parser's thread to the main thread in pieces.
 *
 * The main thread must turn the tree's JSON back into objects, and one
 * `JSON.parse` of a 512 KB `IN` list's tree holds it for 40–110 ms. Nearly
 * all of a large tree is in a few long arrays (the items of an `IN` list or
 * an `OR` chain, the rows of a `VALUES` list), so the parser's thread sends
 * the tree without them, plus their items as JSON texts of
 * {@link CHUNK_ITEMS} items each; the main thread parses those a few at a
 * time with turns of the event loop in between and puts each array back.
 */
import { eventLoopTurn } from '../event-loop-turn.js';

/** Items of a long array per JSON text. */
export const CHUNK_ITEMS = 1024;

/** The main thread parses chunks for at most this long before letting the event loop run. */
const SLICE_MS = 8;

/** An array taken out of the tree: where it goes and which chunks hold its items. */
export interface TreeHole {
  /** Keys from the root to the array, in the tree with every earlier hole filled. */
  readonly path: readonly (string | number)[];
  /** The index of its first chunk. */
  readonly from: number;
  /** How many chunks hold its items. */
  readonly count: number;
}

/** A tree in pieces: the JSON of the rest of the tree, its holes in the order to fill them, the chunks. */
export interface TreePieces {
  readonly json: string;
  readonly holes: readonly TreeHole[];
  readonly chunks: readonly string[];
}

/**
 * Splits `tree` (a parse tree; taken apart in place) into pieces: every array
 * longer than {@link CHUNK_ITEMS} items becomes `null` in its parent, and a
 * hole recorded before the holes inside its items, so filling them in order
 * always finds the way there.
 */
export function splitTree(tree: unknown): TreePieces {
  const holes: TreeHole[] = [];
  const chunks: string[] = [];
  const path: (string | number)[] = [];
  const takeOut = (items: unknown[]): void => {
    const count = Math.ceil(items.length / CHUNK_ITEMS);
    const from = chunks.length;
    holes.push({ path: [...path], from, count });
    // Reserved first: the holes inside the items take the chunks after these.
    for (let k = 0; k < count; k++) chunks.push('');
    visitChildren(items);
    for (let k = 0; k < count; k++)
      chunks[from + k] = JSON.stringify(items.slice(k * CHUNK_ITEMS, (k + 1) * CHUNK_ITEMS));
  };
  const visitChildren = (node: unknown[] | Record<string, unknown>): void => {
    const keys: (string | number)[] = Array.isArray(node) ? [...node.keys()] : Object.keys(node);
    for (const key of keys) {
      const child = (node as Record<string | number, unknown>)[key];
      if (child === null || typeof child !== 'object') continue;
      path.push(key);
      if (Array.isArray(child) && child.length > CHUNK_ITEMS) {
        takeOut(child);
        (node as Record<string | number, unknown>)[key] = null;
      } else visitChildren(child as unknown[] | Record<string, unknown>);
      path.pop();
    }
  };
  if (tree !== null && typeof tree === 'object') visitChildren(tree as Record<string, unknown>);
  return { json: JSON.stringify(tree), holes, chunks };
}

/**
 * The tree `pieces` came from, parsed a slice at a time: the event loop runs
 * whenever parsing has held it for {@link SLICE_MS}.
 */
export async function assembleTree<T>(pieces: TreePieces): Promise<T> {
  const root = JSON.parse(pieces.json) as T;
  let sliceStarted = performance.now();
  for (const hole of pieces.holes) {
    const items: unknown[] = [];
    for (let k = hole.from; k < hole.from + hole.count; k++) {
      if (performance.now() - sliceStarted > SLICE_MS) {
        await eventLoopTurn();
        sliceStarted = performance.now();
      }
      for (const item of JSON.parse(pieces.chunks[k]!) as unknown[]) items.push(item);
    }
    let parent = root as Record<string | number, unknown>;
    for (const key of hole.path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[hole.path[hole.path.length - 1]!] = items;
  }
  return root;
}
