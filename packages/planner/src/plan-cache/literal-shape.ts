/**
 * The literal-free shape of a statement, so statements that differ only in
 * the constants they compare with (`… WHERE id = 42`, `… WHERE id = 43`, as
 * simple-protocol clients, BI tools and ORMs that inline literals send them)
 * can share one cached plan.
 *
 * Nothing here edits user text by pattern: PostgreSQL's own parser says which
 * constants there are (`A_Const` nodes with their byte locations) and where
 * they stand, and its scanner says where each constant's token ends. Only
 * integer, numeric and string constants that are an operand of a comparison
 * (`=`, `<>`, `<`, `>`, `<=`, `>=`), of `IN (…)`, `BETWEEN` or `LIKE` in a
 * WHERE, ON or HAVING clause are taken: there a bound parameter of the same
 * type means the same. Constants elsewhere — LIMIT/OFFSET, ORDER BY/GROUP BY,
 * the select list (whose names and types they decide), function arguments,
 * arithmetic, casts and typed literals (`DATE '…'`, `INTERVAL '…'`,
 * `'5'::int`, whose value the planner checks) — stay in the text, so they
 * are part of the key.
 *
 * The shape's key is the text with each taken constant replaced by `$n`
 * (numbered after the caller's own parameters) and the kind of each constant
 * as the parser typed it: int4, int8, numeric, or an unknown-typed string.
 * The constants themselves are never put into SQL: the cache renders the
 * parser's own constant nodes, which the dialect binds as parameters, and a
 * shared plan is only used once it rendered exactly what the engine's own
 * planner renders for a statement of that shape (see cached-query.ts).
 */
import type { ScalarValue } from '@spoke/core';
import { parseSync, type ScanToken, scanSync } from 'libpg-query';
import type { AstNode } from '../parse/ast.js';
import { loadParser } from '../parse/parse-sql.js';
import { MAX_PARSE_DEPTH, parseTreeDepth } from '../parse/parse-tree-depth.js';

/**
 * The kind of a taken constant: `i` int4, `b` int8 (an integer literal beyond
 * int4, written in canonical decimal), `s` an unknown-typed string, `n` any
 * other numeric literal (a scale, an exponent: carried as the parser's node).
 */
export type LiteralKind = 'i' | 'b' | 's' | 'n';

/** A statement's literal-free shape and its constants. */
export interface LiteralShape {
  /** The statement with each taken constant replaced by `$n`. */
  readonly text: string;
  /** The kinds of the constants, in order (`$(paramCount + 1)` first). */
  readonly kinds: string;
  /** The constants as parsed (`{ A_Const: … }`), in order. */
  readonly constants: readonly AstNode[];
  /**
   * The constants as parameter values, when every one has a value the
   * planner turns back into the same constant (kinds `i`, `b`, `s`);
   * `undefined` when one is of kind `n`.
   */
  readonly values: readonly ScalarValue[] | undefined;
}

/** Statements longer than this are not shaped (their exact text is still cached). */
export const MAX_SHAPED_CHARS = 4 * 1024;

const COMPARISONS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);
const LIKES = new Set(['~~', '!~~', '~~*', '!~~*']);
const CLAUSES = new Set(['whereClause', 'havingClause', 'quals']);
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/**
 * The shape of `sql` with the caller's `paramCount` parameters; `undefined`
 * when it is not one SELECT, has no constant to take, is longer than
 * {@link MAX_SHAPED_CHARS}, fails to parse (the engine reports that), or uses
 * a `$n` beyond `paramCount`.
 */
export async function literalShape(sql: string, paramCount: number): Promise<LiteralShape | undefined> {
  // No digit and no quote: no constant to take, and no parse spent. A long statement is not shaped:
  // shaping parses and scans it in one step (about 4 ms a KB), more than sharing its plan would save.
  if (sql.length > MAX_SHAPED_CHARS || !/[0-9']/.test(sql)) return undefined;
  await loadParser();
  let tree: { stmts?: { stmt?: AstNode }[] };
  let tokens: ScanToken[];
  try {
    tree = parseSync(sql) as typeof tree;
    if (parseTreeDepth(tree) > MAX_PARSE_DEPTH) return undefined;
    tokens = scanSync(sql).tokens;
  } catch {
    return undefined;
  }
  const select = tree.stmts?.length === 1 ? tree.stmts[0]!.stmt?.SelectStmt : undefined;
  if (!select || select.intoClause) return undefined;
  const operands: AstNode[] = [];
  collect(select, false, operands);
  if (operands.length === 0) return undefined;

  const byStart = new Map<number, number>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    // A `$n` without a value: the engine reports it.
    if (t.tokenName === 'PARAM' && Number(t.text.slice(1)) > paramCount) return undefined;
    byStart.set(t.start, i);
  }

  const taken: { start: number; end: number; node: AstNode; kind: LiteralKind; value: ScalarValue }[] = [];
  const seen = new Set<number>();
  for (const node of operands) {
    const c = node.A_Const as AstNode;
    const start = c.location as number | undefined;
    if (start === undefined || seen.has(start)) continue;
    let i = byStart.get(start);
    if (i === undefined) continue;
    let token = tokens[i]!;
    const negative = token.text === '-';
    if (negative) token = tokens[++i]!;
    if (!token) continue;
    let kind: LiteralKind;
    let value: ScalarValue;
    if ('ival' in c && token.tokenName === 'ICONST') {
      kind = 'i';
      value = Number(c.ival?.ival ?? 0);
    } else if ('fval' in c && token.tokenName === 'FCONST') {
      const text = String(c.fval?.fval);
      const integer = /^-?\d+$/.test(text) ? BigInt(text) : undefined;
      if (integer !== undefined && String(integer) === text && integer >= INT8_MIN && integer <= INT8_MAX) {
        kind = 'b';
        value = integer;
      } else {
        kind = 'n';
        value = text;
      }
    } else if ('sval' in c && !negative && token.tokenName === 'SCONST') {
      kind = 's';
      value = String(c.sval?.sval ?? '');
    } else continue;
    seen.add(start);
    taken.push({ start, end: token.end, node, kind, value });
  }
  if (taken.length === 0) return undefined;
  taken.sort((a, b) => a.start - b.start);

  // Locations are byte offsets into the UTF-8 text.
  const bytes = Buffer.from(sql, 'utf8');
  const ascii = bytes.length === sql.length;
  const slice = (from: number, to: number) =>
    ascii ? sql.slice(from, to) : bytes.subarray(from, to).toString('utf8');
  let text = '';
  let at = 0;
  taken.forEach((t, k) => {
    // A `$n` glued to a word would read as part of it (`a$1`): keep the words apart.
    const before = t.start > 0 && isWordByte(bytes[t.start - 1]!) ? ' ' : '';
    const after = t.end < bytes.length && isWordByte(bytes[t.end]!) ? ' ' : '';
    text += `${slice(at, t.start)}${before}$${paramCount + k + 1}${after}`;
    at = t.end;
  });
  text += slice(at, bytes.length);
  const kinds = taken.map((t) => t.kind).join('');
  return {
    text,
    kinds,
    constants: taken.map((t) => t.node),
    values: kinds.includes('n') ? undefined : taken.map((t) => t.value),
  };
}

function isWordByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x5f ||
    b === 0x24 ||
    b >= 0x80
  );
}

/** Collects the constants that are operands of comparisons in a WHERE, ON or HAVING clause. */
function collect(node: unknown, inClause: boolean, out: AstNode[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, inClause, out);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as AstNode)) {
    if (!value || typeof value !== 'object') continue;
    // A sub-query's own select list and LIMIT are not in its parent's WHERE.
    if (key === 'SelectStmt') collect(value, false, out);
    else if (CLAUSES.has(key)) collect(value, true, out);
    else {
      if (key === 'A_Expr' && inClause) operandsOf(value as AstNode, out);
      collect(value, inClause, out);
    }
  }
}

function operandsOf(e: AstNode, out: AstNode[]): void {
  const names = e.name as AstNode[] | undefined;
  if (names?.length !== 1) return;
  const op = names[0]!.String?.sval as string | undefined;
  if (op === undefined) return;
  const take = (n: unknown) => {
    const c = (n as AstNode | undefined)?.A_Const as AstNode | undefined;
    if (c && !c.isnull && ('ival' in c || 'fval' in c || 'sval' in c)) out.push(n as AstNode);
  };
  const list = (n: AstNode | undefined): unknown[] =>
    Array.isArray(n) ? n : ((n?.List?.items as unknown[] | undefined) ?? []);
  switch (e.kind) {
    case 'AEXPR_OP':
      if (COMPARISONS.has(op)) {
        take(e.lexpr);
        take(e.rexpr);
      }
      return;
    case 'AEXPR_IN':
      if (op === '=' || op === '<>') list(e.rexpr).forEach(take);
      return;
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
      take(e.lexpr);
      list(e.rexpr).forEach(take);
      return;
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
      if (LIKES.has(op)) {
        take(e.lexpr);
        take(e.rexpr);
      }
      return;
    default:
      return;
  }
}
