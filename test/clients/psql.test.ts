/**
 * psql (postgresql-client) against `spoke serve`: `\copy … to` in text, CSV
 * and binary (COPY … TO STDOUT on the wire, the file written by psql), the
 * run-time parameters, and a refused COPY FROM with PostgreSQL's SQLSTATE.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ClientFixture, clientFixture, PASSWORD, runProgram, USER } from './client-fixture.js';

let fx: ClientFixture;

before(async () => {
  fx = await clientFixture();
});

after(async () => {
  await fx?.close();
});

function psql(...commands: string[]): Promise<string> {
  const args = ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose'];
  for (const c of commands) args.push('-c', c);
  return runProgram('psql', args, {
    PGHOST: '127.0.0.1',
    PGPORT: String(fx.port),
    PGUSER: USER,
    PGPASSWORD: PASSWORD,
    PGDATABASE: 'spoke',
    PGSSLMODE: 'disable',
  });
}

describe('psql (postgresql-client)', { timeout: 120_000 }, () => {
  test('\\copy writes text, CSV and binary files with the rows DuckDB has', async () => {
    const text = join(fx.dir, 'out.txt');
    const csv = join(fx.dir, 'out.csv');
    const binary = join(fx.dir, 'out.bin');
    await psql(
      `\\copy (SELECT id, name, balance FROM crm.customers ORDER BY id) to '${text}'`,
      `\\copy (SELECT id, txt, f8 FROM crm.types ORDER BY id) to '${csv}' with (format csv, header)`,
      `\\copy crm.customers (id, vip) to '${binary}' with (format binary)`,
    );
    const expected = await fx.duckdb(
      `SELECT id::VARCHAR || chr(9) || name || chr(9) || balance::VARCHAR AS line FROM crm.customers ORDER BY id`,
    );
    assert.equal(readFileSync(text, 'utf8'), `${expected.map((r) => r.line).join('\n')}\n`);
    assert.equal(
      readFileSync(csv, 'utf8'),
      'id,txt,f8\n1,hello,3.25\n2,"wörld ""quoted""",Infinity\n3,,-Infinity\n',
    );
    const bytes = readFileSync(binary);
    assert.equal(bytes.subarray(0, 11).toString('latin1'), 'PGCOPY\n\xff\r\n\0');
    // 19-byte header, then per row: int16 2, int32 4 + int4 id, int32 1 + bool; then the int16 -1 trailer.
    assert.equal(bytes.length, 19 + 100 * (2 + 8 + 5) + 2);
    assert.equal(bytes.readInt16BE(19), 2);
    assert.equal(bytes.readInt32BE(25), 1);
    assert.equal(bytes.readInt16BE(bytes.length - 2), -1);
  });

  test('SET, SHOW and RESET of run-time parameters; COPY FROM and COPY to a server file are refused with 0A000', async () => {
    const out = await psql(
      'SHOW transaction isolation level',
      "SET application_name = 'psql-test'",
      'SHOW application_name',
      "SELECT current_setting('application_name')",
      'RESET application_name',
      'SHOW application_name',
    );
    assert.equal(out, 'read committed\nSET\npsql-test\npsql-test\nRESET\n\n');
    await assert.rejects(psql('COPY crm.customers FROM STDIN'), /0A000: COPY FROM is not supported/);
    await assert.rejects(psql("COPY crm.customers TO '/tmp/x.csv'"), /0A000: COPY to a server file/);
    await assert.rejects(psql('SET server_version = 1'), /55P02/);
  });
});
