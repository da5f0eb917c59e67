/**
 * Lance through the planner: vector top-k (`<->`, `<=>`) pushed to Lance as
 * an ordered, limited scan; full-text `@@`; time travel with
 * `source.table(version => N)`; and the design's hybrid query — documents
 * joined to their authors in another source, filtered, ordered by vector
 * distance. Answers equal DuckDB's brute force over the same rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { type LanceConnector, connector as lanceConnector } from '@spoke/connector-lance';
import type { RecordBatch, SpokeError } from '@spoke/core';
import {
  collectBatches,
  createEngine,
  createSecurityPolicy,
  type FederatedEngine,
  streamResultAsArrow,
} from '@spoke/planner';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB } from '@spoke/testing';

const DOCS = `SELECT i AS id, (i % 20) + 1 AS author_id,
  CASE i % 4 WHEN 0 THEN 'machine learning for lakehouses' WHEN 1 THEN 'Learning SQL: the machine way'
    WHEN 2 THEN 'vector search with Lance' ELSE 'federated queries, machine-learned' END AS body,
  CAST([sin(i * 0.1), cos(i * 0.3), sin(i * 0.7), cos(i * 1.1), sin(i * 1.3), cos(i * 1.7), sin(i * 0.5), cos(i * 0.9)] AS FLOAT[8]) AS embedding
  FROM range(1, 401) t(i)`;
const AUTHORS = `SELECT i AS id, 'author ' || i AS name, i % 2 = 0 AS active FROM range(1, 21) t(i)`;
const QUERY = '[0.1, 0.9, -0.2, 0.4, 0.0, 0.3, 0.5, -0.1]';

let dir: string;
let engine: FederatedEngine;
let lance: LanceConnector;
let ref: Awaited<ReturnType<typeof DuckDBInstance.create>>;
let rc: Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>['connect']>>;

async function reference(sql: string) {
  const result = await rc.run(sql);
  const chunks = await result.fetchAllChunks();
  return canonicalRowsFromDuckDB(
    chunks,
    result.columnTypes().map((t) => /INT/.test(String(t))),
  ) as unknown[][];
}

async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

async function rows(sql: string, params: unknown[] = []) {
  return canonicalRowsFromBatches(
    await collectBatches(await engine.query(sql, { params: params as never })),
  ) as unknown[][];
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-lance-it-'));
  ref = await DuckDBInstance.create(':memory:');
  rc = await ref.connect();
  await rc.run(`CREATE TABLE docs AS ${DOCS}`);
  await rc.run(`ATTACH '${join(dir, 'people.duckdb')}' AS people`);
  await rc.run(`CREATE TABLE people.authors AS ${AUTHORS}`);
  await rc.run('DETACH people');
  lance = (await lanceConnector.create(
    { uri: join(dir, 'lance') },
    { sourceName: 'lance', baseDir: dir },
  )) as LanceConnector;
  const result = await rc.stream('SELECT * FROM docs');
  const batches: RecordBatch[] = [];
  for await (const b of streamResultAsArrow(result)) batches.push(b);
  await lance.createTableFrom('docs', batches[0]!.schema, batches);
  engine = await createEngine({
    sources: {
      lance,
      people: await duckdbConnector.create(
        { path: join(dir, 'people.duckdb') },
        { sourceName: 'people', baseDir: dir },
      ),
    },
  });
  await rc.run(`ATTACH '${join(dir, 'people.duckdb')}' AS people (READ_ONLY)`);
});

after(async () => {
  await engine?.close();
  rc?.closeSync();
  ref?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Lance through the planner', () => {
  test('ORDER BY embedding <-> $1 LIMIT k is pushed to Lance and equals brute force', async () => {
    const sql = 'SELECT id FROM lance.docs ORDER BY embedding <-> $1 LIMIT 10';
    const plan = await engine.explain(sql, { params: [QUERY] });
    assert.equal(plan.sources[0]!.limit, 10);
    assert.match(plan.sources[0]!.orderBy ?? '', /l2_distance/);
    const expected = await reference(
      `SELECT id FROM docs ORDER BY array_distance(embedding, CAST(${QUERY} AS FLOAT[8])) LIMIT 10`,
    );
    assert.deepEqual(await rows(sql, [QUERY]), expected);
  });

  test('the distance itself, by alias, and cosine distance', async () => {
    const got = await rows(`SELECT id, embedding <=> '${QUERY}' AS d FROM lance.docs ORDER BY d LIMIT 5`);
    const expected = await reference(
      `SELECT id, array_cosine_distance(embedding, CAST(${QUERY} AS FLOAT[8])) AS d FROM docs ORDER BY d LIMIT 5`,
    );
    assert.deepEqual(
      got.map((r) => r[0]),
      expected.map((r) => r[0]),
    );
    got.forEach((r, i) => assert.ok(Math.abs(Number(r[1]) - Number(expected[i]![1])) < 1e-5));
  });

  test('full-text @@ matches whole words, ignoring case', async () => {
    const got = await rows("SELECT id FROM lance.docs WHERE body @@ 'Machine learning' ORDER BY id");
    const expected = await reference(
      `SELECT id FROM docs WHERE regexp_matches(body, '(^|[^\\p{L}\\p{N}])machine([^\\p{L}\\p{N}]|$)', 'i')
         AND regexp_matches(body, '(^|[^\\p{L}\\p{N}])learning([^\\p{L}\\p{N}]|$)', 'i') ORDER BY id`,
    );
    assert.ok(expected.length > 0);
    assert.deepEqual(got, expected);
    // Evaluated by DuckDB (joined with another source), the rule is the same.
    const joined = await rows(`SELECT d.id FROM lance.docs d JOIN people.authors a ON a.id = d.author_id
      WHERE d.body @@ 'Machine learning' OR a.name = 'nobody' ORDER BY d.id`);
    assert.deepEqual(joined, expected);
  });

  test('time travel: source.table(version => N) reads a past version', async () => {
    const table = (await lance.openTable('docs'))!;
    const before = (await table.listVersions()).length;
    const more = await rc.stream(
      `SELECT id + 1000 AS id, author_id, body, embedding FROM docs WHERE id <= 3`,
    );
    const batches: RecordBatch[] = [];
    for await (const b of streamResultAsArrow(more)) batches.push(b);
    await table.append(batches);
    const latest = await rows('SELECT count(*) FROM lance.docs');
    const past = await rows(`SELECT count(*) FROM lance.docs(version => ${before})`);
    assert.deepEqual(latest, [[403n]]);
    assert.deepEqual(past, [[400n]]);
    await assert.rejects(engine.query('SELECT * FROM lance.docs(version => 0)'), /positive integer/);
  });

  test("the design's hybrid query: documents joined to authors, filtered, ordered by distance, limit 20", async () => {
    const sql = `SELECT d.id, a.name FROM lance.docs d JOIN people.authors a ON a.id = d.author_id
      WHERE a.active AND d.id <= 400 ORDER BY d.embedding <-> '${QUERY}', d.id LIMIT 20`;
    const expected =
      await reference(`SELECT d.id, a.name FROM docs d JOIN people.authors a ON a.id = d.author_id
      WHERE a.active ORDER BY array_distance(d.embedding, CAST(${QUERY} AS FLOAT[8])), d.id LIMIT 20`);
    assert.deepEqual(await rows(sql), expected);
  });

  test('writes: CREATE TABLE AS, INSERT … SELECT from another source, DELETE, CREATE INDEX, VACUUM', async () => {
    const ctas = await engine.query(
      'CREATE TABLE lance.notes AS SELECT id, name AS body FROM people.authors',
    );
    await collectBatches(ctas);
    assert.equal(ctas.rowsAffected?.(), 20);
    const insert = await engine.query(
      'INSERT INTO lance.notes SELECT id + 100, name FROM people.authors WHERE active',
    );
    await collectBatches(insert);
    assert.equal(insert.rowsAffected?.(), 10);
    assert.deepEqual(await rows('SELECT count(*) FROM lance.notes'), [[30n]]);
    const versionsBeforeDelete = (await (await lance.openTable('notes'))!.listVersions()).length;
    const del = await engine.query('DELETE FROM lance.notes WHERE id > $1', { params: [100] });
    await collectBatches(del);
    assert.equal(del.rowsAffected?.(), 10);
    assert.deepEqual(await rows('SELECT count(*) FROM lance.notes'), [[20n]]);
    // Readers of the version before the delete still see every row.
    assert.deepEqual(await rows(`SELECT count(*) FROM lance.notes(version => ${versionsBeforeDelete})`), [
      [30n],
    ]);
    const index = await rows('CREATE INDEX body_idx ON lance.docs USING fts (body)');
    assert.match(String(index[0]![0]), /body_idx/);
    assert.deepEqual(
      await rows("SELECT id FROM lance.docs WHERE body @@ 'vector' ORDER BY id LIMIT 3"),
      await reference(
        "SELECT id FROM docs WHERE regexp_matches(body, '(^|[^\\p{L}\\p{N}])vector([^\\p{L}\\p{N}]|$)', 'i') ORDER BY id LIMIT 3",
      ),
    );
    const vacuum = await rows('VACUUM lance.notes');
    assert.match(String(vacuum[0]![0]), /compacted \d+ fragments/);
    assert.deepEqual(await rows('SELECT count(*) FROM lance.notes'), [[20n]]);
    await assert.rejects(engine.query('DELETE FROM people.authors WHERE id = 1'), /does not support DELETE/);
    await assert.rejects(engine.query('INSERT INTO lance.notes (nope) SELECT 1'), /column "nope"/);
  });

  test('INSERT … VALUES: integer literals go into BIGINT columns; values a column cannot hold are refused', async () => {
    await collectBatches(
      await engine.query(
        'CREATE TABLE lance.wide AS SELECT CAST(id AS BIGINT) AS id, CAST(id AS INTEGER) AS small FROM people.authors',
      ),
    );
    await collectBatches(
      await engine.query('INSERT INTO lance.wide VALUES (100, 1), (9007199254740993, -2)'),
    );
    assert.deepEqual(await rows('SELECT id, small FROM lance.wide WHERE id >= 100 ORDER BY id'), [
      [100n, 1n],
      [9007199254740993n, -2n],
    ]);
    // Parameters a driver sends untyped (node-postgres: text) are read as PostgreSQL reads integer input.
    await collectBatches(
      await engine.query('INSERT INTO lance.wide VALUES ($1, $2)', { params: ['102', ' -7 '] }),
    );
    assert.deepEqual(await rows('SELECT small FROM lance.wide WHERE id = 102'), [[-7n]]);
    await assert.rejects(
      engine.query('INSERT INTO lance.wide VALUES ($1, 1)', { params: ['1.5x'] }),
      (e: SpokeError) =>
        e.details?.sqlstate === '22P02' && /invalid input syntax for type bigint/.test(e.message),
    );
    await assert.rejects(
      engine.query('INSERT INTO lance.wide VALUES (1, 9007199254740993)'),
      (e: SpokeError) => e.details?.sqlstate === '22003' && /out of range for column "small"/.test(e.message),
    );
  });

  test("hybrid search: ORDER BY rrf(vector distance, text match) DESC LIMIT k is Lance's reciprocal rank fusion", async () => {
    // The full-text index on docs.body comes from the writes test above.
    const sql = `SELECT id, body FROM lance.docs ORDER BY rrf(embedding <-> '${QUERY}', body @@ 'vector search') DESC LIMIT 6`;
    const plan = await engine.explain(sql);
    assert.equal(plan.sources[0]!.limit, 6);
    assert.match(plan.sources[0]!.orderBy ?? '', /reciprocal_rank_fusion/);
    const got = await rows(sql);
    // The same search asked of the connector directly, in the same order.
    const table = (await lance.openTable('docs'))!;
    const direct = canonicalRowsFromBatches(
      await collect(
        table.scan({
          projection: ['id', 'body'],
          filters: [],
          limit: 6,
          signal: new AbortController().signal,
          context: { queryId: 'hybrid', roles: [] },
          lance: {
            hybrid: {
              vector: { column: 'embedding', vector: JSON.parse(QUERY) as number[] },
              text: { column: 'body', query: 'vector search' },
            },
          },
        } as never),
      ),
    );
    assert.equal(got.length, 6);
    assert.deepEqual(got, direct);
    // Where it cannot be pushed, a clear refusal rather than a made-up ranking.
    await assert.rejects(
      engine.query(
        `SELECT d.id FROM lance.docs d JOIN people.authors a ON a.id = d.author_id ORDER BY rrf(d.embedding <-> '${QUERY}', d.body @@ 'vector') DESC LIMIT 3`,
      ),
      /rrf\(vector distance/,
    );
  });

  test('write rules: read_only refuses writes, never_upload keeps rows in their source', async () => {
    const policy = await createSecurityPolicy([
      { name: 'frozen_notes', on: 'lance.notes', rule: 'read_only', roles: ['*'] },
      { name: 'authors_stay_home', on: 'people.authors', rule: 'never_upload', roles: ['*'] },
    ]);
    const guarded = await createEngine({
      sources: {
        lance,
        people: await duckdbConnector.create(
          { path: join(dir, 'people.duckdb') },
          { sourceName: 'people', baseDir: dir },
        ),
      },
      policy,
    });
    try {
      await assert.rejects(guarded.query('DELETE FROM lance.notes WHERE id = 1'), /read-only.*frozen_notes/);
      await assert.rejects(
        guarded.query('INSERT INTO lance.docs (id, body) SELECT id, name FROM people.authors'),
        /authors_stay_home/,
      );
      // Reading is still allowed.
      const result = await guarded.query('SELECT count(*) FROM lance.notes');
      assert.equal(canonicalRowsFromBatches(await collectBatches(result)).length, 1);
    } finally {
      await guarded.close().catch(() => {});
    }
  });
});
