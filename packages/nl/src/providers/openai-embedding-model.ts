/** An {@link EmbeddingModel} over any OpenAI-compatible `/embeddings` API, through the `openai` SDK. */
import type OpenAI from 'openai';
import type { ModelEndpointConfig } from '../nl-config.js';
import type { ModelCallOptions } from './chat-model.js';
import type { EmbeddingModel } from './embedding-model.js';
import { openAiClient } from './openai-chat-model.js';
import { abortable, type EndpointLabel, providerError } from './provider-error.js';

/** Most endpoints cap the inputs of one request; larger lists are sent in batches of this many. */
const MAX_INPUTS_PER_REQUEST = 64;

/** Embeddings through the `openai` SDK. */
export class OpenAiEmbeddingModel implements EmbeddingModel {
  readonly model: string;
  /** Made at the first call: the SDK is loaded only then. */
  #client: Promise<OpenAI> | undefined;
  readonly #config: ModelEndpointConfig;
  readonly #label: EndpointLabel;

  /** @param key - the config key, for messages (`nl.embeddings`) */
  constructor(config: ModelEndpointConfig, key = 'nl.embeddings') {
    this.model = config.model;
    this.#config = config;
    this.#label = { key, ...config };
  }

  async embed(texts: readonly string[], options: ModelCallOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += MAX_INPUTS_PER_REQUEST) {
      const input = texts.slice(start, start + MAX_INPUTS_PER_REQUEST);
      try {
        this.#client ??= openAiClient(this.#config);
        const client = await this.#client;
        const response = await abortable(
          (signal) =>
            client.embeddings.create(
              // `float` explicitly: the SDK's default (base64) is not served by every compatible server.
              { model: this.model, input: [...input], encoding_format: 'float' },
              { signal },
            ),
          options.signal,
        );
        const vectors = new Array<Float32Array | undefined>(input.length);
        for (const item of response.data ?? []) {
          if (!Array.isArray(item.embedding) || item.index < 0 || item.index >= input.length)
            throw new Error('an embedding is not a list of numbers at a valid index');
          vectors[item.index] = Float32Array.from(item.embedding);
        }
        if (vectors.some((v) => v === undefined))
          throw new Error(`asked for ${input.length} embeddings, got ${response.data?.length ?? 0}`);
        const dims = vectors[0]!.length;
        if (dims === 0 || vectors.some((v) => v!.length !== dims))
          throw new Error('the embeddings are empty or of different lengths');
        out.push(...(vectors as Float32Array[]));
      } catch (error) {
        throw providerError(error, this.#label, options.signal);
      }
    }
    return out;
  }
}
