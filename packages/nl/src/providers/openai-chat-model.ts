/**
 * A {@link ChatModel} over any OpenAI-compatible Chat Completions API
 * (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM, llama.cpp's server, LM
 * Studio…), through the maintained `openai` SDK: its timeouts, its retries
 * with exponential backoff (honouring `retry-after`), its error classes.
 */
import type OpenAI from 'openai';
import type { ChatEndpointConfig } from '../nl-config.js';
import type { ChatModel, ChatReply, ChatRequest, ModelCallOptions } from './chat-model.js';
import { openAiSdk } from './openai-sdk.js';
import { abortable, type EndpointLabel, providerError } from './provider-error.js';

/** The tool a model may call to answer (`offerSqlTool`). */
export const RUN_SQL_TOOL = {
  type: 'function',
  function: {
    name: 'run_sql',
    description: 'Run one read-only Spoke SQL query (PostgreSQL dialect) that answers the question.',
    parameters: {
      type: 'object',
      properties: { sql: { type: 'string', description: 'One SELECT statement.' } },
      required: ['sql'],
      additionalProperties: false,
    },
  },
} as const;

/**
 * The key sent when none is configured. The SDK would otherwise read
 * `OPENAI_API_KEY` from the environment and send it to whatever endpoint is
 * configured — a local server must not receive an OpenAI key by accident.
 */
const NO_KEY = 'none';

/** Creates an SDK client for one configured endpoint (loading the SDK the first time). */
export async function openAiClient(config: {
  readonly endpoint: string;
  readonly apiKey?: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
}): Promise<OpenAI> {
  const OpenAiClient = await openAiSdk();
  return new OpenAiClient({
    baseURL: config.endpoint,
    apiKey: config.apiKey ?? NO_KEY,
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
    // Never the browser, and never the SDK's own environment lookups (OPENAI_BASE_URL, OPENAI_ORG_ID…).
    organization: null,
    project: null,
  });
}

/** Chat Completions through the `openai` SDK. */
export class OpenAiChatModel implements ChatModel {
  readonly model: string;
  /** Made at the first call: the SDK is loaded only then. */
  #client: Promise<OpenAI> | undefined;
  readonly #config: ChatEndpointConfig;
  readonly #label: EndpointLabel;

  /** @param key - the config key, for messages (`nl.chat`) */
  constructor(config: ChatEndpointConfig, key = 'nl.chat') {
    this.model = config.model;
    this.#config = config;
    this.#label = { key, ...config };
  }

  async complete(request: ChatRequest, options: ModelCallOptions = {}): Promise<ChatReply> {
    try {
      this.#client ??= openAiClient(this.#config);
      const client = await this.#client;
      const completion = await abortable(
        (signal) =>
          client.chat.completions.create(
            {
              model: this.#config.model,
              messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
              ...(this.#config.temperature !== undefined ? { temperature: this.#config.temperature } : {}),
              ...(request.offerSqlTool ? { tools: [RUN_SQL_TOOL] } : {}),
            },
            { signal },
          ),
        options.signal,
      );
      const choice = completion.choices?.[0];
      if (!choice?.message) throw new Error('the completion has no choices[0].message');
      const toolSql = sqlOfToolCalls(choice.message.tool_calls);
      return {
        content: choice.message.content ?? '',
        ...(toolSql !== undefined ? { toolSql } : {}),
        model: completion.model ?? this.model,
        ...(completion.usage
          ? {
              usage: {
                promptTokens: completion.usage.prompt_tokens,
                completionTokens: completion.usage.completion_tokens,
              },
            }
          : {}),
      };
    } catch (error) {
      throw providerError(error, this.#label, options.signal);
    }
  }
}

/** The `sql` argument of the first `run_sql` call, when there is one with valid JSON arguments. */
function sqlOfToolCalls(calls: readonly unknown[] | null | undefined): string | undefined {
  for (const call of calls ?? []) {
    const fn = (call as { type?: string; function?: { name?: string; arguments?: string } }).function;
    if (fn?.name !== RUN_SQL_TOOL.function.name || typeof fn.arguments !== 'string') continue;
    try {
      const args = JSON.parse(fn.arguments) as { sql?: unknown };
      if (typeof args.sql === 'string') return args.sql;
    } catch {
      // A malformed call is treated as no call: the text (if any) is read instead, or the model is asked again.
    }
  }
  return undefined;
}
