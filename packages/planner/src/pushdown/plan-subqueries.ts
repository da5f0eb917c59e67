/**
 * Partial sub-query push-down: inside a query that reads several sources,
 * every FROM sub-query and CTE body that reads tables of ONE SQL-speaking
 * source only — and stays within its dialect's capabilities — is sent to
 * that source as one query; DuckDB receives its answer as a relation. So
 * `WITH t AS (SELECT customer_id, sum(amount) FROM pg.orders GROUP BY 1)
 * SELECT … FROM t JOIN lake.customers …` aggregates inside PostgreSQL.
 */
import { ErrorCode, type RenderedSql, type ScalarValue, type SpokeConnector, SpokeError } from '@spoke/core';
import type { TableBinding } from '../binder/scope.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import { singleSqlSource, sourceTree, unsupportedBy } from './sql-pushdown.js';

/** One sub-query sent whole to a source. */
export interface SubqueryPushdown {
  readonly source: string;
  readonly connector: SpokeConnector;
  /** The DuckDB relation its answer is loaded into. */
  readonly relation: string;
  readonly rendered: RenderedSql;
  /** The table references it covers (not scanned separately). */
  readonly bindings: readonly TableBinding[];
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

  const tryPush = (select: AstNode): SubqueryPushdown | undefined => {
    const covered: TableBinding[] = [];
    let closed = true;
    walkAst(select, (n) => {
      if (n.RangeFunction) closed = false;
      if (n.RangeVar) {
        const b = byRangeVar.get(n.RangeVar);
        if (b) covered.push(b);
        else closed = false; // a CTE of the enclosing query, or a system relation
      }
      return undefined;
    });
    if (!closed) return undefined;
    const connector = singleSqlSource(covered);
    if (!connector || unsupportedBy(select, connector.sql!.dialect.capabilities) !== undefined)
      return undefined;
    try {
      const rendered = connector.sql!.dialect.renderSelect(sourceTree(select, covered, params));
      const p: SubqueryPushdown = {
        source: covered[0]!.source,
        connector,
        relation: `__spoke_sq_${pushed.length}`,
        rendered,
        bindings: covered,
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
    s.fromClause = (s.fromClause ?? []).map((item: AstNode) => visitFromItem(item));
    if (s.fromClause.length === 0) delete s.fromClause;
    // Sub-queries in expressions may hold FROM sub-queries of their own.
    for (const key of ['targetList', 'whereClause', 'havingClause']) {
      walkAst(s[key], (n) => {
        if (n.SubLink) {
          visitSelect(n.SubLink.subselect.SelectStmt);
          return false;
        }
        return undefined;
      });
    }
  };

  const visitFromItem = (item: AstNode): AstNode => {
    if (item.RangeSubselect && !item.RangeSubselect.lateral) {
      const query = item.RangeSubselect.subquery?.SelectStmt;
      const p = query ? tryPush(query) : undefined;
      if (p) {
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

/** `SELECT * FROM relation`, as a parse tree. */
function relationSelect(relation: string): AstNode {
  return {
    targetList: [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }],
    fromClause: [{ RangeVar: { relname: relation, inh: true, relpersistence: 'p' } }],
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
}
