/**
 * The ask loop: ground the prompt in what the asker may see, let the model
 * write SQL, check it with the planner *as the asker* (parse, bind, policies,
 * plan: `EXPLAIN`), send the planner's error back for a bounded number of
 * repairs, then run it as the asker. The model never sees a table, column or
 * value the asker could not read themselves, and its SQL gets no right the
 * asker lacks: it is just another query of theirs.
 */
import { ErrorCode, type QueryContext, SpokeError } from '@spoke/core';
import type { ExplainPlan, QueryEngine, QueryResult } from '@spoke/planner';
import { type GroundedTable, groundCatalog } from '../grounding/grounded-catalog.js';
import type { PromptGraph } from '../grounding/prompt-graphs.js';
import { renderPrompt } from '../grounding/render-prompt.js';
import { addSampleValues, SampleCache } from '../grounding/sample-values.js';
import { type DescriptionEmbeddings, selectTables } from '../grounding/select-tables.js';
import type { TableAnnotator } from '../grounding/table-annotations.js';
import { addTableFacts, type RowCounter, type TableComments } from '../grounding/table-facts.js';
import type { ChatMessage, ChatModel } from '../providers/chat-model.js';
import { extractSql } from './extract-sql.js';
import { checkReadOnly } from './read-only-check.js';

/** The engine calls the loop makes: the asker's own view of the planner. */
export type AskEngine = Pick<QueryEngine, 'query' | 'explain' | 'catalog'>;

/** Options of an {@link Asker}. */
export interface AskerOptions {
  readonly chat: ChatModel;
  /** For choosing tables by relevance when the catalog is large, and for mentioning `embed()` in prompts. */
  readonly embeddings?: DescriptionEmbeddings;
  /** Repairs after the first attempt. Default 2. */
  readonly maxRepairs?: number;
  /** Sample values per text column. Default 3. */
  readonly sampleValues?: number;
  /** Tables shown at most. Default 30. */
  readonly maxTables?: number;
  /** Offer the model the `run_sql` tool. */
  readonly offerSqlTool?: boolean;
  /** Comments on tables and columns, by table name (`source.table` or `source.schema.table`): `nl.comments`. */
  readonly comments?: Readonly<Record<string, TableComments>>;
}

/** Per-question options. */
export interface AskOptions {
  readonly signal?: AbortSignal;
  /** The asker, for engines that take it per call (the planner's engine); a per-client engine ignores it. */
  readonly context?: Partial<QueryContext>;
  /** The asker's policy marks (masked columns, aggregate-only tables). */
  readonly annotate?: TableAnnotator;
  /** Only write and check the SQL: do not run it. */
  readonly dryRun?: boolean;
  /**
   * Who is asking, as far as what they may see goes (user, roles,
   * attributes): sample values read for one viewer are reused for five
   * minutes. Absent: samples are read for every question.
   */
  readonly viewer?: string;
  /**
   * The SQL actually sent to `engine.query`: lets a caller label it (the
   * gateway prefixes a comment holding the question, for its audit trail
   * and query list). Default: the SQL as written.
   */
  readonly label?: (sql: string, question: string) => string;
  /** Approximate row counts of tables, for the prompt (left out of it for row-filtered tables). */
  readonly rowCount?: RowCounter;
  /** Property graphs to offer (Cypher through `cypher()` and GRAPH_TABLE), shown as far as the asker may see their tables. */
  readonly graphs?: ReadonlyMap<string, PromptGraph>;
}

/** One attempt: the SQL the model wrote, and why it was refused if it was. */
export interface AskAttempt {
  readonly sql?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The answer to a question. */
export interface AskAnswer {
  readonly question: string;
  /** The SQL that passed the planner's checks. */
  readonly sql: string;
  /** Its plan, as `EXPLAIN` gives it. */
  readonly explain: ExplainPlan;
  /** How many times the model was asked (1 when the first SQL passed). */
  readonly attempts: number;
  /** Every attempt, the refused ones with the planner's error. */
  readonly history: readonly AskAttempt[];
  /** The model that answered. */
  readonly model: string;
  /** The rows, unless `dryRun`. Read `batches` once. */
  readonly result?: QueryResult;
}

/** The longest question accepted: a question, not a document. */
export const MAX_QUESTION_CHARS = 4000;

function describe(error: unknown): { code: string; message: string } {
  if (SpokeError.isInstance(error)) return { code: error.code, message: error.message };
  return { code: ErrorCode.INTERNAL, message: (error as Error)?.message ?? String(error) };
}

/** Errors the model cannot fix by rewriting its SQL: they end the loop at once. */
function isFinal(error: unknown): boolean {
  if (!SpokeError.isInstance(error)) return true;
  return (
    error.code === ErrorCode.QUERY_CANCELLED ||
    error.code === ErrorCode.QUERY_TIMEOUT ||
    error.code === ErrorCode.SOURCE_UNAVAILABLE ||
    error.code === ErrorCode.RESOURCE_EXHAUSTED ||
    error.code === ErrorCode.UNAUTHENTICATED ||
    error.code === ErrorCode.INTERNAL
  );
}

/** Answers natural-language questions with Spoke SQL. One per gateway; questions from any asker. */
export class Asker {
  readonly #options: AskerOptions;
  readonly #samples = new SampleCache();

  constructor(options: AskerOptions) {
    this.#options = options;
  }

  /** The tables a prompt for `question` shows `engine`'s caller, with their marks and samples. */
  async ground(
    engine: AskEngine,
    question: string,
    options: AskOptions = {},
  ): Promise<{
    tables: GroundedTable[];
    visible: number;
    all: GroundedTable[];
  }> {
    // The catalog as the asker may see it: denied sources, tables and columns are absent.
    const catalog = await engine.catalog(options.signal, options.context);
    const all = groundCatalog(catalog, options.annotate);
    const tables = await selectTables(
      all,
      question,
      this.#options.maxTables ?? 30,
      this.#options.embeddings,
      options.signal,
    );
    const label = options.label;
    await addSampleValues(engine, tables, this.#options.sampleValues ?? 3, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.context ? { context: options.context } : {}),
      ...(label ? { label: (sql: string) => label(sql, `${question} (sample values)`) } : {}),
      ...(options.viewer !== undefined ? { cache: this.#samples, viewer: options.viewer } : {}),
    });
    await addTableFacts(tables, {
      ...(this.#options.comments ? { comments: this.#options.comments } : {}),
      ...(options.rowCount ? { rowCount: options.rowCount } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { tables, visible: all.length, all };
  }

  /** The messages the model receives first for `question`. */
  async prompt(engine: AskEngine, question: string, options: AskOptions = {}): Promise<ChatMessage[]> {
    const { tables, visible, all } = await this.ground(engine, question, options);
    return renderPrompt(question, tables, {
      embed: this.#options.embeddings !== undefined,
      ...(visible > tables.length ? { truncatedFrom: visible } : {}),
      ...(options.graphs ? { graphs: options.graphs, visible: all } : {}),
    });
  }

  /**
   * Answers `question` as `engine`'s caller. Rejects with `INVALID_QUERY`
   * when no attempt passed the planner's checks (the details hold every
   * attempt), or with the model's or the engine's error.
   */
  async ask(engine: AskEngine, question: string, options: AskOptions = {}): Promise<AskAnswer> {
    const text = question.trim();
    if (text === '') throw new SpokeError(ErrorCode.INVALID_QUERY, 'the question is empty');
    if (text.length > MAX_QUESTION_CHARS)
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `the question is ${text.length} characters long; at most ${MAX_QUESTION_CHARS} are accepted`,
        { details: { sqlstate: '54000' } },
      );
    const { signal } = options;
    const messages = await this.prompt(engine, text, options);
    const history: AskAttempt[] = [];
    const maxAttempts = 1 + (this.#options.maxRepairs ?? 2);
    let model = this.#options.chat.model;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const reply = await this.#options.chat.complete(
        { messages, ...(this.#options.offerSqlTool ? { offerSqlTool: true } : {}) },
        signal ? { signal } : {},
      );
      model = reply.model;
      const sql = extractSql(reply);
      messages.push({
        role: 'assistant',
        content: reply.content !== '' ? reply.content : `\`\`\`sql\n${reply.toolSql ?? ''}\n\`\`\``,
      });
      if (sql === undefined) {
        const error = {
          code: ErrorCode.SYNTAX_ERROR,
          message: 'the answer holds no SQL: reply with one ```sql fenced block',
        };
        history.push({ error });
        messages.push({ role: 'user', content: `${error.message}.` });
        continue;
      }
      let explain: ExplainPlan;
      try {
        await checkReadOnly(sql);
        // The planner's check, as the asker: parse, bind against what they may see, policies, push-down plan.
        explain = await engine.explain(sql, {
          ...(signal ? { signal } : {}),
          ...(options.context ? { context: options.context } : {}),
        });
      } catch (error) {
        if (isFinal(error) || signal?.aborted) throw error;
        const described = describe(error);
        history.push({ sql, error: described });
        messages.push({
          role: 'user',
          content: `Spoke refused that query: ${described.code}: ${described.message}\nWrite a corrected query that answers the question, using only the tables and columns listed.`,
        });
        continue;
      }
      history.push({ sql });
      const base = { question: text, sql, explain, attempts: attempt, history, model };
      if (options.dryRun) return base;
      const result = await engine.query(options.label ? options.label(sql, text) : sql, {
        ...(signal ? { signal } : {}),
        ...(options.context ? { context: options.context } : {}),
      });
      return { ...base, result };
    }
    const last = history[history.length - 1]?.error;
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `the model's SQL did not pass Spoke's checks in ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'}${last ? `; last error: ${last.code}: ${last.message}` : ''}`,
      { details: { attempts: history, sqlstate: '42000' } },
    );
  }
}

/**
 * `sql` preceded by a comment holding the question, so the audit trail and
 * the running-query list show what was asked next to what ran. The comment
 * cannot end early or nest (`*​/` and `/*` are broken up), and is never sent
 * to a source: the planner renders sources' SQL from the parsed tree.
 */
export function labelWithQuestion(sql: string, question: string): string {
  const safe = question
    .slice(0, 500)
    // Control characters (newlines included) become spaces: the label stays one line.
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\*\//g, '* /')
    .replace(/\/\*/g, '/ *');
  return `/* spoke ask: ${safe} */\n${sql}`;
}
