/**
 * Functions only the system catalog answers never reach the residual:
 * DuckDB has functions of some of their names with other answers (its
 * `format_type(23, -1)` is `float8`). psql's `\gdesc` asks
 * `format_type` over a `FROM (VALUES …)`; such a statement without source
 * tables goes to the system catalog, and one over source tables is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { SpokeError } from '@spoke/core';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';
import { createFixtures, type Fixtures } from './support/fixtures.js';

let fx: Fixtures;
let engine: FederatedEngine;

before(async () => {
  fx = await createFixtures();
  engine = await createEngine({
    sources: { crm: await duckdb.create({ path: fx.crmPath }, { sourceName: 'crm', baseDir: fx.dir }) },
  });
});

after(async () => {
  await engine?.close();
  fx?.close();
});

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await collectBatches(await engine.query(sql))).flatMap((b) => b.toArray().map((r) => r.toJSON()));
}

describe('catalog-only functions', () => {
  test("psql's \\gdesc: format_type over VALUES answers PostgreSQL's names", async () => {
    // The statement psql 15 sends for `SELECT 1 AS a, 2.5 AS b, now() AS c, 'x'::varchar(20) AS d \gdesc`.
    const got = await rows(`SELECT name AS "Column", pg_catalog.format_type(tp, tpm) AS "Type"
      FROM (VALUES ('a', '23'::pg_catalog.oid, -1), ('b', '1700'::pg_catalog.oid, -1),
                   ('c', '1184'::pg_catalog.oid, -1), ('d', '1043'::pg_catalog.oid, 24)) s(name, tp, tpm)`);
    assert.deepEqual(got, [
      { Column: 'a', Type: 'integer' },
      { Column: 'b', Type: 'numeric' },
      { Column: 'c', Type: 'timestamp with time zone' },
      { Column: 'd', Type: 'character varying(20)' },
    ]);
    // A CTE and a set-returning function in FROM: still no source table, still the catalog's answer.
    assert.deepEqual(await rows('WITH t AS (SELECT 25::oid AS o) SELECT format_type(o, -1) AS f FROM t'), [
      { f: 'text' },
    ]);
  });

  test('over source tables, a catalog-only function is refused (0A000), not answered by DuckDB', async () => {
    await assert.rejects(
      engine.query('SELECT format_type(23, -1) AS f, id FROM crm.customers'),
      (e: unknown) =>
        SpokeError.isInstance(e) &&
        e.code === 'UNSUPPORTED' &&
        /format_type\(\) is answered by the system catalog only/.test(e.message),
    );
  });
});
