/**
 * Partial sub-query push-down: inside a query that reads several sources,
 * every FROM sub-query, CTE body and uncorrelated sub-query in an expression
 * (`IN (SELECT …)`, `EXISTS`, a scalar sub-query) that reads tables of ONE
 * SQL-speaking source only — and stays within its dialect's capabilities —
 * is sent to that source as one query; DuckDB receives its answer as a
 * relation. So `WITH t AS (SELECT customer_id, sum(amount) FROM pg.orders
 * GROUP BY 1) SELECT … FROM t JOIN lake.customers …` aggregates inside
 * PostgreSQL, and TPC-H Q18's `o_orderkey IN (SELECT l_orderkey FROM
 * lineitem GROUP BY … HAVING …)` sends back a few keys instead of lineitem.
 * An `x IN (…)` conjunct also names the scan its answer's keys may filter
 * (`keysFor`), as a join edge does.
 */
import {
  ErrorCode,
  type RenderedSql,
  type ScalarValue,
  type SelectTree,
  type SpokeConnector,
  SpokeError,
} from '@spoke/core';
import type { TableBinding } from '../binder/scope.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import { type Side, side } from './plan-join-keys.js';
import { conjuncts } from './plan-scans.js';
import { constantNode, singleSqlSource, sourceTree, unsupportedBy } from './sql-pushdown.js';
import { type SubqueryKeyEdge, subqueryKeyEdges } from './subquery-key-edges.js';

/** One sub-query sent whole to a source. */
export interface SubqueryPushdown {
  readonly source: string;
  readonly connector: SpokeConnector;
  /** The DuckDB relation its answer is loaded into. */
  readonly relation: string;
  readonly rendered: RenderedSql;
  /** The table references it covers (not scanned separately). */
  readonly bindings: readonly TableBinding[];
  /** For `x IN (sub-query)` in a WHERE: the column `x` whose scan the answer's keys may restrict. */
  readonly keysFor?: Side;
  /** The statement as sent (parameters substituted, a private copy), to add run-time key filters to. */
  readonly statement?: AstNode;
  /** Join edges from other reads into a FROM sub-query's plain output columns (`subquery-key-edges.ts`). */
  readonly keyEdges?: readonly SubqueryKeyEdge[];
}

/** Distinct keys another read sends to a pushed sub-query, for the column `ref` of its statement. */
export interface SubqueryKeyList {
  readonly ref: AstNode;
  readonly keys: readonly ScalarValue[];
}

/**
 * The sub-query's statement with `ref IN (keys…)` added to its WHERE (for a
 * grouped one, before the grouping), rendered by its source's dialect: the
 * keys become parameters, never text in the SQL.
 */
export function renderWithKeys(pushed: SubqueryPushdown, keyLists: readonly SubqueryKeyList[]): RenderedSql {
  const statement = structuredClone(pushed.statement!);
  const extra = keyLists.map(
    (k): AstNode => ({
      A_Expr: {
        kind: 'AEXPR_IN',
        name: [{ String: { sval: '=' } }],
        lexpr: structuredClone(k.ref),
        rexpr: { List: { items: k.keys.map((key) => constantNode(key)) } },
      },
    }),
  );
  const where = [...(statement.whereClause ? [statement.whereClause] : []), ...extra];
  if (where.length)
    statement.whereClause = where.length === 1 ? where[0] : { BoolExpr: { boolop: 'AND_EXPR', args: where } };
  return pushed.connector.sql!.dialect.renderSelect({ SelectStmt: statement } as SelectTree);
}

/**
 * Finds the sub-queries of `stmt` that can go whole to one SQL source,
 * replaces each in the tree by a reference to its relation, and returns them.
 */
export function planSubqueries(
  stmt: AstNode,
  bindings: readonly TableBinding[],
  params: readonly ScalarValue[],
): SubqueryPushdown[] {
  const byRangeVar = new Map(bindings.map((b) => [b.rangeVar, b]));
  const pushed: SubqueryPushdown[] = [];

  const tryPush = (select: AstNode, keysFor?: Side): SubqueryPushdown | undefined => {
    const covered: TableBinding[] = [];
    let closed = true;
    // Its own CTEs (a compiled graph query's recursion, say) go along with it.
    const own = new Set(
      ((select.withClause?.ctes ?? []) as AstNode[]).map((c) => c.CommonTableExpr?.ctename as string),
    );
    walkAst(select, (n) => {
      if (n.RangeFunction) closed = false;
      if (n.RangeVar) {
        const b = byRangeVar.get(n.RangeVar);
        if (b) covered.push(b);
        else if (n.RangeVar.schemaname !== undefined || !own.has(n.RangeVar.relname)) closed = false; // a CTE of the enclosing query, or a system relation
      }
      return undefined;
    });
    if (!closed) return undefined;
    const connector = singleSqlSource(covered);
    if (!connector || unsupportedBy(select, connector.sql!.dialect.capabilities) !== undefined)
      return undefined;
    try {
      const tree = sourceTree(select, covered, params);
      const statement = structuredClone(tree.SelectStmt);
      const rendered = connector.sql!.dialect.renderSelect(tree);
      const p: SubqueryPushdown = {
        source: covered[0]!.source,
        connector,
        relation: `__spoke_sq_${pushed.length}`,
        rendered,
        bindings: covered,
        statement,
        ...(keysFor ? { keysFor } : {}),
      };
      pushed.push(p);
      return p;
    } catch (error) {
      if (SpokeError.isInstance(error) && error.code === ErrorCode.UNSUPPORTED) return undefined;
      throw error;
    }
  };

  const visitSelect = (s: AstNode): void => {
    for (const cte of s.withClause?.ctes ?? []) {
      const body = cte.CommonTableExpr;
      const query = body.ctequery?.SelectStmt;
      if (!query) continue;
      const p = s.withClause.recursive ? undefined : tryPush(query);
      if (p) body.ctequery = { SelectStmt: relationSelect(p.relation) };
      else visitSelect(query);
    }
    if (s.op && s.op !== 'SETOP_NONE') {
      visitSelect(s.larg);
      visitSelect(s.rarg);
      return;
    }
    const before = pushed.length;
    s.fromClause = (s.fromClause ?? []).map((item: AstNode) => visitFromItem(item));
    if (s.fromClause.length === 0) delete s.fromClause;
    // FROM sub-queries pushed from this SELECT: the join edges by which other reads' keys may restrict them.
    for (const [i, p] of pushed.entries()) {
      if (i < before || p.keysFor || !fromSelects.has(p)) continue;
      const edges = subqueryKeyEdges(s, p, fromSelects.get(p)!, bindings);
      if (edges.length) pushed[i] = { ...p, keyEdges: edges };
    }
    // An `x IN (SELECT …)` conjunct of the WHERE: its answer's keys may filter x's scan.
    const scope = bindings.find((b) => b.scope.stmt === s)?.scope;
    const keyColumns = new Map<AstNode, Side>();
    for (const c of conjuncts(s.whereClause)) {
      const link = c.SubLink;
      const op = (link?.operName as AstNode[] | undefined)?.at(-1)?.String?.sval;
      if (link?.subLinkType !== 'ANY_SUBLINK' || (op !== undefined && op !== '=') || !scope) continue;
      const key = side(link.testexpr, scope);
      if (key && !key.binding.nullable) keyColumns.set(link, key);
    }
    // Sub-queries in expressions: sent whole when uncorrelated, else searched for FROM sub-queries of their own.
    for (const key of ['targetList', 'whereClause', 'havingClause']) {
      walkAst(s[key], (n) => {
        if (n.SubLink) {
          const query = n.SubLink.subselect.SelectStmt;
          const p = selfContained(query, bindings) ? tryPush(query, keyColumns.get(n.SubLink)) : undefined;
          if (p) n.SubLink.subselect = { SelectStmt: relationSelect(p.relation) };
          else visitSelect(query);
          return false;
        }
        return undefined;
      });
    }
  };

  /** The SELECT each FROM sub-query was pushed from (its target list names the output columns). */
  const fromSelects = new Map<SubqueryPushdown, AstNode>();
  const visitFromItem = (item: AstNode): AstNode => {
    if (item.RangeSubselect && !item.RangeSubselect.lateral) {
      const query = item.RangeSubselect.subquery?.SelectStmt;
      const p = query ? tryPush(query) : undefined;
      if (p) {
        fromSelects.set(p, query);
        const alias = item.RangeSubselect.alias;
        return {
          RangeVar: { relname: p.relation, inh: true, relpersistence: 'p', ...(alias ? { alias } : {}) },
        };
      }
      if (query) visitSelect(query);
      return item;
    }
    if (item.JoinExpr) {
      item.JoinExpr.larg = visitFromItem(item.JoinExpr.larg);
      item.JoinExpr.rarg = visitFromItem(item.JoinExpr.rarg);
    }
    return item;
  };

  visitSelect(stmt);
  return pushed;
}

/**
 * True when `select` refers to nothing outside itself: every column
 * reference is qualified by one of its own FROM names, or unqualified and a
 * column of one of its own tables (PostgreSQL resolves the innermost first).
 * Anything else may be a correlated reference, and is not sent alone.
 */
function selfContained(select: AstNode | undefined, bindings: readonly TableBinding[]): boolean {
  if (!select) return false;
  const names = new Set<string>();
  const columns = new Set<string>();
  walkAst(select, (n) => {
    for (const b of bindings) {
      if (b.rangeVar !== n.RangeVar) continue;
      names.add(b.alias.toLowerCase());
      for (const f of b.arrowSchema.fields) columns.add(f.name.toLowerCase());
    }
    const alias = (n.RangeSubselect ?? n.RangeFunction)?.alias?.aliasname ?? n.CommonTableExpr?.ctename;
    if (typeof alias === 'string') names.add(alias.toLowerCase());
    const outputName = n.ResTarget?.name;
    if (typeof outputName === 'string') columns.add(outputName.toLowerCase());
    return undefined;
  });
  let contained = true;
  walkAst(select, (n) => {
    const fields = n.ColumnRef?.fields as AstNode[] | undefined;
    if (!fields || !contained) return undefined;
    const text = fields.map((f) => (f.String?.sval as string | undefined)?.toLowerCase());
    if (fields.at(-1)?.A_Star) {
      if (text.length > 1 && !names.has(String(text.at(-2)))) contained = false;
    } else if (text.length === 1) {
      if (!columns.has(String(text[0]))) contained = false;
    } else if (!names.has(String(text.at(-2)))) contained = false;
    return false;
  });
  return contained;
}

/** `SELECT * FROM relation`, as a parse tree. */
function relationSelect(relation: string): AstNode {
  return {
    targetList: [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }],
    fromClause: [{ RangeVar: { relname: relation, inh: true, relpersistence: 'p' } }],
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
}
