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
import { checkGraphAgainstCatalog, compileCypher, type GraphDefinition } from '../src/index.js';
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
  engine = await createEngine({
    sources: {
      g: await duckdbConnector.create({ path: join(dir, 'g.duckdb') }, { sourceName: 'g', baseDir: dir }),
    },
  });
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
