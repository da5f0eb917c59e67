import type { RecordBatch, Vector } from '@spoke/core';
import { arrow } from '@spoke/core';

/** A query context for tests. */
export const context = { queryId: 'test', roles: [] as string[] };

/** Drains batches. */
export async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

/** A value in a comparable, exact JS form: bigints for 64-bit and time values, decimals as scaled bigint strings. */
export function valueAt(vector: Vector, i: number): unknown {
  if (!vector.isValid(i)) return null;
  const t = vector.type;
  const at = (): { data: { values: ArrayLike<unknown> }; index: number } => {
    let index = i;
    for (const d of vector.data) {
      if (index < d.length) return { data: d as never, index: index + d.offset };
      index -= d.length;
    }
    throw new Error('out of range');
  };
  switch (t.typeId) {
    case arrow.Type.Timestamp:
    case arrow.Type.Time: {
      const { data, index } = at();
      return (data.values as BigInt64Array)[index];
    }
    case arrow.Type.Date: {
      const { data, index } = at();
      return (data.values as Int32Array)[index];
    }
    case arrow.Type.Decimal: {
      const { data, index } = at();
      const w = data.values as Uint32Array;
      let v = 0n;
      for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(w[index * 4 + k]!);
      return BigInt.asIntN(128, v).toString();
    }
    case arrow.Type.Binary:
      return Buffer.from(vector.get(i) as Uint8Array).toString('hex');
    case arrow.Type.List: {
      const inner = vector.get(i) as Vector;
      return Array.from({ length: inner.length }, (_, k) => valueAt(inner, k));
    }
    default:
      return vector.get(i);
  }
}

/** All rows of batches as arrays of {@link valueAt} values. */
export function rowsOf(batches: readonly RecordBatch[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const b of batches) {
    for (let r = 0; r < b.numRows; r++)
      rows.push(b.schema.fields.map((_, c) => valueAt(b.getChildAt(c)!, r)));
  }
  return rows;
}

/** Rows made order- and representation-independent for comparing with DuckDB. */
export function canonical(rows: readonly (readonly unknown[])[]): string[] {
  return rows
    .map((r) =>
      JSON.stringify(
        r.map((v) =>
          v === null || v === undefined
            ? null
            : typeof v === 'number' ||
                typeof v === 'bigint' ||
                (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))
              ? Number(v).toPrecision(10)
              : String(v),
        ),
      ),
    )
    .sort();
}
