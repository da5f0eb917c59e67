/**
 * Semi-join reduction inside one source: when a join edge links two tables
 * of the same SQL source and one side's pushed filters keep a small part
 * of it, the other side's read becomes
 *
 *   SELECT <its columns> FROM t WHERE <its filters>
 *     AND t.k IN (SELECT o.k FROM o WHERE <o's filters>)
 *
 * so the source, with its indexes and statistics, drops the rows that can
 * match nothing — and the read needs no key list from the gateway, so it
 * does not wait for the other side and runs concurrently with it. The
 * filter is implied by the join (the keys of `o`'s pushed filters are a
 * superset of the keys of `o`'s rows in DuckDB), so the answer is the same
 * whatever the source does with it.
 */
import type { RenderedSql, ScalarValue, SelectTree, SpokeConnector } from '@spoke/core';
import type { TableBinding } from '../binder/scope.js';
import type { AstNode } from '../parse/ast.js';
import type { JoinKeyEdge } from '../pushdown/plan-join-keys.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';
import { constantNode, substituteParams, unsupportedBy } from '../pushdown/sql-pushdown.js';

/** A read answered by a reducing query in its own source instead of a plain scan. */
export interface InSourceReduction {
  readonly connector: SpokeConnector;
  /** The partners whose filtered keys restrict this read. */
  readonly partners: readonly JoinKeyEdge[];
  /** The statement without run-time key filters (parameters substituted, a private copy). */
  readonly statement: AstNode;
}

/**
 * The reducing query for `scan` by `partners` (edges into it from tables
 * of the same source), or `undefined` when the source cannot run it.
 */
export function inSourceReduction(
  scan: ScanPlan,
  partners: readonly { readonly edge: JoinKeyEdge; readonly partner: ScanPlan }[],
  params: readonly ScalarValue[],
): InSourceReduction | undefined {
  const connector = scan.binding.connector;
  const caps = connector.sql?.dialect.capabilities;
  if (!caps?.subqueries || partners.length === 0 || scan.projection.length === 0) return undefined;
  if (scan.limit !== undefined || scan.orderBy) return undefined;
  const where: AstNode[] = exactConjuncts(scan);
  for (const { edge, partner } of partners) {
    where.push({
      SubLink: {
        subLinkType: 'ANY_SUBLINK',
        testexpr: columnRef(scan.binding.alias, edge.toColumn),
        subselect: {
          SelectStmt: {
            targetList: [{ ResTarget: { val: columnRef(partner.binding.alias, edge.fromColumn) } }],
            fromClause: [rangeVar(partner.binding)],
            ...whereOf(exactConjuncts(partner)),
            limitOption: 'LIMIT_OPTION_DEFAULT',
            op: 'SETOP_NONE',
          },
        },
      },
    });
  }
  const statement: AstNode = {
    targetList: scan.projection.map((column) => ({
      ResTarget: { name: column, val: columnRef(scan.binding.alias, column) },
    })),
    fromClause: [rangeVar(scan.binding)],
    ...whereOf(where),
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  substituteParams(statement, params);
  if (unsupportedBy(statement, caps) !== undefined) return undefined;
  try {
    // Rendered once here so a dialect that cannot express part of it is found at plan time.
    connector.sql!.dialect.renderSelect({ SelectStmt: structuredClone(statement) });
  } catch {
    return undefined;
  }
  return { connector, partners: partners.map((p) => p.edge), statement };
}

/** The reducing query with run-time key lists (`column IN (keys…)`) added, rendered for the source. */
export function renderReduction(
  reduction: InSourceReduction,
  alias: string,
  keyLists: readonly { readonly column: string; readonly keys: readonly ScalarValue[] }[],
): RenderedSql {
  const statement = structuredClone(reduction.statement);
  const extra = keyLists.map(
    (k): AstNode => ({
      A_Expr: {
        kind: 'AEXPR_IN',
        name: [{ String: { sval: '=' } }],
        lexpr: columnRef(alias, k.column),
        rexpr: { List: { items: k.keys.map((key) => constantNode(key)) } },
      },
    }),
  );
  if (extra.length) {
    const where = [...(statement.whereClause ? [statement.whereClause] : []), ...extra];
    Object.assign(statement, whereOf(where));
  }
  return reduction.connector.sql!.dialect.renderSelect({ SelectStmt: statement } as SelectTree);
}

/** The scan's conjuncts its source applies exactly, as private copies. */
function exactConjuncts(scan: ScanPlan): AstNode[] {
  return scan.candidates.filter((c) => c.support === 'exact').map((c) => structuredClone(c.node));
}

function whereOf(conjuncts: readonly AstNode[]): { whereClause?: AstNode } {
  if (conjuncts.length === 0) return {};
  if (conjuncts.length === 1) return { whereClause: conjuncts[0]! };
  return { whereClause: { BoolExpr: { boolop: 'AND_EXPR', args: [...conjuncts] } } };
}

function columnRef(alias: string, column: string): AstNode {
  return { ColumnRef: { fields: [{ String: { sval: alias } }, { String: { sval: column } }] } };
}

function rangeVar(binding: TableBinding): AstNode {
  return {
    RangeVar: {
      schemaname: binding.schema,
      relname: binding.table,
      inh: true,
      relpersistence: 'p',
      alias: { aliasname: binding.alias },
    },
  };
}
