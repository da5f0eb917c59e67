/**
 * pgjdbc from Debian (libpostgresql-jdbc-java) against `spoke serve`, run
 * with Java's single-file source launcher: PreparedStatements with
 * BigDecimal, int, long, string and NULL parameters in text and binary
 * (prepareThreshold=-1), setFetchSize streaming, DatabaseMetaData, the
 * CopyManager and SHOW. Answers are compared with DuckDB's.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ClientFixture, clientFixture, PASSWORD, runProgram, USER } from './client-fixture.js';
import { typesReferenceSql } from './python-prelude.js';

const PGJDBC = '/usr/share/java/postgresql.jar';
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'JdbcClient.java');
const METADATA = join(dirname(fileURLToPath(import.meta.url)), 'JdbcMetadata.java');

let fx: ClientFixture;
let answers: Map<string, string>;
let metadata: Map<string, string>;

before(async () => {
  assert.ok(existsSync(PGJDBC), `${PGJDBC} is missing: apt-get install libpostgresql-jdbc-java`);
  fx = await clientFixture();
  const stdout = await runProgram(
    'java',
    ['-cp', PGJDBC, SOURCE],
    { PGPORT: String(fx.port), PGUSER: USER, PGPASSWORD: PASSWORD, SPOKE_CERT: fx.certFile },
    120_000,
  );
  answers = new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]),
  );
  const meta = await runProgram(
    'java',
    ['-cp', PGJDBC, METADATA],
    { PGPORT: String(fx.port), PGUSER: USER, PGPASSWORD: PASSWORD },
    120_000,
  );
  metadata = new Map(
    meta
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]),
  );
});

after(async () => {
  await fx?.close();
});

/** DuckDB's VARCHAR spellings as pgjdbc's getString spells the same values. */
function asJdbc(value: string | null): string {
  if (value === null) return 'null';
  return (
    ({ true: 't', false: 'f', nan: 'NaN', inf: 'Infinity', '-inf': '-Infinity' } as Record<string, string>)[
      value
    ] ?? value
  );
}

describe('pgjdbc (libpostgresql-jdbc-java)', { timeout: 180_000 }, () => {
  test('prepared statements with BigDecimal and other parameters, text and binary transfer', async () => {
    const expected = await fx.duckdb(
      `SELECT id::VARCHAR || '|' || name || '|' || balance::VARCHAR AS r FROM crm.customers
       WHERE balance > 100.00 AND id < 84 AND name <> 'customer 82' ORDER BY id`,
    );
    const types = (await fx.duckdb(typesReferenceSql()))
      .map((r) =>
        Object.values(r)
          .map((v) => asJdbc(v as string | null))
          .join('|'),
      )
      .join(';');
    for (const mode of ['text', 'binary']) {
      assert.equal(answers.get(`${mode}.bigdecimal`), expected.map((r) => r.r).join(';'), mode);
      assert.equal(answers.get(`${mode}.types`), types, mode);
      assert.equal(answers.get(`${mode}.null`), 't', mode);
    }
  });

  test('setFetchSize streams a large result', async () => {
    const [big] = await fx.duckdb('SELECT count(*)::VARCHAR AS n, sum(id)::VARCHAR AS total FROM crm.big');
    for (const mode of ['text', 'binary'])
      assert.equal(answers.get(`${mode}.fetchsize`), `${big!.n}|${big!.total}`);
  });

  test('DatabaseMetaData browses the source as a schema; CopyManager; SHOW transaction_isolation', () => {
    assert.equal(answers.get('meta.tables'), 'big,customers,types');
    assert.equal(answers.get('meta.columns'), 'id:int4,name:text,vip:bool,balance:numeric');
    assert.equal(answers.get('copy'), '2:1,customer 1\\n2,customer 2\\n');
    assert.equal(answers.get('isolation'), 'read committed');
    assert.match(answers.get('driver') ?? '', /^42\./);
  });

  test('every DatabaseMetaData call a database browser makes answers', () => {
    const failed = [...metadata].filter(([, value]) => value.startsWith('ERROR'));
    assert.deepEqual(failed, []);
    assert.equal(metadata.get('getTables'), '3');
    assert.equal(metadata.get('getColumns'), '4');
    assert.ok(Number(metadata.get('getTypeInfo')) >= 20, `getTypeInfo: ${metadata.get('getTypeInfo')}`);
    assert.ok(Number(metadata.get('getSchemas')) >= 2);
    assert.equal(metadata.get('product'), 'PostgreSQL 15.0');
  });

  test('connects over TLS verified against the gateway certificate (sslmode=verify-full)', () => {
    assert.equal(answers.get('tls'), '100');
  });
});
