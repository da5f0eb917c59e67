import type { Expr, RecordBatch } from '@spoke/core';

/** The index kinds {@link LanceWriter.createIndex} builds. */
/** The index methods `CREATE INDEX … USING` accepts. */
export const LANCE_INDEX_TYPES = ['ivf_pq', 'ivf_flat', 'hnsw_pq', 'hnsw_sq', 'fts', 'btree'] as const;

/** One of {@link LANCE_INDEX_TYPES}. */
export type LanceIndexType = (typeof LANCE_INDEX_TYPES)[number];

/**
 * What `CREATE INDEX ON lance.t USING <type> (<column>) WITH (<options>)` asks for.
 * `options` keys may be written as in SQL (`num_partitions`) or as LanceDB
 * names them (`numPartitions`); vector indexes take `distance_type`
 * (`l2`, `cosine`, `dot`), full-text indexes take the tokenizer settings.
 */
export interface CreateIndexRequest {
  readonly column: string;
  readonly type: LanceIndexType;
  readonly options?: Readonly<Record<string, unknown>>;
  /** Default `<column>_idx`. */
  readonly name?: string;
  /** Replace an index of the same name (default true, LanceDB's default). */
  readonly replace?: boolean;
}

/** What a write did: each write is one new Lance version. */
export interface WriteResult {
  /** The table's version after the write. */
  readonly version: number;
  /** Rows written or deleted. */
  readonly rows: number;
}

/** An index of a table, as Lance describes it. */
export interface LanceIndexInfo {
  readonly name: string;
  /** Lance's type name: `IvfPq`, `IvfHnswSq`, `FTS`, `BTree`, … */
  readonly indexType: string;
  readonly columns: readonly string[];
  /** The distance the index was trained for (`l2`, `cosine`, `dot`), for vector indexes. */
  readonly metric?: string;
  readonly indexedRows?: number;
  readonly unindexedRows?: number;
}

/** What {@link LanceWriter.vacuum} (and the background policy) did. */
export interface VacuumReport {
  readonly table: string;
  readonly versionBefore: number;
  readonly versionAfter: number;
  readonly fragmentsBefore: number;
  readonly fragmentsAfter: number;
  readonly fragmentsRemoved: number;
  readonly fragmentsAdded: number;
  readonly filesRemoved: number;
  readonly filesAdded: number;
  readonly oldVersionsRemoved: number;
  readonly bytesRemoved: number;
}

/** Options for {@link LanceWriter.vacuum}. */
export interface VacuumOptions {
  /** Delete versions older than this many seconds (default: the source's `versionRetentionSeconds`). */
  readonly olderThanSeconds?: number;
}

/** Batches to write: an array, any iterable, or an async stream (a scan's answer). */
export type BatchSource = Iterable<RecordBatch> | AsyncIterable<RecordBatch>;

/**
 * The write side of a Lance table, for the planner's `INSERT`, `DELETE`,
 * `CREATE INDEX`, `DROP INDEX` and `VACUUM` (`CREATE TABLE … AS` is
 * `LanceConnector.createTableFrom`). Past versions (`name@vN`) are
 * read-only and refuse every write with `UNSUPPORTED`.
 */
export interface LanceWriter {
  /** Appends rows as one new version. The batches' schema must match the table's. */
  append(batches: BatchSource, signal?: AbortSignal): Promise<WriteResult>;
  /** Deletes the rows where `filter` is true, as one new version. Throws `UNSUPPORTED` if Lance cannot evaluate it exactly. */
  delete(filter: Expr): Promise<WriteResult>;
  buildIndex(request: CreateIndexRequest): Promise<LanceIndexInfo>;
  removeIndex(name: string): Promise<void>;
  listIndexes(): Promise<readonly LanceIndexInfo[]>;
  /** Compacts small fragments, folds new rows into indexes and deletes old versions. */
  compact(options?: VacuumOptions): Promise<VacuumReport>;
}
