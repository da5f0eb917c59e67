import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ErrorCode, SpokeError } from '@spoke/core';
import { type S3Server, startS3Server } from '../../../test/harness/s3-server.js';
import {
  CachingObjectStore,
  isObjectNotFound,
  ObjectSpace,
  type ObjectStore,
  openObject,
  openStore,
  parseSpokeKey,
  storeKeyOf,
} from '../src/index.js';
import { canonicalQuery, signGet } from '../src/s3-get.js';
import { parseListPage } from '../src/s3-list.js';

let s3: S3Server;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'spoke-os-'));
  dirs.push(d);
  return d;
};

before(async () => {
  s3 = await startS3Server({ buckets: ['lake'] });
});
after(async () => {
  await s3?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const s3Options = () => ({
  endpoint: s3.endpoint,
  forcePathStyle: true,
  accessKeyId: s3.accessKeyId,
  secretAccessKey: s3.secretAccessKey,
  region: s3.region,
  multipartThreshold: 6 * 1024 * 1024,
  partSize: 5 * 1024 * 1024,
});

const BACKENDS: { name: string; open(): ObjectStore }[] = [
  { name: 'memory', open: () => openStore(`memory://t${Math.random()}/`) },
  { name: 'file', open: () => openStore(pathToFileURL(tempDir()).href + '/') },
  {
    name: 's3',
    open: () => openStore(`s3://lake/p${Math.floor(Math.random() * 1e9)}/`, { s3: s3Options() }),
  },
];

const bytes = (s: string) => new TextEncoder().encode(s);

for (const backend of BACKENDS) {
  describe(`${backend.name} backend`, { timeout: 60_000 }, () => {
    test('put, get, ranged get, head, list, delete', async () => {
      const store = backend.open();
      await store.put('a/one.txt', bytes('hello world'));
      await store.put('a/two.txt', bytes('second'));
      await store.put('b/three.txt', bytes('third'));
      assert.equal(new TextDecoder().decode(await store.get('a/one.txt')), 'hello world');
      assert.equal(
        new TextDecoder().decode(await store.get('a/one.txt', { range: { start: 6, end: 11 } })),
        'world',
      );
      assert.equal(
        new TextDecoder().decode(await store.get('a/one.txt', { range: { start: 6, end: 100 } })),
        'world',
      );
      const meta = await store.head('a/one.txt');
      assert.equal(meta?.size, 11);
      assert.ok(meta?.etag);
      assert.equal(await store.head('a/missing.txt'), undefined);
      const listed: string[] = [];
      for await (const m of store.list('a/')) listed.push(m.key);
      assert.deepEqual(listed, ['a/one.txt', 'a/two.txt']);
      await store.delete('a/one.txt');
      assert.equal(await store.head('a/one.txt'), undefined);
      await store.delete('a/one.txt');
      await assert.rejects(
        store.get('a/one.txt'),
        (e) => isObjectNotFound(e) && /a\/one\.txt/.test((e as Error).message),
      );
      assert.ok(store.stats.gets >= 3);
      await store.close();
    });

    test('storage-class metadata per object', async () => {
      const store = backend.open();
      await store.put('cold.bin', bytes('x'), { storageClass: 'archive' });
      await store.put('plain.bin', bytes('y'));
      assert.equal((await store.head('cold.bin'))?.storageClass, 'archive');
      assert.equal((await store.head('plain.bin'))?.storageClass, backend.name === 's3' ? 'standard' : 'hot');
      await store.close();
    });

    test('content-addressed blobs are written once', async () => {
      const store = backend.open();
      const space = new ObjectSpace(store);
      const a = await space.putBlob('acme', bytes('same bytes'));
      const b = await space.putBlob('acme', bytes('same bytes'));
      const c = await space.putBlob('acme', bytes('other bytes'));
      assert.equal(a.key, b.key);
      assert.equal(a.written, true);
      assert.equal(b.written, false);
      assert.notEqual(a.key, c.key);
      assert.match(a.key, /^spoke:\/\/acme\/blobs\/sha256-[0-9a-f]{64}$/);
      const blobs: string[] = [];
      for await (const m of store.list('acme/blobs/')) blobs.push(m.key);
      assert.equal(blobs.length, 2);
      assert.equal(new TextDecoder().decode(await space.get(a.key)), 'same bytes');
      await space.put('spoke://acme/sales/v42/manifest', bytes(JSON.stringify({ fragments: [a.key] })));
      const keys: string[] = [];
      for await (const k of space.list('acme', 'sales')) keys.push(k);
      assert.deepEqual(keys, ['spoke://acme/sales/v42/manifest']);
      await store.close();
    });
  });
}

test('s3: large objects go up as multipart uploads', { timeout: 60_000 }, async () => {
  const store = openStore('s3://lake/multi/', { s3: s3Options() });
  const big = new Uint8Array(11 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
  const meta = await store.put('big.bin', big);
  assert.equal(meta.size, big.length);
  assert.equal(store.stats.puts, 3, 'three 5 MiB parts');
  const back = await store.get('big.bin', { range: { start: 8 * 1024 * 1024, end: 8 * 1024 * 1024 + 8192 } });
  assert.deepEqual(back, big.subarray(8 * 1024 * 1024, 8 * 1024 * 1024 + 8192));
  await store.close();
});

test('s3: many concurrent GETs on one signal add one abort listener to it, none after; aborting still cancels', {
  timeout: 60_000,
}, async () => {
  const store = openStore(`s3://lake/sig${Math.floor(Math.random() * 1e9)}/`, { s3: s3Options() });
  const keys = Array.from({ length: 24 }, (_, i) => `k${i}`);
  for (const k of keys) await store.put(k, bytes(`value ${k}`));
  const controller = new AbortController();
  let warnings = 0;
  const onWarning = (w: Error) => {
    if (w.name === 'MaxListenersExceededWarning') warnings++;
  };
  process.on('warning', onWarning);
  try {
    const pending = keys.map((k) => store.get(k, { signal: controller.signal }));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    const got = await Promise.all(pending);
    assert.deepEqual(
      got.map((b) => new TextDecoder().decode(b)),
      keys.map((k) => `value ${k}`),
    );
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no listener left behind');
    await new Promise((r) => setImmediate(r));
    assert.equal(warnings, 0);
    const cancelled = keys.map((k) =>
      store.get(k, { signal: controller.signal }).then(
        () => 'done',
        (e) => e,
      ),
    );
    controller.abort();
    for (const outcome of await Promise.all(cancelled)) {
      // A GET that finished before the abort is fine; one that did not ends QUERY_CANCELLED.
      if (outcome !== 'done') assert.equal((outcome as { code?: string }).code, 'QUERY_CANCELLED');
    }
  } finally {
    process.off('warning', onWarning);
  }
});

test('s3: credentials from the standard AWS environment variables', { timeout: 30_000 }, async () => {
  const saved = { ...process.env };
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  process.env.AWS_REGION = s3.region;
  try {
    const store = openStore('s3://lake/env/', { s3: { endpoint: s3.endpoint, forcePathStyle: true } });
    await store.put('x', bytes('env'));
    assert.equal(new TextDecoder().decode(await store.get('x')), 'env');
    await store.close();
  } finally {
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});

test("s3: GETs are signed as SigV4 specifies (AWS's published GET Object example)", () => {
  // From the S3 SigV4 documentation ("Example: GET Object", header-based authentication).
  const authorization = signGet(
    '/test.txt',
    {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
    },
    { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    'us-east-1',
  );
  assert.equal(
    authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
});

test('s3: keys with spaces, unicode and reserved characters read back (GETs path-encoded as S3 expects)', {
  timeout: 30_000,
}, async () => {
  const store = openStore('s3://lake/we ird/', { s3: s3Options() });
  const keys = [
    'a b/c+d=é.parquet',
    "y=2024/it's (1)*!~.bin",
    'pct/100%.bin',
    'year=__HIVE_DEFAULT_PARTITION__/x',
  ];
  for (const key of keys) {
    await store.put(key, bytes(`body of ${key}`));
    assert.equal(new TextDecoder().decode(await store.get(key)), `body of ${key}`);
    assert.equal(
      new TextDecoder().decode(await store.get(key, { range: { start: 8, end: 11 } })),
      key.slice(0, 3),
    );
  }
  // Past the end: empty, as the other backends answer.
  assert.equal((await store.get(keys[0] as string, { range: { start: 1000, end: 2000 } })).byteLength, 0);
  await assert.rejects(store.get('none/here.bin'), (e: unknown) => isObjectNotFound(e));
  await store.close();
  // An IP-address endpoint is addressed path-style without forcePathStyle, as the SDK does.
  const byIp = openStore('s3://lake/we ird/', { s3: { ...s3Options(), forcePathStyle: false } });
  assert.equal(new TextDecoder().decode(await byIp.get(keys[0] as string)), `body of ${keys[0]}`);
  const listed = [];
  for await (const meta of byIp.list('a b/')) listed.push(meta.key);
  assert.deepEqual(listed, [keys[0]]);
  await byIp.close();
});

test("s3: LIST requests are signed as SigV4 specifies (AWS's published GET Bucket example)", () => {
  const query = canonicalQuery({ prefix: 'J', 'max-keys': '2' });
  assert.equal(query, 'max-keys=2&prefix=J');
  const authorization = signGet(
    '/',
    {
      host: 'examplebucket.s3.amazonaws.com',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
    },
    { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    'us-east-1',
    undefined,
    query,
  );
  assert.match(authorization, /Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/);
  // Parameters sort by name, not by their `name=value` text.
  assert.equal(canonicalQuery({ 'a-b': '1', a: '2' }), 'a=2&a-b=1');
});

test("s3: the lean LIST answers as the SDK's ListObjectsV2 does; XML entities decoded, a truncated page's token read", {
  timeout: 30_000,
}, async () => {
  const root = `p${Math.floor(Math.random() * 1e9)}/`;
  const store = openStore(`s3://lake/${root}`, { s3: s3Options() });
  const keys = ['a&b/<x>.bin', 'a&b/"q\'.bin', 'c d/é.bin', 'c d/z.bin', 'plain.bin'];
  for (const [i, key] of keys.entries()) await store.put(key, bytes('x'.repeat(i + 1)));
  const listed = [];
  for await (const meta of store.list('')) listed.push(meta);
  // (s3rver cannot page: its continuation tokens use DES, which Node's OpenSSL 3 refuses; pages are parsed below.)
  const sdk = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const out = await sdk.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: root }));
  sdk.destroy();
  assert.deepEqual(
    listed.map((m) => [m.key, m.size, m.etag, m.lastModified?.getTime(), m.storageClass]),
    (out.Contents ?? []).map((c) => [
      c.Key?.slice(root.length),
      c.Size,
      c.ETag,
      c.LastModified?.getTime(),
      'standard',
    ]),
  );
  assert.deepEqual(
    listed.map((m) => m.key),
    [...keys].sort(),
  );
  // Under a prefix, and an empty one.
  const under = [];
  for await (const meta of store.list('c d/')) under.push(meta.key);
  assert.deepEqual(under, ['c d/z.bin', 'c d/é.bin'].sort());
  for await (const _ of store.list('nothing/')) assert.fail('nothing is listed');
  await store.close();
  assert.deepEqual(
    parseListPage(
      '<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a&amp;&#233;&#x41;</Key><Size>3</Size></Contents><NextContinuationToken>t&amp;1</NextContinuationToken></ListBucketResult>',
    ),
    {
      objects: [{ key: 'a&éA', size: 3, etag: undefined, lastModified: undefined, storageClass: undefined }],
      next: 't&1',
    },
  );
});

test('caches: L1 and L2 hits, ETag keys for mutable objects, LRU byte budgets', {
  timeout: 60_000,
}, async () => {
  const inner = openStore('s3://lake/cache/', { s3: s3Options() });
  await inner.put('data.bin', bytes('0123456789'));
  const diskDirectory = tempDir();
  const cached = new CachingObjectStore(inner, { memoryBytes: 16, diskDirectory, diskBytes: 1024 });
  const r1 = await cached.get('data.bin', { range: { start: 0, end: 4 } });
  const r2 = await cached.get('data.bin', { range: { start: 0, end: 4 } });
  assert.deepEqual(r1, r2);
  assert.equal(inner.stats.gets, 1, 'second read served from cache');
  assert.equal(cached.l1?.stats.hits, 1);
  // Overwriting changes the ETag: the cached range is not served any more.
  await inner.put('data.bin', bytes('abcdefghij'));
  assert.equal(
    new TextDecoder().decode(await cached.get('data.bin', { range: { start: 0, end: 4 } })),
    'abcd',
  );
  assert.equal(inner.stats.gets, 2);
  // L1 holds 16 bytes: a 10-byte read evicts the older entries, L2 still answers.
  await cached.get('data.bin');
  assert.ok((cached.l1?.stats.evictions ?? 0) >= 1);
  assert.ok((cached.l1?.stats.bytes ?? 0) <= 16);
  // L2 is written behind the read: flush() waits for it.
  await cached.flush();
  const fresh = new CachingObjectStore(inner, { memoryBytes: 0, diskDirectory, diskBytes: 1024 });
  await fresh.get('data.bin');
  assert.equal(fresh.l2?.stats.hits, 1, 'L2 survives a new cache instance');
  assert.equal(inner.stats.gets, 3);
  // Immutable keys need no HEAD.
  const space = new ObjectSpace(cached);
  const { key } = await space.putBlob('acme', bytes('immutable'));
  const heads = inner.stats.heads;
  await cached.get(space.locate(key));
  await cached.get(space.locate(key));
  assert.equal(inner.stats.heads, heads);
  await cached.close();
});

test('caches: a range already being read is read once; cancelling one reader fails only that reader', async () => {
  const inner = openStore(`memory://shared${Math.random()}/`);
  await inner.put('a.bin', bytes('0123456789'));
  const get = inner.get.bind(inner);
  let gets = 0;
  // Every GET takes 40 ms (and honours its signal), so reads overlap.
  inner.get = async (key, options) => {
    gets++;
    await delay(40, undefined, options?.signal ? { signal: options.signal } : {});
    return get(key, options);
  };
  // No L1: only sharing the read in flight can save the second GET.
  const cached = new CachingObjectStore(inner, { memoryBytes: 0 });
  const range = { start: 2, end: 6 };
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const [x, y] = await Promise.all([
    cached.get('a.bin', { range, etag: 'e1' }),
    cached.get('a.bin', { range, etag: 'e1' }),
  ]);
  assert.equal(text(x), '2345');
  assert.equal(text(y), '2345');
  assert.equal(gets, 1, 'the second reader waited for the first GET');
  // Another ETag is another object version: read on its own.
  await Promise.all([cached.get('a.bin', { range, etag: 'e1' }), cached.get('a.bin', { range, etag: 'e2' })]);
  assert.equal(gets, 3);

  // The reader that sent the GET is cancelled: the one waiting on it reads anew and gets its bytes.
  gets = 0;
  const first = new AbortController();
  const leader = cached.get('a.bin', { range, etag: 'e1', signal: first.signal });
  const follower = cached.get('a.bin', { range, etag: 'e1' });
  setTimeout(() => first.abort(), 10);
  await assert.rejects(leader);
  assert.equal(text(await follower), '2345');
  assert.equal(gets, 2);

  // A waiting reader is cancelled: it fails with QUERY_CANCELLED at once, the GET goes on for the other.
  gets = 0;
  const second = new AbortController();
  const reader = cached.get('a.bin', { range, etag: 'e1' });
  const waiter = cached.get('a.bin', { range, etag: 'e1', signal: second.signal });
  second.abort();
  await assert.rejects(waiter, (e) => SpokeError.isInstance(e) && e.code === ErrorCode.QUERY_CANCELLED);
  assert.equal(text(await reader), '2345');
  assert.equal(gets, 1);
  assert.equal(getEventListeners(second.signal, 'abort').length, 0, 'no listener left on the signal');
  await cached.close();
});

test('spoke keys parse, resolve and refuse bad forms', () => {
  assert.deepEqual(parseSpokeKey('spoke://acme/sales/v42/frag-0017'), {
    kind: 'fragment',
    tenant: 'acme',
    dataset: 'sales',
    version: 'v42',
    fragment: 'frag-0017',
  });
  assert.equal(
    storeKeyOf('spoke://acme/sales/v42/data/part-1.parquet'),
    'acme/sales/v42/data/part-1.parquet',
  );
  assert.throws(() => parseSpokeKey('spoke://acme/../v1/x'));
  assert.throws(() => parseSpokeKey('spoke://acme/blobs/sha256-xyz'));
  assert.throws(() => parseSpokeKey('s3://acme/x/y/z'));
  assert.throws(() => openStore('gopher://x/'), /unsupported object store URL/);
  const { store, key } = openObject('memory://obj/dir/file.parquet');
  assert.equal(key, 'file.parquet');
  assert.equal(store.url, 'memory://obj/dir/');
});
