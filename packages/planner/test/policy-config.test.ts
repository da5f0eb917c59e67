/**
 * The policy model without a database: validation of the YAML-shaped
 * configuration (INVALID_CONFIG naming the key), the design's shorthand
 * names, role matching, path matching and inheritance, the write check and
 * error redaction.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpokeError } from '@spoke/core';
import {
  checkWrite,
  createSecurityPolicy,
  matchPath,
  parsePolicyConfig,
  redactErrorValues,
  type SecurityPolicy,
} from '../src/policy/index.js';

async function invalid(config: unknown, key: RegExp) {
  await assert.rejects(parsePolicyConfig(config), (e: unknown) => {
    assert.ok(SpokeError.isInstance(e));
    assert.equal(e.code, 'INVALID_CONFIG');
    assert.match(e.message, key);
    return true;
  });
}

describe('configuration', () => {
  test('a valid list parses with defaults', async () => {
    const rules = await parsePolicyConfig([
      { name: 'agg', on: 'crm.customers', rule: 'aggregate_only', roles: ['analyst'] },
      { name: 'pii', on: 'crm.customers.email', rule: 'mask', mask: 'email', roles: ['*'] },
      {
        name: 'eu',
        on: 'crm.customers',
        rule: 'row_filter',
        predicate: "region = current_user_attr('region')",
        except_roles: ['admin'],
      },
    ]);
    assert.equal(rules[0]!.minGroupSize, 5);
    assert.deepEqual(rules[0]!.on, ['crm', 'customers']);
    assert.deepEqual(rules[2]!.roles, ['*']);
    assert.deepEqual(rules[2]!.exceptRoles, ['admin']);
    assert.equal(rules[2]!.predicate!.sql, "region = current_user_attr('region')");
  });
  test("the design's names: aggregate_only, mask(email, phone), role_based, append_only_read, never_upload", async () => {
    const rules = await parsePolicyConfig({
      'remote.customers': 'aggregate_only',
      'remote.pii': 'mask(email, phone)',
      'remote.financial': { rule: 'role_based', raw_roles: ['executive'], min_group_size: 10 },
      'local.secrets': 'never_upload',
      'remote.audit': 'append_only_read',
    });
    assert.deepEqual(
      rules.map((r) => [r.name, r.kind]),
      [
        ['remote.customers: aggregate_only', 'aggregate_only'],
        ['remote.pii: mask(email, phone)', 'mask'],
        ['remote.financial: role_based', 'aggregate_only'],
        ['local.secrets: never_upload', 'never_upload'],
        ['remote.audit: append_only_read', 'append_only'],
      ],
    );
    assert.deepEqual(rules[1]!.columns, ['email', 'phone']);
    assert.deepEqual(rules[2]!.exceptRoles, ['executive']);
    assert.equal(rules[2]!.minGroupSize, 10);
  });
  test('errors name the bad key', async () => {
    await invalid(
      [
        { name: 'a', on: 'crm.t', rule: 'mask', mask: 'email' },
        { name: 'b', on: 'crm.t', rule: 'explode' },
      ],
      /^policies\[1\]\.rule: unknown rule "explode"/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'mask', mask: 'rot13' }],
      /^policies\[0\]\.mask: unknown mask "rot13"/,
    );
    await invalid([{ on: 'crm.t', rule: 'deny' }], /^policies\[0\]\.name: required/);
    await invalid([{ name: 'a', rule: 'deny' }], /^policies\[0\]\.on: required/);
    await invalid([{ name: 'a', on: 'a..b', rule: 'deny' }], /^policies\[0\]\.on:/);
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'deny', colour: 'red' }],
      /^policies\[0\]\.colour: unknown key/,
    );
    await invalid([{ name: 'a', on: 'crm.t', rule: 'deny', roles: [] }], /^policies\[0\]\.roles: empty/);
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'deny', roles: 'x', except_roles: [1] }],
      /^policies\[0\]\.except_roles:/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'aggregate_only', min_group_size: 0 }],
      /^policies\[0\]\.min_group_size: expected an integer ≥ 1/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'deny', min_group_size: 3 }],
      /^policies\[0\]\.min_group_size: only for/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.s.t.c', rule: 'row_filter', predicate: 'true' }],
      /^policies\[0\]\.on: row_filter applies to/,
    );
    await invalid([{ name: 'a', on: 'crm.t', rule: 'row_filter' }], /^policies\[0\]\.predicate: required/);
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'row_filter', predicate: 'region = ' }],
      /^policies\[0\]\.predicate: .*syntax/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'row_filter', predicate: 'true; DROP TABLE t' }],
      /^policies\[0\]\.predicate: .*single boolean expression/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'row_filter', predicate: 'true UNION SELECT 2' }],
      /^policies\[0\]\.predicate:/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'row_filter', predicate: 'id IN (SELECT 1)' }],
      /^policies\[0\]\.predicate: sub-queries/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'row_filter', predicate: 'x.region = 1' }],
      /^policies\[0\]\.predicate: name columns/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'row_filter', predicate: 'region = current_user_attr(region)' }],
      /current_user_attr\(\) takes one string constant/,
    );
    await invalid(
      [{ name: 'a', on: 'crm.t', rule: 'role_based' }],
      /^policies\[0\]\.raw_roles: role_based needs/,
    );
    await invalid(
      [
        { name: 'a', on: 'crm.t', rule: 'deny' },
        { name: 'a', on: 'crm.u', rule: 'deny' },
      ],
      /^policies\[1\]\.name: duplicate/,
    );
    await invalid('deny everything', /^policies: expected a list/);
    await invalid({ 'crm.t': 42 }, /^policies\.crm\.t: expected a rule name/);
    await assert.rejects(
      parsePolicyConfig([{ name: 'a' }], 'gateway.policies'),
      /gateway\.policies\[0\]\.on/,
    );
  });
  test('no policies is no rules', async () => {
    assert.deepEqual(await parsePolicyConfig(undefined), []);
    assert.deepEqual(await parsePolicyConfig([]), []);
  });
});

describe('matching and inheritance', () => {
  const table = { source: 'crm', schema: 'main', table: 'customers', defaultSchema: 'main' };
  test('paths name a source, schema, table or column', () => {
    assert.deepEqual(matchPath(['crm'], table), { level: 0 });
    assert.deepEqual(matchPath(['CRM', 'Main'], table), { level: 1 });
    assert.deepEqual(matchPath(['crm', 'customers'], table), { level: 2 });
    assert.deepEqual(matchPath(['crm', 'main', 'customers'], table), { level: 2 });
    assert.deepEqual(matchPath(['crm', 'customers', 'email'], table), { level: 3, column: 'email' });
    assert.deepEqual(matchPath(['crm', 'main', 'customers', 'Email'], table), { level: 3, column: 'email' });
    assert.equal(matchPath(['crm', 'customers'], { ...table, schema: 'other' }), undefined);
    assert.equal(matchPath(['shop'], table), undefined);
    // Default schema unknown: `source.table` covers the table in any schema (broader, never narrower).
    assert.deepEqual(
      matchPath(['crm', 'customers'], { source: 'crm', schema: 'other', table: 'customers' }),
      { level: 2 },
    );
  });
  test('a column rule overrides its table rule; at one level the strictest wins; roles and except_roles', async () => {
    const policy: SecurityPolicy = await createSecurityPolicy([
      { name: 'all_redacted', on: 'crm.customers', rule: 'mask', mask: 'redact', roles: ['analyst'] },
      { name: 'email_hashed', on: 'crm.customers.email', rule: 'mask', mask: 'hash', roles: ['analyst'] },
      { name: 'id_clear', on: 'crm.customers.id', rule: 'allow', roles: ['analyst'] },
      { name: 'email_partial', on: 'crm.customers.email', rule: 'mask', mask: 'partial', roles: ['intern'] },
      { name: 'schema_null', on: 'crm.main', rule: 'mask', mask: 'null', roles: ['intern'] },
      { name: 'phone_gone', on: 'crm.customers.phone', rule: 'deny', roles: ['*'], except_roles: ['admin'] },
      { name: 'pii', on: 'crm.customers', rule: 'mask(ssn, mail_addr)', roles: ['analyst'] },
    ]);
    const analyst = policy.tableRules(table, { roles: ['analyst'] });
    assert.deepEqual(analyst.column('name'), { kind: 'mask', mask: 'redact', rule: policy.rules[0] });
    assert.equal(analyst.column('EMAIL').rule?.name, 'email_hashed');
    assert.equal(analyst.column('id').kind, 'visible');
    assert.equal(analyst.column('phone').kind, 'deny');
    const ssn = analyst.column('ssn');
    assert.ok(ssn.kind === 'mask' && ssn.mask === 'redact' && ssn.rule.name === 'pii');
    const mail = analyst.column('mail_addr');
    assert.ok(mail.kind === 'mask' && mail.mask === 'email');
    const both = policy.tableRules(table, { roles: ['analyst', 'intern'] });
    // Column level: hash (analyst) and partial (intern) → the stricter, partial.
    assert.equal(
      both.column('email').kind === 'mask' && (both.column('email') as { mask: string }).mask,
      'partial',
    );
    // Table level (redact) beats schema level (null) for other columns.
    assert.equal((both.column('name') as { mask: string }).mask, 'redact');
    const admin = policy.tableRules(table, { roles: ['admin'] });
    assert.equal(admin.column('phone').kind, 'visible');
    assert.equal(admin.hasColumnRules, false);
    assert.equal(policy.tableRules(table, { roles: [] }).column('phone').kind, 'deny');
  });
  test('denies on a source, schema or table deny the table', async () => {
    const policy = await createSecurityPolicy([
      { name: 'no_hr', on: 'hr', rule: 'deny', roles: ['*'] },
      { name: 'no_secret', on: 'crm.secret', rule: 'deny', roles: ['*'] },
    ]);
    assert.equal(
      policy.tableRules({ source: 'hr', schema: 'x', table: 'y' }, { roles: [] }).denied?.name,
      'no_hr',
    );
    assert.equal(
      policy.tableRules({ source: 'crm', schema: 'secret', table: 'y', defaultSchema: 'main' }, { roles: [] })
        .denied?.name,
      'no_secret',
    );
    assert.equal(
      policy.tableRules({ source: 'crm', schema: 'main', table: 'y', defaultSchema: 'main' }, { roles: [] })
        .denied,
      undefined,
    );
  });
});

describe('writes', async () => {
  const policy = await createSecurityPolicy([
    { name: 'crm_ro', on: 'crm', rule: 'read_only', roles: ['*'], except_roles: ['etl'] },
    { name: 'audit_append', on: 'lake.audit', rule: 'append_only', roles: ['*'] },
    { name: 'secrets_stay', on: 'local.secrets', rule: 'never_upload', roles: ['*'] },
    { name: 'hidden', on: 'lake.hidden', rule: 'deny', roles: ['*'] },
  ]);
  const ctx = { roles: ['analyst'] };
  const t = (source: string, table: string) => ({ source, table });
  test('read_only refuses every write, except for excepted roles', () => {
    for (const kind of ['insert', 'update', 'delete', 'create'] as const) {
      assert.throws(
        () => checkWrite(kind, t('crm', 'customers'), [], policy, ctx),
        /POLICY_DENIED|read-only.*\(rule crm_ro\)/,
      );
    }
    assert.deepEqual(
      checkWrite('update', t('crm', 'customers'), [], policy, { roles: ['etl'] }).appliedRules,
      [],
    );
  });
  test('append_only allows INSERT (and CREATE), not UPDATE or DELETE', () => {
    assert.deepEqual(checkWrite('insert', t('lake', 'audit'), [], policy, ctx).appliedRules, [
      'audit_append',
    ]);
    checkWrite('create', t('lake', 'audit'), [], policy, ctx);
    for (const kind of ['update', 'delete'] as const) {
      assert.throws(
        () => checkWrite(kind, t('lake', 'audit'), [], policy, ctx),
        (e: unknown) =>
          SpokeError.isInstance(e) &&
          e.code === 'POLICY_DENIED' &&
          /append-only.*\(rule audit_append\)/.test(e.message),
      );
    }
  });
  test('never_upload refuses writing its rows to another source, not within its own', () => {
    assert.throws(
      () =>
        checkWrite('insert', t('lake', 'copy'), [t('crm', 'customers'), t('local', 'secrets')], policy, ctx),
      (e: unknown) =>
        SpokeError.isInstance(e) && e.code === 'POLICY_DENIED' && /\(rule secrets_stay\)/.test(e.message),
    );
    assert.deepEqual(
      checkWrite('insert', t('local', 'copy'), [t('local', 'secrets')], policy, ctx).appliedRules,
      ['secrets_stay'],
    );
  });
  test('denied targets and sources do not exist', () => {
    assert.throws(
      () => checkWrite('insert', t('lake', 'hidden'), [], policy, ctx),
      (e: unknown) => SpokeError.isInstance(e) && e.code === 'TABLE_NOT_FOUND',
    );
    assert.throws(
      () => checkWrite('insert', t('lake', 'x'), [t('lake', 'hidden')], policy, ctx),
      (e: unknown) => SpokeError.isInstance(e) && e.code === 'TABLE_NOT_FOUND',
    );
  });
  test('no policy allows everything', () => {
    assert.deepEqual(checkWrite('delete', t('crm', 'customers'), [], undefined, ctx).appliedRules, []);
  });
});

describe('error redaction', () => {
  test('the message is withheld whole: no quoted value, no number; code, class and SQLSTATE kept', () => {
    const raw = new SpokeError(
      'INVALID_QUERY',
      `Conversion Error: Could not convert string 'user1@example.com' to INT32\n\nLINE 1: SELECT CAST('user1@example.com' AS INT)`,
    );
    const clean = redactErrorValues(raw, ['mask_email']) as SpokeError;
    assert.equal(clean.code, 'INVALID_QUERY');
    assert.equal(clean.details?.sqlstate, '22P02');
    assert.match(clean.message, /could not be converted/);
    assert.match(clean.message, /mask_email/);
    assert.doesNotMatch(clean.message, /user1|INT32|LINE/);
    const overflow = redactErrorValues(
      new SpokeError(
        'INVALID_QUERY',
        'Out of Range Error: Overflow in multiplication of INT32 (55754 * 2147483647)!',
      ),
    ) as SpokeError;
    assert.equal(overflow.details?.sqlstate, '22003');
    assert.doesNotMatch(overflow.message, /55754|2147483647/);
    // A source's own SQLSTATE (PostgreSQL through its driver) decides the class; its text is dropped.
    const source = redactErrorValues(
      new SpokeError('SOURCE_ERROR', 'invalid input syntax for type integer: "987-65-4329"', {
        cause: Object.assign(new Error('invalid input syntax for type integer: "987-65-4329"'), {
          code: '22P02',
        }),
        source: 'pg',
      }),
    ) as SpokeError;
    assert.equal(source.details?.sqlstate, '22P02');
    assert.equal(source.source, 'pg');
    assert.doesNotMatch(source.message, /987|4329/);
    // Anything else, Spoke's or not, loses its text too.
    const plain = redactErrorValues(new Error('secret 42')) as SpokeError;
    assert.equal(plain.code, 'INTERNAL');
    assert.doesNotMatch(plain.message, /secret|42(?!\d)/);
    // Cancellation and policy refusals are Spoke's own words: kept.
    const cancelled = SpokeError.cancelled();
    assert.equal(redactErrorValues(cancelled), cancelled);
  });
});
