/**
 * The in-memory residual: a residual simple enough to run on the reads'
 * Arrow batches directly, without DuckDB — a projection of columns over one
 * relation or a chain of inner equi-joins, ordered, with a constant LIMIT
 * and OFFSET:
 *
 *   SELECT b.id, b.v, d.name FROM __spoke_0 AS b JOIN __spoke_1 AS d ON d.k = b.k ORDER BY b.id LIMIT 10
 *
 * Why: DuckDB's fixed cost per query — a connection, a temp table per read
 * (create, append, commit), planning and running the statement — is about
 * 2 ms of CPU however few rows there are (`bench/throughput.ts`, workload
 * `join`), where a hash join of a few thousand rows in JavaScript takes
 * microseconds. Like the fast path that streams a query pushed down whole
 * straight to the wire, this one exists for small federated queries, the
 * ones a BI dashboard sends by the hundred.
 *
 * The answer is DuckDB's, exactly: every column keeps the type DuckDB would
 * give it (only types that load into DuckDB and stream back unchanged are
 * accepted, see {@link takeableType}); join keys match as DuckDB compares
 * them (integers by value across widths, text byte for byte, NULL never);
 * rows are ordered with PostgreSQL's null order (the residual's DuckDB is set
 * to it) and text by code point, as DuckDB's binary comparison orders UTF-8.
 * Anything else — expressions, WHERE, aggregates, DISTINCT, outer joins,
 * floating-point or decimal keys, sub-queries — is left to DuckDB: the
 * shape is recognised on the final residual statement, and an unrecognised
 * one simply runs there.
 */
import {
  arrow,
  type Field,
  PG_TYPE_METADATA_KEY,
  type RecordBatch,
  recordBatch,
  type Schema,
} from '@spoke/core';
import { arrowToDuckDBType, duckdbToArrowType } from '@spoke/duckdb-arrow';
import type { Data, DataType } from 'apache-arrow';
import type { AstNode } from '../parse/ast.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';
import {
  ChunkedColumn,
  compareValues,
  orderableType,
  type RowValue,
  take,
  takeableType,
} from './arrow-take.js';

/** A column of one of the joined relations: the relation's position in the join, and the column's name. */
interface ColumnAt {
  readonly input: number;
  readonly column: string;
}

/** One inner join of the chain: the relation joined, and its key equalities with those before it. */
interface JoinStep {
  readonly input: number;
  readonly keys: readonly { readonly left: ColumnAt; readonly right: ColumnAt }[];
}

interface SortKey {
  readonly at: ColumnAt;
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

/** A residual recognised as runnable in memory (see the file comment). */
export interface InMemoryResidual {
  /** The relations joined, in join order (`__spoke_<n>` names). */
  readonly relations: readonly string[];
  readonly joins: readonly JoinStep[];
  readonly outputs: readonly { readonly name: string; readonly at: ColumnAt }[];
  readonly orderBy: readonly SortKey[];
  readonly limit?: number;
  readonly offset: number;
}

/** Most rows a read may be expected to bring for the in-memory residual to be chosen. */
export const IN_MEMORY_MAX_ROWS = 10_000;

/**
 * Recognises `stmt` — the residual after `buildResidual`'s rewrites, its
 * relations renamed — as an {@link InMemoryResidual}, or returns undefined.
 */
export function recognizeInMemoryResidual(
  stmt: AstNode,
  plans: readonly ScanPlan[],
): InMemoryResidual | undefined {
  if (
    (stmt.op && stmt.op !== 'SETOP_NONE') ||
    stmt.withClause ||
    stmt.distinctClause ||
    stmt.groupClause ||
    stmt.groupDistinct ||
    stmt.havingClause ||
    stmt.windowClause ||
    stmt.valuesLists ||
    stmt.lockingClause ||
    stmt.intoClause ||
    stmt.whereClause ||
    (stmt.limitOption &&
      stmt.limitOption !== 'LIMIT_OPTION_COUNT' &&
      stmt.limitOption !== 'LIMIT_OPTION_DEFAULT')
  )
    return undefined;
  const from = stmt.fromClause as AstNode[] | undefined;
  if (from?.length !== 1) return undefined;
  const byRelation = new Map(plans.map((p) => [p.relation, p]));
  const relations: string[] = [];
  const aliases: string[] = [];
  const joins: JoinStep[] = [];
  const addRelation = (node: AstNode): number | undefined => {
    const rv = node.RangeVar;
    const plan = rv ? byRelation.get(rv.relname) : undefined;
    if (!plan || rv.schemaname || rv.catalogname || rv.alias?.colnames || plan.projection.length === 0)
      return undefined;
    const alias = (rv.alias?.aliasname as string | undefined) ?? rv.relname;
    if (aliases.includes(alias) || relations.includes(rv.relname)) return undefined;
    // Every column the residual may name must be of a type taken as DuckDB would give it back.
    for (const name of plan.projection) {
      const field = plan.binding.arrowSchema.fields.find((f) => f.name === name);
      if (!field || !sameAfterDuckDB(field)) return undefined;
    }
    relations.push(rv.relname);
    aliases.push(alias);
    return relations.length - 1;
  };
  const columnOf = (node: AstNode | undefined, upTo: number): ColumnAt | undefined => {
    const fields = node?.ColumnRef?.fields as AstNode[] | undefined;
    if (!fields || fields.some((f) => !f.String)) return undefined;
    const names = fields.map((f) => f.String.sval as string);
    const candidates: ColumnAt[] = [];
    for (let input = 0; input < upTo; input++) {
      if (names.length === 2 && aliases[input] !== names[0]) continue;
      if (names.length > 2) return undefined;
      const column = names[names.length - 1] as string;
      if (byRelation.get(relations[input] as string)?.projection.includes(column))
        candidates.push({ input, column });
    }
    return candidates.length === 1 ? candidates[0] : undefined;
  };
  // A left-deep chain of inner joins, each ON an AND of column equalities with the relations before it.
  const walk = (node: AstNode): boolean => {
    if (node.RangeVar) return addRelation(node) !== undefined;
    const join = node.JoinExpr;
    if (join?.jointype !== 'JOIN_INNER' || join.isNatural || join.usingClause || join.alias || !join.quals)
      return false;
    if (!walk(join.larg)) return false;
    const input = addRelation(join.rarg);
    if (input === undefined) return false;
    const keys: { left: ColumnAt; right: ColumnAt }[] = [];
    for (const conjunct of andArgs(join.quals)) {
      const e = conjunct.A_Expr;
      if (e?.kind !== 'AEXPR_OP' || e.name?.length !== 1 || e.name[0]?.String?.sval !== '=') return false;
      const a = columnOf(e.lexpr, input + 1);
      const b = columnOf(e.rexpr, input + 1);
      if (!a || !b) return false;
      const [left, right]: [ColumnAt, ColumnAt] = a.input === input ? [b, a] : [a, b];
      if (right.input !== input || left.input === input) return false;
      if (!comparableKeys(fieldOf(left), fieldOf(right))) return false;
      keys.push({ left, right });
    }
    if (keys.length === 0) return false;
    joins.push({ input, keys });
    return true;
  };
  const fieldOf = (at: ColumnAt): Field =>
    byRelation
      .get(relations[at.input] as string)!
      .binding.arrowSchema.fields.find((f) => f.name === at.column) as Field;
  if (!walk(from[0] as AstNode)) return undefined;
  const outputs: { name: string; at: ColumnAt }[] = [];
  for (const target of (stmt.targetList ?? []) as AstNode[]) {
    const t = target.ResTarget;
    const at = t ? columnOf(t.val, relations.length) : undefined;
    if (!at) return undefined;
    outputs.push({ name: (t.name as string | undefined) ?? at.column, at });
  }
  if (outputs.length === 0) return undefined;
  const orderBy: SortKey[] = [];
  for (const item of (stmt.sortClause ?? []) as AstNode[]) {
    const sort = item.SortBy;
    if (!sort || sort.useOp) return undefined;
    const fields = sort.node?.ColumnRef?.fields as AstNode[] | undefined;
    // A bare name is an output column first (PostgreSQL's rule), then an input column.
    const bare = fields?.length === 1 ? (fields[0]?.String?.sval as string | undefined) : undefined;
    const named = bare === undefined ? [] : outputs.filter((o) => o.name === bare);
    if (named.length > 1) return undefined;
    const at = named[0]?.at ?? columnOf(sort.node, relations.length);
    if (!at || !orderableType(fieldOf(at).type)) return undefined;
    const descending = sort.sortby_dir === 'SORTBY_DESC';
    if (sort.sortby_dir && !['SORTBY_DEFAULT', 'SORTBY_ASC', 'SORTBY_DESC'].includes(sort.sortby_dir))
      return undefined;
    const nullsFirst =
      sort.sortby_nulls === 'SORTBY_NULLS_FIRST'
        ? true
        : sort.sortby_nulls === 'SORTBY_NULLS_LAST'
          ? false
          : descending;
    orderBy.push({ at, descending, nullsFirst });
  }
  const limit = constantCount(stmt.limitCount);
  const offset = constantCount(stmt.limitOffset);
  if (limit === null || offset === null) return undefined;
  return {
    relations,
    joins,
    outputs,
    orderBy,
    ...(limit !== undefined ? { limit } : {}),
    offset: offset ?? 0,
  };
}

/** The conjuncts of an AND (or the one expression). */
function andArgs(node: AstNode): AstNode[] {
  const b = node.BoolExpr;
  return b && b.boolop === 'AND_EXPR' ? (b.args as AstNode[]).flatMap(andArgs) : [node];
}

/**
 * A LIMIT or OFFSET: undefined when absent (or `LIMIT ALL`/`NULL`), the
 * count for a non-negative integer constant, null for anything else (a
 * parameter, an expression, a negative count: DuckDB decides).
 */
function constantCount(node: AstNode | undefined): number | undefined | null {
  if (!node) return undefined;
  const c = node.A_Const;
  if (!c) return null;
  if (c.isnull) return undefined;
  if (!c.ival) return null;
  const value = (c.ival.ival as number | undefined) ?? 0;
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/**
 * True when a column loaded into DuckDB streams back as the same Arrow type
 * and values: the types {@link takeableType} handles whose DuckDB type
 * (`arrowToDuckDBType`) maps back to the same Arrow type — not a decimal
 * wider than DuckDB's, not a timestamp in a zone other than UTC — and no
 * PostgreSQL type the load converts (uuid, json and interval text become
 * DuckDB's own types).
 */
function sameAfterDuckDB(field: Field): boolean {
  if (!takeableType(field.type)) return false;
  const pgType = field.metadata.get(PG_TYPE_METADATA_KEY);
  if (pgType === 'uuid' || pgType === 'json' || pgType === 'interval') return false;
  return arrow.util.compareTypes(duckdbToArrowType(arrowToDuckDBType(field.type).type), field.type);
}

/** Join keys DuckDB compares by value with the same result as here: integers (any width), text, dates. */
function comparableKeys(a: Field, b: Field): boolean {
  const kind = (f: Field) =>
    f.type.typeId === arrow.Type.Int
      ? 'int'
      : f.type.typeId === arrow.Type.Utf8
        ? 'text'
        : f.type.typeId === arrow.Type.Date
          ? 'date'
          : undefined;
  const k = kind(a);
  return k !== undefined && k === kind(b);
}

/**
 * Runs `residual` over each relation's rows, all in memory. `inputs` gives,
 * by relation name, the read's schema (its columns, so a read that brought
 * no batch is an empty relation) and its batches. Returns the answer as one
 * batch.
 */
export function runInMemoryResidual(
  residual: InMemoryResidual,
  inputs: ReadonlyMap<string, { readonly schema: Schema; readonly batches: readonly RecordBatch[] }>,
): { schema: Schema; batches: RecordBatch[] } {
  const relations = residual.relations.map((name) => {
    const input = inputs.get(name);
    if (!input) throw new Error(`in-memory residual: relation ${name} was not read`);
    return new Relation(input.schema, input.batches);
  });
  // The joined rows: for each relation of the chain, its row number in each output row.
  const first = relations[0]!;
  let rows: Int32Array[] = [Int32Array.from({ length: first.rows }, (_, i) => i)];
  for (const join of residual.joins) {
    rows = hashJoin(rows, join, relations);
  }
  let order = Int32Array.from({ length: rows[0]?.length ?? 0 }, (_, i) => i);
  if (residual.orderBy.length > 0) {
    const keys = residual.orderBy.map((k) => {
      const values = relations[k.at.input]!.keyValues(k.at.column, false);
      const at = rows[k.at.input] as Int32Array;
      return { ...k, value: (row: number) => values[at[row] as number] as RowValue };
    });
    const sorted = Array.from(order).sort((x, y) => {
      for (const k of keys) {
        const a = k.value(x);
        const b = k.value(y);
        if (a === null || b === null) {
          if (a === b) continue;
          return (a === null) === k.nullsFirst ? -1 : 1;
        }
        const c = compareValues(a, b);
        if (c !== 0) return k.descending ? -c : c;
      }
      return 0;
    });
    order = Int32Array.from(sorted);
  }
  const end = residual.limit === undefined ? order.length : residual.offset + residual.limit;
  order = order.subarray(Math.min(residual.offset, order.length), Math.min(end, order.length));
  const fields: Field[] = [];
  const children: Data[] = [];
  for (const output of residual.outputs) {
    const column = relations[output.at.input]!.column(output.at.column);
    const at = rows[output.at.input] as Int32Array;
    const picked = Int32Array.from(order, (row) => at[row] as number);
    const type = fieldIn(relations[output.at.input]!.schema, output.at.column).type;
    // As DuckDB names and types a result column: nullable, no metadata.
    fields.push(new arrow.Field(output.name, type, true));
    children.push(column.chunks.length > 0 ? take(column, picked) : emptyData(type));
  }
  const schema = new arrow.Schema(fields);
  const data = arrow.makeData({
    type: new arrow.Struct(fields),
    length: order.length,
    nullCount: 0,
    children,
  });
  return { schema, batches: [recordBatch(schema, data)] };
}

function fieldIn(schema: Schema, column: string): Field {
  return schema.fields.find((f) => f.name === column) as Field;
}

/** A column of no rows (a read that brought no batch). */
function emptyData(type: DataType): Data {
  return arrow.vectorFromArray([], type).data[0] as Data;
}

/**
 * A relation's batches with what the residual derives from them — key
 * values, hash tables — kept with the batches: a read served from the read
 * cache brings the same batches to every query, so a dimension table's hash
 * table is built once, not per query.
 */
class Relation {
  readonly rows: number;
  readonly #index: Map<string, number>;
  readonly #derived: Map<string, unknown>;

  constructor(
    readonly schema: Schema,
    readonly batches: readonly RecordBatch[],
  ) {
    this.rows = batches.reduce((n, b) => n + b.numRows, 0);
    this.#index = new Map(schema.fields.map((f, i) => [f.name, i]));
    let derived = DERIVED.get(batches);
    if (!derived) {
      derived = new Map();
      DERIVED.set(batches, derived);
    }
    this.#derived = derived;
  }

  column(name: string): ChunkedColumn {
    return this.#memo(
      `column:${name}`,
      () => new ChunkedColumn(this.batches, this.#index.get(name) as number),
    );
  }

  /** Whether the column is a 64-bit integer (its values are bigints). */
  isWide(name: string): boolean {
    const type = this.schema.fields[this.#index.get(name) as number]?.type as DataType & {
      bitWidth?: number;
    };
    return type.typeId === arrow.Type.Int && type.bitWidth === 64;
  }

  /** The column's values as join keys: bigints throughout when `wide`. */
  keyValues(name: string, wide: boolean): readonly RowValue[] {
    return this.#memo(`keys:${name}:${wide}`, () => {
      const values = this.column(name).values();
      return wide && !this.isWide(name) ? values.map((v) => (typeof v === 'number' ? BigInt(v) : v)) : values;
    });
  }

  /** Row numbers by key value (NULL keys left out). */
  hashTable(name: string, wide: boolean): ReadonlyMap<RowValue, readonly number[]> {
    return this.#memo(`table:${name}:${wide}`, () => {
      const table = new Map<RowValue, number[]>();
      this.keyValues(name, wide).forEach((value, r) => {
        if (value === null) return;
        const bucket = table.get(value);
        if (bucket) bucket.push(r);
        else table.set(value, [r]);
      });
      return table;
    });
  }

  #memo<T>(key: string, make: () => T): T {
    let value = this.#derived.get(key) as T | undefined;
    if (value === undefined) {
      value = make();
      this.#derived.set(key, value);
    }
    return value;
  }
}

/**
 * A column's values (integers as number or bigint, text as string, NULL as
 * null), computed once per set of batches: the keys a read sends to the
 * reads that wait for it, when the residual runs in memory.
 */
export function inMemoryColumnValues(
  schema: Schema,
  batches: readonly RecordBatch[],
  column: string,
): readonly RowValue[] {
  return new Relation(schema, batches).keyValues(column, false);
}

/** What {@link Relation} derived from each set of batches, kept as long as the batches are. */
const DERIVED = new WeakMap<readonly RecordBatch[], Map<string, unknown>>();

/**
 * Joins the rows so far with the next relation of the chain on its key
 * equalities: a hash table on the relation's first key, the other keys
 * checked per match. NULL keys never match, as in SQL.
 */
function hashJoin(rows: Int32Array[], join: JoinStep, relations: readonly Relation[]): Int32Array[] {
  const right = relations[join.input]!;
  const keys = join.keys.map((k) => {
    const left = relations[k.left.input]!;
    // Integers of 64 bits arrive as bigint, narrower ones as number: compared as bigints when either is wide.
    const wide = left.isWide(k.left.column) || right.isWide(k.right.column);
    return {
      left: left.keyValues(k.left.column, wide),
      right: right.keyValues(k.right.column, wide),
      rightColumn: k.right.column,
      wide,
      leftAt: rows[k.left.input] as Int32Array,
    };
  });
  const [head, ...rest] = keys;
  const table = right.hashTable(head!.rightColumn, head!.wide);
  const matchedLeft: number[] = [];
  const matchedRight: number[] = [];
  const count = rows[0]?.length ?? 0;
  for (let t = 0; t < count; t++) {
    const value = head!.left[head!.leftAt[t] as number] as RowValue;
    if (value === null) continue;
    const bucket = table.get(value);
    if (!bucket) continue;
    for (const r of bucket) {
      let match = true;
      for (const k of rest) {
        const a = k.left[k.leftAt[t] as number];
        const b = k.right[r];
        if (a === null || b === null || a !== b) {
          match = false;
          break;
        }
      }
      if (match) {
        matchedLeft.push(t);
        matchedRight.push(r);
      }
    }
  }
  const out = rows.map((at) => Int32Array.from(matchedLeft, (t) => at[t] as number));
  out[join.input] = Int32Array.from(matchedRight);
  return out;
}
