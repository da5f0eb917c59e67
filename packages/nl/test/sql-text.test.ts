/** Reading SQL out of model answers, the read-only check, the audit label, and embed() binding. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpokeError } from '@spoke/core';
import { collectBatches, parseSql } from '@spoke/planner';
import { type OpenAiStandIn, startOpenAiStandIn } from '../../../test/harness/openai-stand-in/index.js';
import {
  bindEmbedCalls,
  checkReadOnly,
  extractSql,
  labelWithQuestion,
  OpenAiEmbeddingModel,
  parseNlConfig,
} from '../src/index.js';
import { createFixture } from './fixtures.js';

describe('extractSql', () => {
  const cases: [string, { content: string; toolSql?: string }, string | undefined][] = [
    ['a fenced sql block', { content: 'Sure:\n```sql\nSELECT 1;\n```\nDone.' }, 'SELECT 1'],
    ['the sql block among others', { content: '```text\nnot it\n```\n```SQL\nSELECT 2\n```' }, 'SELECT 2'],
    ['a JSON object', { content: '{"sql": "SELECT 3", "explanation": "x"}' }, 'SELECT 3'],
    ['JSON in a fence', { content: '```json\n{"sql": "SELECT 4"}\n```' }, 'SELECT 4'],
    ['a bare statement', { content: 'SELECT 5 ;' }, 'SELECT 5'],
    [
      'an unlabelled fence',
      { content: '```\nWITH a AS (SELECT 1) SELECT * FROM a\n```' },
      'WITH a AS (SELECT 1) SELECT * FROM a',
    ],
    ['a tool call first', { content: '```sql\nSELECT 0\n```', toolSql: 'SELECT 6' }, 'SELECT 6'],
    ['no SQL', { content: 'I cannot help with that.' }, undefined],
    ['an empty fence', { content: '```sql\n\n```' }, undefined],
  ];
  for (const [name, reply, expected] of cases) test(name, () => assert.equal(extractSql(reply), expected));
});

describe('checkReadOnly', () => {
  test('a SELECT passes; writes, DDL, SELECT INTO and several statements are refused with 25006/42601', async () => {
    await checkReadOnly('WITH x AS (SELECT 1) SELECT * FROM x');
    for (const [sql, sqlstate] of [
      ['UPDATE t SET a = 1', '25006'],
      ['DROP TABLE t', '25006'],
      ['SELECT 1 INTO t', '25006'],
      ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', '25006'],
      ['SELECT 1; SELECT 2', '42601'],
    ])
      await assert.rejects(
        checkReadOnly(sql!),
        (e) => SpokeError.isInstance(e) && e.code === 'INVALID_QUERY' && e.details?.sqlstate === sqlstate,
        sql,
      );
  });
});

describe('labelWithQuestion', () => {
  test('the question becomes one comment that cannot end early, and the SQL parses to the same statement', async () => {
    const sql = 'SELECT 1 AS one';
    for (const question of [
      'plain',
      'evil */ DROP TABLE x; /*',
      'nested /* /* */',
      'new\nline',
      '*/*/',
      '/*/',
    ]) {
      const labelled = labelWithQuestion(sql, question);
      const parsed = await parseSql(labelled);
      assert.equal(parsed.length, 1, question);
      const shape = (node: unknown) => JSON.stringify(node, (k, v) => (k === 'location' ? undefined : v));
      assert.equal(shape(parsed[0]!.node), shape((await parseSql(sql))[0]!.node), question);
      assert.equal(labelled.split('\n').length, 2);
    }
  });
});

describe('embed()', () => {
  let stand: OpenAiStandIn;
  test('each call becomes a parameter holding the vector; one request for the distinct texts', async () => {
    stand = await startOpenAiStandIn();
    try {
      const config = parseNlConfig({
        chat: { endpoint: stand.url, model: 'c' },
        embeddings: { endpoint: stand.url, model: 'e' },
      });
      const model = new OpenAiEmbeddingModel(config.embeddings!);
      const bound = await bindEmbedCalls(
        "SELECT $1::int AS a, embed('machine learning') AS v, EMBED ( E'it''s' ) AS w, embed($2) AS x, embed('machine learning') AS y -- embed('no')",
        [7, 'from a param'],
        model,
      );
      assert.equal(bound.calls, 4);
      assert.equal(
        bound.sql,
        "SELECT $1::int AS a, ($3) AS v, ($4) AS w, ($2) AS x, ($3) AS y -- embed('no')",
      );
      assert.equal(bound.params.length, 4);
      assert.equal(bound.params[0], 7);
      const vector = (text: string) => Array.from(Float32Array.from(stand.vectorOf(text)));
      assert.deepEqual(JSON.parse(bound.params[1] as string), vector('from a param'));
      assert.deepEqual(JSON.parse(bound.params[2] as string), vector('machine learning'));
      assert.deepEqual(JSON.parse(bound.params[3] as string), vector("it's"));
      // A parameter also used outside embed() keeps its text; the vector gets a slot of its own.
      const shared = await bindEmbedCalls('SELECT $1 AS t, embed($1) AS v', ['abc'], model);
      assert.equal(shared.sql, 'SELECT $1 AS t, ($2) AS v');
      assert.deepEqual(shared.params[0], 'abc');
      assert.deepEqual(JSON.parse(shared.params[1] as string), vector('abc'));
      assert.equal(stand.requests.length, 2);
      assert.deepEqual((stand.requests[0]!.body as { input: string[] }).input, [
        'machine learning',
        "it's",
        'from a param',
      ]);
      // The rewritten statement runs, and the vector arrives as the parameter's text.
      const fx = await createFixture();
      try {
        const result = await fx.engine.query(bound.sql, { params: bound.params });
        const [batch] = await collectBatches(result);
        assert.equal(batch!.getChild('v')!.get(0), bound.params[2]);
      } finally {
        await fx.close();
      }
      // Without calls, nothing is asked of the model.
      const plain = await bindEmbedCalls('SELECT embedding FROM t', [], model);
      assert.equal(plain.calls, 0);
      assert.equal(stand.requests.length, 2);
      for (const bad of [
        'SELECT embed()',
        'SELECT embed(1)',
        "SELECT embed('a', 'b')",
        'SELECT embed(col) FROM t',
        "SELECT embed('')",
      ])
        await assert.rejects(
          bindEmbedCalls(bad, [], model),
          (e) => SpokeError.isInstance(e) && e.code === 'INVALID_QUERY' && e.details?.sqlstate === '22023',
          bad,
        );
      await assert.rejects(bindEmbedCalls("SELECT embed('x')", [], undefined), /configure nl\.embeddings/);
    } finally {
      await stand.close();
    }
  });
});
