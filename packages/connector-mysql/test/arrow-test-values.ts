/** Helpers the connector's tests share for reading Arrow results. */
import type { RecordBatch } from '@spoke/core';

/** Every batch of a stream, in order. */
export async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

/** A Decimal128 value (little-endian 32-bit words, two's complement) as fixed-point text with `scale` digits. */
export function decimalText(words: Uint32Array, scale: number): string {
  let v = 0n;
  for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[w]!);
  v = BigInt.asIntN(128, v);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${text}` : text;
}
