/**
 * Decoding one object's selected row groups with DuckDB: fetch the column
 * chunks the query names (ranged GETs through the caches), write them as a
 * sparse local Parquet file with a footer listing only those row groups,
 * and let DuckDB read it with the filters and limit applied; its chunks are
 * converted to Arrow in bulk.
 *
 * Row groups go in parts of bounded size ({@link planParts}); the table's
 * scan fetches the parts ahead of the decoder, across its objects
 * (`read-ahead.ts`), so a large scan neither waits for all its bytes nor
 * holds them (or their decoded rows) all.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  arrow,
  columnsOf,
  type DataType,
  ErrorCode,
  type Expr,
  type Field,
  type RecordBatch,
  type Schema,
  type SortKey,
  SpokeError,
  throwIfAborted,
} from '@spoke/core';
import { duckdbFitsArrowType, streamResultAsArrow, toTypedDuckDBParams } from '@spoke/duckdb-arrow';
import type { CachingObjectStore } from '@spoke/object-store';
import { renderScanSql } from '@spoke/sdk';
import { countBatch } from './count-batch.js';
import type { DuckDBDecoder } from './duckdb-decoder.js';
import { corrupt } from './parquet-file.js';
import {
  type ByteRange,
  chunkRanges,
  type SubsetFile,
  startSubsetFile,
  subsetFooter,
} from './parquet-subset.js';
import type { FileState } from './parquet-table.js';
import type { Gate } from './read-ahead.js';

/**
 * Fetched bytes per part at most (a part is at least one row group). Small
 * enough that decoding starts soon after the first bytes arrive and the
 * next parts arrive while it runs; large enough that a part's fixed cost
 * (subset file, query) stays small.
 */
const PART_BYTES = 16 * 1024 * 1024;
/**
 * Ranges closer than this are fetched in one GET: a request costs more than
 * reading a few KB more (Arrow's S3 reader coalesces holes of 8 KB). Kept
 * small, so a narrow projection still skips the wide columns between.
 */
const COALESCE_GAP = 32 * 1024;
/** Larger ranges are split into GETs of this size, fetched concurrently. */
const MAX_GET_BYTES = 8 * 1024 * 1024;
/** Parts of at most this many rows (before filtering) are decoded in one go; larger ones stream. */
const MATERIALIZE_ROWS = 256 * 1024;

/** One object's part of a scan: what {@link planParts}, {@link fetchPart} and {@link decodeParts} need. */
export interface DuckDBScan {
  readonly decoder: DuckDBDecoder;
  readonly store: CachingObjectStore;
  readonly sourceName: string;
  readonly batchRows: number;
  readonly file: FileState;
  /** The row groups that survived pruning, in file order. */
  readonly rowGroups: readonly { readonly index: number; readonly rows: number }[];
  readonly projection: readonly string[];
  /** The output schema (the projection's fields). */
  readonly schema: Schema;
  /** Every column of the table by name. */
  readonly fields: ReadonlyMap<string, Field>;
  /** The file's hive partition values. */
  readonly partition: (column: string) => { value: unknown; type: DataType } | undefined;
  /** Filters DuckDB renders and applies exactly. */
  readonly filters: readonly Expr[];
  /** Rows wanted at most (Infinity for all): bounds the row groups planned when there are no filters. */
  readonly limit: number;
  /**
   * A top-N's order: each part then gives its own first `limit` rows in this
   * order (every part is read; the table merges the parts' answers).
   */
  readonly orderBy?: readonly SortKey[];
  readonly signal: AbortSignal;
  /** Called with the number of row groups each part decodes. */
  readonly onRowGroups: (count: number) => void;
}

/** Some row groups of one object, decoded in one go. */
export interface Part {
  readonly rowGroups: readonly number[];
  readonly rows: number;
  /** What to fetch: the column chunks, coalesced and split into GETs. */
  readonly ranges: readonly ByteRange[];
  /** Bytes fetched. */
  readonly bytes: number;
}

/** The columns a scan reads: its projection and the columns of its filters and order. */
function neededColumns(scan: DuckDBScan): string[] {
  return [
    ...new Set([
      ...scan.projection,
      ...scan.filters.flatMap(columnsOf),
      ...(scan.orderBy ?? []).flatMap((k) => columnsOf(k.expr)),
    ]),
  ];
}

/**
 * The parts of one object's scan: its selected row groups, in parts of at
 * most {@link PART_BYTES}, each with the byte ranges to fetch. Throws a
 * `SOURCE_ERROR` naming the object when its footer points outside its data.
 */
export function planParts(scan: DuckDBScan): Part[] {
  const { file } = scan;
  const columns = new Set(neededColumns(scan).filter((n) => file.shapes.has(n)));
  try {
    return planPartsOf(scan, columns);
  } catch (error) {
    throw corrupt(scan.store, file.file, error, scan.sourceName);
  }
}

/** Fetches one part's ranges through the caches, its GETs run through the scan's gate. */
export function fetchPart(
  scan: DuckDBScan,
  part: Part,
  gate: Gate,
  signal: AbortSignal,
): Promise<Uint8Array[]> {
  const { store, file } = scan;
  return Promise.all(
    part.ranges.map((range) =>
      gate.run(() => {
        signal.throwIfAborted();
        return store.get(file.file.key, {
          range,
          ...(file.file.etag !== undefined ? { etag: file.file.etag } : {}),
          signal,
        });
      }),
    ),
  );
}

/**
 * Yields the rows of the parts (in order) that pass the filters, as Arrow
 * batches of the output schema; `take(k)` gives part k's fetched bytes.
 */
export async function* decodeParts(
  scan: DuckDBScan,
  parts: readonly Part[],
  take: (k: number) => Promise<Uint8Array[]>,
  limit: number,
): AsyncGenerator<RecordBatch> {
  const { file, store, signal, sourceName } = scan;
  if (parts.length === 0) return;
  const needed = neededColumns(scan);
  let left = limit;
  // Connect while the bytes are on their way.
  const connecting = scan.decoder.acquire();
  connecting.catch(() => undefined);
  let connection: DuckDBConnection | undefined;
  let finished = false;
  try {
    for (let i = 0; i < parts.length && left > 0; i++) {
      const part = parts[i] as Part;
      // Taken first: it starts this part's GETs (and the read-ahead's) if they are not on their way yet.
      const fetching = take(i);
      fetching.catch(() => undefined);
      // While they are: the subset's footer, and its file created with the footer written.
      const path = await scan.decoder.scratchPath();
      try {
        let subset: SubsetFile;
        try {
          const footer = subsetFooter(file.footer.raw, part.rowGroups, BigInt(part.rows));
          subset = await startSubsetFile(path, file.footer.start, footer);
        } catch (error) {
          throw corrupt(store, file.file, error, sourceName);
        }
        let chunks: Uint8Array[];
        try {
          chunks = await fetching;
          throwIfAborted(signal);
        } catch (error) {
          await subset.abandon().catch(() => undefined);
          throwIfAborted(signal); // a cancelled query's GETs fail as cancelled, whatever the store threw
          throw error;
        }
        scan.onRowGroups(part.rowGroups.length);
        try {
          await subset.finish(part.ranges.map((range, k) => ({ range, bytes: chunks[k] as Uint8Array })));
        } catch (error) {
          throw corrupt(store, file.file, error, sourceName);
        }
        connection ??= await connecting;
        for await (const batch of runQuery(scan, connection, path, needed, left, part.rows)) {
          // Under a top-N every part gives its own first `limit` rows: the table merges them.
          if (!scan.orderBy) left -= batch.numRows;
          yield batch;
        }
      } finally {
        // DuckDB is done with the file (its result was read, or its connection is being given up).
        scan.decoder.discard(path);
      }
    }
    finished = true;
  } finally {
    // A result left unread (an early stop, an error) goes with its connection.
    const c = connection ?? (await connecting.catch(() => undefined));
    if (c) {
      if (finished) scan.decoder.release(c);
      else c.closeSync();
    }
  }
}

/** Splits the row groups into parts and works out each part's byte ranges. */
function planPartsOf(scan: DuckDBScan, columns: ReadonlySet<string>): Part[] {
  const { metadata } = scan.file;
  const parts: Part[] = [];
  let groups: number[] = [];
  let bytes = 0;
  let rows = 0;
  let planned = 0;
  // Without filters the row counts are exact, so a limit bounds the row groups to fetch.
  const exactRows = scan.filters.length === 0;
  const close = () => {
    if (groups.length === 0) return;
    const ranges = getRanges(chunkRanges(metadata, groups, columns, scan.file.footer.start));
    parts.push({
      rowGroups: groups,
      rows,
      ranges,
      bytes: ranges.reduce((sum, r) => sum + r.end - r.start, 0),
    });
    groups = [];
    bytes = 0;
    rows = 0;
  };
  for (const rg of scan.rowGroups) {
    if (exactRows && planned >= scan.limit) break;
    const size = (metadata.row_groups[rg.index]?.columns ?? []).reduce(
      (sum, c) =>
        c.meta_data && columns.has(c.meta_data.path_in_schema[0] as string)
          ? sum + Number(c.meta_data.total_compressed_size)
          : sum,
      0,
    );
    if (groups.length > 0 && bytes + size > PART_BYTES) close();
    groups.push(rg.index);
    bytes += size;
    rows += rg.rows;
    planned += rg.rows;
  }
  close();
  return parts;
}

/**
 * The GETs for sorted, disjoint chunk ranges: ranges less than
 * {@link COALESCE_GAP} apart become one (the bytes between are the object's
 * own, written at their offsets like the rest), and ranges over
 * {@link MAX_GET_BYTES} are split so their pieces arrive concurrently.
 */
export function getRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const merged: ByteRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.start - last.end <= COALESCE_GAP)
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else merged.push(r);
  }
  const out: ByteRange[] = [];
  for (const r of merged) {
    for (let start = r.start; start < r.end; start += MAX_GET_BYTES)
      out.push({ start, end: Math.min(r.end, start + MAX_GET_BYTES) });
  }
  return out;
}

/** The SELECT over the subset file, and its batches. */
async function* runQuery(
  scan: DuckDBScan,
  connection: DuckDBConnection,
  path: string,
  needed: readonly string[],
  limit: number,
  partRows: number,
): AsyncGenerator<RecordBatch> {
  const { decoder, file, signal, schema, store, sourceName } = scan;
  const d = decoder.dialect;
  // The table's columns as this file has them: its own, its partition values, or NULL.
  const items = needed.map((name) => {
    const q = d.quoteIdentifier(name);
    if (file.shapes.has(name)) return q;
    const type = (scan.fields.get(name) as Field).type;
    const p = scan.partition(name);
    const sqlType = duckdbTypeName(type);
    if (p && p.value !== null) {
      const literal = typeof p.value === 'bigint' ? String(p.value) : d.quoteString(String(p.value));
      return `CAST(${literal} AS ${sqlType ?? 'VARCHAR'}) AS ${q}`;
    }
    return sqlType ? `CAST(NULL AS ${sqlType}) AS ${q}` : `NULL AS ${q}`;
  });
  const from = {
    sql: `(SELECT ${items.length ? items.join(', ') : '1 AS "?"'} FROM read_parquet(${d.quoteString(path)})) AS ${d.quoteIdentifier('t')}`,
  };
  const rendered = renderScanSql(d, from, {
    projection: scan.projection,
    filters: scan.filters,
    ...(Number.isFinite(limit) ? { limit } : {}),
    ...(scan.orderBy && Number.isFinite(limit) ? { orderBy: scan.orderBy } : {}),
  });
  const counting = scan.projection.length === 0;
  const sql = counting ? `SELECT count(*) FROM (${rendered.sql}) AS q` : rendered.sql;
  const interrupt = () => connection.interrupt();
  signal.addEventListener('abort', interrupt, { once: true });
  try {
    const { values, types } = toTypedDuckDBParams(rendered.params);
    // A small part is materialized: DuckDB decodes it on its own threads in one go and the chunks are read
    // synchronously (streamed, each 2048 rows cost an async round trip; the 100k-row benchmark scan, 30
    // alternating runs under load: best 19.2 vs 19.9 ms, lower quartile 23.7 vs 28.3 ms). A large one
    // streams, so DuckDB decodes while JavaScript converts and memory holds a few chunks (a 10M-row scan:
    // 2.4 s and 380 MB peak RSS streamed, 4.8 s and 680 MB materialized).
    const result =
      partRows <= MATERIALIZE_ROWS
        ? await connection.run(sql, values, types)
        : await connection.stream(sql, values, types);
    if (counting) {
      const chunk = await result.fetchChunk();
      const n = chunk && chunk.rowCount > 0 ? Number(chunk.getColumnVector(0).getItem(0)) : 0;
      if (n > 0) yield countBatch(n);
      return;
    }
    const duckTypes = result.columnTypes();
    duckTypes.forEach((t, i) => {
      const field = schema.fields[i] as Field;
      if (!duckdbFitsArrowType(t, field.type))
        throw new SpokeError(
          ErrorCode.SOURCE_ERROR,
          `Parquet object ${store.urlOf(file.file.key)}: DuckDB reads column "${field.name}" as ${t.toString()}, not ${String(field.type)}`,
          { source: sourceName, details: { object: store.urlOf(file.file.key), column: field.name } },
        );
    });
    // The table's Arrow types, in batches of at most batchRows (bulk copies: @spoke/duckdb-arrow).
    yield* streamResultAsArrow(result, signal, { schema, maxBatchRows: scan.batchRows });
  } catch (error) {
    if (signal.aborted) throw SpokeError.cancelled(signal);
    if (SpokeError.isInstance(error)) throw error;
    throw new SpokeError(
      ErrorCode.SOURCE_ERROR,
      `Parquet object ${store.urlOf(file.file.key)}: DuckDB failed reading it: ${(error as Error)?.message ?? String(error)}`,
      { cause: error, source: sourceName, details: { object: store.urlOf(file.file.key) } },
    );
  } finally {
    signal.removeEventListener('abort', interrupt);
  }
}

/** DuckDB's name for a scalar Arrow type (for NULLs and partition values); undefined for nested types. */
function duckdbTypeName(type: DataType): string | undefined {
  const T = arrow.Type;
  switch (type.typeId) {
    case T.Bool:
      return 'BOOLEAN';
    case T.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      const name = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' }[
        bitWidth as 8 | 16 | 32 | 64
      ];
      return isSigned ? name : `U${name}`;
    }
    case T.Float:
      return (type as unknown as { precision: number }).precision === arrow.Precision.DOUBLE
        ? 'DOUBLE'
        : 'FLOAT';
    case T.Decimal: {
      const { scale, precision } = type as unknown as { scale: number; precision: number };
      return `DECIMAL(${precision},${scale})`;
    }
    case T.Date:
      return 'DATE';
    case T.Time:
      return 'TIME';
    case T.Timestamp:
      return (type as unknown as { timezone: string | null }).timezone ? 'TIMESTAMPTZ' : 'TIMESTAMP';
    case T.Utf8:
      return 'VARCHAR';
    case T.Binary:
      return 'BLOB';
    default:
      return undefined;
  }
}
