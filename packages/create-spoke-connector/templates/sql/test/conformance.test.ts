import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadFixtureIntoDuckDB, runConformance } from '@spoke/testing';
import { connector } from '../src/index.js';

// The conformance kit: the fixture (every common type, NULLs, hostile and
// non-ASCII text) in the source, then every case compared with DuckDB on the
// same rows. Declare what the connector does; a failing case names the
// capability to drop (`exclude: ['upper(utf8)']`, `topN: false`…).
runConformance({
  name: 'my-source',
  capabilities: connector.docs!.capabilities!,
  setup: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'my-source-conformance-'));
    const path = join(dir, 'fixture.db');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await loadFixtureIntoDuckDB(connection);
    connection.closeSync();
    instance.closeSync();
    const source = await connector.create({ path }, { sourceName: 'conformance', baseDir: dir });
    return {
      connector: source,
      fixtureSchema: 'main',
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
