/**
 * Cases that need no fixture tables, run both against the emulator and, when
 * credentials are set, against a real Snowflake account.
 */
import assert from 'node:assert/strict';
import { type RecordBatch, SpokeError } from '@spoke/core';
import type { SnowflakeConnector } from '../src/index.js';

export const ctx = { queryId: 'test-query', roles: [] };

export async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

/** Rows as comparable JS values: bigint → string, bytes → hex, decimals → text, time/timestamps → raw microseconds. */
export function rowsOf(batches: readonly RecordBatch[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const b of batches) {
    for (let i = 0; i < b.numRows; i++) {
      rows.push(
        b.schema.fields.map((f, c) => {
          const child = b.getChildAt(c)!;
          if (!child.isValid(i)) return null;
          const typeId = f.type.typeId;
          if (typeId === 10 /* Timestamp */ || typeId === 9 /* Time */) {
            const data = child.data[0]!;
            return String((data.values as BigInt64Array)[i]);
          }
          const v = child.get(i);
          if (typeof v === 'bigint') return v.toString();
          if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
          if (typeId === 7 /* Decimal */)
            return decimalText(v as Uint32Array, (f.type as unknown as { scale: number }).scale);
          return v;
        }),
      );
    }
  }
  return rows;
}

function decimalText(words: Uint32Array, scale: number): string {
  let v = 0n;
  for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[w]!);
  v = BigInt.asIntN(128, v);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${text}` : text;
}

/** One statement and the Arrow types and rows it must give. */
export interface SharedCase {
  readonly name: string;
  readonly sql: string;
  readonly params?: readonly (string | number | bigint | boolean | null | Uint8Array)[];
  readonly types: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export const SHARED_CASES: readonly SharedCase[] = [
  {
    name: 'numbers keep every digit',
    sql: `SELECT CAST(? AS NUMBER(18,0)) AS "I", CAST(? AS NUMBER(38,0)) AS "BIG", CAST(? AS NUMBER(12,2)) AS "D", CAST(? AS FLOAT) AS "F"`,
    params: [9007199254740993n, '12345678901234567890123456789012345678', '-1234567890.25', 1.5],
    types: ['Int64', 'Decimal[38e0]', 'Decimal[12e+2]', 'Float64'],
    rows: [['9007199254740993', '12345678901234567890123456789012345678', '-1234567890.25', 1.5]],
  },
  {
    name: 'text, boolean, binary and NULL',
    sql: `SELECT CAST(? AS VARCHAR) AS "S", CAST(? AS BOOLEAN) AS "B", TO_BINARY(?, 'HEX') AS "BIN", CAST(NULL AS VARCHAR) AS "N"`,
    params: ["it's \\ ✓", true, new Uint8Array([0, 1, 255])],
    types: ['Utf8', 'Bool', 'Binary', 'Utf8'],
    rows: [["it's \\ ✓", true, '0001ff', null]],
  },
  {
    name: 'dates, times and timestamps to the microsecond',
    sql: `SELECT CAST(? AS DATE) AS "D", CAST(? AS TIME) AS "T", CAST(? AS TIMESTAMP_NTZ) AS "TS", CAST(? AS TIMESTAMP_TZ) AS "TZ"`,
    params: ['1969-07-20', '23:59:59.123456', '2024-02-29 13:14:15.123456', '2024-01-01 00:00:00.000001'],
    types: ['Date32<DAY>', 'Time64<MICROSECOND>', 'Timestamp<MICROSECOND>', 'Timestamp<MICROSECOND, UTC>'],
    rows: [
      [
        Date.UTC(1969, 6, 20),
        '86399123456',
        String(BigInt(Date.UTC(2024, 1, 29, 13, 14, 15)) * 1000n + 123456n),
        String(BigInt(Date.UTC(2024, 0, 1)) * 1000n + 1n),
      ],
    ],
  },
  {
    name: 'hostile strings are bound, never spliced',
    sql: `SELECT ? AS "A", ? AS "B", ? AS "C"`,
    params: ["'; DROP TABLE X; --", "\\'", '"\u2028`'],
    types: ['Utf8', 'Utf8', 'Utf8'],
    rows: [["'; DROP TABLE X; --", "\\'", '"\u2028`']],
  },
];

/** Runs every shared case. */
export async function runSharedCases(sf: SnowflakeConnector): Promise<void> {
  for (const c of SHARED_CASES) {
    const batches = await collect(
      sf.sql.execute(
        { sql: c.sql, params: c.params ?? [] },
        { signal: new AbortController().signal, context: ctx },
      ),
    );
    assert.deepEqual(
      batches[0]!.schema.fields.map((f) => String(f.type)),
      c.types,
      c.name,
    );
    assert.deepEqual(rowsOf(batches), c.rows, c.name);
  }
}

/** A statement waiting 20 s is cancelled through the driver within a few seconds. */
export async function runCancellation(sf: SnowflakeConnector): Promise<void> {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(new Error('user cancelled')), 1500);
  await assert.rejects(
    collect(
      sf.sql.execute(
        { sql: 'SELECT SYSTEM$WAIT(20) AS "W"', params: [] },
        { signal: controller.signal, context: ctx },
      ),
    ),
    (e) => SpokeError.isInstance(e) && e.code === 'QUERY_CANCELLED',
  );
  assert.ok(Date.now() - started < 10_000, 'cancelled promptly');
}
