/**
 * The types ParameterDescription reports for `$n` parameters the client left
 * unspecified, inferred as PostgreSQL infers them: from the column a
 * parameter is compared with (`WHERE id = $1`, `id IN ($1, $2)`,
 * `x BETWEEN $1 AND $2`), from an explicit cast (`$1::numeric`), and
 * `bigint` for LIMIT/OFFSET. asyncpg encodes its arguments by these types
 * and refuses an int for a parameter described as text.
 *
 * A parameter with nothing to infer from stays `text`: the client then sends
 * text, which the engine resolves in context.
 */
import type { QueryEngine } from '@spoke/planner';
import { parseSql } from '@spoke/planner';
import { PgOid, pgTypeOf } from './pg-types.js';

// biome-ignore lint/suspicious/noExplicitAny: libpg-query's JSON parse tree is untyped.
type Node = any;

/** PostgreSQL type names (as written in casts) → OID. */
const CAST_TYPES: Readonly<Record<string, number>> = {
  bool: PgOid.bool,
  boolean: PgOid.bool,
  bytea: PgOid.bytea,
  int2: PgOid.int2,
  smallint: PgOid.int2,
  int4: PgOid.int4,
  int: PgOid.int4,
  integer: PgOid.int4,
  int8: PgOid.int8,
  bigint: PgOid.int8,
  float4: PgOid.float4,
  real: PgOid.float4,
  float8: PgOid.float8,
  numeric: PgOid.numeric,
  decimal: PgOid.numeric,
  text: PgOid.text,
  varchar: PgOid.varchar,
  bpchar: PgOid.bpchar,
  date: PgOid.date,
  time: PgOid.time,
  timestamp: PgOid.timestamp,
  timestamptz: PgOid.timestamptz,
  interval: PgOid.interval,
  uuid: PgOid.uuid,
  json: PgOid.json,
  jsonb: PgOid.jsonb,
};

/** Calls `visit` on every object in the tree. */
function walk(node: Node, visit: (n: Node) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
  } else if (node !== null && typeof node === 'object') {
    visit(node);
    for (const value of Object.values(node)) walk(value, visit);
  }
}

/**
 * The OIDs of `$1…$count`: `declared` where the client gave one (non-zero),
 * else inferred, else `text`.
 */
export async function inferParameterTypes(
  sql: string,
  declared: readonly number[],
  engine: QueryEngine,
  signal: AbortSignal,
): Promise<number[]> {
  const inferred = new Map<number, number>();
  let tree: Node;
  try {
    [tree] = (await parseSql(sql)).map((s) => s.node);
  } catch {
    // The statement's own error is reported when it runs.
    return declared.map((oid) => (oid === 0 ? PgOid.text : oid));
  }
  const ranges: Node[] = [];
  const comparisons: [column: Node, param: number][] = [];
  const param = (n: Node): number | undefined => n?.ParamRef?.number;
  walk(tree, (n) => {
    if (n.RangeVar) ranges.push(n.RangeVar);
    const cast = n.TypeCast;
    if (cast && param(cast.arg) !== undefined) {
      const names = ((cast.typeName?.names ?? []) as Node[]).map((s) => s.String?.sval as string);
      const oid = CAST_TYPES[names.at(-1) ?? ''];
      if (oid !== undefined && !(cast.typeName?.arrayBounds?.length > 0)) inferred.set(param(cast.arg)!, oid);
    }
    for (const key of ['limitCount', 'limitOffset']) {
      const p = param(n[key]);
      if (p !== undefined) inferred.set(p, PgOid.int8);
    }
    const expr = n.A_Expr;
    if (!expr) return;
    const left = expr.lexpr;
    const right = expr.rexpr;
    if (expr.kind === 'AEXPR_LIKE' || expr.kind === 'AEXPR_ILIKE') {
      for (const side of [left, right]) if (param(side) !== undefined) inferred.set(param(side)!, PgOid.text);
      return;
    }
    const others: Node[] = Array.isArray(right?.List?.items)
      ? right.List.items
      : Array.isArray(right)
        ? right
        : [right];
    if (left?.ColumnRef) {
      for (const other of others)
        if (param(other) !== undefined) comparisons.push([left.ColumnRef, param(other)!]);
    }
    if (right?.ColumnRef && param(left) !== undefined) comparisons.push([right.ColumnRef, param(left)!]);
  });
  if (comparisons.length > 0 && ranges.length > 0) {
    const tables = await engine.catalog(signal);
    const tableOf = (range: Node) =>
      tables.find(
        (t) =>
          t.name === range.relname &&
          (range.catalogname
            ? t.source === range.catalogname && t.schema === range.schemaname
            : range.schemaname === undefined ||
              t.source === range.schemaname ||
              t.schema === range.schemaname),
      );
    for (const [ref, number] of comparisons) {
      if (inferred.has(number)) continue;
      const fields = ((ref.fields ?? []) as Node[]).map((f) => f.String?.sval as string | undefined);
      const column = fields.at(-1);
      if (column === undefined) continue;
      const qualifier = fields.length > 1 ? fields.at(-2) : undefined;
      const candidates = ranges.filter(
        (r) => qualifier === undefined || r.alias?.aliasname === qualifier || r.relname === qualifier,
      );
      for (const range of candidates) {
        const found = tableOf(range)?.columns.find((c) => c.name === column);
        if (found) {
          inferred.set(number, pgTypeOf(found.type).oid);
          break;
        }
      }
    }
  }
  return declared.map((oid, i) => (oid !== 0 ? oid : (inferred.get(i + 1) ?? PgOid.text)));
}
