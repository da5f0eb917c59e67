/**
 * The allow-list's enforcement: walks a whole parsed statement — select
 * list, FROM items (ROWS FROM, LATERAL), WHERE, GROUP BY, HAVING, windows,
 * ORDER BY, VALUES, sub-queries, CTEs, the SELECT of INSERT and CREATE TABLE
 * AS, EXPLAIN's query — and refuses every function, table function and
 * operator that `allowed-functions.ts` does not list, before anything else
 * looks at the statement. The residual DuckDB can read files and run SQL of
 * its own; this is the wall that keeps user SQL to what Spoke documents,
 * whatever else guards the engine.
 *
 * An unknown function and a forbidden one get the same words, PostgreSQL's
 * (`function read_text(unknown) does not exist`, SQLSTATE 42883): the error
 * says nothing about what DuckDB has.
 *
 * The same pass refuses what would otherwise reach DuckDB by name: a
 * qualified name other than `pg_catalog.` (`main.upper`,
 * `__spoke_pg_1.pg.x`), types and collations of other schemas, TABLESAMPLE
 * methods PostgreSQL lacks, and relations of `pg_catalog` /
 * `information_schema` (or unqualified `pg_*`) that the system catalog does
 * not have — those go to the catalog's DuckDB database by name.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import type { AstNode } from '../parse/ast.js';
import { isSettingsSelect } from '../session/settings-functions.js';
import { INFO_TABLES, PG_TABLES, pgViews } from '../system-catalog/catalog-schema.js';
import {
  type AllowedCallable,
  acceptsArgs,
  allowedCallables,
  CURRENT_SETTINGS,
  isAllowedOperator,
} from './allowed-functions.js';
import { isSystemRelation } from './bind-query.js';

/** Options for {@link checkCallables}. */
export interface CheckCallablesOptions {
  /** The SQL text the statement was parsed from: positions in errors count its characters (locations are UTF-8 bytes). */
  readonly sql?: string;
  /** True for a configured source: `FROM source.table(version => N)` is time travel, which the binder resolves. */
  readonly isSource?: (name: string) => boolean;
}

const FUNCTIONS_HINT = 'Spoke accepts the functions listed in docs/sql-functions.md.';
const OPERATORS_HINT = 'Spoke accepts the operators listed in docs/sql-functions.md.';

/** Relations the system catalog has, by schema (lower case). */
const PG_RELATIONS = new Set([...Object.keys(PG_TABLES), ...Object.keys(pgViews(''))]);
const INFO_RELATIONS = new Set(Object.keys(INFO_TABLES));
const SETTINGS = new Set(CURRENT_SETTINGS.map((s) => s.toLowerCase()));
const TABLESAMPLE_METHODS = new Set(['system', 'bernoulli']);
/**
 * Grammar forms that are calls in all but name, which neither DuckDB nor the
 * deparser handle: refused with what to use instead, not DuckDB's parser text.
 */
const UNSUPPORTED_FORMS: Readonly<Record<string, string>> = {
  XmlExpr: 'XML functions are not supported',
  XmlSerialize: 'XMLSERIALIZE is not supported',
  JsonObjectConstructor: 'JSON_OBJECT is not supported: use to_json(…)',
  JsonArrayConstructor: 'JSON_ARRAY is not supported: use to_json(ARRAY[…])',
  JsonArrayQueryConstructor: 'JSON_ARRAY(SELECT …) is not supported: use to_json(ARRAY(SELECT …))',
  JsonObjectAgg: 'JSON_OBJECTAGG is not supported',
  JsonArrayAgg: 'JSON_ARRAYAGG is not supported',
  JsonFuncExpr:
    'JSON_VALUE, JSON_QUERY and JSON_EXISTS are not supported: use ->, ->> or json_extract_path(…)',
  JsonParseExpr: 'JSON(…) is not supported: cast with ::json',
  JsonScalarExpr: 'JSON_SCALAR is not supported: use to_json(…)',
  JsonSerializeExpr: 'JSON_SERIALIZE is not supported: cast with ::text',
  JsonIsPredicate: 'IS JSON is not supported',
  MergeSupportFunc: 'merge_action() is not supported',
};

/**
 * Refuses `statement` (a parse-tree statement node: `{ SelectStmt: … }`,
 * `{ InsertStmt: … }`, `{ ExplainStmt: … }`…) if it calls anything not on
 * the allow-list; drops the `pg_catalog.` qualifier of the listed functions
 * it accepts (in place), as PostgreSQL resolves them. Throws `INVALID_QUERY` with SQLSTATE 42883 (function or
 * operator), 42809 (wrong kind of call), 42704 (type, collation, sampling
 * method), `TABLE_NOT_FOUND` (42P01) for an unknown system relation, or
 * `UNSUPPORTED` for a listed function in a place it cannot run.
 */
export function checkCallables(statement: AstNode, options: CheckCallablesOptions = {}): void {
  const settingsOnly = statement.SelectStmt !== undefined && isSettingsSelect(statement.SelectStmt);
  new Checker(options, settingsOnly).visit(statement, new Set());
}

class Checker {
  constructor(
    readonly options: CheckCallablesOptions,
    /**
     * True for `SELECT set_config(…), current_setting(…)` and nothing else, which the session answers.
     * Anywhere else `set_config` would reach a source (PostgreSQL's would change its pooled connection's
     * settings) or DuckDB: there it does not exist.
     */
    readonly settingsOnly = false,
  ) {}

  visit(node: unknown, ctes: ReadonlySet<string>): void {
    if (Array.isArray(node)) {
      for (const item of node) this.visit(item, ctes);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as AstNode;
    // A WITH clause's names are visible throughout its statement (its own CTEs too: WITH RECURSIVE).
    const declared = (n.withClause?.ctes ?? []) as AstNode[];
    const scope = declared.length
      ? new Set([...ctes, ...declared.map((c) => c.CommonTableExpr?.ctename as string)])
      : ctes;
    for (const [key, value] of clauseOrder(n)) {
      switch (key) {
        case 'FuncCall':
          this.call(value, 'expression', scope);
          continue;
        case 'RangeFunction':
          this.rangeFunction(value, scope);
          continue;
        case 'RangeVar':
          this.relation(value, scope);
          break;
        case 'A_Expr':
          this.operatorExpression(value);
          break;
        case 'SubLink':
          if (value.operName) this.operator(value.operName, value.location, undefined, undefined);
          break;
        case 'SortBy':
          if (value.useOp) this.operator(value.useOp, value.location, undefined, undefined);
          break;
        case 'TypeName':
        case 'typeName':
          this.typeName(value);
          break;
        case 'CollateClause':
          this.collation(value);
          break;
        case 'RangeTableSample':
          this.tableSample(value);
          break;
        default:
          if (UNSUPPORTED_FORMS[key]) {
            throw new SpokeError(ErrorCode.UNSUPPORTED, UNSUPPORTED_FORMS[key]!, {
              details: { sqlstate: '0A000', ...this.position(value?.location) },
            });
          }
      }
      this.visit(value, scope);
    }
  }

  /** One function call, in an expression or as a FROM item. */
  call(call: AstNode, place: 'expression' | 'from', ctes: ReadonlySet<string>): void {
    const names = ((call.funcname ?? []) as AstNode[]).map((n) => n.String?.sval as string);
    const name = names[names.length - 1]!;
    const qualifiers = names.slice(0, -1);
    const args = (call.args ?? []) as AstNode[];
    const syntax = call.funcformat === 'COERCE_SQL_SYNTAX';
    const candidates = allowedCallables(name).filter(
      (c) =>
        (qualifiers.length === 0 ||
          (qualifiers.length === 1 && (qualifiers[0] === 'pg_catalog' || qualifiers[0] === c.schema))) &&
        (c.syntax === undefined || syntax) &&
        (call.agg_star ? name === 'count' && args.length === 0 : acceptsArgs(c.args, args.length)),
    );
    if (candidates.length === 0 || (name === 'set_config' && !this.settingsOnly))
      throw this.undefinedFunction(names, call);
    const fits = candidates.filter((c) => (place === 'from') === (c.kind === 'table'));
    const entry = fits[0];
    if (!entry) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        place === 'from'
          ? `${name}() cannot be used as a FROM item: the table functions Spoke accepts are listed in docs/sql-functions.md`
          : `${name}() is a table function: use it as a FROM item (FROM ${name}(…))`,
        { details: { sqlstate: '0A000', ...this.position(call.location) } },
      );
    }
    this.checkForm(entry, call);
    if (name === 'current_setting' || name === 'set_config') this.checkSetting(args[0], name);
    // DuckDB reads `pg_catalog.upper(x)` as a method call on a column named pg_catalog; the grammar's own
    // forms (EXTRACT, TRIM…) keep the qualifier, by which the deparser recognises them.
    if (qualifiers[0] === 'pg_catalog' && !syntax) call.funcname = call.funcname.slice(-1);
    this.visit([call.args, call.agg_order, call.agg_filter, call.over], ctes);
  }

  /** Aggregate and window syntax only where PostgreSQL allows it (its messages, SQLSTATE 42809). */
  checkForm(entry: AllowedCallable, call: AstNode): void {
    const aggregate = entry.kind === 'aggregate' || entry.kind === 'ordered-set';
    const wrong = (message: string) =>
      new SpokeError(ErrorCode.INVALID_QUERY, message, {
        details: { sqlstate: '42809', ...this.position(call.location) },
      });
    if (call.over && entry.kind !== 'aggregate' && entry.kind !== 'window')
      throw wrong(`OVER specified, but ${entry.name} is not a window function nor an aggregate function`);
    if (!call.over && entry.kind === 'window')
      throw wrong(`window function ${entry.name} requires an OVER clause`);
    if (call.agg_within_group && entry.kind !== 'ordered-set') {
      throw wrong(
        aggregate
          ? `${entry.name} is not an ordered-set aggregate, so it cannot have WITHIN GROUP`
          : `WITHIN GROUP specified, but ${entry.name} is not an aggregate function`,
      );
    }
    if (!call.agg_within_group && entry.kind === 'ordered-set')
      throw wrong(`WITHIN GROUP is required for ordered-set aggregate ${entry.name}`);
    if (!aggregate) {
      const used = call.agg_distinct
        ? 'DISTINCT'
        : call.agg_order
          ? 'ORDER BY'
          : call.agg_filter
            ? 'FILTER'
            : undefined;
      if (used) throw wrong(`${used} specified, but ${entry.name} is not an aggregate function`);
    }
  }

  /**
   * `current_setting('name')` answers from DuckDB's own settings in a query
   * over sources: only the constant names Spoke's system catalog reports.
   */
  checkSetting(arg: AstNode | undefined, name = 'current_setting'): void {
    const setting = arg?.A_Const?.sval?.sval as string | undefined;
    if (setting === undefined) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `${name}() takes the name of a setting as a string constant in Spoke`,
        { details: { sqlstate: '0A000', ...this.position(arg?.A_Const?.location ?? arg?.location) } },
      );
    }
    if (!SETTINGS.has(setting.toLowerCase())) {
      throw new SpokeError(ErrorCode.INVALID_QUERY, `unrecognized configuration parameter "${setting}"`, {
        details: { sqlstate: '42704', ...this.position(arg?.A_Const?.location) },
      });
    }
  }

  /** A function as a FROM item (each of ROWS FROM's functions), unless it is time travel. */
  rangeFunction(rf: AstNode, ctes: ReadonlySet<string>): void {
    const items = (rf.functions ?? []) as AstNode[];
    for (const item of items) {
      const [expression, columns] = (item.List?.items ?? []) as AstNode[];
      const call = expression?.FuncCall;
      if (!call) {
        throw new SpokeError(
          ErrorCode.UNSUPPORTED,
          'only table functions can be used as FROM items: the ones Spoke accepts are listed in docs/sql-functions.md',
          { details: { sqlstate: '0A000', ...this.position(rf.location) } },
        );
      }
      const names = ((call.funcname ?? []) as AstNode[]).map((n) => n.String?.sval as string);
      // `source.table(version => N)`: the binder turns it into a table reference (or refuses it).
      const timeTravel =
        items.length === 1 && names.length >= 2 && this.options.isSource?.(names[0]!) === true;
      if (timeTravel) this.visit(call.args, ctes);
      else this.call(call, 'from', ctes);
      this.visit(columns, ctes);
    }
    const { functions: _, ...rest } = rf;
    this.visit(rest, ctes);
  }

  /** A system-catalog relation must be one the catalog has: its name goes to DuckDB as written. */
  relation(rv: AstNode, ctes: ReadonlySet<string>): void {
    const schema = rv.schemaname as string | undefined;
    const name = rv.relname as string;
    if (rv.catalogname !== undefined || !isSystemRelation(schema, name)) return;
    if (schema === undefined && ctes.has(name)) return;
    const known =
      schema?.toLowerCase() === 'information_schema' ? INFO_RELATIONS : (PG_RELATIONS as ReadonlySet<string>);
    if (known.has(name.toLowerCase())) return;
    const written = schema === undefined ? name : `${schema}.${name}`;
    throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `relation "${written}" does not exist`, {
      details: { sqlstate: '42P01', ...this.position(rv.location) },
    });
  }

  operatorExpression(expr: AstNode): void {
    if (expr.kind === 'AEXPR_SIMILAR') {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        'SIMILAR TO is not supported: use LIKE or a regular expression (~)',
        { details: { sqlstate: '0A000', ...this.position(expr.location) } },
      );
    }
    // The grammar writes `ESCAPE e` as a call of pg_catalog.like_escape, which DuckDB does not run.
    if ((expr.kind === 'AEXPR_LIKE' || expr.kind === 'AEXPR_ILIKE') && isCall(expr.rexpr, 'like_escape')) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        'LIKE … ESCAPE is not supported: escape with a backslash (the default escape character)',
        { details: { sqlstate: '0A000', ...this.position(expr.rexpr.FuncCall.location) } },
      );
    }
    this.operator(expr.name ?? [], expr.location, expr.lexpr, expr.rexpr);
  }

  /** An operator name (`+`, `OPERATOR(pg_catalog.~)`): listed, and qualified only with pg_catalog. */
  operator(
    nameNodes: AstNode[],
    location: number | undefined,
    left: AstNode | undefined,
    right: AstNode | undefined,
  ): void {
    const names = nameNodes.map((n) => n.String?.sval as string);
    const operator = names[names.length - 1];
    if (operator === undefined) return;
    const qualifiers = names.slice(0, -1);
    const qualifiedOk =
      qualifiers.length === 0 || (qualifiers.length === 1 && qualifiers[0] === 'pg_catalog');
    // BETWEEN, IN, LIKE… carry their own fixed names; only real operators are looked up.
    const fixed = /^[A-Z_ ]+$/.test(operator);
    if (qualifiedOk && (fixed || isAllowedOperator(operator))) return;
    const written = qualifiers.length ? `${qualifiers.join('.')}.${operator}` : operator;
    const operands = [left, right].filter((o) => o !== undefined).map(argumentType);
    const shown =
      operands.length === 2 ? `${operands[0]} ${written} ${operands[1]}` : `${written} ${operands[0] ?? ''}`;
    throw new SpokeError(ErrorCode.INVALID_QUERY, `operator does not exist: ${shown.trim()}`, {
      details: { sqlstate: '42883', hint: OPERATORS_HINT, ...this.position(location) },
    });
  }

  typeName(type: AstNode): void {
    const names = ((type.names ?? []) as AstNode[]).map((n) => n.String?.sval as string);
    if (names.length === 2 && names[0] === 'pg_catalog') {
      // DuckDB resolves a type's alias before its schema (`pg_catalog.oid` → "Type with name BIGINT does not
      // exist"): the name alone means the same built-in type in both engines, and every reader of the tree
      // goes by the last name. (The grammar itself writes `int4`, `bpchar`, `interval`… qualified.)
      type.names = [type.names[1]];
    }
    const last = names.at(-1);
    // PostgreSQL's `name` (an identifier's type) is text to every engine Spoke runs the residual on.
    if (names.length <= 2 && last === 'name') type.names = [{ String: { sval: 'varchar' } }];
    if (names.length <= 1 || (names.length === 2 && names[0] === 'pg_catalog')) return;
    throw new SpokeError(ErrorCode.INVALID_QUERY, `type "${names.join('.')}" does not exist`, {
      details: { sqlstate: '42704', ...this.position(type.location) },
    });
  }

  collation(clause: AstNode): void {
    const names = ((clause.collname ?? []) as AstNode[]).map((n) => n.String?.sval as string);
    if (names.length <= 1 || (names.length === 2 && names[0] === 'pg_catalog')) return;
    throw new SpokeError(ErrorCode.INVALID_QUERY, `collation "${names.join('.')}" does not exist`, {
      details: { sqlstate: '42704', ...this.position(clause.location) },
    });
  }

  tableSample(sample: AstNode): void {
    const names = ((sample.method ?? []) as AstNode[]).map((n) => n.String?.sval as string);
    if (names.length === 1 && TABLESAMPLE_METHODS.has(names[0]!)) return;
    throw new SpokeError(ErrorCode.INVALID_QUERY, `tablesample method "${names.join('.')}" does not exist`, {
      details: { sqlstate: '42704', ...this.position(sample.location) },
    });
  }

  /** PostgreSQL's words for a function it cannot find, whether DuckDB has one by that name or not. */
  undefinedFunction(names: readonly string[], call: AstNode): SpokeError {
    const args = call.agg_star ? '*' : ((call.args ?? []) as AstNode[]).map(argumentType).join(', ');
    return new SpokeError(ErrorCode.INVALID_QUERY, `function ${names.join('.')}(${args}) does not exist`, {
      details: { sqlstate: '42883', hint: FUNCTIONS_HINT, ...this.position(call.location) },
    });
  }

  /** PostgreSQL's `position`: 1-based, in characters of the statement text. */
  position(location: number | undefined): { position?: number } {
    if (typeof location !== 'number' || location < 0) return {};
    const sql = this.options.sql;
    if (sql === undefined) return { position: location + 1 };
    const before = Buffer.from(sql, 'utf8').subarray(0, location).toString('utf8');
    return { position: [...before].length + 1 };
  }
}

/**
 * A node's fields, WITH and FROM first: PostgreSQL resolves a SELECT's FROM
 * before its select list, so the first error it reports (and this one) is
 * about `read_blob` in `SELECT regexp_extract(…) FROM read_blob(…)`.
 */
function clauseOrder(node: AstNode): [string, AstNode][] {
  const entries = Object.entries(node);
  if (!('fromClause' in node)) return entries;
  const first = (key: string) => (key === 'withClause' ? 0 : key === 'fromClause' ? 1 : 2);
  return entries.sort(([a], [b]) => first(a) - first(b));
}

function isCall(node: AstNode | undefined, name: string): boolean {
  const names = (node?.FuncCall?.funcname ?? []) as AstNode[];
  return names[names.length - 1]?.String?.sval === name;
}

/** What an error shows for an argument: a literal's type as PostgreSQL names it, `…` for an expression. */
function argumentType(node: AstNode | undefined): string {
  if (!node) return '…';
  if (node.NamedArgExpr) return `${node.NamedArgExpr.name} => ${argumentType(node.NamedArgExpr.arg)}`;
  const constant = node.A_Const;
  if (constant) {
    if ('ival' in constant) return 'integer';
    if ('fval' in constant) return 'numeric';
    if ('boolval' in constant) return 'boolean';
    if ('bsval' in constant) return 'bit';
    return 'unknown';
  }
  const cast = node.TypeCast?.typeName;
  if (cast) {
    const names = ((cast.names ?? []) as AstNode[]).map((n) => n.String?.sval as string);
    return `${names[names.length - 1]}${cast.arrayBounds ? '[]' : ''}`;
  }
  return '…';
}
