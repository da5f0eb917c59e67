import { createRequire } from 'node:module';
import {
  ErrorCode,
  type RenderedSql,
  type ScalarType,
  type ScalarValue,
  type SelectTree,
  SpokeError,
  type SqlCapabilities,
  type SqlDialect,
} from '@spoke/core';
import { AnsiDialect } from './ansi-dialect.js';
import { LONG_VALUE_LIST } from './expression-dialect.js';

/** Options for {@link PostgresExpressionDialect}. */
export interface PostgresExpressionDialectOptions {
  /**
   * Render literals inline as escaped, typed literals instead of `$n`
   * parameters. For statements that cannot take bind parameters, such as
   * `COPY (SELECT …) TO STDOUT`. Default `false`.
   */
  readonly inlineLiterals?: boolean;
}

/**
 * PostgreSQL's expression dialect: `$n` parameters, each wrapped in a cast so
 * its type never depends on inference; `E'…'` escaped strings (correct
 * whatever `standard_conforming_strings` says); `'\x…'::bytea` binaries;
 * `ARRAY[…]` lists; `ILIKE`; `NULLS FIRST/LAST`.
 */
/** One text element of an array literal: double-quoted, with `"` and `\` escaped (so `NULL`, commas and braces are data). */
function arrayElement(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export class PostgresExpressionDialect extends AnsiDialect {
  readonly name = 'postgres';
  override readonly hasIlike = true;
  /** True when literals are inlined instead of bound. */
  readonly inlineLiterals: boolean;
  /** A long `IN` list goes as `= ANY(array)`: one value for PostgreSQL to parse, and a hashed lookup. */
  readonly valueListsAsArrays: boolean = true;

  constructor(options: PostgresExpressionDialectOptions = {}) {
    super();
    this.inlineLiterals = options.inlineLiterals ?? false;
  }

  placeholder(index: number, type: ScalarType): string | undefined {
    if (this.inlineLiterals) return undefined;
    const name = this.typeName(type);
    return name ? `CAST($${index} AS ${name})` : `$${index}`;
  }

  /** `E'text'`: quotes and backslashes doubled, so the text is data under any server setting. */
  override quoteString(text: string): string {
    return escapeStringLiteral(text);
  }

  override binaryLiteral(bytes: Uint8Array): string {
    return `'\\x${Buffer.from(bytes).toString('hex')}'::bytea`;
  }

  override renderLiteral(value: ScalarValue, type: ScalarType): string {
    if (value !== null && type.id === 'list') {
      const items = value as readonly ScalarValue[];
      const name = this.typeName(type);
      if (!name)
        throw new SpokeError(ErrorCode.UNSUPPORTED, 'the postgres dialect cannot render this list type');
      if (items.length === 0) return `CAST('{}' AS ${name})`;
      // A long list of integers or texts as one array literal's text: PostgreSQL parses it as one constant
      // (ARRAY[…] would be an expression per element — slow for the hundred thousand keys of a join).
      if (items.length >= LONG_VALUE_LIST && items.every((v) => v !== null)) {
        const item = type.item.id;
        if (item === 'int16' || item === 'int32' || item === 'int64')
          return `CAST('{${items.join(',')}}' AS ${name})`;
        if (item === 'utf8')
          return `CAST(${this.quoteString(`{${items.map((v) => arrayElement(String(v))).join(',')}}`)} AS ${name})`;
      }
      return `CAST(ARRAY[${items.map((v) => this.renderLiteral(v, type.item)).join(', ')}] AS ${name})`;
    }
    if (value !== null && type.id === 'timestamp' && type.timezone) {
      // Spoke's timestamptz literals are UTC wall-clock text; pin the offset so the session time zone cannot shift them.
      return `CAST(${this.quoteString(withUtcOffset(String(value)))} AS TIMESTAMP WITH TIME ZONE)`;
    }
    return super.renderLiteral(value, type);
  }

  /** PostgreSQL raises 22012 for a zero divisor by itself. */
  guardDivisor(divisor: string): string {
    return divisor;
  }

  override typeName(type: ScalarType): string | undefined {
    switch (type.id) {
      case 'binary':
        return 'BYTEA';
      case 'utf8':
        return 'TEXT';
      case 'time':
        return 'TIME';
      default:
        return super.typeName(type);
    }
  }
}

/** `E'…'` with `\` and `'` doubled. Refuses NUL, which PostgreSQL text cannot hold. */
export function escapeStringLiteral(text: string): string {
  if (text.includes('\u0000')) {
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      'PostgreSQL strings cannot contain the NUL character (U+0000)',
    );
  }
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function withUtcOffset(text: string): string {
  return /([+-]\d\d(:?\d\d)?|Z)$/i.test(text) ? text : `${text}+00`;
}

/** Aggregates PostgreSQL runs (lower-case names). */
const PG_AGGREGATES = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'bool_and',
  'bool_or',
  'every',
  'string_agg',
  'array_agg',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'bit_and',
  'bit_or',
  'corr',
  'covar_pop',
  'covar_samp',
  'regr_slope',
  'regr_intercept',
  'percentile_cont',
  'percentile_disc',
  'mode',
  'json_agg',
  'jsonb_agg',
] as const;

/** Scalar functions PostgreSQL runs with the same meaning as Spoke's engine (lower-case names). */
const PG_FUNCTIONS = [
  'lower',
  'upper',
  'length',
  'char_length',
  'character_length',
  'octet_length',
  'trim',
  'btrim',
  'ltrim',
  'rtrim',
  'substring',
  'substr',
  'concat',
  'concat_ws',
  'replace',
  'starts_with',
  'left',
  'right',
  'lpad',
  'rpad',
  'reverse',
  'repeat',
  'position',
  'strpos',
  'split_part',
  'md5',
  'abs',
  'ceil',
  'ceiling',
  'floor',
  'round',
  'trunc',
  'sign',
  'sqrt',
  'power',
  'mod',
  'ln',
  'log',
  'exp',
  'greatest',
  'least',
  'coalesce',
  'nullif',
  'date_trunc',
  'date_part',
  'extract',
  'to_char',
  'now',
  'current_date',
] as const;

/** What PostgreSQL can run, declared for the planner. */
export const POSTGRES_CAPABILITIES: SqlCapabilities = {
  joins: ['inner', 'left', 'right', 'full', 'cross'],
  aggregates: PG_AGGREGATES,
  distinctAggregates: true,
  groupBy: true,
  orderByLimit: true,
  distinct: true,
  subqueries: true,
  windowFunctions: true,
  functions: PG_FUNCTIONS,
};

type Json = Record<string, unknown>;

interface Deparser {
  deparseSync(node: unknown, options?: { pretty?: boolean }): string;
}

let deparser: Deparser | undefined;
function loadDeparser(): Deparser {
  // pgsql-deparser ships CommonJS; loaded on first use so the sdk costs nothing for non-SQL connectors.
  deparser ??= createRequire(import.meta.url)('pgsql-deparser') as Deparser;
  return deparser;
}

/** Options for {@link PostgresDialect}. */
export interface PostgresDialectOptions {
  /**
   * Asked at planning time: true when the source's case mapping is ASCII
   * only (`LC_CTYPE` C), so `upper`, `lower` and `ILIKE` stay with Spoke,
   * whose engine folds all of Unicode.
   */
  readonly asciiCaseMapping?: () => boolean;
}

/** {@link POSTGRES_CAPABILITIES} without what depends on Unicode case mapping. */
const ASCII_CASE_CAPABILITIES: SqlCapabilities = {
  ...POSTGRES_CAPABILITIES,
  functions: PG_FUNCTIONS.filter((f) => f !== 'upper' && f !== 'lower'),
  ilike: false,
};

/**
 * PostgreSQL as a whole-sub-query target: renders libpg-query SELECT trees
 * back to SQL with `pgsql-deparser`, after replacing every literal by a bound
 * parameter (`$n`, cast to the literal's type) whose value goes to `params`.
 *
 * Literals are kept where PostgreSQL gives a constant a meaning a parameter
 * would not have: `ORDER BY 1`/`GROUP BY 1`/`DISTINCT ON (1)` (positions),
 * type modifiers (`numeric(10,2)`), `EXTRACT(field FROM …)` and bit strings.
 * String literals are bound untyped, so PostgreSQL resolves their type from
 * context exactly as it does for a quoted literal (`d > '2020-01-01'`).
 */
export class PostgresDialect implements SqlDialect {
  readonly name = 'postgres';
  readonly #asciiCaseMapping: (() => boolean) | undefined;

  constructor(options: PostgresDialectOptions = {}) {
    this.#asciiCaseMapping = options.asciiCaseMapping;
  }

  /** What PostgreSQL runs with Spoke's meaning; less where the source folds case in ASCII only. */
  get capabilities(): SqlCapabilities {
    return this.#asciiCaseMapping?.() ? ASCII_CASE_CAPABILITIES : POSTGRES_CAPABILITIES;
  }
  /** The expression dialect used for scans (filters, top-N). */
  readonly expressions = new PostgresExpressionDialect();

  quoteIdentifier(name: string): string {
    return this.expressions.quoteIdentifier(name);
  }

  renderSelect(tree: SelectTree): RenderedSql {
    if (!tree || typeof tree !== 'object' || !('SelectStmt' in tree)) {
      throw new SpokeError(ErrorCode.INTERNAL, 'renderSelect expects a { SelectStmt } parse tree');
    }
    const params: ScalarValue[] = [];
    const bound = bindLiterals(tree, params) as SelectTree;
    let sql: string;
    try {
      sql = loadDeparser().deparseSync(bound, { pretty: false });
    } catch (error) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `the postgres dialect cannot render this query: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return { sql, params };
  }
}

function typeCast(arg: unknown, type: string): Json {
  return {
    TypeCast: {
      arg,
      typeName: {
        names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: type } }],
        typemod: -1,
        location: -1,
      },
      location: -1,
    },
  };
}

/** An A_Const as a bound parameter, or `undefined` to leave it inline (NULL, bit strings). */
function bindConst(node: Json, params: ScalarValue[]): Json | undefined {
  if (node.isnull) return undefined;
  const param = () => ({ ParamRef: { number: params.length, location: -1 } });
  if ('ival' in node) {
    params.push(Number((node.ival as Json).ival ?? 0));
    return typeCast(param(), 'int4');
  }
  if ('fval' in node) {
    const text = String((node.fval as Json).fval);
    if (
      /^-?\d+$/.test(text) &&
      BigInt(text) <= 9223372036854775807n &&
      BigInt(text) >= -9223372036854775808n
    ) {
      params.push(BigInt(text));
      return typeCast(param(), 'int8');
    }
    params.push(text);
    return typeCast(param(), 'numeric');
  }
  if ('boolval' in node) {
    params.push(Boolean((node.boolval as Json).boolval));
    return typeCast(param(), 'bool');
  }
  if ('sval' in node) {
    const text = String((node.sval as Json).sval ?? '');
    if (text.includes('\u0000')) {
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        'PostgreSQL strings cannot contain the NUL character (U+0000)',
      );
    }
    params.push(text);
    return param();
  }
  return undefined;
}

const POSITIONAL_LISTS = new Set(['groupClause', 'distinctClause']);

/** A copy of `node` with its literals replaced by parameters (see {@link PostgresDialect}). */
function bindLiterals(node: unknown, params: ScalarValue[]): unknown {
  if (Array.isArray(node)) return node.map((n) => bindLiterals(n, params));
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Json;
  if ('ParamRef' in obj) {
    throw new SpokeError(
      ErrorCode.UNSUPPORTED,
      'the postgres dialect renders trees whose parameters are already substituted',
    );
  }
  if ('A_Const' in obj) return bindConst(obj.A_Const as Json, params) ?? obj;
  if ('TypeName' in obj) return obj; // type modifiers are part of the type, not values
  const out: Json = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'typeName') {
      out[key] = value;
    } else if (key === 'SortBy') {
      const sort = value as Json;
      out[key] = {
        ...(bindLiterals({ ...sort, node: undefined }, params) as Json),
        node: keepPositional(sort.node, params),
      };
    } else if (POSITIONAL_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map((item) => keepPositional(item, params));
    } else if (key === 'FuncCall' && isExtract(value as Json)) {
      const call = value as Json;
      const [field, ...rest] = call.args as unknown[];
      out[key] = { ...call, args: [field, ...(bindLiterals(rest, params) as unknown[])] };
    } else {
      out[key] = bindLiterals(value, params);
    }
  }
  return out;
}

/** `ORDER BY 1` names the first output column: an integer constant there stays a constant. */
function keepPositional(node: unknown, params: ScalarValue[]): unknown {
  if (
    node &&
    typeof node === 'object' &&
    'A_Const' in (node as Json) &&
    'ival' in ((node as Json).A_Const as Json)
  )
    return node;
  return bindLiterals(node, params);
}

function isExtract(call: Json): boolean {
  const names = (call.funcname as Json[] | undefined)?.map((n) => (n.String as Json | undefined)?.sval);
  return names?.[names.length - 1] === 'extract';
}
