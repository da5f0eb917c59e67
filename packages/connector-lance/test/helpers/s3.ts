/**
 * An in-process S3-compatible server (s3rver) on a free loopback port, with
 * its buckets in a temporary directory. (`test/harness/s3-server.ts` in the
 * `test` workspace does the same for integration tests; a package's tests
 * depend only on packages, so this is the package-local equivalent.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export interface S3 {
  readonly endpoint: string;
  readonly storageOptions: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(bucket: string): Promise<S3> {
  const S3rver = require('s3rver') as new (
    o: Record<string, unknown>,
  ) => { run(): Promise<AddressInfo>; close(): Promise<void> };
  const directory = mkdtempSync(join(tmpdir(), 'spoke-lance-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    storageOptions: {
      endpoint,
      region: 'us-east-1',
      aws_access_key_id: 'S3RVER',
      aws_secret_access_key: 'S3RVER',
      allow_http: 'true',
    },
    async close() {
      await server.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
