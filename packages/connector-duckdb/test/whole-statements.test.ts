/**
 * Whole statements sent to the DuckDB source (`connector.sql`): what runs in
 * place answers as a plain DuckDB with PostgreSQL's semantics does (recursive
 * CTEs, set operations, NULL order), and what would answer differently from
 * the planner's residual is declined with UNSUPPORTED, so the planner runs it
 * federated.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, type RecordBatch, type SelectTree, SpokeError } from '@spoke/core';
import { loadModule, parseSync } from 'libpg-query';
import { createDuckDBConnector, type DuckDBConnector } from '../src/index.js';
import { tempDir } from './fixtures.js';

const DDL = [
  `CREATE TABLE edges AS SELECT i AS id, CAST(i % 7 AS BIGINT) AS src, CAST((i * 3) % 7 AS BIGINT) AS dst FROM range(1, 30) t(i)`,
  `CREATE TABLE vals AS SELECT * FROM (VALUES (1, 'a'), (2, NULL), (3, 'c'), (NULL, 'd')) t(n, s)`,
  `CREATE TABLE ids AS SELECT uuid() AS u, 1 AS n`,
  `CREATE TABLE words AS SELECT * FROM (VALUES ('a_b'), ('abc'), ('A_B'), ('a%b'), (NULL)) t(w)`,
];

let dir: { dir: string; remove: () => Promise<void> };
let connector: DuckDBConnector;
let reference: DuckDBInstance;

before(async () => {
  await loadModule();
  dir = tempDir();
  const db = await DuckDBInstance.create(`${dir.dir}/w.duckdb`);
  const c = await db.connect();
  for (const sql of DDL) await c.run(sql);
  await c.run(`COPY (SELECT * FROM vals) TO '${dir.dir}/vals.parquet' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
  connector = await createDuckDBConnector(
    { path: 'w.duckdb', files: { vals_file: 'vals.parquet' }, wholeStatements: true },
    { sourceName: 'w', baseDir: dir.dir },
  );
  // As the planner does before it plans: the tables are looked up (and described).
  for (const t of ['edges', 'vals', 'ids', 'vals_file', 'words']) await connector.catalog.getTable('main', t);
  reference = await DuckDBInstance.create(':memory:');
  const r = await reference.connect();
  for (const sql of DDL.slice(0, 2)) await r.run(sql);
  await r.run('SET integer_division = true');
  r.closeSync();
});

after(async () => {
  await connector?.close();
  reference?.closeSync();
  await dir?.remove();
});

function tree(sql: string): SelectTree {
  return (parseSync(sql) as { stmts: { stmt: SelectTree }[] }).stmts[0]!.stmt;
}

async function runInSource(sql: string): Promise<{ rows: unknown[][]; batches: RecordBatch[] }> {
  const rendered = connector.sql!.dialect.renderSelect(tree(sql));
  const batches: RecordBatch[] = [];
  const signal = new AbortController().signal;
  for await (const b of connector.sql!.execute(rendered, { signal, context: { queryId: 't', roles: [] } }))
    batches.push(b);
  const rows = batches.flatMap((b) => b.toArray().map((r) => Object.values(r.toJSON())));
  return { rows, batches };
}

async function runReference(sql: string): Promise<unknown[][]> {
  const c = await reference.connect();
  try {
    // The reference names tables without a schema; PostgreSQL's NULL order written out.
    return (await c.runAndReadAll(sql.replaceAll('main.', ''))).getRowsJS() as unknown[][];
  } finally {
    c.closeSync();
  }
}

const norm = (rows: unknown[][]) => JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));

describe('whole statements in the DuckDB source', () => {
  test('a recursive CTE (walks with a trail) and UNION ALL run in place, as DuckDB answers them', async () => {
    const sql = `WITH RECURSIVE w(node, depth, trail) AS (
        SELECT dst, 1, ARRAY[id] FROM main.edges WHERE src = 1
        UNION ALL
        SELECT e.dst, w.depth + 1, array_append(w.trail, e.id) FROM w JOIN main.edges e ON e.src = w.node
        WHERE w.depth < 4 AND array_position(w.trail, e.id) IS NULL)
      SELECT depth, count(*) AS n, count(DISTINCT node) AS d FROM w GROUP BY depth
      UNION ALL SELECT 0, count(*), 0 FROM main.edges ORDER BY 1`;
    const { rows } = await runInSource(sql);
    assert.ok(rows.length >= 4, norm(rows));
    assert.equal(norm(rows), norm(await runReference(sql)));
  });

  test("NULLs sort as in PostgreSQL (last ascending, first descending), not DuckDB's default", async () => {
    const { rows } = await runInSource('SELECT n FROM main.vals ORDER BY n');
    assert.deepEqual(
      rows.map((r) => r[0]),
      [1, 2, 3, null],
    );
    const desc = await runInSource('SELECT s FROM main.vals ORDER BY s DESC');
    assert.deepEqual(
      desc.rows.map((r) => r[0]),
      [null, 'd', 'c', 'a'],
    );
  });

  test("LIKE and ILIKE escape with a backslash, as in PostgreSQL (DuckDB's own LIKE has no escape)", async () => {
    const words = async (where: string) =>
      (await runInSource(`SELECT w FROM main.words WHERE ${where} ORDER BY w`)).rows.map((r) => r[0]);
    assert.deepEqual(await words(String.raw`w LIKE 'a\_%'`), ['a_b']);
    assert.deepEqual(await words(String.raw`w ILIKE 'a\_%'`), ['A_B', 'a_b']);
    assert.deepEqual(await words(String.raw`w NOT LIKE 'a\%b'`), ['A_B', 'a_b', 'abc']);
    assert.deepEqual(await words(String.raw`w NOT ILIKE 'A%'`), []);
  });

  test('an empty answer is one empty batch carrying the columns', async () => {
    const { rows, batches } = await runInSource('SELECT id, src FROM main.edges WHERE id < 0');
    assert.equal(rows.length, 0);
    assert.equal(batches.length, 1);
    assert.deepEqual(
      batches[0]!.schema.fields.map((f) => f.name),
      ['id', 'src'],
    );
  });

  const declined = async (sql: string, pattern: RegExp) =>
    assert.throws(
      () => connector.sql!.dialect.renderSelect(tree(sql)),
      (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.UNSUPPORTED && pattern.test(e.message),
    );

  test('division is declined (PostgreSQL raises 22012 on a zero divisor; the residual guards it)', async () => {
    await declined('SELECT id / src FROM main.edges', /division/);
    await declined('SELECT id % 2 FROM main.edges', /division/);
    await declined("SELECT 1 FROM main.words WHERE w ~~ 'a%'", /operator ~~/);
  });

  test('tables a scan changes on the way are declined: UUID columns, files, unknown names', async () => {
    await declined('SELECT n FROM main.ids', /main\.ids/);
    await declined('SELECT n FROM main.vals_file', /main\.vals_file/);
    await declined('SELECT 1 FROM main.nowhere', /main\.nowhere/);
    await declined('SELECT 1 FROM somewhere', /somewhere/);
  });

  test("casts to bytea are declined (PostgreSQL reads '\\x00ff' as hex, DuckDB as characters)", async () => {
    await declined(
      String.raw`SELECT 1 FROM main.edges WHERE CAST(id AS TEXT)::bytea = '\x00ff'::bytea`,
      /bytea/,
    );
  });

  test('the smallest integer constants are declined (DuckDB folds them wrongly)', async () => {
    await declined('SELECT id FROM main.edges WHERE id * -1 >= -2147483648', /smallest integer/);
  });

  test('without wholeStatements (the default) the source only scans', async () => {
    const scansOnly = await createDuckDBConnector(
      { path: 'w.duckdb' },
      { sourceName: 'w2', baseDir: dir.dir },
    );
    try {
      assert.equal(scansOnly.sql, undefined);
    } finally {
      await scansOnly.close();
    }
  });

  test('connections are reused only after a clean end: a failed or abandoned statement leaves none broken', async () => {
    await assert.rejects(runInSource("SELECT CAST('x' AS INTEGER) FROM main.edges"));
    // A long answer left after its first batch, then one stopped by its signal.
    const long = connector.sql!.dialect.renderSelect(
      tree('SELECT a.id FROM main.edges a, main.edges b, main.edges c, main.edges d'),
    );
    const context = { queryId: 't', roles: [] };
    for await (const _ of connector.sql!.execute(long, { signal: new AbortController().signal, context }))
      break;
    const stop = new AbortController();
    await assert.rejects(async () => {
      for await (const _ of connector.sql!.execute(long, { signal: stop.signal, context })) stop.abort();
    });
    for (let i = 0; i < 6; i++) {
      const { rows } = await runInSource('SELECT count(*) FROM main.edges');
      assert.equal(Number(rows[0]![0]), 29);
    }
    assert.equal((await connector.catalog.getTable('main', 'edges')) !== undefined, true);
  });

  test('a DuckDB error names the source', async () => {
    await assert.rejects(runInSource("SELECT CAST('x' AS INTEGER) FROM main.edges"), (e: unknown) => {
      return SpokeError.isInstance(e) && e.code === ErrorCode.SOURCE_ERROR && e.source === 'w';
    });
  });
});
