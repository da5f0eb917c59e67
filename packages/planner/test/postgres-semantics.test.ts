/**
 * PostgreSQL's semantics on every path (issue 14, item 3): result column
 * names, division by zero, unbound parameters, NULL ordering and PostgreSQL's
 * SQLSTATE and words for DuckDB's errors — over a federated join (the DuckDB
 * residual), one source, and statements without FROM (the system catalog).
 * The same statements against a real PostgreSQL 15 are in test/postgres-corpus.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { SpokeError } from '@spoke/core';
import { translateDuckDBError } from '../src/executor/duckdb-errors.js';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';
import { createFixtures, type Fixtures } from './support/fixtures.js';

let fx: Fixtures;
let engine: FederatedEngine;

before(async () => {
  fx = await createFixtures();
  const open = async (name: string, path: string) =>
    duckdb.create({ path }, { sourceName: name, baseDir: fx.dir });
  engine = await createEngine({
    sources: { crm: await open('crm', fx.crmPath), shop: await open('shop', fx.shopPath) },
  });
});

after(async () => {
  await engine?.close();
  fx?.close();
});

async function columns(sql: string, params?: unknown[]): Promise<string[]> {
  const result = await engine.query(sql, params ? { params: params as never } : {});
  await collectBatches(result);
  return result.schema.fields.map((f) => f.name);
}

async function rows(sql: string): Promise<unknown[][]> {
  const batches = await collectBatches(await engine.query(sql));
  return batches.flatMap((b) =>
    b.toArray().map((r) => Object.values(r.toJSON()).map((v) => (typeof v === 'bigint' ? Number(v) : v))),
  );
}

async function failure(sql: string, params?: unknown[]): Promise<SpokeError> {
  try {
    await collectBatches(await engine.query(sql, params ? { params: params as never } : {}));
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), String(error));
    return error;
  }
  assert.fail(`${sql} did not fail`);
}

describe('result column names as PostgreSQL names them', () => {
  test('over one source', async () => {
    assert.deepEqual(
      await columns(
        `SELECT count(*), sum(id), max(name), id + 1, CASE WHEN id > 1 THEN 1 END, coalesce(region, 'x'),
           EXTRACT(year FROM signup_date), id::text, 1::int, CASE WHEN true THEN 1 ELSE id END
         FROM crm.customers GROUP BY id, region, signup_date, name`,
      ),
      ['count', 'sum', 'max', '?column?', 'case', 'coalesce', 'extract', 'id', 'int4', 'id'],
    );
  });

  test('over a federated join (the DuckDB residual)', async () => {
    assert.deepEqual(
      await columns(
        'SELECT count(*), sum(o.amount), upper(c.region) FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.region',
      ),
      ['count', 'sum', 'upper'],
    );
  });

  test('without FROM (the system catalog)', async () => {
    assert.deepEqual(
      await columns("SELECT 1, 'a' || 1, current_date, trim(' x '), (SELECT 2), EXISTS (SELECT 1)"),
      ['?column?', '?column?', 'current_date', 'btrim', '?column?', 'exists'],
    );
    assert.deepEqual(await columns('SELECT 1 UNION SELECT 2'), ['?column?']);
  });

  test("a sub-query's unaliased column is readable by PostgreSQL's name", async () => {
    assert.deepEqual(await rows('SELECT count FROM (SELECT count(*) FROM crm.customers) s'), [[100]]);
    assert.deepEqual(await rows('SELECT max FROM (SELECT max(id) FROM shop.orders) s'), [[500]]);
  });
});

describe('literal casts read as PostgreSQL reads them', () => {
  for (const [sql, sqlstate, message] of [
    ["SELECT '12.5'::int", '22P02', 'invalid input syntax for type integer: "12.5"'],
    [
      "SELECT id FROM crm.customers WHERE id = '1e3'::bigint",
      '22P02',
      'invalid input syntax for type bigint: "1e3"',
    ],
    ["SELECT '99999'::smallint", '22003', 'value "99999" is out of range for type smallint'],
    ["SELECT 'maybe'::boolean", '22P02', 'invalid input syntax for type boolean: "maybe"'],
  ] as const) {
    test(sql, async () => {
      const error = await failure(sql);
      assert.equal(error.message, message);
      assert.equal(error.details?.sqlstate, sqlstate);
    });
  }

  test("PostgreSQL's boolean words, named after the cast", async () => {
    assert.deepEqual(await columns("SELECT ' 12 '::int, 'off'::boolean, 'y'::bool"), [
      'int4',
      'bool',
      'bool',
    ]);
    assert.deepEqual(
      await rows("SELECT ' 12 '::int AS a, 'off'::boolean AS b, 'y'::bool AS c, 'T'::boolean AS d"),
      [[12, false, true, true]],
    );
  });

  test('(VALUES …) v names its columns column1, column2…', async () => {
    assert.deepEqual(await columns("SELECT * FROM (VALUES (1, 'a')) v"), ['column1', 'column2']);
  });

  test("types written with pg_catalog. (as psql's \\gdesc writes them) read as the bare names", async () => {
    // DuckDB resolved the alias before the schema: "Type with name BIGINT does not exist!".
    assert.deepEqual(
      await rows(`SELECT x, y, z, w FROM (VALUES ('25'::pg_catalog.oid, 'ab'::pg_catalog.name, 'c'::pg_catalog.bpchar,
        '7'::pg_catalog.int4)) v(x, y, z, w)`),
      [[25, 'ab', 'c', 7]],
    );
    assert.deepEqual(
      await rows(`SELECT c.id, 'n'::name AS n FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id
        WHERE c.id = '1'::pg_catalog.oid LIMIT 1`),
      [[1, 'n']],
    );
  });

  test("a PostgreSQL type the residual lacks is 42704 naming it, not the engine's words", async () => {
    for (const type of ['xid', 'pg_catalog.regclass', 'jsonb']) {
      const error = await failure(`SELECT x FROM (VALUES ('1'::${type})) v(x)`);
      assert.equal(error.message, `type "${type.replace('pg_catalog.', '')}" does not exist`);
      assert.equal(error.details?.sqlstate, '42704');
    }
  });
});

describe('division by zero raises 22012 on every path', () => {
  for (const sql of [
    'SELECT 1 / 0',
    'SELECT 5 % 0',
    'SELECT 1.5 / 0',
    'SELECT id / (id - id) FROM crm.customers',
    'SELECT o.amount / (c.id - c.id) FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id',
  ]) {
    test(sql, async () => {
      const error = await failure(sql);
      assert.equal(error.message, 'division by zero');
      assert.equal(error.details?.sqlstate, '22012');
    });
  }

  test('a non-zero divisor still divides as PostgreSQL does (integer division)', async () => {
    assert.deepEqual(await rows('SELECT 7 / 2 AS q, 7 % 3 AS r'), [[3, 1]]);
    assert.deepEqual(await rows('SELECT id / 2 FROM crm.customers WHERE id = 7'), [[3]]);
  });
});

describe('parameters', () => {
  test('an unbound $1 is 42P02, not zero rows', async () => {
    const error = await failure('SELECT id FROM crm.customers WHERE id = $1');
    assert.equal(error.message, 'there is no parameter $1');
    assert.equal(error.details?.sqlstate, '42P02');
    assert.equal(error.details?.position, 41);
  });

  test('a bound $1 answers', async () => {
    assert.deepEqual(await columns('SELECT id FROM crm.customers WHERE id = $1', [3]), ['id']);
  });
});

test('NULLs sort last ascending and first descending, as in PostgreSQL', async () => {
  const desc = await rows(
    'SELECT DISTINCT c.region FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id ORDER BY c.region DESC',
  );
  assert.deepEqual(desc, [[null], ['US'], ['EU']]);
  const asc = await rows(
    'SELECT DISTINCT c.region FROM crm.customers c JOIN shop.orders o ON o.customer_id = c.id ORDER BY c.region',
  );
  assert.deepEqual(asc, [['EU'], ['US'], [null]]);
});

describe("DuckDB's errors in PostgreSQL's words", () => {
  const cases: [sql: string, sqlstate: string, message: string][] = [
    ["SELECT CAST(concat('a', 'bc') AS int)", '22P02', 'invalid input syntax for type integer: "abc"'],
    [
      'SELECT name::int FROM crm.customers WHERE id = 1',
      '22P02',
      'invalid input syntax for type integer: "customer 1"',
    ],
    ['SELECT 1 + true', '42883', 'operator does not exist: integer + boolean'],
    ['SELECT length(1)', '42883', 'function length(integer) does not exist'],
    ['SELECT 2147483647 + 1', '22003', 'integer out of range'],
    [
      'SELECT id FROM crm.customers GROUP BY region',
      '42803',
      'column "id" must appear in the GROUP BY clause or be used in an aggregate function',
    ],
    [
      'SELECT id FROM crm.customers WHERE id = (SELECT id FROM crm.customers)',
      '21000',
      'more than one row returned by a subquery used as an expression',
    ],
    ['SELECT ln(0)', '2201E', 'cannot take logarithm of zero'],
    ['SELECT abs((-9223372036854775808)::int8)', '22003', 'bigint out of range'],
    ['SELECT (-2147483648)::int4 / (-1)::int4', '22003', 'integer out of range'],
    ['SELECT 32767.6::int2', '22003', 'smallint out of range'],
    ["SELECT 'abc'::numeric", '22P02', 'invalid input syntax for type numeric: "abc"'],
    ['SELECT 123456.789::numeric(5,2)', '22003', 'numeric field overflow'],
    ['SELECT max(min(id)) FROM crm.customers', '42803', 'aggregate function calls cannot be nested'],
    [
      'SELECT count(*) OVER w FROM crm.customers WINDOW w AS (), w AS ()',
      '42P20',
      'window "w" is already defined',
    ],
  ];
  for (const [sql, sqlstate, message] of cases) {
    test(sql, async () => {
      const error = await failure(sql);
      assert.equal(error.message, message);
      assert.equal(error.details?.sqlstate, sqlstate);
      assert.doesNotMatch(error.message, /Error:|_LITERAL|LINE \d|__spoke/);
      assert.ok(error.cause, 'the original error is kept as the cause');
    });
  }

  test("positions point into the user's SQL when the token is unique there, and are left out otherwise", async () => {
    assert.equal((await failure('SELECT 1, length(1)')).details?.position, 11);
    assert.equal((await failure("SELECT id FROM crm.customers WHERE id = 'abc'::int")).details?.position, 41);
    assert.equal((await failure('SELECT length(1), length(2)')).details?.position, undefined);
  });

  test('a column DuckDB cannot find without FROM is 42703', () => {
    const error = translateDuckDBError(
      new Error(
        'Binder Error: Referenced column "nosuch" was not found because the FROM clause is missing\n\nLINE 1: SELECT nosuch',
      ),
    ) as SpokeError;
    assert.equal(error.message, 'column "nosuch" does not exist');
    assert.equal(error.details?.sqlstate, '42703');
  });

  test('an unmapped DuckDB error loses its class prefix, caret excerpt and candidate list', () => {
    const error = translateDuckDBError(
      new Error(
        'Binder Error: something odd about "__spoke_1".x\n\nLINE 4: SELECT x FROM __spoke_1\n        ^',
      ),
    ) as SpokeError;
    assert.equal(error.message, 'something odd about x');
  });
});
