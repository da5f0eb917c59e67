/**
 * The SQL a Flight SQL source is sent. A Spoke peer parses PostgreSQL
 * (libpg-query), so it gets the sdk's PostgreSQL dialect, every literal a
 * bound parameter, whole joins and aggregates included. Other servers get
 * plain ANSI SQL for a conservative subset (literals inlined, escaped, since
 * parameter binding varies between servers).
 *
 * In both, a table is named as the remote names it (`catalog.db_schema.table`
 * from its Flight SQL catalog), not as it appears locally (`R.pg.orders`).
 */
import type { RenderedSql, ScalarType, SelectTree, SqlCapabilities, SqlDialect } from '@spoke/core';
import {
  AnsiDialect,
  PostgresDialect,
  PostgresExpressionDialect,
  renderSelectTree,
  type SelectDialect,
  type SqlTableDescription,
} from '@spoke/sdk';

/** Where a local table lives on the remote. */
export interface RemoteLocation {
  readonly catalog: string | null;
  readonly dbSchema: string | null;
  readonly table: string;
}

/** Finds the remote location of a local `schema.table`. */
export type LocateTable = (schema: string | undefined, name: string) => RemoteLocation | undefined;

type Json = Record<string, unknown>;

/** A copy of `node` with every RangeVar that names a known table renamed to its remote location. */
function renameTables(node: unknown, locate: LocateTable): unknown {
  if (Array.isArray(node)) return node.map((n) => renameTables(n, locate));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'RangeVar') {
      const rv = value as Json;
      const where = locate(rv.schemaname as string | undefined, String(rv.relname));
      if (!where) {
        out[key] = rv;
        continue;
      }
      const renamed: Json = { ...rv, relname: where.table };
      delete renamed.catalogname;
      delete renamed.schemaname;
      if (where.dbSchema !== null) renamed.schemaname = where.dbSchema;
      // Three-part names: the ANSI renderer refuses them, and the planner then keeps that part local.
      if (where.catalog !== null) renamed.catalogname = where.catalog;
      out[key] = renamed;
    } else out[key] = renameTables(value, locate);
  }
  return out;
}

const TYPED_AGGREGATES = new Set(['sum', 'avg', 'min', 'max']);

/**
 * A copy of `node` without the casts the planner wraps around decimal
 * aggregates for PostgreSQL (`CAST(avg(d) AS float8)`, `CAST(sum(d) AS
 * numeric(38,s))`: PostgreSQL would answer unconstrained numerics). A Spoke
 * peer already answers them in the engine's types, and a peer's
 * `aggregate_only` policy refuses casts in the select list, so they are left
 * out. They are told from casts a user wrote by having no source `location`.
 */
function withoutAggregateCasts(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutAggregateCasts);
  if (node === null || typeof node !== 'object') return node;
  const cast = (node as Json).TypeCast as Json | undefined;
  if (cast && !('location' in cast)) {
    const call = (cast.arg as Json | undefined)?.FuncCall as Json | undefined;
    const names = (call?.funcname as Json[] | undefined)?.map((n) => (n.String as Json | undefined)?.sval);
    const typeNames = ((cast.typeName as Json | undefined)?.names as Json[] | undefined)?.map(
      (n) => (n.String as Json | undefined)?.sval,
    );
    if (
      call &&
      !call.over &&
      TYPED_AGGREGATES.has(String(names?.[names.length - 1]).toLowerCase()) &&
      typeNames?.[0] === 'pg_catalog'
    )
      return withoutAggregateCasts(cast.arg);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) out[key] = withoutAggregateCasts(value);
  return out;
}

/** `"catalog"."schema"."table"`, leaving out the parts the remote does not have. */
export function qualifiedName(where: RemoteLocation, quote: (name: string) => string): string {
  return [where.catalog, where.dbSchema, where.table]
    .filter((p): p is string => p !== null && p !== '')
    .map(quote)
    .join('.');
}

/**
 * A Spoke peer's scan filters: PostgreSQL's, minus `ESCAPE` (Spoke's LIKE
 * escapes with a backslash by default, as PostgreSQL does, and refuses an
 * explicit ESCAPE clause); literals inlined as escaped, typed constants, so a
 * scan is one GetFlightInfo and one DoGet instead of a prepared statement's
 * four round trips over what may be a slow link.
 */
export class SpokeExpressionDialect extends PostgresExpressionDialect {
  override readonly likeEscape: string | undefined = undefined;
  /** A peer binds `= ANY(array)` like any PostgreSQL expression, but keeps IN lists as written: its own planner decides. */
  override readonly valueListsAsArrays = false;

  constructor() {
    super({ inlineLiterals: true });
  }

  /** Binary values stay bound: a bytea literal's text means other bytes to the peer's engine. */
  override placeholder(index: number, type: ScalarType): string | undefined {
    return type.id === 'binary' ? `$${index}` : undefined;
  }
}

/** A Spoke peer: PostgreSQL syntax, bound parameters, the peer's `source.schema.table` names. */
export class SpokePeerDialect implements SqlDialect {
  readonly name = 'spoke';
  readonly #postgres = new PostgresDialect();
  readonly expressions = new SpokeExpressionDialect();

  constructor(readonly locate: LocateTable) {}

  get capabilities(): SqlCapabilities {
    return this.#postgres.capabilities;
  }

  quoteIdentifier(name: string): string {
    return this.#postgres.quoteIdentifier(name);
  }

  renderSelect(tree: SelectTree): RenderedSql {
    return this.#postgres.renderSelect(renameTables(withoutAggregateCasts(tree), this.locate) as SelectTree);
  }
}

/** Standard SQL with literals inlined (escaped, typed), for servers whose parameter support varies. */
export class AnsiInlineDialect extends AnsiDialect {
  readonly name = 'flight-sql';

  placeholder(_index: number, _type: ScalarType): string | undefined {
    return undefined;
  }
}

const GENERIC_AGGREGATES = ['count', 'sum', 'min', 'max', 'avg'] as const;

/** What any SQL engine behind Flight SQL is assumed to run. */
export const GENERIC_CAPABILITIES: SqlCapabilities = {
  joins: ['inner', 'left', 'cross'],
  aggregates: GENERIC_AGGREGATES,
  distinctAggregates: true,
  groupBy: true,
  orderByLimit: true,
  distinct: true,
  subqueries: false,
  windowFunctions: false,
  functions: ['lower', 'upper', 'coalesce', 'nullif', 'abs'],
  ilike: false,
};

/** A Flight SQL server that is not Spoke: the ANSI subset above. */
export class GenericFlightSqlDialect implements SqlDialect {
  readonly name = 'flight-sql';
  readonly capabilities = GENERIC_CAPABILITIES;
  readonly expressions = new AnsiInlineDialect();
  readonly #select: SelectDialect;

  constructor(
    readonly locate: LocateTable,
    resolveTable: (schema: string | undefined, name: string) => SqlTableDescription | undefined,
  ) {
    const e = this.expressions;
    this.#select = {
      name: 'flight-sql',
      expressions: e,
      fullJoin: false,
      columnRef: (qualifier, name) =>
        qualifier === undefined
          ? e.quoteIdentifier(name)
          : `${e.quoteIdentifier(qualifier)}.${e.quoteIdentifier(name)}`,
      renderFunction: (name, args, { star, distinct }) => {
        if ((GENERIC_AGGREGATES as readonly string[]).includes(name)) {
          if (star) return name === 'count' ? 'COUNT(*)' : undefined;
          if (args.length !== 1) return undefined;
          return `${name.toUpperCase()}(${distinct ? 'DISTINCT ' : ''}${args[0]})`;
        }
        if (distinct || star) return undefined;
        if (GENERIC_CAPABILITIES.functions.includes(name)) return `${name.toUpperCase()}(${args.join(', ')})`;
        return undefined;
      },
      castType: () => undefined,
      concat: (l, r) => `(${l} || ${r})`,
      limitClause: (count, offset) =>
        `${count === undefined ? '' : ` LIMIT ${count}`}${offset === undefined ? '' : ` OFFSET ${offset}`}`,
      resolveTable: (schema, name) => {
        // The tree names tables remotely by now; map back to the local description for column info.
        return resolveTable(schema, name);
      },
    };
  }

  quoteIdentifier(name: string): string {
    return this.expressions.quoteIdentifier(name);
  }

  renderSelect(tree: SelectTree): RenderedSql {
    return renderSelectTree(this.#select, renameTables(tree, this.locate) as SelectTree);
  }
}
