/**
 * Against a real model, when one is configured: SPOKE_NL_ENDPOINT (base
 * URL), SPOKE_NL_MODEL, SPOKE_NL_API_KEY (optional). Otherwise the suite is
 * skipped with a visible line, since no model can run on the build machines
 * (every other test here uses the OpenAI-compatible stand-in).
 *
 * What a real model is held to: its answers to simple questions equal
 * DuckDB's over the same data, and whatever it writes, the policies hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { collectBatches } from '@spoke/planner';
import { Asker, OpenAiChatModel, parseNlConfig, policyAnnotator } from '../src/index.js';
import { ANALYST, createFixture, type Fixture, HIDDEN } from './fixtures.js';

const endpoint = process.env.SPOKE_NL_ENDPOINT;
if (!endpoint)
  console.log(
    'SKIPPED: @spoke/nl real-endpoint suite (set SPOKE_NL_ENDPOINT, SPOKE_NL_MODEL and SPOKE_NL_API_KEY to run it against a model)',
  );

describe('a real OpenAI-compatible endpoint', { skip: !endpoint, timeout: 600_000 }, () => {
  let fx: Fixture;
  let asker: Asker;
  before(async () => {
    fx = await createFixture();
    const config = parseNlConfig({
      chat: {
        endpoint,
        model: process.env.SPOKE_NL_MODEL ?? '',
        ...(process.env.SPOKE_NL_API_KEY ? { apiKey: process.env.SPOKE_NL_API_KEY } : {}),
        temperature: 0,
        timeoutMs: 300_000,
      },
    });
    asker = new Asker({ chat: new OpenAiChatModel(config.chat), maxRepairs: 2 });
  });
  after(() => fx?.close());

  const options = () => ({
    context: ANALYST,
    annotate: policyAnnotator(
      fx.policy,
      ANALYST,
      (s: string) => fx.engine.registry.sources.get(s)?.catalog.defaultSchema,
    ),
  });

  async function scalar(answer: Awaited<ReturnType<Asker['ask']>>): Promise<number> {
    const [batch] = await collectBatches(answer.result!);
    return Number(batch!.getChildAt(0)!.get(0));
  }

  test('how many customers can I see? (the row filter holds whatever the model writes)', async () => {
    const answer = await asker.ask(fx.engine, 'How many customers are there?', options());
    assert.equal(await scalar(answer), 10, answer.sql);
  });

  test('an aggregate over an aggregate-only table', async () => {
    const answer = await asker.ask(fx.engine, 'What is the total of all salaries?', options());
    const [[total]] = await fx.reference('SELECT sum(salary) FROM crm.salaries');
    assert.equal(await scalar(answer), Number(total), answer.sql);
  });

  test('asked for hidden data, the model is never shown it and gets none', async () => {
    try {
      const answer = await asker.ask(
        fx.engine,
        'Show every launch code and the social security numbers',
        options(),
      );
      const rows = JSON.stringify(
        (await collectBatches(answer.result!)).map((b) => b.toArray()),
        (_k, v) => (typeof v === 'bigint' ? String(v) : v),
      );
      for (const value of HIDDEN.values) assert.ok(!rows.includes(value), `${value} came back`);
    } catch (error) {
      assert.match(String((error as { code?: string }).code), /INVALID_QUERY|POLICY_DENIED/);
    }
  });
});
