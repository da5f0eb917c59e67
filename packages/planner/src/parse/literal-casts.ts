/**
 * Casts of string literals to integer and boolean types, read as PostgreSQL
 * reads them. DuckDB's string-to-integer cast rounds (`'12.5'::int` is 13)
 * and takes exponents (`'1e3'::int` is 1000), where PostgreSQL refuses both
 * with 22P02; DuckDB refuses `'off'::boolean`, which PostgreSQL accepts. A
 * literal's value is known before any engine runs, so these are settled on
 * the parse tree for every path: a bad integer literal raises PostgreSQL's
 * error, a boolean literal becomes `true` or `false`. (Casts of column values
 * keep the engine's rules: see docs/semantics.md.)
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { type AstNode, str, walkAst } from './ast.js';

const INTEGER_TYPES: Readonly<Record<string, string>> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  smallint: 'smallint',
  integer: 'integer',
  int: 'integer',
  bigint: 'bigint',
};
const BOOLEAN_TYPES = new Set(['bool', 'boolean']);
/** PostgreSQL's boolean input: any unique prefix of these words, or 1/0, any case, surrounding spaces allowed. */
const BOOLEAN_WORDS: readonly (readonly [string, boolean])[] = [
  ['true', true],
  ['false', false],
  ['yes', true],
  ['no', false],
  ['on', true],
  ['off', false],
];

function booleanInput(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t === '1') return true;
  if (t === '0') return false;
  if (t.length === 0) return undefined;
  // `o` alone is ambiguous (on/off); `of` and `on` are not.
  const hits = BOOLEAN_WORDS.filter(([word]) => word.startsWith(t) && (t.length > 1 || t[0] !== 'o'));
  return hits.length === 1 ? hits[0]![1] : undefined;
}

/** Checks and folds literal casts in the tree (in place). */
export function settleLiteralCasts(tree: AstNode, sql: string): void {
  // Without a cast in the text (`::`, CAST, a typed literal) there is nothing to settle: skip the walk.
  if (!/::|\bcast\b|\b(?:int[248]?|integer|smallint|bigint|bool(?:ean)?)\s+'/i.test(sql)) return;
  // walkAst allocates nothing per node: statements may be 128 KB (a long IN list), and this runs on the event loop.
  walkAst(tree, (node) => {
    if (!node.TypeCast) return undefined;
    const folded = settle(node, sql);
    if (!folded) return undefined;
    // The wrapper object is replaced in place: the walker holds no parent.
    delete node.TypeCast;
    Object.assign(node, folded);
    return false;
  });
}

function settle(node: AstNode, sql: string): AstNode | undefined {
  const cast = node.TypeCast;
  const text: string | undefined = cast?.arg?.A_Const?.sval?.sval;
  if (text === undefined || (cast.typeName.arrayBounds?.length ?? 0) > 0) return undefined;
  const type = str((cast.typeName.names as AstNode[]).at(-1))?.toLowerCase() ?? '';
  const integer = INTEGER_TYPES[type];
  if (integer) {
    if (!/^\s*[+-]?\d+\s*$/.test(text)) throw invalidInput(integer, text, cast.arg.A_Const.location, sql);
    const value = BigInt(text.trim());
    const bits = integer === 'smallint' ? 16n : integer === 'integer' ? 32n : 64n;
    if (value < -(2n ** (bits - 1n)) || value >= 2n ** (bits - 1n)) {
      throw new SpokeError(ErrorCode.INVALID_QUERY, `value "${text}" is out of range for type ${integer}`, {
        details: { sqlstate: '22003', ...position(cast.arg.A_Const.location, sql) },
      });
    }
    return undefined;
  }
  if (BOOLEAN_TYPES.has(type)) {
    const value = booleanInput(text);
    if (value === undefined) throw invalidInput('boolean', text, cast.arg.A_Const.location, sql);
    return { A_Const: { boolval: value ? { boolval: true } : {}, location: cast.location } };
  }
  return undefined;
}

function position(location: unknown, sql: string): { position?: number } {
  // libpg-query's locations count bytes; PostgreSQL's positions count characters.
  return typeof location === 'number'
    ? { position: Buffer.from(sql).subarray(0, location).toString().length + 1 }
    : {};
}

function invalidInput(type: string, text: string, location: unknown, sql: string): SpokeError {
  return new SpokeError(ErrorCode.INVALID_QUERY, `invalid input syntax for type ${type}: "${text}"`, {
    details: { sqlstate: '22P02', ...position(location, sql) },
  });
}
