/**
 * Cypher through the gateway, end to end, over the demo data (customers in
 * DuckDB, documents in Lance, sales in Parquet) with users and security
 * policies: `POST /v1/cypher` (JSON and Arrow), `SELECT * FROM cypher(…) AS
 * (…)` on the Postgres wire (simple and extended protocol), `spoke cypher`,
 * EXPLAIN, errors with their SQLSTATE, and the `graphs:` checks at start-up.
 * Answers are compared with DuckDB running hand-written SQL over the same files.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { arrow, ErrorCode, SpokeError } from '@spoke/core';
import pg from 'pg';
import { SPOKE_CLI as CLI } from '../../../test/harness/spoke-cli.js';
import { parseConfig } from '../src/config/load-config.js';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import { cypherStatementFor } from '../src/graph/graph-engine.js';
import { createGatewayServices } from '../src/service/gateway-services.js';
import { type RunningGateway, startGateway } from '../src/start-gateway.js';
import { canonicalRows, type DemoFixture, demoFixture } from './demo-fixture.js';
import { userYaml } from './operator-fixture.js';

const GRAPH_YAML = `graphs:
  shop:
    vertices:
      Customer: { table: crm.customers, key: id }
      Document: { table: docs.documents, key: id }
      Sale: { table: lake.sales, key: id }
    edges:
      WROTE: { table: docs.documents, source: customer_id, target: id, from: Customer, to: Document }
      BOUGHT: { table: lake.sales, source: customer_id, target: id, from: Customer, to: Sale }
`;

const WRITERS = `MATCH (c:Customer)-[:WROTE]->(d:Document)
  WHERE d.department = $dept
  RETURN c.id AS id, c.name AS name, count(d) AS docs
  ORDER BY docs DESC, id LIMIT 10`;
const WRITERS_SQL = `SELECT c.id, c.name, count(*) AS docs
  FROM crm.customers c JOIN lake.documents d ON d.customer_id = c.id
  WHERE d.department = 'Research' GROUP BY c.id, c.name ORDER BY docs DESC, c.id LIMIT 10`;

function basic(user: string): string {
  return `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`;
}

describe('Cypher through the gateway', { timeout: 240_000 }, () => {
  let fixture: DemoFixture;
  let gateway: RunningGateway;
  let url: string;
  let configFile: string;
  let yaml: string;

  async function post(path: string, body: unknown, user = 'root', accept?: string) {
    return fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basic(user),
        ...(accept ? { accept } : {}),
      },
      body: JSON.stringify(body),
    });
  }

  async function rows(path: string, body: unknown, user = 'root'): Promise<unknown[][]> {
    const res = await post(path, body, user);
    const json = (await res.json()) as { rows: unknown[][] };
    assert.equal(res.status, 200, JSON.stringify(json));
    return json.rows;
  }

  async function wire<T>(user: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gateway.postgres!.port,
      user,
      password: `${user}-pw`,
      database: 'spoke',
    });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }

  before(async () => {
    fixture = await demoFixture();
    const { dir, lakeFiles, lanceDir } = fixture.data;
    yaml = `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
users:
${await userYaml('ann', 'ann-pw', ['analyst'])}
    attributes: { region: EMEA }
${await userYaml('root', 'root-pw', ['admin'])}
policies:
  - { name: mask_email, on: crm.customers.email, rule: mask, mask: hash, roles: ["*"], except_roles: [admin] }
  - name: own_region
    on: crm.customers
    rule: row_filter
    predicate: "region = current_user_attr('region')"
    roles: [analyst]
sources:
  crm: { connector: duckdb, path: ${JSON.stringify(join(dir, 'crm.duckdb'))} }
  lake:
    connector: duckdb
    files: { sales: ${JSON.stringify(join(dir, lakeFiles.sales))}, documents: ${JSON.stringify(join(dir, lakeFiles.documents))} }
  docs: { connector: lance, uri: ${JSON.stringify(lanceDir)} }
${GRAPH_YAML}`;
    configFile = join(fixture.root, 'cypher.yaml');
    await writeFile(configFile, yaml);
    const config = parseConfig(yaml, fixture.root, 'cypher.yaml');
    const engine = await createGatewayEngine(config);
    gateway = await startGateway(engine, config.server, () => {}, createGatewayServices(engine, config));
    url = gateway.http!.url;
  });

  after(async () => {
    await gateway?.close();
    await fixture?.close();
  });

  it('POST /v1/cypher answers as /v1/query does, equal to DuckDB over the same files', async () => {
    const expected = canonicalRows(
      (await fixture.duckdb(WRITERS_SQL)).map((r) => [r.id, r.name, r.docs] as unknown[]),
    );
    assert.equal(expected.length, 10);
    const res = await post('/v1/cypher', { graph: 'shop', query: WRITERS, params: { dept: 'Research' } });
    const body = (await res.json()) as { columns: { name: string }[]; rows: unknown[][] };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.columns.map((c) => c.name),
      ['id', 'name', 'docs'],
    );
    assert.deepEqual(canonicalRows(body.rows), expected);
    // The same rows as an Arrow stream.
    const ipc = await post(
      '/v1/cypher',
      { graph: 'shop', query: WRITERS, params: { dept: 'Research' } },
      'root',
      'application/vnd.apache.arrow.stream',
    );
    assert.equal(ipc.status, 200);
    const table = arrow.tableFromIPC(new Uint8Array(await ipc.arrayBuffer()));
    assert.equal(table.numRows, 10);
    assert.deepEqual(
      table.toArray().map((r) => String(r.id)),
      expected.map((r) => (r as unknown[])[0]),
    );
  });

  it('a pattern across three sources (DuckDB, Lance, Parquet) equals the hand-written join', async () => {
    const query = `MATCH (d:Document)<-[:WROTE]-(c:Customer)-[:BOUGHT]->(s:Sale {product: 'Pro plan'})
      WHERE d.title CONTAINS 'vector'
      RETURN c.region AS region, count(DISTINCT c) AS buyers, count(*) AS pairs ORDER BY region`;
    const expected = await fixture.duckdb(`SELECT c.region, count(DISTINCT c.id) AS buyers, count(*) AS pairs
      FROM lake.documents d JOIN crm.customers c ON c.id = d.customer_id JOIN lake.sales s ON s.customer_id = c.id
      WHERE s.product = 'Pro plan' AND strpos(d.title, 'vector') > 0 GROUP BY c.region ORDER BY c.region`);
    assert.ok(expected.length > 0);
    assert.deepEqual(
      canonicalRows(await rows('/v1/cypher', { graph: 'shop', query })),
      canonicalRows(expected.map((r) => [r.region, r.buyers, r.pairs])),
    );
  });

  it('security policies apply to graph results: masks and row filters', async () => {
    const query =
      'MATCH (c:Customer)-[:WROTE]->(d:Document) RETURN DISTINCT c.id AS id, c.email AS email, c.region AS region ORDER BY id LIMIT 20';
    const ann = await rows('/v1/cypher', { graph: 'shop', query }, 'ann');
    assert.ok(ann.length > 0);
    for (const [, email, region] of ann) {
      assert.equal(region, 'EMEA', 'the row filter applies');
      assert.ok(!String(email).includes('@'), `the e-mail is masked: ${email}`);
    }
    // Equal to what the same caller gets from SQL over the table.
    const ids = ann.map((r) => r[0]).join(', ');
    assert.deepEqual(
      ann,
      await rows(
        '/v1/query',
        { sql: `SELECT id, email, region FROM crm.customers WHERE id IN (${ids}) ORDER BY id` },
        'ann',
      ),
    );
    const root = await rows('/v1/cypher', { graph: 'shop', query }, 'root');
    assert.ok(
      root.some((r) => String(r[1]).includes('@')),
      'admin sees e-mails',
    );
  });

  it('SELECT * FROM cypher(…) AS (…) on the Postgres wire, simple and extended protocol', async () => {
    const expected = canonicalRows(
      (await fixture.duckdb(WRITERS_SQL)).map((r) => [r.id, r.name, r.docs] as unknown[]),
    );
    await wire('root', async (client) => {
      const simple = await client.query({
        text: `SELECT * FROM cypher('shop', $$ ${WRITERS.replace('$dept', "'Research'")} $$) AS (id integer, name text, docs bigint)`,
        rowMode: 'array',
      });
      assert.deepEqual(
        simple.fields.map((f) => f.name),
        ['id', 'name', 'docs'],
      );
      assert.equal(simple.fields[0]!.dataTypeID, 23, 'the column definition list types the columns (int4)');
      assert.deepEqual(canonicalRows(simple.rows), expected);
      const extended = await client.query({
        text: `SELECT g.name, g.docs FROM cypher('shop', $1, $2) AS g(id int, name text, docs bigint) WHERE g.docs >= $3 ORDER BY g.docs DESC, g.id`,
        values: [WRITERS, JSON.stringify({ dept: 'Research' }), 2],
        rowMode: 'array',
      });
      assert.deepEqual(
        canonicalRows(extended.rows),
        expected.filter((r) => Number((r as string[])[2]) >= 2).map((r) => (r as unknown[]).slice(1)),
      );
    });
  });

  it('SQL/PGQ GRAPH_TABLE on the Postgres wire', async () => {
    const expected = await fixture.duckdb(`SELECT c.region, count(*) AS docs
      FROM crm.customers c JOIN lake.documents d ON d.customer_id = c.id
      WHERE d.department = 'Research' GROUP BY c.region ORDER BY c.region`);
    await wire('root', async (client) => {
      const got = await client.query({
        text: `SELECT g.region, count(*) AS docs
          FROM GRAPH_TABLE (shop MATCH (c IS Customer)-[IS WROTE]->(d IS Document) WHERE d.department = 'Research'
                            COLUMNS (c.region, d.id AS doc)) AS g
          GROUP BY g.region ORDER BY g.region`,
        rowMode: 'array',
      });
      assert.deepEqual(canonicalRows(got.rows), canonicalRows(expected.map((r) => [r.region, r.docs])));
      // Prepared, with the department as a statement parameter inside the graph table.
      const prepared = await client.query({
        text: `SELECT g.region, count(*) AS docs
          FROM GRAPH_TABLE (shop MATCH (c IS Customer)-[IS WROTE]->(d IS Document) WHERE d.department = $1
                            COLUMNS (c.region, d.id AS doc)) AS g
          GROUP BY g.region ORDER BY g.region`,
        values: ['Research'],
        rowMode: 'array',
      });
      assert.deepEqual(canonicalRows(prepared.rows), canonicalRows(expected.map((r) => [r.region, r.docs])));
    });
  });

  it('graph results join ordinary tables in one SQL statement', async () => {
    const sql = `SELECT w.name, count(*) AS sales FROM cypher('shop', $$ MATCH (c:Customer)-[:WROTE]->(:Document {department: 'Sales'}) RETURN DISTINCT c.id AS id, c.name AS name $$) AS w(id int, name text)
      JOIN lake.sales s ON s.customer_id = w.id GROUP BY w.name ORDER BY sales DESC, w.name LIMIT 5`;
    const expected = await fixture.duckdb(`SELECT c.name, count(*) AS sales
      FROM (SELECT DISTINCT c.id, c.name FROM crm.customers c JOIN lake.documents d ON d.customer_id = c.id WHERE d.department = 'Sales') c
      JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.name ORDER BY sales DESC, c.name LIMIT 5`);
    assert.deepEqual(
      canonicalRows(await rows('/v1/query', { sql })),
      canonicalRows(expected.map((r) => [r.name, r.sales])),
    );
  });

  it('errors carry PostgreSQL SQLSTATEs: syntax (with position), unsupported construct, unknown graph', async () => {
    const cases: [unknown, number, string, RegExp][] = [
      [{ graph: 'shop', query: 'MATCH (c:Customer RETURN c' }, 400, '42601', /position 19/],
      [{ graph: 'shop', query: 'CREATE (c:Customer {id: 1}) RETURN c' }, 501, '0A000', /CREATE clause/],
      [{ graph: 'shop', query: 'MATCH (c:Customer) DETACH DELETE c' }, 501, '0A000', /DETACH DELETE clause/],
      [
        { graph: 'nope', query: 'MATCH (c) RETURN c' },
        404,
        '42P01',
        /graph "nope" does not exist \(graphs: shop\)/,
      ],
      [{ graph: 'shop', query: 'MATCH (c:Nobody) RETURN c' }, 404, '42P01', /no vertex label :Nobody/],
      [
        { graph: 'shop', query: 'MATCH (c:Customer) RETURN c.shoe_size' },
        404,
        '42703',
        /no property "shoe_size"/,
      ],
      [{ graph: 'shop', query: 'MATCH (c:Customer) WHERE c.id = $id RETURN c' }, 400, '42P02', /\$id/],
    ];
    for (const [body, status, sqlstate, message] of cases) {
      const res = await post('/v1/cypher', body);
      const json = (await res.json()) as { error: { message: string; sqlstate?: string; position?: number } };
      assert.equal(json.error?.sqlstate, sqlstate, JSON.stringify(json));
      assert.match(json.error.message, message);
      assert.ok(res.status >= 400 && res.status < 600, `${res.status}`);
      void status;
    }
    const bad = await post('/v1/cypher', { graph: 'shop' });
    assert.equal(bad.status, 400);
    await wire('root', async (client) => {
      await assert.rejects(
        client.query(`SELECT * FROM cypher('shop', $$ MATCH (c:Customer RETURN c $$) AS (c bigint)`),
        (e: { code?: string }) => e.code === '42601',
      );
      await assert.rejects(
        client.query(
          `SELECT * FROM cypher('shop', $$ MATCH (c:Customer) RETURN c.id, c.name $$) AS (c bigint)`,
        ),
        (e: { code?: string; message?: string }) => e.code === '42601' && /2 column/.test(e.message ?? ''),
      );
    });
  });

  it('CREATE PROPERTY GRAPH over the wire and HTTP: the same graph as the config, admin only, DROP', async () => {
    const ddl = `CREATE PROPERTY GRAPH shop_sql
      VERTEX TABLES (
        crm.customers KEY (id) LABEL Customer,
        docs.documents AS doc KEY (id) LABEL Document PROPERTIES (id, department, title)
      )
      EDGE TABLES (
        docs.documents AS wrote SOURCE KEY (customer_id) REFERENCES crm.customers (id)
          DESTINATION KEY (id) REFERENCES doc LABEL WROTE
      )`;
    const writers = WRITERS.replace('$dept', "'Research'");
    await wire('ann', async (client) => {
      await assert.rejects(client.query(ddl), (e: { code?: string }) => e.code === '42501');
    });
    await wire('root', async (client) => {
      assert.equal((await client.query(ddl)).command, 'CREATE');
      // The same answers as the config's graph over the same tables.
      const viaDdl = await client.query({
        text: `SELECT * FROM cypher('shop_sql', $$ ${writers} $$) AS (id int, name text, docs bigint)`,
        rowMode: 'array',
      });
      const viaConfig = await client.query({
        text: `SELECT * FROM cypher('shop', $$ ${writers} $$) AS (id int, name text, docs bigint)`,
        rowMode: 'array',
      });
      assert.equal(viaDdl.rows.length, 10);
      assert.deepEqual(viaDdl.rows, viaConfig.rows);
      // PROPERTIES (…) limits the properties, as properties: in the config does.
      await assert.rejects(
        client.query(
          `SELECT * FROM cypher('shop_sql', $$ MATCH (d:Document) RETURN d.embedding $$) AS (e text)`,
        ),
        (e: { code?: string }) => e.code === '42703',
      );
      // EXPLAIN shows the Cypher and its compiled SQL before the plan.
      const explain = (
        await client.query(
          `EXPLAIN SELECT * FROM GRAPH_TABLE (shop_sql MATCH (c IS Customer)-[IS WROTE]->(d IS Document) COLUMNS (c.name, d.title))`,
        )
      ).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']);
      assert.equal(explain[0], 'Graph query (graph shop_sql):');
      assert.match(explain[1]!, /^ {2}Cypher: MATCH \(c :Customer\)-\[:WROTE\]->\(d :Document\) RETURN/);
      assert.ok(explain.some((l) => /FROM "crm"\."customers"/.test(l)));
      assert.ok(explain.some((l) => l.startsWith('Residual (DuckDB)')));
      const errors: [string, string, RegExp][] = [
        [ddl, '42710', /already exists/],
        ['CREATE PROPERTY GRAPH g VERTEX TABLES (crm.customers KEY (idx))', '42703', /no column "idx"/],
        ['CREATE PROPERTY GRAPH g VERTEX TABLES (crm.nope KEY (id))', '42P01', /crm\.nope/],
        [
          'CREATE PROPERTY GRAPH g VERTEX TABLES (crm.customers KEY (id), lake.sales KEY (id)) EDGE TABLES (lake.sales AS b SOURCE KEY (product) REFERENCES customers DESTINATION KEY (id) REFERENCES sales)',
          '42804',
          /"product" is .* but the key of customers/,
        ],
        ['CREATE PROPERTY GRAPH g VERTEX TABLES (crm.customers KEY (id) LABEL)', '42601', /label name/],
        ['CREATE PROPERTY GRAPH g VERTEX TABLES (crm.customers KEY (id, name))', '0A000', /several columns/],
        ['DROP PROPERTY GRAPH shop', '42501', /config file/],
        ['DROP PROPERTY GRAPH nope', '42704', /does not exist/],
      ];
      for (const [sql, code, message] of errors)
        await assert.rejects(
          client.query(sql),
          (e: { code?: string; message?: string }) => e.code === code && message.test(e.message ?? ''),
          sql,
        );
      assert.equal((await client.query('DROP PROPERTY GRAPH shop_sql')).command, 'DROP');
      await client.query('DROP PROPERTY GRAPH IF EXISTS shop_sql');
    });
    // Over HTTP: created by one request, used by the next, gone after DROP.
    await rows('/v1/query', { sql: ddl });
    const explained = (await (
      await post('/v1/explain', {
        sql: "SELECT * FROM cypher('shop_sql', $$ MATCH (c:Customer) RETURN c.name $$) AS (name text)",
      })
    ).json()) as { graphQueries: { graph: string; cypher: string; sql: string }[]; residualSql: string };
    assert.deepEqual(
      explained.graphQueries.map((q) => [q.graph, q.cypher]),
      [['shop_sql', 'MATCH (c:Customer) RETURN c.name']],
    );
    assert.match(explained.graphQueries[0]!.sql, /FROM "crm"\."customers"/);
    assert.equal((await rows('/v1/cypher', { graph: 'shop_sql', query: writers })).length, 10);
    await rows('/v1/query', { sql: 'DROP PROPERTY GRAPH shop_sql' });
    const gone = await post('/v1/cypher', { graph: 'shop_sql', query: writers });
    assert.equal(((await gone.json()) as { error: { sqlstate: string } }).error.sqlstate, '42P01');
  });

  it('the statement run for a Cypher query carries it as a one-line comment that cannot end early', () => {
    const sql = cypherStatementFor('MATCH (a:Customer)\n/* */ WHERE a.name = "*/ DROP" RETURN a');
    assert.equal(sql.indexOf('*/'), sql.lastIndexOf('*/'));
    assert.ok(sql.endsWith('*/ SELECT * FROM cypher($1, $2, $3)'), sql);
    assert.ok(!sql.includes('\n'));
  });

  it('a Cypher injection attempt through a parameter stays a value', async () => {
    const evil = "x' OR '1'='1";
    const got = await rows('/v1/cypher', {
      graph: 'shop',
      query: 'MATCH (c:Customer) WHERE c.name = $name RETURN count(*) AS n',
      params: { name: evil },
    });
    assert.deepEqual(canonicalRows(got), [['0']]);
  });

  it('"explain": true shows the Cypher, the SQL it compiles to and what each source is asked', async () => {
    const res = await post('/v1/cypher', {
      graph: 'shop',
      query: WRITERS,
      params: { dept: 'Research' },
      explain: true,
    });
    const body = (await res.json()) as {
      cypher: string;
      sql: string;
      plan: { sources: { source: string }[]; residualSql: string };
    };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.cypher, WRITERS);
    assert.match(body.sql, /"crm"\."customers"/);
    assert.match(body.sql, /'Research'/);
    assert.deepEqual([...new Set(body.plan.sources.map((s) => s.source))].sort(), ['crm', 'docs']);
  });

  it('spoke cypher runs a query from the command line', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c));
        child.stderr.on('data', (c: Buffer) => (stderr += c));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const ok = await run([
      'cypher',
      '--config',
      configFile,
      '--graph',
      'shop',
      '--format',
      'json',
      '--param',
      'dept=Research',
      WRITERS,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const parsed = JSON.parse(ok.stdout) as { id: unknown; name: string; docs: unknown }[];
    const expected = await fixture.duckdb(WRITERS_SQL);
    assert.deepEqual(
      parsed.map((r) => [String(r.id), String(r.docs)]),
      expected.map((r) => [String(r.id), String(r.docs)]),
    );
    const bad = await run(['cypher', '--config', configFile, '--graph', 'shop', 'MATCH (c RETURN c']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^spoke: SYNTAX_ERROR: Cypher syntax error at position/m);
  });

  it('graphs: is checked against the catalog at start-up', async () => {
    const attempt = async (graphYaml: string) => {
      const config = parseConfig(yaml.replace(GRAPH_YAML, graphYaml), fixture.root, 'bad.yaml');
      try {
        const engine = await createGatewayEngine(config);
        await engine.close();
        return undefined;
      } catch (error) {
        assert.ok(SpokeError.isInstance(error), String(error));
        assert.equal(error.code, ErrorCode.INVALID_CONFIG);
        return error.message;
      }
    };
    const base = GRAPH_YAML;
    assert.match(
      (await attempt(
        base.replace(
          'source: customer_id, target: id, from: Customer, to: Sale',
          'source: buyer, target: id, from: Customer, to: Sale',
        ),
      )) ?? '',
      /graphs\.shop\.edges\.BOUGHT\.source: table "lake\.sales" has no column "buyer"/,
    );
    assert.match(
      (await attempt(
        base.replace(
          'WROTE: { table: docs.documents, source: customer_id',
          'WROTE: { table: docs.documents, source: title',
        ),
      )) ?? '',
      /graphs\.shop\.edges\.WROTE\.source: column "title" is Utf8 but the key of Customer .* is Int32/,
    );
    assert.match(
      (await attempt(base.replace('crm.customers', 'crm.clients'))) ?? '',
      /graphs\.shop\.vertices\.Customer\.table: table "crm\.clients" does not exist/,
    );
    assert.throws(
      () =>
        parseConfig(
          yaml.replace('from: Customer, to: Sale', 'from: Customer, to: Product'),
          fixture.root,
          'bad.yaml',
        ),
      /graphs\.shop\.edges\.BOUGHT\.to: no vertex label "Product"/,
    );
  });
});
