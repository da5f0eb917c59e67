import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One chat message as the protocol carries it. */
export interface StandInMessage {
  readonly role: string;
  readonly content: string | null;
}

/** A request the stand-in received. */
export interface RecordedRequest {
  readonly method: string;
  /** The path below the base URL: `/chat/completions`, `/embeddings`, `/models`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The raw body text (what went over the wire). */
  readonly text: string;
  /** The parsed JSON body, when it was JSON. */
  readonly body: unknown;
}

/** What the script answers one chat completion with. */
export interface ScriptedReply {
  /** The assistant message's text. */
  readonly content?: string;
  /** Answer with a `run_sql` tool call carrying this SQL instead. */
  readonly toolSql?: string;
  /** Answer with an error status and OpenAI's error body. */
  readonly status?: number;
  readonly errorMessage?: string;
  /** Extra response headers (`retry-after-ms` for a fast retry). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering (to exercise timeouts). */
  readonly delayMs?: number;
  /** Never answer (to exercise cancellation); the connection is held open. */
  readonly hang?: boolean;
}

/** The script: the messages of a completion (and how many completions came before) → the reply. */
export type ChatScript = (messages: readonly StandInMessage[], call: number) => ScriptedReply | string;

/** Options of {@link startOpenAiStandIn}. */
export interface StandInOptions {
  /** Models the server knows; others get 404 `model_not_found`. Default: any. */
  readonly models?: readonly string[];
  /** Require `Authorization: Bearer <apiKey>`; absent: any key or none. */
  readonly apiKey?: string;
  /** How chat completions are answered. Default: an error telling the test to script it. */
  readonly chat?: ChatScript;
  /** Dimensions of the embeddings. Default 8. */
  readonly dimensions?: number;
  /** Fixed embeddings for some texts; the rest get a deterministic vector from the text's hash. */
  readonly vectors?: Readonly<Record<string, readonly number[]>>;
  /** Faults answered before the script, one per request, in order (then the script again). */
  readonly faults?: ScriptedReply[];
}

/** A running stand-in. */
export interface OpenAiStandIn {
  /** The base URL to configure as `endpoint` (`http://127.0.0.1:PORT/v1`). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** The chat completions requests only. */
  chatRequests(): RecordedRequest[];
  /** Replaces the chat script (its call count starts again at 0). */
  script(chat: ChatScript): void;
  /** Faults for the next requests (any endpoint), in order. */
  fail(...faults: ScriptedReply[]): void;
  /** Fixes the vectors of some texts (the others keep their hash-derived ones). */
  setVectors(vectors: Readonly<Record<string, readonly number[]>>): void;
  /** The vector the stand-in gives `text`. */
  vectorOf(text: string): number[];
  close(): Promise<void>;
}

/**
 * The chat script most tests want: the last user message's text → the reply
 * (`question` → SQL, answered in a fenced block). A question not in the map
 * gets a reply holding no SQL.
 */
export function byQuestion(answers: Readonly<Record<string, string>>): ChatScript {
  return (messages) => {
    const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const sql = answers[question];
    return sql === undefined
      ? `I cannot answer "${question}" (the test did not script it).`
      : `Here is the query:\n\`\`\`sql\n${sql}\n\`\`\``;
  };
}

/** Replies in order, one per completion; the last one repeats. */
export function inOrder(...replies: (ScriptedReply | string)[]): ChatScript {
  return (_messages, call) => replies[Math.min(call, replies.length - 1)]!;
}

function deterministicVector(text: string, dims: number): number[] {
  const out: number[] = [];
  let block = createHash('sha256').update(text).digest();
  for (let i = 0; i < dims; i++) {
    if (i > 0 && i % 16 === 0) block = createHash('sha256').update(block).digest();
    out.push(Math.round((block.readUInt16BE((i % 16) * 2) / 65535 - 0.5) * 2000) / 1000);
  }
  return out;
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  extra: {
    type?: string;
    code?: string | null;
    param?: string | null;
    headers?: Readonly<Record<string, string>>;
  } = {},
): void {
  const text = JSON.stringify({
    error: {
      message,
      type: extra.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: extra.param ?? null,
      code: extra.code ?? null,
    },
  });
  res.writeHead(status, { 'content-type': 'application/json', ...(extra.headers ?? {}) });
  res.end(text);
}

function sendJson(res: ServerResponse, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_${randomUUID().replaceAll('-', '')}`,
    ...headers,
  });
  res.end(text);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the stand-in on a free loopback port. */
export async function startOpenAiStandIn(options: StandInOptions = {}): Promise<OpenAiStandIn> {
  const requests: RecordedRequest[] = [];
  let chat: ChatScript | undefined = options.chat;
  const faults: ScriptedReply[] = [...(options.faults ?? [])];
  const dims = options.dimensions ?? 8;
  const fixed = new Map<string, readonly number[]>(Object.entries(options.vectors ?? {}));
  const vectorOf = (text: string) => [...(fixed.get(text) ?? deterministicVector(text, dims))];
  let chatCalls = 0;
  const held = new Set<ServerResponse>();

  /** Applies a delay, a hang or an error status; true when the request was answered. */
  async function applyFault(res: ServerResponse, reply: ScriptedReply): Promise<boolean> {
    if (reply.hang) {
      held.add(res);
      res.on('close', () => held.delete(res));
      return true;
    }
    if (reply.delayMs) {
      await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if (res.destroyed) return true;
    }
    if (reply.status !== undefined && reply.status !== 200) {
      sendError(res, reply.status, reply.errorMessage ?? `stand-in error ${reply.status}`, {
        ...(reply.headers ? { headers: reply.headers } : {}),
        ...(reply.status === 429 ? { type: 'requests', code: 'rate_limit_exceeded' } : {}),
      });
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = url.pathname.replace(/^\/v1/, '');
    const text = await readText(req);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    requests.push({ method: req.method ?? '', path, headers: req.headers, text, body });
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`)
      return sendError(res, 401, 'Incorrect API key provided.', { code: 'invalid_api_key' });
    const fault = faults.shift();
    if (fault && (await applyFault(res, fault))) return;

    if (req.method === 'GET' && path === '/models')
      return sendJson(res, {
        object: 'list',
        data: (options.models ?? []).map((id) => ({ id, object: 'model', created: 0, owned_by: 'stand-in' })),
      });
    if (req.method !== 'POST') return sendError(res, 405, `${req.method} ${path} is not supported`);
    if (typeof body !== 'object' || body === null)
      return sendError(res, 400, 'We could not parse the JSON body of your request.');
    const request = body as Record<string, unknown>;
    const model = request.model;
    if (typeof model !== 'string' || model === '')
      return sendError(res, 400, 'you must provide a model parameter', { param: 'model' });
    if (options.models && !options.models.includes(model))
      return sendError(res, 404, `The model \`${model}\` does not exist or you do not have access to it.`, {
        code: 'model_not_found',
      });

    if (path === '/chat/completions') {
      const messages = request.messages;
      if (!Array.isArray(messages) || messages.length === 0)
        return sendError(res, 400, "Invalid 'messages': empty array.", { param: 'messages' });
      if (request.stream === true)
        return sendError(res, 400, 'this stand-in does not stream (Spoke does not ask it to)', {
          param: 'stream',
        });
      const call = chatCalls++;
      const scripted = chat
        ? chat(messages as StandInMessage[], call)
        : { status: 500, errorMessage: 'the test gave the stand-in no chat script' };
      const reply: ScriptedReply = typeof scripted === 'string' ? { content: scripted } : scripted;
      if (await applyFault(res, reply)) return;
      const promptTokens = Math.ceil(text.length / 4);
      const content = reply.toolSql !== undefined ? (reply.content ?? null) : (reply.content ?? '');
      const completionTokens = Math.ceil((content?.length ?? 0) / 4) + 1;
      return sendJson(
        res,
        {
          id: `chatcmpl-${randomUUID()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          system_fingerprint: 'fp_stand_in',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content,
                refusal: null,
                ...(reply.toolSql !== undefined
                  ? {
                      tool_calls: [
                        {
                          id: `call_${call}`,
                          type: 'function',
                          function: { name: 'run_sql', arguments: JSON.stringify({ sql: reply.toolSql }) },
                        },
                      ],
                    }
                  : {}),
              },
              logprobs: null,
              finish_reason: reply.toolSql !== undefined ? 'tool_calls' : 'stop',
            },
          ],
          usage: {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            total_tokens: promptTokens + completionTokens,
          },
        },
        reply.headers,
      );
    }
    if (path === '/embeddings') {
      const input = request.input;
      const texts = typeof input === 'string' ? [input] : input;
      if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string' || t === ''))
        return sendError(res, 400, "'input' must be a non-empty string or array of non-empty strings", {
          param: 'input',
        });
      if (texts.length > 2048)
        return sendError(res, 400, "'input' has more than 2048 items", { param: 'input' });
      const format = request.encoding_format ?? 'float';
      if (format !== 'float' && format !== 'base64')
        return sendError(res, 400, "'encoding_format' must be float or base64", { param: 'encoding_format' });
      const data = (texts as string[]).map((t, index) => {
        const vector = vectorOf(t);
        return {
          object: 'embedding',
          index,
          embedding:
            format === 'base64' ? Buffer.from(Float32Array.from(vector).buffer).toString('base64') : vector,
        };
      });
      const tokens = (texts as string[]).reduce((n, t) => n + Math.ceil(t.length / 4), 0);
      return sendJson(res, {
        object: 'list',
        data,
        model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }
    return sendError(res, 404, `Invalid URL (${req.method} /v1${path})`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `stand-in failure: ${(error as Error).message}`);
      else res.destroy();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path === '/chat/completions'),
    script(next) {
      chat = next;
      chatCalls = 0;
    },
    fail(...next) {
      faults.push(...next);
    },
    setVectors(vectors) {
      for (const [text, vector] of Object.entries(vectors)) fixed.set(text, vector);
    },
    vectorOf,
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
