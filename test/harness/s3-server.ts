/**
 * Starts a throw-away S3-compatible server (s3rver) for tests and benchmarks:
 * objects kept in a temporary directory, listening on a free loopback port,
 * stopped and removed by `close()`.
 *
 * s3rver accepts any credentials (it checks signatures only when asked to),
 * so clients use the fixed pair below with path-style addressing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** Options for {@link startS3Server}. */
export interface S3ServerOptions {
  /** Buckets created at start. Default `['spoke']`. */
  readonly buckets?: readonly string[];
}

/** A running S3-compatible test server. */
export interface S3Server {
  /** `http://127.0.0.1:port`: the endpoint a client is pointed at (path-style). */
  readonly endpoint: string;
  readonly port: number;
  /** The credentials the server accepts (any would do; these are what clients are given). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** The directory holding the buckets. */
  readonly directory: string;
  /** Stops the server and deletes its directory. Safe to call twice. */
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Starts s3rver on a free loopback port with `buckets` created. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
  const directory = mkdtempSync(join(tmpdir(), 'spoke-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Path-style only: virtual-host buckets would need DNS for *.127.0.0.1.
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? ['spoke']).map((name) => ({ name })),
  });
  const address = await server.run();
  let closed = false;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    directory,
    async close() {
      if (closed) return;
      closed = true;
      await server.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
