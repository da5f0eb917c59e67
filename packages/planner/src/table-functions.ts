/**
 * Table-function expanders: front ends that compile another language to SQL
 * (Cypher's `cypher('graph', $$ … $$)`) register a function name here, and
 * each call in a FROM clause is replaced, before binding, by the sub-select
 * the expander writes. The result then goes through the same binder,
 * security policies and push-down as SQL typed by hand: an expander cannot
 * reach anything a user could not have written.
 *
 * `FROM f(args) AS t(col type, …)` (a column definition list, as Apache AGE
 * spells it) casts the expander's columns, by position, to the types given
 * and names them; without one, the columns keep the expander's names.
 */
import { ErrorCode, type QueryContext, type ScalarValue, SpokeError } from '@spoke/core';
import { type AstNode, walkAst } from './parse/ast.js';
import { parseSql } from './parse/parse-sql.js';

/** What an expander is given for one call. */
export interface TableFunctionCall {
  /** The call's arguments: constants as written, `$n` replaced by its value. */
  readonly args: readonly ScalarValue[];
  /** Who is asking (absent fields unknown). */
  readonly context?: Partial<QueryContext>;
}

/** One table function. */
export interface TableFunctionExpander {
  /**
   * A SELECT (PostgreSQL dialect, with no `$n` parameters of its own) and
   * its result column names, in order.
   */
  /**
   * Optional: rewrites SQL text the PostgreSQL parser does not accept (SQL/PGQ's
   * `GRAPH_TABLE (…)`) into calls of this function, before parsing; undefined
   * when there is nothing to rewrite.
   */
  rewrite?(sql: string): string | undefined;
  expand(
    call: TableFunctionCall,
  ): Promise<{ sql: string; columns: readonly string[] }> | { sql: string; columns: readonly string[] };
}

/** `sql` with every expander's syntax rewritten into calls; undefined when none applied. */
export function rewriteTableFunctionSyntax(
  sql: string,
  expanders: TableFunctionExpanders | undefined,
): string | undefined {
  let out: string | undefined;
  for (const expander of expanders?.values() ?? []) out = expander.rewrite?.(out ?? sql) ?? out;
  return out;
}

/** Expanders by lower-case function name. */
export type TableFunctionExpanders = ReadonlyMap<string, TableFunctionExpander>;

function refuse(message: string, sqlstate: string, code: ErrorCode = ErrorCode.UNSUPPORTED): SpokeError {
  return new SpokeError(code, message, { details: { sqlstate } });
}

/** A constant argument (or `$n`) → its value. */
function argument(node: AstNode, params: readonly ScalarValue[], name: string): ScalarValue {
  if (node.TypeCast) return argument(node.TypeCast.arg, params, name);
  const c = node.A_Const;
  if (c) {
    if (c.isnull) return null;
    if (c.sval) return c.sval.sval ?? '';
    if (c.ival) return c.ival.ival ?? 0;
    if (c.fval) return Number(c.fval.fval);
    if (c.boolval) return c.boolval.boolval === true;
    return null;
  }
  if (node.ParamRef) {
    const n = node.ParamRef.number as number;
    if (n > params.length) throw refuse(`there is no parameter $${n}`, '42P02', ErrorCode.INVALID_QUERY);
    return params[n - 1] ?? null;
  }
  throw refuse(`the arguments of ${name}() must be constants or $n parameters`, '0A000');
}

/** The single function called by a RangeFunction, when it is a plain unqualified call. */
function calledName(range: AstNode): string | undefined {
  const functions = range.functions as AstNode[] | undefined;
  if (functions?.length !== 1) return undefined;
  const call = functions[0]?.List?.items?.[0]?.FuncCall as AstNode | undefined;
  const names = call?.funcname as AstNode[] | undefined;
  if (names?.length !== 1) return undefined;
  return (names[0]?.String?.sval as string | undefined)?.toLowerCase();
}

/**
 * Replaces, in place, every `FROM name(…)` whose name has an expander by the
 * sub-select it writes. Cheap when the statement names none of them.
 */
export async function expandTableFunctions(
  tree: AstNode,
  sql: string,
  expanders: TableFunctionExpanders | undefined,
  params: readonly ScalarValue[],
  context?: Partial<QueryContext>,
): Promise<void> {
  if (!expanders || expanders.size === 0) return;
  const lower = sql.toLowerCase();
  if (![...expanders.keys()].some((name) => lower.includes(name))) return;
  const found: AstNode[] = [];
  walkAst(tree, (node) => {
    const range = node.RangeFunction as AstNode | undefined;
    const name = range ? calledName(range) : undefined;
    if (name !== undefined && expanders.has(name)) found.push(node);
    return undefined;
  });
  for (const holder of found) {
    const range = holder.RangeFunction as AstNode;
    const name = calledName(range)!;
    if (range.lateral || range.ordinality || range.is_rowsfrom)
      throw refuse(`${name}() cannot be LATERAL, WITH ORDINALITY or in ROWS FROM`, '0A000');
    const call = range.functions[0].List.items[0].FuncCall as AstNode;
    const args = ((call.args as AstNode[] | undefined) ?? []).map((a) => argument(a, params, name));
    const expanded = await expanders.get(name)!.expand({ args, ...(context ? { context } : {}) });
    const statements = await parseSql(expanded.sql);
    const inner = statements[0]?.node?.SelectStmt as AstNode | undefined;
    if (statements.length !== 1 || !inner)
      throw new SpokeError(ErrorCode.INTERNAL, `${name}() did not expand to one SELECT`);
    const defs = (range.coldeflist as AstNode[] | undefined)?.map((d) => d.ColumnDef as AstNode);
    const alias: AstNode = { aliasname: (range.alias?.aliasname as string | undefined) ?? name };
    let subquery: AstNode = { SelectStmt: inner };
    if (defs) {
      if (defs.length !== expanded.columns.length)
        throw refuse(
          `${name}() returns ${expanded.columns.length} column(s) (${expanded.columns.join(', ')}) but the column definition list has ${defs.length}`,
          '42601',
          ErrorCode.INVALID_QUERY,
        );
      // SELECT CAST(g."col1" AS type1) AS name1, … FROM (inner) AS g
      subquery = {
        SelectStmt: {
          targetList: defs.map((def, i) => ({
            ResTarget: {
              name: def.colname,
              val: {
                TypeCast: {
                  arg: {
                    ColumnRef: {
                      fields: [{ String: { sval: '_expanded' } }, { String: { sval: expanded.columns[i] } }],
                    },
                  },
                  typeName: def.typeName,
                },
              },
            },
          })),
          fromClause: [
            { RangeSubselect: { subquery: { SelectStmt: inner }, alias: { aliasname: '_expanded' } } },
          ],
          limitOption: 'LIMIT_OPTION_DEFAULT',
          op: 'SETOP_NONE',
        },
      };
    } else if (range.alias?.colnames) alias.colnames = range.alias.colnames;
    delete holder.RangeFunction;
    holder.RangeSubselect = { subquery, alias };
  }
}
