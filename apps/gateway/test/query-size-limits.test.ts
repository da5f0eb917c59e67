/**
 * `limits.max_query_bytes` and event-loop responsiveness, on a gateway with
 * the default limits: a statement over the limit is refused before parsing
 * with SQLSTATE 54000 on every front end (a 100 MB Query message without
 * the gateway holding it); the session stays usable; and while a statement
 * of the largest accepted size is planned and run — a long IN list, VALUES
 * list, OR chain, a deeply nested expression — the event loop never stalls
 * for 100 ms, so `/healthz` keeps answering.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { commandDescriptor, FlightSqlClient } from '../src/flight/index.js';
import { DEFAULT_MAX_QUERY_BYTES } from '../src/service/query-size.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { type OperatorGateway, startOperatorGateway } from './operator-fixture.js';

const LIMIT = DEFAULT_MAX_QUERY_BYTES;
const LIMIT_MESSAGE = new RegExp(
  `^statement of (\\d+) bytes is larger than limits\\.max_query_bytes \\(${LIMIT} bytes\\)$`,
);

/** `head item0 sep item1 … tail`, as long as possible within `bytes`. */
function build(head: string, item: (i: number) => string, sep: string, tail: string, bytes: number): string {
  const parts: string[] = [];
  let size = head.length + tail.length;
  for (let i = 0; ; i++) {
    const next = item(i);
    if (size + next.length + sep.length > bytes) break;
    parts.push(next);
    size += next.length + sep.length;
  }
  return `${head}${parts.join(sep)}${tail}`;
}

/** Worst cases for planning, each as close to `bytes` as it gets. */
function shapes(bytes: number): Record<string, string> {
  return {
    'IN list': build('SELECT count(*) AS n FROM lake.sales WHERE id IN (', String, ',', ')', bytes),
    'VALUES list': build(
      'SELECT count(*) AS n FROM (VALUES ',
      (i) => `(${i},'v${i}')`,
      ',',
      ') AS t(a, b)',
      bytes,
    ),
    'OR chain': build('SELECT count(*) AS n FROM lake.sales WHERE ', (i) => `id = ${i}`, ' OR ', '', bytes),
    // As deep as DuckDB plans in reasonable time; deeper nesting is refused (54001) or bounded by the timeout.
    'nested expression': `SELECT count(*) AS n FROM lake.sales WHERE id > ${'('.repeat(300)}0${' + 1)'.repeat(300)}`,
  };
}

/** A minimal Postgres wire client over a raw socket: for messages node-postgres would not send. */
class RawWire {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
  }

  static async open(port: number): Promise<RawWire> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const wire = new RawWire(socket);
    const params = Buffer.from('user\0tester\0database\0spoke\0\0');
    const startup = Buffer.alloc(8 + params.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196608, 4);
    params.copy(startup, 8);
    socket.write(startup);
    await wire.untilReady();
    return wire;
  }

  /** The messages up to and including ReadyForQuery: [type, body]. */
  async untilReady(): Promise<[string, Buffer][]> {
    const messages: [string, Buffer][] = [];
    while (true) {
      while (this.buffered.length >= 5 && this.buffered.length >= 1 + this.buffered.readInt32BE(1)) {
        const length = this.buffered.readInt32BE(1);
        const type = String.fromCharCode(this.buffered[0]!);
        messages.push([type, this.buffered.subarray(5, 1 + length)]);
        this.buffered = this.buffered.subarray(1 + length);
        if (type === 'Z') return messages;
      }
      await new Promise<void>((resolve, reject) => {
        this.waiting = resolve;
        this.socket.once('close', () => reject(new Error('connection closed')));
      });
    }
  }

  /** The fields of the ErrorResponse among `messages`. */
  static error(messages: [string, Buffer][]): Record<string, string> | undefined {
    const body = messages.find(([type]) => type === 'E')?.[1];
    if (!body) return undefined;
    const fields: Record<string, string> = {};
    for (let at = 0; body[at] !== 0; ) {
      const end = body.indexOf(0, at + 1);
      fields[String.fromCharCode(body[at]!)] = body.toString('utf8', at + 1, end);
      at = end + 1;
    }
    return fields;
  }

  query(sql: string): Promise<[string, Buffer][]> {
    const text = Buffer.from(`${sql}\0`);
    const header = Buffer.alloc(5);
    header[0] = 0x51;
    header.writeInt32BE(4 + text.length, 1);
    this.socket.write(Buffer.concat([header, text]));
    return this.untilReady();
  }

  close(): void {
    this.socket.destroy();
  }
}

let fixture: DemoFixture;
let gw: OperatorGateway;
let flightPort: number;

before(async () => {
  fixture = await demoFixture();
  // No limits: section, so the default max_query_bytes applies.
  gw = await startOperatorGateway(
    fixture,
    'server:\n  http: { host: 127.0.0.1, port: 0 }\n  postgres: { host: 127.0.0.1, port: 0 }\n  flight: { host: 127.0.0.1, port: 0 }\n',
  );
  flightPort = gw.gateway.flight!.port;
});
after(async () => {
  await gw?.close();
  await fixture?.close();
});

async function pgClient(): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: gw.pgPort, user: 'tester', database: 'spoke' });
  await client.connect();
  return client;
}

describe('limits.max_query_bytes in the config', () => {
  const config = (limits: string) =>
    parseConfig(`limits: { ${limits} }\nsources:\n  crm: { connector: duckdb }\n`, '/tmp', 'spoke.yaml');

  it('takes a size, and refuses what is not one or is over the largest wire message', () => {
    assert.equal(config('max_query_bytes: 2MB').limits?.maxQueryBytes, 2 * 1024 * 1024);
    assert.equal(config('max_query_bytes: 300000').limits?.maxQueryBytes, 300_000);
    assert.equal(config('query_timeout: 5s').limits?.maxQueryBytes, undefined);
    assert.throws(() => config('max_query_bytes: lots'), /limits\.max_query_bytes: expected a positive size/);
    assert.throws(() => config('max_query_bytes: 0'), /limits\.max_query_bytes: expected a positive size/);
    assert.throws(() => config('max_query_bytes: 100MB'), /limits\.max_query_bytes: must be at most 64MB/);
  });
});

describe('limits.max_query_bytes', { timeout: 180_000 }, () => {
  const over = `SELECT count(*) AS n FROM lake.sales WHERE id IN (${'1,'.repeat(LIMIT / 2)}1)`;

  it('node-postgres: 54000 naming the limit and the size, simple and extended protocol; the session goes on', async () => {
    const client = await pgClient();
    try {
      // Just over the limit reaches the query service; 1 MB is dropped by the wire itself (Query and Parse).
      const megabyte = `SELECT 1 AS one /* ${'x'.repeat(1024 * 1024)} */`;
      for (const send of [
        () => client.query(over),
        () => client.query({ text: over, values: [] }),
        () => client.query(megabyte),
        () => client.query({ text: megabyte, values: [] }),
      ]) {
        await assert.rejects(send(), (error: Error & { code?: string }) => {
          assert.equal(error.code, '54000');
          const size = Number(LIMIT_MESSAGE.exec(error.message)?.[1]);
          assert.ok(size > LIMIT, error.message);
          return true;
        });
        assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM crm.customers')).rows, [
          { n: 1000 },
        ]);
      }
      // Exactly at the limit is accepted.
      const list = build('SELECT count(*)::int AS n FROM lake.sales WHERE id IN (', String, ',', ')', LIMIT);
      const at = list.padEnd(LIMIT, ' ');
      assert.equal(Buffer.byteLength(at), LIMIT);
      assert.deepEqual((await client.query(at)).rows.length, 1);
    } finally {
      await client.end();
    }
  });

  it('a 100 MB Query message is refused without being buffered; the connection stays usable', async () => {
    const wire = await RawWire.open(gw.pgPort);
    try {
      const rssBefore = process.memoryUsage().rss;
      const size = 100 * 1024 * 1024;
      const header = Buffer.alloc(5);
      header[0] = 0x51;
      header.writeInt32BE(4 + size, 1);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      chunk.write('SELECT ');
      const answered = wire.untilReady();
      const started = Date.now();
      wire.socket.write(header);
      let firstAnswerAfter = -1;
      void answered.then(() => {
        firstAnswerAfter = Date.now() - started;
      });
      for (let sent = 0; sent < size; sent += chunk.length) {
        const last = size - sent <= chunk.length;
        const piece = last ? Buffer.concat([chunk.subarray(0, size - sent - 1), Buffer.from([0])]) : chunk;
        if (!wire.socket.write(piece)) await once(wire.socket, 'drain');
      }
      const messages = await answered;
      assert.deepEqual(RawWire.error(messages)?.C, '54000');
      assert.match(
        RawWire.error(messages)?.M ?? '',
        new RegExp(
          `^statement of ${size - 1} bytes is larger than limits\\.max_query_bytes \\(${LIMIT} bytes\\)$`,
        ),
      );
      assert.ok(firstAnswerAfter >= 0 && firstAnswerAfter < 5_000, `answered after ${firstAnswerAfter} ms`);
      const grew = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
      assert.ok(grew < 64, `RSS grew ${grew.toFixed(0)} MB while 100 MB were sent`);
      // The bytes after the refused message are read as the next message.
      const next = await wire.query('SELECT 41 + 1 AS answer');
      assert.equal(RawWire.error(next), undefined);
      assert.ok(next.some(([type, body]) => type === 'D' && body.includes(Buffer.from('42'))));
    } finally {
      wire.close();
    }
  });

  it('HTTP: 413 for a statement over the limit, and for a body too large to hold, unread', async () => {
    let res = await fetch(`${gw.url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: over }),
    });
    assert.equal(res.status, 413);
    let body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'INVALID_QUERY');
    assert.match(body.error.message, LIMIT_MESSAGE);
    res = await fetch(`${gw.url}/v1/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: over }),
    });
    assert.equal(res.status, 413);

    // 100 MB announced: answered from the headers, the body is never read.
    const rssBefore = process.memoryUsage().rss;
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${gw.url}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': 100 * 1024 * 1024 },
      });
      req.on('response', (response) => {
        let text = '';
        response.on('data', (c: Buffer) => {
          text += c.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = () => {
        while (!req.destroyed && req.write(chunk)) {}
      };
      req.on('drain', pump);
      pump();
    });
    assert.equal(answer.status, 413);
    body = JSON.parse(answer.text) as typeof body;
    assert.equal(body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.match(
      body.error.message,
      /request body of 104857600 bytes is larger than \d+ bytes \(statements may be up to \d+ bytes: limits\.max_query_bytes\)/,
    );
    const grew = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    assert.ok(grew < 64, `RSS grew ${grew.toFixed(0)} MB`);
    const health = await fetch(`${gw.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it('Flight SQL: statement commands and prepared statements over the limit are refused', async () => {
    const client = new FlightSqlClient(`127.0.0.1:${flightPort}`);
    await assert.rejects(
      client.getFlightInfo(commandDescriptor('CommandStatementQuery', { query: over })),
      (error: Error & { code?: number; details?: string }) => {
        assert.equal(error.code, 3); // INVALID_ARGUMENT
        assert.match(error.details ?? '', LIMIT_MESSAGE);
        return true;
      },
    );
    await assert.rejects(client.prepare(over), (error: Error & { code?: number; details?: string }) => {
      assert.equal(error.code, 3);
      assert.match(error.details ?? '', LIMIT_MESSAGE);
      return true;
    });
    const table = await client.execute('SELECT count(*) AS n FROM crm.customers');
    assert.equal(Number(table.getChild('n')!.get(0)), 1000);
  });
});

describe('the event loop while a largest-size statement runs', { timeout: 300_000 }, () => {
  it('never stalls 100 ms (scaled by the load on the machine): /healthz answers throughout, for every worst-case shape', async (t) => {
    const client = await pgClient();
    try {
      const cases = shapes(LIMIT);
      for (const [name, sql] of Object.entries(cases)) {
        assert.ok(Buffer.byteLength(sql) <= LIMIT, name);
        // Warm: the server has seen this kind of statement before (JIT, caches), as in production.
        await client.query(Object.values(shapes(LIMIT / 8))[Object.keys(cases).indexOf(name)]!);
      }
      for (const [name, sql] of Object.entries(cases)) {
        // Noise from other processes on the machine can stretch any one run: the best of
        // three is judged, as a stall in planning itself shows up in every run.
        const runs: { stallMs: number; healthMaxMs: number; healthChecks: number }[] = [];
        for (let run = 0; run < 3; run++) {
          const delay = monitorEventLoopDelay({ resolution: 5 });
          let polling = true;
          let healthMaxMs = 0;
          let healthChecks = 0;
          const poll = (async () => {
            while (polling) {
              const started = performance.now();
              const res = await fetch(`${gw.url}/healthz`);
              assert.equal(res.status, 200);
              await res.arrayBuffer();
              healthMaxMs = Math.max(healthMaxMs, performance.now() - started);
              healthChecks++;
              await new Promise((r) => setTimeout(r, 10));
            }
          })();
          delay.enable();
          const { rows } = await client.query(sql);
          delay.disable();
          polling = false;
          await poll;
          assert.equal(rows.length, 1, name);
          runs.push({ stallMs: delay.max / 1e6, healthMaxMs, healthChecks });
        }
        const best = runs.reduce((a, b) => (a.stallMs <= b.stallMs ? a : b));
        const report = runs.map(
          (r) =>
            `${r.stallMs.toFixed(0)} ms (/healthz max ${r.healthMaxMs.toFixed(0)} ms of ${r.healthChecks})`,
        );
        // A stall is wall time: on a machine with more runnable threads than cores, this process
        // gets a core only part of the time and every stall stretches by that factor. 100 ms is the
        // budget on an idle machine; it scales with the run queue (a quadratic step in planning
        // takes seconds, far beyond either).
        const contention = Math.max(1, loadavg()[0]! / availableParallelism());
        const budgetMs = 100 * contention;
        t.diagnostic(
          `${name} (${Buffer.byteLength(sql)} bytes): longest stall ${report.join(', ')}; budget ${budgetMs.toFixed(0)} ms (load ${loadavg()[0]!.toFixed(1)})`,
        );
        assert.ok(
          best.stallMs < budgetMs,
          `${name} (${Buffer.byteLength(sql)} bytes): event loop stalled ${report.join(', ')}; budget ${budgetMs.toFixed(0)} ms`,
        );
        assert.ok(best.healthChecks > 0, name);
      }
    } finally {
      await client.end();
    }
  });

  it('over-limit statements are refused quickly, again and again, without the memory growing', async () => {
    const client = await pgClient();
    try {
      const huge = `SELECT count(*) AS n FROM lake.sales WHERE id IN (${'1234567,'.repeat(1_300_000)}1)`;
      const rssBefore = process.memoryUsage().rss;
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        await assert.rejects(client.query(huge), { code: '54000' });
        assert.ok(Date.now() - started < 5_000, `refused after ${Date.now() - started} ms`);
      }
      const grew = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
      assert.ok(grew < 200, `RSS grew ${grew.toFixed(0)} MB over five 10 MB statements`);
      assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
      assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM crm.customers')).rows, [
        { n: 1000 },
      ]);
    } finally {
      await client.end();
    }
  });
});
