/**
 * The throttling proxy the two-gateway tests put between gateways: latency
 * and bandwidth are measurably applied per direction, bytes are counted both
 * ways, the upstream capture holds exactly what was sent, and data queued on
 * the link is delivered before a half-close.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { startThrottlingProxy } from '../harness/index.js';

/**
 * The target: answers a 4-byte big-endian length `n` with `n` bytes of 0x61,
 * and a 0 with nothing, echoing back the total it has received when the client half-closes.
 */
function startTarget(): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    let received = 0;
    socket.on('error', () => {}); // the proxy cutting the link resets it
    let header = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      if (header.byteLength >= 4) return;
      header = Buffer.concat([header, chunk]);
      if (header.byteLength >= 4) {
        const n = header.readUInt32BE(0);
        if (n > 0) socket.write(Buffer.alloc(n, 0x61));
      }
    });
    socket.on('end', () => {
      const total = Buffer.alloc(4);
      total.writeUInt32BE(received);
      socket.end(total);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Connects, sends `payload`, half-closes, and reads everything the target sends back. */
async function exchange(port: number, payload: Buffer): Promise<{ reply: Buffer; ms: number }> {
  const started = performance.now();
  const socket: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(payload);
  await once(socket, 'end');
  socket.destroy();
  return { reply: Buffer.concat(chunks), ms: performance.now() - started };
}

function request(n: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(n);
  return Buffer.concat([header, body]);
}

describe('throttling proxy', () => {
  let target: Server;

  before(async () => {
    target = await startTarget();
  });
  after(() => target.close());

  test('forwards unchanged and counts the bytes each way', async () => {
    const proxy = await startThrottlingProxy({ target: { host: '127.0.0.1', port: portOf(target) } });
    try {
      const body = randomBytes(10_000);
      const { reply } = await exchange(proxy.port, request(5000, body));
      assert.equal(reply.byteLength, 5004);
      assert.ok(reply.subarray(0, 5000).every((b) => b === 0x61));
      assert.equal(reply.readUInt32BE(5000), 10_004, 'the target received every byte sent');
      assert.equal(proxy.bytesUp, 10_004);
      assert.equal(proxy.bytesDown, 5004);
      assert.equal(proxy.connections, 1);
      assert.equal(proxy.captured().byteLength, 0, 'no capture unless asked');
      proxy.reset();
      assert.equal(proxy.bytesUp, 0);
      assert.equal(proxy.bytesDown, 0);
    } finally {
      await proxy.close();
    }
  });

  test('captures exactly the bytes sent upstream', async () => {
    const proxy = await startThrottlingProxy({
      target: { host: '127.0.0.1', port: portOf(target) },
      capture: true,
    });
    try {
      const secret = Buffer.from('secret-value-42');
      const sent = request(0, Buffer.concat([randomBytes(3000), secret, randomBytes(3000)]));
      await exchange(proxy.port, sent);
      assert.deepEqual(proxy.captured(), sent);
      assert.ok(proxy.captured().includes(secret));
      assert.ok(!proxy.captured().includes(Buffer.from('secret-value-43')));
    } finally {
      await proxy.close();
    }
  });

  test('one-way latency is added in each direction', async () => {
    const direct = await exchange(portOf(target), request(1));
    const proxy = await startThrottlingProxy({
      target: { host: '127.0.0.1', port: portOf(target) },
      upstream: { latencyMs: 80 },
      downstream: { latencyMs: 40 },
    });
    try {
      const { reply, ms } = await exchange(proxy.port, request(1));
      assert.equal(reply.byteLength, 5);
      // Request up (80) and answer down (40), at least; connecting adds no proxy delay.
      assert.ok(ms >= 120, `round trip ${ms.toFixed(1)} ms through an 80+40 ms link`);
      assert.ok(ms < 120 + direct.ms + 400, `round trip ${ms.toFixed(1)} ms is far above the link's latency`);
    } finally {
      await proxy.close();
    }
  });

  test('bandwidth is capped per direction', async () => {
    const proxy = await startThrottlingProxy({
      target: { host: '127.0.0.1', port: portOf(target) },
      downstream: { bytesPerSecond: 1_000_000 },
    });
    try {
      // 300 KB down at 1 MB/s: at least 300 ms.
      const down = await exchange(proxy.port, request(300_000));
      assert.equal(down.reply.byteLength, 300_004);
      assert.ok(down.ms >= 290, `300 KB down took ${down.ms.toFixed(1)} ms at 1 MB/s`);
      assert.ok(down.ms < 1500, `300 KB down took ${down.ms.toFixed(1)} ms at 1 MB/s`);

      // Upstream unthrottled: 300 KB up is quick...
      const fast = await exchange(proxy.port, request(0, Buffer.alloc(300_000)));
      assert.ok(fast.ms < 250, `300 KB up, unthrottled, took ${fast.ms.toFixed(1)} ms`);
      // ...until the profile changes: 300 KB at 500 KB/s is at least 600 ms.
      proxy.setProfile({ upstream: { bytesPerSecond: 500_000 } });
      const slow = await exchange(proxy.port, request(0, Buffer.alloc(300_000)));
      assert.equal(slow.reply.readUInt32BE(0), 300_004);
      assert.ok(slow.ms >= 590, `300 KB up took ${slow.ms.toFixed(1)} ms at 500 KB/s`);
      assert.equal(proxy.bytesUp, 4 + 300_004 * 2);
    } finally {
      await proxy.close();
    }
  });

  test('close cuts open connections', async () => {
    const proxy = await startThrottlingProxy({
      target: { host: '127.0.0.1', port: portOf(target) },
      downstream: { latencyMs: 10_000 },
    });
    const socket = connect({ port: proxy.port, host: '127.0.0.1' });
    socket.on('error', () => {}); // a reset is how a cut connection shows
    await once(socket, 'connect');
    socket.write(request(10));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await proxy.close();
    await closed;
    await proxy.close();
  });
});
