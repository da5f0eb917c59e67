/**
 * `POST /v1/tables/{source}/{table}/rows`: Arrow IPC and JSON rows appended
 * to a Lance table as one new version each, read back through SQL.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { arrow } from '@spoke/core';
import { parseConfig } from '../src/config/load-config.js';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import { createGatewayServices } from '../src/service/gateway-services.js';
import { type RunningGateway, startGateway } from '../src/start-gateway.js';

describe('row ingestion over HTTP', { timeout: 120_000 }, () => {
  let dir: string;
  let gateway: RunningGateway;
  let url: string;

  const sql = async (query: string) => {
    const res = await fetch(`${url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: query }),
    });
    const body = (await res.json()) as { rows: unknown[][]; error?: { message: string } };
    assert.equal(res.status, 200, body.error?.message);
    return body.rows;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spoke-ingest-'));
    const config = parseConfig(
      `server:\n  http: { host: 127.0.0.1, port: 0 }\nsources:\n  lance: { connector: lance, uri: lance }\n`,
      dir,
      'ingest.yaml',
    );
    const engine = await createGatewayEngine(config);
    const services = createGatewayServices(engine, config, {});
    gateway = await startGateway(engine, config.server, () => {}, services);
    url = gateway.http!.url;
    await sql(
      "CREATE TABLE lance.events AS SELECT 1 AS id, 'created' AS kind, ARRAY[0.5, 0.25]::float8[] AS vec",
    );
  });
  after(async () => {
    await gateway?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('appends an Arrow IPC stream as one version', async () => {
    const table = new arrow.Table({
      id: arrow.vectorFromArray([2, 3, 4], new arrow.Int32()),
      kind: arrow.vectorFromArray(['a', 'b', null], new arrow.Utf8()),
    });
    const res = await fetch(`${url}/v1/tables/lance/events/rows`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
      body: arrow.tableToIPC(table, 'stream'),
    });
    const body = (await res.json()) as { rows: number; version: number };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.rows, 3);
    assert.deepEqual(await sql('SELECT id, kind FROM lance.events ORDER BY id'), [
      [1, 'created'],
      [2, 'a'],
      [3, 'b'],
      [4, null],
    ]);
    // One version for the whole request: the version before it still has one row.
    assert.deepEqual(await sql(`SELECT count(*) FROM lance.events(version => ${body.version - 1})`), [[1]]);
  });

  it('appends JSON rows, values bound as parameters', async () => {
    const hostile = "x'); DROP TABLE lance.events; --";
    const res = await fetch(`${url}/v1/tables/lance/events/rows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rows: [
          { id: 10, kind: hostile, vec: [1, 2] },
          { id: 11, kind: 'ok' },
        ],
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { rows: number }).rows, 2);
    assert.deepEqual(await sql('SELECT kind FROM lance.events WHERE id >= 10 ORDER BY id'), [
      [hostile],
      ['ok'],
    ]);
  });

  it('clear errors for bad bodies and unknown tables', async () => {
    const post = (path: string, type: string, body: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { error: { code: string; message: string } },
      }));
    const notJson = await post('/v1/tables/lance/events/rows', 'application/json', '{rows:');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error.message, /not valid JSON/);
    const empty = await post('/v1/tables/lance/events/rows', 'application/json', '{"rows": []}');
    assert.match(empty.body.error.message, /at least one row/);
    const missing = await post('/v1/tables/lance/nope/rows', 'application/json', '{"rows": [{"id": 1}]}');
    assert.equal(missing.body.error.code, 'TABLE_NOT_FOUND');
    const wrongType = await post('/v1/tables/lance/events/rows', 'text/csv', 'id\n1');
    assert.match(wrongType.body.error.message, /arrow\.stream or application\/json/);
  });
});
