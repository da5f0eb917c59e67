/**
 * `embed('text')` in SQL: each call becomes a parameter holding the text's
 * embedding, computed once per statement (one request for all distinct
 * texts) through the embeddings model, before the planner sees the
 * statement. So `ORDER BY embedding <-> embed('machine learning') LIMIT 10`
 * is planned exactly as `ORDER BY embedding <-> $1 LIMIT 10` — pushed to a
 * vector index where there is one — from any client, and no text of the
 * caller's is ever spliced into SQL: the call is replaced by `$n`.
 */
import { ErrorCode, type ScalarValue, SpokeError } from '@spoke/core';
import { parseSql } from '@spoke/planner';
import type { ModelCallOptions } from '../providers/chat-model.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';

/** A statement with its `embed()` calls replaced by parameters. */
export interface BoundEmbeds {
  readonly sql: string;
  readonly params: readonly ScalarValue[];
  /** How many calls were replaced. */
  readonly calls: number;
}

/** Cheap pre-check: statements without the word skip parsing. */
const MENTIONS_EMBED = /embed\s*\(/i;

type Node = Record<string, unknown>;

interface Call {
  /** Byte offset of `embed` in the statement. */
  readonly location: number;
  /** The text, or the index (0-based) of the `$n` parameter that holds it. */
  readonly text: string | { readonly param: number };
}

function isEmbedName(funcname: unknown): boolean {
  if (!Array.isArray(funcname) || funcname.length !== 1) return false;
  const name = (funcname[0] as { String?: { sval?: string } }).String?.sval;
  return name?.toLowerCase() === 'embed';
}

function badCall(message: string, position?: number): SpokeError {
  return new SpokeError(ErrorCode.INVALID_QUERY, message, {
    details: { sqlstate: '22023', ...(position !== undefined ? { position: position + 1 } : {}) },
  });
}

/** Collects the `embed()` calls, and the `$n` parameters referenced outside them (into `params`). */
function collectCalls(node: unknown, out: Call[], params: Set<number>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectCalls(item, out, params);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const ref = (node as { ParamRef?: { number?: number } }).ParamRef;
  if (ref?.number !== undefined) params.add(ref.number - 1);
  const call = (node as { FuncCall?: Node }).FuncCall;
  if (call && isEmbedName(call.funcname)) {
    const location = call.location as number;
    const args = (call.args as Node[] | undefined) ?? [];
    if (args.length !== 1 || call.agg_star || call.agg_distinct || call.over || call.agg_order)
      throw badCall('embed() takes one argument: the text to embed', location);
    const arg = args[0]!;
    const constant = (arg.A_Const as { sval?: { sval?: string }; isnull?: boolean } | undefined) ?? undefined;
    const param = arg.ParamRef as { number?: number } | undefined;
    if (constant?.sval !== undefined) out.push({ location, text: constant.sval.sval ?? '' });
    else if (param?.number !== undefined) out.push({ location, text: { param: param.number - 1 } });
    else
      throw badCall("embed() takes a string literal or a $n parameter: embed('machine learning')", location);
    return;
  }
  for (const value of Object.values(node)) collectCalls(value, out, params);
}

/** Skips whitespace and comments from byte `i`. */
function skipSpace(sql: Buffer, i: number): number {
  for (;;) {
    while (i < sql.length && /\s/.test(String.fromCharCode(sql[i]!))) i++;
    if (sql[i] === 0x2d && sql[i + 1] === 0x2d) {
      while (i < sql.length && sql[i] !== 0x0a) i++;
    } else if (sql[i] === 0x2f && sql[i + 1] === 0x2a) {
      let depth = 0;
      do {
        if (sql[i] === 0x2f && sql[i + 1] === 0x2a) {
          depth++;
          i += 2;
        } else if (sql[i] === 0x2a && sql[i + 1] === 0x2f) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < sql.length);
    } else return i;
  }
}

/** The byte offset just past the argument token starting at `i`: a '…' / E'…' string or `$n`. */
function skipArgument(sql: Buffer, i: number): number | undefined {
  if (sql[i] === 0x24) {
    let j = i + 1;
    while (j < sql.length && sql[j]! >= 0x30 && sql[j]! <= 0x39) j++;
    return j > i + 1 ? j : undefined;
  }
  let escapes = false;
  if (sql[i] === 0x45 || sql[i] === 0x65) {
    escapes = true;
    i++;
  }
  if (sql[i] !== 0x27) return undefined;
  for (let j = i + 1; j < sql.length; j++) {
    if (escapes && sql[j] === 0x5c) j++;
    else if (sql[j] === 0x27) {
      if (sql[j + 1] === 0x27) j++;
      else return j + 1;
    }
  }
  return undefined;
}

/** The byte range of the whole call `embed ( arg )` starting at `location`. */
function callRange(sql: Buffer, location: number): [number, number] {
  let i = skipSpace(sql, location + 'embed'.length);
  if (sql[i] !== 0x28) throw badCall('embed() must be written embed(...)', location);
  i = skipSpace(sql, i + 1);
  const end = skipArgument(sql, i);
  if (end === undefined)
    throw badCall("embed() takes a string literal or a $n parameter: embed('machine learning')", location);
  i = skipSpace(sql, end);
  if (sql[i] !== 0x29) throw badCall('embed() takes one argument: the text to embed', location);
  return [location, i + 1];
}

/** A vector as the text form `<->` takes: `[0.1,0.2,…]`. */
function vectorText(vector: Float32Array): string {
  return `[${Array.from(vector, (v) => String(v)).join(',')}]`;
}

/**
 * Replaces every `embed('text')` (or `embed($n)`) in `sql` by a `$k`
 * parameter holding the embedding as text (`'[0.1,0.2,…]'`): a new one after
 * the caller's for a literal, `$n` itself when it is used nowhere else. A statement
 * without calls is returned as it is, without a model call.
 *
 * @throws `INVALID_QUERY` (22023) for a call of another shape; `INVALID_CONFIG` when `embed()` is used with no embeddings model configured
 */
export async function bindEmbedCalls(
  sql: string,
  params: readonly ScalarValue[],
  model: EmbeddingModel | undefined,
  options: ModelCallOptions = {},
): Promise<BoundEmbeds> {
  if (!MENTIONS_EMBED.test(sql)) return { sql, params, calls: 0 };
  let statements: Awaited<ReturnType<typeof parseSql>>;
  try {
    statements = await parseSql(sql);
  } catch {
    // The engine parses it again and reports the syntax error with its position.
    return { sql, params, calls: 0 };
  }
  const calls: Call[] = [];
  const usedElsewhere = new Set<number>();
  collectCalls(
    statements.map((s) => s.node),
    calls,
    usedElsewhere,
  );
  if (calls.length === 0) return { sql, params, calls: 0 };
  if (statements.length !== 1) return { sql, params, calls: 0 };
  if (!model)
    throw new SpokeError(
      ErrorCode.INVALID_CONFIG,
      'embed() needs an embeddings model: configure nl.embeddings { endpoint, model, apiKey }',
      { details: { sqlstate: '42883' } },
    );
  const texts = calls.map((c) => {
    if (typeof c.text === 'string') return c.text;
    const value = params[c.text.param];
    if (typeof value !== 'string')
      throw badCall(`embed($${c.text.param + 1}): the parameter must be text`, c.location);
    return value;
  });
  for (const [i, t] of texts.entries())
    if (t.trim() === '') throw badCall('embed() of an empty text', calls[i]!.location);
  const distinct = [...new Set(texts)];
  const vectors = await model.embed(distinct, options);
  const vectorOf = new Map(distinct.map((t, i) => [t, vectorText(vectors[i]!)]));
  // A `$n` used only as embed()'s argument now holds the vector (leaving it unreferenced would leave a
  // gap in the parameters); texts written as literals get new parameters after the caller's.
  const out = [...params];
  const slots = calls.map((c, i) => {
    if (typeof c.text !== 'string' && !usedElsewhere.has(c.text.param)) {
      out[c.text.param] = vectorOf.get(texts[i]!)!;
      return c.text.param + 1;
    }
    return 0;
  });
  const appended = new Map<string, number>();
  for (const [i, t] of texts.entries()) {
    if (slots[i] !== 0) continue;
    let slot = appended.get(t);
    if (slot === undefined) {
      out.push(vectorOf.get(t)!);
      slot = out.length;
      appended.set(t, slot);
    }
    slots[i] = slot;
  }
  const bytes = Buffer.from(sql, 'utf8');
  // Splice from the end so earlier byte offsets stay valid.
  const ranges = calls
    .map((c, i) => ({ range: callRange(bytes, c.location), param: slots[i]! }))
    .sort((a, b) => b.range[0] - a.range[0]);
  let text = bytes;
  for (const { range, param } of ranges)
    text = Buffer.concat([text.subarray(0, range[0]), Buffer.from(`($${param})`), text.subarray(range[1])]);
  return { sql: text.toString('utf8'), params: out, calls: calls.length };
}
