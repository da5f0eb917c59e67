/**
 * `spoke query`'s progress line, drawn over a real engine on the demo data:
 * the rows each source has delivered (as DuckDB counts them in the same
 * files), erased when stopped, and nothing at all when either output is not
 * a terminal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QueryEngine } from '@spoke/planner';
import { startProgress } from '../src/cli/query-progress.js';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import { SourceMeter } from '../src/service/source-meter.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';

describe('spoke query progress line', { timeout: 60_000 }, () => {
  let fixture: DemoFixture;
  let meter: SourceMeter;
  let engine: QueryEngine;
  before(async () => {
    fixture = await demoFixture();
    meter = new SourceMeter();
    engine = await createGatewayEngine(fixture.config, { meter });
  });
  after(async () => {
    await engine?.close();
    await fixture?.close();
  });

  async function drain(sql: string): Promise<void> {
    const result = await engine.query(sql);
    for await (const _ of result.batches) {
      // read everything
    }
  }

  it('shows the rows read from each source on a terminal, and erases itself', async () => {
    const written: string[] = [];
    const progress = startProgress(
      meter,
      { isTTY: true, write: (t) => written.push(t) > 0 },
      { delayMs: 0, intervalMs: 5, outputIsTerminal: true },
    );
    await drain(
      'SELECT c.region, count(*) FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY 1',
    );
    await new Promise((r) => setTimeout(r, 50));
    progress.stop();
    const [sales] = await fixture.duckdb('SELECT count(*) AS n FROM lake.sales');
    const [customers] = await fixture.duckdb('SELECT count(*) AS n FROM crm.customers');
    const last = written.at(-2)!;
    assert.ok(last.startsWith('\r\x1b[K'), 'redrawn in place');
    assert.match(last.slice(4), /^\d+\.\d s · /);
    assert.ok(last.includes(`lake ${Number(sales!.n).toLocaleString('en-US')} rows`), last);
    assert.ok(last.includes(`crm ${Number(customers!.n).toLocaleString('en-US')} rows`), last);
    assert.equal(written.at(-1), '\r\x1b[K');
    const count = written.length;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(written.length, count, 'nothing drawn after stop');
  });

  it('says nothing when stderr or stdout is not a terminal, or before the delay', async () => {
    for (const [isTTY, outputIsTerminal, delayMs] of [
      [false, true, 0],
      [true, false, 0],
      [true, true, 60_000],
    ] as const) {
      const written: string[] = [];
      const progress = startProgress(
        meter,
        { isTTY, write: (t) => written.push(t) > 0 },
        { delayMs, outputIsTerminal },
      );
      await drain('SELECT count(*) FROM lake.sales');
      progress.stop();
      assert.deepEqual(written, [], `isTTY ${isTTY}, output terminal ${outputIsTerminal}, delay ${delayMs}`);
    }
  });
});
