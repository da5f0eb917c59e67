import {
  SCALAR_FUNCTIONS,
  type ScalarFunctionName,
  type ScalarType,
  type SelectTree,
  type SqlCapabilities,
  type SqlDialect,
} from '@spoke/core';
import type { SqlTableDescription } from '../sql-source/sql-source-types.js';
import type { ExpressionDialect } from './expression-dialect.js';
import { renderSelectTree, type SelectDialect } from './select-renderer.js';

/** Options for {@link standardSqlDialect}. */
export interface StandardSqlDialectOptions {
  /** Quoting, placeholders, literals, type and function names: the connector's `expressionDialect`. */
  readonly expressions: ExpressionDialect;
  /**
   * A table's description by the source's schema and name (`undefined`
   * schema: the default one), for column-aware rendering; a
   * `SqlSourceConnector`'s `describedTable`. Absent: none is known.
   */
  readonly resolveTable?: (schema: string | undefined, name: string) => SqlTableDescription | undefined;
  /**
   * What the source runs, over the defaults: inner, left and cross joins;
   * count, sum, min, max and avg (DISTINCT too); GROUP BY, ORDER BY … LIMIT,
   * DISTINCT and sub-queries; the scalar functions the expression dialect
   * names; no window functions; ILIKE only when `expressions.hasIlike`.
   * Declare less where the kit's whole-query cases fail.
   */
  readonly capabilities?: Partial<SqlCapabilities>;
}

const AGGREGATES = ['count', 'sum', 'min', 'max', 'avg'];

/** PostgreSQL's type names in a cast, as IR types (the ones a standard dialect can name). */
function castTarget(pgType: string, mods: readonly number[]): ScalarType | undefined {
  switch (pgType) {
    case 'int2':
    case 'smallint':
      return { id: 'int16' };
    case 'int4':
    case 'int':
    case 'integer':
      return { id: 'int32' };
    case 'int8':
    case 'bigint':
      return { id: 'int64' };
    case 'float4':
    case 'real':
      return { id: 'float32' };
    case 'float8':
    case 'double precision':
      return { id: 'float64' };
    case 'numeric':
    case 'decimal':
      return mods.length ? { id: 'decimal', precision: mods[0]!, scale: mods[1] ?? 0 } : undefined;
    case 'text':
    case 'varchar':
      return { id: 'utf8' };
    case 'bool':
    case 'boolean':
      return { id: 'bool' };
    case 'date':
      return { id: 'date' };
    case 'timestamp':
      return { id: 'timestamp' };
    case 'timestamptz':
      return { id: 'timestamp', timezone: 'UTC' };
    default:
      return undefined;
  }
}

/**
 * A whole-query `SqlDialect` for a standard-SQL source built from its
 * expression dialect alone — the optional whole sub-query push-down of a
 * `SqlSourceConnector` without writing a {@link SelectDialect}:
 *
 * ```ts
 * readonly dialect = standardSqlDialect({
 *   expressions: this.expressionDialect,
 *   resolveTable: (schema, name) => this.describedTable(schema, name),
 * });
 * ```
 *
 * Statements are rendered by {@link renderSelectTree}: identifiers quoted
 * and literals bound through `expressions`, casts named by its `typeName`,
 * scalar functions by its `functionName`, `||`, `LIMIT n OFFSET m`.
 * Anything else (`/`, window functions, a FULL JOIN…) is declined and runs
 * in Spoke. Check the result with the conformance kit's `wholeQueries`.
 */
export function standardSqlDialect(options: StandardSqlDialectOptions): SqlDialect {
  const e = options.expressions;
  const q = (name: string) => e.quoteIdentifier(name);
  const functions = (SCALAR_FUNCTIONS as readonly ScalarFunctionName[]).filter((f) => e.functionName(f));
  const capabilities: SqlCapabilities = {
    joins: ['inner', 'left', 'cross'],
    aggregates: AGGREGATES,
    distinctAggregates: true,
    groupBy: true,
    orderByLimit: true,
    distinct: true,
    subqueries: true,
    windowFunctions: false,
    functions,
    ilike: e.hasIlike,
    ...options.capabilities,
  };
  const select: SelectDialect = {
    name: e.name,
    expressions: e,
    fullJoin: capabilities.joins.includes('full'),
    columnRef: (qualifier, name) => (qualifier === undefined ? q(name) : `${q(qualifier)}.${q(name)}`),
    renderFunction: (name, args, { star, distinct }) => {
      if (name === '__ilike') return e.hasIlike ? `(${args[0]} ILIKE ${args[1]})` : undefined;
      if (AGGREGATES.includes(name)) {
        if (!capabilities.aggregates.includes(name)) return undefined;
        if (star) return name === 'count' ? 'count(*)' : undefined;
        if (args.length !== 1 || (distinct && !capabilities.distinctAggregates)) return undefined;
        return `${name}(${distinct ? 'DISTINCT ' : ''}${args[0]})`;
      }
      if (star || distinct || !capabilities.functions.includes(name)) return undefined;
      const renamed = e.functionName(name as ScalarFunctionName);
      return renamed === undefined ? undefined : `${renamed}(${args.join(', ')})`;
    },
    castType: (pgType, mods) => {
      const type = castTarget(pgType, mods);
      return type && e.typeName(type);
    },
    concat: (left, right) => `(${left} || ${right})`,
    limitClause: (count, offset) =>
      `${count === undefined ? '' : ` LIMIT ${count}`}${offset === undefined ? '' : ` OFFSET ${offset}`}`,
    resolveTable: (schema, name) => options.resolveTable?.(schema, name),
  };
  return {
    name: e.name,
    capabilities,
    quoteIdentifier: q,
    renderSelect: (tree: SelectTree) => renderSelectTree(select, tree),
  };
}
