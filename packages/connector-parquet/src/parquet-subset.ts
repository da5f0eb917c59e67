/**
 * A local Parquet file holding only some row groups and columns of a remote
 * object, for DuckDB to decode.
 *
 * The file is sparse: each fetched column chunk is written at the offset it
 * has in the object, so every offset in the footer stays valid and no page
 * is rewritten; the bytes in between are holes (no disk used, never read).
 * The footer is the object's own, with the unselected row groups removed and
 * the references to what was not fetched (page indexes, bloom filters)
 * dropped, so DuckDB never reads a hole. Unfetched columns of the kept row
 * groups stay in the footer: DuckDB reads only the columns a query names,
 * and we fetch every column the query names.
 */
import { open } from 'node:fs/promises';
import type { FileMetaData } from 'hyparquet';
import {
  CompactReader,
  CT,
  encodeI64,
  encodeStruct,
  encodeStructList,
  type RawField,
} from './thrift-compact.js';

/** A byte range of the object, [start, end). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The byte ranges holding the column chunks of `columns` (top-level names)
 * in the row groups `rowGroups`, adjacent chunks merged. Throws when a
 * chunk lies outside the data region (a corrupt footer).
 */
export function chunkRanges(
  metadata: FileMetaData,
  rowGroups: readonly number[],
  columns: ReadonlySet<string>,
  dataEnd: number,
): ByteRange[] {
  const ranges: ByteRange[] = [];
  for (const g of rowGroups) {
    const rg = metadata.row_groups[g];
    if (!rg) throw new Error(`row group ${g} does not exist`);
    for (const chunk of rg.columns) {
      const md = chunk.meta_data;
      if (!md || !columns.has(md.path_in_schema[0] as string)) continue;
      if (chunk.file_path)
        throw new Error(`column chunks in other files (${chunk.file_path}) are not supported`);
      // As hyparquet (and DuckDB) read it: from the dictionary page when there is one.
      const start = Number(md.dictionary_page_offset || md.data_page_offset);
      const end = start + Number(md.total_compressed_size);
      if (!(start >= 4 && end <= dataEnd && end > start))
        throw new Error(
          `column chunk ${md.path_in_schema.join('.')} of row group ${g} lies outside the data (${start}..${end})`,
        );
      ranges.push({ start, end });
    }
  }
  ranges.sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end)
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else merged.push(r);
  }
  return merged;
}

// Field ids from parquet.thrift.
const FILE_NUM_ROWS = 3;
const FILE_ROW_GROUPS = 4;
const RG_COLUMNS = 1;
const CC_META_DATA = 3;
/** offset_index_offset/_length, column_index_offset/_length: page indexes we do not fetch. */
const CC_PAGE_INDEX = new Set([4, 5, 6, 7]);
/** bloom_filter_offset/_length in ColumnMetaData. */
const CMD_BLOOM = new Set([14, 15]);

/** A footer taken apart once per object: its top-level fields and each row group's bytes, re-written on first use. */
interface SplitFooter {
  readonly fields: readonly RawField[];
  readonly rowGroups: readonly Uint8Array[];
  readonly rewritten: (Uint8Array | undefined)[];
}

// Keyed by the raw footer, which lives as long as the parsed footer is cached.
const splits = new WeakMap<Uint8Array, SplitFooter>();

/**
 * The object's footer (raw Thrift, without the length and magic) with only
 * `rowGroups` kept, in that order, and no references to page indexes or
 * bloom filters.
 */
export function subsetFooter(footer: Uint8Array, rowGroups: readonly number[], numRows: bigint): Uint8Array {
  let split = splits.get(footer);
  if (!split) {
    const fields = new CompactReader(footer).fields();
    const list = fields.find((f) => f.id === FILE_ROW_GROUPS && f.type === CT.LIST);
    const groups = list ? new CompactReader(list.value).structList() : [];
    split = { fields, rowGroups: groups, rewritten: new Array(groups.length) };
    splits.set(footer, split);
  }
  const { rewritten } = split;
  const kept = rowGroups.map((g) => {
    const raw = split.rowGroups[g];
    if (!raw) throw new Error(`row group ${g} does not exist in the footer`);
    rewritten[g] ??= rewriteRowGroup(raw);
    return rewritten[g] as Uint8Array;
  });
  const out: RawField[] = split.fields.map((f) => {
    if (f.id === FILE_NUM_ROWS && f.type === CT.I64) return { ...f, value: encodeI64(numRows) };
    if (f.id === FILE_ROW_GROUPS && f.type === CT.LIST) return { ...f, value: encodeStructList(kept) };
    return f;
  });
  return encodeStruct(out);
}

function rewriteRowGroup(bytes: Uint8Array): Uint8Array {
  const fields = new CompactReader(bytes).fields().map((f) => {
    if (f.id !== RG_COLUMNS) return f;
    const chunks = new CompactReader(f.value).structList().map(rewriteColumnChunk);
    return { ...f, value: encodeStructList(chunks) };
  });
  return encodeStruct(fields);
}

function rewriteColumnChunk(bytes: Uint8Array): Uint8Array {
  const fields = new CompactReader(bytes)
    .fields()
    .filter((f) => !CC_PAGE_INDEX.has(f.id))
    .map((f) => {
      if (f.id !== CC_META_DATA || f.type !== CT.STRUCT) return f;
      const meta = new CompactReader(f.value).fields().filter((m) => !CMD_BLOOM.has(m.id));
      return { ...f, value: encodeStruct(meta) };
    });
  return encodeStruct(fields);
}

const MAGIC = new TextEncoder().encode('PAR1');

/** A subset file being written: its magic and footer are in place, its chunks still to come. */
export interface SubsetFile {
  /** Writes each fetched range at its offset and closes the file; answers the bytes written. */
  finish(chunks: readonly { readonly range: ByteRange; readonly bytes: Uint8Array }[]): Promise<number>;
  /** Closes the file without its chunks (the caller deletes it). */
  abandon(): Promise<void>;
}

/**
 * Starts the subset file at `path`: creates it and writes the magic and the
 * subset footer where the object's footer began, so that only the chunks
 * remain once they arrive (a scan starts it while its GETs are in flight).
 */
export async function startSubsetFile(
  path: string,
  footerStart: number,
  footer: Uint8Array,
): Promise<SubsetFile> {
  const handle = await open(path, 'w');
  let header: number;
  try {
    const tail = new Uint8Array(footer.byteLength + 8);
    tail.set(footer);
    new DataView(tail.buffer).setUint32(footer.byteLength, footer.byteLength, true);
    tail.set(MAGIC, footer.byteLength + 4);
    await handle.write(MAGIC, 0, 4, 0);
    await handle.write(tail, 0, tail.byteLength, footerStart);
    header = tail.byteLength + 4;
  } catch (error) {
    await handle.close();
    throw error;
  }
  return {
    async finish(chunks) {
      try {
        let written = header;
        for (const { range, bytes } of chunks) {
          await handle.write(bytes, 0, bytes.byteLength, range.start);
          written += bytes.byteLength;
        }
        return written;
      } finally {
        await handle.close();
      }
    },
    abandon: () => handle.close(),
  };
}

/**
 * Writes the subset file at `path`: the magic, each fetched range at its
 * offset, and the subset footer where the object's footer began.
 */
export async function writeSubsetFile(
  path: string,
  footerStart: number,
  chunks: readonly { readonly range: ByteRange; readonly bytes: Uint8Array }[],
  footer: Uint8Array,
): Promise<number> {
  return (await startSubsetFile(path, footerStart, footer)).finish(chunks);
}
