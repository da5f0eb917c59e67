/**
 * Just enough of Thrift's compact protocol to rewrite a Parquet footer
 * without decoding it: walk a struct's fields, copy the ones we keep byte
 * for byte, and re-encode field headers (their ids are deltas, so dropping
 * a field changes the next one's header). Values we do not touch are never
 * decoded, so nothing the writer put there (statistics, logical types,
 * key/value metadata, future fields) can be lost or mangled.
 */

/** Compact-protocol type ids. */
export const CT = {
  STOP: 0,
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

/** One field of a struct: its id, type and the bytes of its value (empty for booleans, whose value is the type). */
export interface RawField {
  readonly id: number;
  readonly type: number;
  readonly value: Uint8Array;
}

/** A cursor over compact-protocol bytes. */
export class CompactReader {
  pos = 0;

  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('Thrift footer ends early');
    return this.bytes[this.pos++] as number;
  }

  /** An unsigned varint as a bigint (i64 values need all 64 bits). */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('Thrift varint too long');
    }
  }

  /** Moves past a varint without decoding it (no BigInt on the hot path). */
  skipVarint(): void {
    for (let n = 0; n < 10; n++) if ((this.byte() & 0x80) === 0) return;
    throw new Error('Thrift varint too long');
  }

  /** A zigzag varint (i16/i32/i64). */
  zigzag(): bigint {
    const v = this.varint();
    return (v >> 1n) ^ -(v & 1n);
  }

  /** A small unsigned varint (lengths, sizes). */
  size(): number {
    const v = this.varint();
    if (v > BigInt(this.bytes.length)) throw new Error(`Thrift size ${v} beyond the footer`);
    return Number(v);
  }

  /** The fields of the struct starting here, up to and including its STOP. */
  fields(): RawField[] {
    const out: RawField[] = [];
    let last = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === CT.STOP) return out;
      const delta = header >> 4;
      const id = delta !== 0 ? last + delta : Number(this.zigzag());
      last = id;
      const start = this.pos;
      this.skip(type, true);
      out.push({ id, type, value: this.bytes.subarray(start, this.pos) });
    }
  }

  /** Skips one value of `type`; booleans inside a struct field header carry no bytes. */
  skip(type: number, inField = false): void {
    switch (type) {
      case CT.TRUE:
      case CT.FALSE:
        if (!inField) this.pos++;
        return;
      case CT.BYTE:
        this.pos++;
        return;
      case CT.I16:
      case CT.I32:
      case CT.I64:
        this.skipVarint();
        return;
      case CT.DOUBLE:
        this.pos += 8;
        return;
      case CT.BINARY: {
        // Not `this.pos += this.size()`: that reads pos before size() moves it.
        const length = this.size();
        this.pos += length;
        return;
      }
      case CT.LIST:
      case CT.SET: {
        const { size, elementType } = this.listHeader();
        for (let i = 0; i < size; i++) this.skip(elementType);
        return;
      }
      case CT.MAP: {
        const size = this.size();
        if (size === 0) return;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(kv >> 4);
          this.skip(kv & 0x0f);
        }
        return;
      }
      case CT.STRUCT:
        this.fields();
        return;
      default:
        throw new Error(`unknown Thrift type ${type}`);
    }
  }

  listHeader(): { size: number; elementType: number } {
    const b = this.byte();
    const short = b >> 4;
    return { size: short === 15 ? this.size() : short, elementType: b & 0x0f };
  }

  /** The elements of a list of structs, each as its bytes (including its STOP). */
  structList(): Uint8Array[] {
    const { size, elementType } = this.listHeader();
    if (elementType !== CT.STRUCT)
      throw new Error(`expected a list of structs, got element type ${elementType}`);
    const out: Uint8Array[] = [];
    for (let i = 0; i < size; i++) {
      const start = this.pos;
      this.fields();
      out.push(this.bytes.subarray(start, this.pos));
    }
    return out;
  }
}

/** Builds compact-protocol bytes. */
export class CompactWriter {
  #parts: Uint8Array[] = [];
  #length = 0;

  raw(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#length += bytes.length;
  }

  varint(value: bigint): void {
    const out: number[] = [];
    let v = value;
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      out.push(b);
    } while (v !== 0n);
    this.raw(Uint8Array.from(out));
  }

  zigzag(value: bigint): void {
    this.varint(BigInt.asUintN(64, (value << 1n) ^ (value >> 63n)));
  }

  fieldHeader(id: number, type: number, last: number): void {
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.raw(Uint8Array.of((delta << 4) | type));
    else {
      this.raw(Uint8Array.of(type));
      this.zigzag(BigInt(id));
    }
  }

  listHeader(size: number, elementType: number): void {
    if (size < 15) this.raw(Uint8Array.of((size << 4) | elementType));
    else {
      this.raw(Uint8Array.of(0xf0 | elementType));
      this.varint(BigInt(size));
    }
  }

  /** Writes a struct from fields (ids ascending, as every Parquet writer emits them), then STOP. */
  struct(fields: readonly RawField[]): void {
    let last = 0;
    for (const f of fields) {
      this.fieldHeader(f.id, f.type, last);
      this.raw(f.value);
      last = f.id;
    }
    this.raw(Uint8Array.of(CT.STOP));
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** A struct's bytes re-encoded from `fields`. */
export function encodeStruct(fields: readonly RawField[]): Uint8Array {
  const w = new CompactWriter();
  w.struct(fields);
  return w.bytes();
}

/** A list of structs' bytes (header plus elements). */
export function encodeStructList(elements: readonly Uint8Array[]): Uint8Array {
  const w = new CompactWriter();
  w.listHeader(elements.length, CT.STRUCT);
  for (const e of elements) w.raw(e);
  return w.bytes();
}

/** An i64 value's bytes (zigzag varint). */
export function encodeI64(value: bigint): Uint8Array {
  const w = new CompactWriter();
  w.zigzag(value);
  return w.bytes();
}
