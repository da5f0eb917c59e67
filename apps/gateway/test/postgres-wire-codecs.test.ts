/**
 * The pieces of the Postgres wire that real clients depend on bit for bit:
 * the binary numeric format (the layout of PostgreSQL's numeric_send), and
 * the cursor and COPY statement grammars.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeParameters } from '../src/postgres-wire/bind-parameters.js';
import { parseCopy } from '../src/postgres-wire/copy-out.js';
import { parseClose, parseDeclare, parseFetch } from '../src/postgres-wire/cursor-statements.js';
import { decodeNumeric, encodeNumeric } from '../src/postgres-wire/pg-numeric.js';
import { textToBinary } from '../src/postgres-wire/text-to-binary.js';

describe('binary numeric', () => {
  // As numeric_send lays them out: ndigits, weight, sign, dscale, base-10000 digits (trailing zero digits dropped).
  const cases: [string, string][] = [
    ['12345.67', '0003 0001 0000 0002 0001 0929 1a2c'],
    ['-0.05', '0001 ffff 4000 0002 01f4'],
    ['0', '0000 0000 0000 0000'],
    ['0.000', '0000 0000 0000 0003'],
    ['10000', '0001 0001 0000 0000 0001'],
    ['-0.000001', '0001 fffe 4000 0006 0064'],
    ['NaN', '0000 0000 c000 0000'],
    ['Infinity', '0000 0000 d000 0000'],
    ['-Infinity', '0000 0000 f000 0000'],
  ];
  for (const [text, hex] of cases) {
    test(`${text} both ways`, () => {
      const bytes = Buffer.from(hex.replace(/ /g, ''), 'hex');
      assert.deepEqual(encodeNumeric(text), bytes);
      assert.equal(decodeNumeric(bytes), text);
    });
  }

  test('exponents, large values and bad input', () => {
    assert.equal(decodeNumeric(encodeNumeric('1.5e-3')), '0.0015');
    assert.equal(decodeNumeric(encodeNumeric('1e5')), '100000');
    assert.equal(decodeNumeric(encodeNumeric('123456789012345678.123456')), '123456789012345678.123456');
    assert.throws(() => encodeNumeric('12a'), /invalid input syntax for type numeric: "12a"/);
    assert.throws(() => decodeNumeric(Buffer.alloc(3)), /insufficient data/);
  });
});

describe('cursor statements', () => {
  test('DECLARE with quoted names, HOLD and a query kept as written', () => {
    assert.deepEqual(parseDeclare('DECLARE "My Cur" CURSOR WITHOUT HOLD FOR SELECT \'for\' AS x'), {
      name: 'My Cur',
      hold: false,
      query: "SELECT 'for' AS x",
    });
    assert.deepEqual(parseDeclare('declare c no scroll cursor with hold for select 1;'), {
      name: 'c',
      hold: true,
      query: 'select 1',
    });
    assert.throws(
      () => parseDeclare('DECLARE c SCROLL CURSOR FOR SELECT 1'),
      /SCROLL cursors are not supported/,
    );
    assert.throws(() => parseDeclare('DECLARE c CURSOR SELECT 1'), /syntax error/);
  });

  test('FETCH/MOVE directions and CLOSE', () => {
    assert.deepEqual(parseFetch('FETCH FORWARD 2000 FROM "c"'), { move: false, count: 2000, name: 'c' });
    assert.deepEqual(parseFetch('fetch all in C'), { move: false, count: 'all', name: 'c' });
    assert.deepEqual(parseFetch('FETCH c'), { move: false, count: 1, name: 'c' });
    assert.deepEqual(parseFetch('MOVE 10 FROM c'), { move: true, count: 10, name: 'c' });
    assert.throws(() => parseFetch('FETCH BACKWARD 1 FROM c'), /cursor can only scan forward/);
    assert.equal(parseClose('CLOSE "x"'), 'x');
    assert.equal(parseClose('CLOSE ALL'), undefined);
  });
});

describe('COPY … TO STDOUT', () => {
  test('the query, both option spellings, and what is refused', async () => {
    const csv = await parseCopy("COPY (SELECT ')' AS p FROM t) TO STDOUT WITH CSV HEADER DELIMITER ';'");
    assert.equal(csv.query, "SELECT ')' AS p FROM t");
    assert.equal(csv.format, 'csv');
    assert.equal(csv.header, true);
    assert.equal(csv.delimiter, ';');
    const binary = await parseCopy('COPY crm.t (a, "B") TO STDOUT (FORMAT binary)');
    assert.equal(binary.query, 'SELECT "a", "B" FROM "crm"."t"');
    assert.equal(binary.format, 'binary');
    const text = await parseCopy('COPY (SELECT 1) TO STDOUT');
    assert.deepEqual([text.format, text.delimiter, text.null], ['text', '\t', '\\N']);
    await assert.rejects(parseCopy('COPY t FROM STDIN'), /COPY FROM is not supported/);
    await assert.rejects(parseCopy("COPY t TO '/tmp/x'"), /COPY to a server file or program/);
    await assert.rejects(parseCopy("COPY t TO PROGRAM 'cat'"), /COPY to a server file or program/);
    await assert.rejects(
      parseCopy('COPY (SELECT 1) TO STDOUT (FORMAT xml)'),
      /COPY format "xml" not recognized/,
    );
  });
});

describe('binary Bind parameters', () => {
  test('numeric (pgjdbc BigDecimal), interval and int4[] decode; short values are 22P03, not a crash', () => {
    const array = Buffer.alloc(20 + 8 + 4);
    array.writeInt32BE(1, 0); // dimensions
    array.writeInt32BE(1, 4); // has NULLs
    array.writeInt32BE(23, 8); // int4
    array.writeInt32BE(2, 12); // size
    array.writeInt32BE(1, 16); // lower bound
    array.writeInt32BE(4, 20);
    array.writeInt32BE(7, 24);
    array.writeInt32BE(-1, 28);
    const interval = Buffer.alloc(16);
    interval.writeBigInt64BE(5_000_000n, 0);
    interval.writeInt32BE(3, 8);
    interval.writeInt32BE(14, 12);
    assert.deepEqual(decodeParameters([encodeNumeric('-12.50'), interval, array], [1], [1700, 1186, 1007]), [
      '-12.50',
      '1 year 2 mons 3 days 00:00:05',
      [7, null],
    ]);
    assert.throws(
      () => decodeParameters([Buffer.alloc(2)], [1], [23]),
      (e: Error & { details?: { sqlstate?: string } }) =>
        e.message === 'incorrect binary data format in bind parameter 1' && e.details?.sqlstate === '22P03',
    );
  });
});

describe('binary values of columns carried as text', () => {
  test('date, time, timestamp(tz), interval, uuid, jsonb in PostgreSQL binary from their text', () => {
    const hex = (oid: number, text: string) => textToBinary(oid)(text).toString('hex');
    assert.equal(hex(1082, '2000-01-02'), '00000001');
    assert.equal(hex(1082, '1999-12-31'), 'ffffffff');
    // date2j(1, 1, 1) − date2j(2000, 1, 1); 1 BC is year 0, the day before.
    assert.equal(textToBinary(1082)('0001-01-01').readInt32BE(0), -730119);
    assert.equal(textToBinary(1082)('0001-12-31 BC').readInt32BE(0), -730120);
    assert.equal(textToBinary(1083)('12:34:56.5').readBigInt64BE(0), 45_296_500_000n);
    assert.equal(textToBinary(1114)('2000-01-01 00:00:01.25').readBigInt64BE(0), 1_250_000n);
    // 03:00+02 is 01:00 UTC.
    assert.equal(textToBinary(1184)('2000-01-01 03:00:00+02').readBigInt64BE(0), 3_600_000_000n);
    assert.equal(textToBinary(1184)('infinity').readBigInt64BE(0), 9223372036854775807n);
    const interval = textToBinary(1186)('1 year 2 mons 3 days -04:05:06.5');
    assert.deepEqual(
      [interval.readBigInt64BE(0), interval.readInt32BE(8), interval.readInt32BE(12)],
      [-14_706_500_000n, 3, 14],
    );
    // DuckDB spells months out.
    assert.equal(textToBinary(1186)('2 months').readInt32BE(12), 2);
    assert.equal(hex(2950, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), 'a0eebc999c0b4ef8bb6d6bb9bd380a11');
    assert.equal(hex(3802, '{}'), '017b7d');
    assert.throws(() => textToBinary(1186)('soon'), /cannot send "soon" as binary interval/);
  });
});
