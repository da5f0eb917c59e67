/**
 * The residual: the query as DuckDB runs it once the sources' answers are
 * loaded. Each source table reference becomes its DuckDB relation
 * (`__spoke_<n>`), keeping the name the query used as its alias; WHERE
 * conjuncts a source applied exactly are dropped; `$n` parameters are
 * renumbered to those still present.
 */
import { ErrorCode, type ScalarValue, SpokeError } from '@spoke/core';
import { deparseSync } from 'pgsql-deparser';
import '../parse/deparser-precedence.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import { conjuncts, type ScanPlan } from '../pushdown/plan-scans.js';
import { guardDivision } from './division-by-zero.js';
import { type InMemoryResidual, recognizeInMemoryResidual } from './in-memory-residual.js';
import { hideMisfoldedConstant } from './misfolded-constants.js';
import { castPercentileArguments } from './percentile-type.js';
import { rewritePostgresFunctions } from './postgres-functions.js';
import { rewriteValueFunction } from './value-functions.js';
import { refuseWithTies } from './with-ties.js';

/** The residual SQL and the parameter values it binds. */
export interface ResidualQuery {
  readonly sql: string;
  readonly params: ScalarValue[];
  /**
   * Which of the statement's parameters `params` holds: `params[i]` is `$paramNumbers[i]` (1-based) of the
   * statement, or null when it has no such parameter. A cached plan binds another execution's values this way.
   */
  readonly paramNumbers?: readonly number[];
  /** The same statement as a plan that runs without DuckDB, when it is that simple (`in-memory-residual.ts`). */
  readonly inMemory?: InMemoryResidual;
}

/** Rewrites `stmt` in place for DuckDB and renders it. */
export function buildResidual(
  stmt: AstNode,
  plans: readonly ScanPlan[],
  params: readonly ScalarValue[],
): ResidualQuery {
  for (const plan of plans) {
    const exact = new Set(
      plan.candidates.filter((c) => c.support === 'exact' && c.origin === 'where').map((c) => c.node),
    );
    if (exact.size) {
      const scopeStmt = plan.binding.scope.stmt;
      const kept = conjuncts(scopeStmt.whereClause).filter((c) => !exact.has(c));
      if (kept.length === 0) delete scopeStmt.whereClause;
      else if (kept.length === 1) scopeStmt.whereClause = kept[0];
      else scopeStmt.whereClause = { BoolExpr: { boolop: 'AND_EXPR', args: kept } };
    }
  }
  for (const plan of plans) {
    if (ordersByArrival(plan)) {
      orderByArrival(plan);
    }
  }
  refuseUnpushedRrf(stmt);
  // Before the relations are renamed: the binder's scopes still resolve the columns.
  for (const scope of new Set(plans.map((p) => p.binding.scope))) castPercentileArguments(scope);
  for (const plan of plans) {
    const rv = plan.binding.rangeVar;
    delete rv.catalogname;
    delete rv.schemaname;
    rv.relname = plan.relation;
    rv.alias = { ...(rv.alias ?? {}), aliasname: plan.binding.alias };
  }
  rewriteOperators(stmt);
  // Before the divisions are guarded: a FILTERed aggregate's argument is wrapped first.
  rewritePostgresFunctions(stmt);
  // PostgreSQL's division by zero, date/time keywords and DuckDB's mis-folded constants, in one walk
  // (long statements run on the event loop); WITH TIES refused on the way.
  walkAst(stmt, (node) => {
    refuseWithTies(node);
    guardDivision(node);
    return rewriteValueFunction(node) || hideMisfoldedConstant(node) ? false : undefined;
  });
  const used = renumberParams(stmt);
  const inMemory = recognizeInMemoryResidual(stmt, plans);
  // Rendered when first asked: a residual that runs in memory needs its SQL only for EXPLAIN.
  let sql: string | undefined;
  return {
    get sql() {
      sql ??= deparseSync({ SelectStmt: stmt } as never);
      return sql;
    },
    params: used.map((n) => params[n - 1] ?? null),
    paramNumbers: used,
    ...(inMemory ? { inMemory } : {}),
  };
}

/**
 * Whether the residual orders `plan`'s rows as they arrived (a hybrid
 * ranking only the source computes): the relation must then be a table of
 * its own, whose `rowid` is that order — not a view of a read-cache table.
 */
export function ordersByArrival(plan: ScanPlan): boolean {
  return (
    plan.orderBy?.[0]?.expr.kind === 'function' && plan.orderBy[0].expr.name === 'reciprocal_rank_fusion'
  );
}

/**
 * Hybrid ranking pushed to the source: the rows arrive best first, and
 * DuckDB keeps that order through the relation's `rowid` (insertion order).
 */
function orderByArrival(plan: ScanPlan): void {
  const stmt = plan.binding.scope.stmt;
  const targets = (stmt.targetList ?? []) as AstNode[];
  for (const item of (stmt.sortClause ?? []) as AstNode[]) {
    const sort = item.SortBy;
    const named =
      sort.node.ColumnRef?.fields?.length === 1 ? sort.node.ColumnRef.fields[0].String?.sval : undefined;
    const target = named ? targets.find((t) => t.ResTarget?.name === named)?.ResTarget?.val : undefined;
    if (isRrf(sort.node) || isRrf(target)) {
      sort.node = {
        ColumnRef: { fields: [{ String: { sval: plan.binding.alias } }, { String: { sval: 'rowid' } }] },
      };
      sort.sortby_dir = 'SORTBY_ASC';
      sort.sortby_nulls = 'SORTBY_NULLS_DEFAULT';
    }
  }
}

function isRrf(node: AstNode | undefined): boolean {
  const f = node?.FuncCall;
  return !!f && String(f.funcname[f.funcname.length - 1]?.String?.sval).toLowerCase() === 'rrf';
}

/** An `rrf()` left in the residual could only be answered wrongly: refuse it, saying what works. */
function refuseUnpushedRrf(tree: AstNode): void {
  walkAst(tree, (n) => {
    if (isRrf(n)) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        "rrf(vector distance, text @@ 'words') ranks rows with a source's hybrid search: use it as ORDER BY rrf(…) DESC LIMIT k on one table of a source that has hybrid search (Lance), and not in the select list",
      );
    }
    return undefined;
  });
}

/** Renumbers `$n` to `$1…$k` in order of first use; returns the original numbers. */
function renumberParams(tree: AstNode): number[] {
  const order: number[] = [];
  walkAst(tree, (n) => {
    if (n.ParamRef) {
      const original = n.ParamRef.number as number;
      let index = order.indexOf(original);
      if (index < 0) index = order.push(original) - 1;
      n.ParamRef.number = index + 1;
    }
    return undefined;
  });
  return order;
}

const VECTOR_FUNCTIONS: Record<string, string> = {
  '<->': 'spoke_l2_distance',
  '<=>': 'spoke_cosine_distance',
  '<#>': 'spoke_negative_inner_product',
  '@@': 'spoke_text_match',
};

/**
 * PostgreSQL operators DuckDB lacks (pgvector's distances, full-text `@@`)
 * become calls of the macros every query connection sees (see
 * `RESIDUAL_MACROS`), so queries the sources could not answer stay correct.
 */
function rewriteOperators(tree: AstNode): void {
  const rewrite = (value: unknown): AstNode | undefined => {
    const e = (value as AstNode | null)?.A_Expr;
    if (!e || e.kind !== 'AEXPR_OP' || !e.lexpr) return undefined;
    const fn = VECTOR_FUNCTIONS[e.name?.[e.name.length - 1]?.String?.sval as string];
    return fn
      ? {
          FuncCall: {
            funcname: [{ String: { sval: fn } }],
            args: [e.lexpr, e.rexpr],
            funcformat: 'COERCE_EXPLICIT_CALL',
          },
        }
      : undefined;
  };
  // Every node's children are looked at on every federated query: no entries arrays, no closures per array.
  walkAst(tree, (n) => {
    for (const key in n) {
      const value: unknown = n[key];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const replaced = rewrite(value[i]);
          if (replaced) value[i] = replaced;
        }
      } else {
        const replaced = rewrite(value);
        if (replaced) n[key] = replaced;
      }
    }
    return undefined;
  });
}

/**
 * The macros behind the rewritten operators, created once per DuckDB
 * instance (in its in-memory `main` schema, so every connection sees them;
 * PostgreSQL's settings are global there too, see `residual-sandbox.ts`):
 * defining them costs about 2 ms, more than a whole point query.
 */
export const RESIDUAL_MACROS = [
  `CREATE OR REPLACE MACRO spoke_vec(v) AS (CASE WHEN typeof(v) = 'VARCHAR' THEN CAST(replace(replace(CAST(v AS VARCHAR), '{', '['), '}', ']') AS DOUBLE[]) ELSE CAST(v AS DOUBLE[]) END)`,
  `CREATE OR REPLACE MACRO spoke_l2_distance(a, b) AS list_distance(spoke_vec(a), spoke_vec(b))`,
  `CREATE OR REPLACE MACRO spoke_cosine_distance(a, b) AS list_cosine_distance(spoke_vec(a), spoke_vec(b))`,
  `CREATE OR REPLACE MACRO spoke_negative_inner_product(a, b) AS -list_inner_product(spoke_vec(a), spoke_vec(b))`,
  // `text @@ 'words'`: every word of the query — a maximal run of Unicode letters and digits — occurs as a
  // whole word of the text, ignoring case; a query without words matches any non-NULL text. The same rule
  // the Lance connector applies, so answers agree with and without a full-text index.
  `CREATE OR REPLACE MACRO spoke_text_match(t, q) AS (CASE WHEN t IS NULL THEN NULL
     WHEN len(list_filter(regexp_split_to_array(q, '[^\\p{L}\\p{N}]+'), w -> length(w) > 0)) = 0 THEN TRUE
     ELSE list_bool_and(list_transform(list_filter(regexp_split_to_array(q, '[^\\p{L}\\p{N}]+'), w -> length(w) > 0),
       w -> regexp_matches(t, '(^|[^\\p{L}\\p{N}])' || w || '([^\\p{L}\\p{N}]|$)', 'i'))) END)`,
];
