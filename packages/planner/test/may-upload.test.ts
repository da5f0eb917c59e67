/**
 * `QueryPolicy.mayUpload`: a table's rows go to another source as they are
 * (a relation joined there) only when no rule has to act on them here
 * first. Each rule that must act — never_upload, a mask, aggregate_only, a
 * row filter, a denied column — forbids it for the roles it applies to;
 * require_tls forbids it over a plain link only; other roles and other
 * tables are unaffected.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSecurityPolicy } from '../src/index.js';

const table = (name: string) => ({ source: 'crm', schema: 'main', table: name });
const analyst = { queryId: 'q', roles: ['analyst'] };
const admin = { queryId: 'q', roles: ['admin'] };

test('rules that must act before rows leave forbid uploading them, for the roles they apply to', async () => {
  const policy = await createSecurityPolicy([
    { name: 'stay', on: 'crm.vault', rule: 'never_upload' },
    { name: 'mask_email', on: 'crm.people.email', rule: 'mask', mask: 'email', roles: ['analyst'] },
    { name: 'agg', on: 'crm.salaries', rule: 'aggregate_only', roles: ['analyst'] },
    { name: 'rows', on: 'crm.orders', rule: 'row_filter', predicate: "region = 'EU'", roles: ['analyst'] },
    { name: 'hide_notes', on: 'crm.notes.body', rule: 'deny', roles: ['analyst'] },
    { name: 'tls', on: 'crm.secrets', rule: 'require_tls' },
  ]);
  const may = (name: string, context = analyst, encrypted = true) =>
    policy.mayUpload(table(name), 'R', encrypted, context);
  assert.equal(may('plain'), true);
  assert.equal(may('vault'), false);
  assert.equal(may('vault', admin), false, 'never_upload holds for everyone');
  for (const name of ['people', 'salaries', 'orders', 'notes']) {
    assert.equal(may(name), false, `${name}: a rule acts on it for the analyst`);
    assert.equal(may(name, admin), true, `${name}: no rule for the admin`);
  }
  assert.equal(may('secrets', analyst, true), true, 'require_tls: allowed over TLS');
  assert.equal(may('secrets', analyst, false), false, 'require_tls: refused over a plain link');
  assert.equal(policy.mayShip(table('vault'), 'R', analyst), false, 'nor its keys');
});
