/**
 * The engine-level half of the security wall: the sandboxed residual DuckDB,
 * per-visibility system catalogs, errors that withhold protected values,
 * denied tables that answer exactly as missing ones in every path, writes
 * inside transactions, and concurrent queries without FROM. (The gateway
 * suite in test/security/ attacks the same over the wires.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpokeError } from '@spoke/core';
import { createSandboxedInstance } from '../src/executor/residual-sandbox.js';
import { collectBatches, Session } from '../src/index.js';
import { ADMIN, ANALYST, createPolicyWorld, type PolicyWorld, REGIONAL } from './policy-fixtures.test.js';

let w: PolicyWorld;
before(async () => {
  w = await createPolicyWorld();
});
after(async () => w?.close());

/** The error `promise` rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<SpokeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), String(error));
    return error;
  }
  assert.fail('expected an error');
}

describe('the residual DuckDB is sandboxed', () => {
  test('no file, network or extension access, and the settings cannot be changed back', async () => {
    const instance = await createSandboxedInstance();
    const connection = await instance.connect();
    try {
      // Straight to DuckDB, past the binder's allow-list: the sandbox alone must hold.
      for (const sql of [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY (SELECT 1) TO '/tmp/spoke-sandbox-escape.csv'",
        "ATTACH '/tmp/spoke-sandbox-escape.duckdb' AS escape",
        'INSTALL httpfs',
        'LOAD httpfs',
        "SELECT * FROM read_text('http://127.0.0.1:9/')",
        'SET enable_external_access = true',
        'SET lock_configuration = false',
        'SET integer_division = false',
      ]) {
        await assert.rejects(connection.run(sql), /Permission Error|locked|disabled/, sql);
      }
      // PostgreSQL's semantics hold on every new connection without a SET.
      const reader = await connection.runAndReadAll("SELECT 7 / 2, current_setting('TimeZone')");
      assert.deepEqual(reader.getRowsJS(), [[3, 'UTC']]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  test('a host-file read reaching DuckDB fails with 42501, not DuckDB internals', async () => {
    // The engine's own instance, through its residual path, with a function the allow-list
    // might let through by mistake: the sandbox's refusal is translated, not echoed.
    const connection = await w.engine.instance.connect();
    try {
      await assert.rejects(connection.run("SELECT * FROM read_text('/etc/passwd')"), /Permission Error/);
    } finally {
      connection.closeSync();
    }
  });
});

describe('set_config', () => {
  test("alone it sets the caller's session; next to anything else it does not exist (it would reach a source)", async () => {
    const session = new Session();
    const context = { ...ANALYST, queryId: 's' };
    await collectBatches(
      await w.engine.query("SELECT set_config('application_name', 'etl', false)", { session, context }),
    );
    const [row] = (
      await collectBatches(await w.engine.query('SHOW application_name', { session, context }))
    )[0]!.toArray();
    assert.equal(row!.toJSON().application_name, 'etl');
    for (const sql of [
      "SELECT set_config('search_path', 'public', false) FROM crm.customers",
      "SELECT count(*) FROM crm.customers WHERE set_config('search_path', 'public', false) IS NOT NULL",
      "SELECT set_config('memory_limit', '1GB', false)",
    ]) {
      const error = await failure(w.engine.query(sql, { session, context }).then(collectBatches));
      assert.ok(['42883', '42704'].includes(String(error.details?.sqlstate)), `${sql}: ${error.message}`);
    }
  });
});

describe('system catalogs', () => {
  test('callers with different visibility get different DuckDB instances', async () => {
    const admin = await w.engine.systemCatalog(undefined, { queryId: 'a', roles: ['admin'] });
    const analyst = await w.engine.systemCatalog(undefined, { queryId: 'b', roles: ['analyst'] });
    assert.notEqual(
      (admin as unknown as { instance: unknown }).instance,
      (analyst as unknown as { instance: unknown }).instance,
    );
    assert.notEqual(
      (admin as unknown as { instance: unknown }).instance,
      w.engine.instance,
      'not the residual instance',
    );
  });

  test('32 concurrent queries without FROM all answer (a pool health check)', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) =>
        w.engine
          .query(i % 2 ? 'SELECT 1' : 'SELECT version()', {
            context: { ...(i % 3 ? ANALYST : ADMIN), queryId: `q${i}` },
          })
          .then(collectBatches),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(
      failed.map((r) => String((r as PromiseRejectedResult).reason)),
      [],
    );
  });
});

describe('errors withhold protected values', () => {
  test('arithmetic that could fail on one row of an aggregate-only table is refused before it runs', async () => {
    const error = await failure(
      w.rows(
        'SELECT count(*) FROM crm.payments WHERE CASE WHEN id = 7 THEN customer_id * 2147483647 ELSE 0 END > 0',
        ANALYST,
      ),
    );
    assert.equal(error.code, 'POLICY_DENIED');
    assert.match(error.message, /arithmetic on its columns is not allowed in WHERE/);
  });

  test('an arithmetic error over a row-filtered table names its class, not the value', async () => {
    const error = await failure(
      w.rows('SELECT count(*) FROM crm.customers WHERE id * 2147483647 * 2147483647 > 0', REGIONAL),
    );
    assert.equal(error.details?.sqlstate, '22003');
    assert.doesNotMatch(error.message.replace(/SQLSTATE \w{5}/, ''), /\d/);
    assert.match(error.message, /out of range.*withheld/);
  });

  test("the same error on an unprotected query keeps its text (PostgreSQL's)", async () => {
    const error = await failure(w.rows('SELECT CAST(2147483647 AS INTEGER) * 2147483647', ANALYST));
    assert.equal(error.message, 'integer out of range');
    assert.equal(error.details?.sqlstate, '22003');
  });

  test('a conversion error over a row-filtered table quotes no row', async () => {
    const error = await failure(w.rows('SELECT CAST(name AS INTEGER) FROM crm.customers', REGIONAL));
    assert.equal(error.details?.sqlstate, '22P02');
    assert.doesNotMatch(error.message, /customer/);
  });
});

describe("row filters run before the caller's conditions", () => {
  test('a condition that would fail on a hidden row sees only visible rows', async () => {
    // On the US rows (hidden from a regional EU caller) the CASE casts a name to an integer and fails.
    const sql =
      "SELECT count(*) FROM crm.customers WHERE CASE WHEN region = 'US' THEN CAST(name AS INTEGER) ELSE 1 END = 1";
    await w.same(sql, REGIONAL, "SELECT count(*) FROM crm.customers WHERE region = 'EU'");
    const plan = await w.engine.explain(sql, { context: { ...REGIONAL, queryId: 'e' } });
    // The filter is the scan's, taken exactly by the source (or, a source that runs SQL, its sub-select
    // sent alone, without the caller's condition): the residual never holds a hidden row.
    const source = plan.sources[0]!;
    if (source.kind === 'sql') assert.match(source.sql ?? '', /^SELECT (?!.*CAST).* WHERE region = 'EU'$/);
    else assert.deepEqual(source.filters, [{ sql: "region = 'EU'", support: 'exact' }]);
  });
});

describe('a denied table answers exactly as a missing one', () => {
  /** The message of `sql` for the analyst, with the table name typed replaced by a placeholder. */
  const answer = async (sql: string, name: string) => {
    const error = await failure(
      w.engine.query(sql, { context: { ...ANALYST, queryId: 'x' } }).then(collectBatches),
    );
    return { code: error.code, message: error.message.replaceAll(name, '<name>') };
  };

  for (const [label, template] of [
    ['SELECT', 'SELECT * FROM crm.<t>'],
    ['time travel', 'SELECT * FROM crm.<t>(version => 2)'],
    ['INSERT', 'INSERT INTO crm.<t> VALUES (1)'],
    ['INSERT … SELECT from it', 'INSERT INTO crm.customers SELECT * FROM crm.<t>'],
    ['DELETE', 'DELETE FROM crm.<t> WHERE id = 1'],
    ['CREATE INDEX', 'CREATE INDEX ON crm.<t> (id)'],
    ['EXPLAIN', 'EXPLAIN SELECT * FROM crm.<t>'],
  ] as const) {
    test(label, async () => {
      const denied = await answer(template.replace('<t>', 'vip'), 'vip');
      const missing = await answer(template.replace('<t>', 'zzz'), 'zzz');
      assert.deepEqual(denied, missing);
      assert.doesNotMatch(denied.message, /vip/);
    });
  }

  test('a misspelling never suggests the denied name', async () => {
    const error = await failure(w.rows('SELECT * FROM crm.vipp', ANALYST));
    assert.doesNotMatch(error.message, /vip"/);
  });
});

describe('writes inside an explicit transaction are refused, never kept after ROLLBACK', () => {
  test('INSERT after BEGIN fails with 25001; after ROLLBACK the session is idle', async () => {
    const session = new Session();
    const context = { ...ADMIN, queryId: 't' };
    await w.engine.query('BEGIN', { session, context });
    const error = await failure(
      w.engine.query('INSERT INTO crm.customers SELECT * FROM crm.customers LIMIT 1', { session, context }),
    );
    assert.equal(error.details?.sqlstate, '25001');
    assert.match(error.message, /INSERT cannot run inside a transaction block/);
    await w.engine.query('ROLLBACK', { session, context });
    assert.equal(session.transaction, 'idle');
  });
});
