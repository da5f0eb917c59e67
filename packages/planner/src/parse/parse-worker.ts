/**
 * The parser's worker thread: parses statements too long to parse on the
 * main thread without stalling it (see parse-sql.ts). Each request is
 * `{ id, sql }`; each answer `{ id, tree }` — the parse tree as JSON texts in
 * pieces (tree-chunks.ts), which the main thread turns back into objects
 * faster than structured cloning would, a slice at a time — or
 * `{ id, error }` with the parser's message and position, or
 * `{ id, tooDeep: true }`.
 */
import { parentPort } from 'node:worker_threads';
import { loadModule, parseSync } from 'libpg-query';
import { MAX_PARSE_DEPTH, parseTreeDepth } from './parse-tree-depth.js';
import { splitTree, type TreePieces } from './tree-chunks.js';

/** A request from parse-sql.ts. */
export interface ParseRequest {
  readonly id: number;
  readonly sql: string;
}

/** The answer to one {@link ParseRequest}. */
export type ParseAnswer =
  | { readonly id: number; readonly tree: TreePieces }
  | { readonly id: number; readonly tooDeep: true }
  | {
      readonly id: number;
      readonly error: {
        readonly message: string;
        readonly cursorPosition?: number;
        readonly stack?: boolean;
      };
    };

const port = parentPort;
if (port) {
  const ready = loadModule();
  port.on('message', (request: ParseRequest) => {
    void ready.then(() => port.postMessage(answer(request)));
  });
}

function answer({ id, sql }: ParseRequest): ParseAnswer {
  try {
    const tree = parseSync(sql);
    if (parseTreeDepth(tree) > MAX_PARSE_DEPTH) return { id, tooDeep: true };
    return { id, tree: splitTree(tree) };
  } catch (error) {
    const e = error as { message?: string; sqlDetails?: { cursorPosition?: number } };
    return {
      id,
      error: {
        message: e.message ?? 'syntax error',
        ...(e.sqlDetails?.cursorPosition !== undefined
          ? { cursorPosition: e.sqlDetails.cursorPosition }
          : {}),
        ...(error instanceof RangeError ? { stack: true } : {}),
      },
    };
  }
}
