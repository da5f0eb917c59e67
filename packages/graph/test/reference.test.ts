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
import { compileCypher, type GraphDefinition } from '../src/index.js';
import { arrowRows, comparable, jsRows } from './results.js';
import { CORPUS, createTableSql, socialData, socialGraph } from './social-graph.js';

let dir: string;
let engine: FederatedEngine;
let reference: DuckDBInstance;
const graph: GraphDefinition = socialGraph({
  person: 'people.person',
  company: 'biz.company',
  knows: 'social.knows',
  works_at: 'social.works_at',
});

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
  });
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
    });
  }
});
