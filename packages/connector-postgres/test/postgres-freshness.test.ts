/**
 * Freshness with `track_commit_timestamp = on`: the source's last change is
 * the latest commit's time, exactly as PostgreSQL recorded it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type PostgresServer, startPostgres } from '../../../test/harness/index.js';
import { PostgresConnector, parsePostgresOptions } from '../src/index.js';

let server: PostgresServer;
let pg: PostgresConnector;

before(async () => {
  server = await startPostgres({ settings: { track_commit_timestamp: 'on' } });
  pg = new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'pg' }), {
    sourceName: 'pg',
  });
});

after(async () => {
  await pg?.close();
  await server?.close();
});

test('the latest commit time, exact, equal to the commit timestamp of the row written', {
  timeout: 20_000,
}, async () => {
  server.psql('CREATE TABLE t (x int4); INSERT INTO t VALUES (1);');
  const truth = server.psql(
    'SELECT (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::float8 FROM t',
  );
  const fresh = await pg.freshness();
  assert.equal(fresh.method, 'pg_last_committed_xact');
  assert.equal(fresh.lastModified?.exact, true);
  assert.equal(fresh.lastModified?.value.getTime(), Math.floor(Number(truth.trim())));
  // A later commit moves it on.
  await new Promise((r) => setTimeout(r, 20));
  server.psql('INSERT INTO t VALUES (2)');
  const later = await pg.freshness();
  assert.ok(later.lastModified!.value.getTime() > fresh.lastModified!.value.getTime());
});
