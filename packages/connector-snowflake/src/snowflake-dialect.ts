import type {
  RenderedSql,
  ScalarFunctionName,
  ScalarType,
  ScalarValue,
  SelectTree,
  SqlCapabilities,
  SqlDialect,
} from '@spoke/core';
import { AnsiDialect, quoteWith, renderSelectTree, type SelectDialect } from '@spoke/sdk';

/**
 * Snowflake expressions: double-quoted identifiers (always quoted, so names
 * are matched as stored — unquoted names are stored upper-case), `?`
 * parameters typed by a CAST, ILIKE, NULLS FIRST/LAST, `ESCAPE '\\'` after
 * LIKE patterns (Snowflake has no default escape character, and reads
 * backslash escapes inside string literals).
 */
export class SnowflakeExpressionDialect extends AnsiDialect {
  readonly name = 'snowflake';
  override readonly hasIlike = true;
  override readonly hasNullsOrdering = true;
  override readonly likeEscape = "ESCAPE '\\\\'";

  /** Snowflake reads backslash escapes in strings: double both quotes and backslashes. */
  override quoteString(text: string): string {
    return quoteWith(text.replaceAll('\\', '\\\\'), "'");
  }

  /** `TO_BINARY('…', 'HEX')`: the spelling Snowflake documents for binary constants. */
  override binaryLiteral(bytes: Uint8Array): string {
    return `TO_BINARY('${Buffer.from(bytes).toString('hex').toUpperCase()}', 'HEX')`;
  }

  placeholder(_index: number, type: ScalarType): string | undefined {
    if (type.id === 'utf8' || type.id === 'null') return '?';
    if (type.id === 'binary') return "TO_BINARY(?, 'HEX')";
    const name = this.typeName(type);
    return name ? `CAST(? AS ${name})` : '?';
  }

  override typeName(type: ScalarType): string | undefined {
    switch (type.id) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
      case 'uint8':
      case 'uint16':
      case 'uint32':
        return 'NUMBER(19,0)';
      case 'uint64':
        return 'NUMBER(20,0)';
      case 'float32':
      case 'float64':
        return 'FLOAT';
      case 'decimal':
        return `NUMBER(${type.precision},${type.scale})`;
      case 'utf8':
        return 'VARCHAR';
      case 'binary':
        return 'BINARY';
      case 'timestamp':
        return type.timezone ? 'TIMESTAMP_TZ' : 'TIMESTAMP_NTZ';
      case 'interval':
      case 'list':
        return undefined;
      default:
        return super.typeName(type);
    }
  }

  override functionName(name: ScalarFunctionName): string | undefined {
    switch (name) {
      case 'lower':
      case 'upper':
      case 'length':
      case 'trim':
      case 'ltrim':
      case 'rtrim':
      case 'replace':
      case 'abs':
      case 'ceil':
      case 'floor':
      case 'coalesce':
      case 'nullif':
        return name;
      case 'starts_with':
        return 'STARTSWITH';
      // concat: Snowflake's CONCAT is NULL when any argument is; round: differs on doubles. Kept local.
      default:
        return undefined;
    }
  }
}

/** Values as the driver binds them: text for numbers (exact), booleans, hex for binary. */
export function toSnowflakeParam(value: ScalarValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex').toUpperCase();
  return JSON.stringify(value);
}

const SNOWFLAKE_AGGREGATES = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'stddev_pop',
  'stddev_samp',
  'var_pop',
  'var_samp',
] as const;

const SNOWFLAKE_FUNCTIONS: Readonly<Record<string, (args: readonly string[]) => string | undefined>> = {
  lower: (a) => `LOWER(${a[0]})`,
  upper: (a) => `UPPER(${a[0]})`,
  length: (a) => `LENGTH(${a[0]})`,
  char_length: (a) => `LENGTH(${a[0]})`,
  btrim: (a) => (a.length === 1 ? `TRIM(${a[0]})` : undefined),
  ltrim: (a) => (a.length === 1 ? `LTRIM(${a[0]})` : undefined),
  rtrim: (a) => (a.length === 1 ? `RTRIM(${a[0]})` : undefined),
  replace: (a) => `REPLACE(${a.join(', ')})`,
  left: (a) => `LEFT(${a.join(', ')})`,
  right: (a) => `RIGHT(${a.join(', ')})`,
  starts_with: (a) => `STARTSWITH(${a.join(', ')})`,
  abs: (a) => `ABS(${a[0]})`,
  ceil: (a) => `CEIL(${a[0]})`,
  floor: (a) => `FLOOR(${a[0]})`,
  sign: (a) => `SIGN(${a[0]})`,
  coalesce: (a) => `COALESCE(${a.join(', ')})`,
  nullif: (a) => `NULLIF(${a.join(', ')})`,
  greatest: (a) => `GREATEST(${a.join(', ')})`,
  least: (a) => `LEAST(${a.join(', ')})`,
};

/** What Snowflake runs for the planner. */
export const SNOWFLAKE_CAPABILITIES: SqlCapabilities = {
  joins: ['inner', 'left', 'right', 'full', 'cross'],
  aggregates: SNOWFLAKE_AGGREGATES,
  distinctAggregates: true,
  groupBy: true,
  orderByLimit: true,
  distinct: true,
  subqueries: true,
  windowFunctions: false,
  functions: Object.keys(SNOWFLAKE_FUNCTIONS),
};

/** Snowflake as a whole-sub-query target ({@link renderSelectTree}). */
export class SnowflakeDialect implements SqlDialect {
  readonly name = 'snowflake';
  readonly capabilities = SNOWFLAKE_CAPABILITIES;
  readonly expressions = new SnowflakeExpressionDialect();
  readonly #select: SelectDialect;

  constructor() {
    const e = this.expressions;
    this.#select = {
      name: 'snowflake',
      expressions: e,
      fullJoin: true,
      columnRef: (qualifier, name) =>
        qualifier === undefined
          ? e.quoteIdentifier(name)
          : `${e.quoteIdentifier(qualifier)}.${e.quoteIdentifier(name)}`,
      renderFunction: (name, args, { star, distinct }) => {
        if (name === '__ilike') return `(${args[0]} ILIKE ${args[1]})`;
        if ((SNOWFLAKE_AGGREGATES as readonly string[]).includes(name)) {
          if (star) return name === 'count' ? 'COUNT(*)' : undefined;
          if (args.length !== 1) return undefined;
          return `${name.toUpperCase()}(${distinct ? 'DISTINCT ' : ''}${args[0]})`;
        }
        if (distinct || star) return undefined;
        return SNOWFLAKE_FUNCTIONS[name]?.(args);
      },
      castType: (pgType, mods) => {
        switch (pgType) {
          case 'int2':
          case 'int4':
          case 'int8':
            return 'NUMBER(19,0)';
          case 'numeric':
            return mods.length ? `NUMBER(${mods[0]},${mods[1] ?? 0})` : undefined;
          case 'float4':
          case 'float8':
            return 'FLOAT';
          case 'text':
          case 'varchar':
            return 'VARCHAR';
          case 'bool':
            return 'BOOLEAN';
          case 'date':
            return 'DATE';
          case 'timestamp':
            return 'TIMESTAMP_NTZ';
          case 'timestamptz':
            return 'TIMESTAMP_TZ';
          default:
            return undefined;
        }
      },
      concat: (l, r) => `(${l} || ${r})`,
      limitClause: (count, offset) =>
        `${count !== undefined ? ` LIMIT ${count}` : offset !== undefined ? ' LIMIT NULL' : ''}${offset !== undefined ? ` OFFSET ${offset}` : ''}`,
      // Snowflake compares strings byte-wise by default, as DuckDB does: no collation wrapping needed.
      resolveTable: () => undefined,
    };
  }

  quoteIdentifier(name: string): string {
    return this.expressions.quoteIdentifier(name);
  }

  renderSelect(tree: SelectTree): RenderedSql {
    return renderSelectTree(this.#select, tree);
  }
}
