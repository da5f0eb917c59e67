import type { ModelCallOptions } from './chat-model.js';

/** An embeddings model: texts in, one vector per text out (same order). */
export interface EmbeddingModel {
  /** The configured model name. */
  readonly model: string;
  /** Rejects with the same `SpokeError` codes as a chat model. */
  embed(texts: readonly string[], options?: ModelCallOptions): Promise<Float32Array[]>;
}
