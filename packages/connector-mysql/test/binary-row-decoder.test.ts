/**
 * The binary-protocol row reader (src/binary-row-decoder.ts) against a real
 * MariaDB: every mapped type on thousands of generated rows compared with
 * what MariaDB itself prints for the same rows (the `mariadb` client, values
 * as HEX where bytes matter), NULLs in every column, empty results, values
 * spanning several 16 MB protocol packets, backpressure, cancellation in the
 * middle of a stream, and MariaDB's own error codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  arrow,
  Ex,
  type Field,
  type RecordBatch,
  SpokeError,
  type SpokeTable,
  Types,
  toArrowType,
} from '@spoke/core';
import type { SqlColumn } from '@spoke/sdk';
import { type MariaDBServer, startMariaDB } from '../../../test/harness/mariadb-server.js';
import { connector, type MysqlConnector } from '../src/index.js';
import { mapMysqlType } from '../src/mysql-type-mapping.js';
import { collect, decimalText } from './arrow-test-values.js';

const ctx = { queryId: 'test', roles: [] };
const context = { sourceName: 'my', baseDir: process.cwd() };
const ROWS = 3000;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
const two = (n: number) => String(n).padStart(2, '0');

/** A date32 value as MariaDB prints it. */
function dateText(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** Microseconds since the epoch as MariaDB prints a DATETIME(`digits`). */
function dateTimeText(micros: bigint, digits: number): string {
  const frac = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const iso = new Date(Number((micros - frac) / 1000n)).toISOString();
  const f = digits ? `.${String(frac).padStart(6, '0').slice(0, digits)}` : '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${f}`;
}

/** Microseconds of a time of day as MariaDB prints a TIME(`digits`). */
function timeText(micros: bigint, digits: number): string {
  const us = Number(micros);
  const s = Math.floor(us / 1e6);
  const f = digits
    ? `.${String(us % 1e6)
        .padStart(6, '0')
        .slice(0, digits)}`
    : '';
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}${f}`;
}

/**
 * The generated table: every type the connector maps, values over each
 * type's range (dates from year 1 to 9800, timestamps past 2255 whose
 * microseconds pass 2^53, strings whose length prefix takes 1, 3 and 4
 * bytes, decimals on both the double and the 128-bit word path), and NULLs on
 * different rows in each column (rows with id % 97 = 0 are NULL throughout).
 */
const COLUMNS: readonly { name: string; type: string; value: string; printed?: string }[] = [
  { name: 'b', type: 'BOOLEAN', value: 'IF(seq % 11 = 0, 7, seq % 2)' },
  { name: 't', type: 'TINYINT', value: '(seq * 37) % 256 - 128' },
  { name: 'tu', type: 'TINYINT UNSIGNED', value: '(seq * 41) % 256' },
  { name: 's', type: 'SMALLINT', value: '(seq * 4099) % 65536 - 32768' },
  { name: 'su', type: 'SMALLINT UNSIGNED', value: '(seq * 4111) % 65536' },
  { name: 'm', type: 'MEDIUMINT', value: '(seq * 1048583) % 16777216 - 8388608' },
  { name: 'mu', type: 'MEDIUMINT UNSIGNED', value: '(seq * 1048601) % 16777216' },
  { name: 'i', type: 'INT', value: '(seq * 2147483629) % 4294967296 - 2147483648' },
  { name: 'iu', type: 'INT UNSIGNED', value: '(seq * 2147483587) % 4294967296' },
  { name: 'bi', type: 'BIGINT', value: 'CAST(seq * 3074457345618258 AS SIGNED) * IF(seq % 2, 1, -1)' },
  { name: 'bu', type: 'BIGINT UNSIGNED', value: 'CAST(seq AS UNSIGNED) * 6148914691236517' },
  { name: 'd', type: 'DECIMAL(20,4)', value: 'seq * 1234567.8912 * IF(seq % 3, 1, -1) / 7' },
  { name: 'd0', type: 'DECIMAL(10,0)', value: 'seq * 3333333 * IF(seq % 2, -1, 1)' },
  { name: 'ds', type: 'DECIMAL(6,5)', value: '(seq % 200000) / 100000 - 1' },
  {
    name: 'd38',
    type: 'DECIMAL(38,10)',
    value: 'seq * 12345678901234567890123.4567890123 * IF(seq % 2, -1, 1)',
  },
  { name: 'dbig', type: 'DECIMAL(50,2)', value: 'seq * 1234567890123456789012345678901234567.89' },
  { name: 'f', type: 'FLOAT', value: 'seq / 7 * IF(seq % 2, 1, -1)', printed: 'CAST(f AS DOUBLE)' },
  { name: 'db', type: 'DOUBLE', value: 'seq * PI() * POW(10, seq % 300 - 150)' },
  { name: 'bt', type: 'BIT(12)', value: 'seq % 4096', printed: 'bt + 0' },
  { name: 'b1', type: 'BIT(1)', value: 'seq % 2', printed: 'b1 + 0' },
  { name: 'b64', type: 'BIT(64)', value: '~CAST(seq AS UNSIGNED)', printed: 'b64 + 0' },
  { name: 'c', type: 'CHAR(5)', value: 'SUBSTR(MD5(seq), 1, 1 + seq % 5)' },
  { name: 'vc', type: 'VARCHAR(300)', value: "CONCAT('v', seq, REPEAT('é✓', seq % 60))" },
  { name: 'tx', type: 'TEXT', value: "REPEAT(CONCAT('✓', seq), seq % 40)" },
  { name: 'mt', type: 'MEDIUMTEXT', value: "IF(seq % 500 = 1, REPEAT('xé', 35000 + seq), 'short')" },
  {
    name: 'latin',
    type: 'VARCHAR(20) CHARACTER SET latin1',
    value: "CONCAT('café ', seq)",
    printed: 'HEX(CONVERT(latin USING utf8mb4))',
  },
  { name: 'bin', type: 'BINARY(3)', value: "UNHEX(LPAD(HEX(seq), 6, '0'))" },
  { name: 'vb', type: 'VARBINARY(10)', value: 'UNHEX(HEX(seq * 7919))' },
  { name: 'bl', type: 'BLOB', value: 'UNHEX(REPEAT(SHA2(seq, 256), seq % 9))' },
  { name: 'dt', type: 'DATE', value: "DATE('0001-01-01') + INTERVAL seq * 1200 DAY" },
  {
    name: 'dtm',
    type: 'DATETIME(6)',
    value:
      "TIMESTAMP('0001-01-01 00:00:00') + INTERVAL seq * 1190 DAY + INTERVAL seq * 7919 SECOND + INTERVAL seq * 13 MICROSECOND",
  },
  { name: 'dtm0', type: 'DATETIME', value: "TIMESTAMP('1900-01-01 00:00:00') + INTERVAL seq * 86399 SECOND" },
  {
    name: 'ts',
    type: 'TIMESTAMP(6) NULL',
    value: "TIMESTAMP('1970-01-01 00:00:01') + INTERVAL seq * 300007 SECOND + INTERVAL seq MICROSECOND",
  },
  { name: 'tm', type: 'TIME(6)', value: 'SEC_TO_TIME((seq * 2887) % 86400 + (seq % 1000000) / 1000000)' },
  { name: 'tm0', type: 'TIME', value: 'SEC_TO_TIME((seq * 2897) % 86400)' },
  { name: 'y', type: 'YEAR', value: '1901 + seq % 255' },
  { name: 'j', type: 'JSON', value: "JSON_OBJECT('n', seq, 's', REPEAT('é', seq % 3))" },
  { name: 'e', type: "ENUM('red','green')", value: "ELT(seq % 2 + 1, 'red', 'green')" },
  { name: 'st', type: "SET('a','b','c')", value: "MAKE_SET(seq % 8, 'a', 'b', 'c')" },
  { name: 'g', type: 'GEOMETRY', value: 'POINT(seq, -seq / 3)' },
];

/** Columns printed as HEX by the client (bytes compared exactly). */
const BYTES = new Set(['c', 'vc', 'tx', 'mt', 'bin', 'vb', 'bl', 'j', 'e', 'st', 'g']);

/** Value `r` of column `c` as stored: days for dates, microseconds for timestamps (`get()` converts those to milliseconds). */
function raw(batch: RecordBatch, c: number, r: number): unknown {
  const column = batch.getChildAt(c)!;
  if (!column.isValid(r)) return null;
  const t = column.type;
  if (arrow.DataType.isDate(t) || arrow.DataType.isTimestamp(t)) return column.data[0]!.values[r];
  return column.get(r);
}

/** One Arrow value rendered as the client prints the column. */
function printed(name: string, field: Field, v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (name === 'latin' || BYTES.has(name))
    return hex(typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Uint8Array));
  const t = field.type;
  if (arrow.DataType.isDecimal(t)) return decimalText(v as Uint32Array, t.scale);
  if (arrow.DataType.isBool(t)) return v ? 'true' : 'false';
  if (arrow.DataType.isDate(t)) return dateText(v as number);
  if (arrow.DataType.isTimestamp(t)) return dateTimeText(v as bigint, name === 'dtm0' ? 0 : 6);
  if (arrow.DataType.isTime(t)) return timeText(v as bigint, name === 'tm0' ? 0 : 6);
  return String(v);
}

/** The client's text for a column, normalised where MariaDB and JS print the same value differently. */
function normalised(name: string, text: string): string {
  if (text === 'NULL') return text;
  if (name === 'b') return text === '0' ? 'false' : 'true';
  if (name === 'b1') return text === '0' ? 'false' : 'true';
  if (name === 'f') return String(Math.fround(Number(text)));
  if (name === 'db') return String(Number(text));
  return text;
}

describe('binary-protocol row reader against MariaDB', { timeout: 180_000 }, () => {
  let server: MariaDBServer;
  let my: MysqlConnector;

  before(async () => {
    server = await startMariaDB({ settings: { 'max-allowed-packet': '128M' } });
    const nullWhen = (i: number) => `seq % 97 = 0 OR seq % ${13 + (i % 7)} = ${i % 5}`;
    server.sql(`
      CREATE TABLE everything (id INT PRIMARY KEY, ${COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')}) ENGINE=InnoDB;
      INSERT INTO everything SELECT seq, ${COLUMNS.map((c, i) => `IF(${nullWhen(i)}, NULL, ${c.value})`).join(', ')}
        FROM (SELECT CAST(seq AS SIGNED) AS seq FROM seq_1_to_${ROWS}) q;
      INSERT INTO everything (id, b, t, tu, s, su, m, mu, i, iu, bi, bu, d, d0, ds, d38, dbig, f, db, bt, b1, b64, dt, dtm, dtm0, ts, tm, tm0, y)
        VALUES (${ROWS + 1}, 1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
          -9223372036854775808, 18446744073709551615, -9999999999999999.9999, -9999999999, -0.00001,
          -9999999999999999999999999999.9999999999, 999999999999999999999999999999999999999999999999.99,
          -3.4028234e38, -1.7976931348623157e308, b'111111111111', b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
          '9999-12-31', '9999-12-31 23:59:59.999999', '1000-01-01 00:00:00', '2038-01-19 03:14:07.999999', '23:59:59.999999', '00:00:00', 2155),
        (${ROWS + 2}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'0', b'0', b'0',
          '1970-01-01', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00', '1970-01-01 00:00:01', '00:00:00.000001', '12:00:00', 1901);
      CREATE TABLE empty (id INT, name VARCHAR(10), at DATETIME(6));
      CREATE TABLE wide (id INT PRIMARY KEY, name VARCHAR(200));
      INSERT INTO wide SELECT seq, REPEAT(CONCAT('row ', seq), 10) FROM seq_1_to_300000;
    `);
    my = (await connector.create(
      { url: server.url, poolSize: 3, batchRows: 1000 },
      context,
    )) as MysqlConnector;
  });

  after(async () => {
    await my?.close();
    await server?.close();
  });

  const table = async (name: string): Promise<SpokeTable> => {
    const t = await my.catalog.getTable('spoke', name);
    assert.ok(t, `table ${name}`);
    return t;
  };

  test('every mapped type, NULLs included, equals what MariaDB prints for the same rows', async () => {
    const t = await table('everything');
    const schema = await t.schema();
    const names = schema.fields.map((f) => f.name);
    const batches = await collect(
      t.scan({ projection: names, filters: [], signal: new AbortController().signal, context: ctx }),
    );
    assert.ok(batches.length > 2, 'several batches');
    const actual: string[][] = [];
    for (const batch of batches) {
      for (let r = 0; r < batch.numRows; r++) {
        actual.push(
          batch.schema.fields.map((f, c) =>
            f.name === 'id' ? String(raw(batch, c, r)) : printed(f.name, f, raw(batch, c, r)),
          ),
        );
      }
    }
    actual.sort((a, b) => Number(a[0]) - Number(b[0]));
    const select = names
      .map((n) => {
        const c = COLUMNS.find((x) => x.name === n);
        return c?.printed ?? (BYTES.has(n) ? `HEX(${n})` : n);
      })
      .join(', ');
    const expected = server
      .sql(`SELECT ${select} FROM everything ORDER BY id`)
      .trimEnd()
      .split('\n')
      .map((line) => line.split('\t').map((text, c) => normalised(names[c]!, text)));
    assert.equal(actual.length, ROWS + 2);
    assert.equal(expected.length, ROWS + 2);
    for (let r = 0; r < expected.length; r++) {
      for (let c = 0; c < names.length; c++) {
        if (actual[r]![c] !== expected[r]![c]) {
          assert.fail(
            `row ${expected[r]![0]}, column ${names[c]}: read ${actual[r]![c]}, MariaDB prints ${expected[r]![c]}`,
          );
        }
      }
    }
    const nulls = schema.fields.map((_, c) => batches.reduce((n, b) => n + b.getChildAt(c)!.nullCount, 0));
    assert.ok(
      nulls.slice(1).every((n) => n > ROWS / 40),
      'every column has NULLs',
    );
  });

  test('an empty result is one empty batch with the schema; a filter matching nothing too', async () => {
    for (const [name, filters] of [
      ['empty', []],
      ['everything', [Ex.cmp('<', Ex.col('id'), Ex.lit(0, Types.int32))]],
    ] as const) {
      const t = await table(name);
      const schema = await t.schema();
      const batches = await collect(
        t.scan({
          projection: schema.fields.map((f) => f.name),
          filters: filters as never,
          signal: new AbortController().signal,
          context: ctx,
        }),
      );
      assert.equal(batches.length, 1, name);
      assert.equal(batches[0]!.numRows, 0);
      assert.deepEqual(
        batches[0]!.schema.fields.map((f) => String(f.type)),
        schema.fields.map((f) => String(f.type)),
      );
    }
    // A statement with no result set at all: no batch, and the connection stays usable.
    const none = await collect(
      my.executeSql({ sql: 'DO 1', params: [] }, { signal: new AbortController().signal, context: ctx }),
    );
    assert.equal(none.length, 0);
    const after = await collect(
      my.executeSql(
        { sql: 'SELECT 42 AS n', params: [] },
        { signal: new AbortController().signal, context: ctx },
      ),
    );
    assert.equal(after[0]!.getChildAt(0)!.get(0), 42);
  });

  test('values larger than a 16 MB protocol packet arrive whole, and the values after them too', async () => {
    server.sql(`
      CREATE TABLE huge (id INT PRIMARY KEY, txt LONGTEXT, bl LONGBLOB, tail VARCHAR(10));
      INSERT INTO huge VALUES (1, REPEAT('é✓x', 3500000), REPEAT(UNHEX('00FF10'), 7000000), 'after'),
        (2, 'small', NULL, 'two'), (3, REPEAT('a', 16777215), UNHEX('AB'), 'three');
    `);
    const t = await table('huge');
    const batches = await collect(
      t.scan({
        projection: ['id', 'txt', 'bl', 'tail'],
        filters: [],
        orderBy: [{ expr: Ex.col('id'), direction: 'asc', nulls: 'last' }],
        signal: new AbortController().signal,
        context: ctx,
      }),
    );
    const rows = batches.flatMap((b) => [...b].map((r) => r.toArray()));
    assert.equal(rows.length, 3);
    assert.equal(rows[0]![1], 'é✓x'.repeat(3_500_000), '21 MB of text over two packets');
    assert.ok(
      Buffer.from(rows[0]![2] as Uint8Array).equals(Buffer.alloc(21_000_000, Buffer.from([0, 0xff, 0x10]))),
    );
    assert.equal(rows[0]![3], 'after');
    assert.deepEqual(rows[1]!.slice(1), ['small', null, 'two']);
    assert.equal((rows[2]![1] as string).length, 16_777_215);
    assert.deepEqual([hex(rows[2]![2] as Uint8Array), rows[2]![3]], ['AB', 'three']);
  });

  test('columns the server sends as another type than mapped are read through the type mapping', async () => {
    // As if the table had changed since it was described: each target type read from a different wire type.
    const column = (name: string, dataType: string, columnType = dataType): SqlColumn => {
      const mapping = mapMysqlType({
        dataType,
        columnType,
        numericPrecision: dataType === 'decimal' ? 30 : null,
        numericScale: dataType === 'decimal' ? 2 : null,
        characterSet: null,
      });
      return {
        name,
        field: new arrow.Field(name, toArrowType(mapping.type), true),
        sourceType: columnType,
        native: { mapping, isString: false, characterSet: null },
      };
    };
    const columns = [
      column('t', 'bigint'),
      column('s', 'bigint'),
      column('m', 'bigint'),
      column('y', 'int'),
      column('f', 'double'),
      column('db', 'decimal'),
      column('dtm0', 'date'),
      column('vb', 'varchar'),
    ];
    const batches = await collect(
      my.executeSql(
        {
          sql: `SELECT t, s, m, y, f, CAST(s AS DOUBLE) / 4, dtm0, vb FROM everything WHERE id BETWEEN 1 AND 60 ORDER BY id`,
          params: [],
        },
        { signal: new AbortController().signal, context: ctx, columns },
      ),
    );
    const got = batches.flatMap((b) =>
      Array.from({ length: b.numRows }, (_, r) =>
        b.schema.fields.map((_f, c) => {
          const v = raw(b, c, r);
          if (v === null) return 'NULL';
          if (c === 4) return String(Math.fround(v as number));
          if (c === 5) return String(Number(decimalText(v as Uint32Array, 2)));
          if (c === 6) return dateText(v as number);
          if (c === 7) return hex(Buffer.from(v as string, 'utf8'));
          return String(v);
        }),
      ),
    );
    const expected = server
      .sql(
        `SELECT t, s, m, y, CAST(f AS DOUBLE), CAST(s AS DOUBLE) / 4, DATE(dtm0), HEX(vb) FROM everything WHERE id BETWEEN 1 AND 60 ORDER BY id`,
      )
      .trimEnd()
      .split('\n')
      .map((l) =>
        l
          .split('\t')
          .map((v, c) =>
            v === 'NULL' ? v : c === 4 ? String(Math.fround(Number(v))) : c === 5 ? String(Number(v)) : v,
          ),
      );
    assert.equal(String(batches[0]!.schema.fields[0]!.type), 'Int64');
    // vb holds bytes that are valid UTF-8 (digits' bytes) except where they are not: compare only the valid ones.
    assert.deepEqual(
      got.map((r) => r.slice(0, 7)),
      expected.map((r) => r.slice(0, 7)),
    );
    const validUtf8 = expected
      .map((r) => r[7]!)
      .filter(
        (h) =>
          h !== 'NULL' && Buffer.from(Buffer.from(h, 'hex').toString('utf8')).equals(Buffer.from(h, 'hex')),
      );
    assert.ok(validUtf8.length > 5);
    for (const h of validUtf8)
      assert.ok(
        got.some((r) => r[7] === h),
        h,
      );
  });

  test('a TIME outside a day fails the scan with SOURCE_ERROR, and the pool stays usable', async () => {
    server.sql(`CREATE TABLE times (id INT PRIMARY KEY, tm TIME(3)); INSERT INTO times SELECT seq, '12:00:00' FROM seq_1_to_5000;
      INSERT INTO times VALUES (5001, '-838:59:59.5');`);
    const t = await table('times');
    await assert.rejects(
      collect(
        t.scan({ projection: ['id', 'tm'], filters: [], signal: new AbortController().signal, context: ctx }),
      ),
      (e) =>
        SpokeError.isInstance(e) &&
        e.code === 'SOURCE_ERROR' &&
        e.message.includes('-838:59:59.500000 is not a time of day'),
    );
    const again = await collect(
      my.executeSql(
        { sql: 'SELECT COUNT(*) AS n FROM times', params: [] },
        { signal: new AbortController().signal, context: ctx },
      ),
    );
    assert.equal(again[0]!.getChildAt(0)!.get(0), 5001n);
  });

  test('MariaDB errors keep its code and SQLSTATE', async () => {
    await assert.rejects(
      collect(
        my.executeSql(
          { sql: 'SELECT id FROM no_such_table', params: [] },
          { signal: new AbortController().signal, context: ctx },
        ),
      ),
      (e) => {
        const cause = (e as { cause?: { errno?: number; sqlState?: string } }).cause;
        return (
          SpokeError.isInstance(e) &&
          e.code === 'SOURCE_ERROR' &&
          /doesn't exist/.test(e.message) &&
          cause?.errno === 1146 &&
          cause.sqlState === '42S02'
        );
      },
    );
    // An error after rows have been sent: a statement time limit hit in the middle of a scan.
    const limited = (await connector.create(
      { url: server.url, poolSize: 1, queryTimeoutMs: 200 },
      context,
    )) as MysqlConnector;
    try {
      await assert.rejects(
        collect(
          limited.executeSql(
            { sql: 'SELECT w.id, SLEEP(0.01) FROM wide w WHERE id <= 100', params: [] },
            { signal: new AbortController().signal, context: ctx },
          ),
        ),
        (e) =>
          SpokeError.isInstance(e) &&
          e.code === 'QUERY_TIMEOUT' &&
          (e.cause as { errno?: number }).errno === 1969,
      );
    } finally {
      await limited.close();
    }
  });

  test('backpressure: a consumer that stops pulling holds the server statement, not the whole result', async () => {
    const t = await table('wide');
    const iterator = t
      .scan({ projection: ['id', 'name'], filters: [], signal: new AbortController().signal, context: ctx })
      [Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.value.numRows, 1000);
    await new Promise((r) => setTimeout(r, 500));
    // 300,000 rows of ~100 bytes (30 MB) cannot all sit in socket buffers: the server is still sending.
    const running = server
      .sql(
        `SELECT COUNT(*) FROM information_schema.processlist WHERE INFO LIKE 'SELECT \`id\`, \`name\` FROM \`spoke\`.\`wide\`%'`,
      )
      .trim();
    assert.equal(running, '1', 'the statement waits for the consumer');
    let rows = first.value.numRows;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      rows += next.value.numRows;
    assert.equal(rows, 300_000);
  });

  test('cancelling in the middle of a stream kills the statement; the pool is not left with a broken connection', async () => {
    const t = await table('wide');
    const controller = new AbortController();
    let rows = 0;
    await assert.rejects(
      (async () => {
        for await (const batch of t.scan({
          projection: ['id', 'name'],
          filters: [],
          signal: controller.signal,
          context: ctx,
        })) {
          rows += batch.numRows;
          if (rows === 3000) controller.abort(new Error('user cancelled'));
          // A consumer slower than the server (2 ms a batch: 300 batches would take 600 ms), so the statement is
          // still running when the cancel lands.
          await new Promise((r) => setTimeout(r, 2));
        }
      })(),
      (e) => SpokeError.isInstance(e) && e.code === 'QUERY_CANCELLED',
    );
    assert.ok(rows < 300_000, 'stopped before the end');
    const running = server
      .sql(
        `SELECT COUNT(*) FROM information_schema.processlist WHERE INFO LIKE 'SELECT \`id\`, \`name\` FROM \`spoke\`.\`wide\`%'`,
      )
      .trim();
    assert.equal(running, '0');
    // Every pooled connection answers correctly afterwards.
    const answers = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (n) => {
        const b = await collect(
          my.executeSql(
            { sql: 'SELECT name FROM wide WHERE id = ?', params: [n] },
            { signal: new AbortController().signal, context: ctx },
          ),
        );
        return b[0]!.getChildAt(0)!.get(0);
      }),
    );
    assert.deepEqual(
      answers,
      [1, 2, 3, 4, 5, 6].map((n) => `row ${n}`.repeat(10)),
    );
  });
});
