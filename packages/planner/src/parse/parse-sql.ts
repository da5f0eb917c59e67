/**
 * The SQL front end: PostgreSQL's own parser (libpg-query, compiled to
 * WebAssembly), so Spoke accepts exactly what a PostgreSQL client sends —
 * `$n` parameters, `embedding <-> $1`, `text @@ 'words'` included.
 *
 * The parser is synchronous and takes about 0.3 ms per KB of statement text
 * (measured: 200–340 ms for a 1 MB IN list on a 2-core machine), so
 * statements longer than {@link WORKER_THRESHOLD} characters are parsed in a
 * worker thread: the main thread, which serves every other client and
 * `/healthz`, only turns the tree's JSON back into objects, a slice at a time
 * (tree-chunks.ts). Short statements
 * — nearly all of them — are parsed inline, where a thread hop would cost
 * more than the parse.
 */
import { Worker } from 'node:worker_threads';
import { ErrorCode, SpokeError } from '@spoke/core';
import { loadModule, parseSync } from 'libpg-query';
import { eventLoopTurn } from '../event-loop-turn.js';
import type { AstNode } from './ast.js';
import { MAX_PARSE_DEPTH, parseTreeDepth } from './parse-tree-depth.js';
import type { ParseAnswer, ParseRequest } from './parse-worker.js';
import { assembleTree } from './tree-chunks.js';

let loaded: Promise<void> | undefined;

/** Loads the parser's WebAssembly module once per process. */
export function loadParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

/** One parsed statement with its own SQL text. */
export interface ParsedStatement {
  /** `{ SelectStmt: … }`, `{ VariableSetStmt: … }`… */
  readonly node: AstNode;
  /** The statement's SQL text (a slice of the input). */
  readonly sql: string;
}

/** Statements at least this many characters long are parsed in the worker thread (about 5 ms of parsing inline). */
export const WORKER_THRESHOLD = 16 * 1024;

type ParseTree = { stmts?: { stmt: AstNode; stmt_location?: number; stmt_len?: number }[] };

/**
 * Parses one or more `;`-separated statements. Throws `SYNTAX_ERROR` with
 * PostgreSQL's message and the position of the error, and SQLSTATE 54001
 * (stack depth limit exceeded) for a statement nested more than
 * {@link MAX_PARSE_DEPTH} levels deep.
 */
export async function parseSql(sql: string): Promise<ParsedStatement[]> {
  const remembered = sql.length <= MAX_REMEMBERED_LENGTH ? recentParses.get(sql) : undefined;
  if (remembered) {
    recentParses.delete(sql);
    recentParses.set(sql, remembered);
    // Fresh objects every time: planning rewrites the tree in place.
    const nodes = JSON.parse(remembered.nodes) as AstNode[];
    return nodes.map((node, i) => ({ node, sql: remembered.texts[i] as string }));
  }
  let tree: ParseTree;
  if (sql.length < WORKER_THRESHOLD) tree = await parseInline(sql);
  else {
    tree = await parserWorker.parse(sql);
    // Turning the tree's JSON back into objects took a while: let timers and I/O run before planning starts.
    await eventLoopTurn();
  }
  const bytes = Buffer.from(sql, 'utf8');
  const statements = (tree.stmts ?? []).map((s) => {
    // Locations are byte offsets into the UTF-8 text.
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : bytes.length;
    return { node: s.stmt, sql: bytes.subarray(start, end).toString('utf8').trim() };
  });
  if (sql.length <= MAX_REMEMBERED_LENGTH) remember(sql, statements);
  return statements;
}

/**
 * Statements parsed lately, by text, as JSON: a statement sent a third time
 * (a dashboard's query with new parameters) is read back with `JSON.parse`,
 * about a third of the parser's time (12 µs against 33–51 µs for a
 * two-table join). Federated statements are planned anew each time; those
 * pushed down whole are kept by the plan cache, parse included.
 */
const recentParses = new Map<string, { readonly nodes: string; readonly texts: readonly string[] }>();
/** Statements remembered at most (least recently parsed go first). */
const MAX_REMEMBERED = 512;
/** Longer statements are not remembered (their JSON would cost memory for a rare repeat). */
const MAX_REMEMBERED_LENGTH = 4096;

/** Texts parsed once lately: a text is remembered when it comes a second time (a one-off costs nothing more). */
const seenOnce = new Set<string>();

function remember(sql: string, statements: readonly ParsedStatement[]): void {
  if (!seenOnce.has(sql)) {
    seenOnce.add(sql);
    if (seenOnce.size > MAX_REMEMBERED) seenOnce.delete(seenOnce.values().next().value!);
    return;
  }
  seenOnce.delete(sql);
  recentParses.set(sql, {
    nodes: JSON.stringify(statements.map((s) => s.node)),
    texts: statements.map((s) => s.sql),
  });
  if (recentParses.size > MAX_REMEMBERED) recentParses.delete(recentParses.keys().next().value!);
}

async function parseInline(sql: string): Promise<ParseTree> {
  await loadParser();
  let tree: ParseTree;
  try {
    tree = parseSync(sql) as ParseTree;
  } catch (error) {
    const e = error as { message?: string; sqlDetails?: { cursorPosition?: number } };
    throw parseError(e.message, e.sqlDetails?.cursorPosition, error instanceof RangeError, error);
  }
  if (parseTreeDepth(tree) > MAX_PARSE_DEPTH) throw nestedTooDeeply();
  return tree;
}

/** SQLSTATE 54001 (stack depth limit exceeded), as PostgreSQL, for a statement nested deeper than {@link MAX_PARSE_DEPTH}. */
function nestedTooDeeply(): SpokeError {
  return new SpokeError(
    ErrorCode.INVALID_QUERY,
    `stack depth limit exceeded: the statement nests more than ${MAX_PARSE_DEPTH} levels of expressions or sub-queries`,
    {
      details: {
        sqlstate: '54001',
        hint: 'Simplify the statement: fewer nested parentheses, operators or sub-queries.',
      },
    },
  );
}

/** The error for a parser failure; a stack overflow inside the parser is a nesting limit, not a syntax error. */
function parseError(
  message: string | undefined,
  cursorPosition: number | undefined,
  stackOverflow: boolean,
  cause?: unknown,
): SpokeError {
  if (stackOverflow) return nestedTooDeeply();
  const where = cursorPosition !== undefined ? ` at position ${cursorPosition + 1}` : '';
  return new SpokeError(ErrorCode.SYNTAX_ERROR, `${message ?? 'syntax error'}${where}`, {
    ...(cause !== undefined ? { cause } : {}),
    details: cursorPosition !== undefined ? { position: cursorPosition + 1 } : {},
  });
}

/**
 * One worker thread, started on the first long statement and kept (unreferenced
 * while idle, so it never holds the process open). Requests are answered in
 * order; a worker that dies fails the requests it held and is replaced on the next.
 */
class ParserWorker {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<
    number,
    { resolve: (tree: ParseTree) => void; reject: (error: unknown) => void }
  >();

  parse(sql: string): Promise<ParseTree> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<ParseTree>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, sql } satisfies ParseRequest);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startWorker();
    worker.unref();
    worker.on('message', (answer: ParseAnswer) => this.#answer(answer));
    worker.on('error', (error) => this.#fail(worker, error));
    worker.on('exit', (code) => this.#fail(worker, new Error(`the parser thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #settled(id: number) {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
    return pending;
  }

  #answer(answer: ParseAnswer): void {
    const pending = this.#settled(answer.id);
    if (!pending) return;
    if ('tree' in answer) assembleTree<ParseTree>(answer.tree).then(pending.resolve, pending.reject);
    else if ('tooDeep' in answer) pending.reject(nestedTooDeeply());
    else
      pending.reject(
        parseError(answer.error.message, answer.error.cursorPosition, answer.error.stack === true),
      );
  }

  #fail(worker: Worker, error: unknown): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const outOfMemory = (error as { code?: string })?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    for (const [id, pending] of [...this.#pending]) {
      this.#pending.delete(id);
      pending.reject(
        new SpokeError(
          ErrorCode.INVALID_QUERY,
          outOfMemory
            ? 'the statement is too large to parse: the parser ran out of memory'
            : `the statement could not be parsed: ${(error as Error)?.message ?? String(error)}`,
          { cause: error, details: { sqlstate: outOfMemory ? '54000' : 'XX000' } },
        ),
      );
    }
  }
}

/** The worker thread running parse-worker.ts. */
function startWorker(): Worker {
  // A parse that runs away is the worker's end, not the gateway's.
  const options = { resourceLimits: { maxOldGenerationSizeMb: 1024 } };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./parse-worker.js', import.meta.url), options);
  // Run from the TypeScript source (the planner's tests, through tsx): workers do not inherit
  // tsx's loader, so the worker registers it before importing its module.
  const tsx = import.meta.resolve('tsx/esm/api');
  const file = new URL('./parse-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(file)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

const parserWorker = new ParserWorker();
