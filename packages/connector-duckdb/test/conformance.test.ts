import { runConformance } from '@spoke/testing';
import { connector } from '../src/index.js';
import { tempDir, writeFixture } from './fixtures.js';

const capabilities = { filters: 'exact', limit: true, topN: true, statistics: 'estimated' } as const;

runConformance({
  name: 'duckdb (database file)',
  // Whole statements run in the source's DuckDB (duckdb-sql-dialect.ts), compared with the kit's reference.
  capabilities: { ...capabilities, wholeQueries: true },
  setup: async () => {
    const { dir, remove } = tempDir();
    await writeFixture(dir);
    const c = await connector.create(
      { path: 'fixture.duckdb', wholeStatements: true },
      { sourceName: 'conformance', baseDir: dir },
    );
    return { connector: c, fixtureSchema: 'main', teardown: remove };
  },
});

runConformance({
  name: 'duckdb (Parquet files)',
  capabilities: { ...capabilities, statistics: 'exact' },
  setup: async () => {
    const { dir, remove } = tempDir();
    await writeFixture(dir, { parquet: true });
    const c = await connector.create(
      { files: { spoke_conformance: 'parquet/*.parquet' } },
      { sourceName: 'conformance', baseDir: dir },
    );
    return { connector: c, fixtureSchema: 'main', teardown: remove };
  },
});
