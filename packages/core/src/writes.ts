/**
 * Writes, for sources that take them (Lance first). Every member is
 * optional: a table without `insert` refuses `INSERT` with `UNSUPPORTED`.
 * Each write is atomic from the reader's point of view (one new version for
 * versioned formats), and readers of older versions are unaffected.
 */
import type { RecordBatch, Schema } from './arrow.js';
import type { Expr } from './expression.js';
import type { QueryContext } from './query-context.js';

/** Options for every write. */
export interface WriteOptions {
  readonly signal: AbortSignal;
  readonly context: QueryContext;
}

/** What a write did. */
export interface WriteResult {
  /** Rows inserted or deleted (0 for index and maintenance statements). */
  readonly rows: number;
  /** The table version the write produced, for versioned formats. */
  readonly version?: number | string;
  /** A human-readable account (VACUUM's "compacted 12 fragments into 1, removed 3 versions"). */
  readonly summary?: string;
}

/** `CREATE INDEX [name] ON t USING method (columns) WITH (options)`. */
export interface IndexSpec {
  readonly name?: string;
  readonly columns: readonly string[];
  /** The access method as written after USING (`ivf_pq`, `hnsw_sq`, `fts`, `btree`…), lower-case. */
  readonly method: string;
  readonly options: Readonly<Record<string, string | number | boolean>>;
}

/** The write members a table may have. */
export interface TableWrites {
  /** Appends rows; `batches` have the table's column names (a subset, in any order) and types the table can take. */
  insert?(batches: AsyncIterable<RecordBatch>, options: WriteOptions): Promise<WriteResult>;
  /** Deletes the rows where `filter` is true (every row when it is undefined). */
  delete?(filter: Expr | undefined, options: WriteOptions): Promise<WriteResult>;
  createIndex?(spec: IndexSpec, options: WriteOptions): Promise<WriteResult>;
  dropIndex?(name: string, options: WriteOptions): Promise<WriteResult>;
  /** Compacts and cleans up old versions (`VACUUM`). */
  vacuum?(options: WriteOptions): Promise<WriteResult>;
}

/** The write member a catalog may have. */
export interface CatalogWrites {
  /** `CREATE TABLE … AS SELECT`: creates `schema.name` with `arrowSchema` holding `batches`. */
  createTable?(
    schema: string,
    name: string,
    arrowSchema: Schema,
    batches: AsyncIterable<RecordBatch>,
    options: WriteOptions,
  ): Promise<WriteResult>;
}
