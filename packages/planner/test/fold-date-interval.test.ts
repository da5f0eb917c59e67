/**
 * `date ± interval` folded to the timestamp PostgreSQL computes (months
 * first, the day clamped to the month's end, then days), so date-range
 * filters reach the source; anything with a time part is left alone.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Ex, Types } from '@spoke/core';
import { loadModule, parseSync } from 'libpg-query';
import type { AstNode } from '../src/parse/ast.js';
import { foldDateInterval } from '../src/pushdown/fold-date-interval.js';

before(async () => {
  await loadModule();
});

/** The parse tree of the interval literal `text` as the binder leaves it. */
function interval(sql: string): AstNode {
  const tree = parseSync(`SELECT ${sql}`) as { stmts: { stmt: AstNode }[] };
  return tree.stmts[0]!.stmt.SelectStmt.targetList[0].ResTarget.val;
}

const fold = (date: string, op: string, sql: string) => {
  const folded = foldDateInterval(Ex.lit(date, Types.date), interval(sql), op);
  return folded?.kind === 'literal' ? folded.value : undefined;
};

test('PostgreSQL date ± interval arithmetic (values as psql shows them)', () => {
  assert.equal(fold('1995-09-01', '+', "interval '1 month'"), '1995-10-01 00:00:00');
  assert.equal(fold('2024-01-31', '+', "interval '1 month'"), '2024-02-29 00:00:00');
  assert.equal(fold('2024-03-31', '-', "interval '1 month'"), '2024-02-29 00:00:00');
  assert.equal(fold('2000-02-29', '+', "interval '1 year'"), '2001-02-28 00:00:00');
  assert.equal(fold('1998-12-01', '-', "interval '90 days'"), '1998-09-02 00:00:00');
  assert.equal(fold('2023-01-31', '+', "interval '1 mon 1 day'"), '2023-03-01 00:00:00');
  assert.equal(fold('1994-01-01', '+', "CAST('1 year' AS interval)"), '1995-01-01 00:00:00');
  assert.equal(fold('1994-12-15', '+', "interval '2 weeks'"), '1994-12-29 00:00:00');
});

test('time parts, field-qualified literals and other operators are not folded', () => {
  assert.equal(fold('1995-09-01', '+', "interval '1 hour'"), undefined);
  assert.equal(fold('1995-09-01', '+', "interval '1 day 02:00:00'"), undefined);
  assert.equal(fold('1995-09-01', '+', "interval '3' month"), undefined);
  assert.equal(fold('1995-09-01', '*', "interval '1 day'"), undefined);
  assert.equal(foldDateInterval(Ex.lit(5, Types.int32), interval("interval '1 day'"), '+'), undefined);
});
