/**
 * PostgreSQL's answers where DuckDB's namesake function answers differently
 * (src/executor/postgres-functions.ts), over a source table (the residual) and
 * without FROM (the system-catalog path). The expected values are what
 * PostgreSQL 15 answers; test/postgres-corpus runs the same calls against it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { SpokeError } from '@spoke/core';
import { byteaInput } from '../src/executor/postgres-functions.js';
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

async function row(sql: string): Promise<unknown[]> {
  const batches = await collectBatches(await engine.query(sql));
  const first = batches.flatMap((b) => b.toArray())[0];
  return Object.values(first.toJSON()).map((v) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? Number(v) : v,
  );
}

async function sqlstate(sql: string): Promise<string | undefined> {
  try {
    await collectBatches(await engine.query(sql));
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), String(error));
    return error.details?.sqlstate as string | undefined;
  }
  assert.fail(`${sql} did not fail`);
}

describe("PostgreSQL's answers where DuckDB's functions differ", () => {
  for (const from of ['', ' FROM crm.customers WHERE id = 1']) {
    test(`split_part, lpad/rpad, to_hex and bytea literals${from ? ' over a source' : ' without FROM'}`, async () => {
      assert.deepEqual(
        await row(
          `SELECT split_part('a@b', '', 1) a, split_part('a@b', '', 2) b, split_part('a@b', '', -1) c, lpad('hi', 5, '') d, rpad('hello', 2, '') e, to_hex(255) f${from}`,
        ),
        ['a@b', '', 'a@b', 'hi', 'he', 'ff'],
      );
      assert.deepEqual(await row(`SELECT '\\xDeAdBeEf'::bytea a, 'a\\000b'::bytea b${from}`), [
        'deadbeef',
        '610062',
      ]);
      assert.equal(await sqlstate(`SELECT split_part('a@b', '@', 0)${from}`), '22023');
      assert.equal(await sqlstate(`SELECT '\\xabc'::bytea${from}`), '22023');
    });
  }

  test('lag/lead with a default answer the common type; a FILTER keeps dropped rows from dividing', async () => {
    assert.deepEqual(
      await row('SELECT (lag(id, 1, 0.5) OVER (ORDER BY id))::text FROM crm.customers ORDER BY id'),
      ['0.5'],
    );
    assert.deepEqual(
      await row('SELECT (sum(10 / (id - 1)) FILTER (WHERE id > 1))::text FROM crm.customers'),
      await row('SELECT sum(10 / (id - 1))::text FROM crm.customers WHERE id > 1'),
    );
    assert.equal(await sqlstate('SELECT sum(10 / (id - 1)) FROM crm.customers'), '22012');
    assert.equal(await sqlstate('SELECT nth_value(id, 0) OVER () FROM crm.customers'), '22016');
  });

  test("bytea input: PostgreSQL's hex and escape formats", () => {
    assert.deepEqual(byteaInput('\\x DE ad'), [0xde, 0xad]);
    assert.deepEqual(byteaInput('a\\\\b\\101'), [0x61, 0x5c, 0x62, 0x41]);
    assert.deepEqual(byteaInput('ü'), [0xc3, 0xbc]);
    assert.throws(() => byteaInput('\\x1'), /odd number of digits/);
    assert.throws(() => byteaInput('\\xzz'), /invalid hexadecimal digit: "z"/);
    assert.throws(() => byteaInput('a\\9'), /invalid input syntax for type bytea/);
  });
});
