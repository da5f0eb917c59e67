/** The models an `nl:` section configures. */

import { Asker } from './ask/asker.js';
import { DescriptionEmbeddings } from './grounding/select-tables.js';
import type { NlConfig } from './nl-config.js';
import type { ChatModel } from './providers/chat-model.js';
import type { EmbeddingModel } from './providers/embedding-model.js';
import { OpenAiChatModel } from './providers/openai-chat-model.js';
import { OpenAiEmbeddingModel } from './providers/openai-embedding-model.js';

/** What {@link createNl} builds. */
export interface NlModels {
  readonly chat: ChatModel;
  readonly embeddings?: EmbeddingModel;
  /** The ask loop over them, with the section's limits. */
  readonly asker: Asker;
}

/** Builds the OpenAI-compatible clients and the ask loop an `nl:` section describes (no request is made). */
export function createNl(config: NlConfig): NlModels {
  const chat = new OpenAiChatModel(config.chat, 'nl.chat');
  const embeddings = config.embeddings
    ? new OpenAiEmbeddingModel(config.embeddings, 'nl.embeddings')
    : undefined;
  const asker = new Asker({
    chat,
    ...(embeddings ? { embeddings: new DescriptionEmbeddings(embeddings) } : {}),
    maxRepairs: config.maxRepairs,
    sampleValues: config.sampleValues,
    maxTables: config.maxTables,
    offerSqlTool: config.chat.tools,
    comments: config.comments,
  });
  return { chat, ...(embeddings ? { embeddings } : {}), asker };
}
