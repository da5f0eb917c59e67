/**
 * The plan cache in front of {@link FederatedEngine.query}.
 *
 * A statement that goes whole to one SQL source (the point lookups and small
 * scans that are most traffic) is parsed, checked, rewritten by the security
 * policies and bound once; later executions of the same text by a caller the
 * policies cannot tell apart only re-resolve its tables (a changed table —
 * other columns or types, another source object — drops the plan) and render
 * it with their own parameters. The extended protocol's prepared statements
 * reuse it through their text.
 *
 * Exactness: a plan is cached only after the engine's own planner, given the
 * same statement and parameters, produced the same SQL and parameters the
 * cache renders; everything the cache cannot vouch for (other plan kinds,
 * time travel and table functions, statements over the parser's worker
 * threshold, a `$n` without a value, render failures) runs the engine's
 * normal path, which also produces every error.
 *
 * Statements that differ only in the constants they compare with share one
 * plan (see literal-shape.ts): it is planned from the literal-free shape and
 * kept only after it rendered exactly what the engine's own planner renders
 * for the statement at hand; a later statement of the same shape (same text
 * around its constants, same kinds of constants, same caller identity) is
 * rendered with its own constants.
 */
import { randomUUID } from 'node:crypto';
import {
  mapStreamErrors,
  type QueryContext,
  type ScalarValue,
  throwIfAborted,
  withFields,
} from '@spoke/core';
import { bindQuery } from '../binder/bind-query.js';
import { checkCallables } from '../binder/check-callables.js';
import type { SourceRegistry } from '../binder/source-registry.js';
import type { FederatedEngine, PreparedSelect } from '../engine.js';
import type { QueryOptions, QueryResult } from '../engine-api.js';
import { locateError } from '../executor/error-position.js';
import { translateSourceError } from '../executor/source-errors.js';
import { type AstNode, nodeKind, walkAst } from '../parse/ast.js';
import { nameTargets } from '../parse/figure-colname.js';
import { settleLiteralCasts } from '../parse/literal-casts.js';
import { parseSql, WORKER_THRESHOLD } from '../parse/parse-sql.js';
import { singleSqlSource, sourceTree, unsupportedBy } from '../pushdown/sql-pushdown.js';
import { rewriteTableFunctionSyntax } from '../table-functions.js';
import { cacheableSelect, cachedTables } from './cacheable-select.js';
import type { CachedFederatedPlan, CachedPlan, CachedTable, LiteralSlots } from './cached-plan.js';
import { instantiateFederated, planFederated } from './federated-plan.js';
import { type LiteralShape, literalShape } from './literal-shape.js';
import { PlanCache, type PlanCacheOptions } from './plan-cache.js';
import { fromTemplate, makeTemplate, type Rendered, shapeKey } from './render-template.js';
import { sameValues } from './same-values.js';
import { schemaSignature } from './schema-signature.js';

const caches = new WeakMap<FederatedEngine, PlanCache>();

/** Parameter shapes (see render-template.ts) a plan keeps a rendered template for. */
const MAX_TEMPLATES = 16;

/** The plan cache of `engine`, when {@link enablePlanCache} turned it on. */
export function planCacheOf(engine: FederatedEngine): PlanCache | undefined {
  return caches.get(engine);
}

/**
 * Puts a plan cache in front of `engine.query` (this instance only). Returns
 * the cache (its counters, `clear()`). Calling it again returns the same cache.
 */
export function enablePlanCache(engine: FederatedEngine, options: PlanCacheOptions = {}): PlanCache {
  const existing = caches.get(engine);
  if (existing) return existing;
  const cache = new PlanCache(options);
  caches.set(engine, cache);
  const uncached = engine.query.bind(engine);
  // In flight as the engine's own queries are: a plan found here runs past `query`, and close must end it too.
  engine.query = (sql: string, queryOptions: QueryOptions = {}) =>
    engine.trackQuery(
      queryOptions.signal,
      (signal) => cachedQuery(engine, cache, uncached, sql, withFields(queryOptions, { signal })),
      queryOptions.controller,
    );
  return cache;
}

type Query = (sql: string, options?: QueryOptions) => Promise<QueryResult>;
/** A plan that sends the whole statement to one SQL source. */
type SourceSqlPlan = Extract<PreparedSelect, { kind: 'source-sql' }>;

async function cachedQuery(
  engine: FederatedEngine,
  cache: PlanCache,
  uncached: Query,
  sql: string,
  options: QueryOptions,
): Promise<QueryResult> {
  // Large statements are planned with pauses (and parsed in a worker); syntax rewrites expand other languages.
  if (
    sql.length >= WORKER_THRESHOLD ||
    rewriteTableFunctionSyntax(sql, engine.tableFunctions) !== undefined
  ) {
    cache.stats.bypassed++;
    return uncached(sql, options);
  }
  const signal = options.signal ?? new AbortController().signal;
  throwIfAborted(signal);
  const params = options.params ?? [];
  const context = queryContext(options.context);
  const key = PlanCache.key(sql, context, engine.policy !== undefined);
  let found = cache.get(key);
  // A literal-shared plan is found only through its shape (its key cannot be a statement's text anyway).
  if (found !== 'not-cacheable' && found?.kind === 'source-sql' && found.literals) found = undefined;
  if (found === 'not-cacheable') {
    cache.stats.bypassed++;
    return uncached(sql, options);
  }
  if (found?.kind === 'federated') {
    if (found.maxParam > params.length) return uncached(sql, options); // the engine reports the missing $n
    const valid = await stillValid(found, engine, context, signal);
    const fresh = Date.now() - found.plannedAt < cache.federatedMaxAgeMs;
    if (!valid) cache.invalidate(key);
    else if (fresh) {
      // Whatever fails here fails again, with the engine's own error, on the path that plans from scratch.
      const prepared = await instantiateFederated(found, engine, params, signal, context).catch(
        () => undefined,
      );
      if (prepared === 'too-skewed') {
        cache.stats.replanned++;
        cache.setNotCacheable(key);
        return uncached(sql, options);
      }
      if (prepared) {
        cache.stats.hits++;
        cache.stats.federatedHits++;
        return runFederated(engine, prepared, sql, params, signal, context);
      }
      cache.stats.replanned++;
    }
    // Planned from scratch (a drift, an aged plan, a changed table); the new plan replaces the old one.
    const replanned = await planFederated(engine, sql, params, signal, context).catch(() => undefined);
    if (replanned?.cached) {
      if (valid) {
        replanned.cached.reused = found.reused;
        replanned.cached.drifted = found.drifted;
      }
      cache.set(key, replanned.cached);
      cache.stats.misses++;
      return runFederated(engine, replanned.prepared, sql, params, signal, context);
    }
    // This execution's plan cannot be kept (its parameters chose a reduction in a source, say): a plan that
    // drifted stays for the next; one that aged or went stale goes.
    if (!valid || !fresh) cache.setNotCacheable(key);
    return uncached(sql, options);
  }
  if (found) {
    if (found.maxParam > params.length) return uncached(sql, options); // the engine reports the missing $n
    if (await stillValid(found, engine, context, signal)) {
      let rendered: Rendered;
      const shapes = shapeKey(params);
      const template = shapes === undefined ? undefined : found.templates.get(shapes);
      if (template) {
        rendered = fromTemplate(template, params);
        cache.stats.templateHits++;
      } else {
        try {
          rendered = render(found, params);
        } catch {
          // The engine falls back to running such a statement federated; let it.
          return uncached(sql, options);
        }
        if (shapes !== undefined && template === undefined && found.templates.size < MAX_TEMPLATES)
          found.templates.set(shapes, makeTemplate(params, rendered, (p) => render(found, p)) ?? null);
      }
      cache.stats.hits++;
      return run(engine, sourceSqlPlan(found, rendered), sql, params, signal, context);
    }
    cache.invalidate(key);
  }
  const shared = cache.literals
    ? await sharedByLiterals(engine, cache, sql, params, signal, context)
    : undefined;
  if (shared) return shared;
  cache.stats.misses++;
  // Planned for the cache from the second execution on (see PlanCache.firstSight).
  if (cache.firstSight(key)) return uncached(sql, options);
  let plan: { cached: CachedPlan; prepared: SourceSqlPlan } | undefined;
  try {
    plan = await planOnce(engine, sql, params, signal, context);
  } catch {
    plan = undefined;
  }
  if (!plan) {
    // A federated statement: kept with its scans planned again at each execution (see federated-plan.ts).
    const federated = cache.federated
      ? await planFederated(engine, sql, params, signal, context).catch(() => undefined)
      : undefined;
    if (federated?.cached) {
      cache.set(key, federated.cached);
      return runFederated(engine, federated.prepared, sql, params, signal, context);
    }
    cache.setNotCacheable(key);
    // Errors, and every other kind of statement, come from the engine's own path.
    return uncached(sql, options);
  }
  cache.set(key, plan.cached);
  return run(engine, plan.prepared, sql, params, signal, context);
}

/** Runs a federated plan as the engine's `select` does: errors translated and located in the statement's text. */
async function runFederated(
  engine: FederatedEngine,
  prepared: PreparedSelect,
  sql: string,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  context: QueryContext,
): Promise<QueryResult> {
  try {
    return await engine.run(prepared, params, signal, context);
  } catch (error) {
    throw locateError(translateSourceError(error), sql);
  }
}

/** The whole-statement plan of a cached plan rendered. */
function sourceSqlPlan(plan: CachedPlan, rendered: Rendered): SourceSqlPlan {
  return {
    kind: 'source-sql',
    source: plan.source,
    connector: plan.connector,
    rendered: rendered as { sql: string; params: ScalarValue[] },
    appliedRules: plan.appliedRules,
  };
}

/**
 * Runs `sql` from the plan its literal-free shape shares, planning that plan
 * on the shape's second sight; `undefined` when the statement has no shape,
 * or its shape has no plan that renders exactly what the engine does (the
 * caller then goes on as for any statement).
 */
async function sharedByLiterals(
  engine: FederatedEngine,
  cache: PlanCache,
  sql: string,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  context: QueryContext,
): Promise<QueryResult | undefined> {
  const shape = await literalShape(sql, params.length);
  if (!shape) return undefined;
  const key = PlanCache.literalKey(shape.text, shape.kinds, context, engine.policy !== undefined);
  const entry = cache.get(key);
  if (entry === 'not-cacheable') return undefined;
  // Literal-shared plans are whole-statement ones only.
  let found = entry?.kind === 'source-sql' ? entry : undefined;
  if (found && found.literals?.kinds !== shape.kinds) found = undefined;
  if (found) {
    if (await stillValid(found, engine, context, signal)) {
      let rendered: Rendered;
      try {
        rendered = renderShared(found, params, shape, cache);
      } catch {
        return undefined;
      }
      cache.stats.hits++;
      cache.stats.literalHits++;
      return run(engine, sourceSqlPlan(found, rendered), sql, params, signal, context);
    }
    cache.invalidate(key);
  }
  // As for statement texts: a shape is planned from its second sight (one-off statements cost no planning).
  if (cache.firstSight(key)) return undefined;
  let plan: { cached: CachedPlan; prepared: SourceSqlPlan } | undefined;
  try {
    plan = await planShared(engine, sql, shape, params, signal, context);
  } catch {
    plan = undefined;
  }
  if (!plan) {
    cache.setNotCacheable(key);
    return undefined;
  }
  cache.set(key, plan.cached);
  cache.stats.misses++;
  return run(engine, plan.prepared, sql, params, signal, context);
}

/**
 * A literal-shared plan rendered with the caller's parameters and the
 * statement's constants: as parameter values where each has one (so render
 * templates apply), else the parser's own constant nodes in the constants'
 * places. `cache`: where template hits are counted (none while verifying).
 */
function renderShared(
  plan: CachedPlan,
  params: readonly ScalarValue[],
  shape: LiteralShape,
  cache: PlanCache | undefined,
): Rendered {
  if (shape.values) {
    const values = [...params, ...shape.values];
    const shapes = cache ? shapeKey(values) : undefined;
    const template = shapes === undefined ? undefined : plan.templates.get(shapes);
    if (template) {
      cache!.stats.templateHits++;
      return fromTemplate(template, values);
    }
    const rendered = render(plan, values);
    if (shapes !== undefined && !plan.templates.has(shapes) && plan.templates.size < MAX_TEMPLATES)
      plan.templates.set(shapes, makeTemplate(values, rendered, (p) => render(plan, p)) ?? null);
    return rendered;
  }
  const sites = plan.literals!.sites;
  const saved = sites.map((s) => s.holder[s.key] as AstNode);
  try {
    for (const s of sites) s.holder[s.key] = shape.constants[s.slot];
    return render(plan, params);
  } finally {
    sites.forEach((s, i) => {
      s.holder[s.key] = saved[i];
    });
  }
}

/**
 * Plans the literal-free shape of `sql` for the cache, and keeps it only if
 * it renders, with this statement's constants, exactly what the engine's own
 * planner renders for `sql`.
 */
async function planShared(
  engine: FederatedEngine,
  sql: string,
  shape: LiteralShape,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  context: QueryContext,
): Promise<{ cached: CachedPlan; prepared: SourceSqlPlan } | undefined> {
  const count = params.length + shape.constants.length;
  const analysed = await analyse(engine, shape.text, count, signal, context);
  if (!analysed) return undefined;
  const sites: { holder: AstNode; key: string | number; slot: number }[] = [];
  const site = (holder: AstNode, key: string | number, value: unknown) => {
    const number = (value as AstNode | null)?.ParamRef?.number as number | undefined;
    if (number !== undefined && number > params.length)
      sites.push({ holder, key, slot: number - params.length - 1 });
  };
  walkAst(analysed.cached.stmt, (n) => {
    for (const [key, value] of Object.entries(n)) {
      site(n, key, value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) site(value as unknown as AstNode, i, value[i]);
      }
    }
    return undefined;
  });
  if (shape.constants.some((_c, slot) => !sites.some((s) => s.slot === slot))) return undefined;
  const literals: LiteralSlots = { paramCount: params.length, kinds: shape.kinds, sites };
  const cached: CachedPlan = { ...analysed.cached, literals };

  // The engine's own plan of the statement as written.
  const statements = await parseSql(sql);
  if (statements.length !== 1) return undefined;
  const node = statements[0]!.node;
  const [kind, body] = nodeKind(node);
  if (kind !== 'SelectStmt') return undefined;
  checkCallables(node, { sql, isSource: (name) => engine.registry.has(name) });
  nameTargets(node);
  settleLiteralCasts(node, sql);
  const prepared = await engine.prepare(body, params, signal, context);
  if (!sameRender(cached, prepared, renderShared(cached, params, shape, undefined))) return undefined;
  return { cached, prepared };
}

/** Whether the engine's plan is the cached plan's source, rendered as `mine`, under the same rules. */
function sameRender(cached: CachedPlan, prepared: PreparedSelect, mine: Rendered): prepared is SourceSqlPlan {
  return (
    prepared.kind === 'source-sql' &&
    prepared.source === cached.source &&
    mine.sql === prepared.rendered.sql &&
    sameValues(mine.params, prepared.rendered.params) &&
    prepared.appliedRules.join('\u0000') === cached.appliedRules.join('\u0000')
  );
}

/** The context as the engine completes it (a query id, roles). */
function queryContext(context: Partial<QueryContext> | undefined): QueryContext {
  return { queryId: context?.queryId ?? randomUUID(), roles: context?.roles ?? [], ...context };
}

/**
 * Plans `sql` as the engine's `query` does for a SELECT, keeping the bound
 * statement; `undefined` when it is not a SELECT going whole to one SQL
 * source, or when the cache would not render exactly what the engine does.
 */
async function planOnce(
  engine: FederatedEngine,
  sql: string,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  context: QueryContext,
): Promise<{ cached: CachedPlan; prepared: SourceSqlPlan } | undefined> {
  const analysed = await analyse(engine, sql, params.length, signal, context);
  if (!analysed) return undefined;
  const { cached, forEngine } = analysed;
  // The engine's own plan of the same statement: cached only if identical to what the cache renders.
  const prepared = await engine.prepare(forEngine, params, signal, context);
  if (prepared.kind !== 'source-sql' || prepared.source !== cached.source) return undefined;
  if (!sameRender(cached, prepared, render(cached, params))) return undefined;
  return { cached, prepared };
}

/**
 * Parses, checks, rewrites by the policies and binds `sql` (with `paramCount`
 * parameters) for the cache; `undefined` when it is not a SELECT going whole
 * to one SQL source. `forEngine`: the statement before the policies, for the
 * engine's own plan.
 */
async function analyse(
  engine: FederatedEngine,
  sql: string,
  paramCount: number,
  signal: AbortSignal,
  context: QueryContext,
): Promise<{ cached: CachedPlan; forEngine: AstNode } | undefined> {
  const select = await cacheableSelect(engine, sql, paramCount);
  if (!select) return undefined;
  const { body, maxParam } = select;
  const forEngine = structuredClone(body) as AstNode;

  const registry = engine.registryFor(context);
  const outcome = engine.policy
    ? await engine.policy.apply(body, { registry: engine.registry, context, signal })
    : undefined;
  if (outcome?.rowFiltered) return undefined;
  const bound = await bindQuery(body, registry, signal);
  if (bound.systemRelations.length > 0 || bound.hasOtherRelations || bound.bindings.length === 0)
    return undefined;
  const connector = singleSqlSource(bound.bindings);
  if (!connector) return undefined;
  const capabilities = connector.sql!.dialect.capabilities;
  if (unsupportedBy(body, capabilities) !== undefined) return undefined;
  const tables = cachedTables(bound.bindings);
  const cached: CachedPlan = {
    kind: 'source-sql',
    stmt: body,
    bindings: bound.bindings,
    source: bound.bindings[0]!.source,
    connector,
    capabilities,
    appliedRules: outcome?.appliedRules ?? [],
    maxParam,
    tables,
    policy: engine.policy,
    templates: new Map(),
  };
  return { cached, forEngine };
}

/** The statement as the source receives it, with these parameters (what the engine's planner renders). */
function render(plan: CachedPlan, params: readonly ScalarValue[]) {
  return plan.connector.sql!.dialect.renderSelect(sourceTree(plan.stmt, plan.bindings, params));
}

/** Whether the tables (and policies, and dialect) a plan was made with are still the same. */
async function stillValid(
  plan: CachedPlan | CachedFederatedPlan,
  engine: FederatedEngine,
  context: QueryContext,
  signal: AbortSignal,
): Promise<boolean> {
  if (plan.policy !== engine.policy) return false;
  if (plan.kind === 'source-sql' && plan.connector.sql?.dialect.capabilities !== plan.capabilities)
    return false;
  const registry = engine.registryFor(context);
  for (const table of plan.tables) {
    const resolved = await resolveWritten(registry, table, signal).catch(() => undefined);
    if (
      !resolved ||
      resolved.source !== table.source ||
      resolved.schema !== table.schema ||
      resolved.table !== table.table ||
      resolved.connector !== table.connector ||
      schemaSignature(resolved.arrowSchema) !== table.signature
    )
      return false;
  }
  return true;
}

/** Resolves a table name as the binder does for a name written this way. */
function resolveWritten(registry: SourceRegistry, table: CachedTable, signal: AbortSignal) {
  const { catalog, schema, name } = table.written;
  if (catalog !== undefined) return registry.resolve(catalog, schema, name, signal);
  if (schema === undefined || !registry.has(schema)) return Promise.resolve(undefined);
  return registry.resolve(schema, undefined, name, signal);
}

/**
 * Runs a whole-statement plan as the engine's `select` does: the policies'
 * error redaction when rules applied, source errors translated and located
 * in the statement's text.
 */
async function run(
  engine: FederatedEngine,
  prepared: SourceSqlPlan,
  sql: string,
  params: readonly ScalarValue[],
  signal: AbortSignal,
  context: QueryContext,
): Promise<QueryResult> {
  const rules = prepared.appliedRules;
  const policy = engine.policy;
  const redact =
    rules.length && policy?.redactError ? (error: unknown) => policy.redactError!(error, rules) : undefined;
  const described = { appliedRules: rules, sources: [prepared.source] };
  let result: QueryResult;
  try {
    result = await engine.execute(prepared, params, signal, context);
  } catch (error) {
    throw locateError(translateSourceError(redact ? redact(error) : error), sql);
  }
  // Not `{ ...result, ...described }`: see withFields.
  if (!redact) return withFields(result, described);
  return withFields(result, described, { batches: mapStreamErrors(result.batches, redact) });
}
