/**
 * The chat-model contract the ask loop talks to. Small on purpose (see
 * STYLE.md: Kysely's dialect, the Vercel AI SDK's provider spec): one
 * method, messages in, text (or a tool call's SQL) out, cancellable.
 */

/** One message of a conversation. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** What one completion is asked. */
export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  /**
   * Offer the model a `run_sql` tool (`{"sql": "..."}`) to answer with.
   * Only for endpoints that support tool calls; the answer is read from a
   * fenced block or a JSON object as well, so a model may ignore it.
   */
  readonly offerSqlTool?: boolean;
}

/** The model's answer. */
export interface ChatReply {
  /** The message text (may be empty when the model answered with a tool call). */
  readonly content: string;
  /** The `sql` argument of a `run_sql` tool call, when the model made one. */
  readonly toolSql?: string;
  /** The model that answered, as the endpoint names it. */
  readonly model: string;
  /** Token counts, when the endpoint reports them. */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

/** Per-call options. */
export interface ModelCallOptions {
  /** Cancels the request (and its retries); the call rejects with `QUERY_CANCELLED`. */
  readonly signal?: AbortSignal;
}

/** A chat model: an OpenAI-compatible endpoint, or anything else that can answer messages. */
export interface ChatModel {
  /** The configured model name (shown in answers and audit records). */
  readonly model: string;
  /**
   * One completion. Rejects with a `SpokeError`: `QUERY_CANCELLED`,
   * `QUERY_TIMEOUT`, `SOURCE_UNAVAILABLE` (unreachable, overloaded after
   * retries) or `SOURCE_ERROR` (the endpoint refused the request).
   */
  complete(request: ChatRequest, options?: ModelCallOptions): Promise<ChatReply>;
}
