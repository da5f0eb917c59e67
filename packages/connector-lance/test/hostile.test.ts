/**
 * Hostile literals and identifiers in Lance filters: each must be carried as
 * data — a comparison with it returns exactly the rows holding it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { arrow, Ex, Types } from '@spoke/core';
import { LanceConnector, type LanceTable, lanceDialect, renderLanceFilter } from '../src/index.js';
import { collect } from './helpers/data.js';
import { req } from './helpers/suite.js';

const LITERALS = [
  '',
  "'",
  "''",
  "it's",
  "'; DROP TABLE t; --",
  '"',
  '\\',
  "\\'",
  'a\\nb',
  'back\\slash',
  '%',
  '_',
  '50% off_now',
  '`tick`',
  '$1',
  '$$x$$',
  '?',
  ':name',
  '/* c */',
  '-- c',
  'line\nbreak',
  'tab\there',
  'naïve café',
  'emoji 😀',
  '日本語',
  'zero\u200bwidth',
  'right\u202eleft',
  "regexp_like('x', '.*')",
  'x'.repeat(10_000),
];
const IDENTIFIERS = ["it's", 'say "hi"', 'sp ace', 'select', 'naïve', '$1', '-- c', 'a\\b'];

const { col, lit, cmp } = Ex;
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
let dir: string;
let connector: LanceConnector;
let table: LanceTable;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spoke-lance-hostile-'));
  connector = await LanceConnector.open({ uri: dir }, { sourceName: 'lance', baseDir: dir });
  const n = LITERALS.length;
  const columns: Record<string, unknown[]> = { id: LITERALS.map((_, i) => i), s: [...LITERALS] };
  for (const name of IDENTIFIERS) columns[name] = LITERALS.map((_, i) => (i % 2 ? 'odd' : 'even'));
  const fields = [
    new arrow.Field('id', new arrow.Int32(), false),
    ...Object.keys(columns)
      .slice(1)
      .map((name) => new arrow.Field(name, new arrow.Utf8(), true)),
  ];
  const schema = new arrow.Schema(fields);
  const batch = new arrow.RecordBatch(
    schema,
    arrow.makeData({
      type: new arrow.Struct(fields),
      length: n,
      nullCount: 0,
      children: fields.map((f) => arrow.vectorFromArray(columns[f.name]!, f.type).data[0]!),
    }),
  );
  table = await connector.createTableFrom('hostile', schema, [batch]);
});

after(async () => {
  await connector?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('every hostile literal is data: =, <>, IN, LIKE, starts_with find exactly its rows', async () => {
  const ids = async (filter: Parameters<typeof renderLanceFilter>[0][number]) => {
    assert.deepEqual(await table.supportsFilters([filter]), ['exact'], renderLanceFilter([filter]));
    return (await collect(table.scan(req({ projection: ['id'], filters: [filter] }))))
      .map((r) => r.id as number)
      .sort((a, b) => a - b);
  };
  const all = LITERALS.map((_, i) => i);
  for (const [i, value] of LITERALS.entries()) {
    const same = all.filter((j) => LITERALS[j] === value);
    const label = JSON.stringify(value.slice(0, 40));
    assert.deepEqual(await ids(cmp('=', col('s'), lit(value, Types.utf8))), same, `= ${label}`);
    assert.deepEqual(
      await ids(cmp('<>', col('s'), lit(value, Types.utf8))),
      all.filter((j) => !same.includes(j)),
      `<> ${label}`,
    );
    assert.deepEqual(
      await ids(Ex.in(col('s'), [lit(value, Types.utf8), lit('\u0001none', Types.utf8)])),
      same,
      `IN ${label}`,
    );
    assert.deepEqual(await ids(Ex.like(col('s'), lit(escapeLike(value), Types.utf8))), same, `LIKE ${label}`);
    const prefixed = all.filter((j) => LITERALS[j]!.startsWith(value));
    assert.deepEqual(
      await ids(Ex.fn('starts_with', col('s'), lit(value, Types.utf8))),
      prefixed,
      `starts_with ${label}`,
    );
    assert.ok(i >= 0);
  }
});

test('hostile column names are quoted; a back-quote in a name is refused, not rendered', async () => {
  for (const name of IDENTIFIERS) {
    const filter = cmp('=', col(name), lit('odd', Types.utf8));
    assert.deepEqual(await table.supportsFilters([filter]), ['exact'], name);
    const rows = await collect(table.scan(req({ projection: [name, 'id'], filters: [filter] })));
    assert.equal(rows.length, Math.floor(LITERALS.length / 2), name);
    assert.ok(rows.every((r) => r[name] === 'odd'));
  }
  assert.throws(() => lanceDialect.quoteIdentifier('a`b'));
  assert.deepEqual(await table.supportsFilters([cmp('=', col('a`b'), lit('x', Types.utf8))]), [
    'unsupported',
  ]);
  assert.throws(() => renderLanceFilter([cmp('=', col('s'), lit('nul\u0000', Types.utf8))]));
});
