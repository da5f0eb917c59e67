/**
 * Real clients against the Postgres wire front end: psql (its `\dt` and `\d`
 * catalog queries, simple protocol) and, with the pgjdbc driver from the
 * local Maven repository, JDBC's DatabaseMetaData and prepared statements.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type WireFixture, wireFixture } from './postgres-wire-fixture.js';

const run = promisify(execFile);
const PGJDBC = '/root/.m2/repository/org/postgresql/postgresql/42.7.13/postgresql-42.7.13.jar';

let fx: WireFixture;

before(async () => {
  fx = await wireFixture();
});

after(async () => {
  await fx?.close();
});

async function psql(...commands: string[]): Promise<string> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(fx.port),
    '-U',
    'alice',
    '-d',
    'spoke',
    '-X',
    '-A',
    '-F',
    '|',
    '-v',
    'ON_ERROR_STOP=1',
  ];
  for (const c of commands) args.push('-c', c);
  const { stdout } = await run('psql', args, {
    timeout: 30_000,
    env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
  });
  return stdout;
}

describe('postgres wire: psql', { timeout: 120_000 }, () => {
  test('\\dt lists the federated tables', async () => {
    const out = await psql('\\dt');
    assert.match(out, /Schema\|Name\|Type\|Owner/);
    assert.match(out, /crm\|customers\|table\|spoke/);
    assert.match(out, /crm\|types\|table\|spoke/);
  });

  test('\\d table shows PostgreSQL type names', async () => {
    const out = await psql('\\d crm.types');
    assert.match(out, /Table "crm\.types"/);
    assert.match(out, /id\|integer/);
    assert.match(out, /dec\|numeric\(12,2\)/);
    assert.match(out, /tstz\|timestamp with time zone/);
    assert.match(out, /f8\|double precision/);
  });

  test('queries, session statements and errors', async () => {
    const out = await psql(
      'SELECT id, name FROM crm.customers WHERE id < 3 ORDER BY id',
      'SHOW timezone',
      'BEGIN',
      'COMMIT',
    );
    assert.match(out, /id\|name\n1\|customer 1\n2\|customer 2\n\(2 rows\)/);
    assert.match(out, /TimeZone\nUTC|timezone\nUTC/);
    await assert.rejects(psql('SELECT * FROM crm.nope'), /does not exist/);
  });
});

describe('postgres wire: JDBC (pgjdbc 42.7)', { timeout: 180_000 }, () => {
  test('DatabaseMetaData and prepared statements', async () => {
    const source = join(fx.dir, 'Meta.java');
    await writeFile(
      source,
      `import java.sql.*;
public class Meta {
  public static void main(String[] a) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + a[0] + "/spoke?sslmode=disable", "alice", "")) {
      DatabaseMetaData m = c.getMetaData();
      System.out.println("product " + m.getDatabaseProductName() + " " + m.getDatabaseMajorVersion());
      try (ResultSet r = m.getSchemas()) { while (r.next()) System.out.println("schema " + r.getString(1)); }
      try (ResultSet r = m.getTables(null, "crm", "%", new String[]{"TABLE"})) { while (r.next()) System.out.println("table " + r.getString(2) + "." + r.getString(3)); }
      try (ResultSet r = m.getColumns(null, "crm", "types", "%")) { while (r.next()) System.out.println("column " + r.getString(4) + " " + r.getInt(5) + " " + r.getString(6)); }
      try (ResultSet r = m.getPrimaryKeys(null, "crm", "types")) { while (r.next()) System.out.println("pk " + r.getString(4)); }
      try (PreparedStatement p = c.prepareStatement("SELECT name FROM crm.customers WHERE id = ?")) {
        for (int i = 1; i <= 6; i++) { p.setInt(1, i); try (ResultSet r = p.executeQuery()) { while (r.next()) System.out.println("row " + r.getString(1)); } }
      }
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT dec, tstz, d FROM crm.types WHERE id = 1")) {
        while (r.next()) System.out.println("types " + r.getBigDecimal(1) + " " + r.getTimestamp(2).toInstant() + " " + r.getDate(3));
      }
    }
  }
}
`,
    );
    const { stdout } = await run('java', ['-cp', PGJDBC, source, String(fx.port)], { timeout: 120_000 });
    const lines = stdout.trim().split('\n');
    assert.ok(lines.includes('product PostgreSQL 15'), stdout);
    assert.ok(lines.includes('schema crm'), stdout);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('table ')),
      ['table crm.big', 'table crm.customers', 'table crm.types'],
    );
    assert.ok(lines.includes('column id 4 int4'), stdout);
    assert.ok(lines.includes('column dec 2 numeric'), stdout);
    assert.ok(lines.includes('column tstz 93 timestamptz'), stdout);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('row ')),
      [1, 2, 3, 4, 5, 6].map((i) => `row customer ${i}`),
    );
    assert.ok(lines.includes('types 12345.67 2024-01-02T03:04:05Z 2024-02-29'), stdout);
  });
});
