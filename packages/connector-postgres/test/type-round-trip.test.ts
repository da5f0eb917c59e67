/**
 * Every mapped PostgreSQL type, through both read paths (binary COPY and the
 * cursor), with NULLs, extremes, NaN/±Infinity and time zones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type PostgresServer, startPostgres } from '../../../test/harness/index.js';
import { PostgresConnector, parsePostgresOptions } from '../src/index.js';
import { collect, context, rowsOf } from './helpers.js';

const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
const day = (iso: string) => Date.parse(iso) / 86_400_000;

/** [type, SQL literals, expected values (same order), expected Arrow type]. */
const CASES: [string, string[], unknown[], string][] = [
  ['int2', ['-32768', '32767', 'NULL'], [-32768, 32767, null], 'Int16'],
  ['int4', ['-2147483648', '2147483647', 'NULL'], [-2147483648, 2147483647, null], 'Int32'],
  [
    'int8',
    ['-9223372036854775808', '9223372036854775807', '0'],
    [-9223372036854775808n, 9223372036854775807n, 0n],
    'Int64',
  ],
  [
    'float4',
    ["'NaN'", "'Infinity'", "'-Infinity'", '1.5', '-0.25'],
    [Number.NaN, Infinity, -Infinity, 1.5, -0.25],
    'Float32',
  ],
  [
    'float8',
    ["'NaN'", "'Infinity'", "'-Infinity'", '1e308', '5e-324', 'NULL'],
    [Number.NaN, Infinity, -Infinity, 1e308, 5e-324, null],
    'Float64',
  ],
  [
    'numeric(38,10)',
    [
      '-1234567890123456789012345678.1234567890',
      '0',
      '0.0000000001',
      '9999999999999999999999999999.9999999999',
    ],
    ['-12345678901234567890123456781234567890', '0', '1', '99999999999999999999999999999999999999'],
    'Decimal[38e+10]',
  ],
  ['numeric(5,2)', ['123.45', '-0.01', "'NaN'", 'NULL'], ['12345', '-1', null, null], 'Decimal[5e+2]'],
  [
    'numeric',
    ['1e-30', '-123456789012345678901234567890.5', "'NaN'", "'Infinity'"],
    ['0.000000000000000000000000000001', '-123456789012345678901234567890.5', 'NaN', 'Infinity'],
    'Utf8',
  ],
  ['bool', ['true', 'false', 'NULL'], [true, false, null], 'Bool'],
  [
    'text',
    ["'héllo 🌍'", "''", "E'a\\\\b''c\"d;--'", 'NULL'],
    ['héllo 🌍', '', 'a\\b\'c"d;--', null],
    'Utf8',
  ],
  ['varchar(5)', ["'abc'"], ['abc'], 'Utf8'],
  // character(n) reads as its text cast does: PostgreSQL's padding is not significant.
  ['char(4)', ["'ab'"], ['ab'], 'Utf8'],
  ['name', ["'pg_class'"], ['pg_class'], 'Utf8'],
  ['"char"', ["'x'"], ['x'], 'Utf8'],
  ['bytea', ["'\\x00ff10'", "''", 'NULL'], ['00ff10', '', null], 'Binary'],
  [
    'date',
    ["'2020-02-29'", "'1970-01-01'", "'0001-01-01'", "'infinity'", "'-infinity'"],
    [day('2020-02-29'), 0, day('0001-01-01T00:00:00Z'), 2147483647, -2147483648],
    'Date32<DAY>',
  ],
  [
    'time',
    ["'00:00:00'", "'23:59:59.999999'", "'24:00:00'"],
    [0n, 86399999999n, 86400000000n],
    'Time64<MICROSECOND>',
  ],
  ['timetz', ["'04:05:06.5+02'", "'23:00:00-08:30'"], ['04:05:06.5+02', '23:00:00-08:30'], 'Utf8'],
  [
    'timestamp',
    [
      "'2020-01-01 00:00:00.000001'",
      "'1999-12-31 23:59:59.999999'",
      "'1900-01-01 00:00:00'",
      "'infinity'",
      "'-infinity'",
    ],
    [
      us('2020-01-01T00:00:00Z') + 1n,
      us('1999-12-31T23:59:59Z') + 999999n,
      us('1900-01-01T00:00:00Z'),
      9223372036854775807n,
      -9223372036854775808n,
    ],
    'Timestamp<MICROSECOND>',
  ],
  [
    'timestamptz',
    ["'2020-06-01 12:00:00.123456+02'", "'2020-01-01 00:00:00 America/New_York'", "'1970-01-01 00:00:00+00'"],
    [us('2020-06-01T10:00:00Z') + 123456n, us('2020-01-01T05:00:00Z'), 0n],
    'Timestamp<MICROSECOND, UTC>',
  ],
  [
    'interval',
    ["'1 year 2 mons 3 days 04:05:06.789'", "'-1 day'", "'0'"],
    ['1 year 2 mons 3 days 04:05:06.789', '-1 days', '00:00:00'],
    'Utf8',
  ],
  ['uuid', ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"], ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'], 'Utf8'],
  ['json', [`'{"b": [1, 2], "a": null}'`], ['{"b": [1, 2], "a": null}'], 'Utf8'],
  ['jsonb', [`'{"b": [1, 2], "a": null}'`], ['{"a": null, "b": [1, 2]}'], 'Utf8'],
  [
    'int4[]',
    ["'{1,NULL,3}'", "'{}'", "'{{1,2},{3,4}}'", 'NULL'],
    [[1, null, 3], [], [1, 2, 3, 4], null],
    'List<Int32>',
  ],
  ['text[]', [`'{"a,b","q\\"uote",NULL}'`], [['a,b', 'q"uote', null]], 'List<Utf8>'],
  ['float8[]', ["'{NaN,Infinity,1.5}'"], [[Number.NaN, Infinity, 1.5]], 'List<Float64>'],
  [
    'timestamptz[]',
    ['\'{"2020-01-01 00:00:00+00"}\''],
    [[us('2020-01-01T00:00:00Z')]],
    'List<Timestamp<MICROSECOND, UTC>>',
  ],
  ['numeric(10,2)[]', ["'{1.5,-2.25}'"], [['150', '-225']], 'List<Decimal[10e+2]>'],
  [
    'uuid[]',
    ["'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'"],
    [['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
    'List<Utf8>',
  ],
  ['mood', ["'happy'", "'sad'"], ['happy', 'sad'], 'Utf8'],
  ['mood[]', ["'{happy,sad}'"], [['happy', 'sad']], 'List<Utf8>'],
  ['posint', ['7'], [7], 'Int32'],
  ['inet', ["'192.168.0.1/24'", "'::1'"], ['192.168.0.1/24', '::1/128'], 'Utf8'], // text(inet) always shows the mask
  ['cidr', ["'10.0.0.0/8'"], ['10.0.0.0/8'], 'Utf8'],
  ['macaddr', ["'08:00:2b:01:02:03'"], ['08:00:2b:01:02:03'], 'Utf8'],
  ['money', ["'12.34'", "'-0.01'"], ['1234', '-1'], 'Decimal[19e+2]'],
  ['oid', ['4294967295', '0'], [4294967295, 0], 'Uint32'],
  ['point', ["'(1,2)'"], ['(1,2)'], 'Utf8'],
  ['tsvector', ["'a fat cat'"], ["'a' 'cat' 'fat'"], 'Utf8'],
];

let server: PostgresServer;
const connectors: Record<string, PostgresConnector> = {};

before(async () => {
  server = await startPostgres();
  const ddl = ["CREATE TYPE mood AS ENUM ('happy', 'sad')", 'CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)'];
  CASES.forEach(([type, literals], i) => {
    ddl.push(`CREATE TABLE rt_${i} (k int4, v ${type})`);
    ddl.push(`INSERT INTO rt_${i} VALUES ${literals.map((l, k) => `(${k}, ${l})`).join(', ')}`);
  });
  server.psql(`${ddl.join(';\n')};`);
  for (const copy of [true, false]) {
    connectors[copy ? 'copy' : 'cursor'] = new PostgresConnector(
      parsePostgresOptions({ url: server.url, copy }, { sourceName: 'pg' }),
      {
        sourceName: 'pg',
      },
    );
  }
});

after(async () => {
  for (const c of Object.values(connectors)) await c.close();
  await server?.close();
});

for (const path of ['copy', 'cursor']) {
  describe(`type round trip (${path})`, () => {
    CASES.forEach(([type, , expected, arrowType], i) => {
      test(type, { timeout: 20_000 }, async () => {
        const c = connectors[path]!;
        const table = await c.catalog.getTable('public', `rt_${i}`);
        assert.ok(table);
        const schema = await table.schema();
        assert.equal(String(schema.fields[1]!.type), arrowType);
        const signal = new AbortController().signal;
        const scanned = rowsOf(
          await collect(table.scan({ projection: ['v'], filters: [], orderBy: [], signal, context })),
        );
        // Order by k through a whole sub-query, which also exercises describe + text casts.
        const executed = rowsOf(
          await collect(
            c.sql!.execute({ sql: `SELECT v FROM rt_${i} ORDER BY k`, params: [] }, { signal, context }),
          ),
        );
        assert.deepEqual(
          executed.map((r) => r[0]),
          expected,
        );
        assert.deepEqual(
          new Set(scanned.map((r) => JSON.stringify(r[0], big))),
          new Set(expected.map((e) => JSON.stringify(e, big))),
        );
      });
    });
  });
}

function big(_key: string, value: unknown) {
  return typeof value === 'bigint' ? `${value}n` : value;
}
