/**
 * The OpenAI-compatible clients, driven through the real `openai` SDK
 * against the stand-in server (test/harness/openai-stand-in): request and
 * response shapes, tool calls, retries with backoff, timeouts, cancellation,
 * and the errors each failure becomes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpokeError } from '@spoke/core';
import {
  inOrder,
  type OpenAiStandIn,
  startOpenAiStandIn,
} from '../../../test/harness/openai-stand-in/index.js';
import { OpenAiChatModel, OpenAiEmbeddingModel, parseNlConfig } from '../src/index.js';

let stand: OpenAiStandIn;

before(async () => {
  stand = await startOpenAiStandIn({ models: ['sql-model', 'embed-model'], apiKey: 'sk-test' });
});
after(() => stand.close());

function chatModel(extra: Record<string, unknown> = {}) {
  const config = parseNlConfig({
    chat: { endpoint: stand.url, model: 'sql-model', apiKey: 'sk-test', ...extra },
  });
  return new OpenAiChatModel(config.chat);
}

function embeddingModel(extra: Record<string, unknown> = {}) {
  const config = parseNlConfig({
    chat: { endpoint: stand.url, model: 'sql-model' },
    embeddings: { endpoint: stand.url, model: 'embed-model', apiKey: 'sk-test', ...extra },
  });
  return new OpenAiEmbeddingModel(config.embeddings!);
}

async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<SpokeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), `expected a SpokeError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('chat completions', () => {
  test('sends the messages, model and key; reads content, model and usage', async () => {
    stand.script(inOrder('```sql\nSELECT 1\n```'));
    const before = stand.requests.length;
    const reply = await chatModel({ temperature: 0 }).complete({
      messages: [
        { role: 'system', content: 'rules' },
        { role: 'user', content: 'how many?' },
      ],
    });
    assert.equal(reply.content, '```sql\nSELECT 1\n```');
    assert.equal(reply.model, 'sql-model');
    assert.ok(reply.usage && reply.usage.promptTokens > 0);
    const sent = stand.requests.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.path, '/chat/completions');
    assert.equal(sent[0]!.headers.authorization, 'Bearer sk-test');
    const body = sent[0]!.body as {
      model: string;
      messages: unknown[];
      temperature: number;
      tools?: unknown;
    };
    assert.equal(body.model, 'sql-model');
    assert.equal(body.temperature, 0);
    assert.equal(body.tools, undefined);
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'rules' },
      { role: 'user', content: 'how many?' },
    ]);
  });

  test('a run_sql tool call is read when the tool is offered', async () => {
    stand.script(inOrder({ toolSql: 'SELECT 2' }));
    const reply = await chatModel({ tools: true }).complete({
      messages: [{ role: 'user', content: 'q' }],
      offerSqlTool: true,
    });
    assert.equal(reply.toolSql, 'SELECT 2');
    const body = stand.chatRequests().at(-1)!.body as { tools: { function: { name: string } }[] };
    assert.equal(body.tools[0]!.function.name, 'run_sql');
  });

  test('5xx and 429 are retried (honouring retry-after-ms), then succeed', async () => {
    stand.script(inOrder('ok'));
    const before = stand.requests.length;
    stand.fail(
      { status: 503, headers: { 'retry-after-ms': '5' } },
      { status: 429, headers: { 'retry-after-ms': '5' } },
    );
    const reply = await chatModel({ maxRetries: 2 }).complete({ messages: [{ role: 'user', content: 'q' }] });
    assert.equal(reply.content, 'ok');
    assert.equal(stand.requests.length - before, 3);
  });

  test('retries are bounded: SOURCE_UNAVAILABLE names the endpoint and the attempts', async () => {
    const before = stand.requests.length;
    stand.fail(...Array.from({ length: 3 }, () => ({ status: 500, headers: { 'retry-after-ms': '1' } })));
    await rejects(
      chatModel({ maxRetries: 2 }).complete({ messages: [{ role: 'user', content: 'q' }] }),
      'SOURCE_UNAVAILABLE',
      /nl\.chat .*model sql-model.* unavailable \(HTTP 500 after 3 attempts\)/,
    );
    assert.equal(stand.requests.length - before, 3);
  });

  test('without retry-after the SDK backs off exponentially (about 0.5 s, then 1 s)', async () => {
    stand.script(inOrder('ok'));
    stand.fail({ status: 502 }, { status: 502 });
    const started = performance.now();
    await chatModel({ maxRetries: 2 }).complete({ messages: [{ role: 'user', content: 'q' }] });
    const elapsed = performance.now() - started;
    // 0.5 s and 1 s, each with up to 25% jitter subtracted.
    assert.ok(elapsed >= 1000, `retried after ${elapsed} ms`);
  });

  test('a wrong key is SOURCE_ERROR naming nl.chat.apiKey, not retried', async () => {
    const before = stand.requests.length;
    await rejects(
      chatModel({ apiKey: 'sk-wrong' }).complete({ messages: [{ role: 'user', content: 'q' }] }),
      'SOURCE_ERROR',
      /refused the credentials \(HTTP 401\): check nl\.chat\.apiKey: Incorrect API key/,
    );
    assert.equal(stand.requests.length - before, 1);
  });

  test('an unknown model is SOURCE_ERROR naming endpoint and model', async () => {
    const config = parseNlConfig({ chat: { endpoint: stand.url, model: 'nope', apiKey: 'sk-test' } });
    await rejects(
      new OpenAiChatModel(config.chat).complete({ messages: [{ role: 'user', content: 'q' }] }),
      'SOURCE_ERROR',
      /answered 404: check nl\.chat\.endpoint .* and nl\.chat\.model: The model `nope` does not exist/,
    );
  });

  test('a slow model times out after timeoutMs per attempt: QUERY_TIMEOUT', async () => {
    stand.script(inOrder({ content: 'late', delayMs: 1500 }));
    const before = stand.requests.length;
    const started = performance.now();
    await rejects(
      chatModel({ timeoutMs: 150, maxRetries: 1 }).complete({ messages: [{ role: 'user', content: 'q' }] }),
      'QUERY_TIMEOUT',
      /did not answer within 150 ms after 2 attempts \(raise nl\.chat\.timeoutMs/,
    );
    assert.equal(stand.requests.length - before, 2);
    assert.ok(performance.now() - started < 1500);
  });

  test('cancellation ends a request in flight at once: QUERY_CANCELLED', async () => {
    stand.script(inOrder({ hang: true }));
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('client went away')), 100);
    await rejects(
      chatModel().complete({ messages: [{ role: 'user', content: 'q' }] }, { signal: controller.signal }),
      'QUERY_CANCELLED',
      /cancel/i,
    );
    assert.ok(performance.now() - started < 1000);
  });

  test('cancellation during the retry backoff does not wait it out', async () => {
    stand.fail({ status: 503, headers: { 'retry-after-ms': '2000' } });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 150);
    await rejects(
      chatModel({ maxRetries: 1 }).complete(
        { messages: [{ role: 'user', content: 'q' }] },
        { signal: controller.signal },
      ),
      'QUERY_CANCELLED',
      /cancel/i,
    );
    assert.ok(performance.now() - started < 1000);
  });

  test('an already aborted signal sends nothing', async () => {
    const before = stand.requests.length;
    await rejects(
      chatModel().complete({ messages: [{ role: 'user', content: 'q' }] }, { signal: AbortSignal.abort() }),
      'QUERY_CANCELLED',
      /cancel/i,
    );
    assert.equal(stand.requests.length, before);
  });

  test('nothing listening: SOURCE_UNAVAILABLE "cannot reach"', async () => {
    const config = parseNlConfig({
      chat: { endpoint: 'http://127.0.0.1:9/v1', model: 'm', maxRetries: 0 },
    });
    await rejects(
      new OpenAiChatModel(config.chat).complete({ messages: [{ role: 'user', content: 'q' }] }),
      'SOURCE_UNAVAILABLE',
      /cannot reach nl\.chat \(http:\/\/127\.0\.0\.1:9\/v1, model m\)/,
    );
  });

  test('without apiKey, OPENAI_API_KEY from the environment is never sent', async () => {
    const open = await startOpenAiStandIn({ chat: inOrder('x') });
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'sk-from-the-environment';
    try {
      const config = parseNlConfig({ chat: { endpoint: open.url, model: 'm' } });
      await new OpenAiChatModel(config.chat).complete({ messages: [{ role: 'user', content: 'q' }] });
      assert.equal(open.requests[0]!.headers.authorization, 'Bearer none');
      assert.ok(!open.requests[0]!.text.includes('sk-from-the-environment'));
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
      await open.close();
    }
  });
});

describe('embeddings', () => {
  test('one vector per text, in order, as floats', async () => {
    const model = embeddingModel();
    const vectors = await model.embed(['machine learning', 'databases']);
    assert.equal(vectors.length, 2);
    assert.deepEqual(
      Array.from(vectors[0]!),
      Array.from(Float32Array.from(stand.vectorOf('machine learning'))),
    );
    assert.deepEqual(Array.from(vectors[1]!), Array.from(Float32Array.from(stand.vectorOf('databases'))));
    const body = stand.requests.at(-1)!.body as { encoding_format: string; input: string[]; model: string };
    assert.equal(body.encoding_format, 'float');
    assert.equal(body.model, 'embed-model');
    assert.deepEqual(body.input, ['machine learning', 'databases']);
  });

  test('many texts are sent in batches of 64 and come back in order', async () => {
    const before = stand.requests.length;
    const texts = Array.from({ length: 130 }, (_, i) => `text ${i}`);
    const vectors = await embeddingModel().embed(texts);
    assert.equal(stand.requests.length - before, 3);
    assert.deepEqual(Array.from(vectors[129]!), Array.from(Float32Array.from(stand.vectorOf('text 129'))));
  });

  test('errors and timeouts as for chat, naming nl.embeddings', async () => {
    stand.fail({ status: 400, errorMessage: "'input' is too long" });
    await rejects(
      embeddingModel({ maxRetries: 0 }).embed(['x']),
      'SOURCE_ERROR',
      /nl\.embeddings .* refused the request \(HTTP 400\): 'input' is too long/,
    );
    stand.fail({ delayMs: 800 });
    await rejects(
      embeddingModel({ maxRetries: 0, timeoutMs: 100 }).embed(['x']),
      'QUERY_TIMEOUT',
      /nl\.embeddings .* did not answer within 100 ms/,
    );
  });
});
