/**
 * A table made of Parquet objects: schema merged from the footers,
 * partition and row-group pruning, column projection by ranged GETs, and
 * decoding to Arrow.
 */
import {
  arrow,
  type ColumnStatistics,
  columnsOf,
  type DataType,
  ErrorCode,
  type Expr,
  type Field,
  type FilterSupport,
  type RecordBatch,
  type ScalarValue,
  type ScanRequest,
  type Schema,
  type SortKey,
  SpokeError,
  splitConjunction,
  type TableStatistics,
  throwIfAborted,
  type WriteOptions,
  type WriteResult,
} from '@spoke/core';
import type { CachingObjectStore } from '@spoke/object-store';
import { BaseTable, ExpressionRenderer } from '@spoke/sdk';
import { type FileMetaData, parquetSchema, type RowGroup } from 'hyparquet';
import { buildColumn } from './arrow-builder.js';
import { countBatch } from './count-batch.js';
import type { DuckDBDecoder } from './duckdb-decoder.js';
import { type DuckDBScan, decodeParts, fetchPart, type Part, planParts } from './duckdb-scan.js';
import type { FooterCache } from './footer-cache.js';
import { corrupt, type FileRef, type Footer, openColumnReader } from './parquet-file.js';
import { type ColumnShape, duckdbReadable, shapeOf, typeName } from './parquet-type-mapping.js';
import { Prefetch } from './prefetch.js';
import { chunkRange, evaluateConstant, mayMatch, type PruneContext } from './pruning.js';
import { type AheadItem, Gate, ReadAhead } from './read-ahead.js';
import { type Listing, listTableFiles, type TableLocation, tableFilesOf } from './table-files.js';
import { nextPartKey, putParquetObject } from './table-writes.js';
import { mergeTopN } from './top-n-merge.js';
import { groupsForTopN, rankableKey } from './top-n-pruning.js';
import { peekSchema } from './write-parquet.js';

/** Footer requests in flight per table load (a first query on a wide table waits for all of them). */
const FOOTERS_IN_FLIGHT = 16;

/** Bytes a DuckDB scan fetches ahead of the decoder (beyond the part being decoded), across objects. */
const READ_AHEAD_BYTES = 48 * 1024 * 1024;
/** Ranged GETs in flight per scan. */
const SCAN_GETS_IN_FLIGHT = 8;

/** A row group that survived pruning: its index, first row and rows. */
interface SelectedGroup {
  readonly index: number;
  readonly start: number;
  readonly rows: number;
}

/** What every table of one connector shares. */
export interface ParquetSource {
  readonly store: CachingObjectStore;
  readonly sourceName: string;
  /** How long a listing is reused before the prefix is listed again. */
  readonly listingTtlMs: number;
  /** Footers by object URL and ETag (memory and disk), shared by the connector's tables. */
  readonly footers: FooterCache;
  /** Rows per Arrow batch at most. */
  readonly batchRows: number;
  /** Decodes with DuckDB when set (the `decoder: duckdb` option); else the JavaScript decoder. */
  readonly decoder: DuckDBDecoder | undefined;
  /** Where scratch files go (the L2 cache directory when configured, else the system's). */
  readonly scratchParent: string | undefined;
}

/** One data file of a table. */
export interface FileState {
  readonly file: FileRef;
  readonly metadata: FileMetaData;
  readonly footer: Footer;
  /** Top-level columns of this file by name. */
  readonly shapes: ReadonlyMap<string, ColumnShape>;
}

/** What a table is made of, from its listing and footers. */
export interface TableState {
  readonly files: readonly FileState[];
  readonly schema: Schema;
  readonly partitionTypes: ReadonlyMap<string, DataType>;
  /** Every column of every file is one DuckDB reads as the Arrow type above. */
  readonly duckdbReadable: boolean;
}

/** Counters for one table, for tests and EXPLAIN. */
export interface ScanMetrics {
  filesScanned: number;
  filesPruned: number;
  rowGroupsScanned: number;
  rowGroupsPruned: number;
}

/** The order of a top-N request (`orderBy` with a limit, some columns); `undefined` for any other scan. */
function topNOrder(request: ScanRequest): readonly SortKey[] | undefined {
  return request.orderBy?.length && request.limit !== undefined && request.projection.length > 0
    ? request.orderBy
    : undefined;
}

/** Each listed state's snapshot token, computed once. */
const snapshotTokens = new WeakMap<TableState, string>();

/** A Parquet-backed table. */
export class ParquetTable extends BaseTable {
  /** Pruning counters of the last scan. */
  lastScan: ScanMetrics = { filesScanned: 0, filesPruned: 0, rowGroupsScanned: 0, rowGroupsPruned: 0 };
  #state: { at: number; promise: Promise<TableState> } | undefined;

  #listing: Listing | undefined;

  constructor(
    name: string,
    readonly location: TableLocation,
    readonly source: ParquetSource,
    /** A listing taken by discovery: the first load uses it while it is fresh, saving a LIST. */
    listing?: Listing,
  ) {
    super(name);
    this.#listing = listing;
  }

  /** The table's state; `prefetch` sees each object as its footer arrives when this call (re)builds it. */
  async #load(signal?: AbortSignal, prefetch?: Prefetch): Promise<TableState> {
    const now = Date.now();
    if (!this.#state || now - this.#state.at > this.source.listingTtlMs) {
      const promise = this.#build(signal, prefetch);
      this.#state = { at: now, promise };
      promise.catch(() => {
        if (this.#state?.promise === promise) this.#state = undefined;
      });
    }
    return this.#state.promise;
  }

  async #build(signal?: AbortSignal, prefetch?: Prefetch): Promise<TableState> {
    const { store, sourceName } = this.source;
    // Start DuckDB now: it is ready by the time the footers are in.
    this.source.decoder?.warm();
    const listing = this.#listing;
    this.#listing = undefined;
    const files =
      listing && Date.now() - listing.at <= this.source.listingTtlMs
        ? tableFilesOf(listing.objects, this.location)
        : await listTableFiles(store, this.location, signal);
    if (files.length === 0)
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `table "${this.name}": no Parquet objects at ${store.urlOf(this.location.path)}`,
        {
          source: sourceName,
        },
      );
    const states: FileState[] = [];
    // Footers in flight at once, up to FOOTERS_IN_FLIGHT: each is one GET of the object's tail (or a disk read).
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        const file = files[i] as FileRef;
        const footer = await this.source.footers.get(file, signal);
        const metadata = footer.metadata;
        let tree: ReturnType<typeof parquetSchema>;
        try {
          tree = parquetSchema(metadata);
        } catch (error) {
          throw corrupt(store, file, error, sourceName);
        }
        const state: FileState = {
          file,
          metadata,
          footer,
          shapes: new Map(tree.children.map((c) => [c.element.name, shapeOf(c)])),
        };
        states[i] = state;
        // This object's bytes are on their way while the other footers load.
        prefetch?.onFile(state);
      }
    };
    await Promise.all(Array.from({ length: Math.min(FOOTERS_IN_FLIGHT, files.length) }, worker));
    // Merge: first appearance fixes a column's position; a column missing from a file reads as NULL.
    const fields = new Map<string, { field: Field; file: FileRef; count: number }>();
    for (const s of states) {
      for (const [name, shape] of s.shapes) {
        const seen = fields.get(name);
        if (!seen) {
          fields.set(name, { field: shape.field, file: s.file, count: 1 });
          continue;
        }
        if (typeName(seen.field.type) !== typeName(shape.field.type))
          throw new SpokeError(
            ErrorCode.SOURCE_ERROR,
            `table "${this.name}": column "${name}" is ${typeName(seen.field.type)} in ${store.urlOf(seen.file.key)} but ${typeName(shape.field.type)} in ${store.urlOf(s.file.key)}`,
            {
              source: sourceName,
              details: { column: name, files: [store.urlOf(seen.file.key), store.urlOf(s.file.key)] },
            },
          );
        seen.count++;
        if (shape.field.nullable && !seen.field.nullable) seen.field = shape.field;
      }
    }
    const out: Field[] = [];
    for (const [name, f] of fields) {
      out.push(
        f.count < states.length || f.field.nullable ? new arrow.Field(name, f.field.type, true) : f.field,
      );
    }
    const partitionTypes = new Map<string, DataType>();
    const partitionNames = [...new Set(files.flatMap((f) => Object.keys(f.partitions)))];
    for (const name of partitionNames) {
      if (fields.has(name)) continue; // the data's own column wins over the path
      const values = files.map((f) => f.partitions[name]);
      const allInts = values.every((v) => v === null || v === undefined || /^-?\d{1,18}$/.test(v));
      const type = allInts ? new arrow.Int64() : new arrow.Utf8();
      partitionTypes.set(name, type);
      out.push(new arrow.Field(name, type, true));
    }
    // DuckDB resolves names case-insensitively: two columns differing only in case stay with the JS decoder.
    const lower = new Set(out.map((f) => f.name.toLowerCase()));
    const readable =
      lower.size === out.length && states.every((s) => [...s.shapes.values()].every(duckdbReadable));
    return { files: states, schema: new arrow.Schema(out), partitionTypes, duckdbReadable: readable };
  }

  /** Whether scans of this table decode with DuckDB (and so apply the filters it can render exactly). */
  #usesDuckDB(state: TableState): DuckDBDecoder | undefined {
    return state.duckdbReadable ? this.source.decoder : undefined;
  }

  async schema(signal?: AbortSignal): Promise<Schema> {
    return (await this.#load(signal)).schema;
  }

  /**
   * The objects a scan reads now — keys, ETags and sizes as last listed —
   * so the engine reuses rows it read while none changed. Follows the
   * listing: a change shows within `listingTtlSeconds`, as it does to scans,
   * and at once after an `INSERT` through this connector.
   */
  override async snapshot(signal?: AbortSignal): Promise<string | undefined> {
    const state = await this.#load(signal);
    let token = snapshotTokens.get(state);
    if (token === undefined) {
      token = JSON.stringify(state.files.map(({ file }) => [file.key, file.etag ?? null, file.size]));
      snapshotTokens.set(state, token);
    }
    return token;
  }

  /**
   * `INSERT INTO lake.t SELECT …`: the rows become one more Parquet object
   * under the table's prefix (`part-<time>-<random>.parquet`), written with
   * the table's columns and types (absent columns NULL), so it merges with
   * the others. Only for a table that is a plain prefix without hive
   * partitions (a created table, a discovered one, `tables: { t: t/ }`).
   */
  async insert(batches: AsyncIterable<RecordBatch>, options: WriteOptions): Promise<WriteResult> {
    const { sourceName, store } = this.source;
    const { path } = this.location;
    const state = await this.#load(options.signal);
    if (!path.endsWith('/') || /[*?[{]/.test(path) || state.partitionTypes.size > 0)
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `INSERT into "${this.name}" is not supported: only tables that are a prefix without hive partitions take new objects (this one is ${store.urlOf(path)})`,
        { source: sourceName },
      );
    const { schema, rest } = await peekSchema(batches, undefined);
    if (!schema) return { rows: 0 };
    const names = new Set(state.schema.fields.map((f) => f.name));
    for (const f of schema.fields)
      if (!names.has(f.name))
        throw new SpokeError(
          ErrorCode.COLUMN_NOT_FOUND,
          `column "${f.name}" of "${this.name}" does not exist`,
          {
            source: sourceName,
          },
        );
    const key = nextPartKey(path);
    const rows = await putParquetObject(this.source, key, schema, rest, options.signal, state.schema);
    // The next read lists the prefix again and sees the new object.
    this.#state = undefined;
    return { rows, summary: `wrote ${rows} rows to ${store.urlOf(key)}` };
  }

  /**
   * Top-N (`ORDER BY … LIMIT n`) when DuckDB decodes the table and renders
   * every key over its columns: each part's DuckDB query returns its first n
   * rows in the order, and the parts' rows are merged in DuckDB (`top-n-merge.ts`).
   */
  async supportsOrderBy(keys: readonly SortKey[]): Promise<boolean> {
    if (keys.length === 0) return false;
    const state = await this.#load();
    const decoder = this.#usesDuckDB(state);
    if (!decoder) return false;
    const renderer = new ExpressionRenderer(decoder.dialect);
    const names = new Set(state.schema.fields.map((f) => f.name));
    return keys.every((k) => {
      const columns = columnsOf(k.expr);
      return columns.length > 0 && columns.every((n) => names.has(n)) && renderer.canRender(k.expr);
    });
  }

  override async supportsFilters(filters: readonly Expr[]): Promise<readonly FilterSupport[]> {
    const state = await this.#load();
    const decoder = this.#usesDuckDB(state);
    const renderer = decoder ? new ExpressionRenderer(decoder.dialect) : undefined;
    const names = new Set(state.schema.fields.map((f) => f.name));
    return filters.map((filter) => {
      const cols = columnsOf(filter);
      // DuckDB applies every filter it can render to the rows it decodes: those are exact.
      if (renderer && cols.every((c) => names.has(c)) && renderer.canRender(filter)) return 'exact';
      if (cols.length > 0 && cols.every((c) => state.partitionTypes.has(c))) {
        // Exact when it evaluates for every file's path values: then files are kept only where it is TRUE.
        const ok = state.files.every(
          (s) => evaluateConstant(filter, partitionLookup(s.file, state)) !== undefined,
        );
        if (ok) return 'exact';
      }
      // Statistics decide the prunable shapes; the rest are accepted and ignored (the planner applies every
      // inexact filter again), which costs nothing and keeps the planner's push-down uniform.
      return 'inexact';
    });
  }

  override async statistics(signal?: AbortSignal): Promise<TableStatistics | undefined> {
    const state = await this.#load(signal);
    let rows = 0;
    let bytes = 0;
    const columns: Record<string, ColumnStatistics> = {};
    const acc = new Map<string, { min: unknown; max: unknown; nulls: number; complete: boolean }>();
    for (const s of state.files) {
      rows += Number(s.metadata.num_rows);
      bytes += s.file.size;
      for (const field of state.schema.fields) {
        if (state.partitionTypes.has(field.name)) continue;
        const a = acc.get(field.name) ?? { min: undefined, max: undefined, nulls: 0, complete: true };
        acc.set(field.name, a);
        if (!s.shapes.has(field.name)) {
          a.nulls += Number(s.metadata.num_rows);
          continue;
        }
        for (const rg of s.metadata.row_groups) {
          const r = chunkRange(rg, field.name, s.shapes.get(field.name));
          if (!r) {
            a.complete = false;
            continue;
          }
          a.nulls += r.nullCount ?? 0;
          if (r.nullCount === undefined) a.complete = false;
          if (r.fuzzy || r.min === undefined || r.max === undefined) {
            if (r.rowCount > (r.nullCount ?? 0)) a.complete = false;
            continue;
          }
          if (a.min === undefined || (r.min as number) < (a.min as number)) a.min = r.min;
          if (a.max === undefined || (r.max as number) > (a.max as number)) a.max = r.max;
        }
      }
    }
    for (const field of state.schema.fields) {
      const a = acc.get(field.name);
      if (!a) continue;
      const c: {
        nullCount?: { value: number; exact: boolean };
        min?: { value: ScalarValue; exact: boolean };
        max?: { value: ScalarValue; exact: boolean };
      } = {};
      if (a.complete) c.nullCount = { value: a.nulls, exact: true };
      const min = a.complete ? toScalar(a.min, field.type) : undefined;
      const max = a.complete ? toScalar(a.max, field.type) : undefined;
      if (min !== undefined && max !== undefined) {
        c.min = { value: min, exact: false };
        c.max = { value: max, exact: false };
      }
      columns[field.name] = c;
    }
    return { rowCount: { value: rows, exact: true }, totalBytes: { value: bytes, exact: true }, columns };
  }

  scan(request: ScanRequest): AsyncIterable<RecordBatch> {
    return this.#prefetchingScan(request);
  }

  /** The scan, with a {@link Prefetch} for the table's load it may start, stopped when the scan ends. */
  async *#prefetchingScan(request: ScanRequest): AsyncGenerator<RecordBatch> {
    throwIfAborted(request.signal);
    const { decoder, store, sourceName } = this.source;
    const prefetch = Prefetch.for(request, decoder, store, sourceName, topNOrder(request));
    try {
      yield* this.#scan(request, prefetch);
    } finally {
      prefetch?.stop();
    }
  }

  async *#scan(request: ScanRequest, prefetch: Prefetch | undefined): AsyncGenerator<RecordBatch> {
    const { signal } = request;
    throwIfAborted(signal);
    let state: TableState;
    try {
      state = await this.#load(signal, prefetch);
    } catch (error) {
      throwIfAborted(signal); // cancelled while the footers loaded, whatever the store threw
      throw error;
    }
    const metrics: ScanMetrics = { filesScanned: 0, filesPruned: 0, rowGroupsScanned: 0, rowGroupsPruned: 0 };
    this.lastScan = metrics;
    const fieldsByName = new Map(state.schema.fields.map((f) => [f.name, f]));
    const outFields = request.projection.map((name) => {
      const f = fieldsByName.get(name);
      if (!f)
        throw new SpokeError(ErrorCode.COLUMN_NOT_FOUND, `table "${this.name}" has no column "${name}"`, {
          source: this.source.sourceName,
        });
      return f;
    });
    const outSchema = new arrow.Schema(outFields);
    const conjuncts = request.filters.flatMap(splitConjunction);
    let left = request.limit ?? Number.POSITIVE_INFINITY;
    if (left <= 0) return;
    const decoder = this.#usesDuckDB(state);
    const renderer = decoder ? new ExpressionRenderer(decoder.dialect) : undefined;
    // The filters DuckDB applies (exact); the rest only prune.
    const pushed = renderer
      ? conjuncts.filter((c) => columnsOf(c).every((n) => fieldsByName.has(n)) && renderer.canRender(c))
      : [];
    // Pruning first, for every object: then the DuckDB path can fetch ahead across objects.
    const chosen: { s: FileState; parts: ReturnType<typeof partitionLookup>; selected: SelectedGroup[] }[] =
      [];
    for (const s of state.files) {
      const parts = partitionLookup(s.file, state);
      const partitionOnly = conjuncts.filter((c) => columnsOf(c).every((n) => state.partitionTypes.has(n)));
      if (
        partitionOnly.some((c) => evaluateConstant(c, parts) === false || evaluateConstant(c, parts) === null)
      ) {
        metrics.filesPruned++;
        continue;
      }
      metrics.filesScanned++;
      const selected: SelectedGroup[] = [];
      let groupStart = 0;
      s.metadata.row_groups.forEach((rg, index) => {
        const rowCount = Number(rg.num_rows);
        const start = groupStart;
        groupStart += rowCount;
        const ctx: PruneContext = {
          range: (column) => {
            const p = parts(column);
            if (p)
              return { min: p.value, max: p.value, nullCount: p.value === null ? rowCount : 0, rowCount };
            if (!s.shapes.has(column))
              return fieldsByName.has(column) ? { nullCount: rowCount, rowCount } : undefined;
            return chunkRange(rg, column, s.shapes.get(column));
          },
          type: (column) => fieldsByName.get(column)?.type,
        };
        if (rowCount === 0 || !conjuncts.every((c) => mayMatch(c, ctx))) metrics.rowGroupsPruned++;
        else selected.push({ index, start, rows: rowCount });
      });
      if (selected.length > 0) chosen.push({ s, parts, selected });
    }
    // A top-N without filters reads only the row groups that may hold its rows (`top-n-pruning.ts`).
    const topN = decoder ? topNOrder(request) : undefined;
    const topKey =
      topN && conjuncts.length === 0
        ? rankableKey(topN, (n) => (state.partitionTypes.has(n) ? undefined : fieldsByName.get(n)?.type))
        : undefined;
    if (topN && topKey !== undefined) {
      const ranked = chosen.flatMap((c) =>
        c.selected.map((g) => ({
          group: g,
          rows: g.rows,
          range: c.s.shapes.has(topKey)
            ? chunkRange(c.s.metadata.row_groups[g.index] as RowGroup, topKey, c.s.shapes.get(topKey))
            : undefined,
        })),
      );
      const kept = new Set(groupsForTopN(ranked, topN[0]!.direction, left));
      for (const c of chosen) {
        const before = c.selected.length;
        c.selected = c.selected.filter((g) => kept.has(g));
        metrics.rowGroupsPruned += before - c.selected.length;
      }
      for (let i = chosen.length - 1; i >= 0; i--) if (chosen[i]!.selected.length === 0) chosen.splice(i, 1);
    }
    if (decoder && (outFields.length > 0 || pushed.length > 0)) {
      yield* this.#decodeWithDuckDB(decoder, chosen, request, outSchema, fieldsByName, pushed, left, metrics);
      return;
    }
    for (const { s, parts, selected } of chosen) {
      throwIfAborted(signal);
      const batches = this.#decodeWithJs(
        s,
        selected,
        fileColumnsOf(s, request.projection),
        outSchema,
        parts,
        left,
        signal,
        metrics,
      );
      for await (const batch of batches) {
        yield batch;
        left -= batch.numRows;
        if (left <= 0) return;
      }
    }
  }

  /**
   * The DuckDB decoder over the chosen objects: every object's parts are
   * planned, fetched ahead of the decoder within {@link READ_AHEAD_BYTES}
   * (one part ahead under a limit) with at most {@link SCAN_GETS_IN_FLIGHT}
   * GETs at once, and decoded in order. When the scan ends early (a limit,
   * an error, the consumer stopping) the GETs still in flight are aborted.
   */
  async *#decodeWithDuckDB(
    decoder: DuckDBDecoder,
    chosen: readonly { s: FileState; parts: ReturnType<typeof partitionLookup>; selected: SelectedGroup[] }[],
    request: ScanRequest,
    schema: Schema,
    fields: ReadonlyMap<string, Field>,
    pushed: readonly Expr[],
    limit: number,
    metrics: ScanMetrics,
  ): AsyncGenerator<RecordBatch> {
    const { store, sourceName, batchRows } = this.source;
    const { signal } = request;
    // A top-N: every part gives its first `limit` rows in the order, with the order's columns; then merged.
    const topN = topNOrder(request);
    const partProjection = topN
      ? [...new Set([...request.projection, ...topN.flatMap((k) => columnsOf(k.expr))])]
      : request.projection;
    const partSchema = topN ? new arrow.Schema(partProjection.map((n) => fields.get(n) as Field)) : schema;
    // The read-ahead's own signal: aborted with the query's, and when the scan ends.
    const own = new AbortController();
    const onAbort = () => own.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const gate = new Gate(SCAN_GETS_IN_FLIGHT);
      // Without pushed filters the row counts are exact: a limit bounds the row groups planned, across objects.
      let planned = 0;
      const files: PlannedObject[] = [];
      const items: AheadItem<Uint8Array[]>[] = [];
      for (const { s, parts, selected } of chosen) {
        // A top-N reads every selected row group; otherwise a limit bounds them when row counts are exact.
        const wanted = topN ? Number.POSITIVE_INFINITY : pushed.length === 0 ? limit - planned : limit;
        if (wanted <= 0) break;
        const scan: DuckDBScan = {
          decoder,
          store,
          sourceName,
          batchRows,
          file: s,
          rowGroups: selected,
          projection: partProjection,
          schema: partSchema,
          fields,
          partition: parts,
          filters: pushed,
          limit: wanted,
          ...(topN ? { orderBy: topN } : {}),
          signal,
          onRowGroups: (n) => {
            metrics.rowGroupsScanned += n;
          },
        };
        const fileParts = planParts(scan);
        files.push({ scan, parts: fileParts, first: items.length });
        for (const part of fileParts) {
          planned += part.rows;
          items.push({ bytes: part.bytes, fetch: () => fetchPart(scan, part, gate, own.signal) });
        }
      }
      const ahead = new ReadAhead(items, Number.isFinite(limit) && !topN ? 0 : READ_AHEAD_BYTES);
      if (topN) {
        yield* mergeTopN(decoder, topNCandidates(files, ahead, limit), partSchema, {
          projection: request.projection,
          orderBy: topN,
          limit,
          schema,
          batchRows,
          sourceName,
          signal,
        });
        return;
      }
      let left = limit;
      for (const { scan, parts, first } of files) {
        throwIfAborted(signal);
        for await (const batch of decodeParts(scan, parts, (k) => ahead.take(first + k), left)) {
          yield batch;
          left -= batch.numRows;
          if (left <= 0) return;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      own.abort();
    }
  }

  /** The JavaScript decoder: whole row groups (filters only prune). */
  async *#decodeWithJs(
    s: FileState,
    selected: readonly SelectedGroup[],
    fileColumns: readonly string[],
    outSchema: Schema,
    parts: ReturnType<typeof partitionLookup>,
    limit: number,
    signal: AbortSignal,
    metrics: ScanMetrics,
  ): AsyncGenerator<RecordBatch> {
    const { store, sourceName, batchRows } = this.source;
    const outFields = outSchema.fields;
    let left = limit;
    const read =
      fileColumns.length > 0
        ? await openColumnReader(store, s.file, s.metadata, fileColumns, signal)
        : undefined;
    for (const { start, rows: rowCount } of selected) {
      metrics.rowGroupsScanned++;
      const end = start + Math.min(rowCount, left);
      let columns: ArrayLike<unknown>[];
      try {
        columns = read ? await Promise.all(fileColumns.map((c) => read(c, start, end))) : [];
      } catch (error) {
        throw corrupt(store, s.file, error, sourceName);
      }
      throwIfAborted(signal);
      const n = end - start;
      if (outFields.length === 0) {
        yield countBatch(n);
      } else {
        const children = outFields.map((field) => {
          const i = fileColumns.indexOf(field.name);
          if (i >= 0) {
            const shape = s.shapes.get(field.name) as ColumnShape;
            return buildColumn({ ...shape, field }, columns[i] as ArrayLike<unknown>);
          }
          const p = parts(field.name);
          return constantData(field.type, p ? p.value : null, n);
        });
        const batch = new arrow.RecordBatch(
          outSchema,
          arrow.makeData({ type: new arrow.Struct(outFields), length: n, nullCount: 0, children }),
        );
        for (let off = 0; off < n; off += batchRows)
          yield off === 0 && n <= batchRows ? batch : batch.slice(off, Math.min(n, off + batchRows));
      }
      left -= n;
      if (left <= 0) return;
    }
  }
}

function fileColumnsOf(s: FileState, projection: readonly string[]): string[] {
  return projection.filter((n, i) => s.shapes.has(n) && projection.indexOf(n) === i);
}

/** A file's hive partition values, typed as the table's partition columns. */
export function partitionLookup(
  file: FileRef,
  state: TableState,
): (column: string) => { value: unknown; type: DataType } | undefined {
  return (column) => {
    const type = state.partitionTypes.get(column);
    if (!type) return undefined;
    const raw = file.partitions[column];
    const value =
      raw === undefined || raw === null ? null : type.typeId === arrow.Type.Int ? BigInt(raw) : raw;
    return { value, type };
  };
}

function toScalar(v: unknown, type: DataType): ScalarValue | undefined {
  if (v === undefined || v === null) return undefined;
  switch (type.typeId) {
    case arrow.Type.Date:
      return new Date(Number(v) * 86_400_000).toISOString().slice(0, 10);
    case arrow.Type.Timestamp: {
      const us = BigInt(v as bigint);
      const ms = Number(us / 1000n);
      const frac = String(((us % 1_000_000n) + 1_000_000n) % 1_000_000n).padStart(6, '0');
      return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${frac}`;
    }
    case arrow.Type.Int:
    case arrow.Type.Float:
      return typeof v === 'number' || typeof v === 'bigint' ? v : undefined;
    case arrow.Type.Utf8:
      return typeof v === 'string' ? v : undefined;
    default:
      return undefined;
  }
}

function constantData(type: DataType, value: unknown, n: number): ReturnType<typeof arrow.makeData> {
  const values = new Array(n).fill(value);
  return arrow.vectorFromArray(values, type as never).data[0] as ReturnType<typeof arrow.makeData>;
}

/** One object of a scan with its parts; `first` is its first part's place in the read-ahead queue. */
interface PlannedObject {
  readonly scan: DuckDBScan;
  readonly parts: Part[];
  readonly first: number;
}

/**
 * Every object's parts, decoded in order, for the top-N merge (a generator
 * declared once: see `batchesOf` in `@spoke/core`).
 */
async function* topNCandidates(
  files: readonly PlannedObject[],
  ahead: ReadAhead<Uint8Array[]>,
  limit: number,
): AsyncGenerator<RecordBatch> {
  for (const { scan, parts, first } of files)
    yield* decodeParts(scan, parts, (k) => ahead.take(first + k), limit);
}
