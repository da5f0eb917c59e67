/**
 * `require_tls`: a table answered only to clients connected over TLS and
 * read only over encrypted links — refused otherwise with POLICY_DENIED
 * naming the rule, for reads, writes reading it and EXPLAIN alike; other
 * tables and in-process callers (no network) unaffected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connector as duckdb } from '@spoke/connector-duckdb';
import { ErrorCode, type SpokeConnector, SpokeError } from '@spoke/core';
import { collectBatches, createEngine, createSecurityPolicy, type FederatedEngine } from '../src/index.js';
import { createFixtures, type Fixtures } from './support/fixtures.js';

let fx: Fixtures;
let engine: FederatedEngine;
let overPlainLink: FederatedEngine;

/** The connector as if its rows crossed a network without TLS (a peer gateway over grpc://). */
function plaintextLink(connector: SpokeConnector): SpokeConnector {
  return new Proxy(connector, {
    get: (target, name) => {
      if (name === 'encryptedLink') return false;
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

before(async () => {
  fx = await createFixtures();
  const open = async (name: string, path: string) =>
    duckdb.create({ path }, { sourceName: name, baseDir: fx.dir });
  const policy = await createSecurityPolicy([
    { name: 'customers_tls', on: 'crm.customers', rule: 'require_tls' },
  ]);
  engine = await createEngine({
    sources: { crm: await open('crm', fx.crmPath), shop: await open('shop', fx.shopPath) },
    policy,
  });
  overPlainLink = await createEngine({
    sources: { crm: plaintextLink(await open('crm', fx.crmPath)), shop: await open('shop', fx.shopPath) },
    policy,
  });
});

after(async () => {
  await engine?.close();
  await overPlainLink?.close();
  fx?.close();
});

const count = async (e: FederatedEngine, sql: string, secureTransport?: boolean) => {
  const result = await e.query(sql, {
    context: { roles: [], ...(secureTransport !== undefined ? { secureTransport } : {}) },
  });
  return Number((await collectBatches(result))[0]!.getChildAt(0)!.get(0));
};

async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(SpokeError.isInstance(error), String(error));
    assert.equal(error.code, ErrorCode.POLICY_DENIED);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('require_tls', () => {
  test('answered over TLS and in-process; refused over a plaintext connection, naming the rule', async () => {
    const sql = 'SELECT count(*) FROM crm.customers';
    assert.equal(await count(engine, sql, true), 100);
    assert.equal(await count(engine, sql), 100, 'no network: an in-process caller');
    await refused(
      count(engine, sql, false),
      /crm\.customers is answered only over an encrypted connection.*rule customers_tls/,
    );
    // Joined, in a sub-query, or only EXPLAINed: the same.
    await refused(
      count(
        engine,
        'SELECT count(*) FROM shop.orders o WHERE o.customer_id IN (SELECT id FROM crm.customers)',
        false,
      ),
      /rule customers_tls/,
    );
    await refused(
      engine.explain(sql, { context: { roles: [], secureTransport: false } }),
      /rule customers_tls/,
    );
    // Tables the rule does not cover are answered.
    assert.ok((await count(engine, 'SELECT count(*) FROM shop.orders', false)) > 0);
  });

  test('refused over a link without TLS, even to a TLS client', async () => {
    await refused(
      count(overPlainLink, 'SELECT count(*) FROM crm.customers', true),
      /may only cross encrypted links, and source "crm" is reached without TLS \(rule customers_tls\)/,
    );
  });

  test('a rule the config misspells is refused at start-up, listing require_tls', async () => {
    await assert.rejects(
      createSecurityPolicy([{ name: 'x', on: 'crm.customers', rule: 'require_ssl' }]),
      /unknown rule "require_ssl" \(expected .*require_tls/,
    );
  });
});
