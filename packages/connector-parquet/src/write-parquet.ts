/**
 * Writing Arrow batches back to the lake as Parquet objects
 * (`COPY (SELECT …) TO 's3://…/x.parquet'`, `CREATE TABLE lake.t AS SELECT …`).
 * DuckDB writes the Parquet (it is the most complete writer at hand): the
 * batches are bulk-loaded into it with `@spoke/duckdb-arrow` (the same
 * loader the planner uses, exact for every type and a memory copy per column
 * per chunk), it writes a local file, and the object store uploads it
 * (multipart when large).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batchesOf,
  ErrorCode,
  noBatches,
  type RecordBatch,
  resumedStream,
  type Schema,
  SpokeError,
  throwIfAborted,
} from '@spoke/core';
import { arrowToDuckDBType, createDuckDBInstance, loadBatches, quoteIdentifier } from '@spoke/duckdb-arrow';
import { openObject, type S3Options } from '@spoke/object-store';

/** Options for {@link writeParquet}. */
export interface WriteParquetOptions {
  /** For `s3://` targets. */
  readonly s3?: S3Options;
  /** Parquet compression codec. Default `zstd`. */
  readonly compression?: 'snappy' | 'zstd' | 'gzip' | 'uncompressed';
  /** Rows per row group. Default 122880 (DuckDB's). */
  readonly rowGroupSize?: number;
  /** The batches' schema; without it the first batch's (and no batches is an error). */
  readonly schema?: Schema;
  readonly signal?: AbortSignal;
}

/** What {@link writeParquet} wrote. */
export interface WriteParquetResult {
  readonly url: string;
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Writes `batches` as one Parquet object at `url` (`s3://bucket/key.parquet`,
 * `file:///dir/x.parquet`, `memory://…`). The planner's
 * `COPY (SELECT …) TO 'url'` calls this with the query's result batches.
 */
export async function writeParquet(
  url: string,
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  options: WriteParquetOptions = {},
): Promise<WriteParquetResult> {
  const dir = await mkdtemp(join(tmpdir(), 'spoke-parquet-out-'));
  try {
    const parquet = join(dir, 'out.parquet');
    const { rows } = await encodeParquetFile(parquet, batches, {
      ...options,
      tempDirectory: dir,
      target: url,
    });
    return await uploadParquetFile(parquet, url, options, rows);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Options for {@link encodeParquetFile}. */
export interface EncodeParquetOptions
  extends Pick<WriteParquetOptions, 'compression' | 'rowGroupSize' | 'schema' | 'signal'> {
  /** Where DuckDB may spill while it holds the rows (the result can be larger than memory). */
  readonly tempDirectory: string;
  /** The destination, for error messages. */
  readonly target: string;
  /**
   * Write these columns, in this order and as these types (an existing
   * table's, so an appended object merges with the others): a batch column
   * is cast to its field's type, a field no batch has is NULL.
   */
  readonly as?: Schema;
}

/**
 * Writes `batches` as a Parquet file at the local `path` with embedded
 * DuckDB. With no batches (an empty result) the file has the schema and no
 * rows, when a schema is given.
 */
export async function encodeParquetFile(
  path: string,
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  options: EncodeParquetOptions,
): Promise<{ rows: number }> {
  const { schema, rest } = await peekSchema(batches, options.schema);
  if (!schema)
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `nothing to write to ${options.target}: no batches (and so no schema)`,
    );
  if (schema.fields.length === 0)
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `nothing to write to ${options.target}: the rows have no columns`,
    );
  const names = new Set<string>();
  for (const f of schema.fields) {
    if (names.has(f.name.toLowerCase()))
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `cannot write ${options.target}: column "${f.name}" appears twice (Parquet readers cannot tell them apart); name the columns with AS`,
      );
    names.add(f.name.toLowerCase());
  }
  const instance = await createDuckDBInstance({ tempDirectory: options.tempDirectory, threads: 2 });
  const connection = await instance.connect();
  try {
    const { rows } = await loadBatches(connection, 'spoke_export', schema, rest, options.signal);
    throwIfAborted(options.signal);
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const source = options.as
      ? `(SELECT ${options.as.fields
          .map((f) => {
            const type = arrowToDuckDBType(f.type).sql;
            const value = names.has(f.name.toLowerCase()) ? quoteIdentifier(f.name) : 'NULL';
            return `CAST(${value} AS ${type}) AS ${quoteIdentifier(f.name)}`;
          })
          .join(', ')} FROM ${quoteIdentifier('spoke_export')})`
      : quoteIdentifier('spoke_export');
    await connection.run(
      `COPY ${source} TO ${q(path)} (FORMAT parquet, COMPRESSION ${options.compression ?? 'zstd'}, ROW_GROUP_SIZE ${options.rowGroupSize ?? 122880})`,
    );
    return { rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The batches' schema (given, or the first batch's) and the batches, none lost to the peek. */
export async function peekSchema(
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  given: Schema | undefined,
): Promise<{ schema: Schema | undefined; rest: AsyncIterable<RecordBatch> }> {
  const source: AsyncIterable<RecordBatch> =
    Symbol.asyncIterator in batches
      ? (batches as AsyncIterable<RecordBatch>)
      : batchesOf(batches as Iterable<RecordBatch>);
  if (given) return { schema: given, rest: source };
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return { schema: undefined, rest: noBatches() };
  return { schema: first.value.schema, rest: resumedStream(first.value, iterator) };
}

/**
 * Uploads a Parquet file already on local disk (for instance one DuckDB
 * wrote with its own `COPY … TO`) to `url`.
 */
export async function uploadParquetFile(
  localPath: string,
  url: string,
  options: Pick<WriteParquetOptions, 's3' | 'signal'> = {},
  rows = -1,
): Promise<WriteParquetResult> {
  const { store, key } = openObject(url, options.s3 ? { s3: options.s3 } : {});
  try {
    const bytes = new Uint8Array(await readFile(localPath));
    await store.put(key, bytes, {
      contentType: PARQUET_CONTENT_TYPE,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { url, rows, bytes: bytes.byteLength };
  } finally {
    await store.close();
  }
}

/** The media type Parquet objects are stored with. */
export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';
