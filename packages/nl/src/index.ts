/**
 * `@spoke/nl` — natural language on top of Spoke. A question is compiled to
 * Spoke SQL by a language model that sees only what the asker may see, the
 * SQL is checked by the planner as the asker before it runs, and the
 * planner's errors go back to the model for a bounded number of repairs.
 *
 * @packageDocumentation
 */
export {
  type AskAnswer,
  type AskAttempt,
  type AskEngine,
  Asker,
  type AskerOptions,
  type AskOptions,
  labelWithQuestion,
  MAX_QUESTION_CHARS,
} from './ask/asker.js';
export { extractSql } from './ask/extract-sql.js';
export { checkReadOnly } from './ask/read-only-check.js';
export { createNl, type NlModels } from './create-models.js';
export { type BoundEmbeds, bindEmbedCalls } from './embed/bind-embed-calls.js';
export {
  type GroundedColumn,
  type GroundedTable,
  groundCatalog,
  quoteIdent,
  sqlTypeName,
} from './grounding/grounded-catalog.js';
export { inferJoinPaths, type JoinPath } from './grounding/join-paths.js';
export { graphJoinPaths, type PromptGraph, renderGraphs } from './grounding/prompt-graphs.js';
export { type PromptOptions, renderPrompt, renderTable } from './grounding/render-prompt.js';
export { addSampleValues, SampleCache, type SampleOptions } from './grounding/sample-values.js';
export { DescriptionEmbeddings, describeTable, selectTables } from './grounding/select-tables.js';
export {
  type PolicyRules,
  policyAnnotator,
  type TableAnnotation,
  type TableAnnotator,
} from './grounding/table-annotations.js';
export {
  addTableFacts,
  commentsFor,
  type RowCounter,
  type TableComments,
  type TableFactsOptions,
  type TableName,
} from './grounding/table-facts.js';
export {
  type ChatEndpointConfig,
  type ModelEndpointConfig,
  NL_DEFAULTS,
  type NlConfig,
  parseNlConfig,
} from './nl-config.js';
export type {
  ChatMessage,
  ChatModel,
  ChatReply,
  ChatRequest,
  ModelCallOptions,
} from './providers/chat-model.js';
export type { EmbeddingModel } from './providers/embedding-model.js';
export { OpenAiChatModel, openAiClient, RUN_SQL_TOOL } from './providers/openai-chat-model.js';
export { OpenAiEmbeddingModel } from './providers/openai-embedding-model.js';
export { abortable, type EndpointLabel, providerError } from './providers/provider-error.js';
