/**
 * A seeded generator of random SQL over the kit's federated tables
 * (`pg.t1 x`, `duck.t2 y`, `s3.t3 z`; see random-sources.ts), in the spirit
 * of SQLancer: random predicates (comparisons, AND/OR/NOT, IS [NOT] NULL,
 * IN lists and sub-queries, BETWEEN, LIKE), inner and left joins on keys,
 * GROUP BY/HAVING, DISTINCT, ORDER BY … LIMIT over every output column (a
 * total order, so the answer is one multiset), CASE, COALESCE, scalar and
 * EXISTS sub-queries. Queries are trees, so a failing one can be shrunk.
 */
import { DATES, STRINGS } from './random-sources.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same queries everywhere. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** One of `values`. */
  pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)]!;
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The value types the generator mixes (only like with like). */
export type Ty = 'int' | 'dec' | 'float' | 'str' | 'date' | 'bool';

/** An expression tree: `render` builds its SQL from its children's. */
export interface Expr {
  readonly ty: Ty;
  readonly kids: readonly Expr[];
  readonly render: (kids: readonly string[]) => string;
}

/** The SQL of an expression. */
export function sqlOf(e: Expr): string {
  return e.render(e.kids.map(sqlOf));
}

const leaf = (ty: Ty, sql: string): Expr => ({ ty, kids: [], render: () => sql });
const node = (ty: Ty, kids: Expr[], render: (k: readonly string[]) => string): Expr => ({ ty, kids, render });

/** The tables a query reads: `x` always, `y` and `z` joined on keys when present. */
export interface From {
  readonly y?: 'inner' | 'left';
  readonly z?: 'inner' | 'left';
}

/** A generated query. Items `0 … groupKeys-1` are the GROUP BY keys when `aggregate`. */
export interface Query {
  readonly distinct: boolean;
  readonly items: readonly Expr[];
  readonly from: From;
  readonly where?: Expr | undefined;
  readonly aggregate: boolean;
  readonly groupKeys: number;
  readonly having?: Expr | undefined;
  /** Per output column: `ASC`, `DESC NULLS FIRST`, …; absent means no ORDER BY. */
  readonly order?: readonly string[] | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** The SQL of the FROM clause. */
export function fromSql(f: From): string {
  let sql = 'pg.t1 x';
  if (f.y) sql += ` ${f.y === 'inner' ? 'JOIN' : 'LEFT JOIN'} duck.t2 y ON y.t1_id = x.id`;
  if (f.z) sql += ` ${f.z === 'inner' ? 'JOIN' : 'LEFT JOIN'} s3.t3 z ON z.k = x.id`;
  return sql;
}

/** The SQL of a query. */
export function querySql(q: Query): string {
  const items = q.items.map((e, i) => `${sqlOf(e)} AS c${i}`).join(', ');
  let sql = `SELECT ${q.distinct ? 'DISTINCT ' : ''}${items} FROM ${fromSql(q.from)}`;
  if (q.where) sql += ` WHERE ${sqlOf(q.where)}`;
  if (q.aggregate && q.groupKeys > 0)
    sql += ` GROUP BY ${q.items
      .slice(0, q.groupKeys)
      .map((e) => sqlOf(e))
      .join(', ')}`;
  if (q.having) sql += ` HAVING ${sqlOf(q.having)}`;
  if (q.order) sql += ` ORDER BY ${q.order.map((d, i) => `${i + 1} ${d}`).join(', ')}`;
  if (q.limit !== undefined) sql += ` LIMIT ${q.limit}`;
  if (q.offset !== undefined) sql += ` OFFSET ${q.offset}`;
  return sql;
}

/** Columns by alias and type. Only the small ints (`a`, ids) take part in arithmetic. */
const COLUMNS: Record<'x' | 'y' | 'z', Partial<Record<Ty, readonly string[]>>> = {
  x: { int: ['id', 'a', 'e', 'b'], dec: ['d'], float: ['f'], str: ['s'], date: ['dt'], bool: ['bo'] },
  y: { int: ['id', 't1_id', 'a'], dec: ['d'], str: ['s'], date: ['dt'] },
  z: { int: ['id', 'k', 'a'], float: ['f'], str: ['s'], bool: ['bo'] },
};
const SMALL_INTS = ['x.a', 'x.id', 'y.a', 'y.id', 'z.a', 'z.id'];
const INT_LITERALS = ['0', '1', '2', '-1', '3', '7', '-2147483648', '2147483647', '9223372036854775807'];

/** Generates queries from one seed. */
export class QueryGenerator {
  private readonly r: Random;
  private scope: readonly ('x' | 'y' | 'z')[] = ['x'];

  constructor(seed: number) {
    this.r = new Random(seed);
  }

  /** A random FROM clause. */
  from(): From {
    const r = this.r;
    const f: { y?: 'inner' | 'left'; z?: 'inner' | 'left' } = {};
    if (r.chance(0.45)) f.y = r.pick(['inner', 'left'] as const);
    if (r.chance(0.3)) f.z = r.pick(['inner', 'left'] as const);
    return f;
  }

  private useFrom(f: From): void {
    this.scope = ['x', ...(f.y ? (['y'] as const) : []), ...(f.z ? (['z'] as const) : [])];
  }

  private column(ty: Ty): Expr | undefined {
    const options = this.scope.flatMap((a) => (COLUMNS[a][ty] ?? []).map((c) => `${a}.${c}`));
    return options.length ? leaf(ty, this.r.pick(options)) : undefined;
  }

  /** A literal of type `ty`. */
  literal(ty: Ty): Expr {
    const r = this.r;
    switch (ty) {
      case 'int':
        return leaf(ty, r.pick(INT_LITERALS));
      case 'dec':
        return leaf(ty, r.pick(['0', '1.5', '-1.5', '12.25', '0.0001', '99999999999999.9999']));
      case 'float':
        return leaf(
          ty,
          r.pick([
            "CAST('NaN' AS DOUBLE PRECISION)",
            "CAST('Infinity' AS DOUBLE PRECISION)",
            '2.5',
            '0.0',
            '-1.5',
          ]),
        );
      case 'str':
        return leaf(ty, `'${r.pick(STRINGS)}'`);
      case 'date':
        return leaf(ty, `DATE '${r.pick(DATES)}'`);
      case 'bool':
        return leaf(ty, r.pick(['true', 'false']));
    }
  }

  /** An expression of type `ty` over the current scope. */
  expr(ty: Ty, depth: number): Expr {
    const r = this.r;
    if (ty === 'bool') return this.pred(depth);
    if (depth <= 0 || r.chance(0.45)) return (r.chance(0.8) && this.column(ty)) || this.literal(ty);
    const choice = r.int(6);
    if (choice === 0) {
      const withElse = r.chance(0.5);
      return node(
        ty,
        [this.pred(depth - 1), this.expr(ty, depth - 1), this.expr(ty, depth - 1)],
        ([p, a, b]) => (withElse ? `CASE WHEN ${p} THEN ${a} ELSE ${b} END` : `CASE WHEN ${p} THEN ${a} END`),
      );
    }
    if (choice === 1)
      return node(ty, [this.expr(ty, depth - 1), this.literal(ty)], ([a, b]) => `COALESCE(${a}, ${b})`);
    if (choice === 2) return this.subqueryValue(ty);
    switch (ty) {
      case 'int': {
        const small = SMALL_INTS.filter((c) => this.scope.includes(c[0] as 'x'));
        const col = leaf('int', r.pick(small));
        const k = r.pick(['1', '2', '3', '-1']);
        if (this.scope.length && r.chance(0.3)) {
          const s = this.column('str');
          if (s) return node('int', [s], ([a]) => `length(${a})`);
        }
        const f = r.int(5);
        return node(
          'int',
          [col],
          ([a]) => [`${a} + ${k}`, `${a} * ${k}`, `-${a}`, `abs(${a})`, `${a} % 3`][f]!,
        );
      }
      case 'dec': {
        const f = r.int(3);
        return node(
          'dec',
          [this.expr('dec', depth - 1)],
          ([a]) => [`${a} + 1.5`, `-(${a})`, `abs(${a})`][f]!,
        );
      }
      case 'float': {
        const f = r.int(3);
        return node(
          'float',
          [this.expr('float', depth - 1)],
          ([a]) => [`${a} * 2`, `-(${a})`, `${a} + 1`][f]!,
        );
      }
      case 'str': {
        const f = r.int(5);
        return node(
          'str',
          [this.expr('str', depth - 1)],
          ([a]) => [`upper(${a})`, `lower(${a})`, `${a} || 'q'`, `substr(${a}, 1, 2)`, `trim(${a})`][f]!,
        );
      }
      default:
        return (this.column(ty) ?? this.literal(ty)) as Expr;
    }
  }

  /** An uncorrelated scalar sub-query, or one correlated to `x.id`. */
  private subqueryValue(ty: Ty): Expr {
    const r = this.r;
    const cols: Partial<Record<Ty, string>> = { int: 'w.a', float: 'w.f', str: 'w.s' };
    const col = cols[ty];
    if (!col) return this.literal(ty);
    const agg = ty === 'int' ? r.pick(['max', 'min', 'sum', 'count']) : r.pick(['max', 'min']);
    const where = r.chance(0.6) ? ' WHERE w.k = x.id' : r.chance(0.5) ? ' WHERE w.a > 0' : '';
    return leaf(ty, `(SELECT ${agg}(${col}) FROM s3.t3 w${where})`);
  }

  /** A predicate over the current scope. */
  pred(depth: number): Expr {
    const r = this.r;
    const ty = r.pick(['int', 'int', 'dec', 'float', 'str', 'str', 'date', 'bool'] as const);
    if (depth > 0 && r.chance(0.4)) {
      const k = r.int(3);
      if (k === 0)
        return node('bool', [this.pred(depth - 1), this.pred(depth - 1)], ([a, b]) => `(${a} AND ${b})`);
      if (k === 1)
        return node('bool', [this.pred(depth - 1), this.pred(depth - 1)], ([a, b]) => `(${a} OR ${b})`);
      return node('bool', [this.pred(depth - 1)], ([a]) => `(NOT ${a})`);
    }
    const choice = r.int(10);
    if (ty === 'bool' || choice === 9) {
      const b = this.column('bool');
      if (b && r.chance(0.5)) {
        const f = r.int(3);
        return node('bool', [b], ([a]) => [a, `${a} IS NOT TRUE`, `${a} = true`][f]!);
      }
      return this.subqueryPred();
    }
    const a = this.expr(ty, depth - 1);
    switch (choice) {
      case 0:
      case 1:
      case 2: {
        const op = r.pick(['=', '<>', '<', '<=', '>', '>=']);
        const b = r.chance(0.5) ? this.literal(ty) : this.expr(ty, depth - 1);
        return node('bool', [a, b], ([x, y]) => `${x} ${op} ${y}`);
      }
      case 3: {
        const not = r.chance(0.5) ? 'NOT ' : '';
        return node('bool', [a], ([x]) => `${x} IS ${not}NULL`);
      }
      case 4: {
        const list = Array.from({ length: 1 + r.int(4) }, () => sqlOf(this.literal(ty)));
        if (r.chance(0.2)) list.push('NULL');
        const not = r.chance(0.3) ? 'NOT ' : '';
        return node('bool', [a], ([x]) => `${x} ${not}IN (${list.join(', ')})`);
      }
      case 5: {
        const lo = sqlOf(this.literal(ty));
        const hi = sqlOf(this.literal(ty));
        const not = r.chance(0.3) ? 'NOT ' : '';
        return node('bool', [a], ([x]) => `${x} ${not}BETWEEN ${lo} AND ${hi}`);
      }
      case 6:
        if (ty === 'str') {
          const pattern = r.pick(['a%', '%a', '%', '_', '', ' %', '%b%', 'a_', '_a%', 'A%']);
          const not = r.chance(0.3) ? 'NOT ' : '';
          return node('bool', [a], ([x]) => `${x} ${not}LIKE '${pattern}'`);
        }
        return node('bool', [a], ([x]) => `${x} IS NULL`);
      default: {
        const b = this.literal(ty);
        const op = r.pick(['=', '<', '>=']);
        return node('bool', [a, b], ([x, y]) => `${x} ${op} ${y}`);
      }
    }
  }

  /** EXISTS / IN / NOT IN over a sub-query correlated to `x` (or not). */
  private subqueryPred(): Expr {
    const r = this.r;
    const filter = r.pick(['w.a > 0', 'w.s IS NULL', "w.s LIKE 'a%'", 'w.bo', 'w.f > 0', 'true']);
    switch (r.int(4)) {
      case 0:
        return leaf(
          'bool',
          `${r.chance(0.4) ? 'NOT ' : ''}EXISTS (SELECT 1 FROM s3.t3 w WHERE w.k = x.id AND ${filter})`,
        );
      case 1:
        return leaf(
          'bool',
          `x.id ${r.chance(0.4) ? 'NOT ' : ''}IN (SELECT w.k FROM s3.t3 w WHERE ${filter})`,
        );
      case 2:
        return leaf(
          'bool',
          `x.a ${r.pick(['=', '<', '>='])} (SELECT ${r.pick(['max', 'min'])}(v.a) FROM duck.t2 v WHERE v.t1_id = x.id)`,
        );
      default:
        return leaf(
          'bool',
          `${r.chance(0.4) ? 'NOT ' : ''}EXISTS (SELECT 1 FROM duck.t2 v WHERE v.t1_id = x.id AND v.a > x.a)`,
        );
    }
  }

  /** An aggregate over the current scope, and its SQL type. */
  private aggregate(): Expr {
    const r = this.r;
    switch (r.int(6)) {
      case 0:
        return leaf('int', 'count(*)');
      case 1:
        return node('int', [this.expr(r.pick(['int', 'str', 'date'] as const), 1)], ([a]) => `count(${a})`);
      case 2: {
        const c = this.column(r.pick(['int', 'dec'] as const)) ?? leaf('int', 'x.a');
        const arg = c.render([]).endsWith('.e') || c.render([]).endsWith('.b') ? leaf('int', 'x.a') : c;
        return node(arg.ty, [arg], ([a]) => `sum(${a})`);
      }
      case 3: {
        const ty = r.pick(['int', 'dec', 'float', 'str', 'date'] as const);
        const f = r.pick(['min', 'max']);
        return node(ty, [this.expr(ty, 1)], ([a]) => `${f}(${a})`);
      }
      case 4:
        return node('int', [this.column('str') ?? leaf('str', 'x.s')], ([a]) => `count(DISTINCT ${a})`);
      default:
        return node('int', [this.pred(1)], ([p]) => `sum(CASE WHEN ${p} THEN 1 ELSE 0 END)`);
    }
  }

  private orderAndLimit(n: number): Pick<Query, 'order' | 'limit' | 'offset'> {
    const r = this.r;
    if (!r.chance(0.4)) return {};
    const order = Array.from({ length: n }, () =>
      r.pick(['', 'ASC', 'DESC', 'ASC NULLS FIRST', 'DESC NULLS LAST', 'NULLS FIRST']),
    );
    return {
      order,
      ...(r.chance(0.8) ? { limit: r.int(12) } : {}),
      ...(r.chance(0.25) ? { offset: r.int(5) } : {}),
    };
  }

  /** A query for the differential oracle: anything the generator makes. */
  query(): Query {
    const r = this.r;
    const from = this.from();
    this.useFrom(from);
    const where = r.chance(0.75) ? this.pred(3) : undefined;
    if (r.chance(0.4)) {
      const groupKeys = r.int(3);
      const keys = Array.from({ length: groupKeys }, () => {
        const ty = r.pick(['int', 'str', 'date', 'bool', 'dec'] as const);
        // No sub-query in a key: PostgreSQL refuses one reading an ungrouped outer column.
        return ty === 'bool'
          ? (this.column('bool') ?? leaf('bool', 'x.bo'))
          : (this.column(ty) ?? this.literal(ty));
      });
      const aggs = Array.from({ length: 1 + r.int(3) }, () => this.aggregate());
      const items = [...keys, ...aggs];
      let having: Expr | undefined;
      if (r.chance(0.35)) {
        const agg = this.aggregate();
        const op = r.pick(['>', '<=', '<>']);
        having = node('bool', [agg], ([a]) => (agg.ty === 'int' ? `${a} ${op} 1` : `${a} IS NOT NULL`));
      }
      return {
        distinct: r.chance(0.1),
        items,
        from,
        where,
        aggregate: true,
        groupKeys,
        having,
        ...this.orderAndLimit(items.length),
      };
    }
    const items = Array.from({ length: 1 + r.int(4) }, () =>
      this.expr(r.pick(['int', 'dec', 'float', 'str', 'date', 'bool'] as const), 2),
    );
    return {
      distinct: r.chance(0.25),
      items,
      from,
      where,
      aggregate: false,
      groupKeys: 0,
      ...this.orderAndLimit(items.length),
    };
  }

  /** A plain query (no WHERE, aggregate, DISTINCT or LIMIT) and a predicate to partition it by. */
  partitioned(): { base: Query; p: Expr } {
    const r = this.r;
    const from = this.from();
    this.useFrom(from);
    const items = Array.from({ length: 1 + r.int(3) }, () =>
      this.expr(r.pick(['int', 'dec', 'float', 'str', 'date', 'bool'] as const), 1),
    );
    return { base: { distinct: false, items, from, aggregate: false, groupKeys: 0 }, p: this.pred(3) };
  }
}

/** Every tree obtained by replacing one node of `e` by one of its same-typed children. */
export function shrinkExpr(e: Expr): Expr[] {
  const out: Expr[] = e.kids.filter((k) => k.ty === e.ty);
  e.kids.forEach((k, i) => {
    for (const smaller of shrinkExpr(k)) {
      const kids = e.kids.slice();
      kids[i] = smaller;
      out.push({ ...e, kids });
    }
  });
  return out;
}

/** Smaller variants of a query: clauses dropped, items dropped, predicates shrunk. */
export function shrinkQuery(q: Query): Query[] {
  const out: Query[] = [];
  if (q.where) {
    out.push({ ...q, where: undefined });
    for (const w of shrinkExpr(q.where)) out.push({ ...q, where: w });
  }
  if (q.having) out.push({ ...q, having: undefined });
  if (q.distinct) out.push({ ...q, distinct: false });
  if (q.offset !== undefined) out.push({ ...q, offset: undefined });
  if (q.limit !== undefined) out.push({ ...q, limit: undefined });
  if (q.order && q.limit === undefined && q.offset === undefined) out.push({ ...q, order: undefined });
  if (q.from.z) out.push({ ...q, from: { ...(q.from.y ? { y: q.from.y } : {}) } });
  if (q.from.y) out.push({ ...q, from: { ...(q.from.z ? { z: q.from.z } : {}) } });
  if (q.items.length > 1) {
    q.items.forEach((_, i) => {
      if (q.aggregate && i < q.groupKeys && q.groupKeys === 0) return;
      const items = q.items.filter((_, j) => j !== i);
      const groupKeys = q.aggregate && i < q.groupKeys ? q.groupKeys - 1 : q.groupKeys;
      if (q.aggregate && items.length === groupKeys && groupKeys > 0) return;
      const order = q.order?.filter((_, j) => j !== i);
      out.push({ ...q, items, groupKeys, order });
    });
  }
  q.items.forEach((item, i) => {
    for (const smaller of shrinkExpr(item)) {
      const items = q.items.slice();
      items[i] = smaller;
      out.push({ ...q, items });
    }
  });
  if (q.having) for (const h of shrinkExpr(q.having)) out.push({ ...q, having: h });
  return out;
}

/**
 * Greedy shrinking: takes the first smaller variant that `stillFails`, until
 * none does (bounded by `budget` attempts).
 */
export async function minimize<T>(
  start: T,
  variants: (t: T) => T[],
  stillFails: (t: T) => Promise<boolean>,
  budget = 150,
): Promise<T> {
  let current = start;
  let tries = 0;
  for (let progress = true; progress && tries < budget; ) {
    progress = false;
    for (const v of variants(current)) {
      if (++tries > budget) break;
      if (await stillFails(v)) {
        current = v;
        progress = true;
        break;
      }
    }
  }
  return current;
}
