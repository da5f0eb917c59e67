/**
 * The binder: resolves every table reference of a SELECT against the
 * sources' catalogs and every column reference against the FROM scopes
 * (aliases, CTEs, sub-queries, `USING`, `*`), recording which columns of
 * each source table the query reads and which tables sit on the
 * null-supplying side of an outer join.
 */

import { didYouMean, ErrorCode, SpokeError, withFields } from '@spoke/core';
import { type AstNode, nodeKind, str, walkAst } from '../parse/ast.js';
import { findColumn } from './column-names.js';
import { normalizeIntervalLiterals } from './interval-literals.js';
import { type BoundQuery, Scope, type ScopeEntry, type TableBinding } from './scope.js';
import type { SourceRegistry } from './source-registry.js';
import { versionedTable } from './time-travel.js';

const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/** True for a relation of the PostgreSQL system catalog (`pg_catalog.*`, `information_schema.*`, unqualified `pg_*`). */
export function isSystemRelation(schema: string | undefined, name: string): boolean {
  if (schema !== undefined) return SYSTEM_SCHEMAS.has(schema.toLowerCase());
  return name.toLowerCase().startsWith('pg_');
}

/** What a column reference resolved to. */
export type ColumnResolution =
  /** Columns of entries in the current scope. */
  | { readonly kind: 'local'; readonly entries: readonly ScopeEntry[]; readonly column?: string }
  /**
   * A column of an enclosing query (correlated), with the enclosing entries
   * it reads (`column` unset for `alias.*`), so the outer scan fetches it.
   */
  | { readonly kind: 'outer'; readonly entries?: readonly ScopeEntry[]; readonly column?: string }
  /** A column of a sub-query or CTE whose columns are not known, or a select-list alias. */
  | { readonly kind: 'opaque' };

/**
 * Binds one SELECT statement (the `SelectStmt` body). The only changes made
 * to it: interval literals with a field (`interval '90' day`) are spelled
 * with their unit, so every engine reads them as PostgreSQL does, and a
 * select-list column matched ignoring case is named as written.
 */
export async function bindQuery(
  stmt: AstNode,
  registry: SourceRegistry,
  signal?: AbortSignal,
): Promise<BoundQuery> {
  normalizeIntervalLiterals(stmt);
  const binder = new Binder(registry, signal);
  await binder.bindSelect(stmt, undefined, new Map());
  return {
    bindings: binder.bindings,
    scopes: binder.scopes,
    systemRelations: binder.systemRelations,
    hasOtherRelations: binder.hasOtherRelations,
  };
}

/** A CTE visible to a query: its output column names when they are known. */
type CteMap = Map<string, readonly string[] | undefined>;

class Binder {
  readonly bindings: TableBinding[] = [];
  readonly scopes = new Map<AstNode, Scope>();
  readonly systemRelations: string[] = [];
  hasOtherRelations = false;

  constructor(
    readonly registry: SourceRegistry,
    readonly signal: AbortSignal | undefined,
  ) {}

  async bindSelect(stmt: AstNode, parent: Scope | undefined, outerCtes: CteMap): Promise<Scope> {
    const ctes: CteMap = new Map(outerCtes);
    for (const cte of stmt.withClause?.ctes ?? []) {
      const body = cte.CommonTableExpr;
      const name: string = body.ctename;
      // Recursive CTEs may name themselves: make the name visible first.
      ctes.set(name, undefined);
      const query = body.ctequery?.SelectStmt;
      if (!query)
        throw new SpokeError(ErrorCode.UNSUPPORTED, `WITH ${name}: only SELECT is supported in a CTE`);
      await this.bindSelect(query, parent, ctes);
      const aliases: string[] | undefined = body.aliascolnames?.map((n: AstNode) => str(n)!);
      ctes.set(name, aliases ?? outputColumnNames(query));
    }

    if (stmt.op && stmt.op !== 'SETOP_NONE') {
      await this.bindSelect(stmt.larg, parent, ctes);
      await this.bindSelect(stmt.rarg, parent, ctes);
      // ORDER BY of a set operation names output columns.
      const scope = new Scope(stmt, parent);
      const outputs = outputColumnNames(stmt.larg);
      for (const n of outputs ?? []) scope.outputNames.add(n);
      checkSetOperationOrderBy(stmt, outputs);
      this.scopes.set(stmt, scope);
      await this.bindExpressions(stmt.limitCount, scope, ctes);
      await this.bindExpressions(stmt.limitOffset, scope, ctes);
      return scope;
    }

    const scope = new Scope(stmt, parent);
    this.scopes.set(stmt, scope);

    if (stmt.valuesLists) {
      await this.bindExpressions(stmt.valuesLists, scope, ctes);
      return scope;
    }

    for (const item of stmt.fromClause ?? []) await this.bindFromItem(item, scope, ctes, false, parent);

    for (const target of stmt.targetList ?? []) {
      const t = target.ResTarget;
      if (t?.name) scope.outputNames.add(t.name);
    }
    await this.bindExpressions(stmt.targetList, scope, ctes);
    nameCaseFoldedColumns(stmt, scope);
    await this.bindExpressions(stmt.whereClause, scope, ctes);
    await this.bindExpressions(stmt.groupClause, scope, ctes, true);
    await this.bindExpressions(stmt.havingClause, scope, ctes);
    await this.bindExpressions(stmt.windowClause, scope, ctes);
    // ORDER BY a bare name of an output column is that column, even where an input column has the same
    // name (PostgreSQL's rule for ORDER BY, unlike GROUP BY's): nothing to resolve among the inputs.
    const sortKeys = ((stmt.sortClause ?? []) as AstNode[]).filter((item) => {
      const fields = item.SortBy?.node?.ColumnRef?.fields as AstNode[] | undefined;
      return !(fields?.length === 1 && scope.outputNames.has(str(fields[0]!) ?? ''));
    });
    await this.bindExpressions(sortKeys, scope, ctes, true);
    await this.bindExpressions(stmt.distinctClause, scope, ctes, true);
    await this.bindExpressions(stmt.limitCount, scope, ctes);
    await this.bindExpressions(stmt.limitOffset, scope, ctes);
    return scope;
  }

  /** Adds the names a FROM item brings into `scope`; returns the entries it added. */
  async bindFromItem(
    item: AstNode,
    scope: Scope,
    ctes: CteMap,
    nullable: boolean,
    parent: Scope | undefined,
  ): Promise<ScopeEntry[]> {
    const [kind, body] = nodeKind(item);
    switch (kind) {
      case 'RangeVar': {
        if (body.alias?.colnames?.length && !this.namesCte(body, ctes)) {
          // `FROM t AS x(a, b)`: the table's columns renamed. As `(SELECT * FROM t) AS x(a, b)` the scan and
          // every push-down still see the table's own names.
          const { alias, ...table } = body;
          for (const key of Object.keys(item)) delete item[key];
          item.RangeSubselect = {
            subquery: {
              SelectStmt: {
                targetList: [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }],
                fromClause: [{ RangeVar: { ...table, alias: { aliasname: alias.aliasname } } }],
                limitOption: 'LIMIT_OPTION_DEFAULT',
                op: 'SETOP_NONE',
              },
            },
            alias,
          };
          return this.bindFromItem(item, scope, ctes, nullable, parent);
        }
        return [await this.bindRangeVar(body, scope, ctes, nullable)];
      }
      case 'JoinExpr': {
        const type: string = body.jointype;
        const leftNullable = nullable || type === 'JOIN_RIGHT' || type === 'JOIN_FULL';
        const rightNullable = nullable || type === 'JOIN_LEFT' || type === 'JOIN_FULL';
        const left = await this.bindFromItem(body.larg, scope, ctes, leftNullable, parent);
        const right = await this.bindFromItem(body.rarg, scope, ctes, rightNullable, parent);
        for (const u of body.usingClause ?? []) {
          const name = str(u)!;
          scope.usingColumns.add(name);
          this.markColumn([...left, ...right], name);
        }
        if (body.isNatural) {
          // NATURAL joins use every common column: read them all from both sides.
          for (const e of [...left, ...right]) if (e.binding) e.binding.usedColumns = 'all';
        }
        await this.bindExpressions(body.quals, scope, ctes);
        const entries = [...left, ...right];
        if (body.alias?.aliasname) {
          const aliased: ScopeEntry = { name: body.alias.aliasname };
          scope.entries.push(aliased);
          return [...entries, aliased];
        }
        return entries;
      }
      case 'RangeSubselect': {
        const query = body.subquery?.SelectStmt;
        if (!query)
          throw new SpokeError(ErrorCode.UNSUPPORTED, 'only SELECT sub-queries are supported in FROM');
        const inner = await this.bindSelect(query, body.lateral ? scope : parent, ctes);
        const aliases = aliasColumnNames(body.alias);
        const entry: ScopeEntry = {
          name: body.alias?.aliasname ?? '?subquery?',
          ...optional('columns', renamedColumns(aliases, outputColumnNames(query) ?? starColumns(inner))),
        };
        scope.entries.push(entry);
        return [entry];
      }
      case 'RangeFunction': {
        const pinned = versionedTable(body, this.registry);
        if (pinned) {
          // `source.table(version => N)`: a past version, which the catalog serves as `table@vN`.
          for (const key of Object.keys(item)) delete item[key];
          item.RangeVar = pinned;
          return [await this.bindRangeVar(pinned, scope, ctes, nullable)];
        }
        this.hasOtherRelations = true;
        nameScalarFunctionColumn(body);
        await this.bindExpressions(body.functions, scope, ctes);
        const entry: ScopeEntry = { name: body.alias?.aliasname ?? functionName(body) ?? '?function?' };
        scope.entries.push(entry);
        return [entry];
      }
      default:
        throw new SpokeError(ErrorCode.UNSUPPORTED, `${kind} in FROM is not supported`);
    }
  }

  async bindRangeVar(rv: AstNode, scope: Scope, ctes: CteMap, nullable: boolean): Promise<ScopeEntry> {
    const catalog: string | undefined = rv.catalogname;
    const schema: string | undefined = rv.schemaname;
    const name: string = rv.relname;
    const alias: string = rv.alias?.aliasname ?? name;
    if (catalog === undefined && schema === undefined && ctes.has(name)) {
      // `FROM cte AS c(x1, …)` renames the CTE's first columns.
      const columns = renamedColumns(aliasColumnNames(rv.alias), ctes.get(name));
      const entry: ScopeEntry = { name: alias, ...optional('columns', columns) };
      scope.entries.push(entry);
      return entry;
    }
    if (catalog === undefined && isSystemRelation(schema, name)) {
      this.systemRelations.push(schema ? `${schema}.${name}` : name);
      const entry: ScopeEntry = { name: alias };
      scope.entries.push(entry);
      return entry;
    }
    let resolved: Awaited<ReturnType<SourceRegistry['resolve']>>;
    if (catalog !== undefined) {
      resolved = await this.registry.resolve(catalog, schema, name, this.signal);
    } else if (schema !== undefined) {
      if (!this.registry.has(schema)) {
        throw new SpokeError(
          ErrorCode.TABLE_NOT_FOUND,
          `source "${schema}" does not exist${didYouMean(schema, this.registry.sources.keys())}; name tables as source.table or source.schema.table`,
        );
      }
      resolved = await this.registry.resolve(schema, undefined, name, this.signal);
    } else {
      const candidates = await this.registry.qualifiedCandidates(name, this.signal);
      const hint = candidates.length
        ? ` (did you mean ${candidates.map((c) => `"${c}"`).join(' or ')}?)`
        : '';
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `table "${name}" does not exist: name tables as source.table or source.schema.table${hint}`,
      );
    }
    // Not `{ ...resolved, id, … }`: see withFields.
    const binding: TableBinding = withFields(resolved, {
      id: this.bindings.length,
      alias,
      rangeVar: rv,
      usedColumns: new Set<string>(),
      nullable,
      scope,
    });
    this.bindings.push(binding);
    const entry: ScopeEntry = {
      name: alias,
      binding,
      columns: resolved.arrowSchema.fields.map((f) => f.name),
    };
    scope.entries.push(entry);
    return entry;
  }

  /** True when `rv` (unqualified) names a CTE in scope. */
  namesCte(rv: AstNode, ctes: CteMap): boolean {
    return rv.catalogname === undefined && rv.schemaname === undefined && ctes.has(rv.relname);
  }

  /** Resolves every column reference in `node`, binding sub-queries (SubLinks) as nested scopes. */
  async bindExpressions(node: unknown, scope: Scope, ctes: CteMap, allowOutputNames = false): Promise<void> {
    const subqueries: AstNode[] = [];
    const testedSubqueries: AstNode[] = [];
    walkAst(node, (n) => {
      if (n.SubLink) {
        walkAstShallow(n.SubLink.testexpr, (ref) => this.resolve(ref, scope, allowOutputNames));
        // A sub-query inside the tested expression (`CASE WHEN x IN (SELECT …) … END IN (SELECT …)`) is bound too.
        walkAst(n.SubLink.testexpr, (inner) => {
          if (!inner.SubLink) return undefined;
          testedSubqueries.push(inner);
          return false;
        });
        if (n.SubLink.subLinkType === 'EXISTS_SUBLINK') existsReadsNoColumns(n.SubLink.subselect.SelectStmt);
        subqueries.push(n.SubLink.subselect.SelectStmt);
        return false;
      }
      if (n.ColumnRef) {
        this.resolve(n.ColumnRef, scope, allowOutputNames);
        return false;
      }
      return undefined;
    });
    for (const q of subqueries) await this.bindSelect(q, scope, ctes);
    for (const link of testedSubqueries) await this.bindExpressions(link, scope, ctes, allowOutputNames);
  }

  /** Resolves one ColumnRef and marks the source columns it reads. */
  resolve(ref: AstNode, scope: Scope, allowOutputNames: boolean): ColumnResolution {
    const result = resolveColumnRef(ref, scope, allowOutputNames);
    if (result.kind === 'local') {
      if (result.column === undefined) {
        for (const e of result.entries) if (e.binding) e.binding.usedColumns = 'all';
      } else {
        this.markColumn(result.entries, result.column);
      }
    } else if (result.kind === 'outer' && result.entries) {
      // A correlated reference reads the enclosing table's columns: its scan must fetch them.
      if (result.column === undefined) {
        for (const e of result.entries) if (e.binding) e.binding.usedColumns = 'all';
      } else {
        this.markColumn(result.entries, result.column);
      }
    }
    return result;
  }

  markColumn(entries: readonly ScopeEntry[], column: string): void {
    for (const e of entries) {
      const b = e.binding;
      if (!b || b.usedColumns === 'all') continue;
      const exact = findColumn(b.arrowSchema, column);
      if (exact) b.usedColumns.add(exact);
    }
  }
}

/**
 * Resolves a ColumnRef in `scope` (then its parents). Throws
 * `COLUMN_NOT_FOUND` (with the closest name) or `INVALID_QUERY` (ambiguous).
 */
export function resolveColumnRef(ref: AstNode, scope: Scope, allowOutputNames = false): ColumnResolution {
  const fields: AstNode[] = ref.fields;
  const star = fields[fields.length - 1]?.A_Star !== undefined;
  const names = fields.filter((f) => f.String).map((f) => str(f)!);
  if (star) {
    if (names.length === 0) return { kind: 'local', entries: scope.entries };
    const qualifier = names[names.length - 1]!;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const entry = s.entry(qualifier);
      if (entry)
        return s === scope ? { kind: 'local', entries: [entry] } : { kind: 'outer', entries: [entry] };
    }
    throw missingFrom(qualifier, scope);
  }
  const column = names[names.length - 1]!;
  if (names.length >= 3) qualifyByTable(ref, names, scope);
  if (names.length >= 2) {
    const qualifier = names[names.length - 2]!;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const entry = s.entry(qualifier) ?? s.entries.find((e) => e.binding?.table === qualifier);
      if (!entry) continue;
      if (
        entry.columns &&
        !entry.columns.includes(column) &&
        !entry.columns.some((c) => c.toLowerCase() === column.toLowerCase())
      ) {
        throw new SpokeError(
          ErrorCode.COLUMN_NOT_FOUND,
          `column ${qualifier}.${column} does not exist${didYouMean(column, entry.columns)}`,
        );
      }
      return s === scope
        ? { kind: 'local', entries: [entry], column }
        : { kind: 'outer', entries: [entry], column };
    }
    throw missingFrom(qualifier, scope);
  }
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const known = s.entries.filter((e) =>
      e.columns?.some((c) => c === column || c.toLowerCase() === column.toLowerCase()),
    );
    const opaque = s.entries.filter((e) => e.columns === undefined);
    if (known.length > 1 && !s.usingColumns.has(column)) {
      const exact = known.filter((e) => e.columns!.includes(column));
      if (exact.length !== 1) {
        throw new SpokeError(ErrorCode.INVALID_QUERY, `column reference "${column}" is ambiguous`, {
          details: { sqlstate: '42702' },
        });
      }
      return s === scope
        ? { kind: 'local', entries: exact, column }
        : { kind: 'outer', entries: exact, column };
    }
    if (known.length >= 1)
      return s === scope
        ? { kind: 'local', entries: known, column }
        : { kind: 'outer', entries: known, column };
    if (opaque.length >= 1) return { kind: 'opaque' };
    if (s === scope && (allowOutputNames || s.outputNames.has(column)) && s.outputNames.has(column))
      return { kind: 'opaque' };
  }
  const all = new Set<string>();
  for (let s: Scope | undefined = scope; s; s = s.parent)
    for (const e of s.entries) for (const c of e.columns ?? []) all.add(c);
  throw new SpokeError(
    ErrorCode.COLUMN_NOT_FOUND,
    `column "${column}" does not exist${didYouMean(column, all)}`,
  );
}

/**
 * `EXISTS (SELECT * FROM t WHERE …)` asks only whether a row exists, so its
 * `*` reads nothing: the select list becomes `1`, and the scan of `t` fetches
 * the columns the WHERE clause needs instead of every column (TPC-H Q21 and
 * Q22 read lineitem and orders whole). Only a plain SELECT whose list is
 * stars is rewritten (its ORDER BY cannot name a star's columns by position).
 */
function existsReadsNoColumns(select: AstNode | undefined): void {
  if (!select || (select.op && select.op !== 'SETOP_NONE') || select.sortClause || !select.targetList) return;
  const stars = (select.targetList as AstNode[]).every(
    (t) => (t.ResTarget?.val?.ColumnRef?.fields as AstNode[] | undefined)?.at(-1)?.A_Star !== undefined,
  );
  if (stars) select.targetList = [{ ResTarget: { val: { A_Const: { ival: { ival: 1 } } } } }];
}

/**
 * `source.table.column` or `source.schema.table.column` (how Metabase and
 * other tools qualify columns: PostgreSQL's `schema.table.column`) names the
 * column of the unaliased FROM item `source.table`. The reference is
 * rewritten in place to `table.column`, which every engine reads; no such
 * item is PostgreSQL's 42P01 `missing FROM-clause entry`.
 */
function qualifyByTable(ref: AstNode, names: readonly string[], scope: Scope): void {
  const path = names.slice(0, -1);
  const same = (a: string, b: string) => a === b || a.toLowerCase() === b.toLowerCase();
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const entry = s.entries.find((e) => {
      if (!same(e.name, path[path.length - 1]!)) return false;
      const b = e.binding;
      // A table the policies replaced by a sub-query keeps its name but has no binding.
      if (!b) return true;
      if (b.rangeVar.alias || !same(b.source, path[0]!)) return false;
      return path.length === 2 || (path.length === 3 && same(b.schema, path[1]!));
    });
    if (entry) {
      ref.fields = [{ String: { sval: entry.name } }, ref.fields[ref.fields.length - 1]];
      return;
    }
  }
  throw missingFrom(path.join('.'), scope);
}

/**
 * A bare column in the select list that matched its table's column only
 * ignoring case (`id` for Snowflake's stored `ID`) is named as written, as
 * PostgreSQL names a column reference; an exact match keeps its name.
 */
function nameCaseFoldedColumns(stmt: AstNode, scope: Scope): void {
  for (const target of stmt.targetList ?? []) {
    const t = target.ResTarget;
    const ref = t?.val?.ColumnRef;
    if (!ref || t.name !== undefined || (ref.fields as AstNode[]).at(-1)?.A_Star) continue;
    const resolved = resolveColumnRef(ref, scope);
    if (resolved.kind === 'opaque' || !resolved.column) continue;
    const column = resolved.column;
    if (resolved.entries?.every((e) => e.columns && !e.columns.includes(column))) t.name = column;
  }
}

function missingFrom(name: string, scope: Scope): SpokeError {
  const names = new Set<string>();
  for (let s: Scope | undefined = scope; s; s = s.parent) for (const e of s.entries) names.add(e.name);
  return new SpokeError(
    ErrorCode.TABLE_NOT_FOUND,
    `missing FROM-clause entry for table "${name}"${didYouMean(name, names)}`,
  );
}

/** The output column names of a SELECT when they can be read off its select list; `undefined` for `*`. */
export function outputColumnNames(stmt: AstNode): string[] | undefined {
  if (stmt.op && stmt.op !== 'SETOP_NONE') return outputColumnNames(stmt.larg);
  if (stmt.valuesLists)
    return stmt.valuesLists[0]?.List?.items?.map((_: unknown, i: number) => `column${i + 1}`);
  const names: string[] = [];
  for (const target of stmt.targetList ?? []) {
    const t = target.ResTarget;
    if (t.name) {
      names.push(t.name);
      continue;
    }
    const ref = t.val?.ColumnRef;
    if (ref) {
      const last = ref.fields[ref.fields.length - 1];
      if (last.A_Star) return undefined;
      names.push(str(last)!);
      continue;
    }
    const fn = t.val?.FuncCall;
    names.push(fn ? str(fn.funcname[fn.funcname.length - 1])! : '?column?');
  }
  return names;
}

function functionName(rangeFunction: AstNode): string | undefined {
  const call = rangeFunction.functions?.[0]?.List?.items?.[0]?.FuncCall;
  return call ? str(call.funcname[call.funcname.length - 1]) : undefined;
}

/** Walks `node` calling `visit` on ColumnRef bodies, not entering sub-queries. */
function walkAstShallow(node: unknown, visit: (ref: AstNode) => void): void {
  walkAst(node, (n) => {
    if (n.SubLink) return false;
    if (n.ColumnRef) {
      visit(n.ColumnRef);
      return false;
    }
    return undefined;
  });
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The column names of an alias's list (`AS x(a, b)`), or `undefined` without one. */
function aliasColumnNames(alias: AstNode | undefined): string[] | undefined {
  const names = (alias?.colnames as AstNode[] | undefined)?.map((n) => str(n)!);
  return names?.length ? names : undefined;
}

/**
 * A FROM item's columns after its alias list: PostgreSQL renames the first
 * columns and keeps the rest. Without a list, the item's own; with a list but
 * unknown columns, `undefined` (not checked here).
 */
function renamedColumns(
  aliases: readonly string[] | undefined,
  columns: readonly string[] | undefined,
): readonly string[] | undefined {
  if (!aliases) return columns;
  if (!columns) return undefined;
  return [...aliases, ...columns.slice(aliases.length)];
}

/** The columns `SELECT *` of `scope` yields when every FROM entry's columns are known. */
function starColumns(scope: Scope): readonly string[] | undefined {
  const stmt = scope.stmt;
  const targets = (stmt.targetList ?? []) as AstNode[];
  const onlyStar =
    targets.length === 1 &&
    (targets[0]?.ResTarget?.val?.ColumnRef?.fields as AstNode[] | undefined)?.length === 1;
  if (!onlyStar || !targets[0]!.ResTarget.val.ColumnRef.fields[0].A_Star || scope.entries.length === 0)
    return undefined;
  if (scope.entries.some((e) => !e.columns)) return undefined;
  return scope.entries.flatMap((e) => e.columns!);
}

/**
 * ORDER BY of a UNION/INTERSECT/EXCEPT sorts its result: PostgreSQL accepts
 * only a result column's name or position there. DuckDB also takes a right
 * branch's column or a qualified one, and would sort by it: refuse them as
 * PostgreSQL does (42703, 42P01, 0A000).
 */
function checkSetOperationOrderBy(stmt: AstNode, outputs: readonly string[] | undefined): void {
  for (const item of (stmt.sortClause ?? []) as AstNode[]) {
    const node = item.SortBy?.node as AstNode | undefined;
    if (!node || node.A_Const) continue;
    const fields = node.ColumnRef?.fields as AstNode[] | undefined;
    if (fields?.length === 1 && fields[0]!.String) {
      const name = str(fields[0])!;
      if (outputs && !outputs.includes(name) && !outputs.some((o) => o.toLowerCase() === name.toLowerCase()))
        throw new SpokeError(ErrorCode.COLUMN_NOT_FOUND, `column "${name}" does not exist`, {
          details: { sqlstate: '42703' },
        });
      continue;
    }
    if (fields && fields.length >= 2 && fields.every((f) => f.String)) {
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `missing FROM-clause entry for table "${str(fields[fields.length - 2])}"`,
        { details: { sqlstate: '42P01' } },
      );
    }
    throw new SpokeError(
      ErrorCode.UNSUPPORTED,
      'invalid UNION/INTERSECT/EXCEPT ORDER BY clause: only result column names or numbers can be used',
      { details: { sqlstate: '0A000' } },
    );
  }
}

/** Set-returning functions whose rows are one scalar column (given these argument counts). */
const SCALAR_SET_FUNCTIONS: Readonly<Record<string, (args: number) => boolean>> = {
  generate_series: () => true,
  generate_subscripts: () => true,
  unnest: (args) => args === 1,
  regexp_split_to_table: () => true,
  string_to_table: () => true,
};

/**
 * `FROM generate_series(1, 3) AS x`: PostgreSQL names the single column of a
 * function returning a scalar after the alias, so `x` is the value; DuckDB
 * would name it after the function and read `x` as the whole row (a struct).
 * The alias gains the column list `x(x)`, which both read alike.
 */
function nameScalarFunctionColumn(range: AstNode): void {
  if (!range.alias || range.alias.colnames || range.functions?.length !== 1) return;
  const call = range.functions[0]?.List?.items?.[0]?.FuncCall as AstNode | undefined;
  const names = (call?.funcname as AstNode[] | undefined)?.map((n) => str(n));
  const name = names?.at(-1)?.toLowerCase();
  if (!call || !name || (names!.length > 1 && names![0] !== 'pg_catalog')) return;
  if (!SCALAR_SET_FUNCTIONS[name]?.((call.args as unknown[] | undefined)?.length ?? 0)) return;
  range.alias = { ...range.alias, colnames: [{ String: { sval: range.alias.aliasname } }] };
}
