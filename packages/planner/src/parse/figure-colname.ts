/**
 * Result column names as PostgreSQL gives them (`FigureColname` in
 * parse_target.c), applied to the parse tree once, before any path renders
 * it: a source answering a pushed query, the DuckDB residual and the system
 * catalog would each name `count(*)` differently (`count(*)`, `count_star()`),
 * and clients read columns by name.
 */
import { type AstNode, str, walkAst } from './ast.js';

/** A name and how sure PostgreSQL is of it (0: `?column?`, 1: `case`, 2: a real name). */
type Figured = readonly [name: string, strength: number];

const SQL_VALUE_FUNCTIONS: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'current_time',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'current_user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

/**
 * The name PostgreSQL gives an unaliased select-list expression:
 * `count(*)` → `count`, `x::text` → `x`, `1::int` → `int4`, `CASE …` →
 * `case`, `1 + 1` → `?column?`. `undefined` for `*`.
 */
export function figureColname(node: AstNode | undefined): string | undefined {
  if (node?.ColumnRef && (node.ColumnRef.fields as AstNode[]).at(-1)?.A_Star) return undefined;
  return figure(node)[0];
}

function figure(node: AstNode | undefined): Figured {
  if (!node) return ['?column?', 0];
  if (node.ColumnRef) {
    const name = str((node.ColumnRef.fields as AstNode[]).at(-1));
    return name === undefined ? ['?column?', 0] : [name, 2];
  }
  if (node.A_Indirection) {
    const name = str((node.A_Indirection.indirection as AstNode[]).at(-1));
    return name === undefined ? figure(node.A_Indirection.arg) : [name, 2];
  }
  if (node.FuncCall) return [str((node.FuncCall.funcname as AstNode[]).at(-1)) ?? '?column?', 2];
  if (node.A_Expr?.kind === 'AEXPR_NULLIF') return ['nullif', 2];
  if (node.TypeCast) {
    const inner = figure(node.TypeCast.arg);
    if (inner[1] > 1) return inner;
    return [str((node.TypeCast.typeName.names as AstNode[]).at(-1)) ?? inner[0], 1];
  }
  if (node.CollateClause) return figure(node.CollateClause.arg);
  if (node.CaseExpr) {
    // `CASE … ELSE bonus END` is named after its ELSE branch when that has a real name.
    const otherwise = figure(node.CaseExpr.defresult);
    return otherwise[1] > 1 ? otherwise : ['case', 1];
  }
  if (node.A_ArrayExpr) return ['array', 2];
  if (node.RowExpr) return ['row', 2];
  if (node.CoalesceExpr) return ['coalesce', 2];
  if (node.MinMaxExpr) return [node.MinMaxExpr.op === 'IS_GREATEST' ? 'greatest' : 'least', 2];
  if (node.GroupingFunc) return ['grouping', 2];
  if (node.SQLValueFunction) {
    const name = SQL_VALUE_FUNCTIONS[String(node.SQLValueFunction.op)];
    return name ? [name, 2] : ['?column?', 0];
  }
  if (node.SubLink) {
    const kind = node.SubLink.subLinkType;
    if (kind === 'EXISTS_SUBLINK') return ['exists', 2];
    if (kind === 'ARRAY_SUBLINK') return ['array', 2];
    if (kind === 'EXPR_SUBLINK') {
      const inner = (node.SubLink.subselect?.SelectStmt?.targetList as AstNode[] | undefined)?.[0]?.ResTarget;
      if (inner?.name !== undefined) return [inner.name, 2];
      const [name] = figure(inner?.val);
      return [name, 2];
    }
  }
  return ['?column?', 0];
}

/**
 * Gives every unaliased select-list entry of every SELECT in the tree (the
 * statement, its sub-queries, CTEs and set-operation arms) PostgreSQL's name
 * as an explicit alias, so that every path answers with the same names. A
 * bare column reference keeps the name the source gives it (its stored
 * spelling), and `*` stays `*`.
 */
export function nameTargets(tree: AstNode): void {
  nameTopLevelValues(tree);
  walkAst(tree, (node, key) => {
    nameValuesColumns(node);
    // Set-operation arms (`larg`/`rarg`) are SELECT bodies without the `SelectStmt` wrapper.
    const select = node.SelectStmt ?? (key === 'larg' || key === 'rarg' ? node : undefined);
    if (!select?.targetList) return undefined;
    for (const target of select.targetList as AstNode[]) {
      const res = target.ResTarget;
      if (!res || res.name !== undefined || res.val?.ColumnRef) continue;
      const name = figureColname(res.val);
      if (name !== undefined) res.name = name;
    }
    return undefined;
  });
}

/**
 * A statement that is a VALUES list (`VALUES (1, 2), (3, 4)`): PostgreSQL
 * names its columns `column1`, `column2`…, DuckDB `col0`, `col1`…. The body
 * becomes `SELECT * FROM (VALUES …) AS "*VALUES*"(column1, …)` in place (its
 * WITH, ORDER BY and LIMIT move to the SELECT, which has the same names).
 */
function nameTopLevelValues(tree: AstNode): void {
  const body = tree.SelectStmt as AstNode | undefined;
  const values = body?.valuesLists as AstNode[] | undefined;
  if (!body || !values?.length || (body.op && body.op !== 'SETOP_NONE')) return;
  const width = (values[0]!.List?.items as AstNode[] | undefined)?.length ?? 0;
  const inner = { valuesLists: values, limitOption: 'LIMIT_OPTION_DEFAULT', op: 'SETOP_NONE' };
  delete body.valuesLists;
  body.targetList = [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }];
  body.fromClause = [
    {
      RangeSubselect: {
        subquery: { SelectStmt: inner },
        alias: {
          aliasname: '*VALUES*',
          colnames: Array.from({ length: width }, (_, i) => ({ String: { sval: `column${i + 1}` } })),
        },
      },
    },
  ];
}

/**
 * `(VALUES (1, 'a')) v` without a column list: PostgreSQL names the columns
 * `column1`, `column2`…, DuckDB `col0`, `col1`…; the alias gets PostgreSQL's.
 */
function nameValuesColumns(node: AstNode): void {
  const sub = node.RangeSubselect;
  const values = sub?.subquery?.SelectStmt?.valuesLists as AstNode[] | undefined;
  if (!values?.length || !sub.alias || sub.alias.colnames) return;
  const width = (values[0]!.List?.items as AstNode[] | undefined)?.length ?? 0;
  sub.alias.colnames = Array.from({ length: width }, (_, i) => ({ String: { sval: `column${i + 1}` } }));
}
