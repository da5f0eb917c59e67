import type {
  DuckDBBlobValue,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  DuckDBValue,
  DuckDBVector,
} from '@duckdb/node-api';
import { arrow, ErrorCode, type RecordBatch, type ScalarType, type Schema, SpokeError } from '@spoke/core';
import type { Data } from 'apache-arrow';

/**
 * Converts one DuckDB result chunk to an Arrow record batch with `schema`
 * (whose fields are the chunk's columns, in order, typed by
 * `mapDuckDBType`). Values are written straight into Arrow buffers; the
 * scan's SQL has already cast every column to a type handled here.
 */
export function chunkToBatch(
  chunk: DuckDBDataChunk,
  schema: Schema,
  types: readonly ScalarType[],
): RecordBatch {
  const length = chunk.rowCount;
  const children = types.map((type, c) =>
    columnData(chunk.getColumnVector(c), type, schema.fields[c]!.type, length),
  );
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  return new arrow.RecordBatch(schema, data);
}

function columnData(vector: DuckDBVector, type: ScalarType, arrowType: unknown, length: number): Data {
  const validity = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  const values: DuckDBValue[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const v = vector.getItem(i);
    values[i] = v;
    if (v === null) nullCount++;
    else validity[i >> 3]! |= 1 << (i & 7);
  }
  const common = { type: arrowType, length, nullCount, ...(nullCount ? { nullBitmap: validity } : {}) };
  const make = (extra: Record<string, unknown>) => arrow.makeData({ ...common, ...extra } as never) as Data;
  switch (type.id) {
    case 'bool': {
      const bits = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (values[i] === true) bits[i >> 3]! |= 1 << (i & 7);
      return make({ data: bits });
    }
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'float32':
    case 'float64': {
      const Ctor = {
        int8: Int8Array,
        int16: Int16Array,
        int32: Int32Array,
        uint8: Uint8Array,
        uint16: Uint16Array,
        uint32: Uint32Array,
        float32: Float32Array,
        float64: Float64Array,
      }[type.id];
      const out = new Ctor(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) out[i] = values[i] as number;
      return make({ data: out });
    }
    case 'int64':
    case 'uint64': {
      const out = type.id === 'int64' ? new BigInt64Array(length) : new BigUint64Array(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) out[i] = values[i] as bigint;
      return make({ data: out });
    }
    case 'decimal': {
      const out = new Uint32Array(length * 4);
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v === null) continue;
        let u = BigInt.asUintN(128, (v as DuckDBDecimalValue).value);
        for (let w = 0; w < 4; w++) {
          out[i * 4 + w] = Number(u & 0xffffffffn);
          u >>= 32n;
        }
      }
      return make({ data: out });
    }
    case 'date': {
      const out = new Int32Array(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) out[i] = (values[i] as DuckDBDateValue).days;
      return make({ data: out });
    }
    case 'time':
    case 'timestamp': {
      const out = new BigInt64Array(length);
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v !== null)
          out[i] = (v as DuckDBTimestampValue | DuckDBTimestampTZValue | DuckDBTimeValue).micros;
      }
      return make({ data: out });
    }
    case 'utf8':
    case 'binary': {
      const encoder = new TextEncoder();
      const parts: Uint8Array[] = new Array(length);
      const valueOffsets = new Int32Array(length + 1);
      let total = 0;
      for (let i = 0; i < length; i++) {
        const v = values[i];
        const bytes =
          v === null
            ? EMPTY
            : type.id === 'utf8'
              ? encoder.encode(v as string)
              : (v as DuckDBBlobValue).bytes;
        parts[i] = bytes;
        total += bytes.length;
        valueOffsets[i + 1] = total;
      }
      const out = new Uint8Array(total);
      for (let i = 0; i < length; i++) out.set(parts[i]!, valueOffsets[i]!);
      return make({ valueOffsets, data: out });
    }
    default:
      throw new SpokeError(ErrorCode.INTERNAL, `the DuckDB connector has no Arrow conversion for ${type.id}`);
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A batch with no columns and `rowCount` rows (the answer to an empty
 * projection). Why not `rowCountBatch` from `@spoke/sdk`: arrow-js's
 * RecordBatch constructor recomputes the length from the (absent) children
 * and reports 0 rows, so the length-carrying data is put back afterwards.
 */
export function rowCountOnlyBatch(rowCount: number): RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct([]), length: rowCount, nullCount: 0, children: [] });
  const batch = new arrow.RecordBatch(new arrow.Schema([]), data);
  if (batch.numRows !== rowCount)
    Object.defineProperty(batch, 'data', { value: data, writable: false, configurable: true });
  return batch;
}
