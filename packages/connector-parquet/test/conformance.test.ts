import { join } from 'node:path';
import { loadFixtureIntoDuckDB, runConformance } from '@spoke/testing';
import { startS3Server } from '../../../test/harness/s3-server.js';
import { createParquetConnector } from '../src/index.js';
import { cleanup, duck, s3Options, tempDir, uploadDir } from './helpers.js';

// Parquet stores every fixture type. With DuckDB decoding (the default) every filter DuckDB renders is
// applied exactly; the JavaScript decoder only prunes row groups, so its filters are inexact.
const DECODERS = [
  { decoder: 'duckdb', capabilities: { filters: 'exact', limit: true, topN: true, statistics: 'exact' } },
  { decoder: 'js', capabilities: { filters: 'inexact', limit: true, topN: false, statistics: 'exact' } },
] as const;

async function writeFixture(): Promise<string> {
  const dir = tempDir();
  const db = await duck();
  await loadFixtureIntoDuckDB(db.conn);
  await db.conn.run(`COPY spoke_conformance TO '${join(dir, 'spoke_conformance.parquet')}' (FORMAT parquet)`);
  db.close();
  return dir;
}

for (const { decoder, capabilities } of DECODERS) {
  runConformance({
    name: `parquet on local files (decoder ${decoder})`,
    capabilities,
    setup: async () => {
      const dir = await writeFixture();
      const connector = await createParquetConnector(
        { url: dir, decoder },
        { sourceName: 'local', baseDir: '/' },
      );
      return { connector, fixtureSchema: 'main', teardown: async () => cleanup([dir]) };
    },
  });

  runConformance({
    name: `parquet on s3rver (decoder ${decoder})`,
    capabilities,
    setup: async () => {
      const dir = await writeFixture();
      const s3 = await startS3Server({ buckets: ['lake'] });
      await uploadDir(s3, dir, 'lake', 'conf/');
      const connector = await createParquetConnector(
        { url: 's3://lake/conf/', s3: { ...s3Options(s3), forcePathStyle: 'true' }, decoder },
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
}
