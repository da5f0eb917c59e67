/**
 * The corpus over a graph whose tables all sit in ONE DuckDB source: the
 * planner sends each compiled statement whole to that source (recursive CTEs
 * included), and both shapes of variable-length relationships — `auto`
 * (chains of joins) and `recursive` — must answer as the reference SQL run
 * in a plain DuckDB over the same rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { collectBatches, createEngine, type FederatedEngine, formatExplain } from '@spoke/planner';
import {
  checkGraphAgainstCatalog,
  compileCypher,
  type GraphDefinition,
  graphSource,
  variableLengthFor,
} from '../src/index.js';
import { arrowRows, comparable, jsRows } from './results.js';
import { CORPUS, createTableSql, socialData, socialGraph } from './social-graph.js';

let dir: string;
let engine: FederatedEngine;
let reference: DuckDBInstance;
const tables = { person: 'g.person', company: 'g.company', knows: 'g.knows', works_at: 'g.works_at' };
let graph: GraphDefinition = socialGraph(tables);
let keyedGraph: GraphDefinition;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-graph-one-'));
  const ddl = createTableSql(socialData());
  const db = await DuckDBInstance.create(join(dir, 'g.duckdb'));
  const c = await db.connect();
  for (const t of ['person', 'company', 'knows', 'works_at'] as const) await c.run(ddl[t]);
  await c.run('CREATE TABLE knows_keyed AS SELECT row_number() OVER () AS id, * FROM knows');
  c.closeSync();
  db.closeSync();
  reference = await DuckDBInstance.create(':memory:');
  const rc = await reference.connect();
  for (const t of ['person', 'company', 'knows', 'works_at'] as const) await rc.run(ddl[t]);
  rc.closeSync();
  const other = await DuckDBInstance.create(join(dir, 'other.duckdb'));
  const oc = await other.connect();
  await oc.run(
    `CREATE TABLE labels AS SELECT CAST(i AS BIGINT) AS id, 'label ' || i AS label FROM range(0, 500) t(i)`,
  );
  oc.closeSync();
  other.closeSync();
  const open = (name: string) =>
    duckdbConnector.create(
      { path: join(dir, `${name}.duckdb`), wholeStatements: true },
      { sourceName: name, baseDir: dir },
    );
  engine = await createEngine({ sources: { g: await open('g'), other: await open('other') } });
  const columns = new Map<string, { name: string; type: string }[]>();
  for (const table of Object.values(tables)) {
    const resolved = await engine.registry.resolve('g', undefined, table.slice(2));
    columns.set(
      table,
      resolved.arrowSchema.fields.map((f) => ({ name: f.name, type: String(f.type) })),
    );
  }
  graph = checkGraphAgainstCatalog('social', graph, (t) => columns.get(t));
  keyedGraph = {
    ...graph,
    edges: { ...graph.edges, KNOWS: { ...graph.edges.KNOWS!, table: 'g.knows_keyed', key: 'id' } },
  };
});

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

describe('Cypher corpus, every table in one DuckDB source', () => {
  const pushed = new Set<string>();
  for (const q of CORPUS) {
    test(q.name, async () => {
      const want = comparable(await expected(q.reference), q.ordered ?? false);
      const shapes = q.cypher.includes('*') ? (['auto', 'recursive'] as const) : (['auto'] as const);
      for (const g of q.cypher.includes('*') ? [graph, keyedGraph] : [graph])
        for (const variableLength of shapes) {
          const compiled = compileCypher(q.cypher, g, { params: q.params ?? {}, variableLength });
          const params = { params: compiled.params as never };
          const result = await engine.query(compiled.sql, params);
          const got = comparable(arrowRows(await collectBatches(result)), q.ordered ?? false);
          const what = `${variableLength}${g === keyedGraph ? ', keyed' : ''}: ${q.cypher}\n${compiled.sql}`;
          assert.deepEqual(got, want, what);
          const plan = formatExplain(await engine.explain(compiled.sql, params)).join('\n');
          if (plan.includes('whole query pushed down')) pushed.add(q.name);
          // Variable-length paths over one source are one statement there (a recursive CTE runs in place).
          if (variableLength === 'recursive') assert.match(plan, /whole query pushed down/, what);
        }
    });
  }
  test('most of the corpus runs whole in the source', () =>
    assert.ok(
      pushed.size >= CORPUS.length * 0.9,
      `${pushed.size} of ${CORPUS.length}: not ${CORPUS.filter((q) => !pushed.has(q.name)).map((q) => q.name)}`,
    ));
});

describe('a graph query joined with a table of another source', () => {
  test("its recursion goes to the graph's source as one sub-query, with its own CTEs", async () => {
    const inner = compileCypher(
      'MATCH (a:Person {id: 1})-[:KNOWS*1..3]->(b) RETURN DISTINCT b.id AS id',
      graph,
      { variableLength: 'recursive', paramStyle: 'inline' },
    ).sql;
    const sql = `SELECT o.label FROM (${inner}) AS r JOIN other.labels o ON o.id = r.id`;
    // Within 3 hops, walks and trails reach the same vertices (repeating an edge returns to one reached before).
    const reached = await expected(`WITH RECURSIVE t(node, depth) AS (
        SELECT dst, 1 FROM knows WHERE src = 1
        UNION ALL SELECT k.dst, t.depth + 1 FROM t JOIN knows k ON k.src = t.node WHERE t.depth < 3)
      SELECT DISTINCT 'label ' || node FROM t`);
    assert.ok(reached.length > 3, `${reached}`);
    const got = comparable(arrowRows(await collectBatches(await engine.query(sql))), false);
    assert.deepEqual(got, comparable(reached, false));
    const plan = formatExplain(await engine.explain(sql)).join('\n');
    assert.match(plan, /Source g: sub-query pushed down/);
    assert.match(plan, /SQL: WITH RECURSIVE/);
    assert.doesNotMatch(plan, /Scan g\./, 'no edge or vertex table of g is scanned');
  });
});

describe('variableLengthFor: the shape from where the tables live', () => {
  const caps = (source: string) => engine.registry.sources.get(source)?.sql?.dialect.capabilities;
  test('every table in one DuckDB source: recursive, and compileCypher takes it from the graph', () => {
    assert.equal(graphSource(graph), 'g');
    assert.equal(variableLengthFor(graph, caps), 'recursive');
    const sql = (g: GraphDefinition) =>
      compileCypher('MATCH (a:Person {id: 1})-[:KNOWS*1..2]->(b) RETURN count(DISTINCT b)', g).sql;
    assert.match(sql({ ...keyedGraph, variableLength: 'recursive' }), /WITH RECURSIVE/);
    assert.doesNotMatch(sql(keyedGraph), /WITH RECURSIVE/);
  });
  test('tables in several sources, or a source without recursive CTEs: auto', () => {
    const spread = socialGraph({ ...tables, company: 'lake.company' });
    assert.equal(graphSource(spread), undefined);
    assert.equal(variableLengthFor(spread, caps), 'auto');
    assert.equal(
      variableLengthFor(graph, () => undefined),
      'auto',
    );
  });
});
