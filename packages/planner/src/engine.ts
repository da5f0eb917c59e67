/**
 * The federated query engine: parse → bind → plan push-down → execute
 * (sources, then the residual in embedded DuckDB) → Arrow batches.
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBInstance } from '@duckdb/node-api';
import {
  ErrorCode,
  mapStreamErrors,
  type QueryContext,
  type RecordBatch,
  type ScalarValue,
  type SpokeConnector,
  SpokeError,
  throwIfAborted,
  type WriteResult,
  withFields,
} from '@spoke/core';
import type { DuckDBSessionOptions } from '@spoke/duckdb-arrow';
import { bindQuery } from './binder/bind-query.js';
import { answerBackendPid, catalogOnlyCall } from './binder/catalog-calls.js';
import { checkCallables } from './binder/check-callables.js';
import type { BoundQuery, TableBinding } from './binder/scope.js';
import { SourceRegistry } from './binder/source-registry.js';
import { resolveTimeTravel } from './binder/time-travel.js';
import { type LinkConfig, LinkProfiles } from './cost/link-profile.js';
import type {
  CatalogTable,
  ExplainOptions,
  ExplainPlan,
  QueryEngine,
  QueryOptions,
  QueryResult,
} from './engine-api.js';
import { Session } from './engine-api.js';
import { eventLoopTurn } from './event-loop-turn.js';
import { locateError } from './executor/error-position.js';
import { ExecutionTrace } from './executor/execution-trace.js';
import { executeFederated, peekSchema, scansInReadCache } from './executor/federated-executor.js';
import { InFlightQueries } from './executor/in-flight-queries.js';
import { executeJoinAtSource } from './executor/join-at-source.js';
import { ReadCache, type ReadCacheOptions } from './executor/read-cache.js';
import { buildResidual, type ResidualQuery } from './executor/residual.js';
import { createResidualInstance } from './executor/residual-connections.js';
import { createSandboxedInstance } from './executor/residual-sandbox.js';
import { translateSourceError } from './executor/source-errors.js';
import { explainPlan, formatExplain } from './explain/explain-plan.js';
import { type AstNode, nodeKind } from './parse/ast.js';
import { checkParameters } from './parse/check-parameters.js';
import { nameTargets } from './parse/figure-colname.js';
import { settleLiteralCasts } from './parse/literal-casts.js';
import { loadParser, parseSql } from './parse/parse-sql.js';
import type { QueryPolicy } from './policy-hook.js';
import { addImpliedFilters } from './pushdown/implied-filters.js';
import { type JoinKeyEdge, planJoinKeys } from './pushdown/plan-join-keys.js';
import { planScans, type ScanPlan, unionAllLimits } from './pushdown/plan-scans.js';
import {
  planSubqueries,
  renderWithKeys,
  type SubqueryKeyList,
  type SubqueryPushdown,
} from './pushdown/plan-subqueries.js';
import { singleSqlSource, sourceTree, unsupportedBy } from './pushdown/sql-pushdown.js';
import { isSessionStatement, runSessionStatement } from './session/session-statements.js';
import { commandResult, textResult } from './session/text-result.js';
import { isWriteStatement, runWriteStatement } from './statements/write-statements.js';
import { estimateReads, unknownEstimates } from './statistics/estimate-reads.js';
import { applyEagerAggregation, type EagerAggregation } from './strategies/eager-aggregation.js';
import {
  type JoinAtSourcePlan,
  joinAtSourceCandidate,
  type MayUpload,
  planJoinAtSource,
} from './strategies/join-at-source.js';
import { applyJoinInSource, type JoinInSource } from './strategies/join-in-source.js';
import { planReads, planSubqueryReads, type ReadSchedule } from './strategies/plan-reads.js';
import { SystemCatalog } from './system-catalog/index.js';
import {
  expandTableFunctions,
  rewriteTableFunctionSyntax,
  type TableFunctionExpanders,
} from './table-functions.js';

/** Options for {@link createEngine}. */
export interface EngineOptions {
  /** The configured sources by name: the first part of `source.table`. */
  readonly sources: Readonly<Record<string, SpokeConnector>> | ReadonlyMap<string, SpokeConnector>;
  /**
   * DuckDB settings for the residual: `memoryLimit` and `tempDirectory` let
   * large joins spill to disk. With `queryMemoryLimit`, each federated query
   * runs in a DuckDB instance of its own limited to that much memory
   * (spilling past it), so one query cannot take the memory of all others.
   */
  readonly duckdb?: DuckDBSessionOptions & { readonly queryMemoryLimit?: string };
  /** Security policies applied to every SELECT before planning. */
  readonly policy?: QueryPolicy;
  /** Table functions expanded to sub-selects before binding (`cypher('graph', $$ … $$)`); see table-functions.ts. */
  readonly tableFunctions?: TableFunctionExpanders;
  /** Per source: the network link the cost model starts from (`sources.X.link`); learned from reads after. */
  readonly links?: Readonly<Record<string, LinkConfig>>;
  /**
   * `cost` (default): reads scheduled by the cost model, concurrently;
   * `sequential`: the previous planner (one read after another, every key
   * list); `pull`: every table read at once, unreduced — both kept to
   * measure the optimizer against.
   */
  readonly optimizer?: 'cost' | 'sequential' | 'pull' | 'join-at-source';
  /**
   * Join tables of one SQL source inside it when the statistics show the joined rows are fewer bytes
   * than the separate reads (`strategies/join-in-source.ts`). Default true: on TPC-H SF 1 it takes Q21's
   * `l1 ⋈ orders` with its EXISTS into PostgreSQL (3,884 rows instead of 2 million, 3.6 s → 0.9 s) and changes
   * no other plan, at SF 0.1 none; its planning costs ~0.5 ms a query. Off under `sequential`/`pull`.
   */
  readonly joinInSource?: boolean;
  /**
   * Rows read from tables that name their snapshot (Parquet objects by ETag)
   * are kept loaded in the residual DuckDB and reused by later queries over
   * the same snapshot and request (`executor/read-cache.ts`). Default: on,
   * 64 MiB; `false` turns it off. Not used with `duckdb.queryMemoryLimit`
   * (each query then has a DuckDB of its own).
   */
  readonly readCache?: ReadCacheOptions | false;
  /**
   * Run a residual that only projects, inner-joins on equal keys, orders and
   * limits a few rows (every read expected at most 10,000 rows) on the reads'
   * Arrow batches, without DuckDB (`executor/in-memory-residual.ts`): the same
   * answer, without DuckDB's ~2 ms of fixed cost per query. Default true;
   * `false` sends every residual to DuckDB.
   */
  readonly inMemoryResidual?: boolean;
}

/** The residual without its in-memory plan: DuckDB runs it. */
function withoutInMemory({ inMemory: _dropped, ...residual }: ResidualQuery): ResidualQuery {
  return residual;
}

/** How one SELECT will run, and the policy rules that shaped it. */
export type PreparedSelect = PreparedPlan & { readonly appliedRules: readonly string[] };

/** How one SELECT will run. */
export type PreparedPlan =
  | { readonly kind: 'system'; readonly sql: string; readonly relations: readonly string[] }
  | {
      readonly kind: 'source-sql';
      readonly source: string;
      readonly connector: SpokeConnector;
      readonly rendered: { sql: string; params: readonly ScalarValue[] };
    }
  | {
      readonly kind: 'federated';
      readonly bound: BoundQuery;
      readonly scans: ScanPlan[];
      readonly subqueries: SubqueryPushdown[];
      readonly joinKeys: JoinKeyEdge[];
      /** Each read's strategy, estimate and cost (see `strategies/plan-reads.ts`). */
      readonly schedule: ReadSchedule;
      readonly residual: { sql: string; params: ScalarValue[] };
      /** Sub-queries that pre-aggregate a table below a join (`strategies/eager-aggregation.ts`), by relation. */
      readonly eagerAggregations?: ReadonlyMap<string, EagerAggregation>;
      /** Sub-queries that join tables of one source inside it (`strategies/join-in-source.ts`), by relation. */
      readonly joinsInSource?: ReadonlyMap<string, JoinInSource>;
    }
  | {
      /** The small tables uploaded to one source, the whole statement run there (`strategies/join-at-source.ts`). */
      readonly kind: 'join-at-source';
      readonly plan: JoinAtSourcePlan;
      /** The federated schedule it was chosen over, for EXPLAIN. */
      readonly schedule: ReadSchedule;
    };

/** Creates the engine: one embedded DuckDB for residual work, the sources' catalogs for binding. */
export async function createEngine(options: EngineOptions): Promise<FederatedEngine> {
  await loadParser();
  const sources = options.sources instanceof Map ? options.sources : new Map(Object.entries(options.sources));
  const { queryMemoryLimit, ...shared } = options.duckdb ?? {};
  const instance = await createResidualInstance(shared);
  const engine = new FederatedEngine(
    new SourceRegistry(sources as ReadonlyMap<string, SpokeConnector>),
    instance,
    options.policy,
  );
  engine.systemInstance = () => createSandboxedInstance(shared);
  if (options.tableFunctions) engine.tableFunctions = options.tableFunctions;
  if (options.links) engine.links = new LinkProfiles(options.links);
  if (options.optimizer) engine.optimizer = options.optimizer;
  if (options.joinInSource !== undefined) engine.joinInSource = options.joinInSource;
  if (options.inMemoryResidual !== undefined) engine.inMemoryResidual = options.inMemoryResidual;
  if (queryMemoryLimit)
    engine.queryInstance = () => createResidualInstance({ ...shared, memoryLimit: queryMemoryLimit });
  else if (options.readCache !== false) engine.readCache = new ReadCache(instance, options.readCache ?? {});
  return engine;
}

/** The {@link QueryEngine} every front end uses. */
export class FederatedEngine implements QueryEngine {
  /** Table functions expanded before binding (settable after creation: expanders may read the catalog). */
  tableFunctions: TableFunctionExpanders | undefined;

  /** Each source's link as the cost model sees it: configured, then learned from every read. */
  links = new LinkProfiles();

  /** `cost` (default); `sequential` (the previous planner) or `pull` (no reductions) to measure it against. */
  optimizer: 'cost' | 'sequential' | 'pull' | 'join-at-source' = 'cost';

  /** Whether tables of one SQL source may be joined inside it, by cost (`strategies/join-in-source.ts`). */
  joinInSource = true;

  /** Whether simple residuals over few rows run without DuckDB (`executor/in-memory-residual.ts`). */
  inMemoryResidual = true;

  /** Reads kept loaded for later queries over the same snapshot (`executor/read-cache.ts`); unset: off. */
  readCache: ReadCache | undefined;

  /** When set, each federated query gets a DuckDB instance of its own (a per-query memory limit). */
  queryInstance: (() => Promise<DuckDBInstance>) | undefined;

  /**
   * Creates the DuckDB instance a shadow system catalog lives in: one per
   * visibility, so no caller's SQL runs where another visibility's catalog
   * is attached. Unset: the catalogs share the residual instance (tests).
   */
  systemInstance: (() => Promise<DuckDBInstance>) | undefined;

  /** One shadow catalog per visibility (callers who may see different tables see different ones). */
  readonly #systems = new Map<
    string,
    {
      catalog: Promise<{ system: SystemCatalog; instance?: DuckDBInstance }>;
      refreshedAt: number;
      refreshing?: Promise<void> | undefined;
    }
  >();

  /** Queries between their start and the end of their result, ended by {@link close}. */
  readonly #inFlight = new InFlightQueries();

  constructor(
    readonly registry: SourceRegistry,
    readonly instance: DuckDBInstance,
    readonly policy?: QueryPolicy,
  ) {}

  /**
   * Runs one SQL statement. The query, and its result until read to the
   * end or closed, is in flight: {@link close} ends it.
   */
  query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    return this.#inFlight.run(
      options.signal,
      (signal) => this.#query(sql, withFields(options, { signal })),
      options.controller,
    );
  }

  /**
   * Runs `start` as a query in flight, with a signal that {@link close}
   * (or `signal`) aborts; its result's stream is closed by `close` if not
   * read to the end before. For what runs queries past {@link query} (the
   * plan cache). @internal
   */
  trackQuery(
    signal: AbortSignal | undefined,
    start: (signal: AbortSignal) => Promise<QueryResult>,
    controller?: AbortController,
  ): Promise<QueryResult> {
    return this.#inFlight.run(signal, start, controller);
  }

  async #query(sql: string, options: QueryOptions & { readonly signal: AbortSignal }): Promise<QueryResult> {
    // Syntax of other languages the parser does not know (SQL/PGQ GRAPH_TABLE) becomes table-function calls.
    const rewritten = rewriteTableFunctionSyntax(sql, this.tableFunctions);
    if (rewritten !== undefined) return this.#query(rewritten, options);
    const signal = options.signal;
    throwIfAborted(signal);
    const statements = await parseSql(sql);
    if (statements.length === 0) return commandResult('EMPTY');
    if (statements.length > 1) {
      throw new SpokeError(ErrorCode.UNSUPPORTED, `send one statement at a time (got ${statements.length})`);
    }
    const node = statements[0]!.node;
    if (sql.length >= LARGE_STATEMENT_CHARS) largeStatements.add(node);
    await expandTableFunctions(node, sql, this.tableFunctions, options.params ?? [], options.context);
    await breathe(node);
    checkCallables(node, { sql, isSource: (name) => this.registry.has(name) });
    await breathe(node);
    const session = options.session ?? new Session();
    if (isSessionStatement(node)) return runSessionStatement(node, session);
    if (session.backendPid !== undefined && /pg_backend_pid/i.test(sql))
      answerBackendPid(node, session.backendPid);
    const [kind, body] = nodeKind(node);
    if (kind === 'ExplainStmt') {
      const inner = body.query?.SelectStmt;
      if (!inner) throw new SpokeError(ErrorCode.UNSUPPORTED, 'EXPLAIN supports SELECT statements');
      const analyze = ((body.options ?? []) as AstNode[]).some(
        (o) => o.DefElem?.defname === 'analyze' && o.DefElem.arg?.Boolean?.boolval !== false,
      );
      const plan = await this.explainSelect(
        inner,
        options.params ?? [],
        signal,
        queryContext(options.context),
        { analyze },
      );
      return textResult(
        ['QUERY PLAN'],
        formatExplain(plan).map((line) => [line]),
        'EXPLAIN',
      );
    }
    const context = queryContext(options.context);
    if (isWriteStatement(node)) {
      if (session.transaction === 'in transaction') {
        // Sources take writes one statement at a time and cannot roll them back together: a write inside
        // BEGIN … ROLLBACK would stay written. Refused, as PostgreSQL refuses what cannot run in a block.
        const statement = kind.replace(/Stmt$/, '').replace('CreateTableAs', 'CREATE TABLE AS').toUpperCase();
        throw new SpokeError(
          ErrorCode.UNSUPPORTED,
          `${statement} cannot run inside a transaction block: Spoke cannot roll back writes to sources; run it outside BEGIN … COMMIT (autocommit)`,
          { details: { sqlstate: '25001' } },
        );
      }
      return runWriteStatement(node, {
        registry: this.registryFor(context),
        params: options.params ?? [],
        signal,
        context,
        select: (stmt) => this.select(stmt, options.params ?? [], signal, context),
        tablesRead: async (stmt) =>
          (await bindQuery(structuredClone(stmt), this.registryFor(context), signal)).bindings.map((b) => ({
            source: b.source,
            schema: b.schema,
            table: b.table,
          })),
        checkWrite: (kind, target, tablesRead) => {
          this.policy?.checkWrite?.(kind, target, tablesRead, context);
        },
      });
    }
    if (kind !== 'SelectStmt') {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `${kind.replace(/Stmt$/, '')} statements are not supported`,
      );
    }
    if (body.intoClause)
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        'SELECT INTO is not supported: use CREATE TABLE … AS SELECT',
      );
    if (largeStatements.has(node)) largeStatements.add(body);
    checkParameters(node, options.params ?? [], sql);
    await breathe(node);
    // PostgreSQL's result column names whichever path answers (a source, the residual, the system catalog).
    nameTargets(node);
    await breathe(node);
    settleLiteralCasts(node, sql);
    await breathe(node);
    return this.select(body, options.params ?? [], signal, context).catch((error: unknown) => {
      throw locateError(translateSourceError(error), sql);
    });
  }

  /**
   * Appends Arrow batches to `source.[schema.]table` as one write (the HTTP
   * ingest endpoint): the table's `insert`, after the security policies'
   * write check.
   */
  async ingest(
    target: { source: string; schema?: string; table: string },
    batches: AsyncIterable<RecordBatch>,
    options: QueryOptions = {},
  ): Promise<WriteResult> {
    return this.#inFlight.settle(options.signal, (signal) => this.#ingest(target, batches, signal, options));
  }

  async #ingest(
    target: { source: string; schema?: string; table: string },
    batches: AsyncIterable<RecordBatch>,
    signal: AbortSignal,
    options: QueryOptions,
  ): Promise<WriteResult> {
    const context = queryContext(options.context);
    const resolved = await this.registryFor(context).resolve(
      target.source,
      target.schema,
      target.table,
      signal,
    );
    if (!resolved.provider.insert) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `${resolved.source}.${resolved.schema}.${resolved.table} does not support INSERT`,
        {
          source: resolved.source,
        },
      );
    }
    this.policy?.checkWrite?.(
      'insert',
      { source: resolved.source, schema: resolved.schema, table: resolved.table },
      [],
      context,
    );
    return resolved.provider.insert(batches, { signal, context });
  }

  /** Runs one SELECT body. */
  async select(
    body: AstNode,
    params: readonly ScalarValue[],
    signal: AbortSignal,
    context: QueryContext,
  ): Promise<QueryResult> {
    return this.run(await this.prepare(body, params, signal, context), params, signal, context);
  }

  /** Runs a prepared SELECT, errors redacted when a policy shaped it. */
  async run(
    prepared: PreparedSelect,
    params: readonly ScalarValue[],
    signal: AbortSignal,
    context: QueryContext,
    options: { readonly trace?: ExecutionTrace } = {},
  ): Promise<QueryResult> {
    const rules = prepared.appliedRules;
    const redact =
      rules.length && this.policy?.redactError
        ? (error: unknown) => this.policy!.redactError!(error, rules)
        : undefined;
    const described = { appliedRules: prepared.appliedRules, sources: sourcesOf(prepared) };
    if (!redact) return withFields(await this.execute(prepared, params, signal, context, options), described);
    // A query a policy shaped: errors must not quote the values it hides.
    const result = await this.execute(prepared, params, signal, context, options).catch((e: unknown) => {
      throw redact(e);
    });
    return withFields(result, described, { batches: mapStreamErrors(result.batches, redact) });
  }

  /** Runs a prepared SELECT. */
  async execute(
    prepared: PreparedSelect,
    params: readonly ScalarValue[],
    signal: AbortSignal,
    context: QueryContext,
    /** `trace`: where each read's actual figures go (EXPLAIN ANALYZE). */
    options: { readonly trace?: ExecutionTrace } = {},
  ): Promise<QueryResult> {
    switch (prepared.kind) {
      case 'system':
        return (await this.systemCatalog(signal, context)).query(prepared.sql, params, signal, {
          ...(context.user ? { user: context.user } : {}),
        });
      case 'source-sql': {
        const executor = prepared.connector.sql!;
        const stream = executor.execute(prepared.rendered, { signal, context });
        const { schema, batches } = await peekSchema(stream);
        return { command: 'SELECT', schema, batches };
      }
      case 'join-at-source':
        return executeJoinAtSource(prepared.plan, signal, context, options.trace ?? new ExecutionTrace());
      case 'federated': {
        const trace = options.trace ?? new ExecutionTrace();
        const result = await executeFederated(
          this.queryInstance ? { instance: await this.queryInstance(), owned: true } : this.instance,
          {
            reads: prepared.schedule.reads,
            ...(prepared.schedule.sequential ? { sequential: true } : {}),
            sourceQueries: prepared.subqueries.map((q) => {
              const waitsFor =
                prepared.schedule.subqueries?.find((p) => p.relation === q.relation)?.waitsFor ?? [];
              return {
                source: q.source,
                relation: q.relation,
                run: (s: AbortSignal, keyLists: readonly SubqueryKeyList[] = []) =>
                  q.connector.sql!.execute(keyLists.length ? renderWithKeys(q, keyLists) : q.rendered, {
                    signal: s,
                    context,
                  }),
                ...(q.keysFor ? { keysFor: q.keysFor } : {}),
                ...(waitsFor.length ? { waitsFor } : {}),
              };
            }),
            residual: this.inMemoryResidual ? prepared.residual : withoutInMemory(prepared.residual),
            trace,
            ...(this.readCache && !this.queryInstance ? { readCache: this.readCache } : {}),
          },
          signal,
          context,
        );
        // Every read is loaded once the residual starts: what they showed teaches the link profiles.
        for (const read of trace.reads.values()) {
          if (read.cachedRows !== undefined) continue; // nothing crossed the link
          const connector = this.registry.sources.get(read.source);
          this.links.observe(read.source, connector?.sql !== undefined, read);
        }
        return result;
      }
    }
  }

  explain(sql: string, options: ExplainOptions = {}): Promise<ExplainPlan> {
    return this.#inFlight.settle(options.signal, (signal) => this.#explain(sql, { ...options, signal }));
  }

  async #explain(
    sql: string,
    options: ExplainOptions & { readonly signal: AbortSignal },
  ): Promise<ExplainPlan> {
    const rewritten = rewriteTableFunctionSyntax(sql, this.tableFunctions);
    if (rewritten !== undefined) return this.#explain(rewritten, options);
    const signal = options.signal;
    const statements = await parseSql(sql);
    const node = statements[0]?.node;
    if (node)
      await expandTableFunctions(node, sql, this.tableFunctions, options.params ?? [], options.context);
    const select = node?.SelectStmt ?? node?.ExplainStmt?.query?.SelectStmt;
    if (statements.length !== 1 || !select)
      throw new SpokeError(ErrorCode.UNSUPPORTED, 'EXPLAIN supports one SELECT statement');
    checkCallables(node!, { sql, isSource: (name) => this.registry.has(name) });
    return this.explainSelect(select, options.params ?? [], signal, queryContext(options.context), {
      analyze:
        options.analyze ??
        !!node?.ExplainStmt?.options?.some((o: AstNode) => o.DefElem?.defname === 'analyze'),
    });
  }

  /** Every table the caller may see; without a context, what a caller without roles may see. */
  async catalog(signal?: AbortSignal, context?: Partial<QueryContext>): Promise<readonly CatalogTable[]> {
    const all = await this.#allTables(signal);
    return this.policy?.visibleCatalog
      ? this.policy.visibleCatalog(all, queryContext(context), this.registry)
      : all;
  }

  async #allTables(signal?: AbortSignal): Promise<readonly CatalogTable[]> {
    const tables: CatalogTable[] = [];
    for (const [source, connector] of this.registry.sources) {
      for (const schema of await connector.catalog.listSchemas(signal)) {
        for (const name of await connector.catalog.listTables(schema, signal)) {
          const table = await connector.catalog.getTable(schema, name, signal);
          if (!table) continue;
          const arrowSchema = await table.schema(signal);
          tables.push({
            source,
            schema,
            name,
            columns: arrowSchema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })),
          });
        }
      }
    }
    return tables;
  }

  /**
   * Cancels every query in flight, then closes every connector, the system
   * catalogs, the read cache and DuckDB. Queries still starting fail, and
   * results not yet read to the end are closed — their source connections
   * (a PostgreSQL COPY's pool client) and DuckDB connections released —
   * so close does not wait for readers that never come; reading such a
   * result afterwards, or starting a query, fails with `QUERY_CANCELLED`
   * ("the engine was closed", SQLSTATE 57P01 admin_shutdown). Work that
   * ignores its cancellation is waited for at most a few seconds.
   */
  async close(): Promise<void> {
    await this.#inFlight.close();
    const errors: unknown[] = [];
    for (const connector of this.registry.sources.values())
      await connector.close().catch((e: unknown) => errors.push(e));
    for (const entry of this.#systems.values()) {
      const { system, instance } = await entry.catalog.catch(() => ({
        system: undefined,
        instance: undefined,
      }));
      system?.close();
      instance?.closeSync();
    }
    this.#systems.clear();
    await this.readCache?.close();
    this.instance.closeSync();
    if (errors.length) throw errors[0];
  }

  /**
   * The sources as `context` may see them: with security policies, what they
   * deny does not exist in any lookup (queries, writes, ingestion, time travel).
   */
  registryFor(context: QueryContext): SourceRegistry {
    const visibility = this.policy?.visibility?.(context, this.registry);
    return visibility ? this.registry.visibleTo(visibility) : this.registry;
  }

  /** Binds and plans a SELECT body (mutating it: the residual is rendered from it). */
  async prepare(
    stmt: AstNode,
    params: readonly ScalarValue[],
    signal: AbortSignal,
    context: QueryContext,
  ): Promise<PreparedSelect> {
    const registry = this.registryFor(context);
    // Before the policies: a past version is governed by its table's rules.
    resolveTimeTravel(stmt, registry);
    await breathe(stmt);
    const outcome = this.policy
      ? await this.policy.apply(stmt, { registry: this.registry, context, signal })
      : undefined;
    const plan = await this.plan(stmt, params, signal, registry, {
      whole: !outcome?.rowFiltered,
      ...this.shippingRules(context),
    });
    return withFields(plan, { appliedRules: outcome?.appliedRules ?? [] }) as PreparedSelect;
  }

  /**
   * What the security policies let move for `context`'s caller: whether a
   * table's join keys may go to another source, and whether its rows may be
   * uploaded to one. Absent without policies (everything may).
   */
  shippingRules(context: QueryContext): {
    readonly mayShipKeys?: (from: TableBinding, toSource: string) => boolean;
    readonly mayUpload?: MayUpload;
  } {
    const policy = this.policy;
    if (!policy) return {};
    return {
      ...(policy.mayShip
        ? {
            mayShipKeys: (from: TableBinding, toSource: string) =>
              policy.mayShip!(
                { source: from.source, schema: from.schema, table: from.table },
                toSource,
                context,
              ),
          }
        : {}),
      mayUpload: (from: TableBinding, toSource: string) => {
        const table = { source: from.source, schema: from.schema, table: from.table };
        const encrypted = this.registry.sources.get(toSource)?.encryptedLink !== false;
        if (policy.mayUpload) return policy.mayUpload(table, toSource, encrypted, context);
        return policy.mayShip ? policy.mayShip(table, toSource, context) : true;
      },
    };
  }

  /** Binds and plans a (policy-rewritten) SELECT body. */
  async plan(
    stmt: AstNode,
    params: readonly ScalarValue[],
    signal: AbortSignal,
    registry: SourceRegistry = this.registry,
    /**
     * `whole: false`: never send the whole statement to one source (a row filter must run first);
     * `mayShipKeys`: whether a table's join keys may go to another source (policies; default yes).
     */
    pushdown: {
      readonly whole: boolean;
      readonly mayShipKeys?: (from: TableBinding, toSource: string) => boolean;
      /** Whether a table's rows may be uploaded to another source to join there (policies; default yes). */
      readonly mayUpload?: MayUpload;
    } = { whole: true },
  ): Promise<PreparedPlan> {
    await breathe(stmt);
    let bound = await bindQuery(stmt, registry, signal);
    await breathe(stmt);
    const catalogCall = catalogOnlyCall(stmt);
    if (catalogCall !== undefined && bound.bindings.length) {
      // DuckDB has functions of some of these names with other answers (`format_type`): never the residual.
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `${catalogCall}() is answered by the system catalog only, in a query without source tables`,
      );
    }
    if (
      bound.systemRelations.length ||
      catalogCall !== undefined ||
      (bound.bindings.length === 0 &&
        !bound.hasOtherRelations &&
        !stmt.fromClause &&
        (!stmt.op || stmt.op === 'SETOP_NONE'))
    ) {
      if (bound.bindings.length) {
        throw new SpokeError(
          ErrorCode.UNSUPPORTED,
          `a query cannot join the system catalog (${bound.systemRelations.join(', ')}) with source tables`,
        );
      }
      const { deparseSync } = await import('pgsql-deparser');
      return {
        kind: 'system',
        sql: deparseSync({ SelectStmt: stmt } as never),
        relations: bound.systemRelations,
      };
    }
    const sqlSource = singleSqlSource(bound.bindings);
    if (
      sqlSource &&
      pushdown.whole &&
      !bound.hasOtherRelations &&
      unsupportedBy(stmt, sqlSource.sql!.dialect.capabilities) === undefined
    ) {
      try {
        const rendered = sqlSource.sql!.dialect.renderSelect(sourceTree(stmt, bound.bindings, params));
        return { kind: 'source-sql', source: bound.bindings[0]!.source, connector: sqlSource, rendered };
      } catch (error) {
        // A dialect that cannot render part of the query: run it federated instead.
        if (!(SpokeError.isInstance(error) && error.code === ErrorCode.UNSUPPORTED)) throw error;
      }
    }
    // Pre-aggregation at a table's source below a join, where the statistics show it pays: the grouped table
    // becomes a FROM sub-query, which planSubqueries sends whole to its source.
    const eager =
      this.optimizer === 'sequential' || this.optimizer === 'pull'
        ? []
        : await applyEagerAggregation(bound, params, signal, pushdown.mayShipKeys ?? (() => true));
    if (eager.length) bound = await bindQuery(stmt, registry, signal);
    // Tables of one SQL source joined inside it, where the joined rows are fewer bytes than the separate reads.
    const joined =
      this.joinInSource && this.optimizer !== 'sequential' && this.optimizer !== 'pull'
        ? await applyJoinInSource(bound, params, signal, {
            links: this.links,
            mayShipKeys: pushdown.mayShipKeys ?? (() => true),
          })
        : [];
    if (joined.length) bound = await bindQuery(stmt, registry, signal);
    // Rendered before the sub-queries and the residual rewrite change the tree: costed once the schedule is known.
    const atSource =
      pushdown.whole && this.optimizer !== 'pull' && this.optimizer !== 'sequential'
        ? joinAtSourceCandidate(stmt, bound, params, pushdown.mayUpload ?? (() => true))
        : undefined;
    await breathe(stmt);
    const mayShipKeys = pushdown.mayShipKeys ?? (() => true);
    // A sub-query's answer restricts another read only where its tables' values may go there: its keys are
    // values of those tables (`never_upload`), as much as a join's are.
    const subqueries = planSubqueries(stmt, bound.bindings, params).map((q): SubqueryPushdown => {
      if (!q.keysFor || q.bindings.every((b) => mayShipKeys(b, q.keysFor!.binding.source))) return q;
      const { keysFor: _kept, ...withoutKeys } = q;
      return withoutKeys;
    });
    await breathe(stmt);
    const covered = new Set(subqueries.flatMap((q) => q.bindings));
    const scans = await planScans(
      bound.bindings.filter((b) => !covered.has(b)),
      params,
      unionAllLimits(bound.scopes.keys()),
    );
    await breathe(stmt);
    const joinKeys = planJoinKeys(scans.map((s) => s.binding));
    // Before the estimates: a filter a join implies narrows what each source is asked, and what it is expected to bring.
    await addImpliedFilters(scans, joinKeys, mayShipKeys);
    const planned = planReads({
      scans,
      joinKeys,
      // One read has nothing to choose between: no source is asked to estimate (point queries stay cheap).
      estimates: scans.length > 1 ? await estimateReads(scans, signal) : unknownEstimates(scans),
      links: this.links,
      params,
      mayShipKeys,
      keyedBySubquery: new Set(subqueries.flatMap((q) => (q.keysFor ? [q.keysFor.binding] : []))),
      ...(this.optimizer === 'sequential' || this.optimizer === 'pull' ? { forced: this.optimizer } : {}),
      ...(this.readCache && !this.queryInstance && scans.length > 1
        ? { cached: scansInReadCache(scans, this.readCache) }
        : {}),
    });
    const eagerAggregations = new Map(
      subqueries.flatMap((q) => {
        const e = eager.find((a) => q.bindings.some((b) => b.rangeVar === a.rangeVar));
        return e ? [[q.relation, e] as const] : [];
      }),
    );
    const joinsInSource = new Map(
      subqueries.flatMap((q) => {
        const j = joined.find((a) => q.bindings.some((b) => a.rangeVars.includes(b.rangeVar)));
        return j ? [[q.relation, j] as const] : [];
      }),
    );
    // Pushed FROM sub-queries take other reads' keys where a join allows it and the keys may go to their source.
    const scanned = new Set(scans.map((s) => s.binding));
    const keyed =
      this.optimizer === 'sequential' || this.optimizer === 'pull'
        ? []
        : subqueries.flatMap((q) => {
            const edges = (q.keyEdges ?? []).filter(
              (e) => scanned.has(e.from) && mayShipKeys(e.from, q.source),
            );
            if (!edges.length) return [];
            const e = eagerAggregations.get(q.relation);
            const j = joinsInSource.get(q.relation);
            return [
              {
                relation: q.relation,
                source: q.source,
                sql: true,
                edges,
                rows: e?.estimatedRows ?? j?.estimatedRows,
                bytes: j?.estimatedBytes,
                scannedRows: e?.rowsBefore,
              },
            ];
          });
    const schedule: ReadSchedule = keyed.length
      ? { ...planned, subqueries: planSubqueryReads(planned, keyed, this.links) }
      : planned;
    if (atSource) {
      const estimates = new Map(schedule.reads.map((r) => [r.scan, r.estimate]));
      const plan = planJoinAtSource(stmt, atSource, schedule, estimates, this.links);
      if (
        plan &&
        (this.optimizer === 'join-at-source' || (schedule.cost !== undefined && plan.cost < schedule.cost))
      )
        return { kind: 'join-at-source', plan, schedule };
    }
    await breathe(stmt);
    const residual = buildResidual(stmt, scans, params);
    return {
      kind: 'federated',
      bound,
      scans,
      subqueries,
      joinKeys,
      schedule,
      residual,
      ...(eagerAggregations.size ? { eagerAggregations } : {}),
      ...(joinsInSource.size ? { joinsInSource } : {}),
    };
  }

  /** EXPLAIN of a SELECT body; with `analyze`, the query runs (its rows are counted, not returned). */
  async explainSelect(
    stmt: AstNode,
    params: readonly ScalarValue[],
    signal: AbortSignal,
    context: QueryContext,
    options: { readonly analyze?: boolean } = {},
  ): Promise<ExplainPlan> {
    const prepared = await this.prepare(stmt, params, signal, context);
    if (!options.analyze) return explainPlan(prepared);
    const started = performance.now();
    const trace = new ExecutionTrace();
    const result = await this.run(prepared, params, signal, context, { trace });
    const readsMs = performance.now() - started;
    let rows = 0;
    for await (const batch of result.batches) rows += batch.numRows;
    const ms = (n: number) => Math.round(n * 100) / 100;
    return explainPlan(prepared, {
      trace,
      totals: {
        totalMs: ms(performance.now() - started),
        readsMs: ms(readsMs),
        keyListMs: ms(trace.keyListMs),
        rows,
        ...(trace.residualInMemory ? { residualInMemory: true } : {}),
      },
    });
  }

  /** The shadow of the federated catalog that answers pg_catalog / information_schema queries, as the caller may see it. */
  async systemCatalog(signal?: AbortSignal, context?: QueryContext): Promise<SystemCatalog> {
    const ctx = context ?? queryContext(undefined);
    const key = this.policy?.visibilityKey?.(ctx) ?? '';
    let entry = this.#systems.get(key);
    if (!entry) {
      const create = async () => {
        const instance = this.systemInstance ? await this.systemInstance() : undefined;
        try {
          return {
            system: await SystemCatalog.create(instance ?? this.instance),
            ...(instance ? { instance } : {}),
          };
        } catch (error) {
          instance?.closeSync();
          throw error;
        }
      };
      entry = { catalog: create(), refreshedAt: 0 };
      const created = entry;
      this.#systems.set(key, created);
      created.catalog.catch(() => this.#systems.delete(key));
    }
    const { system } = await entry.catalog;
    // Catalogs change rarely; re-read them at most every few seconds, once for all the queries that ask meanwhile.
    if (Date.now() - entry.refreshedAt > 5_000) {
      const current = entry;
      current.refreshing ??= (async () => {
        try {
          // Not the asking query's signal: other queries wait for this refresh too.
          await system.refresh(await this.catalog(undefined, ctx));
          current.refreshedAt = Date.now();
        } finally {
          current.refreshing = undefined;
        }
      })();
      await current.refreshing;
    }
    return system;
  }
}

/** The configured sources a prepared SELECT reads. */
function sourcesOf(prepared: PreparedSelect): string[] {
  switch (prepared.kind) {
    case 'system':
      return [];
    case 'source-sql':
      return [prepared.source];
    case 'join-at-source':
      return [prepared.plan.source, ...new Set(prepared.plan.uploads.map((u) => u.scan.binding.source))];
    case 'federated':
      return [...new Set(prepared.bound.bindings.map((b) => b.source))];
  }
}

function queryContext(context: Partial<QueryContext> | undefined): QueryContext {
  return { queryId: context?.queryId ?? randomUUID(), roles: context?.roles ?? [], ...context };
}

/** Drains a result into an array of batches (tests, CLI). */
export async function collectBatches(result: QueryResult): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of result.batches) out.push(b);
  return out;
}

/**
 * Statements long enough that planning them synchronously would hold the
 * event loop (and with it every other client, `/healthz` included) for more
 * than a few tens of milliseconds. Planning costs far more per byte than
 * parsing: a 16 KB chain of `OR`s takes over 100 ms to plan.
 */
const largeStatements = new WeakSet<AstNode>();

/** Statements at least this many characters long are planned with pauses ({@link breathe}). */
const LARGE_STATEMENT_CHARS = 4 * 1024;

/**
 * Lets the event loop run between planning phases of a large statement;
 * nothing for the short statements that are nearly all traffic, where a
 * turn of the loop per phase would cost more than the phase.
 */
function breathe(node: AstNode): Promise<void> | undefined {
  return largeStatements.has(node) ? eventLoopTurn() : undefined;
}
