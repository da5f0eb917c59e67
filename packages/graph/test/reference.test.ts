/**
 * The corpus of social-graph queries, compiled and run by the planner over
 * three DuckDB sources (persons, companies, and edges each in their own
 * database file), against reference SQL written independently and run in a
 * plain DuckDB over the same rows. Both parameter styles are checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { collectBatches, createEngine, type FederatedEngine } from '@spoke/planner';
import {
  checkGraphAgainstCatalog,
  compileCypher,
  cypherCallParameters,
  type GraphDefinition,
  rewriteGraphTable,
} from '../src/index.js';
import { arrowRows, comparable, jsRows } from './results.js';
import { CORPUS, createTableSql, socialData, socialGraph } from './social-graph.js';

let dir: string;
let engine: FederatedEngine;
let reference: DuckDBInstance;
const tables = {
  person: 'people.person',
  company: 'biz.company',
  knows: 'social.knows',
  works_at: 'social.works_at',
};
/** The graph with each label's properties filled in from the catalog, as the gateway does at start-up. */
let graph: GraphDefinition = socialGraph(tables);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-graph-'));
  const ddl = createTableSql(socialData());
  for (const [file, tables] of [
    ['people', ['person']],
    ['biz', ['company']],
    ['social', ['knows', 'works_at']],
  ] as const) {
    const db = await DuckDBInstance.create(join(dir, `${file}.duckdb`));
    const c = await db.connect();
    for (const t of tables) await c.run(ddl[t]);
    if (file === 'social') {
      // Employment kept as a column of the vertex table (a foreign key), for edges stored on vertex rows.
      await c.run(ddl.person);
      await c.run(
        'CREATE TABLE worker AS SELECT p.*, w.company_id FROM person p JOIN works_at w ON w.person_id = p.id',
      );
      await c.run('DROP TABLE person');
      // KNOWS with an edge key, so variable-length paths take the keyed shape (one chain of hops).
      await c.run('CREATE TABLE knows_keyed AS SELECT row_number() OVER () AS id, * FROM knows');
    }
    c.closeSync();
    db.closeSync();
  }
  reference = await DuckDBInstance.create(':memory:');
  const rc = await reference.connect();
  for (const t of ['person', 'company', 'knows', 'works_at'] as const) await rc.run(ddl[t]);
  rc.closeSync();
  const source = (name: string) =>
    duckdbConnector.create({ path: join(dir, `${name}.duckdb`) }, { sourceName: name, baseDir: dir });
  engine = await createEngine({
    sources: { people: await source('people'), biz: await source('biz'), social: await source('social') },
    // As the gateway registers it: cypher('social', $$ … $$) and GRAPH_TABLE (social …) in SQL.
    tableFunctions: new Map([
      [
        'cypher',
        {
          rewrite: rewriteGraphTable,
          expand: ({ args }) =>
            compileCypher(String(args[1]), graph, {
              params: cypherCallParameters(args[2], args.slice(3)),
              paramStyle: 'inline',
            }),
        },
      ],
    ]),
  });
  const columns = new Map<string, { name: string; type: string }[]>();
  for (const table of Object.values(tables)) {
    const [source, name] = table.split('.') as [string, string];
    const resolved = await engine.registry.resolve(source, undefined, name);
    columns.set(
      table,
      resolved.arrowSchema.fields.map((f) => ({ name: f.name, type: String(f.type) })),
    );
  }
  graph = checkGraphAgainstCatalog('social', graph, (t) => columns.get(t));
  keyedGraph = {
    ...graph,
    edges: { ...graph.edges, KNOWS: { ...graph.edges.KNOWS!, table: 'social.knows_keyed', key: 'id' } },
  };
});

/** {@link graph} with KNOWS keyed (each edge has an id column). */
let keyedGraph: GraphDefinition;

after(async () => {
  await engine?.close();
  reference?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function expected(sql: string): Promise<string[]> {
  const c = await reference.connect();
  try {
    return jsRows((await c.runAndReadAll(sql)).getRowsJS() as unknown[][]);
  } finally {
    c.closeSync();
  }
}

describe('Cypher corpus against reference SQL (DuckDB sources)', () => {
  test('the corpus is large enough', () => assert.ok(CORPUS.length >= 40, `${CORPUS.length} queries`));
  for (const q of CORPUS) {
    test(q.name, async () => {
      const want = comparable(await expected(q.reference), q.ordered ?? false);
      assert.ok(want.length > 0, 'the reference answer is not empty (the data exercises the query)');
      for (const paramStyle of ['bound', 'inline'] as const) {
        const compiled = compileCypher(q.cypher, graph, { params: q.params ?? {}, paramStyle });
        const result = await engine.query(compiled.sql, { params: compiled.params as never });
        const got = comparable(arrowRows(await collectBatches(result)), q.ordered ?? false);
        assert.deepEqual(got, want, `${paramStyle}: ${q.cypher}\n${compiled.sql}`);
        assert.equal(result.schema.fields.length, compiled.columns.length);
      }
      if (!q.cypher.includes('*')) return;
      const keyed = compileCypher(q.cypher, keyedGraph, { params: q.params ?? {}, paramStyle: 'inline' });
      const got = comparable(
        arrowRows(await collectBatches(await engine.query(keyed.sql))),
        q.ordered ?? false,
      );
      assert.deepEqual(got, want, `keyed KNOWS: ${q.cypher}\n${keyed.sql}`);
    });
  }
});

const corpus = (name: string) => CORPUS.find((q) => q.name === name)!.reference;

describe('SQL/PGQ GRAPH_TABLE and cypher() inside SQL', () => {
  const cases: { name: string; sql: string; reference: string; ordered?: boolean }[] = [
    {
      name: 'one hop, IS labels, WHERE, COLUMNS',
      sql: `SELECT friend FROM GRAPH_TABLE (social MATCH (a IS Person)-[k IS KNOWS]->(b IS Person) WHERE a.id = 3
              COLUMNS (b.id AS friend)) AS g ORDER BY friend`,
      reference: 'SELECT dst FROM knows WHERE src = 3 ORDER BY dst',
      ordered: true,
    },
    {
      name: 'quantified edge {1,2} and a property named as SQL/PGQ names it',
      sql: `SELECT DISTINCT g.id FROM GRAPH_TABLE (social MATCH (a IS Person WHERE a.id = 1)-[IS KNOWS]->{1,2}(b IS Person)
              COLUMNS (b.id)) g`,
      reference: corpus('variable length 1..2'),
    },
    {
      name: 'ANY SHORTEST with path_length',
      sql: `SELECT id, d FROM GRAPH_TABLE (social MATCH p = ANY SHORTEST (a IS Person WHERE a.id = 1)-[IS KNOWS]->{1,6}(b IS Person)
              COLUMNS (b.id, path_length(p) AS d)) g`,
      reference: corpus('shortest paths from one vertex'),
    },
    {
      name: 'joined with an ordinary table, strings with quotes',
      sql: `SELECT c.name, count(*) AS n FROM GRAPH_TABLE (social MATCH (a IS Person)-[IS WORKS_AT]->(co IS Company)
              WHERE a.city <> 'it''s' COLUMNS (co.id AS cid)) g JOIN biz.company c ON c.id = g.cid GROUP BY c.name`,
      reference:
        'SELECT c.name, count(*) FROM works_at w JOIN company c ON c.id = w.company_id GROUP BY c.name',
    },
    {
      name: 'cypher() with a column definition list',
      sql: `SELECT * FROM cypher('social', $$ MATCH (a:Person)-[:KNOWS]->(b:Person) WHERE a.id < 10 RETURN a.id, b.id $$) AS t(x int, y bigint)`,
      reference: 'SELECT src, dst FROM knows WHERE src < 10',
    },
  ];
  test('statement parameters inside GRAPH_TABLE', async () => {
    const sql = `SELECT friend FROM GRAPH_TABLE (social MATCH (a IS Person)-[IS KNOWS]->(b IS Person)
      WHERE a.id = $1 AND b.age >= $2 COLUMNS (b.id AS friend)) g ORDER BY friend`;
    const got = arrowRows(await collectBatches(await engine.query(sql, { params: [3, 30] })));
    assert.deepEqual(
      got,
      await expected(
        'SELECT k.dst FROM knows k JOIN person b ON b.id = k.dst WHERE k.src = 3 AND b.age >= 30 ORDER BY 1',
      ),
    );
  });
  for (const c of cases)
    test(c.name, async () => {
      const want = comparable(await expected(c.reference), c.ordered ?? false);
      assert.ok(want.length > 0);
      const got = comparable(arrowRows(await collectBatches(await engine.query(c.sql))), c.ordered ?? false);
      assert.deepEqual(got, want, c.sql);
    });
  test("EXPLAIN of a graph query shows each source's part", async () => {
    const result = await engine.query(
      `EXPLAIN SELECT * FROM GRAPH_TABLE (social MATCH (a IS Person)-[IS WORKS_AT]->(c IS Company) WHERE a.name IS NOT NULL COLUMNS (a.name AS person, c.name))`,
    );
    const text = arrowRows(await collectBatches(result)).join('\n');
    assert.match(text, /people\.main\.person/);
    assert.match(text, /social\.main\.works_at/);
    assert.match(text, /biz\.main\.company/);
  });
  test('a vertex read only by its key is its edge column: its table is not scanned', async () => {
    const result = await engine.query(
      `EXPLAIN SELECT * FROM GRAPH_TABLE (social MATCH (a IS Person)-[IS WORKS_AT]->(c IS Company) WHERE a.id = 3 COLUMNS (c.id))`,
    );
    const text = arrowRows(await collectBatches(result)).join('\n');
    assert.doesNotMatch(text, /people\.main\.person|biz\.main\.company/);
    assert.match(text, /Filter \[exact\]: _e\d+\.person_id = 3/);
  });
  test('a GRAPH_TABLE without COLUMNS is a syntax error naming it', async () => {
    await assert.rejects(
      engine.query('SELECT * FROM GRAPH_TABLE (social MATCH (a IS Person)) g'),
      (e: Error & { details?: { sqlstate?: string } }) =>
        e.details?.sqlstate === '42601' && /COLUMNS/.test(e.message),
    );
  });
});

describe('edges kept as a column of a vertex table', () => {
  const fk: GraphDefinition = {
    vertices: { Worker: { table: 'social.worker', key: 'id' }, Company: { table: 'biz.company', key: 'id' } },
    edges: {
      EMPLOYED_BY: {
        table: 'social.worker',
        source: 'id',
        target: 'company_id',
        from: 'Worker',
        to: 'Company',
      },
    },
  };
  const cases: { cypher: string; reference: string }[] = [
    {
      cypher: 'MATCH (w:Worker)-[:EMPLOYED_BY]->(c:Company) RETURN c.name, count(*) AS n',
      reference:
        'SELECT c.name, count(*) FROM works_at w JOIN company c ON c.id = w.company_id GROUP BY c.name',
    },
    {
      cypher: 'MATCH (c:Company)<-[:EMPLOYED_BY]-(w:Worker) WHERE w.age > 30 RETURN w.id, c.id',
      reference:
        'SELECT p.id, w.company_id FROM works_at w JOIN person p ON p.id = w.person_id WHERE p.age > 30',
    },
    {
      cypher: "MATCH (c:Company {industry: 'tech'})-[:EMPLOYED_BY]-(w) RETURN w.name",
      reference:
        "SELECT p.name FROM works_at w JOIN person p ON p.id = w.person_id JOIN company c ON c.id = w.company_id WHERE c.industry = 'tech'",
    },
    {
      cypher:
        'MATCH (a:Worker)-[:EMPLOYED_BY]->(c:Company)<-[:EMPLOYED_BY]-(b:Worker) WHERE a.id < b.id RETURN count(*)',
      reference:
        'SELECT count(*) FROM works_at w1 JOIN works_at w2 ON w1.company_id = w2.company_id AND w1.person_id < w2.person_id',
    },
  ];
  for (const c of cases)
    test(c.cypher, async () => {
      const compiled = compileCypher(c.cypher, fk);
      assert.equal(
        (compiled.sql.match(/"social"\."worker"/g) ?? []).length,
        (c.cypher.match(/Worker|\(w\)/g) ?? []).length,
        compiled.sql,
      );
      const got = comparable(arrowRows(await collectBatches(await engine.query(compiled.sql))), false);
      assert.deepEqual(got, comparable(await expected(c.reference), false), compiled.sql);
    });
});

describe('nodes(p): the vertices along each path, in order', () => {
  const data = socialData();
  const edges = new Set(data.knows.map((k) => `${k.src}>${k.dst}`));
  const cases = [
    'MATCH p = (a:Person {id: 4})-[:KNOWS*1..3]->(b) RETURN a.id, b.id, length(p), nodes(p)',
    'MATCH p = (a:Person {id: 4})-[:KNOWS*1..5]->(b) RETURN a.id, b.id, length(p), nodes(p)',
    'MATCH p = (b)-[:KNOWS*1..3]->(a:Person {id: 9}) RETURN b.id, a.id, length(p), nodes(p)',
    'MATCH p = (b)-[:KNOWS*2..4]->(a:Person {id: 9}) RETURN b.id, a.id, length(p), nodes(p)',
    'MATCH p = (a:Person {id: 3})-[:KNOWS]->(m)-[:KNOWS*1..2]->(b) RETURN a.id, b.id, length(p), nodes(p)',
    'MATCH p = shortestPath((a:Person {id: 1})-[:KNOWS*..6]->(b:Person)) RETURN a.id, b.id, length(p), nodes(p)',
  ];
  for (const cypher of cases)
    test(cypher, async () => {
      const compiled = compileCypher(cypher, graph);
      const batches = await collectBatches(await engine.query(compiled.sql));
      // The keyed shape (one chain of hops) gives the same paths.
      const keyed = compileCypher(cypher, keyedGraph);
      assert.deepEqual(
        comparable(arrowRows(await collectBatches(await engine.query(keyed.sql))), false),
        comparable(arrowRows(batches), false),
        keyed.sql,
      );
      let rows = 0;
      for (const b of batches)
        for (let r = 0; r < b.numRows; r++) {
          rows++;
          const [from, to, length] = [0, 1, 2].map((c) => Number(b.getChildAt(c)!.get(r)));
          const list = Array.from(b.getChildAt(3)!.get(r) as Iterable<unknown>).map(Number);
          assert.equal(list.length, length! + 1, `${list}`);
          assert.equal(list[0], from);
          assert.equal(list[list.length - 1], to);
          for (let i = 0; i + 1 < list.length; i++)
            assert.ok(
              edges.has(`${list[i]}>${list[i + 1]}`),
              `${list[i]}>${list[i + 1]} is not an edge (${list})`,
            );
          // No edge twice (TRAIL), no vertex twice on a shortest path.
          const steps = list.slice(1).map((n, i) => `${list[i]}>${n}`);
          assert.equal(new Set(steps).size, steps.length, `${list}`);
          if (cypher.includes('shortestPath')) assert.equal(new Set(list).size, list.length);
        }
      assert.ok(rows > 0);
    });
});
