/**
 * Natural language through the gateway, end to end: `POST /v1/ask`,
 * `embed()` in SQL over HTTP and the Postgres wire, `spoke ask`, the audit
 * record — over the demo data (DuckDB, Parquet and Lance sources) with users
 * and security policies, the real `openai` SDK, and the OpenAI-compatible
 * stand-in server answering from scripted completions (no model runs here).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  byQuestion,
  inOrder,
  type OpenAiStandIn,
  startOpenAiStandIn,
} from '../../../test/harness/openai-stand-in/index.js';
import { SPOKE_CLI as CLI } from '../../../test/harness/spoke-cli.js';
import { parseConfig } from '../src/config/load-config.js';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import { startHttpServer } from '../src/http/http-server.js';
import { createGatewayServices } from '../src/service/gateway-services.js';
import { type RunningGateway, startGateway } from '../src/start-gateway.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { userYaml } from './operator-fixture.js';

const DESIGN_QUESTION = 'Find documents similar to this about machine learning from the research team';
const DESIGN_SQL = `SELECT d.id, d.title, c.name, c.region
FROM docs.documents d JOIN crm.customers c ON c.id = d.customer_id
WHERE d.department = 'Research' AND d.body @@ 'machine learning'
ORDER BY d.embedding <-> embed('machine learning'), d.id LIMIT 10`;
/** The demo's embeddings lie near the axis of their topic; machine learning is the first. */
const ML_VECTOR = [1, 0, 0, 0, 0, 0, 0, 0];

function basic(user: string): string {
  return `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`;
}

interface AskResponse {
  question: string;
  sql: string;
  explain: { sources: { source: string }[]; appliedRules: string[] };
  attempts: number;
  model: string;
  columns?: { name: string; type: string }[];
  rows?: unknown[][];
  error?: { code: string; message: string };
}

describe('natural language through the gateway', { timeout: 240_000 }, () => {
  let fixture: DemoFixture;
  let stand: OpenAiStandIn;
  let gateway: RunningGateway;
  let configFile: string;
  let url: string;

  async function ask(body: unknown, user = 'ann'): Promise<{ status: number; body: AskResponse }> {
    const res = await fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(user) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as AskResponse };
  }

  async function query(sql: string, user = 'ann'): Promise<unknown[][]> {
    const res = await fetch(`${url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(user) },
      body: JSON.stringify({ sql }),
    });
    const body = (await res.json()) as { rows: unknown[][]; error?: unknown };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.rows;
  }

  before(async () => {
    fixture = await demoFixture();
    stand = await startOpenAiStandIn({ models: ['sql-model', 'embed-model'], apiKey: 'sk-nl-test' });
    stand.setVectors({ 'machine learning': ML_VECTOR });
    const { dir, lakeFiles, lanceDir } = fixture.data;
    const yaml = `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
users:
${await userYaml('ann', 'ann-pw', ['analyst'])}
    attributes: { region: EMEA }
${await userYaml('root', 'root-pw', ['admin'])}
audit: { path: audit.jsonl }
policies:
  - { name: no_sales, on: lake.sales, rule: deny, roles: ["*"], except_roles: [admin] }
  - { name: mask_email, on: crm.customers.email, rule: mask, mask: hash, roles: ["*"], except_roles: [admin] }
  - name: own_region
    on: crm.customers
    rule: row_filter
    predicate: "region = current_user_attr('region')"
    roles: [analyst]
nl:
  chat: { endpoint: ${JSON.stringify(stand.url)}, model: sql-model, apiKey: "\${NL_API_KEY}", maxRetries: 0 }
  embeddings: { endpoint: ${JSON.stringify(stand.url)}, model: embed-model, apiKey: "\${NL_API_KEY}" }
  maxRepairs: 1
  comments:
    crm.customers: { table: People who signed up, columns: { tier: "plan level: free, pro or enterprise" } }
    lake.sales: Every sale with its amount
graphs:
  shop:
    vertices:
      Customer: { table: crm.customers, key: id }
      Document: { table: docs.documents, key: id }
      Sale: { table: lake.sales, key: id }
    edges:
      WROTE: { table: docs.documents, source: customer_id, target: id, from: Customer, to: Document }
      BOUGHT: { table: lake.sales, source: customer_id, target: id, from: Customer, to: Sale }
sources:
  crm: { connector: duckdb, path: ${JSON.stringify(join(dir, 'crm.duckdb'))} }
  lake:
    connector: duckdb
    files: { sales: ${JSON.stringify(join(dir, lakeFiles.sales))}, documents: ${JSON.stringify(join(dir, lakeFiles.documents))} }
  docs: { connector: lance, uri: ${JSON.stringify(lanceDir)} }
`;
    configFile = join(fixture.root, 'nl.yaml');
    await writeFile(configFile, yaml);
    const config = parseConfig(yaml, fixture.root, 'nl.yaml', { env: { NL_API_KEY: 'sk-nl-test' } });
    const engine = await createGatewayEngine(config);
    gateway = await startGateway(engine, config.server, () => {}, createGatewayServices(engine, config));
    url = gateway.http!.url;
  });

  after(async () => {
    await gateway?.close();
    await stand?.close();
    await fixture?.close();
  });

  it("answers the design's example: vector distance from embed(), full-text, a join to another source, the asker's row filter", async () => {
    stand.script(byQuestion({ [DESIGN_QUESTION]: DESIGN_SQL }));
    const { status, body } = await ask({ question: DESIGN_QUESTION });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.question, DESIGN_QUESTION);
    assert.equal(body.sql, DESIGN_SQL);
    assert.equal(body.attempts, 1);
    assert.equal(body.model, 'sql-model');
    assert.deepEqual(
      body.columns!.map((c) => c.name),
      ['id', 'title', 'name', 'region'],
    );
    assert.deepEqual(body.explain.sources.map((s) => s.source).toSorted(), ['crm', 'docs']);
    assert.ok(body.explain.appliedRules.includes('own_region'));
    // The same query with the vector written out, as the same user: embed() is exactly that vector.
    const literal = DESIGN_SQL.replace("embed('machine learning')", `'[${ML_VECTOR.join(',')}]'`);
    assert.deepEqual(body.rows, await query(literal));
    // DuckDB over the same documents: the eligible rows (Research, the words, an EMEA author).
    const eligible =
      await fixture.duckdb(`SELECT d.id FROM lake.documents d JOIN crm.customers c ON c.id = d.customer_id
      WHERE d.department = 'Research' AND regexp_matches(d.body, '\\bmachine\\b', 'i') AND regexp_matches(d.body, '\\blearning\\b', 'i')
        AND c.region = 'EMEA'`);
    const ids = new Set(eligible.map((r) => Number(r.id)));
    assert.equal(body.rows!.length, Math.min(10, ids.size));
    assert.ok(body.rows!.length > 0);
    for (const row of body.rows!) {
      assert.ok(ids.has(Number(row[0])), `document ${row[0]} is not eligible`);
      assert.equal(row[3], 'EMEA');
    }
    // Nearest first: most returned documents are about machine learning (their embeddings lie on its axis).
    const onTopic = body.rows!.filter((r) => /machine learning/.test(String(r[1]))).length;
    assert.ok(onTopic >= body.rows!.length / 2, `only ${onTopic} on topic`);
    // The key from ${NL_API_KEY} reached the endpoint; embed() cost one embeddings request.
    assert.equal(stand.chatRequests().at(-1)!.headers.authorization, 'Bearer sk-nl-test');
  });

  it('the prompt holds no denied table, no masked value and no row the asker may not see', async () => {
    stand.script(byQuestion({ 'how many customers?': 'SELECT count(*) AS n FROM crm.customers' }));
    const from = stand.requests.length;
    const { status, body } = await ask({ question: 'how many customers?' });
    assert.equal(status, 200);
    assert.deepEqual(body.rows, [
      [(await fixture.duckdb("SELECT count(*) AS n FROM crm.customers WHERE region = 'EMEA'"))[0]!.n].map(
        Number,
      ),
    ]);
    const prompt = stand.requests
      .slice(from)
      .filter((r) => r.path === '/chat/completions')
      .map((r) => r.text)
      .join('\n');
    assert.match(prompt, /TABLE crm\.main\.customers/);
    assert.match(prompt, /TABLE docs\.default\.documents/);
    assert.match(prompt, /email text -- MASKED/);
    assert.match(prompt, /embedding real\[8\]/);
    assert.doesNotMatch(prompt, /lake\.main\.sales|\bamount\b/);
    for (const { email } of await fixture.duckdb('SELECT email FROM crm.customers'))
      assert.ok(!prompt.includes(String(email)), `the raw e-mail ${email} is in the prompt`);
    for (const { name } of await fixture.duckdb(
      "SELECT name FROM crm.customers WHERE region <> 'EMEA' EXCEPT SELECT name FROM crm.customers WHERE region = 'EMEA'",
    ))
      assert.ok(
        !prompt.includes(JSON.stringify(String(name)).slice(1, -1)),
        `${name} (not EMEA) is in the prompt`,
      );
    // An admin's prompt shows what the analyst's hides.
    const adminFrom = stand.requests.length;
    await ask({ question: 'how many customers?', dryRun: true }, 'root');
    assert.match(
      stand.requests
        .slice(adminFrom)
        .map((r) => r.text)
        .join(''),
      /lake\.main\.sales/,
    );
  });

  it('the prompt offers the graphs the asker may see, with comments and row counts; a Cypher answer runs', async () => {
    const question = 'who wrote the most research documents?';
    const sql = `SELECT * FROM cypher('shop', $$ MATCH (c:Customer)-[:WROTE]->(d:Document) WHERE d.department = 'Research'
      RETURN c.name AS name, count(d) AS docs ORDER BY docs DESC, name LIMIT 5 $$) AS (name text, docs bigint)`;
    stand.script(byQuestion({ [question]: sql }));
    const from = stand.requests.length;
    const { status, body } = await ask({ question });
    assert.equal(status, 200, JSON.stringify(body));
    const expected = await fixture.duckdb(`SELECT c.name, count(*) AS docs
      FROM crm.customers c JOIN lake.documents d ON d.customer_id = c.id
      WHERE d.department = 'Research' AND c.region = 'EMEA' GROUP BY c.name ORDER BY docs DESC, c.name LIMIT 5`);
    assert.equal(expected.length, 5);
    assert.deepEqual(
      body.rows!.map((r) => [r[0], Number(r[1])]),
      expected.map((r) => [r.name, Number(r.docs)]),
    );
    const prompt = stand
      .chatRequests()
      .slice(-1)
      .map((r) => r.text)
      .join('');
    assert.ok(stand.requests.length > from);
    assert.match(prompt, /- graph shop:/);
    assert.match(prompt, /\(:Customer\)-\[:WROTE\]->\(:Document\)/);
    assert.match(
      prompt,
      /TABLE crm\.main\.customers -- People who signed up \(/,
      'no row count: row-filtered',
    );
    assert.match(prompt, /tier text -- plan level: free, pro or enterprise/);
    assert.match(prompt, /TABLE docs\.default\.documents -- (about )?[\d,]+ rows \(/);
    // lake.sales is denied to the analyst: its vertex label, edge type and comment stay out.
    assert.doesNotMatch(prompt, /Sale\b|BOUGHT|Every sale/);
  });

  it('dryRun answers the SQL and its plan, without rows', async () => {
    stand.script(
      byQuestion({
        'documents per department':
          'SELECT department, count(*) AS n FROM docs.documents GROUP BY department',
      }),
    );
    const { status, body } = await ask({ question: 'documents per department', dryRun: true });
    assert.equal(status, 200);
    assert.equal(body.sql, 'SELECT department, count(*) AS n FROM docs.documents GROUP BY department');
    assert.equal(body.rows, undefined);
    assert.equal(body.columns, undefined);
    assert.deepEqual(
      body.explain.sources.map((s) => s.source),
      ['docs'],
    );
  });

  it('repairs, then refuses: writes and unfixable SQL are 400 INVALID_QUERY; bad bodies are 400', async () => {
    stand.script(
      inOrder(
        '```sql\nSELECT amount FROM lake.sales\n```',
        '```sql\nSELECT count(*) AS n FROM docs.documents\n```',
      ),
    );
    const repaired = await ask({ question: 'total sales' });
    assert.equal(repaired.status, 200);
    assert.equal(repaired.body.attempts, 2);
    assert.deepEqual(repaired.body.rows, [[500]]);
    stand.script(inOrder('```sql\nDELETE FROM docs.documents\n```'));
    const write = await ask({ question: 'delete all documents' });
    assert.equal(write.status, 400);
    assert.equal(write.body.error!.code, 'INVALID_QUERY');
    assert.match(
      write.body.error!.message,
      /2 attempts; last error: INVALID_QUERY: only a SELECT may be asked for/,
    );
    assert.deepEqual(await query('SELECT count(*) FROM docs.documents'), [[500]]);
    for (const [body, message] of [
      [{}, /"question" must be a non-empty string/],
      [{ question: 'q', dryRun: 'yes' }, /"dryRun" must be true or false/],
      [{ question: 'q', sql: 'SELECT 1' }, /unknown member "sql"/],
    ] as const) {
      const res = await ask(body);
      assert.equal(res.status, 400);
      assert.match(res.body.error!.message, message);
    }
  });

  it('the model being down is 503 naming nl.chat; a slow one is cancelled with the request', async () => {
    stand.fail({ status: 503, errorMessage: 'overloaded' });
    const res = await ask({ question: 'anything' });
    assert.equal(res.status, 503);
    assert.match(res.body.error!.message, /nl\.chat .* is unavailable \(HTTP 503\): overloaded/);
    // A client that goes away while the model thinks ends the request at once (the model call included).
    stand.script(inOrder({ hang: true }));
    const controller = new AbortController();
    const pending = fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('ann') },
      body: JSON.stringify({ question: 'a question the model never answers' }),
      signal: controller.signal,
    });
    const deadline = Date.now() + 5000;
    while (stand.chatRequests().at(-1)?.text.includes('never answers') !== true && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(gateway.http!.activeRequests, 1);
    controller.abort();
    await assert.rejects(pending);
    while (gateway.http!.activeRequests > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(gateway.http!.activeRequests, 0, 'the ask is still running after its client left');
  });

  it('embed() works in any client SQL: HTTP and the Postgres wire, equal to the written-out vector', async () => {
    const sql = "SELECT id FROM docs.documents ORDER BY embedding <-> embed('machine learning'), id LIMIT 5";
    const expected = await query(sql.replace("embed('machine learning')", `'[${ML_VECTOR.join(',')}]'`));
    assert.equal(expected.length, 5);
    assert.deepEqual(await query(sql), expected);
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gateway.postgres!.port,
      user: 'ann',
      password: 'ann-pw',
      database: 'spoke',
    });
    await client.connect();
    try {
      const viaWire = await client.query({ text: sql, rowMode: 'array' });
      assert.deepEqual(
        viaWire.rows.map((r: unknown[]) => [Number(r[0])]),
        expected,
      );
      const prepared = await client.query({
        text: 'SELECT id FROM docs.documents ORDER BY embedding <-> embed($1), id LIMIT 5',
        values: ['machine learning'],
        rowMode: 'array',
      });
      assert.deepEqual(
        prepared.rows.map((r: unknown[]) => [Number(r[0])]),
        expected,
      );
    } finally {
      await client.end();
    }
  });

  it("SELECT * FROM ask('…') answers a question on the Postgres wire, as the wire's user", async () => {
    stand.script(
      byQuestion({
        'customers per tier': 'SELECT tier, count(*) AS n FROM crm.customers GROUP BY tier ORDER BY tier',
      }),
    );
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gateway.postgres!.port,
      user: 'ann',
      password: 'ann-pw',
      database: 'spoke',
    });
    await client.connect();
    try {
      const result = await client.query({
        text: "SELECT * FROM ask('customers per tier')",
        rowMode: 'array',
      });
      assert.deepEqual(
        result.fields.map((f) => f.name),
        ['tier', 'n'],
      );
      const expected = await fixture.duckdb(
        "SELECT tier, count(*) AS n FROM crm.customers WHERE region = 'EMEA' GROUP BY tier ORDER BY tier",
      );
      assert.deepEqual(
        result.rows.map((r: unknown[]) => [r[0], Number(r[1])]),
        expected.map((r) => [r.tier, Number(r.n)]),
      );
      // Asked again by the same user within a minute (a prepared statement, a driver's Describe): the SQL is reused.
      const asked = stand.chatRequests().length;
      const prepared = await client.query({
        text: 'SELECT * FROM ask($1)',
        values: ['customers per tier'],
        rowMode: 'array',
      });
      assert.deepEqual(prepared.rows, result.rows);
      assert.equal(stand.chatRequests().length, asked);
      await assert.rejects(
        client.query("SELECT tier FROM ask('customers per tier') WHERE tier = 'pro'"),
        (e: { code?: string; message?: string }) =>
          e.code === '0A000' && /ask\(\) is used alone/.test(e.message ?? ''),
      );
    } finally {
      await client.end();
    }
  });

  it('spoke ask prints the SQL and the rows; --dry-run only the SQL; no nl: section is a clear error', async () => {
    const run = async (args: string[]) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { ...process.env, NL_API_KEY: 'sk-nl-test' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const [code] = (await once(child, 'close')) as [number | null];
      return { code, stdout, stderr };
    };
    stand.script(
      byQuestion({
        'documents per department':
          'SELECT department, count(*) AS n FROM docs.documents GROUP BY department ORDER BY department',
      }),
    );
    const ran = await run(['ask', '--config', configFile, 'documents per department']);
    assert.equal(ran.code, 0, ran.stderr);
    const expected = await fixture.duckdb(
      'SELECT department, count(*) AS n FROM lake.documents GROUP BY department ORDER BY department',
    );
    assert.match(
      ran.stdout,
      /^-- sql-model, 1 attempt\nSELECT department, count\(\*\) AS n FROM docs\.documents GROUP BY department ORDER BY department;\n/,
    );
    for (const row of expected) assert.match(ran.stdout, new RegExp(`${row.department}\\s*\\|\\s*${row.n}`));
    const dry = await run(['ask', '--config', configFile, '--dry-run', 'documents per department']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.doesNotMatch(dry.stdout, /Research/);
    const plain = join(fixture.root, 'plain.yaml');
    await writeFile(
      plain,
      (await readFile(configFile, 'utf8')).replace(/^nl:[\s\S]*?^sources:/m, 'sources:'),
    );
    const missing = await run(['ask', '--config', plain, 'q']);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^spoke: INVALID_CONFIG: .*no nl: section; add nl: \{ chat: \{ endpoint, model, apiKey \} \}/,
    );
  });

  it('a bad nl: section is INVALID_CONFIG naming the key, an unset ${ENV} too', () => {
    const base = 'sources:\n  crm: { connector: duckdb, path: crm.duckdb }\n';
    assert.throws(
      () => parseConfig(`nl: { chat: { endpoint: "127.0.0.1:11434", model: m } }\n${base}`, fixture.root),
      /nl\.chat\.endpoint: expected the base URL of an OpenAI-compatible API/,
    );
    assert.throws(
      () =>
        parseConfig(
          `nl: { chat: { endpoint: "http://x/v1", model: m, apiKey: "\${NO_SUCH_KEY}" } }\n${base}`,
          fixture.root,
          'x.yaml',
          { env: {} },
        ),
      /nl\.chat\.apiKey: .*NO_SUCH_KEY/,
    );
    assert.throws(
      () => parseConfig(`nl: { chatt: {} }\n${base}`, fixture.root),
      /nl\.chatt: unknown key \(did you mean "chat"\?\)/,
    );
  });

  it('without nl:, POST /v1/ask is 501 and says what to configure', async () => {
    const engine = await createGatewayEngine(fixture.config);
    const server = await startHttpServer(engine, { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${server.url}/v1/ask`, { method: 'POST', body: '{"question":"q"}' });
      assert.equal(res.status, 501);
      assert.match(
        ((await res.json()) as AskResponse).error!.message,
        /natural language is not configured: add an nl: section/,
      );
    } finally {
      await server.close();
      await engine.close();
    }
  });

  it('the audit record of an answer holds the question and the SQL', async () => {
    await gateway.close(); // flushes the audit file
    const records = (await readFile(join(fixture.root, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { user: string; sql: string; outcome: string });
    const record = records.find((r) => r.sql === `/* spoke ask: ${DESIGN_QUESTION} */\n${DESIGN_SQL}`);
    assert.ok(record, 'no audit record holds the question and the SQL');
    assert.equal(record.user, 'ann');
    assert.equal(record.outcome, 'ok');
    // The reads of sample values for the prompt are the asker's queries too, labelled as such.
    const samples = records.filter((r) =>
      r.sql.startsWith(`/* spoke ask: ${DESIGN_QUESTION} (sample values) */\nSELECT `),
    );
    assert.ok(samples.length > 0);
    assert.ok(samples.every((r) => r.user === 'ann'));
    // ask() on the Postgres wire: the record of the statement holds the SQL the model wrote.
    const wire = records.find(
      (r) =>
        r.sql === "SELECT * FROM ask('customers per tier')" &&
        (r as { protocol?: string }).protocol === 'postgres',
    ) as { generatedSql?: string; user: string } | undefined;
    assert.equal(
      wire?.generatedSql,
      'SELECT tier, count(*) AS n FROM crm.customers GROUP BY tier ORDER BY tier',
    );
    assert.equal(wire.user, 'ann');
    // spoke ask runs through the query service too: its record (protocol cli) holds the question and the SQL.
    const cli = records.find(
      (r) =>
        (r as { protocol?: string }).protocol === 'cli' &&
        r.sql.startsWith('/* spoke ask: documents per department */\n'),
    );
    assert.ok(cli, 'no cli audit record');
    assert.match(cli.sql, /\nSELECT department, count\(\*\) AS n FROM docs\.documents/);
  });
});
