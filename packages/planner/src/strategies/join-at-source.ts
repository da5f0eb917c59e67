/**
 * Join at the source: when every table of a query but a few small ones
 * lives in one source that can hold relations for a query (a peer gateway:
 * `SqlExecutor.uploads`), the small tables' rows go up and the whole
 * statement runs there — only its answer comes back. Against reading the
 * remote tables here (with key lists), this wins when the rows sent up plus
 * the answer are cheaper to move than what the remote reads would bring
 * down: a small local table joined with a large remote one and aggregated.
 *
 * Policies first: a table is uploaded only when the policies let its rows
 * leave unchanged (`QueryPolicy.mayUpload`: no `never_upload`, masks,
 * `aggregate_only` or row filters on it, and no `require_tls` over a plain
 * link) — and the remote applies its own policies to its own tables.
 */
import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  type RelationUploads,
  type RenderedSql,
  type ScalarValue,
  type SpokeConnector,
  SpokeError,
} from '@spoke/core';
import type { BoundQuery, TableBinding } from '../binder/scope.js';
import { type LinkProfiles, SERVER_LINK } from '../cost/link-profile.js';
import { readCost } from '../cost/read-cost.js';
import { type AstNode, walkAst } from '../parse/ast.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';
import { sourceTree, unsupportedBy } from '../pushdown/sql-pushdown.js';
import type { ReadEstimate } from '../statistics/estimate-reads.js';
import type { ReadSchedule } from './plan-reads.js';

/** A query that could run whole at one source once its other tables are uploaded there. */
export interface JoinAtSourceCandidate {
  readonly source: string;
  readonly connector: SpokeConnector;
  readonly uploads: RelationUploads;
  /** The tables to upload, each with the relation name it gets there. */
  readonly uploaded: readonly { readonly binding: TableBinding; readonly name: string }[];
  /** The statement as the source runs it, naming the uploaded relations. */
  readonly rendered: RenderedSql;
}

/** One table read here and sent up. */
export interface PlannedUpload {
  readonly scan: ScanPlan;
  /** Its relation's name at the source (`<uploads.schema>.<name>`). */
  readonly name: string;
  /** The columns sent: every column the statement reads of the table. */
  readonly columns: readonly string[];
  readonly estimatedRows: number | undefined;
  readonly estimatedBytes: number | undefined;
}

/** The plan: upload, then run the statement at the source and stream its answer. */
export interface JoinAtSourcePlan {
  readonly source: string;
  /** The site the statement runs on (the peer's name). */
  readonly site: string;
  readonly connector: SpokeConnector;
  readonly uploads: readonly PlannedUpload[];
  readonly rendered: RenderedSql;
  /** Rows and bytes of the answer expected back. */
  readonly resultRows: number;
  readonly resultBytes: number;
  /** Expected milliseconds, in the unit of the read schedule's cost. */
  readonly cost: number;
}

/** Whether `binding`'s rows may be uploaded to `toSource` (policies). */
export type MayUpload = (binding: TableBinding, toSource: string) => boolean;

/**
 * The candidate for `stmt`, rendered now (before sub-query push-down and the
 * residual rewrite change the tree), or undefined when the query has no such
 * shape: one source with uploads holding at least one table, every other
 * table uploadable, the whole statement within that source's dialect.
 */
export function joinAtSourceCandidate(
  stmt: AstNode,
  bound: BoundQuery,
  params: readonly ScalarValue[],
  mayUpload: MayUpload,
): JoinAtSourceCandidate | undefined {
  const targets = new Map<string, SpokeConnector>();
  for (const b of bound.bindings) if (b.connector.sql?.uploads) targets.set(b.source, b.connector);
  if (targets.size !== 1 || bound.hasOtherRelations) return undefined;
  const [[source, connector]] = [...targets];
  const uploaded = bound.bindings.filter((b) => b.source !== source);
  if (uploaded.length === 0 || uploaded.some((b) => !mayUpload(b, source!))) return undefined;
  const executor = connector!.sql!;
  if (unsupportedBy(stmt, executor.dialect.capabilities) !== undefined) return undefined;
  const uploads = executor.uploads!;
  const names = new Map(uploaded.map((b) => [b, `spoke_${randomBytes(12).toString('hex')}`]));
  try {
    const rendered = executor.dialect.renderSelect(
      sourceTree(stmt, bound.bindings, params, (b) => {
        const name = names.get(b);
        return name === undefined ? undefined : { schema: uploads.schema, table: name };
      }),
    );
    return {
      source: source!,
      connector: connector!,
      uploads,
      uploaded: uploaded.map((binding) => ({ binding, name: names.get(binding)! })),
      rendered,
    };
  } catch (error) {
    if (SpokeError.isInstance(error) && error.code === ErrorCode.UNSUPPORTED) return undefined;
    throw error;
  }
}

/**
 * Costs the candidate against the read schedule: the uploaded tables read
 * here (concurrently), their rows over the link, the source's own work on
 * its tables (reduced as the schedule would reduce them: the source's
 * optimizer does the same with the uploaded keys), and the answer back.
 * Undefined when an estimate it needs is missing.
 */
export function planJoinAtSource(
  stmt: AstNode,
  candidate: JoinAtSourceCandidate,
  schedule: ReadSchedule,
  estimates: ReadonlyMap<ScanPlan, ReadEstimate>,
  links: LinkProfiles,
): JoinAtSourcePlan | undefined {
  const link = links.get(candidate.source, true);
  const uploads: PlannedUpload[] = [];
  let localMs = 0;
  let upBytes = 0;
  for (const { binding, name } of candidate.uploaded) {
    const read = schedule.reads.find((r) => r.scan.binding === binding);
    const estimate = read && estimates.get(read.scan);
    // A table inside a sub-query the planner sends to its own source is not a plain read: not costed here.
    if (!read || !estimate || estimate.rows === undefined) return undefined;
    const columns =
      binding.usedColumns === 'all'
        ? binding.arrowSchema.fields.map((f) => f.name)
        : binding.arrowSchema.fields
            .map((f) => f.name)
            .filter((n) => (binding.usedColumns as Set<string>).has(n));
    const perColumn =
      (estimate.bytes ?? estimate.rows * 16) /
      Math.max(1, estimate.rows) /
      Math.max(1, read.scan.projection.length);
    const bytes = Math.round(estimate.rows * perColumn * Math.max(1, columns.length));
    const own = links.get(binding.source, binding.connector.sql !== undefined);
    localMs = Math.max(localMs, readCost(own, estimate.rows, bytes, estimate.tableRows ?? estimate.rows));
    upBytes += bytes;
    uploads.push({
      scan: read.scan,
      name,
      columns,
      estimatedRows: Math.round(estimate.rows),
      estimatedBytes: bytes,
    });
  }
  // The source's own reads, as reduced as the schedule reduces them, over its own (fast) links.
  let remoteMs = 0;
  let joinRows = 0;
  for (const read of schedule.reads) {
    if (read.scan.binding.source !== candidate.source) continue;
    const estimate = estimates.get(read.scan);
    if (read.estimatedRows === undefined || !estimate) return undefined;
    // The same scan the read would cost the source (its link's scan rate), then its rows into the source's DuckDB.
    remoteMs +=
      ((estimate.tableRows ?? estimate.rows ?? read.estimatedRows) * 1000) / link.scanRowsPerSecond +
      (read.estimatedRows * 1000) / SERVER_LINK.rowsPerSecond;
    joinRows = Math.max(joinRows, read.estimatedRows);
  }
  const resultRows = answerRows(stmt, joinRows, estimates);
  const resultBytes = Math.round(
    resultRows * 16 * Math.max(1, (stmt.targetList as unknown[] | undefined)?.length ?? 1),
  );
  // An upload is one call (DoPut and its acknowledgement): half of a read's two (GetFlightInfo, DoGet).
  const upMs = link.latencyMs / 2 + (upBytes * 8) / (link.mbps * 1000);
  const cost = localMs + upMs + remoteMs + readCost(link, resultRows, resultBytes);
  return {
    source: candidate.source,
    site: candidate.connector.site ?? candidate.source,
    connector: candidate.connector,
    uploads,
    rendered: candidate.rendered,
    resultRows: Math.round(resultRows),
    resultBytes,
    cost: Math.round(cost * 100) / 100,
  };
}

const AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'string_agg',
  'array_agg',
  'bool_and',
  'bool_or',
]);

/**
 * Rows the statement answers, from the rows its join produces: one for an
 * aggregate without GROUP BY; for GROUP BY, the product of the grouping
 * columns' distinct counts where the sources keep them (else a tenth of
 * the join); capped by a constant LIMIT.
 */
function answerRows(stmt: AstNode, joinRows: number, estimates: ReadonlyMap<ScanPlan, ReadEstimate>): number {
  let rows = joinRows;
  const groups = stmt.groupClause as AstNode[] | undefined;
  let aggregated = false;
  for (const target of (stmt.targetList as AstNode[] | undefined) ?? [])
    walkAst(target, (n) => {
      if (n.FuncCall && !n.FuncCall.over) {
        const names = n.FuncCall.funcname as AstNode[];
        if (AGGREGATES.has(String(names[names.length - 1]?.String?.sval).toLowerCase())) aggregated = true;
      }
      return undefined;
    });
  if (groups?.length) {
    let product = 1;
    let known = true;
    for (const g of groups) {
      const fields = g.ColumnRef?.fields as AstNode[] | undefined;
      const column = fields?.[fields.length - 1]?.String?.sval as string | undefined;
      const distinct = column === undefined ? undefined : distinctOf(column, estimates);
      if (distinct === undefined) known = false;
      else product *= distinct;
    }
    rows = known ? Math.min(joinRows, product) : joinRows / 10;
  } else if (aggregated) rows = 1;
  const limit = stmt.limitCount?.A_Const?.ival?.ival as number | undefined;
  if (typeof limit === 'number') rows = Math.min(rows, limit);
  return Math.max(1, rows);
}

function distinctOf(column: string, estimates: ReadonlyMap<ScanPlan, ReadEstimate>): number | undefined {
  for (const estimate of estimates.values()) {
    const d = estimate.distinct[column];
    if (d !== undefined) return d;
  }
  return undefined;
}
