/** The `nl:` section: defaults, and an error naming the key for every bad value. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpokeError } from '@spoke/core';
import { NL_DEFAULTS, parseNlConfig } from '../src/index.js';

function refuses(raw: unknown, message: RegExp): void {
  assert.throws(
    () => parseNlConfig(raw),
    (e: unknown) => SpokeError.isInstance(e) && e.code === 'INVALID_CONFIG' && message.test(e.message),
  );
}

describe('nl config', () => {
  test('the minimal section, with defaults', () => {
    const config = parseNlConfig({
      chat: { endpoint: 'http://127.0.0.1:11434/v1/', model: 'qwen2.5-coder:7b' },
    });
    assert.deepEqual(config, {
      chat: {
        endpoint: 'http://127.0.0.1:11434/v1',
        model: 'qwen2.5-coder:7b',
        timeoutMs: NL_DEFAULTS.chatTimeoutMs,
        maxRetries: 2,
        tools: false,
      },
      maxRepairs: 2,
      sampleValues: 3,
      maxTables: 30,
      comments: {},
    });
  });

  test('comments: a string or { table, columns }, by source.table; errors name the key', () => {
    const chat = { endpoint: 'http://x/v1', model: 'm' };
    assert.deepEqual(
      parseNlConfig({
        chat,
        comments: {
          'crm.customers': { table: 'People who bought', columns: { tier: 'gold, silver or bronze' } },
          'lake.main.sales': 'One row per sale',
        },
      }).comments,
      {
        'crm.customers': { table: 'People who bought', columns: { tier: 'gold, silver or bronze' } },
        'lake.main.sales': { table: 'One row per sale' },
      },
    );
    assert.throws(
      () => parseNlConfig({ chat, comments: { customers: 'x' } }),
      /nl\.comments\.customers: a table/,
    );
    assert.throws(
      () => parseNlConfig({ chat, comments: { 'crm.c': { columns: { a: 1 } } } }),
      /nl\.comments\.crm\.c\.columns\.a: expected a non-empty string/,
    );
    assert.throws(
      () => parseNlConfig({ chat, comments: { 'crm.c': { tabel: 'x' } } }),
      /nl\.comments\.crm\.c\.tabel: unknown key \(did you mean "table"\?\)/,
    );
  });

  test('every key, numbers and booleans as ${ENV} strings', () => {
    const config = parseNlConfig({
      chat: {
        endpoint: 'https://api.openai.com/v1',
        model: 'gpt-4.1-mini',
        apiKey: 'sk-x',
        timeoutMs: '5000',
        maxRetries: '0',
        tools: 'true',
        temperature: '0',
      },
      embeddings: { endpoint: 'http://vllm:8000/v1', model: 'bge-m3', apiKey: '' },
      maxRepairs: 0,
      sampleValues: 0,
      maxTables: 5,
    });
    assert.equal(config.chat.apiKey, 'sk-x');
    assert.equal(config.chat.timeoutMs, 5000);
    assert.equal(config.chat.maxRetries, 0);
    assert.equal(config.chat.tools, true);
    assert.equal(config.chat.temperature, 0);
    assert.equal(config.embeddings?.apiKey, undefined, 'an empty key is no key');
    assert.equal(config.embeddings?.timeoutMs, NL_DEFAULTS.embeddingsTimeoutMs);
    assert.equal(config.maxTables, 5);
  });

  test('bad values name the key', () => {
    refuses('yes', /^nl: expected a map, got "yes"/);
    refuses({}, /^nl\.chat: is required/);
    refuses({ chat: { model: 'm' } }, /^nl\.chat\.endpoint: is required: the base URL/);
    refuses({ chat: { endpoint: 'http://x/v1' } }, /^nl\.chat\.model: is required/);
    refuses(
      { chat: { endpoint: 'localhost:11434', model: 'm' } },
      /^nl\.chat\.endpoint: expected an http:\/\/ or https:\/\/ URL/,
    );
    refuses({ chat: { endpoint: 'not a url', model: 'm' } }, /^nl\.chat\.endpoint: expected the base URL/);
    refuses(
      { chat: { endpoint: 'http://u:p@x/v1', model: 'm' } },
      /^nl\.chat\.endpoint: put credentials in apiKey/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1?a=1', model: 'm' } },
      /^nl\.chat\.endpoint: the base URL takes no query/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: '' } },
      /^nl\.chat\.model: expected a non-empty string/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm', apiKey: 42 } },
      /^nl\.chat\.apiKey: expected a string, got 42/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm', timeoutMs: 0 } },
      /^nl\.chat\.timeoutMs: expected an integer from 1/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm', maxRetries: 11 } },
      /^nl\.chat\.maxRetries: expected an integer from 0 to 10/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm', tools: 'maybe' } },
      /^nl\.chat\.tools: expected true or false/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm', temperature: 3 } },
      /^nl\.chat\.temperature: expected a number from 0 to 2/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm', api_key: 'k' } },
      /^nl\.chat\.api_key: unknown key \(did you mean "apiKey"\?\)/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm' }, embedings: {} },
      /^nl\.embedings: unknown key \(did you mean "embeddings"\?\)/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm' }, embeddings: { endpoint: 'http://x/v1' } },
      /^nl\.embeddings\.model: is required/,
    );
    refuses(
      {
        chat: { endpoint: 'http://x/v1', model: 'm', tools: true },
        embeddings: { endpoint: 'http://x', model: 'e', tools: true },
      },
      /^nl\.embeddings\.tools: unknown key/,
    );
    refuses(
      { chat: { endpoint: 'http://x/v1', model: 'm' }, maxRepairs: -1 },
      /^nl\.maxRepairs: expected an integer from 0 to 10/,
    );
  });
});
