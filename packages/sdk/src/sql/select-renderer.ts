/**
 * Renders a libpg-query SELECT tree (`{ SelectStmt }`) in another SQL
 * dialect, for whole sub-query push-down to sources that do not speak
 * PostgreSQL. `@spoke/sdk`'s PostgreSQL dialect deparses trees with
 * `pgsql-deparser`, which only writes PostgreSQL; this walker writes the
 * subset of SELECT the dialect declares in its capabilities, quoting through
 * the dialect and binding every literal as a parameter.
 *
 * Anything outside that subset throws `UNSUPPORTED`, and the planner keeps
 * that part of the query in DuckDB.
 *
 * Used by the MySQL and Snowflake connectors (their dialects implement
 * {@link SelectDialect}).
 */
import {
  arrow,
  ErrorCode,
  type RenderedSql,
  type ScalarType,
  type ScalarValue,
  type SelectTree,
  SpokeError,
} from '@spoke/core';
import type { SqlColumn, SqlTableDescription } from '../sql-source/sql-source-types.js';
import { type ExpressionDialect, LONG_VALUE_LIST } from './expression-dialect.js';

type Json = Record<string, unknown>;

/** What a dialect supplies to {@link renderSelectTree}. */
export interface SelectDialect {
  readonly name: string;
  /** Quoting, placeholders and literal rendering. */
  readonly expressions: ExpressionDialect;
  /** Whether `FULL [OUTER] JOIN` exists. */
  readonly fullJoin: boolean;
  /** A column reference; `column` is its description when the table is known (for collation wrapping). */
  columnRef(qualifier: string | undefined, name: string, column: SqlColumn | undefined): string;
  /** A function call (lower-case PostgreSQL name, rendered arguments), or `undefined` when the dialect has none. */
  renderFunction(
    name: string,
    args: readonly string[],
    options: { star: boolean; distinct: boolean },
  ): string | undefined;
  /** The dialect's type for `CAST(x AS pgType(mods))`, or `undefined`. */
  castType(pgType: string, mods: readonly number[]): string | undefined;
  /** `a || b` (string concatenation). */
  concat(left: string, right: string): string;
  /** The LIMIT/OFFSET clause (with a leading space), or '' when neither is set. */
  limitClause(count: string | undefined, offset: string | undefined): string;
  /** A described table by its source name, or `undefined` when it has not been described. */
  resolveTable(schema: string | undefined, name: string): SqlTableDescription | undefined;
}

function unsupported(dialect: SelectDialect, what: string): SpokeError {
  return new SpokeError(ErrorCode.UNSUPPORTED, `the ${dialect.name} dialect cannot render ${what}`);
}

function str(node: unknown): string {
  return String(((node as Json).String as Json | undefined)?.sval ?? '');
}

interface Scope {
  readonly tables: Map<string, SqlTableDescription | undefined>;
  readonly parent: Scope | undefined;
}

const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);
const ARITHMETIC = new Set(['+', '-', '*']);

/** Renders one SELECT tree in `dialect`, literals bound as parameters. */
export function renderSelectTree(dialect: SelectDialect, tree: SelectTree): RenderedSql {
  if (!tree || typeof tree !== 'object' || !('SelectStmt' in tree)) {
    throw new SpokeError(ErrorCode.INTERNAL, 'renderSelect expects a { SelectStmt } parse tree');
  }
  const params: ScalarValue[] = [];
  const d = dialect;
  const q = (name: string) => d.expressions.quoteIdentifier(name);

  const bind = (value: ScalarValue, type: ScalarType): string => {
    const placeholder = d.expressions.placeholder(params.length + 1, type);
    if (placeholder === undefined) return d.expressions.renderLiteral(value, type);
    params.push(d.expressions.bindValue ? d.expressions.bindValue(value, type) : value);
    return placeholder;
  };

  const constant = (c: Json): string => {
    if (c.isnull) return 'NULL';
    if ('ival' in c) return bind(BigInt(Number((c.ival as Json).ival ?? 0)), { id: 'int64' });
    if ('fval' in c) {
      const text = String((c.fval as Json).fval);
      if (/^-?\d+$/.test(text)) {
        const n = BigInt(text);
        if (n <= 9223372036854775807n && n >= -9223372036854775808n) return bind(n, { id: 'int64' });
        return bind(text, { id: 'decimal', precision: 38, scale: 0 });
      }
      if (/^-?\d*\.\d+$/.test(text) || /^-?\d+\.\d*$/.test(text)) {
        const scale = text.split('.')[1]!.length;
        const digits = text.replace(/[-.]/g, '').replace(/^0+/, '').length;
        return bind(text, { id: 'decimal', precision: Math.min(38, Math.max(digits, scale + 1)), scale });
      }
      return bind(Number(text), { id: 'float64' });
    }
    if ('boolval' in c) return bind(Boolean((c.boolval as Json).boolval), { id: 'bool' });
    if ('sval' in c) return bind(String((c.sval as Json).sval ?? ''), { id: 'utf8' });
    throw unsupported(d, 'this constant');
  };

  const resolveColumn = (
    scope: Scope | undefined,
    qualifier: string | undefined,
    name: string,
  ): SqlColumn | undefined => {
    for (let s = scope; s; s = s.parent) {
      if (qualifier !== undefined) {
        if (s.tables.has(qualifier)) return s.tables.get(qualifier)?.columns.find((c) => c.name === name);
        continue;
      }
      for (const table of s.tables.values()) {
        const found = table?.columns.find((c) => c.name === name);
        if (found) return found;
      }
    }
    return undefined;
  };

  const expr = (node: unknown, scope: Scope): string => {
    const n = node as Json;
    if ('ColumnRef' in n) {
      const fields = ((n.ColumnRef as Json).fields as Json[]) ?? [];
      if (fields.some((f) => 'A_Star' in f)) {
        if (fields.length === 1) return '*';
        return `${fields
          .slice(0, -1)
          .map((f) => q(str(f)))
          .join('.')}.*`;
      }
      const names = fields.map(str);
      if (names.length > 2) throw unsupported(d, 'a column reference with a schema qualifier');
      const qualifier = names.length === 2 ? names[0] : undefined;
      const name = names[names.length - 1]!;
      return d.columnRef(qualifier, name, resolveColumn(scope, qualifier, name));
    }
    if ('A_Const' in n) return constant(n.A_Const as Json);
    if ('ParamRef' in n) throw unsupported(d, 'an unbound parameter');
    if ('TypeCast' in n) {
      const cast = n.TypeCast as Json;
      const typeName = cast.typeName as Json;
      const names = ((typeName.names as Json[]) ?? []).map(str).filter((s) => s !== 'pg_catalog');
      if (typeName.arrayBounds) throw unsupported(d, 'an array cast');
      const mods = ((typeName.typmods as Json[]) ?? []).map((m) =>
        Number(((m.A_Const as Json)?.ival as Json)?.ival ?? 0),
      );
      const target = d.castType(names.join('.').toLowerCase(), mods);
      if (!target) throw unsupported(d, `a cast to ${names.join('.')}`);
      return `CAST(${expr(cast.arg, scope)} AS ${target})`;
    }
    if ('A_Expr' in n) return aExpr(n.A_Expr as Json, scope);
    if ('BoolExpr' in n) {
      const b = n.BoolExpr as Json;
      const args = (b.args as unknown[]).map((a) => expr(a, scope));
      if (b.boolop === 'NOT_EXPR') return `(NOT ${args[0]})`;
      return `(${args.join(b.boolop === 'AND_EXPR' ? ' AND ' : ' OR ')})`;
    }
    if ('NullTest' in n) {
      const t = n.NullTest as Json;
      return `(${expr(t.arg, scope)} IS ${t.nulltesttype === 'IS_NOT_NULL' ? 'NOT ' : ''}NULL)`;
    }
    if ('BooleanTest' in n) {
      const t = n.BooleanTest as Json;
      const kinds: Record<string, string> = {
        IS_TRUE: 'IS TRUE',
        IS_NOT_TRUE: 'IS NOT TRUE',
        IS_FALSE: 'IS FALSE',
        IS_NOT_FALSE: 'IS NOT FALSE',
        IS_UNKNOWN: 'IS NULL',
        IS_NOT_UNKNOWN: 'IS NOT NULL',
      };
      return `(${expr(t.arg, scope)} ${kinds[String(t.booltesttype)]})`;
    }
    if ('CoalesceExpr' in n)
      return `COALESCE(${((n.CoalesceExpr as Json).args as unknown[]).map((a) => expr(a, scope)).join(', ')})`;
    if ('MinMaxExpr' in n) {
      const m = n.MinMaxExpr as Json;
      return `${m.op === 'IS_GREATEST' ? 'GREATEST' : 'LEAST'}(${(m.args as unknown[]).map((a) => expr(a, scope)).join(', ')})`;
    }
    if ('CaseExpr' in n) {
      const c = n.CaseExpr as Json;
      let sql = 'CASE';
      if (c.arg) sql += ` ${expr(c.arg, scope)}`;
      for (const w of c.args as Json[]) {
        const when = w.CaseWhen as Json;
        sql += ` WHEN ${expr(when.expr, scope)} THEN ${expr(when.result, scope)}`;
      }
      if (c.defresult) sql += ` ELSE ${expr(c.defresult, scope)}`;
      return `(${sql} END)`;
    }
    if ('FuncCall' in n) {
      const f = n.FuncCall as Json;
      if (f.over) throw unsupported(d, 'a window function');
      if (f.agg_filter || f.agg_order || f.agg_within_group)
        throw unsupported(d, 'an aggregate with FILTER, ORDER BY or WITHIN GROUP');
      const name = ((f.funcname as Json[]) ?? [])
        .map(str)
        .filter((s) => s !== 'pg_catalog')
        .join('.')
        .toLowerCase();
      const args = ((f.args as unknown[]) ?? []).map((a) => expr(a, scope));
      const rendered = d.renderFunction(name, args, {
        star: Boolean(f.agg_star),
        distinct: Boolean(f.agg_distinct),
      });
      if (rendered === undefined) throw unsupported(d, `the function ${name}()`);
      return rendered;
    }
    if ('SubLink' in n) {
      const s = n.SubLink as Json;
      const sub = select(s.subselect as Json, scope);
      switch (s.subLinkType) {
        case 'EXISTS_SUBLINK':
          return `(EXISTS (${sub}))`;
        case 'EXPR_SUBLINK':
          return `(${sub})`;
        case 'ANY_SUBLINK': {
          const op = ((s.operName as Json[]) ?? []).map(str)[0] ?? '=';
          if (op !== '=') throw unsupported(d, `${op} ANY (sub-query)`);
          return `(${expr(s.testexpr, scope)} IN (${sub}))`;
        }
        default:
          throw unsupported(d, `a ${String(s.subLinkType)} sub-query`);
      }
    }
    throw unsupported(d, `the expression ${Object.keys(n)[0]}`);
  };

  // PostgreSQL's LIKE escapes with `\`; dialects without that default name it.
  const likeEscape = () => (d.expressions.likeEscape ? ` ${d.expressions.likeEscape}` : '');

  // `x % 0` raises 22012 in PostgreSQL; engines that answer NULL guard the divisor, or keep it local.
  const divisor = (node: Json, scope: Scope): string => {
    const c = node.A_Const as Json | undefined;
    const value = c
      ? (((c.ival as Json)?.ival ?? (c.fval as Json)?.fval ?? (c.ival ? 0 : undefined)) as unknown)
      : undefined;
    const rendered = expr(node, scope);
    if (value !== undefined && Number(value) !== 0) return rendered;
    if (d.expressions.guardDivisor) return d.expressions.guardDivisor(rendered);
    throw unsupported(d, '% by a divisor that may be zero');
  };

  /**
   * A long `IN` list of plain constants as one array, where the dialect
   * takes arrays in a form of its own (`ExpressionDialect.valueArray`: a
   * join's keys sent to a whole statement, by the hundred thousand, in one
   * bound value). Integers always; strings against a text column only.
   */
  const arrayForm = (a: Json, scope: Scope, negated: boolean): string | undefined => {
    const e = d.expressions;
    if (!e.valueListsAsArrays || !e.valueArray) return undefined;
    const items = (((a.rexpr as Json).List as Json | undefined)?.items as Json[] | undefined) ?? [];
    if (items.length < LONG_VALUE_LIST) return undefined;
    const constants = items.map((i) => i.A_Const as Json | undefined);
    let type: ScalarType | undefined;
    let values: ScalarValue[];
    if (
      constants.every(
        (c) => c && !c.isnull && ('ival' in c || /^-?\d+$/.test(String((c.fval as Json)?.fval))),
      )
    ) {
      type = { id: 'int64' };
      values = constants.map((c) =>
        'ival' in c! ? BigInt(Number((c!.ival as Json).ival ?? 0)) : BigInt(String((c!.fval as Json).fval)),
      );
    } else if (constants.every((c) => c && !c.isnull && 'sval' in c)) {
      type = { id: 'utf8' };
      values = constants.map((c) => String((c!.sval as Json).sval ?? ''));
    } else {
      return undefined;
    }
    const ref = (a.lexpr as Json).ColumnRef as Json | undefined;
    const names = ref ? ((ref.fields as Json[]) ?? []).map(str) : [];
    const column =
      names.length === 1 || names.length === 2
        ? resolveColumn(scope, names.length === 2 ? names[0] : undefined, names[names.length - 1]!)
        : undefined;
    // A string array only against a column known to hold text; integers compare with any number.
    const operand =
      column &&
      (type.id !== 'utf8' ||
        arrow.DataType.isUtf8(column.field.type) ||
        arrow.DataType.isLargeUtf8(column.field.type))
        ? ({ kind: 'column', name: column.name } as const)
        : undefined;
    if (type.id === 'utf8' && !operand) return undefined;
    const form = e.valueArray(operand, type, values);
    if (!form) return undefined;
    const operandSql = expr(a.lexpr, scope);
    return form(operandSql, bind(values, { id: 'list', item: type }), negated);
  };

  const aExpr = (a: Json, scope: Scope): string => {
    const op = ((a.name as Json[]) ?? []).map(str)[0] ?? '';
    const l = () => expr(a.lexpr, scope);
    const items = () => (((a.rexpr as Json).List as Json).items as unknown[]).map((i) => expr(i, scope));
    switch (a.kind) {
      case 'AEXPR_OP':
        if (!a.lexpr) {
          if (op === '-') return `(- ${expr(a.rexpr, scope)})`;
          throw unsupported(d, `the prefix operator ${op}`);
        }
        if (COMPARISONS.has(op)) return `(${l()} ${op === '!=' ? '<>' : op} ${expr(a.rexpr, scope)})`;
        if (op === '%') return `(${l()} % ${divisor(a.rexpr as Json, scope)})`;
        if (ARITHMETIC.has(op)) return `(${l()} ${op} ${expr(a.rexpr, scope)})`;
        if (op === '||') return d.concat(l(), expr(a.rexpr, scope));
        // `/` truncates on integers in PostgreSQL but not in MySQL or Snowflake; without types it stays local.
        throw unsupported(d, `the operator ${op}`);
      case 'AEXPR_IN': {
        const array = arrayForm(a, scope, op === '<>');
        if (array) return array;
        return `(${l()} ${op === '<>' ? 'NOT IN' : 'IN'} (${items().join(', ')}))`;
      }
      case 'AEXPR_LIKE':
        return `(${l()} ${op === '!~~' ? 'NOT LIKE' : 'LIKE'} ${expr(a.rexpr, scope)}${likeEscape()})`;
      case 'AEXPR_ILIKE': {
        const not = op === '!~~*' ? 'NOT ' : '';
        const ilike = d.renderFunction('__ilike', [l(), `${expr(a.rexpr, scope)}${likeEscape()}`], {
          star: false,
          distinct: false,
        });
        if (ilike === undefined) throw unsupported(d, 'ILIKE');
        return not ? `(NOT ${ilike})` : ilike;
      }
      case 'AEXPR_BETWEEN':
      case 'AEXPR_NOT_BETWEEN': {
        const [low, high] = items();
        return `(${l()} ${a.kind === 'AEXPR_NOT_BETWEEN' ? 'NOT BETWEEN' : 'BETWEEN'} ${low} AND ${high})`;
      }
      case 'AEXPR_NULLIF':
        return `NULLIF(${l()}, ${expr(a.rexpr, scope)})`;
      default:
        throw unsupported(d, `the expression kind ${String(a.kind)}`);
    }
  };

  const fromItem = (node: unknown, scope: Scope): string => {
    const n = node as Json;
    if ('RangeVar' in n) {
      const r = n.RangeVar as Json;
      const name = String(r.relname);
      const schema = r.schemaname === undefined ? undefined : String(r.schemaname);
      if (r.catalogname) throw unsupported(d, 'a three-part table name');
      const alias = (r.alias as Json | undefined)?.aliasname as string | undefined;
      if ((r.alias as Json | undefined)?.colnames) throw unsupported(d, 'a table alias with column names');
      scope.tables.set(alias ?? name, d.resolveTable(schema, name));
      const qualified = schema === undefined ? q(name) : `${q(schema)}.${q(name)}`;
      return alias ? `${qualified} AS ${q(alias)}` : qualified;
    }
    if ('RangeSubselect' in n) {
      const r = n.RangeSubselect as Json;
      if (r.lateral) throw unsupported(d, 'LATERAL');
      const alias = (r.alias as Json | undefined)?.aliasname as string | undefined;
      if (!alias || (r.alias as Json).colnames) throw unsupported(d, 'a sub-query without a plain alias');
      const sql = select((r.subquery as Json).SelectStmt ? (r.subquery as Json) : (r.subquery as Json), {
        tables: new Map(),
        parent: scope.parent,
      });
      scope.tables.set(alias, undefined);
      return `(${sql}) AS ${q(alias)}`;
    }
    if ('JoinExpr' in n) {
      const j = n.JoinExpr as Json;
      if (j.isNatural || j.usingClause || j.alias) throw unsupported(d, 'NATURAL, USING or an aliased join');
      const left = fromItem(j.larg, scope);
      const right = fromItem(j.rarg, scope);
      const kinds: Record<string, string> = {
        JOIN_INNER: 'INNER JOIN',
        JOIN_LEFT: 'LEFT JOIN',
        JOIN_RIGHT: 'RIGHT JOIN',
        JOIN_FULL: 'FULL JOIN',
      };
      const kind = kinds[String(j.jointype)];
      if (!kind || (j.jointype === 'JOIN_FULL' && !d.fullJoin))
        throw unsupported(d, `a ${String(j.jointype)}`);
      if (!j.quals) {
        if (j.jointype !== 'JOIN_INNER') throw unsupported(d, 'an outer join without ON');
        return `(${left} CROSS JOIN ${right})`;
      }
      return `(${left} ${kind} ${right} ON ${expr(j.quals, scope)})`;
    }
    throw unsupported(d, `the FROM item ${Object.keys(n)[0]}`);
  };

  const positional = (node: unknown, scope: Scope): string => {
    const c = (node as Json).A_Const as Json | undefined;
    if (c && 'ival' in c) return String(Number((c.ival as Json).ival ?? 0));
    return expr(node, scope);
  };

  const select = (stmtNode: Json, outer: Scope | undefined): string => {
    const s = (stmtNode.SelectStmt ?? stmtNode) as Json;
    if (s.withClause) throw unsupported(d, 'WITH');
    if (s.op && s.op !== 'SETOP_NONE') {
      const ops: Record<string, string> = {
        SETOP_UNION: 'UNION',
        SETOP_INTERSECT: 'INTERSECT',
        SETOP_EXCEPT: 'EXCEPT',
      };
      if (s.op !== 'SETOP_UNION') throw unsupported(d, String(s.op));
      const sql = `(${select(s.larg as Json, outer)}) ${ops[String(s.op)]}${s.all ? ' ALL' : ''} (${select(s.rarg as Json, outer)})`;
      if (s.sortClause || s.limitCount || s.limitOffset) throw unsupported(d, 'ORDER BY or LIMIT on a UNION');
      return sql;
    }
    if (s.valuesLists || s.intoClause || s.lockingClause || s.windowClause)
      throw unsupported(d, 'this SELECT form');
    if (s.distinctClause && (s.distinctClause as Json[]).some((x) => Object.keys(x).length > 0))
      throw unsupported(d, 'DISTINCT ON');
    const scope: Scope = { tables: new Map(), parent: outer };
    const from = ((s.fromClause as unknown[]) ?? []).map((f) => fromItem(f, scope));
    const values: string[] = [];
    const targets = ((s.targetList as Json[]) ?? []).map((t) => {
      const r = t.ResTarget as Json;
      const value = expr(r.val, scope);
      values.push(value);
      if (r.name) return `${value} AS ${q(String(r.name))}`;
      // Keep PostgreSQL's output name for a bare column when the dialect wrapped it (COLLATE…).
      const ref = (r.val as Json).ColumnRef as Json | undefined;
      const fields = (ref?.fields as Json[] | undefined) ?? [];
      if (ref && !fields.some((f) => 'A_Star' in f)) {
        const name = str(fields[fields.length - 1]);
        return value === q(name) || value.endsWith(`.${q(name)}`) ? value : `${value} AS ${q(name)}`;
      }
      return value;
    });
    let sql = `SELECT ${s.distinctClause ? 'DISTINCT ' : ''}${targets.join(', ')}`;
    if (from.length) sql += ` FROM ${from.join(', ')}`;
    if (s.whereClause) sql += ` WHERE ${expr(s.whereClause, scope)}`;
    if (s.groupClause)
      sql += ` GROUP BY ${(s.groupClause as unknown[]).map((g) => positional(g, scope)).join(', ')}`;
    if (s.havingClause) sql += ` HAVING ${expr(s.havingClause, scope)}`;
    if (s.sortClause) {
      const keys = (s.sortClause as Json[]).map((k) => {
        const sort = k.SortBy as Json;
        const key = positional(sort.node, scope);
        const desc = sort.sortby_dir === 'SORTBY_DESC';
        if (sort.sortby_dir === 'SORTBY_USING') throw unsupported(d, 'ORDER BY USING');
        // PostgreSQL's default: NULLs sort as larger than every value.
        const nullsFirst =
          sort.sortby_nulls === 'SORTBY_NULLS_FIRST' || (sort.sortby_nulls !== 'SORTBY_NULLS_LAST' && desc);
        const dir = desc ? 'DESC' : 'ASC';
        if (d.expressions.hasNullsOrdering) return `${key} ${dir} NULLS ${nullsFirst ? 'FIRST' : 'LAST'}`;
        if (/^\d+$/.test(key)) {
          // A position cannot go inside CASE: use the output expression it names.
          const target = values[Number(key) - 1];
          if (target === undefined || target.endsWith('*')) throw unsupported(d, 'ORDER BY this position');
          return `(CASE WHEN ${target} IS NULL THEN ${nullsFirst ? 0 : 1} ELSE ${nullsFirst ? 1 : 0} END), ${key} ${dir}`;
        }
        return `(CASE WHEN ${key} IS NULL THEN ${nullsFirst ? 0 : 1} ELSE ${nullsFirst ? 1 : 0} END), ${key} ${dir}`;
      });
      sql += ` ORDER BY ${keys.join(', ')}`;
    }
    const count =
      s.limitCount && !((s.limitCount as Json).A_Const as Json | undefined)?.isnull
        ? limitValue(s.limitCount)
        : undefined;
    const offset = s.limitOffset ? limitValue(s.limitOffset) : undefined;
    sql += d.limitClause(count, offset);
    return sql;
  };

  const limitValue = (node: unknown): string => {
    const c = (node as Json).A_Const as Json | undefined;
    if (c && 'ival' in c) return String(Number((c.ival as Json).ival ?? 0));
    if (c && 'fval' in c && /^\d+$/.test(String((c.fval as Json).fval))) return String((c.fval as Json).fval);
    throw unsupported(d, 'a LIMIT or OFFSET that is not a constant');
  };

  const sql = select(tree as unknown as Json, undefined);
  return { sql, params };
}
