/**
 * Generates, per list of column types, the loop that decodes binary COPY
 * rows into the column builders: one straight-line body per row with the
 * columns unrolled (no per-value dispatch or call for the common types),
 * values stored straight into the builders' typed arrays, and field offsets
 * kept in locals between the "is the whole row here?" pass and the decoding
 * pass. Types without a fast path call their builder's `append`.
 *
 * The source is built only from our own constants and column indexes (never
 * from names or data), and compiled once per type list.
 */
import { type ColumnBuilder, EPOCH_HI, EPOCH_LO, PG_EPOCH_DAYS } from './arrow-column-builders.js';
import type { PgType } from './postgres-type-mapping.js';

/** What the generated loop reads and writes back: the builders and the row count of the batch being filled. */
export interface RowSink {
  readonly builders: readonly ColumnBuilder[];
  /** Rows in the batch being filled. */
  rows: number;
  /** Rows at which the batch is full (the loop stops there). */
  readonly batchRows: number;
}

/**
 * Decodes whole rows from `buf[p, end)` (`view` is a DataView over the same
 * bytes as `buf`, index for index) until the batch is full or the next row is
 * incomplete, the trailer, or not `ncols` wide; returns where it stopped.
 * `framed`: each row comes in its own protocol CopyData message (`'d'`,
 * int32 length) that it must fill exactly, else the loop stops before it.
 */
export type RowDecoder = (buf: Uint8Array, view: DataView, p: number, end: number, sink: RowSink) => number;

type FastKind = 'i16' | 'i32' | 'i64' | 'timestamp' | 'date' | 'var' | 'call';

function fastKind(type: PgType): FastKind {
  switch (type.kind) {
    case 'int2':
      return 'i16';
    case 'int4':
    case 'oid':
    case 'float4':
      return 'i32';
    case 'int8':
    case 'float8':
    case 'time':
      return 'i64';
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp';
    case 'date':
      return 'date';
    case 'text':
    case 'bytea':
    case 'jsonb':
      return 'var';
    default:
      return 'call';
  }
}

const cache = new Map<string, RowDecoder>();

/**
 * The row decoder for `types` (whose builders are `createColumnBuilder(type)`);
 * `framed` as described on {@link RowDecoder}.
 */
export function rowDecoderFor(types: readonly PgType[], framed: boolean): RowDecoder {
  const kinds = types.map((t) => (fastKind(t) === 'var' ? `var${t.kind === 'jsonb' ? 1 : 0}` : fastKind(t)));
  const key = `${framed ? 'f' : 'u'}:${kinds.join(',')}`;
  let decoder = cache.get(key);
  if (!decoder) {
    decoder = generate(
      types.map(fastKind),
      types.map((t) => (t.kind === 'jsonb' ? 1 : 0)),
      framed,
    );
    cache.set(key, decoder);
  }
  return decoder;
}

function generate(kinds: readonly FastKind[], skips: readonly number[], framed: boolean): RowDecoder {
  const n = kinds.length;
  const lines: string[] = [];
  const emit = (line: string) => lines.push(line);
  const fast = kinds.map((k, i) => (k === 'call' ? -1 : i)).filter((i) => i >= 0);
  // Locals that mirror builder fields; (re)loaded at entry and after growing.
  const load = (): void => {
    for (const i of fast) {
      const k = kinds[i]!;
      if (k === 'var') emit(`o${i} = b${i}.offsets; x${i} = b${i}.bytes;`);
      else emit(`a${i} = b${i}.${k === 'i16' ? 'i16' : 'i32'};`);
    }
  };
  emit('const B = sink.builders;');
  for (let i = 0; i < n; i++) emit(`const b${i} = B[${i}];`);
  for (const i of fast) {
    if (kinds[i] === 'var') emit(`let o${i}, x${i}, e${i} = b${i}.end;`);
    else emit(`let a${i};`);
  }
  load();
  emit('let row = sink.rows;');
  emit('const limit = sink.batchRows;');
  emit(
    fast.length > 0
      ? `let cap = Math.min(${fast.map((i) => `b${i}.capacity`).join(', ')});`
      : 'let cap = limit;',
  );
  emit('while (row < limit) {');
  if (framed) {
    emit('  if (p + 7 > end || buf[p] !== 100) break;');
    emit('  const lim = p + 1 + view.getInt32(p + 1);');
    emit('  if (lim > end) break;');
    emit('  let q = p + 5;');
  } else {
    emit('  if (p + 2 > end) break;');
    emit('  const lim = end;');
    emit('  let q = p;');
  }
  emit(`  if (view.getInt16(q) !== ${n}) break;`);
  emit('  q += 2;');
  for (let i = 0; i < n; i++) {
    emit('  if (q + 4 > lim) break;');
    emit(`  const l${i} = view.getInt32(q);`);
    emit(`  const s${i} = q + 4;`);
    emit(`  q = l${i} > 0 ? s${i} + l${i} : s${i};`);
  }
  emit(framed ? '  if (q !== lim) break;' : '  if (q > lim) break;');
  emit('  if (row >= cap) {');
  for (const i of fast) if (kinds[i] === 'var') emit(`    b${i}.end = e${i};`);
  for (const i of fast) emit(`    b${i}.length = row; b${i}.grow(row + 1);`);
  emit(`    cap = Math.min(${fast.map((i) => `b${i}.capacity`).join(', ') || 'limit'});`);
  load();
  emit('  }');
  for (let i = 0; i < n; i++) {
    const k = kinds[i]!;
    const l = `l${i}`;
    const s = `s${i}`;
    switch (k) {
      case 'i16':
        emit(`  if (${l} < 0) b${i}.setNull(row); else a${i}[row] = view.getInt16(${s});`);
        break;
      case 'i32':
        emit(`  if (${l} < 0) b${i}.setNull(row); else a${i}[row] = view.getInt32(${s});`);
        break;
      case 'date':
        emit(`  if (${l} < 0) b${i}.setNull(row); else {`);
        emit(`    const v = view.getInt32(${s});`);
        // ±infinity (INT32_MAX/MIN) stay as they are: DuckDB's infinite dates.
        emit(`    a${i}[row] = v === 2147483647 || v === -2147483648 ? v : (v + ${PG_EPOCH_DAYS}) | 0;`);
        emit('  }');
        break;
      case 'i64':
        // Big-endian int64 → two little-endian int32 words, low word first (bit-exact for float8 too).
        emit(`  if (${l} < 0) b${i}.setNull(row); else {`);
        emit(`    a${i}[row << 1] = view.getInt32(${s} + 4);`);
        emit(`    a${i}[(row << 1) + 1] = view.getInt32(${s});`);
        emit('  }');
        break;
      case 'timestamp':
        // + PostgreSQL's epoch in 32-bit halves with carry; ±infinity (INT64_MAX/MIN) are kept.
        emit(`  if (${l} < 0) b${i}.setNull(row); else {`);
        emit(`    const hi = view.getInt32(${s});`);
        emit(`    const lo = view.getUint32(${s} + 4);`);
        emit('    if ((hi === 2147483647 && lo === 4294967295) || (hi === -2147483648 && lo === 0)) {');
        emit(`      a${i}[row << 1] = lo | 0;`);
        emit(`      a${i}[(row << 1) + 1] = hi;`);
        emit('    } else {');
        emit(`      const sum = lo + ${EPOCH_LO};`);
        emit(`      a${i}[row << 1] = sum | 0;`);
        emit(`      a${i}[(row << 1) + 1] = (hi + ${EPOCH_HI} + (sum >= 4294967296 ? 1 : 0)) | 0;`);
        emit('    }');
        emit('  }');
        break;
      case 'var': {
        const skip = skips[i]!;
        emit(`  if (${l} < 0) b${i}.setNull(row); else {`);
        emit(`    const from = ${s} + ${skip};`);
        emit(`    const len = ${l} - ${skip};`);
        emit(`    if (e${i} + len > x${i}.length) { b${i}.end = e${i}; x${i} = b${i}.growBytes(len); }`);
        // Short values: a loop beats a native call and a subarray allocation.
        emit(`    if (len < 32) for (let j = 0; j < len; j++) x${i}[e${i} + j] = buf[from + j];`);
        emit(`    else x${i}.set(buf.subarray(from, from + len), e${i});`);
        emit(`    e${i} += len;`);
        emit('  }');
        emit(`  o${i}[row + 1] = e${i};`);
        break;
      }
      case 'call':
        emit(`  if (${l} < 0) b${i}.appendNull(); else b${i}.append(buf, view, ${s}, ${l});`);
        break;
    }
  }
  emit('  p = q;');
  emit('  row++;');
  emit('}');
  emit('sink.rows = row;');
  for (const i of fast) {
    if (kinds[i] === 'var') emit(`b${i}.end = e${i};`);
    emit(`b${i}.length = row;`);
  }
  emit('return p;');
  // The source is our own template over column indexes (see the file comment), never data.
  return new Function('buf', 'view', 'p', 'end', 'sink', `'use strict';\n${lines.join('\n')}`) as RowDecoder;
}
