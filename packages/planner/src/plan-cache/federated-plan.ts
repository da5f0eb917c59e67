/**
 * Federated plans in the plan cache: a SELECT that reads several sources (or
 * one source and DuckDB's residual) is planned once for its text, and later
 * executions re-plan only what their parameters change.
 *
 * What depends on the parameters is the scans: each pushed filter carries the
 * values it compares with, and the join filters they imply carry them on.
 * Everything else the planner decides is a function of the statement, the
 * tables and the estimates: which conjuncts each source takes (their support),
 * the read schedule (order, key lists, shared reads), and the residual DuckDB
 * runs, whose `$n` are bound at execution. So a cached plan keeps:
 *
 * - the statement as the policies rewrote it, bound once and never rewritten
 *   for a residual, so that each execution plans its scans (and their implied
 *   filters) afresh from it with its own parameters;
 * - the schedule and the residual the planner made, reused as they are.
 *
 * A plan is reused only while that holds, checked at every execution:
 * - the scans keep the plan's shape (the same conjuncts offered, each with the
 *   support its source gave — a value can make a source refuse a filter it
 *   took for another value, and the residual drops exactly the taken ones);
 * - every read's estimate stays within a factor of {@link ESTIMATE_DRIFT} of
 *   the one the schedule was chosen with (a range twenty times wider may want
 *   another schedule, as PostgreSQL's custom plans do for skewed parameters);
 *   a statement whose executions drift more often than not is no longer
 *   cached;
 * - nothing it read changed (tables, policies: see `cached-query.ts`), and it
 *   is younger than `PlanCacheOptions.federatedMaxAgeMs` (5 s): the schedule
 *   also depends on what the read cache holds and on the link profiles the
 *   sources' reads teach, both of which move.
 *
 * An execution that cannot reuse the plan is planned from scratch, and its
 * plan replaces the cached one: a plan filled by odd parameters (a NULL, a
 * value of the wrong type that no source takes) gives way to the next
 * ordinary execution's.
 *
 * Exactness: a plan is kept only when the scans planned this way for the
 * statement's first cached execution equal, request for request, those of the
 * engine's own plan; plans whose other parts carry values (sub-queries sent
 * to a source, joins in a source, eager aggregation, tables joined at one
 * source, reductions in a source, pushed limits) are not kept at all.
 */
import type { QueryContext, ScalarValue } from '@spoke/core';
import { withFields } from '@spoke/core';
import { bindQuery } from '../binder/bind-query.js';
import type { BoundQuery } from '../binder/scope.js';
import type { FederatedEngine, PreparedSelect } from '../engine.js';
import { keyText } from '../executor/read-cache.js';
import type { ResidualQuery } from '../executor/residual.js';
import type { AstNode } from '../parse/ast.js';
import { addImpliedFilters } from '../pushdown/implied-filters.js';
import { type JoinKeyEdge, planJoinKeys } from '../pushdown/plan-join-keys.js';
import { planScans, type ScanPlan, unionAllLimits } from '../pushdown/plan-scans.js';
import { estimateReads } from '../statistics/estimate-reads.js';
import type { PlannedRead } from '../strategies/plan-reads.js';
import { cacheableSelect, cachedTables } from './cacheable-select.js';
import type { CachedFederatedPlan } from './cached-plan.js';

/** A read's estimate may move this many times up or down before its execution is planned from scratch. */
export const ESTIMATE_DRIFT = 4;

/** Executions planned from scratch for drift before a statement is judged too skewed to cache. */
const DRIFT_GRACE = 8;

/** The federated plan of one SELECT. */
type FederatedPrepared = Extract<PreparedSelect, { kind: 'federated' }>;

/**
 * Plans `sql` with the engine and, when its plan is a federated one the cache
 * can re-plan exactly (see the file's comment), the cached plan with it.
 * `undefined` when the statement is not such a SELECT; `cached` absent when
 * its plan cannot be kept (the caller then runs the statement on the engine's
 * own path, which also answers session and system statements as `query` does).
 */
export async function planFederated(
  engine: FederatedEngine,
  sql: string,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  context: QueryContext,
): Promise<{ readonly cached?: CachedFederatedPlan; readonly prepared: PreparedSelect } | undefined> {
  // Time travel and table functions are expanded with the registry and the parameters; `$n` missing a value
  // is the engine's error to report.
  const select = await cacheableSelect(engine, sql, params.length);
  if (!select) return undefined;
  const { body, maxParam } = select;
  // The engine plans (and rewrites for its residual) a copy; `body` stays as written, for the scans.
  const prepared = await engine.prepare(structuredClone(body) as AstNode, params, signal, context);
  if (!keepable(prepared)) return { prepared };

  const registry = engine.registryFor(context);
  const outcome = engine.policy
    ? await engine.policy.apply(body, { registry: engine.registry, context, signal })
    : undefined;
  const appliedRules = outcome?.appliedRules ?? [];
  if (appliedRules.join('\u0000') !== prepared.appliedRules.join('\u0000')) return { prepared };
  const bound = await bindQuery(body, registry, signal);
  if (bound.systemRelations.length > 0 || bound.hasOtherRelations || bound.bindings.length === 0)
    return { prepared };
  const unionLimits = unionAllLimits(bound.scopes.keys());
  const joinKeys = planJoinKeys(bound.bindings);
  const scans = await scansFor(engine, bound, unionLimits, joinKeys, params, context);
  if (scans.length !== prepared.scans.length || scans.some((s, i) => !sameRequest(s, prepared.scans[i]!)))
    return { prepared };

  // The schedule's edges name the engine's bindings: the same tables of `bound`, by their sequence number.
  const byId = new Map(bound.bindings.map((b) => [b.id, b]));
  const edges = new Map<JoinKeyEdge, JoinKeyEdge | undefined>();
  const remap = (edge: JoinKeyEdge): JoinKeyEdge | undefined => {
    if (!edges.has(edge)) {
      const from = byId.get(edge.from.id);
      const to = byId.get(edge.to.id);
      edges.set(edge, from && to ? withFields(edge, { from, to }) : undefined);
    }
    return edges.get(edge);
  };
  const reads: PlannedRead[] = [];
  for (const read of prepared.schedule.reads) {
    const waitsFor = read.waitsFor.map(remap);
    const byKeyRange = read.byKeyRange?.map(remap);
    if (waitsFor.includes(undefined) || byKeyRange?.includes(undefined)) return { prepared };
    reads.push(
      withFields(read, {
        waitsFor: waitsFor as JoinKeyEdge[],
        ...(byKeyRange ? { byKeyRange: byKeyRange as JoinKeyEdge[] } : {}),
      }),
    );
  }
  const residual = prepared.residual as ResidualQuery;
  if (!residual.paramNumbers) return { prepared };
  const cached: CachedFederatedPlan = {
    kind: 'federated',
    bound,
    unionLimits,
    joinKeys,
    shape: scans.map(shapeOf),
    estimatedRows: prepared.scans.map(
      (scan) => prepared.schedule.reads.find((r) => r.scan === scan)?.estimate.rows,
    ),
    schedule: withFields(prepared.schedule, { reads }),
    residual: {
      sql: residual.sql,
      paramNumbers: residual.paramNumbers,
      ...(residual.inMemory ? { inMemory: residual.inMemory } : {}),
    },
    appliedRules,
    maxParam,
    tables: cachedTables(bound.bindings),
    policy: engine.policy,
    plannedAt: Date.now(),
    reused: 0,
    drifted: 0,
  };
  return { cached, prepared };
}

/**
 * The cached plan for this execution's parameters; `undefined` when the
 * scans lost the plan's shape or an estimate drifted (plan it from scratch).
 * `'too-skewed'` when the statement's executions drift more often than not.
 */
export async function instantiateFederated(
  plan: CachedFederatedPlan,
  engine: FederatedEngine,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  context: QueryContext,
): Promise<PreparedSelect | undefined | 'too-skewed'> {
  const scans = await scansFor(engine, plan.bound, plan.unionLimits, plan.joinKeys, params, context);
  if (scans.length !== plan.shape.length || scans.some((s, i) => shapeOf(s) !== plan.shape[i]))
    return drifted(plan);
  // One read has nothing to choose between: the plan never asked for an estimate (see engine.plan).
  if (scans.length > 1) {
    const estimates = await estimateReads(scans, signal);
    for (let i = 0; i < scans.length; i++)
      if (!close(estimates.get(scans[i]!)?.rows, plan.estimatedRows[i])) return drifted(plan);
  }
  plan.reused++;
  const byRelation = new Map(scans.map((s) => [s.relation, s]));
  const reads = plan.schedule.reads.map((read) =>
    withFields(read, {
      scan: byRelation.get(read.scan.relation)!,
      ...(read.sharedWith ? { sharedWith: byRelation.get(read.sharedWith.relation)! } : {}),
    }),
  );
  const { sql, paramNumbers, inMemory } = plan.residual;
  const residual: ResidualQuery = {
    sql,
    params: paramNumbers.map((n) => params[n - 1] ?? null),
    paramNumbers,
    ...(inMemory ? { inMemory } : {}),
  };
  const prepared: FederatedPrepared = {
    kind: 'federated',
    bound: plan.bound,
    scans,
    subqueries: [],
    joinKeys: plan.joinKeys as JoinKeyEdge[],
    schedule: withFields(plan.schedule, { reads }),
    residual,
    appliedRules: plan.appliedRules,
  };
  return prepared;
}

/** Counts an execution sent back to the planner; `'too-skewed'` once they outnumber the reuses. */
function drifted(plan: CachedFederatedPlan): undefined | 'too-skewed' {
  plan.drifted++;
  return plan.drifted > DRIFT_GRACE && plan.drifted > plan.reused ? 'too-skewed' : undefined;
}

/** Whether two estimates are within {@link ESTIMATE_DRIFT} of each other (both unknown counts as close). */
function close(now: number | undefined, planned: number | undefined): boolean {
  if (now === undefined || planned === undefined) return now === planned;
  const [low, high] = now < planned ? [now, planned] : [planned, now];
  return high <= Math.max(1, low) * ESTIMATE_DRIFT;
}

/** The scans of `bound` for these parameters, with the filters their joins imply, as `engine.plan` makes them. */
async function scansFor(
  engine: FederatedEngine,
  bound: BoundQuery,
  unionLimits: ReadonlyMap<AstNode, AstNode>,
  joinKeys: readonly JoinKeyEdge[],
  params: readonly ScalarValue[],
  context: QueryContext,
): Promise<ScanPlan[]> {
  const scans = await planScans(bound.bindings, params, unionLimits);
  const mayShipKeys = engine.shippingRules(context).mayShipKeys ?? (() => true);
  await addImpliedFilters(scans, joinKeys, mayShipKeys);
  return scans;
}

/** Whether a plan is one the cache can re-plan exactly (see the file's comment). */
function keepable(prepared: PreparedSelect): prepared is FederatedPrepared {
  if (prepared.kind !== 'federated') return false;
  if (prepared.subqueries.length || prepared.eagerAggregations?.size || prepared.joinsInSource?.size)
    return false;
  if (prepared.schedule.subqueries?.length) return false;
  if (prepared.scans.some((s) => s.limit !== undefined || s.orderBy !== undefined)) return false;
  return prepared.schedule.reads.every((r) => !r.inSource && !r.fallback);
}

/** What must stay the same from one execution to the next: the conjuncts offered, their origin and support. */
function shapeOf(scan: ScanPlan): string {
  let shape = `${scan.relation}:${scan.projection.length}`;
  for (const c of scan.candidates) shape += `|${c.origin}:${c.support}`;
  return shape;
}

/** Whether two scans ask their source the same: the same table, columns, filters (values too), limit and order. */
function sameRequest(a: ScanPlan, b: ScanPlan): boolean {
  return (
    a.binding.id === b.binding.id &&
    a.binding.source === b.binding.source &&
    a.binding.table === b.binding.table &&
    requestText(a) === requestText(b)
  );
}

function requestText(scan: ScanPlan): string {
  return keyText([
    scan.relation,
    scan.projection,
    scan.candidates.map((c) => [c.origin, c.support, c.expr]),
    scan.limit ?? null,
    scan.orderBy ?? null,
  ]);
}
