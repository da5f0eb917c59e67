/**
 * The engine the gateway serves when `nl:` is configured: the planner's
 * engine with `embed('text')` bound before every statement (so it works from
 * every client: HTTP, Postgres wire, Flight, CLI), and the language models
 * within reach of the front ends that answer questions (`POST /v1/ask`,
 * `spoke ask`).
 */
import type { QueryContext } from '@spoke/core';
import {
  bindEmbedCalls,
  createNl,
  type NlConfig,
  type NlModels,
  type PolicyRules,
  policyAnnotator,
  type TableAnnotator,
} from '@spoke/nl';
import type { QueryEngine, QueryOptions } from '@spoke/planner';

const NL = Symbol.for('@spoke/gateway/nl-engine');

/** What the planner's engine exposes that the annotator reads (both optional: any QueryEngine works). */
interface PolicyHolder {
  readonly policy?: unknown;
  readonly registry?: { sources: ReadonlyMap<string, { catalog: { defaultSchema?: string } }> };
}

/** A {@link QueryEngine} with natural language. */
export interface NlEngine extends QueryEngine {
  readonly [NL]: { readonly models: NlModels; readonly base: QueryEngine };
}

/** The models behind `engine`, when it was built with `nl:`. */
export function nlOf(
  engine: QueryEngine,
): { readonly models: NlModels; readonly base: QueryEngine } | undefined {
  return (engine as Partial<NlEngine>)[NL];
}

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

/** Wraps `base` with the models `config` describes (no request is made until one is needed). */
export function withNl(base: QueryEngine, config: NlConfig): NlEngine {
  const models = createNl(config);
  const engine: NlEngine = {
    [NL]: { models, base },
    async query(sql, options) {
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
