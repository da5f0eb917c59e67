/**
 * Plain-object descriptions of value types, used by the expression IR.
 *
 * Why not Arrow `DataType` instances: IR trees are logged, compared, sent to
 * other processes and built by connectors that may hold another copy of
 * `apache-arrow`; plain objects survive all of that. {@link toArrowType} and
 * {@link fromArrowType} convert at the edges.
 */

import type { DataType } from './arrow.js';
import { arrow } from './arrow.js';

/** A value type. Time-like types are in microseconds, as PostgreSQL stores them. */
export type ScalarType =
  | { readonly id: 'null' }
  | { readonly id: 'bool' }
  | { readonly id: 'int8' | 'int16' | 'int32' | 'int64' }
  | { readonly id: 'uint8' | 'uint16' | 'uint32' | 'uint64' }
  | { readonly id: 'float32' | 'float64' }
  | { readonly id: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly id: 'utf8' }
  | { readonly id: 'binary' }
  | { readonly id: 'date' }
  | { readonly id: 'time' }
  /** `timezone` set (always `'UTC'` in Spoke) means an instant, like `timestamptz`. */
  | { readonly id: 'timestamp'; readonly timezone?: string }
  /** Carried in Arrow as text (`1 year 2 mons 3 days 04:05:06`): arrow-js 18.1 mis-encodes MONTH_DAY_NANO. */
  | { readonly id: 'interval' }
  | { readonly id: 'list'; readonly item: ScalarType };

/** The identifier of a {@link ScalarType}. */
export type ScalarTypeId = ScalarType['id'];

/**
 * A literal value. How each type is carried in JavaScript:
 *
 * | type | JS value |
 * | --- | --- |
 * | bool | `boolean` |
 * | int8…int32, uint8…uint32, float32/64 | `number` |
 * | int64, uint64 | `bigint` (a `number` is accepted) |
 * | decimal | `string`, e.g. `"-12.50"` (exact) |
 * | utf8, interval | `string` |
 * | binary | `Uint8Array` |
 * | date | `string` `YYYY-MM-DD` |
 * | time | `string` `HH:MM:SS[.ffffff]` |
 * | timestamp | `string` `YYYY-MM-DD HH:MM:SS[.ffffff]`, in UTC when the type has a time zone |
 * | list | an array of these |
 * | null | `null` |
 */
export type ScalarValue = null | boolean | number | bigint | string | Uint8Array | readonly ScalarValue[];

/** Shorthands for the common types. */
export const Types = {
  null: { id: 'null' },
  bool: { id: 'bool' },
  int16: { id: 'int16' },
  int32: { id: 'int32' },
  int64: { id: 'int64' },
  float32: { id: 'float32' },
  float64: { id: 'float64' },
  utf8: { id: 'utf8' },
  binary: { id: 'binary' },
  date: { id: 'date' },
  time: { id: 'time' },
  timestamp: { id: 'timestamp' },
  timestamptz: { id: 'timestamp', timezone: 'UTC' },
  interval: { id: 'interval' },
  decimal: (precision: number, scale: number): ScalarType => ({ id: 'decimal', precision, scale }),
  list: (item: ScalarType): ScalarType => ({ id: 'list', item }),
} as const satisfies Record<string, ScalarType | ((...args: never[]) => ScalarType)>;

/** Converts a {@link ScalarType} to the Arrow type Spoke uses for it. */
export function toArrowType(type: ScalarType): DataType {
  switch (type.id) {
    case 'null':
      return new arrow.Null();
    case 'bool':
      return new arrow.Bool();
    case 'int8':
      return new arrow.Int8();
    case 'int16':
      return new arrow.Int16();
    case 'int32':
      return new arrow.Int32();
    case 'int64':
      return new arrow.Int64();
    case 'uint8':
      return new arrow.Uint8();
    case 'uint16':
      return new arrow.Uint16();
    case 'uint32':
      return new arrow.Uint32();
    case 'uint64':
      return new arrow.Uint64();
    case 'float32':
      return new arrow.Float32();
    case 'float64':
      return new arrow.Float64();
    case 'decimal':
      return new arrow.Decimal(type.scale, type.precision, 128);
    case 'utf8':
      return new arrow.Utf8();
    case 'binary':
      return new arrow.Binary();
    case 'date':
      return new arrow.DateDay();
    case 'time':
      return new arrow.TimeMicrosecond();
    case 'timestamp':
      return new arrow.TimestampMicrosecond(type.timezone ?? null);
    case 'interval':
      // arrow-js 18.1 reads and writes MONTH_DAY_NANO intervals as 8 bytes
      // instead of 16, so intervals travel as PostgreSQL-style text.
      return new arrow.Utf8();
    case 'list':
      return new arrow.List(new arrow.Field('item', toArrowType(type.item), true));
  }
}

/**
 * Describes an Arrow type as a {@link ScalarType}; `undefined` for types the IR
 * has no literal form for (structs, maps, unions, fixed-size lists…).
 */
export function fromArrowType(type: DataType): ScalarType | undefined {
  const t = arrow.Type;
  switch (type.typeId) {
    case t.Null:
      return { id: 'null' };
    case t.Bool:
      return { id: 'bool' };
    case t.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: 8 | 16 | 32 | 64; isSigned: boolean };
      return { id: `${isSigned ? 'int' : 'uint'}${bitWidth}` } as ScalarType;
    }
    case t.Float: {
      const { precision } = type as unknown as { precision: number };
      return {
        id:
          precision === arrow.Precision.SINGLE || precision === arrow.Precision.HALF ? 'float32' : 'float64',
      };
    }
    case t.Decimal: {
      const { precision, scale } = type as unknown as { precision: number; scale: number };
      return { id: 'decimal', precision, scale };
    }
    case t.Utf8:
    case t.LargeUtf8:
      return { id: 'utf8' };
    case t.Binary:
    case t.LargeBinary:
    case t.FixedSizeBinary:
      return { id: 'binary' };
    case t.Date:
      return { id: 'date' };
    case t.Time:
      return { id: 'time' };
    case t.Timestamp: {
      const { timezone } = type as unknown as { timezone: string | null };
      return timezone ? { id: 'timestamp', timezone } : { id: 'timestamp' };
    }
    case t.Interval:
      return { id: 'interval' };
    case t.List: {
      const child = (type as unknown as { children: { type: DataType }[] }).children[0];
      const item = child ? fromArrowType(child.type) : undefined;
      return item ? { id: 'list', item } : undefined;
    }
    default:
      return undefined;
  }
}

/** A readable name for a type, as used in errors and EXPLAIN (`decimal(12,2)`, `timestamp with time zone`). */
export function formatScalarType(type: ScalarType): string {
  switch (type.id) {
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'timestamp':
      return type.timezone ? 'timestamp with time zone' : 'timestamp';
    case 'list':
      return `${formatScalarType(type.item)}[]`;
    default:
      return type.id;
  }
}
