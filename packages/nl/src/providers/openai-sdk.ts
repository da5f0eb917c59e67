/**
 * The `openai` SDK, loaded on first use. Loading it takes about a third of
 * a second, and every gateway and `spoke` command imports this package (the
 * config reads `nl:`), while only a configured model ever calls the SDK.
 */
import type OpenAI from 'openai';

/** The SDK's client class, which also carries its error classes (`OpenAI.APIError`…). */
export type OpenAiSdk = typeof OpenAI;

let loading: Promise<OpenAiSdk> | undefined;
let loaded: OpenAiSdk | undefined;

/** The SDK, loading it the first time. */
export function openAiSdk(): Promise<OpenAiSdk> {
  loading ??= import('openai').then((module) => {
    loaded = module.default;
    return loaded;
  });
  return loading;
}

/**
 * The SDK if it has been loaded, else `undefined`: an error can only be one
 * of the SDK's once the SDK has made a request.
 */
export function loadedOpenAiSdk(): OpenAiSdk | undefined {
  return loaded;
}
