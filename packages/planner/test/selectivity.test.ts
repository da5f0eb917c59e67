/**
 * Selectivities from statistics: equality by the distinct count, ranges by
 * the share of the column's [min, max] they cover (numbers, dates,
 * timestamps), the textbook guesses where the statistics are silent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ex, Types } from '@spoke/core';
import { ordinal, selectivity } from '../src/statistics/estimate-reads.js';

const num = (v: number) => Ex.lit(v, Types.int64);
const date = (v: string) => Ex.lit(v, { id: 'date' });
const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

test('a range keeps the share of [min, max] it covers', () => {
  const known = { distinct: {}, ranges: { amount: { min: 0, max: 1000 } } };
  close(selectivity(Ex.cmp('>', Ex.col('amount'), num(100)), known), 0.9);
  close(selectivity(Ex.cmp('<=', Ex.col('amount'), num(250)), known), 0.25);
  // The literal first: `100 < amount` is `amount > 100`.
  close(selectivity(Ex.cmp('<', num(100), Ex.col('amount')), known), 0.9);
  close(selectivity(Ex.between(Ex.col('amount'), num(200), num(300)), known), 0.1);
  close(selectivity(Ex.between(Ex.col('amount'), num(200), num(300), true), known), 0.9);
  // Outside the range: nothing (the estimate later keeps at least one row); beyond it: everything.
  close(selectivity(Ex.cmp('>', Ex.col('amount'), num(5000)), known), 0);
  close(selectivity(Ex.cmp('<', Ex.col('amount'), num(5000)), known), 1);
});

test('dates and timestamps interpolate in time', () => {
  const known = {
    distinct: {},
    ranges: { day: { min: ordinal('2024-01-01')!, max: ordinal('2024-12-31')! } },
  };
  const kept = selectivity(Ex.cmp('>=', Ex.col('day'), date('2024-10-01')), known);
  close(
    kept,
    (ordinal('2024-12-31')! - ordinal('2024-10-01')!) / (ordinal('2024-12-31')! - ordinal('2024-01-01')!),
  );
  assert.equal(ordinal('2024-03-01 12:00:00'), Date.parse('2024-03-01T12:00:00Z'));
  assert.equal(ordinal('2024-03-01 12:00:00.250000'), Date.parse('2024-03-01T12:00:00.250Z'));
  assert.equal(ordinal('EMEA'), undefined);
});

test('without statistics, or on text, the textbook guesses', () => {
  assert.equal(selectivity(Ex.cmp('>', Ex.col('amount'), num(100))), 0.25);
  assert.equal(
    selectivity(Ex.cmp('>', Ex.col('name'), Ex.lit('m', Types.utf8)), { distinct: {}, ranges: {} }),
    0.25,
  );
  assert.equal(selectivity(Ex.cmp('=', Ex.col('id'), num(3)), { distinct: { id: 200 } }), 1 / 200);
  assert.equal(selectivity(Ex.cmp('=', Ex.col('id'), num(3))), 0.05);
});
