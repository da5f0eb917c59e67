/**
 * A join's keys to MariaDB past the 20,000 a list of placeholders takes:
 * MariaDB 10.6+ reads them as one JSON array (`JSON_TABLE`), so the planner
 * sends 30,000 keys and MariaDB returns only the joining rows instead of
 * its whole table. The answer is compared with DuckDB over the same rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { connector as mysqlConnector } from '@spoke/connector-mysql';
import { collectBatches, createEngine, type FederatedEngine } from '@spoke/planner';
import { canonicalRowsFromBatches, canonicalRowsFromDuckDB, diffRows } from '@spoke/testing';
import { type MariaDBServer, startMariaDB } from '../harness/mariadb-server.js';

const VISITS = 200_000;
const PICKS = 30_000;
let maria: MariaDBServer;
let dir: string;
let engine: FederatedEngine;
let reference: DuckDBInstance;

before(async () => {
  maria = await startMariaDB();
  maria.sql(`CREATE TABLE visits (id INT PRIMARY KEY, person_id INT, amount INT);
    INSERT INTO visits SELECT seq, seq % 1000, seq % 97 FROM seq_1_to_${VISITS}; ANALYZE TABLE visits;`);
  dir = mkdtempSync(join(tmpdir(), 'spoke-maria-keys-'));
  const crm = join(dir, 'crm.duckdb');
  const picksSql = `CREATE TABLE picks AS SELECT i * 5 AS id FROM range(1, ${PICKS + 1}) t(i)`;
  {
    const db = await DuckDBInstance.create(crm);
    const c = await db.connect();
    await c.run(picksSql);
    c.closeSync();
    db.closeSync();
  }
  reference = await DuckDBInstance.create(':memory:');
  const rc = await reference.connect();
  await rc.run(`ATTACH '${crm}' AS crm (READ_ONLY)`);
  await rc.run(`CREATE SCHEMA maria; CREATE TABLE maria.visits AS
    SELECT i AS id, i % 1000 AS person_id, i % 97 AS amount FROM range(1, ${VISITS + 1}) t(i)`);
  rc.closeSync();
  const context = { sourceName: '', baseDir: dir };
  engine = await createEngine({
    sources: {
      maria: await mysqlConnector.create({ url: maria.url }, { ...context, sourceName: 'maria' }),
      crm: await duckdbConnector.create({ path: crm }, { ...context, sourceName: 'crm' }),
    },
  });
});

after(async () => {
  await engine?.close();
  reference?.closeSync();
  await maria?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('keys to MariaDB as one JSON array', () => {
  test('30,000 keys go to MariaDB in one value; it returns the joining rows only; the answer equals DuckDB', async () => {
    const sql = `SELECT v.person_id % 10 AS g, count(*) AS n, sum(v.amount) AS total
      FROM crm.picks k JOIN maria.visits v ON v.id = k.id GROUP BY 1 ORDER BY 1`;
    const plan = await engine.explain(sql, { analyze: true });
    const visits = plan.sources.find((s) => s.table?.endsWith('visits'));
    assert.ok(visits, JSON.stringify(plan.sources));
    assert.match(visits.strategy ?? '', /semi-join by keys \(k\)/);
    assert.equal(visits.keysSent, PICKS, 'every key sent, past the 20,000 of a placeholder list');
    assert.equal(visits.actualRows, PICKS, 'MariaDB returned the joining rows only');
    const actual = canonicalRowsFromBatches(await collectBatches(await engine.query(sql)));
    const rc = await reference.connect();
    const result = await rc.run(sql);
    const expected = canonicalRowsFromDuckDB(
      await result.fetchAllChunks(),
      result.columnTypes().map((t) => /INT/.test(String(t))),
    );
    rc.closeSync();
    assert.deepEqual(diffRows(actual as never, expected as never), { extra: [], missing: [] });
  });
});
