/**
 * PostgreSQL functions whose DuckDB namesake answers differently, rewritten
 * on the residual's parse tree so DuckDB gives PostgreSQL's answer (found by
 * running PostgreSQL's regression scripts through Spoke):
 *
 * - `split_part(s, '', n)` is `s` for field 1 and -1 and `''` otherwise
 *   (DuckDB splits into characters); field 0 raises 22023.
 * - `lpad`/`rpad` with an empty fill truncate to the length (DuckDB raises).
 * - `to_hex` answers lower-case digits (DuckDB: upper-case).
 * - `nth_value(x, n)` with a constant `n < 1` raises 22016 (DuckDB: NULL).
 * - `lag`/`lead` with a default answer the common type of the value and the
 *   default (`lag(int, 1, 0.7)` is numeric 0.7; DuckDB casts the default to
 *   the value's type, 1): `CASE WHEN lag(true, n, false) OVER w THEN lag(x, n)
 *   OVER w ELSE d END` has PostgreSQL's type and values.
 * - An aggregate's FILTER applies before its argument is evaluated: a
 *   division in the argument of `sum(1 / x) FILTER (WHERE x > 0)` must not
 *   raise for the rows the filter drops (DuckDB evaluates the arguments of
 *   every row): the argument becomes `CASE WHEN filter THEN arg END`.
 * - `'\xDEADBEEF'::bytea` is PostgreSQL's hex format (DuckDB would read
 *   `\xDE` as one escaped byte and the rest as characters) and `'\\000'` its
 *   escape format: the literal is rewritten in DuckDB's escapes.
 *
 * Only constant arguments are inspected, so no argument is evaluated twice.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { type AstNode, str, walkAst } from '../parse/ast.js';

/** Messages the rewritten SQL raises with DuckDB's `error()`, and PostgreSQL's SQLSTATE for each. */
export const RAISED_ERRORS: Readonly<Record<string, string>> = {
  'field position must not be zero': '22023',
};

function call(name: string, args: AstNode[]): AstNode {
  return { FuncCall: { funcname: [{ String: { sval: name } }], args, funcformat: 'COERCE_EXPLICIT_CALL' } };
}

function text(value: string): AstNode {
  return { A_Const: { sval: { sval: value } } };
}

function integer(value: number): AstNode {
  return { A_Const: { ival: value === 0 ? {} : { ival: value } } };
}

function caseWhen(condition: AstNode, result: AstNode, otherwise?: AstNode): AstNode {
  return {
    CaseExpr: {
      args: [{ CaseWhen: { expr: condition, result } }],
      ...(otherwise ? { defresult: otherwise } : {}),
    },
  };
}

function isNotNull(arg: AstNode): AstNode {
  return { NullTest: { arg, nulltesttype: 'IS_NOT_NULL' } };
}

/** The value of an integer literal (`-1` included), or `undefined`. */
function integerConstant(node: AstNode | undefined): number | undefined {
  const c = node?.A_Const;
  if (!c || c.ival === undefined) return undefined;
  return c.ival.ival ?? 0;
}

/** The value of a string literal, or `undefined`. */
function stringConstant(node: AstNode | undefined): string | undefined {
  const c = node?.A_Const;
  return c?.sval !== undefined ? (c.sval.sval ?? '') : undefined;
}

/** Replaces the contents of `node` (a walker holds no parent) with `replacement`. */
function replace(node: AstNode, replacement: AstNode): void {
  for (const key of Object.keys(node)) delete node[key];
  Object.assign(node, replacement);
}

function hasDivision(node: unknown): boolean {
  let found = false;
  walkAst(node, (n) => {
    if (found) return false;
    const e = n.A_Expr;
    const op = e?.kind === 'AEXPR_OP' ? str(e.name?.[e.name.length - 1]) : undefined;
    if (op === '/' || op === '%') found = true;
    return undefined;
  });
  return found;
}

/**
 * Rewrites the calls above in `tree`, in place. A rewritten call's own
 * arguments are rewritten too, but the call DuckDB is given in its place is
 * not met again.
 */
export function rewritePostgresFunctions(tree: AstNode): void {
  walkAst(tree, (node) => {
    const inner = rewritePostgresFunction(node);
    if (!inner) return undefined;
    for (const arg of inner) rewritePostgresFunctions(arg);
    return false;
  });
}

/** Rewrites `node` in place when it is one of the calls above: the original arguments, else `undefined`. */
function rewritePostgresFunction(node: AstNode): AstNode[] | undefined {
  if (node.TypeCast) return rewriteByteaLiteral(node.TypeCast) ? [] : undefined;
  const fn = node.FuncCall;
  if (!fn) return undefined;
  const names = (fn.funcname as AstNode[]).map((n) => str(n));
  if (names.length > 1 && names[0] !== 'pg_catalog') return undefined;
  const name = names.at(-1)?.toLowerCase();
  const args = (fn.args ?? []) as AstNode[];
  const rewritten = [...args, ...(fn.agg_filter ? [fn.agg_filter] : []), ...(fn.over ? [fn.over] : [])];
  if (fn.agg_filter && args.some(hasDivision)) {
    fn.args = args.map((a) => (hasDivision(a) ? caseWhen(structuredClone(fn.agg_filter), a) : a));
    return rewritten;
  }
  if (fn.over) return rewriteWindowFunction(node, name, args) ? rewritten : undefined;
  switch (name) {
    case 'split_part':
      return rewriteSplitPart(node, args) ? rewritten : undefined;
    case 'lpad':
    case 'rpad':
      if (args.length !== 3 || stringConstant(args[2]) !== '') return undefined;
      // PostgreSQL: the string cut to the length (never padded); a length below zero is ''.
      replace(node, call('left', [args[0]!, call('greatest', [args[1]!, integer(0)])]));
      return rewritten;
    case 'to_hex':
      if (args.length !== 1) return undefined;
      replace(node, call('lower', [call('hex', [args[0]!])]));
      return rewritten;
    default:
      return undefined;
  }
}

function rewriteSplitPart(node: AstNode, args: AstNode[]): boolean {
  if (args.length !== 3) return false;
  const [string, delimiter, field] = args as [AstNode, AstNode, AstNode];
  const n = integerConstant(field);
  if (n === 0) {
    // Strict: NULL text or delimiter is NULL, not the error.
    replace(
      node,
      caseWhen(
        { BoolExpr: { boolop: 'AND_EXPR', args: [isNotNull(string), isNotNull(delimiter)] } },
        call('error', [text('field position must not be zero')]),
      ),
    );
    return true;
  }
  if (stringConstant(delimiter) !== '' || n === undefined) return false;
  const whole = { TypeCast: { arg: string, typeName: { names: [{ String: { sval: 'text' } }] } } };
  replace(node, n === 1 || n === -1 ? whole : caseWhen(isNotNull(string), text('')));
  return true;
}

function rewriteWindowFunction(node: AstNode, name: string | undefined, args: AstNode[]): boolean {
  const fn = node.FuncCall;
  if (name === 'nth_value') {
    const n = integerConstant(args[1]);
    if (n !== undefined && n < 1)
      throw new SpokeError(ErrorCode.INVALID_QUERY, 'argument of nth_value must be greater than zero', {
        details: { sqlstate: '22016' },
      });
    return false;
  }
  if ((name !== 'lag' && name !== 'lead') || args.length !== 3 || args[2]?.A_Const?.isnull) return false;
  const [value, offset, fallback] = args as [AstNode, AstNode, AstNode];
  const exists = {
    FuncCall: {
      ...fn,
      args: [
        { A_Const: { boolval: { boolval: true } } },
        structuredClone(offset),
        { A_Const: { boolval: {} } },
      ],
      over: structuredClone(fn.over),
    },
  };
  const shifted = { FuncCall: { ...fn, args: [value, offset] } };
  replace(node, caseWhen(exists, shifted, fallback));
  return true;
}

/** PostgreSQL's bytea input (hex `\x…` or escape format) as the bytes it stands for; throws 22023/22P02. */
export function byteaInput(input: string): number[] {
  if (input.startsWith('\\x')) {
    const digits = input.slice(2).replace(/\s/g, '');
    const bad = /[^0-9a-fA-F]/.exec(digits);
    if (bad)
      throw new SpokeError(ErrorCode.INVALID_QUERY, `invalid hexadecimal digit: "${bad[0]}"`, {
        details: { sqlstate: '22023' },
      });
    if (digits.length % 2)
      throw new SpokeError(ErrorCode.INVALID_QUERY, 'invalid hexadecimal data: odd number of digits', {
        details: { sqlstate: '22023' },
      });
    const bytes: number[] = [];
    for (let i = 0; i < digits.length; i += 2) bytes.push(Number.parseInt(digits.slice(i, i + 2), 16));
    return bytes;
  }
  const bytes: number[] = [];
  const encoded = Buffer.from(input, 'utf8');
  for (let i = 0; i < encoded.length; i++) {
    const b = encoded[i]!;
    if (b !== 0x5c) {
      bytes.push(b);
      continue;
    }
    if (encoded[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i++;
      continue;
    }
    const octal = encoded.subarray(i + 1, i + 4).toString('latin1');
    if (!/^[0-3][0-7][0-7]$/.test(octal))
      throw new SpokeError(ErrorCode.INVALID_QUERY, 'invalid input syntax for type bytea', {
        details: { sqlstate: '22P02' },
      });
    bytes.push(Number.parseInt(octal, 8));
    i += 3;
  }
  return bytes;
}

/** `'…'::bytea`: the literal in DuckDB's blob escapes (printable ASCII as is, other bytes as `\xHH`). */
function rewriteByteaLiteral(cast: AstNode): boolean {
  const typeNames = ((cast.typeName?.names ?? []) as AstNode[]).map((n) => str(n));
  // The system-catalog path has already spelled the type DuckDB's way (`blob`).
  const type = typeNames.at(-1);
  if ((type !== 'bytea' && type !== 'blob') || cast.typeName?.arrayBounds) return false;
  const input = stringConstant(cast.arg);
  // Only what DuckDB would read differently: a backslash, or a character beyond ASCII (DuckDB refuses those).
  if (input === undefined || !/[\\\u0080-\u{10ffff}]/u.test(input)) return false;
  const escaped = byteaInput(input)
    .map((b) =>
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
  cast.arg = text(escaped);
  return true;
}
