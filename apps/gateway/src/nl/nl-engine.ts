/**
 * The engine the gateway serves when `nl:` is configured: the planner's
 * engine with `embed('text')` bound before every statement (so it works from
 * every client: HTTP, Postgres wire, Flight, CLI), and the language models
 * within reach of the front ends that answer questions (`POST /v1/ask`,
 * `spoke ask`, and `SELECT * FROM ask('…')` on every wire).
 */
import { ErrorCode, type QueryContext, type ScalarValue, SpokeError } from '@spoke/core';
import {
  bindEmbedCalls,
  createNl,
  labelWithQuestion,
  type NlConfig,
  type NlModels,
  type PolicyRules,
  type PromptGraph,
  policyAnnotator,
  type RowCounter,
  type TableAnnotator,
} from '@spoke/nl';
import { parseSql, type QueryEngine, type QueryOptions, type QueryResult } from '@spoke/planner';

const NL = Symbol.for('@spoke/gateway/nl-engine');

/** What the planner's engine exposes that the annotator and the row counter read (optional: any QueryEngine works). */
interface PolicyHolder {
  readonly policy?: unknown;
  readonly registry?: {
    sources: ReadonlyMap<string, { catalog: { defaultSchema?: string } }>;
    resolve?(
      source: string,
      schema: string | undefined,
      table: string,
      signal?: AbortSignal,
    ): Promise<{
      provider: {
        estimateRows?(filters: readonly never[], signal?: AbortSignal): Promise<number | undefined>;
        statistics?(signal?: AbortSignal): Promise<{ rowCount?: { value: number } } | undefined>;
      };
    }>;
  };
}

/** Options of {@link withNl}. */
export interface NlEngineOptions {
  /** The graphs `cypher()` reads, offered in prompts as far as each asker may see their tables. */
  readonly graphs?: ReadonlyMap<string, PromptGraph>;
}

/** A {@link QueryEngine} with natural language. */
export interface NlEngine extends QueryEngine {
  readonly [NL]: NlParts;
}

/** What an {@link NlEngine} is made of. */
export interface NlParts {
  readonly models: NlModels;
  readonly base: QueryEngine;
  readonly graphs?: ReadonlyMap<string, PromptGraph>;
}

/** The models behind `engine`, when it was built with `nl:`. */
export function nlOf(engine: QueryEngine): NlParts | undefined {
  return (engine as Partial<NlEngine>)[NL];
}

/**
 * A result of `SELECT * FROM ask('…')` carries the SQL the model wrote, so
 * the query service's audit record of the statement holds it
 * (`generatedSql`) beside the `ask()` call the client sent.
 */
export type AskQueryResult = QueryResult & { readonly generatedSql: string };

/** `options` with the statement's `embed()` calls bound (sql and params replaced). */
async function bind(
  sql: string,
  options: QueryOptions | undefined,
  models: NlModels,
): Promise<[string, QueryOptions | undefined]> {
  const bound = await bindEmbedCalls(
    sql,
    options?.params ?? [],
    models.embeddings,
    options?.signal ? { signal: options.signal } : {},
  );
  if (bound.calls === 0) return [sql, options];
  return [bound.sql, { ...options, params: bound.params }];
}

/** Cheap pre-check: statements without the word skip parsing. */
const MENTIONS_ASK = /\bask\s*\(/i;

type Node = Record<string, unknown>;

/**
 * The question of a statement that is exactly `SELECT * FROM ask('…')` (or
 * `ask($1)`); `undefined` for any other statement. Nothing else may surround
 * the call: the rows are the answer's, as the generated SQL gives them.
 */
export async function askQuestion(sql: string, params: readonly ScalarValue[]): Promise<string | undefined> {
  if (!MENTIONS_ASK.test(sql)) return undefined;
  let statements: Awaited<ReturnType<typeof parseSql>>;
  try {
    statements = await parseSql(sql);
  } catch {
    return undefined;
  }
  if (statements.length !== 1) return undefined;
  const select = (statements[0]!.node as { SelectStmt?: Node }).SelectStmt;
  const from = select?.fromClause as Node[] | undefined;
  const range = from?.length === 1 ? (from[0]!.RangeFunction as Node | undefined) : undefined;
  const first = (range?.functions as { List?: { items?: Node[] } }[] | undefined)?.[0];
  const call = first?.List?.items?.[0]?.FuncCall as Node | undefined;
  const name = (call?.funcname as { String?: { sval?: string } }[] | undefined)?.map((n) => n.String?.sval);
  if (!select || !call || name?.length !== 1 || name[0]?.toLowerCase() !== 'ask') return undefined;
  const targets = select.targetList as { ResTarget?: { val?: { ColumnRef?: { fields?: Node[] } } } }[];
  const star =
    targets?.length === 1 && targets[0]!.ResTarget?.val?.ColumnRef?.fields?.[0]?.A_Star !== undefined;
  const other = [
    'whereClause',
    'groupClause',
    'havingClause',
    'sortClause',
    'limitCount',
    'limitOffset',
    'withClause',
    'distinctClause',
  ];
  if (!star || other.some((key) => select[key] !== undefined) || range?.alias || range?.lateral)
    throw new SpokeError(ErrorCode.UNSUPPORTED, "ask() is used alone: SELECT * FROM ask('question')", {
      details: { sqlstate: '0A000' },
    });
  const args = (call.args as Node[] | undefined) ?? [];
  const constant =
    args.length === 1 ? (args[0]!.A_Const as { sval?: { sval?: string } } | undefined) : undefined;
  const param = args.length === 1 ? (args[0]!.ParamRef as { number?: number } | undefined) : undefined;
  const question =
    constant?.sval !== undefined
      ? (constant.sval.sval ?? '')
      : param?.number !== undefined
        ? params[param.number - 1]
        : undefined;
  if (typeof question !== 'string')
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      "ask() takes the question as a string literal or $n: SELECT * FROM ask('question')",
      {
        details: { sqlstate: '22023' },
      },
    );
  return question;
}

/**
 * Who a caller is, as far as what they may see goes: sample values read for
 * one key are reused for others with the same key only.
 */
export function viewerKey(caller: {
  readonly user?: string | undefined;
  readonly roles?: readonly string[] | undefined;
  readonly attributes?: Readonly<Record<string, string>> | undefined;
}): string {
  const attributes = Object.entries(caller.attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([caller.user ?? null, [...(caller.roles ?? [])].sort(), attributes]);
}

/**
 * How long an answer's SQL is reused for the same question from the same
 * viewer. Clients that learn a result's schema by running the statement
 * first (Flight SQL's prepared statements, some drivers' Describe) would
 * otherwise ask the model twice, and might get two different queries.
 */
const REUSE_MS = 60_000;
const MAX_REUSED = 1000;

/** Answers `SELECT * FROM ask(…)` as the caller in `options.context`, over the planner's engine `base`. */
function answerer(base: QueryEngine, models: NlModels, graphs: ReadonlyMap<string, PromptGraph> | undefined) {
  const recent = new Map<string, { sql: string; at: number }>();
  return async (question: string, options: QueryOptions = {}): Promise<AskQueryResult> => {
    const context = options.context;
    const viewer = viewerKey(context ?? {});
    const key = JSON.stringify([viewer, question.trim()]);
    const run = { ...(options.signal ? { signal: options.signal } : {}), ...(context ? { context } : {}) };
    const hit = recent.get(key);
    // The reused SQL runs as any query of the caller's: the planner checks it again, under their policies.
    if (hit && Date.now() - hit.at < REUSE_MS)
      return { ...(await base.query(labelWithQuestion(hit.sql, question), run)), generatedSql: hit.sql };
    const annotate = annotatorFor(base, { roles: context?.roles ?? [] });
    const rowCount = rowCounterFor(base);
    const answered = await models.asker.ask(base, question, {
      ...run,
      ...(annotate ? { annotate } : {}),
      ...(rowCount ? { rowCount } : {}),
      ...(graphs ? { graphs } : {}),
      label: labelWithQuestion,
      viewer,
    });
    if (recent.size >= MAX_REUSED) recent.clear();
    recent.set(key, { sql: answered.sql, at: Date.now() });
    return { ...answered.result!, generatedSql: answered.sql };
  };
}

/** Wraps `base` with the models `config` describes (no request is made until one is needed). */
export function withNl(base: QueryEngine, config: NlConfig, options: NlEngineOptions = {}): NlEngine {
  const models = createNl(config);
  const answer = answerer(base, models, options.graphs);
  const engine: NlEngine = {
    [NL]: { models, base, ...(options.graphs ? { graphs: options.graphs } : {}) },
    async query(sql, options) {
      // `SELECT * FROM ask('…')`: a question from any client (psql, JDBC, Flight), answered as its caller.
      const question = await askQuestion(sql, options?.params ?? []);
      if (question !== undefined) return answer(question, options);
      const [bound, opts] = await bind(sql, options, models);
      return base.query(bound, opts);
    },
    async explain(sql, options) {
      const [bound, opts] = await bind(sql, options, models);
      return base.explain(bound, opts);
    },
    catalog: (signal, context) => base.catalog(signal, context),
    close: () => base.close(),
  };
  if (base.ingest) {
    const ingest = base.ingest.bind(base);
    return { ...engine, ingest: (target, batches, options) => ingest(target, batches, options) };
  }
  return engine;
}

/**
 * Approximate row counts for prompts, from the sources under `engine` (the
 * table's `estimateRows` with no filters, else its statistics). Only asked
 * about tables in the asker's own catalog; `@spoke/nl` leaves the count out
 * for tables a row filter applies to. Absent when the engine has no registry.
 */
export function rowCounterFor(engine: QueryEngine): RowCounter | undefined {
  const base = (nlOf(engine)?.base ?? engine) as QueryEngine & PolicyHolder;
  const registry = base.registry;
  if (typeof registry?.resolve !== 'function') return undefined;
  return async (table, signal) => {
    const { provider } = await registry.resolve!(table.source, table.schema, table.name, signal);
    const estimate = await provider.estimateRows?.([], signal);
    if (estimate !== undefined) return estimate;
    return (await provider.statistics?.(signal))?.rowCount?.value;
  };
}

/**
 * The security-policy marks (masked columns, aggregate-only tables) for a
 * caller with `context`'s roles, read from the planner's engine under `engine`.
 * Absent when no policies are configured.
 */
export function annotatorFor(
  engine: QueryEngine,
  context: Pick<QueryContext, 'roles'>,
): TableAnnotator | undefined {
  const base = (nlOf(engine)?.base ?? engine) as QueryEngine & PolicyHolder;
  const policy = base.policy as Partial<PolicyRules> | undefined;
  if (typeof policy?.tableRules !== 'function') return undefined;
  return policyAnnotator(
    policy as PolicyRules,
    context,
    (source) => base.registry?.sources.get(source)?.catalog.defaultSchema,
  );
}
