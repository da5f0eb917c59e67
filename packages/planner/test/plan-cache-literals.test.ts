/**
 * The literal-free shape the plan cache keys literal-only differences on:
 * which constants become parameters (comparison operands in WHERE, ON and
 * HAVING) and which stay in the text (LIMIT, ORDER BY, GROUP BY, the select
 * list, casts and typed literals, function arguments, arithmetic), with each
 * constant's kind as PostgreSQL's parser types it. The answers of shared
 * plans are compared with the uncached engine's over PostgreSQL in
 * test/integration/plan-cache-literals.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { literalShape, MAX_SHAPED_CHARS } from '../src/plan-cache/literal-shape.js';

async function shape(sql: string, params = 0) {
  const s = await literalShape(sql, params);
  return s && { text: s.text, kinds: s.kinds, values: s.values };
}

test('comparison constants become $n, with the kind the parser gives them', async () => {
  assert.deepEqual(await shape('SELECT id, k, v FROM big WHERE id = 42'), {
    text: 'SELECT id, k, v FROM big WHERE id = $1',
    kinds: 'i',
    values: [42],
  });
  assert.deepEqual(
    await shape(
      "SELECT a FROM t WHERE a = - 7 AND b <> 'it''s' AND c >= 3000000000 AND d<-9223372036854775808",
    ),
    {
      text: 'SELECT a FROM t WHERE a = $1 AND b <> $2 AND c >= $3 AND d<$4',
      kinds: 'isbb',
      values: [-7, "it's", 3000000000n, -9223372036854775808n],
    },
  );
  // Numerics keep their text (scale, exponent): no parameter value stands for them.
  assert.deepEqual(await shape('SELECT a FROM t WHERE x IN (1, 1.50, -2.5e3) AND y BETWEEN 0 AND 9'), {
    text: 'SELECT a FROM t WHERE x IN ($1, $2, $3) AND y BETWEEN $4 AND $5',
    kinds: 'innii',
    values: undefined,
  });
  // Beyond int8, and non-canonical integers, are numerics too.
  assert.equal((await shape('SELECT a FROM t WHERE x = 99999999999999999999'))?.kinds, 'n');
  assert.equal((await shape('SELECT a FROM t WHERE x = 0003000000000'))?.kinds, 'n');
  assert.deepEqual(
    await shape("SELECT a FROM t JOIN u ON u.id = t.id AND u.k LIKE 'a%' WHERE t.x = E'\\n'"),
    {
      text: 'SELECT a FROM t JOIN u ON u.id = t.id AND u.k LIKE $1 WHERE t.x = $2',
      kinds: 'ss',
      values: ['a%', '\n'],
    },
  );
  assert.deepEqual(await shape('SELECT g, count(*) FROM t GROUP BY g HAVING count(*) > 5'), {
    text: 'SELECT g, count(*) FROM t GROUP BY g HAVING count(*) > $1',
    kinds: 'i',
    values: [5],
  });
});

test('constants that decide more than a value stay in the text', async () => {
  for (const sql of [
    'SELECT a FROM t LIMIT 5 OFFSET 10',
    'SELECT a FROM t ORDER BY 1',
    'SELECT a, 5 AS five, $$x$$ FROM t',
    'SELECT a FROM t GROUP BY 1',
    "SELECT a FROM t WHERE d = DATE '2020-01-01'",
    "SELECT a FROM t WHERE e = '5'::int4 AND f = CAST('7' AS int8)",
    "SELECT a FROM t WHERE ts > now() - INTERVAL '1 day'",
    "SELECT a FROM t WHERE lower(k) = lower('X') AND a + 1 = b * 2",
    'SELECT a FROM t WHERE flag = true AND x = NULL',
    "SELECT a FROM t WHERE b = B'101' AND u = U&'d\\0061t'",
    "SELECT a FROM t WHERE x = ANY('{1,2}')",
    'SELECT count(*) FILTER (WHERE a = 1) FROM t',
  ])
    assert.equal(await shape(sql), undefined, sql);
  // A sub-query's own LIMIT stays; its WHERE is taken.
  assert.deepEqual(await shape('SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c = 3 LIMIT 2)'), {
    text: 'SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c = $1 LIMIT 2)',
    kinds: 'i',
    values: [3],
  });
});

test('numbering after the caller’s parameters; a $n without a value, a parse error or another statement: no shape', async () => {
  assert.deepEqual(await shape('SELECT a FROM t WHERE a = $1 AND b = 2', 1), {
    text: 'SELECT a FROM t WHERE a = $1 AND b = $2',
    kinds: 'i',
    values: [2],
  });
  assert.equal(await shape('SELECT a FROM t WHERE a = $2 AND b = 2', 1), undefined);
  assert.equal(await shape('SELECT a FROM t WHERE a = 1 AND', 0), undefined);
  assert.equal(await shape('SELECT 1; SELECT a FROM t WHERE a = 1', 0), undefined);
  assert.equal(await shape("UPDATE t SET a = 1 WHERE b = 'x'", 0), undefined);
});

test('statements up to MAX_SHAPED_CHARS are shaped; longer ones are not (their exact text is cached)', async () => {
  const padded = (length: number) => {
    const head = 'SELECT a FROM t WHERE a = 1 AND b IN (';
    const items: string[] = [];
    while (`${head}${[...items, '0'].join(',')})`.length <= length) items.push('0');
    return `${head}${items.join(',')})`;
  };
  const longest = padded(MAX_SHAPED_CHARS);
  assert.ok(longest.length <= MAX_SHAPED_CHARS && longest.length >= MAX_SHAPED_CHARS - 2);
  assert.equal((await literalShape(longest, 0))?.kinds, 'i'.repeat((longest.length - 38) / 2 + 1));
  assert.equal(await literalShape(`${longest} `.replace('a = 1', 'a = 11'), 0), undefined);
});

test('byte offsets: text after multi-byte characters, and constants glued to words', async () => {
  assert.deepEqual(await shape('SELECT "é" FROM t WHERE "é" = \'ü\' AND b=\'x\'AND c=5'), {
    text: 'SELECT "é" FROM t WHERE "é" = $1 AND b=$2 AND c=$3',
    kinds: 'ssi',
    values: ['ü', 'x', 5],
  });
});
