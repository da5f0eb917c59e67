/**
 * Parameter values a client binds to a prepared statement with DoPut: one
 * Arrow row, column i for `$i+1`, turned into the engine's ScalarValues.
 */
import { arrow, ErrorCode, type ScalarValue, SpokeError, type Table } from '@spoke/core';

type Data = InstanceType<typeof arrow.Data>;

const MS_PER_DAY = 86_400_000;

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` from microseconds since the epoch (UTC). */
function timestampText(micros: bigint): string {
  const seconds = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
  const fraction = micros - seconds * 1_000_000n;
  const date = new Date(Number(seconds) * 1000);
  const text = date.toISOString().slice(0, 19).replace('T', ' ');
  return fraction === 0n ? text : `${text}.${pad(fraction, 6)}`;
}

const MICROS_PER_UNIT = [1_000_000n, 1_000n, 1n, 0n]; // SECOND, MILLISECOND, MICROSECOND, NANOSECOND (divide)

function toMicros(value: bigint, unit: number): bigint {
  return unit === arrow.TimeUnit.NANOSECOND ? value / 1_000n : value * MICROS_PER_UNIT[unit]!;
}

/** `-12.50` from the unscaled integer and the scale. */
function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

function scalar(data: Data, index: number): ScalarValue {
  const vector = arrow.makeVector(data);
  if (!vector.isValid(index)) return null;
  const type = data.type as unknown as Record<string, unknown> & { typeId: number };
  const t = arrow.Type;
  switch (type.typeId) {
    case t.Null:
      return null;
    case t.Bool:
    case t.Float:
    case t.Utf8:
    case t.LargeUtf8:
      return vector.get(index) as ScalarValue;
    case t.Int: {
      const value = vector.get(index) as number | bigint;
      return (type.bitWidth as number) === 64 ? BigInt(value) : Number(value);
    }
    case t.Binary:
    case t.LargeBinary:
    case t.FixedSizeBinary:
      return Uint8Array.from(vector.get(index) as Uint8Array);
    case t.Decimal: {
      const stride = (type.bitWidth as number) / 32;
      const words = data.values as unknown as Uint32Array;
      let value = 0n;
      const base = (data.offset + index) * stride;
      for (let w = stride - 1; w >= 0; w--) value = (value << 32n) | BigInt(words[base + w]!);
      if (words[base + stride - 1]! & 0x80000000) value -= 1n << BigInt(stride * 32);
      return decimalText(value, type.scale as number);
    }
    case t.Date:
      return new Date(Math.floor(Number(vector.get(index)) / MS_PER_DAY) * MS_PER_DAY)
        .toISOString()
        .slice(0, 10);
    case t.Timestamp: {
      const raw = (data.values as unknown as BigInt64Array)[data.offset + index]!;
      return timestampText(toMicros(BigInt(raw), type.unit as number));
    }
    case t.Dictionary: {
      // Clients building parameters from strings often dictionary-encode them; the value is what counts.
      const value = vector.get(index) as unknown;
      if (['string', 'number', 'boolean', 'bigint'].includes(typeof value)) return value as ScalarValue;
      break;
    }
  }
  throw new SpokeError(
    ErrorCode.UNSUPPORTED,
    `parameters of Arrow type ${String(data.type)} are not supported; send them as text`,
  );
}

/**
 * The values of the one row in `table`. Several rows would mean several
 * executions, which a query cannot return as one result: refused.
 */
export function boundParameters(table: Table, expected: number): ScalarValue[] {
  if (table.numRows === 0) return [];
  if (table.numRows > 1)
    throw new SpokeError(
      ErrorCode.UNSUPPORTED,
      `bind one row of parameters to a query (got ${table.numRows})`,
    );
  if (table.numCols !== expected)
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `the statement has ${expected} parameter(s); ${table.numCols} value(s) were bound`,
    );
  const batch = table.batches.find((b) => b.numRows > 0)!;
  return batch.data.children.map((child) => scalar(child as Data, 0));
}
