/**
 * The ask loop end to end: the real planner with security policies over two
 * DuckDB sources, the real `openai` SDK through `@spoke/nl`'s client, and the
 * OpenAI-compatible stand-in answering from scripted completions. Every
 * request the stand-in received is inspected: no denied table, column or
 * source, no masked value and no filtered row may appear in any of them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpokeError } from '@spoke/core';
import { collectBatches } from '@spoke/planner';
import {
  byQuestion,
  inOrder,
  type OpenAiStandIn,
  startOpenAiStandIn,
} from '../../../test/harness/openai-stand-in/index.js';
import {
  Asker,
  type AskOptions,
  DescriptionEmbeddings,
  OpenAiChatModel,
  OpenAiEmbeddingModel,
  parseNlConfig,
  policyAnnotator,
} from '../src/index.js';
import { ADMIN, ANALYST, createFixture, type Fixture, HIDDEN } from './fixtures.js';

let fx: Fixture;
let stand: OpenAiStandIn;

before(async () => {
  fx = await createFixture();
  stand = await startOpenAiStandIn({ models: ['sql-model', 'embed-model'] });
});
after(async () => {
  await stand.close();
  await fx.close();
});

function asker(extra: { maxRepairs?: number; maxTables?: number; embeddings?: boolean } = {}) {
  const config = parseNlConfig({
    chat: { endpoint: stand.url, model: 'sql-model', maxRetries: 0 },
    embeddings: { endpoint: stand.url, model: 'embed-model', maxRetries: 0 },
  });
  return new Asker({
    chat: new OpenAiChatModel(config.chat),
    ...(extra.embeddings
      ? { embeddings: new DescriptionEmbeddings(new OpenAiEmbeddingModel(config.embeddings!)) }
      : {}),
    maxRepairs: extra.maxRepairs ?? 2,
    ...(extra.maxTables !== undefined ? { maxTables: extra.maxTables } : {}),
  });
}

function as(context: typeof ANALYST): AskOptions {
  return {
    context,
    annotate: policyAnnotator(
      fx.policy,
      context,
      (s) => fx.engine.registry.sources.get(s)?.catalog.defaultSchema,
    ),
  };
}

/** Rows as plain JS values (bigints as numbers). */
async function rowsOf(result: Awaited<ReturnType<Asker['ask']>>['result']): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for (const batch of await collectBatches(result!)) {
    for (let r = 0; r < batch.numRows; r++) {
      const row: unknown[] = [];
      for (let c = 0; c < batch.numCols; c++) {
        const v = batch.getChildAt(c)!.get(r);
        row.push(typeof v === 'bigint' ? Number(v) : v);
      }
      out.push(row);
    }
  }
  return out;
}

/** Fails when anything hidden from the analyst occurs in `text`. */
function assertNothingHidden(text: string, where: string): void {
  for (const name of HIDDEN.names)
    assert.doesNotMatch(text, new RegExp(`\\b${name}\\b`, 'i'), `${where} names the hidden "${name}"`);
  for (const value of HIDDEN.values)
    assert.ok(!text.includes(value), `${where} holds the hidden value "${value}"`);
}

/** Every chat request body sent since `from`, with the user's own questions left out. */
function promptsSince(from: number, questions: readonly string[] = []): string[] {
  return stand.requests.slice(from).map((r) => {
    let text = r.text;
    for (const q of questions) text = text.replaceAll(JSON.stringify(q).slice(1, -1), '');
    return text;
  });
}

describe('grounding: the prompt holds only what the asker may see', () => {
  test('denied tables, columns and sources are absent; masked and aggregate-only are marked; samples respect row filters', async () => {
    const messages = await asker().prompt(fx.engine, 'how many customers are there?', as(ANALYST));
    const system = messages[0]!.content;
    assertNothingHidden(JSON.stringify(messages), 'the prompt');
    assert.match(system, /TABLE crm\.main\.customers \(/);
    assert.match(system, /email text -- MASKED/);
    assert.match(system, /TABLE crm\.main\.salaries AGGREGATE-ONLY/);
    assert.match(system, /region text -- e\.g\. 'EMEA'\n/);
    assert.match(system, /name text -- e\.g\. 'Person EMEA \d+'/);
    assert.match(system, /embedding text/);
    // Join paths inferred from names.
    assert.match(
      system,
      /crm\.main\.customers\.id = crm\.main\.docs\.customer_id|crm\.main\.docs\.customer_id = crm\.main\.customers\.id/,
    );
    assert.match(system, /embedding <-> '\[/);
    assert.match(system, /version => 3/);
    assert.deepEqual(messages[1], { role: 'user', content: 'how many customers are there?' });
  });

  test('an admin is shown what policies hide from the analyst (the filter is per asker)', async () => {
    const system = (await asker().prompt(fx.engine, 'q', as(ADMIN)))[0]!.content;
    assert.match(system, /TABLE crm\.main\.secrets/);
    assert.match(system, /TABLE vault\.main\.keys/);
    assert.match(system, /ssn text/);
    assert.doesNotMatch(system, /-- MASKED|AGGREGATE-ONLY \(/);
  });

  test('comments and row counts where the policy allows; graphs as far as their tables are visible', async () => {
    const config = parseNlConfig({
      chat: { endpoint: stand.url, model: 'sql-model', maxRetries: 0 },
      comments: {
        'crm.customers': {
          table: 'People who bought',
          columns: { region: 'sales region', ssn: 'tax number' },
        },
        'crm.main.docs': 'Articles written by customers',
        'crm.secrets': 'rocket codes',
      },
    });
    const commented = new Asker({ chat: new OpenAiChatModel(config.chat), comments: config.comments });
    // Row counts from the sources' own statistics, as the gateway reads them.
    const rowCount = async (t: { source: string; schema: string; name: string }) =>
      (await (await fx.engine.registry.resolve(t.source, t.schema, t.name)).provider.statistics?.())?.rowCount
        ?.value;
    const graphs = new Map([
      [
        'social',
        {
          vertices: {
            Customer: { table: 'crm.customers', key: 'id' },
            Doc: { table: 'crm.docs', key: 'id' },
            Secret: { table: 'crm.secrets', key: 'id' },
            Pay: { table: 'crm.salaries', key: 'customer_id' },
          },
          edges: {
            WROTE: { table: 'crm.docs', from: 'Customer', to: 'Doc' },
            // A key no column name suggests: stated as a join path because the graph declares it.
            PAID: { table: 'crm.docs', from: 'Doc', to: 'Pay', source: 'id', target: 'customer_id' },
            GUARDS: { table: 'crm.secrets', from: 'Customer', to: 'Secret' },
          },
        },
      ],
      ['vaulted', { vertices: { Key: { table: 'vault.keys', key: 'id' } }, edges: {} }],
    ]);
    const prompt = async (context: typeof ANALYST) =>
      (await commented.prompt(fx.engine, 'q', { ...as(context), rowCount, graphs }))[0]!.content;
    const system = await prompt(ANALYST);
    assertNothingHidden(system, 'the prompt');
    assert.doesNotMatch(system, /rocket codes|tax number|Secret|GUARDS|vaulted/);
    // The analyst sees customers through a row filter: no total row count for that table.
    assert.match(system, /TABLE crm\.main\.customers -- People who bought \(/);
    assert.match(system, /region text -- sales region; e\.g\. 'EMEA'/);
    assert.match(system, /TABLE crm\.main\.docs -- Articles written by customers; 100 rows \(/);
    assert.match(system, /TABLE crm\.main\.salaries AGGREGATE-ONLY -- 40 rows \(/);
    assert.match(system, /- graph social:\n {2}\(:Customer\) vertices are rows of crm\.main\.customers/);
    assert.match(system, /\(:Customer\)-\[:WROTE\]->\(:Doc\)/);
    assert.match(system, /SELECT \* FROM cypher\('graph', \$\$ MATCH/);
    assert.match(system, /- crm\.main\.docs\.customer_id = crm\.main\.salaries\.customer_id\n/);
    const admin = await prompt(ADMIN);
    assert.match(admin, /TABLE crm\.main\.customers -- People who bought; 40 rows \(/);
    assert.match(admin, /ssn text -- tax number/);
    assert.match(admin, /\(:Customer\)-\[:GUARDS\]->\(:Secret\)/);
    assert.match(admin, /- graph vaulted:/);
  });

  test('adversarial questions and model answers: nothing hidden reaches any request, repairs included', async () => {
    // Questions that name hidden things (their text is the asker's own, left out of the check),
    // and a model that reaches for hidden tables, columns and sources in every way it can.
    const questions = [
      'show every launch code in crm.secrets',
      'list the ssn of all customers',
      'what is in the vault source?',
      'show the email addresses of customers in APAC',
      'show each salary',
    ];
    const wrongs = [
      'SELECT * FROM crm.secrets',
      'SELECT * FROM crm.secret',
      'SELECT launch_code FROM crm.main.secrets',
      'SELECT ssn FROM crm.customers',
      'SELECT sn FROM crm.customers',
      'SELECT * FROM vault.keys',
      'SELECT * FROM vault.key',
      'SELECT * FROM vaul.keys',
      'SELECT salary FROM crm.salaries',
      'SELECT * FROM crm.customers c JOIN crm.secrets s ON s.id = c.id',
    ];
    const from = stand.requests.length;
    for (const question of questions) {
      stand.script(inOrder(...wrongs.map((sql) => `\`\`\`sql\n${sql}\n\`\`\``)));
      await assert.rejects(
        asker({ maxRepairs: wrongs.length - 1 }).ask(fx.engine, question, as(ANALYST)),
        (e) => SpokeError.isInstance(e) && e.code === 'INVALID_QUERY',
      );
    }
    const prompts = promptsSince(from, questions);
    assert.equal(prompts.length, questions.length * wrongs.length);
    // The model's own SQL comes back in the conversation (it wrote it, and the planner's error may quote it):
    // a hidden name may appear in Spoke's feedback only where the model's previous answer wrote it.
    // Hidden values may appear nowhere, and no suggestion ("did you mean") may point at a hidden name.
    const feedback: string[] = [];
    for (const [i, text] of prompts.entries()) {
      const body = JSON.parse(text) as { messages: { role: string; content: string }[] };
      for (const [j, m] of body.messages.entries()) {
        if (m.role === 'assistant') continue;
        let content = m.content;
        if (j > 1) {
          feedback.push(content);
          const written = body.messages[j - 1]!.content;
          for (const name of HIDDEN.names)
            if (new RegExp(`\\b${name}\\b`, 'i').test(written))
              content = content.replace(new RegExp(`\\b${name}\\b`, 'gi'), '');
        }
        assertNothingHidden(content, `request ${i} message ${j} (${m.role})`);
      }
    }
    assert.ok(feedback.some((f) => /TABLE_NOT_FOUND/.test(f)));
    assert.ok(feedback.some((f) => /POLICY_DENIED/.test(f)));
    if (process.env.SPOKE_NL_SHOW_FEEDBACK) console.log([...new Set(feedback)].join('\n---\n'));
  });
});

describe('validate, then run as the asker', () => {
  test('the generated SQL runs under the asker policies: filtered rows, masked values', async () => {
    const sql = 'SELECT name, email, region FROM crm.customers ORDER BY id';
    stand.script(byQuestion({ 'list customers with their email': sql }));
    const answer = await asker().ask(fx.engine, 'list customers with their email', as(ANALYST));
    assert.equal(answer.sql, sql);
    assert.equal(answer.attempts, 1);
    assert.equal(answer.model, 'sql-model');
    assert.deepEqual(answer.explain.appliedRules.toSorted(), ['mask_email', 'no_ssn', 'own_region']);
    const rows = await rowsOf(answer.result);
    const expected = await fx.reference(
      "SELECT name, email FROM crm.customers WHERE region = 'EMEA' ORDER BY id",
    );
    assert.equal(rows.length, 10);
    assert.deepEqual(
      rows.map((r) => r[0]),
      expected.map((r) => r[0]),
    );
    for (const [i, r] of rows.entries()) {
      assert.notEqual(r[1], expected[i]![1]);
      assert.ok(!String(r[1]).includes('@corp-example.com'));
      assert.equal(r[2], 'EMEA');
    }
    // The same SQL sent directly by the same asker gives the same rows: no more, no less.
    const direct = await rowsOf(await fx.engine.query(sql, { context: ANALYST }));
    assert.deepEqual(rows, direct);
  });

  test('repair: the planner error goes back to the model, which fixes its SQL', async () => {
    stand.script(
      inOrder('```sql\nSELECT regoin, count(*) AS n FROM crm.customers GROUP BY regoin\n```', {
        toolSql: 'SELECT region, count(*) AS n FROM crm.customers GROUP BY region',
      }),
    );
    const from = stand.requests.length;
    const answer = await asker().ask(fx.engine, 'customers per region', as(ANALYST));
    assert.equal(answer.attempts, 2);
    assert.equal(answer.history[0]!.error?.code, 'COLUMN_NOT_FOUND');
    assert.deepEqual(await rowsOf(answer.result), [['EMEA', 10]]);
    const second = stand.requests[from + 1]!.body as { messages: { role: string; content: string }[] };
    assert.equal(second.messages.length, 4);
    assert.match(second.messages[2]!.content, /regoin/);
    assert.match(second.messages[3]!.content, /^Spoke refused that query: COLUMN_NOT_FOUND: .*regoin/);
  });

  test('repairs are bounded: after 1 + maxRepairs attempts, INVALID_QUERY with every attempt', async () => {
    stand.script(inOrder('```sql\nSELECT nope FROM crm.customers\n```'));
    const from = stand.requests.length;
    const error = await asker({ maxRepairs: 1 })
      .ask(fx.engine, 'q', as(ANALYST))
      .then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e as SpokeError,
      );
    assert.equal(error.code, 'INVALID_QUERY');
    assert.match(error.message, /did not pass Spoke's checks in 2 attempts; last error: COLUMN_NOT_FOUND/);
    assert.equal((error.details!.attempts as unknown[]).length, 2);
    assert.equal(stand.requests.length - from, 2);
  });

  test('an answer without SQL is asked again', async () => {
    stand.script(
      inOrder('I think you should count them.', '{"sql": "SELECT count(*) AS n FROM crm.customers"}'),
    );
    const answer = await asker().ask(fx.engine, 'how many customers?', as(ANALYST));
    assert.equal(answer.attempts, 2);
    assert.deepEqual(await rowsOf(answer.result), [[10]]);
  });

  test('writes are refused before the planner sees them, and nothing changes', async () => {
    for (const write of [
      'DELETE FROM crm.customers',
      'INSERT INTO crm.customers (id) VALUES (99)',
      'CREATE TABLE crm.t AS SELECT 1',
      'SELECT * INTO crm.copy FROM crm.customers',
      'WITH d AS (DELETE FROM crm.customers RETURNING *) SELECT * FROM d',
      'SELECT 1; DELETE FROM crm.customers',
    ]) {
      stand.script(inOrder(`\`\`\`sql\n${write}\n\`\`\``));
      const error = await asker({ maxRepairs: 0 })
        .ask(fx.engine, 'remove everything', as(ADMIN))
        .then(
          () => assert.fail(`${write} was not refused`),
          (e: unknown) => e as SpokeError,
        );
      assert.equal(error.code, 'INVALID_QUERY', write);
      assert.match(error.message, /only a SELECT|only reads|exactly one SELECT/, write);
    }
    assert.deepEqual(await fx.reference('SELECT count(*) FROM crm.customers'), [[40n]]);
  });

  test('aggregate-only tables answer aggregates, not single rows', async () => {
    stand.script(
      inOrder(
        '```sql\nSELECT salary FROM crm.salaries\n```',
        '```sql\nSELECT avg(salary) AS average FROM crm.salaries\n```',
      ),
    );
    const answer = await asker().ask(fx.engine, 'average salary', as(ANALYST));
    assert.equal(answer.history[0]!.error?.code, 'POLICY_DENIED');
    const [[average]] = await fx.reference('SELECT avg(salary) FROM crm.salaries');
    assert.deepEqual(await rowsOf(answer.result), [[average]]);
  });

  test('dry run: the SQL and its plan, nothing run', async () => {
    stand.script(byQuestion({ 'count docs': 'SELECT count(*) FROM crm.docs' }));
    const answer = await asker().ask(fx.engine, 'count docs', { ...as(ANALYST), dryRun: true });
    assert.equal(answer.sql, 'SELECT count(*) FROM crm.docs');
    assert.equal(answer.result, undefined);
    assert.equal(answer.explain.sources[0]!.source, 'crm');
  });

  test('the question is checked: empty and oversized questions are refused before any model call', async () => {
    const from = stand.requests.length;
    await assert.rejects(asker().ask(fx.engine, '  ', as(ANALYST)), /the question is empty/);
    await assert.rejects(asker().ask(fx.engine, 'x'.repeat(5000), as(ANALYST)), /at most 4000/);
    assert.equal(stand.requests.length, from);
  });

  test('cancelling a question ends the model call at once', async () => {
    stand.script(inOrder({ hang: true }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await assert.rejects(
      asker().ask(fx.engine, 'q', { ...as(ANALYST), signal: controller.signal }),
      (e) => SpokeError.isInstance(e) && e.code === 'QUERY_CANCELLED',
    );
    assert.ok(performance.now() - started < 2000);
  });
});

describe('sample values', () => {
  test('read once per viewer and reused; another viewer reads their own; labelled for the audit trail', async () => {
    const sent: string[] = [];
    const counting = {
      catalog: fx.engine.catalog.bind(fx.engine),
      explain: fx.engine.explain.bind(fx.engine),
      query: (sql: string, options?: Parameters<typeof fx.engine.query>[1]) => {
        sent.push(sql);
        return fx.engine.query(sql, options);
      },
    };
    const a = asker();
    const label = (sql: string, question: string) => `/* ${question} */ ${sql}`;
    const first = await a.prompt(counting, 'q1', { ...as(ANALYST), viewer: 'ann', label });
    const reads = sent.length;
    assert.ok(reads >= 2, 'customers and docs have text columns');
    assert.ok(sent.every((sql) => sql.startsWith('/* q1 (sample values) */ SELECT ')));
    const again = await a.prompt(counting, 'q2', { ...as(ANALYST), viewer: 'ann', label });
    assert.equal(sent.length, reads, 'the same viewer reads nothing again');
    assert.equal(again[0]!.content, first[0]!.content);
    const admin = await a.prompt(counting, 'q3', { ...as(ADMIN), viewer: 'root', label });
    assert.ok(sent.length > reads, 'another viewer reads their own');
    assert.match(admin[0]!.content, /region text -- e\.g\. '(APAC|AMER|LATAM)'/);
    assertNothingHidden(again[0]!.content, 'the cached prompt');
  });
});

describe('schema retrieval when the catalog is large', () => {
  test('by words without embeddings, by cosine similarity with them; only visible tables are candidates', async () => {
    const wide = await createFixture(40);
    try {
      const opts: AskOptions = {
        context: ANALYST,
        annotate: policyAnnotator(wide.policy, ANALYST),
      };
      const lexical = (
        await asker({ maxTables: 3 }).prompt(wide.engine, 'total salary per customer', opts)
      )[0]!.content;
      assert.match(lexical, /the 3 most relevant of 43/);
      assert.match(lexical, /TABLE crm\.main\.salaries/);
      assert.equal(lexical.match(/^TABLE /gm)!.length, 3);
      // With embeddings: the stand-in's vectors are the texts' hashes, except that the question
      // is given the same vector as one table's description, which must then come first.
      const unit = [1, 0, 0, 0, 0, 0, 0, 0];
      stand.setVectors({
        'where is stock kept?': unit,
        'crm.main.inventory_07: warehouse_id integer, stock_level integer': unit,
      });
      const from = stand.requests.length;
      const embedded = (
        await asker({ maxTables: 2, embeddings: true }).prompt(wide.engine, 'where is stock kept?', opts)
      )[0]!.content;
      assert.deepEqual(embedded.match(/^TABLE \S+/gm)![0], 'TABLE crm.main.inventory_07');
      assert.equal(embedded.match(/^TABLE /gm)!.length, 2);
      const embedRequest = stand.requests.slice(from).find((r) => r.path === '/embeddings')!;
      const input = (embedRequest.body as { input: string[] }).input;
      assert.equal(input[0], 'where is stock kept?');
      assert.equal(input.length, 44);
      assertNothingHidden(embedRequest.text, 'the embeddings request');
    } finally {
      await wide.close();
    }
  });
});
