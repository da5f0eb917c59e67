import { after, before } from 'node:test';
import { LanceConnector } from '../src/index.js';
import { type S3, startS3 } from './helpers/s3.js';
import { lanceSuite } from './helpers/suite.js';

let s3: S3 | undefined;
before(async () => {
  s3 = await startS3('lake');
});
after(async () => {
  await s3?.close();
});

lanceSuite('s3rver through storageOptions', async (options = {}) => {
  if (!s3) throw new Error('s3rver did not start');
  const connector = await LanceConnector.open(
    // s3rver drops common prefixes below nested "directories" (ListObjects with a delimiter),
    // so tables are listed through LanceDB's manifest here; real S3 lists them either way.
    { uri: 's3://lake/warehouse', storageOptions: s3.storageOptions, manifestEnabled: true, ...options },
    { sourceName: 'lake', baseDir: process.cwd() },
  );
  return { connector, close: async () => {} };
});
