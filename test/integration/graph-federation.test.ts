/**
 * Cypher over a graph whose tables live in three systems: persons and
 * WORKS_AT edges in PostgreSQL, KNOWS edges in Lance, companies in Parquet.
 * Every query of @spoke/graph's social-graph corpus is compiled, planned and
 * run across the three, and compared with reference SQL written
 * independently and run by DuckDB over the same rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { type LanceConnector, connector as lanceConnector } from '@spoke/connector-lance';
import { createParquetConnector } from '@spoke/connector-parquet';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import type { RecordBatch } from '@spoke/core';
import { checkGraphAgainstCatalog, compileCypher, type GraphDefinition } from '@spoke/graph';
import { collectBatches, createEngine, type FederatedEngine, streamResultAsArrow } from '@spoke/planner';
import { arrowRows, comparable, jsRows } from '../../packages/graph/test/results.js';
import { CORPUS, createTableSql, socialData, socialGraph } from '../../packages/graph/test/social-graph.js';
import { type PostgresServer, startPostgres } from '../harness/index.js';

let dir: string;
let pg: PostgresServer;
let engine: FederatedEngine;
let reference: DuckDBInstance;
let graph: GraphDefinition;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-graph-it-'));
  pg = await startPostgres();
  const ddl = createTableSql(socialData());
  pg.psql(ddl.person);
  pg.psql(ddl.works_at);
  reference = await DuckDBInstance.create(':memory:');
  const rc = await reference.connect();
  for (const t of ['person', 'company', 'knows', 'works_at'] as const) await rc.run(ddl[t]);
  await rc.run(`COPY company TO '${join(dir, 'company.parquet')}' (FORMAT parquet)`);
  const context = (sourceName: string) => ({ sourceName, baseDir: dir });
  const lance = (await lanceConnector.create(
    { uri: join(dir, 'lance') },
    context('lance'),
  )) as LanceConnector;
  const batches: RecordBatch[] = [];
  for await (const b of streamResultAsArrow(await rc.stream('SELECT * FROM knows'))) batches.push(b);
  await lance.createTableFrom('knows', batches[0]!.schema, batches);
  rc.closeSync();
  engine = await createEngine({
    sources: {
      pg: await postgresConnector.create({ url: pg.url }, context('pg')),
      lance,
      lake: await createParquetConnector(
        { url: `file://${dir}/`, tables: { company: 'company.parquet' } },
        context('lake'),
      ),
    },
  });
  // As the gateway does at start-up: the tables exist, ends have their key's type, properties come from the columns.
  const tables = {
    person: 'pg.person',
    company: 'lake.company',
    knows: 'lance.knows',
    works_at: 'pg.works_at',
  };
  const columns = new Map<string, { name: string; type: string }[]>();
  for (const table of Object.values(tables)) {
    const [source, name] = table.split('.') as [string, string];
    const resolved = await engine.registry.resolve(source, undefined, name);
    columns.set(
      table,
      resolved.arrowSchema.fields.map((f) => ({ name: f.name, type: String(f.type) })),
    );
  }
  graph = checkGraphAgainstCatalog('social', socialGraph(tables), (t) => columns.get(t));
});

after(async () => {
  await engine?.close();
  reference?.closeSync();
  await pg?.close();
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

describe('Cypher across PostgreSQL, Lance and Parquet', () => {
  for (const q of CORPUS) {
    test(q.name, async () => {
      const want = comparable(await expected(q.reference), q.ordered ?? false);
      const compiled = compileCypher(q.cypher, graph, { params: q.params ?? {} });
      const result = await engine.query(compiled.sql, { params: compiled.params as never });
      const got = comparable(arrowRows(await collectBatches(result)), q.ordered ?? false);
      assert.deepEqual(got, want, `${q.cypher}\n${compiled.sql}`);
    });
  }

  test('the plan reads each table from its own system', async () => {
    const compiled = compileCypher(
      'MATCH (a:Person)-[:KNOWS]->(b:Person)-[:WORKS_AT]->(c:Company) RETURN a.name, c.name',
      graph,
    );
    const plan = await engine.explain(compiled.sql);
    const sources = new Set(plan.sources.map((s) => s.source));
    assert.deepEqual([...sources].sort(), ['lake', 'lance', 'pg']);
  });
});
