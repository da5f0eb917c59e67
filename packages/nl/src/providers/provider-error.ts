/**
 * The OpenAI SDK's errors as `SpokeError`s that name the endpoint and say
 * what to do. The SDK has already retried what is worth retrying when one
 * of these arrives.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import type OpenAI from 'openai';
import { loadedOpenAiSdk } from './openai-sdk.js';

/** Which configured endpoint failed, for messages: `nl.chat` or `nl.embeddings`. */
export interface EndpointLabel {
  readonly key: string;
  readonly endpoint: string;
  readonly model: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
}

/** The message an endpoint sent with an error status, kept short. */
function upstreamMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : error.message;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** `error` (from the SDK or anything else) as a `SpokeError`; `signal` tells a cancellation apart. */
export function providerError(error: unknown, label: EndpointLabel, signal?: AbortSignal): SpokeError {
  if (SpokeError.isInstance(error)) return error;
  const where = `${label.key} (${label.endpoint}, model ${label.model})`;
  const after = label.maxRetries > 0 ? ` after ${label.maxRetries + 1} attempts` : '';
  const options = { cause: error, source: label.key };
  // The SDK's errors exist only once it has been loaded, which a request through it did.
  const sdk = loadedOpenAiSdk();
  if (signal?.aborted || (sdk && error instanceof sdk.APIUserAbortError)) return SpokeError.cancelled(signal);
  if (!sdk)
    return new SpokeError(
      ErrorCode.SOURCE_ERROR,
      `${where} failed: ${(error as Error)?.message ?? String(error)}`,
      options,
    );
  if (error instanceof sdk.APIConnectionTimeoutError)
    return new SpokeError(
      ErrorCode.QUERY_TIMEOUT,
      `${where} did not answer within ${label.timeoutMs} ms${after} (raise ${label.key}.timeoutMs for a slow model)`,
      options,
    );
  if (error instanceof sdk.APIConnectionError)
    return new SpokeError(
      ErrorCode.SOURCE_UNAVAILABLE,
      `cannot reach ${where}${after}: ${(error.cause as Error | undefined)?.message ?? error.message}`,
      options,
    );
  if (error instanceof sdk.APIError) {
    const status = error.status;
    if (status === 401 || status === 403)
      return new SpokeError(
        ErrorCode.SOURCE_ERROR,
        `${where} refused the credentials (HTTP ${status}): check ${label.key}.apiKey: ${upstreamMessage(error)}`,
        options,
      );
    if (status === 404)
      return new SpokeError(
        ErrorCode.SOURCE_ERROR,
        `${where} answered 404: check ${label.key}.endpoint (the API's base URL, usually ending in /v1) and ${label.key}.model: ${upstreamMessage(error)}`,
        options,
      );
    if (status === 429 || (status !== undefined && status >= 500) || status === 408 || status === 409)
      return new SpokeError(
        ErrorCode.SOURCE_UNAVAILABLE,
        `${where} is unavailable (HTTP ${status}${after}): ${upstreamMessage(error)}`,
        options,
      );
    return new SpokeError(
      ErrorCode.SOURCE_ERROR,
      `${where} refused the request (HTTP ${status ?? 'error'}): ${upstreamMessage(error)}`,
      options,
    );
  }
  return new SpokeError(
    ErrorCode.SOURCE_ERROR,
    `${where} sent an answer that could not be read: ${(error as Error)?.message ?? String(error)}`,
    options,
  );
}

/**
 * Runs `call` so that `signal` ends it at once: the SDK stops the request in
 * flight, but sleeps out its retry backoff before noticing an abort.
 */
export async function abortable<T>(
  call: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) throw SpokeError.cancelled(signal);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([
      call(controller.signal),
      new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(SpokeError.cancelled(signal)), {
          once: true,
        });
      }),
    ]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Ends a request still running after a rejection (its answer is no longer wanted).
    if (!controller.signal.aborted) controller.abort();
  }
}
