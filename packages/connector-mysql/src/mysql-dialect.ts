import type {
  Expr,
  RenderedSql,
  ScalarFunctionName,
  ScalarType,
  ScalarValue,
  SelectTree,
  SqlCapabilities,
  SqlDialect,
} from '@spoke/core';
import {
  AnsiDialect,
  quoteWith,
  renderSelectTree,
  type SelectDialect,
  type SqlColumn,
  type SqlTableDescription,
} from '@spoke/sdk';

/**
 * MySQL/MariaDB expressions: backtick identifiers, `?` parameters (typed by a
 * CAST where MySQL would otherwise guess), no ILIKE (rendered as
 * `lower(x) LIKE lower(p)`), no NULLS FIRST/LAST (rendered with a
 * `CASE … IS NULL` key), CHAR_LENGTH for length.
 *
 * Case: MySQL compares strings with the column's collation, usually
 * case-insensitive (`utf8mb4_general_ci`) and padding trailing spaces.
 * Spoke's answers must equal DuckDB's (byte order, case-sensitive), so every
 * reference to a character column is rendered `(col COLLATE <binary no-pad
 * collation>)` — see {@link MysqlExpressionDialect.columnSql}.
 */
const INTEGER_ITEMS = new Set(['int8', 'int16', 'int32', 'int64']);

/**
 * `operand IN (SELECT v FROM JSON_TABLE(<array>, '$[*]' COLUMNS (v <column type> PATH '$')))`:
 * the array is one bound JSON text. NOT IN is exact too, as the array holds no NULL.
 */
export function jsonTableIn(columnType: string) {
  return (operand: string, array: string, negated: boolean): string =>
    `(${operand} ${negated ? 'NOT IN' : 'IN'} (SELECT \`__spoke_keys\`.\`v\` FROM JSON_TABLE(${array}, '$[*]' COLUMNS (\`v\` ${columnType} PATH '$')) AS \`__spoke_keys\`))`;
}

/**
 * Text keys as a `JSON_TABLE` column, for a `utf8mb4` column only: the column
 * side is rendered with an explicit binary collation (`(c COLLATE …_bin)`),
 * which decides the comparison over the JSON column's implicit one, as it
 * does for bound values, and every key is representable — in another
 * character set a key it cannot hold would be converted to `?` and match a
 * `?` (MariaDB refuses bound values there instead). The JSON column is as
 * long as the longest key, so none is cut.
 */
export function textArrayIn(values: readonly ScalarValue[]) {
  const longest = values.reduce<number>((n, v) => Math.max(n, typeof v === 'string' ? [...v].length : 0), 1);
  return jsonTableIn(`VARCHAR(${longest}) CHARACTER SET utf8mb4`);
}

export class MysqlExpressionDialect extends AnsiDialect {
  readonly name = 'mysql';
  override readonly hasIlike = false;
  override readonly hasNullsOrdering = false;
  /** `\` already is MySQL's LIKE escape character. */
  override readonly likeEscape = undefined;

  /**
   * Long `IN` lists of integers go as one JSON array parameter read by
   * `JSON_TABLE` (MariaDB 10.6+, MySQL 8.0.4+: the connector turns this on
   * when the server has it), so a join's keys travel by the hundred thousand
   * in one value: MariaDB materializes them and looks each up by index,
   * 3–7× faster than a list of placeholders and past their 65,535 limit.
   */
  valueListsAsArrays = false;

  override quoteIdentifier(name: string): string {
    return quoteWith(name, '`');
  }

  /**
   * Integer arrays as a `JSON_TABLE` of BIGINTs. Text arrays decline here
   * (a list of placeholders, as before): only a scan knows the column's
   * character set, and takes them for `utf8mb4` columns (see
   * {@link textArrayIn}).
   */
  valueArray(_operand: Expr | undefined, itemType: ScalarType, _values: readonly ScalarValue[]) {
    return INTEGER_ITEMS.has(itemType.id) ? jsonTableIn('BIGINT') : undefined;
  }

  /** An array (a long `IN` list) binds as its JSON text: integers as digits, strings JSON-escaped. */
  bindValue(value: ScalarValue, type: ScalarType): ScalarValue {
    if (type.id !== 'list' || !Array.isArray(value)) return value;
    return `[${value.map((v) => (typeof v === 'bigint' ? v.toString() : JSON.stringify(v))).join(',')}]`;
  }

  /** MySQL reads backslash escapes in strings unless NO_BACKSLASH_ESCAPES: double both quotes and backslashes. */
  override quoteString(text: string): string {
    return quoteWith(text.replaceAll('\\', '\\\\'), "'");
  }

  placeholder(_index: number, type: ScalarType): string | undefined {
    switch (type.id) {
      case 'utf8':
      case 'binary':
      case 'null':
        return '?';
      case 'bool':
        // Bound as 1/0: MySQL's booleans are integers.
        return '?';
      default: {
        const name = this.typeName(type);
        return name ? `CAST(? AS ${name})` : '?';
      }
    }
  }

  override renderLiteral(value: Parameters<AnsiDialect['renderLiteral']>[0], type: ScalarType): string {
    if (value === null) return 'NULL';
    if (type.id === 'bool') return value ? '1' : '0';
    return super.renderLiteral(value, type);
  }

  override typeName(type: ScalarType): string | undefined {
    switch (type.id) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
        return 'SIGNED';
      case 'uint8':
      case 'uint16':
      case 'uint32':
      case 'uint64':
        return 'UNSIGNED';
      case 'float32':
      case 'float64':
        return 'DOUBLE';
      case 'decimal':
        return `DECIMAL(${type.precision},${type.scale})`;
      case 'utf8':
        return 'CHAR';
      case 'binary':
        return 'BINARY';
      case 'date':
        return 'DATE';
      case 'time':
        return 'TIME(6)';
      case 'timestamp':
        return 'DATETIME(6)';
      default:
        return undefined;
    }
  }

  override functionName(name: ScalarFunctionName): string | undefined {
    switch (name) {
      case 'length':
        return 'CHAR_LENGTH';
      case 'lower':
      case 'upper':
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
      // substring: same (string, start, length) form; concat: MySQL's CONCAT is NULL when any argument is,
      // PostgreSQL's skips NULLs; round: MySQL rounds doubles half-to-even. Kept local.
      default:
        return undefined;
    }
  }
}

/** Aggregates MySQL runs with PostgreSQL's meaning. */
const MYSQL_AGGREGATES = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'bit_and',
  'bit_or',
  'stddev_pop',
  'stddev_samp',
  'var_pop',
  'var_samp',
] as const;

/** Scalar functions (PostgreSQL names) the MySQL renderer maps. */
const MYSQL_FUNCTIONS: Readonly<Record<string, (args: readonly string[]) => string | undefined>> = {
  lower: (a) => `LOWER(${a[0]})`,
  upper: (a) => `UPPER(${a[0]})`,
  length: (a) => `CHAR_LENGTH(${a[0]})`,
  char_length: (a) => `CHAR_LENGTH(${a[0]})`,
  character_length: (a) => `CHAR_LENGTH(${a[0]})`,
  octet_length: (a) => `LENGTH(${a[0]})`,
  btrim: (a) => (a.length === 1 ? `TRIM(${a[0]})` : undefined),
  ltrim: (a) => (a.length === 1 ? `LTRIM(${a[0]})` : undefined),
  rtrim: (a) => (a.length === 1 ? `RTRIM(${a[0]})` : undefined),
  // PostgreSQL's concat() skips NULLs; CONCAT_WS with an empty separator does too.
  concat: (a) => `CONCAT_WS('', ${a.join(', ')})`,
  replace: (a) => `REPLACE(${a.join(', ')})`,
  left: (a) => `LEFT(${a.join(', ')})`,
  right: (a) => `RIGHT(${a.join(', ')})`,
  reverse: (a) => `REVERSE(${a[0]})`,
  abs: (a) => `ABS(${a[0]})`,
  ceil: (a) => `CEIL(${a[0]})`,
  ceiling: (a) => `CEIL(${a[0]})`,
  floor: (a) => `FLOOR(${a[0]})`,
  sign: (a) => `SIGN(${a[0]})`,
  mod: (a) => `MOD(${a.join(', ')})`,
  coalesce: (a) => `COALESCE(${a.join(', ')})`,
  nullif: (a) => `NULLIF(${a.join(', ')})`,
  greatest: (a) => `GREATEST(${a.join(', ')})`,
  least: (a) => `LEAST(${a.join(', ')})`,
  md5: (a) => `MD5(${a[0]})`,
};

/** What MySQL can run, declared for the planner: no FULL JOIN, no window functions pushed (kept simple), no ILIKE-free surprises. */
export const MYSQL_CAPABILITIES: SqlCapabilities = {
  joins: ['inner', 'left', 'right', 'cross'],
  aggregates: MYSQL_AGGREGATES,
  distinctAggregates: true,
  groupBy: true,
  orderByLimit: true,
  distinct: true,
  subqueries: true,
  windowFunctions: false,
  functions: Object.keys(MYSQL_FUNCTIONS),
};

/** Collation lookups the dialect needs from the connector. */
export interface MysqlDialectContext {
  /** A described table by name (the planner describes every table it pushes). */
  resolveTable(schema: string | undefined, name: string): SqlTableDescription | undefined;
  /** The binary, no-pad collation for a character set, e.g. `utf8mb4_nopad_bin`. */
  binaryCollation(characterSet: string): string;
}

/** The character set of a described column, when it is a string column (set by the connector). */
export function stringCharset(column: SqlColumn | undefined): string | undefined {
  const native = column?.native as { isString?: boolean; characterSet?: string | null } | undefined;
  return native?.isString && native.characterSet ? native.characterSet : undefined;
}

/**
 * MySQL as a whole-sub-query target: walks the SELECT tree
 * ({@link renderSelectTree}), binding literals as `?` parameters and
 * collating character columns in binary, no-pad order.
 */
export class MysqlDialect implements SqlDialect {
  readonly name = 'mysql';
  readonly capabilities = MYSQL_CAPABILITIES;
  readonly expressions = new MysqlExpressionDialect();
  readonly #select: SelectDialect;

  constructor(readonly context: MysqlDialectContext) {
    const e = this.expressions;
    this.#select = {
      name: 'mysql',
      expressions: e,
      fullJoin: false,
      columnRef: (qualifier, name, column) => {
        const ref =
          qualifier === undefined
            ? e.quoteIdentifier(name)
            : `${e.quoteIdentifier(qualifier)}.${e.quoteIdentifier(name)}`;
        const charset = stringCharset(column);
        return charset ? `(${ref} COLLATE ${context.binaryCollation(charset)})` : ref;
      },
      renderFunction: (name, args, { star, distinct }) => {
        if (name === '__ilike') return `(LOWER(${args[0]}) LIKE LOWER(${args[1]}))`;
        if ((MYSQL_AGGREGATES as readonly string[]).includes(name)) {
          if (star) return name === 'count' ? 'COUNT(*)' : undefined;
          if (args.length !== 1) return undefined;
          // PostgreSQL's sum/avg of integers are exact numerics; MySQL's are DECIMAL too.
          return `${name.toUpperCase()}(${distinct ? 'DISTINCT ' : ''}${args[0]})`;
        }
        if (distinct || star) return undefined;
        return MYSQL_FUNCTIONS[name]?.(args);
      },
      castType: (pgType, mods) => {
        switch (pgType) {
          case 'int2':
          case 'int4':
          case 'int8':
          case 'smallint':
          case 'integer':
          case 'bigint':
            return 'SIGNED';
          case 'numeric':
          case 'decimal':
            return mods.length ? `DECIMAL(${mods[0]},${mods[1] ?? 0})` : undefined;
          case 'float8':
          case 'float4':
            return 'DOUBLE';
          case 'text':
          case 'varchar':
            return 'CHAR';
          case 'date':
            return 'DATE';
          case 'timestamp':
            return 'DATETIME(6)';
          default:
            return undefined;
        }
      },
      concat: (l, r) => `CONCAT(${l}, ${r})`,
      limitClause: (count, offset) => {
        if (count === undefined && offset === undefined) return '';
        // MySQL has no OFFSET without LIMIT: the largest count stands for "all".
        return ` LIMIT ${count ?? '18446744073709551615'}${offset !== undefined ? ` OFFSET ${offset}` : ''}`;
      },
      resolveTable: (schema, name) => context.resolveTable(schema, name),
    };
  }

  quoteIdentifier(name: string): string {
    return this.expressions.quoteIdentifier(name);
  }

  renderSelect(tree: SelectTree): RenderedSql {
    return renderSelectTree(this.#select, tree);
  }
}
