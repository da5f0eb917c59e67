/**
 * Rewrites a PostgreSQL catalog query (psql's `\d`, JDBC's DatabaseMetaData,
 * SQLAlchemy's inspector…) into SQL DuckDB runs against Spoke's shadow
 * catalog. Works on libpg-query's parse tree, then deparses: rewriting text
 * with regular expressions breaks on the first string literal that looks like
 * SQL.
 *
 * What changes:
 * - `pg_catalog.x`, unqualified `pg_x` and `information_schema.x` relations →
 *   the shadow database's tables;
 * - PostgreSQL-only functions (`pg_get_userbyid`, `format_type`, `version`…)
 *   → the shadow database's macros; `pg_catalog.` qualifiers dropped;
 * - `::regclass` / `::regtype` / `::regnamespace` / `::regproc` casts → name
 *   or OID lookups; PostgreSQL-only type names (`name`, `oid`, `"char"`…) →
 *   DuckDB types;
 * - `~`, `!~`, `~*`, `!~*` (and `OPERATOR(pg_catalog.~)`) → `regexp_matches`;
 * - `COLLATE pg_catalog.default` dropped;
 * - `current_user`, `current_catalog`… → constants;
 * - a single-column function in FROM (`generate_series(1, 3) s`) gets its
 *   alias as column name, as PostgreSQL does.
 */

import { ErrorCode, SpokeError } from '@spoke/core';
import { parseSync } from 'libpg-query';
import { deparseSync } from 'pgsql-deparser';
import { guardDivisions } from '../executor/division-by-zero.js';
import { hideMisfoldedConstant } from '../executor/misfolded-constants.js';
import { rewritePostgresFunctions } from '../executor/postgres-functions.js';
import { valueFunctionCall } from '../executor/value-functions.js';
import { refuseWithTies } from '../executor/with-ties.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import { nameTargets } from '../parse/figure-colname.js';

/** Names the rewrite needs to know. */
export interface RewriteTarget {
  /** The attached shadow database (`__spoke_pg_1`). */
  readonly database: string;
  /** PostgreSQL function names (lower case) implemented as macros in `<database>.pg`. */
  readonly macros: ReadonlySet<string>;
  /** Value of `current_user`, `session_user`… */
  readonly user: string;
  /** Value of `current_database()` / `current_catalog`. */
  readonly databaseName: string;
}

/** Schema (inside the shadow database) holding the pg_catalog tables and the macros. */
export const PG_SCHEMA = 'pg';
/** Schema (inside the shadow database) holding the information_schema tables. */
export const INFO_SCHEMA = 'pg_info';

/** PostgreSQL type names DuckDB lacks, and what to cast to instead. */
const TYPE_MAP: Readonly<Record<string, string>> = {
  name: 'varchar',
  text: 'varchar',
  char: 'varchar',
  bpchar: 'varchar',
  cstring: 'varchar',
  oid: 'bigint',
  xid: 'bigint',
  cid: 'bigint',
  tid: 'varchar',
  regoper: 'bigint',
  regoperator: 'bigint',
  regconfig: 'bigint',
  regdictionary: 'bigint',
  regrole: 'bigint',
  int2vector: 'smallint[]',
  oidvector: 'bigint[]',
  pg_node_tree: 'varchar',
  aclitem: 'varchar',
  json: 'varchar',
  jsonb: 'varchar',
  bytea: 'blob',
  anyarray: 'varchar',
};

const REGEX_OPERATORS: Readonly<Record<string, { negate: boolean; flags?: string }>> = {
  '~': { negate: false },
  '!~': { negate: true },
  '~*': { negate: false, flags: 'i' },
  '!~*': { negate: true, flags: 'i' },
};

function str(node: AstNode | undefined): string | undefined {
  return node?.String?.sval;
}

function stringNode(value: string): AstNode {
  return { String: { sval: value } };
}

function stringConst(value: string): AstNode {
  return { A_Const: { sval: { sval: value } } };
}

function funcCall(names: string[], args: AstNode[]): AstNode {
  return { FuncCall: { funcname: names.map(stringNode), args, funcformat: 'COERCE_EXPLICIT_CALL' } };
}

function isStringConst(node: AstNode | undefined): string | undefined {
  return node?.A_Const?.sval?.sval;
}

/** Rewrites one SELECT (the engine hands over one statement at a time). */
export function rewriteSystemSql(sql: string, target: RewriteTarget): string {
  let tree: { stmts?: { stmt: AstNode }[] };
  try {
    tree = parseSync(sql) as typeof tree;
  } catch (error) {
    throw new SpokeError(ErrorCode.SYNTAX_ERROR, (error as Error).message, { cause: error });
  }
  const statements = tree.stmts ?? [];
  if (statements.length !== 1) throw new SpokeError(ErrorCode.UNSUPPORTED, 'send one statement at a time');
  const statement = statements[0]!.stmt;
  nameTargets(statement);
  typeNullTargets(statement, false);
  const rewritten = rewriteNode(statement, target);
  // PostgreSQL's answers for the functions DuckDB answers differently (before divisions are guarded).
  rewritePostgresFunctions(rewritten);
  guardDivisions(rewritten);
  walkAst(rewritten, (node) => {
    refuseWithTies(node);
    return hideMisfoldedConstant(node) ? false : undefined;
  });
  return deparseSync(rewritten as never);
}

/**
 * A bare `NULL` in a select list is `text` to PostgreSQL's client (JDBC's
 * `SELECT NULL AS TABLE_CAT`), an integer to DuckDB: typed as text, except in
 * the branches of a UNION, where PostgreSQL takes the other branches' type.
 */
function typeNullTargets(node: unknown, inSetOperation: boolean): void {
  if (Array.isArray(node)) {
    for (const item of node) typeNullTargets(item, inSetOperation);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const select = (node as AstNode).SelectStmt;
  if (select) {
    const setOperation = select.op !== undefined && select.op !== 'SETOP_NONE';
    if (!inSetOperation && !setOperation) {
      for (const target of (select.targetList ?? []) as AstNode[]) {
        const res = target.ResTarget;
        if (res?.val?.A_Const?.isnull) res.val = castTo(res.val, 'varchar');
      }
    }
    for (const [key, value] of Object.entries(select)) {
      if (key === 'targetList' && !inSetOperation && !setOperation) {
        for (const target of value as AstNode[]) typeNullTargets(target.ResTarget?.val, false);
      } else typeNullTargets(value, setOperation && (key === 'larg' || key === 'rarg'));
    }
    return;
  }
  for (const value of Object.values(node)) typeNullTargets(value, false);
}

function macro(name: string, target: RewriteTarget, args: AstNode[]): AstNode {
  return funcCall([target.database, PG_SCHEMA, name], args);
}

/** Post-order rewrite: children first, then the node itself. */
function rewriteNode(node: unknown, target: RewriteTarget): AstNode {
  if (Array.isArray(node)) return node.map((item) => rewriteNode(item, target)) as unknown as AstNode;
  if (node === null || typeof node !== 'object') return node as AstNode;
  const out: AstNode = {};
  for (const [key, value] of Object.entries(node)) out[key] = rewriteNode(value, target);
  return rewriteOne(out, target);
}

function rewriteOne(node: AstNode, target: RewriteTarget): AstNode {
  if (node.RangeVar) {
    const rv = node.RangeVar;
    const schema = rv.schemaname?.toLowerCase();
    const relname = String(rv.relname);
    if (rv.catalogname === undefined) {
      if (schema === 'pg_catalog' || (schema === undefined && relname.toLowerCase().startsWith('pg_'))) {
        return { RangeVar: { ...rv, catalogname: target.database, schemaname: PG_SCHEMA } };
      }
      if (schema === 'information_schema') {
        return { RangeVar: { ...rv, catalogname: target.database, schemaname: INFO_SCHEMA } };
      }
    }
    return node;
  }
  if (node.FuncCall) {
    const call = node.FuncCall;
    const names = (call.funcname as AstNode[]).map((n) => str(n) ?? '');
    const name = names[names.length - 1]!.toLowerCase();
    const qualifier = names.length > 1 ? names[names.length - 2]!.toLowerCase() : undefined;
    if (qualifier === undefined || qualifier === 'pg_catalog' || qualifier === 'information_schema') {
      if (target.macros.has(name))
        return { FuncCall: { ...call, funcname: [target.database, PG_SCHEMA, name].map(stringNode) } };
      // `EXTRACT(year FROM d)`, `TRIM(x)`, `SUBSTRING(x FROM 2)`: the deparser writes these back as SQL syntax,
      // which DuckDB reads, only while they keep the grammar's `pg_catalog.` name.
      if (call.funcformat === 'COERCE_SQL_SYNTAX') return node;
      if (qualifier !== undefined) return { FuncCall: { ...call, funcname: [stringNode(name)] } };
    }
    return node;
  }
  if (node.SQLValueFunction) {
    const op = String(node.SQLValueFunction.op);
    if (/CURRENT_USER|CURRENT_ROLE|SESSION_USER|SVFOP_USER/.test(op)) return stringConst(target.user);
    if (op.includes('CURRENT_CATALOG')) return stringConst(target.databaseName);
    if (op.includes('CURRENT_SCHEMA')) return stringConst('public');
    return valueFunctionCall(node) ?? node;
  }
  if (node.CollateClause) return node.CollateClause.arg;
  if (node.A_Expr) {
    const expr = node.A_Expr;
    const names = ((expr.name ?? []) as AstNode[]).map((n) => str(n) ?? '');
    const operator = names[names.length - 1] ?? '';
    if (expr.kind === 'AEXPR_OP' && REGEX_OPERATORS[operator]) {
      const { negate, flags } = REGEX_OPERATORS[operator]!;
      const call = funcCall(
        ['regexp_matches'],
        [expr.lexpr, expr.rexpr, ...(flags ? [stringConst(flags)] : [])],
      );
      return negate ? { BoolExpr: { boolop: 'NOT_EXPR', args: [call] } } : call;
    }
    // `a.attnum = ANY(ix.indkey)`: DuckDB plans ANY over a column as a sub-query, which it refuses in an outer
    // join's ON (SQLAlchemy's get_indexes); list_contains is the same test (false, not NULL, when a NULL element
    // does not match — alike in ON and WHERE).
    if (expr.kind === 'AEXPR_OP_ANY' && operator === '=' && expr.rexpr?.ColumnRef)
      return funcCall(['list_contains'], [expr.rexpr, expr.lexpr]);
    if (names.length > 1) return { A_Expr: { ...expr, name: [stringNode(operator)] } };
    return node;
  }
  if (node.TypeCast) return rewriteCast(node.TypeCast, target);
  if (node.RangeFunction) {
    const rf = node.RangeFunction;
    const only =
      rf.functions?.length === 1 ? (rf.functions[0].List?.items?.[0] as AstNode | undefined) : undefined;
    const called = (only?.FuncCall?.funcname as AstNode[] | undefined)?.map((n) => str(n));
    const columnOf = (fallback: string) =>
      (rf.alias?.colnames?.[0] ? str(rf.alias.colnames[0]) : rf.alias?.aliasname) ?? fallback;
    // DuckDB refuses sub-queries in a table function's arguments, and the macros (`current_setting`…) are
    // sub-queries: `FROM generate_series(lo, hi) AS k` → `FROM (SELECT unnest(generate_series(lo, hi)) AS k) AS k`.
    if (
      called?.length === 1 &&
      called[0] === 'generate_series' &&
      !rf.ordinality &&
      JSON.stringify(only?.FuncCall?.args ?? []).includes(`"sval":"${target.database}"`)
    ) {
      const column = columnOf('generate_series');
      return subselectOf(funcCall(['unnest'], [only!]), column, rf.alias?.aliasname ?? column);
    }
    // PostgreSQL takes a scalar function as a FROM item (one row, one column named after the alias); DuckDB
    // does not, and the macros are scalar: `FROM string_to_array(…) AS p` → `FROM (SELECT string_to_array(…) AS p) AS p`.
    if (called?.[0] === target.database && target.macros.has(called.at(-1)!) && !rf.ordinality) {
      const column = columnOf(called.at(-1)!);
      return subselectOf(only!, column, rf.alias?.aliasname ?? column);
    }
    // PostgreSQL: a function returning one column, aliased without a column list, names its column after the alias.
    if (rf.alias && !rf.alias.colnames && (rf.functions?.length ?? 0) === 1 && !rf.ordinality) {
      return { RangeFunction: { ...rf, alias: { ...rf.alias, colnames: [stringNode(rf.alias.aliasname)] } } };
    }
    return node;
  }
  return node;
}

/** `(SELECT value AS column) AS alias`, a FROM item. */
function subselectOf(value: AstNode, column: string, alias: string): AstNode {
  return {
    RangeSubselect: {
      subquery: {
        SelectStmt: {
          targetList: [{ ResTarget: { name: column, val: value } }],
          limitOption: 'LIMIT_OPTION_DEFAULT',
          op: 'SETOP_NONE',
        },
      },
      alias: { aliasname: alias },
    },
  };
}

function rewriteCast(cast: AstNode, target: RewriteTarget): AstNode {
  const typeName = cast.typeName as AstNode;
  const names = ((typeName.names ?? []) as AstNode[]).map((n) => str(n) ?? '');
  const type = names[names.length - 1]!.toLowerCase();
  const isArray = (typeName.arrayBounds?.length ?? 0) > 0;
  const arg = cast.arg as AstNode;
  const constant = isStringConst(arg);
  if (!isArray) {
    switch (type) {
      case 'regclass':
        return constant !== undefined
          ? macro('regclass_oid', target, [arg])
          : macro('regclass_name', target, [arg]);
      case 'regtype':
        return constant !== undefined
          ? macro('regtype_oid', target, [arg])
          : macro('format_type', target, [arg, { A_Const: { isnull: true } }]);
      case 'regnamespace':
        return constant !== undefined
          ? macro('regnamespace_oid', target, [arg])
          : macro('regnamespace_name', target, [arg]);
      case 'regproc':
      case 'regprocedure':
        // Procedures are compared by name (`typinput = 'array_in'::regproc`); pg_type stores the names.
        return constant !== undefined
          ? stringConst(constant.replace(/^pg_catalog\./, ''))
          : castTo(arg, 'varchar', typeName);
    }
  }
  // `'t'::regclass::text` is the relation's name again, not its OID.
  const lookup = (arg.FuncCall?.funcname as AstNode[] | undefined)?.map((n) => str(n)).at(-1);
  const TEXT_TYPES = ['text', 'varchar', 'name', 'bpchar'];
  if (!isArray && TEXT_TYPES.includes(type) && lookup !== undefined) {
    if (lookup === 'regclass_oid') return macro('regclass_name', target, [arg]);
    if (lookup === 'regtype_oid') return macro('format_type', target, [arg, { A_Const: { isnull: true } }]);
    if (lookup === 'regnamespace_oid') return macro('regnamespace_name', target, [arg]);
  }
  const mapped = TYPE_MAP[type];
  if (mapped !== undefined) return castTo(arg, mapped, isArray ? typeName : undefined);
  if (names.length > 1)
    return { TypeCast: { ...cast, typeName: { ...typeName, names: [stringNode(type)] } } };
  return { TypeCast: cast };
}

function castTo(arg: AstNode, duckType: string, arrayOf?: AstNode): AstNode {
  const base = duckType.replace(/\[\]$/, '');
  const bounds =
    duckType.endsWith('[]') || (arrayOf?.arrayBounds?.length ?? 0) > 0
      ? [{ Integer: { ival: -1 } }]
      : undefined;
  return {
    TypeCast: {
      arg,
      typeName: { names: [stringNode(base)], typemod: -1, ...(bounds ? { arrayBounds: bounds } : {}) },
    },
  };
}
