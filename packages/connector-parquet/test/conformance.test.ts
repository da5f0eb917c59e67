import { join } from 'node:path';
import { loadFixtureIntoDuckDB, runConformance } from '@spoke/sdk/testing';
import { startS3Server } from '../../../test/harness/s3-server.js';
import { createParquetConnector } from '../src/index.js';
import { cleanup, duck, s3Options, tempDir, uploadDir } from './helpers.js';

// Parquet stores every fixture type; filters only prune, so they are inexact.
const capabilities = { filters: 'inexact', limit: true, topN: false, statistics: 'exact' } as const;

async function writeFixture(): Promise<string> {
  const dir = tempDir();
  const db = await duck();
  await loadFixtureIntoDuckDB(db.conn);
  await db.conn.run(`COPY spoke_conformance TO '${join(dir, 'spoke_conformance.parquet')}' (FORMAT parquet)`);
  db.close();
  return dir;
}

runConformance({
  name: 'parquet on local files',
  capabilities,
  setup: async () => {
    const dir = await writeFixture();
    const connector = await createParquetConnector({ url: dir }, { sourceName: 'local', baseDir: '/' });
    return { connector, fixtureSchema: 'main', teardown: async () => cleanup([dir]) };
  },
});

runConformance({
  name: 'parquet on s3rver',
  capabilities,
  setup: async () => {
    const dir = await writeFixture();
    const s3 = await startS3Server({ buckets: ['lake'] });
    await uploadDir(s3, dir, 'lake', 'conf/');
    const connector = await createParquetConnector(
      { url: 's3://lake/conf/', s3: { ...s3Options(s3), forcePathStyle: 'true' } },
      { sourceName: 's3', baseDir: '/' },
    );
    return {
      connector,
      fixtureSchema: 'main',
      teardown: async () => {
        await s3.close();
        cleanup([dir]);
      },
    };
  },
});
