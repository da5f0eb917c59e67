/**
 * The `nl:` section of the gateway's YAML, checked. Every error is
 * `INVALID_CONFIG` and starts with the key path (`nl.chat.endpoint: …`), as
 * the rest of the gateway's config errors do.
 */
import { didYouMean, ErrorCode, SpokeError } from '@spoke/core';
import type { TableComments } from './grounding/table-facts.js';

/** One OpenAI-compatible endpoint and the model used on it. */
export interface ModelEndpointConfig {
  /** The API's base URL, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `https://api.openai.com/v1`. */
  readonly endpoint: string;
  /** The model name the endpoint knows, e.g. `qwen2.5-coder:7b` or `gpt-4.1-mini`. */
  readonly model: string;
  /** Sent as `Authorization: Bearer …`; absent for local servers that need none. */
  readonly apiKey?: string;
  /** How long one request may take before it is abandoned (and retried). */
  readonly timeoutMs: number;
  /** Retries after a timeout, a connection failure, 408, 409, 429 or 5xx, with exponential backoff. */
  readonly maxRetries: number;
}

/** `nl.chat`: the model that writes SQL. */
export interface ChatEndpointConfig extends ModelEndpointConfig {
  /** Offer the model a `run_sql` tool (only for endpoints and models that support tool calls). */
  readonly tools: boolean;
  /** Sampling temperature; absent: the endpoint's default. */
  readonly temperature?: number;
}

/** The whole `nl:` section. */
export interface NlConfig {
  readonly chat: ChatEndpointConfig;
  /** For `embed('text')` in SQL and for choosing the tables a prompt shows when the catalog is large. */
  readonly embeddings?: ModelEndpointConfig;
  /** How many times a failed SQL is sent back to the model with the planner's error. Default 2. */
  readonly maxRepairs: number;
  /** Distinct sample values shown per text column where the policy allows. Default 3; 0 shows none. */
  readonly sampleValues: number;
  /** Past this many visible tables, the prompt shows only the most relevant ones (by embeddings). Default 30. */
  readonly maxTables: number;
  /**
   * Words about tables and columns for the prompt, by table name
   * (`source.table` or `source.schema.table`): a string (the table's
   * comment) or `{ table, columns: { name: comment } }`. Default none.
   */
  readonly comments: Readonly<Record<string, TableComments>>;
}

/** Defaults of the optional keys. */
export const NL_DEFAULTS = {
  chatTimeoutMs: 60_000,
  embeddingsTimeoutMs: 30_000,
  maxRetries: 2,
  maxRepairs: 2,
  sampleValues: 3,
  maxTables: 30,
} as const;

function fail(path: string, message: string): SpokeError {
  return new SpokeError(ErrorCode.INVALID_CONFIG, `${path}: ${message}`, { details: { key: path } });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value === 'string' ? `"${value}"` : String(value);
}

function expectMap(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail(path, `expected a map, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function checkKeys(map: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(map))
    if (!allowed.includes(key))
      throw fail(
        `${path}.${key}`,
        `unknown key${didYouMean(key, allowed)}; expected one of ${allowed.join(', ')}`,
      );
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw fail(path, `expected a non-empty string, got ${describe(value)}`);
  return value;
}

/** Integers may arrive as strings after `${ENV}` interpolation. */
function expectInteger(value: unknown, path: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw fail(path, `expected an integer from ${min} to ${max}, got ${describe(value)}`);
  return n;
}

function expectNumber(value: unknown, path: string, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max)
    throw fail(path, `expected a number from ${min} to ${max}, got ${describe(value)}`);
  return n;
}

function expectBoolean(value: unknown, path: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw fail(path, `expected true or false, got ${describe(value)}`);
}

/** The base URL: http(s), no query or fragment (the SDK appends `/chat/completions`, `/embeddings`). */
function expectEndpoint(value: unknown, path: string): string {
  const text = expectString(value, path);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail(
      path,
      `expected the base URL of an OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1), got ${describe(text)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw fail(path, `expected an http:// or https:// URL, got ${url.protocol}`);
  if (url.search !== '' || url.hash !== '')
    throw fail(path, 'the base URL takes no query string or fragment');
  if (url.username !== '' || url.password !== '')
    throw fail(path, 'put credentials in apiKey, not in the URL');
  return text.replace(/\/+$/, '');
}

const ENDPOINT_KEYS = ['endpoint', 'model', 'apiKey', 'timeoutMs', 'maxRetries'] as const;

function endpointSection(
  value: unknown,
  path: string,
  defaultTimeoutMs: number,
  extra: readonly string[] = [],
) {
  const map = expectMap(value, path);
  checkKeys(map, [...ENDPOINT_KEYS, ...extra], path);
  if (map.endpoint === undefined || map.endpoint === null)
    throw fail(
      `${path}.endpoint`,
      'is required: the base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1',
    );
  if (map.model === undefined || map.model === null)
    throw fail(`${path}.model`, 'is required: the model name the endpoint serves');
  const out: {
    endpoint: string;
    model: string;
    apiKey?: string;
    timeoutMs: number;
    maxRetries: number;
  } = {
    endpoint: expectEndpoint(map.endpoint, `${path}.endpoint`),
    model: expectString(map.model, `${path}.model`),
    timeoutMs:
      map.timeoutMs === undefined
        ? defaultTimeoutMs
        : expectInteger(map.timeoutMs, `${path}.timeoutMs`, 1, 3_600_000),
    maxRetries:
      map.maxRetries === undefined
        ? NL_DEFAULTS.maxRetries
        : expectInteger(map.maxRetries, `${path}.maxRetries`, 0, 10),
  };
  // An empty key (an unset `${VAR:-}`) means none: local servers need none.
  if (map.apiKey !== undefined && map.apiKey !== null && map.apiKey !== '') {
    if (typeof map.apiKey !== 'string')
      throw fail(`${path}.apiKey`, `expected a string, got ${describe(map.apiKey)}`);
    out.apiKey = map.apiKey;
  }
  return { map, out };
}

/** `nl.comments`: `{ "source.table": "comment" | { table, columns: { column: "comment" } } }`. */
function commentsSection(value: unknown, path: string): Record<string, TableComments> {
  const out: Record<string, TableComments> = {};
  for (const [name, entry] of Object.entries(expectMap(value, path))) {
    const where = `${path}.${name}`;
    if (!/^[^.\s]+(\.[^.\s]+){1,2}$/.test(name))
      throw fail(where, 'a table is named source.table or source.schema.table');
    if (typeof entry === 'string') {
      out[name] = { table: expectString(entry, where) };
      continue;
    }
    const map = expectMap(entry, where);
    checkKeys(map, ['table', 'columns'], where);
    const columns: Record<string, string> = {};
    if (map.columns !== undefined)
      for (const [column, text] of Object.entries(expectMap(map.columns, `${where}.columns`)))
        columns[column] = expectString(text, `${where}.columns.${column}`);
    out[name] = {
      ...(map.table !== undefined ? { table: expectString(map.table, `${where}.table`) } : {}),
      ...(Object.keys(columns).length > 0 ? { columns } : {}),
    };
  }
  return out;
}

/**
 * Checks the `nl:` section (after `${ENV}` interpolation) and returns it
 * typed, with defaults filled in.
 *
 * @param raw - the section as YAML parsed it
 * @param path - its key path in messages (`nl`)
 */
export function parseNlConfig(raw: unknown, path = 'nl'): NlConfig {
  const map = expectMap(raw, path);
  checkKeys(map, ['chat', 'embeddings', 'maxRepairs', 'sampleValues', 'maxTables', 'comments'], path);
  if (map.chat === undefined || map.chat === null)
    throw fail(`${path}.chat`, 'is required: { endpoint, model, apiKey } of an OpenAI-compatible chat API');
  const chat = endpointSection(map.chat, `${path}.chat`, NL_DEFAULTS.chatTimeoutMs, ['tools', 'temperature']);
  const config: {
    chat: ChatEndpointConfig;
    embeddings?: ModelEndpointConfig;
    maxRepairs: number;
    sampleValues: number;
    maxTables: number;
    comments: Readonly<Record<string, TableComments>>;
  } = {
    chat: {
      ...chat.out,
      tools: chat.map.tools === undefined ? false : expectBoolean(chat.map.tools, `${path}.chat.tools`),
      ...(chat.map.temperature === undefined
        ? {}
        : { temperature: expectNumber(chat.map.temperature, `${path}.chat.temperature`, 0, 2) }),
    },
    maxRepairs:
      map.maxRepairs === undefined
        ? NL_DEFAULTS.maxRepairs
        : expectInteger(map.maxRepairs, `${path}.maxRepairs`, 0, 10),
    sampleValues:
      map.sampleValues === undefined
        ? NL_DEFAULTS.sampleValues
        : expectInteger(map.sampleValues, `${path}.sampleValues`, 0, 20),
    maxTables:
      map.maxTables === undefined
        ? NL_DEFAULTS.maxTables
        : expectInteger(map.maxTables, `${path}.maxTables`, 1, 10_000),
    comments:
      map.comments === undefined || map.comments === null
        ? {}
        : commentsSection(map.comments, `${path}.comments`),
  };
  if (map.embeddings !== undefined && map.embeddings !== null)
    config.embeddings = endpointSection(
      map.embeddings,
      `${path}.embeddings`,
      NL_DEFAULTS.embeddingsTimeoutMs,
    ).out;
  return config;
}
