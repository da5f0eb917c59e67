/** Which row groups a top-N reads, from its first key's min/max (`src/top-n-pruning.ts`). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arrow, type DataType, Ex, type SortKey } from '@spoke/core';
import { groupsForTopN, rankableKey } from '../src/top-n-pruning.js';

const group = (name: string, min: number | bigint, max: number | bigint, rows: number, nullCount = 0) => ({
  group: name,
  rows,
  range: { min, max, nullCount, rowCount: rows },
});

describe('top-N row-group pruning', () => {
  test('the first groups holding n rows bound the answer; ties with the bound stay', () => {
    const groups = [
      group('z', 10, 40, 100),
      group('x', 50, 50, 3),
      group('y', 50, 50, 3),
      group('w', 45, 60, 1),
    ];
    // DESC 2: w (1 row, worst 45), then x (4 rows, worst 45): groups whose max reaches 45 stay, tie y included.
    assert.deepEqual(groupsForTopN(groups, 'desc', 2), ['x', 'y', 'w']);
    // ASC 50: z alone holds 100 rows with values up to 40; x, y (≥ 50) and w (≥ 45) cannot be among them.
    assert.deepEqual(groupsForTopN(groups, 'asc', 50), ['z']);
    // More rows asked than the groups hold: all of them.
    assert.deepEqual(groupsForTopN(groups, 'desc', 1000), ['z', 'x', 'y', 'w']);
    // bigint statistics (int64) compare as numbers do.
    assert.deepEqual(groupsForTopN([group('a', 1n, 9n, 10), group('b', 10n, 19n, 10)], 'desc', 5), ['b']);
  });
  test('NULLs, or a group without statistics, keep every group', () => {
    assert.deepEqual(groupsForTopN([group('a', 1, 9, 10, 1), group('b', 10, 19, 10)], 'desc', 5), ['a', 'b']);
    assert.deepEqual(
      groupsForTopN(
        [group('a', 1, 9, 10), { group: 'b', rows: 10, range: { rowCount: 10, nullCount: 0 } }],
        'desc',
        5,
      ),
      ['a', 'b'],
    );
  });
  test('only signed integer and date keys rank groups', () => {
    const key = (name: string): SortKey[] => [{ expr: Ex.col(name), direction: 'desc', nulls: 'first' }];
    const types: Record<string, DataType> = {
      i: new arrow.Int64(),
      d: new arrow.DateDay(),
      u: new arrow.Uint64(),
      f: new arrow.Float64(),
      s: new arrow.Utf8(),
      n: new arrow.Decimal(2, 12, 128),
      t: new arrow.TimestampMicrosecond(),
    };
    const rankable = Object.keys(types).filter((n) => rankableKey(key(n), (c) => types[c]) !== undefined);
    assert.deepEqual(rankable, ['i', 'd']);
    assert.equal(
      rankableKey(
        [{ expr: Ex.fn('abs', Ex.col('i')), direction: 'asc', nulls: 'last' }] as never,
        (c) => types[c],
      ),
      undefined,
    );
  });
});
