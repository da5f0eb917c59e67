/**
 * The SQL front end: PostgreSQL's own parser (libpg-query, compiled to
 * WebAssembly), so Spoke accepts exactly what a PostgreSQL client sends —
 * `$n` parameters, `embedding <-> $1`, `text @@ 'words'` included.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { loadModule, parseSync } from 'libpg-query';
import type { AstNode } from './ast.js';

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

/**
 * Parses one or more `;`-separated statements. Throws `SYNTAX_ERROR` with
 * PostgreSQL's message and the position of the error.
 */
export async function parseSql(sql: string): Promise<ParsedStatement[]> {
  await loadParser();
  let result: { stmts?: { stmt: AstNode; stmt_location?: number; stmt_len?: number }[] };
  try {
    result = parseSync(sql) as typeof result;
  } catch (error) {
    const e = error as { message?: string; sqlDetails?: { cursorPosition?: number } };
    const position = e.sqlDetails?.cursorPosition;
    const where = position !== undefined ? ` at position ${position + 1}` : '';
    throw new SpokeError(ErrorCode.SYNTAX_ERROR, `${e.message ?? 'syntax error'}${where}`, {
      cause: error,
      details: position !== undefined ? { position: position + 1 } : {},
    });
  }
  const bytes = Buffer.from(sql, 'utf8');
  return (result.stmts ?? []).map((s) => {
    // Locations are byte offsets into the UTF-8 text.
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : bytes.length;
    return { node: s.stmt, sql: bytes.subarray(start, end).toString('utf8').trim() };
  });
}
