/**
 * One Parquet object: its footer, read with ranged GETs through the cache,
 * and decoding of the column chunks a scan needs.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { type CachingObjectStore, isObjectNotFound } from '@spoke/object-store';
import { type AsyncBuffer, type FileMetaData, type ParquetParsers, parquetScan } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/** A data file found for a table: its key, size and ETag from the listing, and its hive partition values. */
export interface FileRef {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  /** When the object was last written (S3 `LastModified`, a file's mtime), where the store says. */
  readonly lastModified?: Date;
  readonly partitions: Readonly<Record<string, string | null>>;
}

/**
 * Values as Spoke carries them: dates in days, timestamps in microseconds
 * (bigint), JSON as text. Keeps the decoder from making `Date` objects that
 * would drop microseconds.
 */
export const SPOKE_PARSERS: Partial<ParquetParsers> = {
  dateFromDays: (days: number) => days,
  timestampFromMilliseconds: (ms: bigint) => ms * 1000n,
  timestampFromMicroseconds: (us: bigint) => us,
  // Floored, as @spoke/duckdb-arrow writes DuckDB's TIMESTAMP_NS, so both decoders agree before 1970.
  timestampFromNanoseconds: (ns: bigint) => (ns % 1000n < 0n ? ns / 1000n - 1n : ns / 1000n),
  jsonFromBytes: (bytes: Uint8Array) => (bytes ? new TextDecoder().decode(bytes) : bytes),
};

/**
 * For reading values: strings stay UTF-8 bytes, which Arrow stores as they
 * are (decoding to JS strings and encoding back cost more than the decoding
 * of the page itself).
 */
export const SPOKE_DATA_PARSERS: Partial<ParquetParsers> = {
  ...SPOKE_PARSERS,
  stringFromBytes: (bytes: Uint8Array) => bytes,
};

/** An AsyncBuffer over ranged GETs of one object, keyed in the cache by its ETag. */
export function objectBuffer(store: CachingObjectStore, file: FileRef, signal?: AbortSignal): AsyncBuffer {
  return {
    byteLength: file.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const bytes = await store.get(file.key, {
        range: { start, end: end ?? file.size },
        ...(file.etag !== undefined ? { etag: file.etag } : {}),
        ...(signal ? { signal } : {}),
      });
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    },
  };
}

/** Turns a decoder failure into an error that names the object. */
export function corrupt(
  store: CachingObjectStore,
  file: FileRef,
  error: unknown,
  source?: string,
): SpokeError {
  if (SpokeError.isInstance(error)) {
    if (isObjectNotFound(error) || error.code === ErrorCode.QUERY_CANCELLED) return error;
    return error;
  }
  return new SpokeError(
    ErrorCode.SOURCE_ERROR,
    `Parquet object ${store.urlOf(file.key)} is corrupt or truncated: ${(error as Error)?.message ?? String(error)}`,
    { cause: error, ...(source ? { source } : {}), details: { object: store.urlOf(file.key) } },
  );
}

/** A parsed footer and its raw Thrift bytes (for re-writing it for DuckDB). */
export interface Footer {
  readonly metadata: FileMetaData;
  /** The footer's Thrift bytes, without the length and magic that follow it. */
  readonly raw: Uint8Array;
  /** Where the footer begins in the object (the data ends there). */
  readonly start: number;
}

/**
 * The footer as the decoder should see it for reading values: decimal
 * annotations removed so unscaled integers come back exactly (the decoder
 * would turn them into floating point), and Spoke scales them itself.
 */
export function rawDecimalMetadata(metadata: FileMetaData): FileMetaData {
  return {
    ...metadata,
    schema: metadata.schema.map((el) =>
      el.converted_type === 'DECIMAL' || el.logical_type?.type === 'DECIMAL'
        ? { ...el, converted_type: undefined, logical_type: undefined }
        : el,
    ) as FileMetaData['schema'],
  };
}

/** A prepared reader of some columns of one file, one row group at a time. */
export async function openColumnReader(
  store: CachingObjectStore,
  file: FileRef,
  metadata: FileMetaData,
  columns: readonly string[],
  signal?: AbortSignal,
): Promise<(column: string, rowStart: number, rowEnd: number) => Promise<ArrayLike<unknown>>> {
  const scan = await parquetScan({
    file: objectBuffer(store, file, signal),
    metadata: rawDecimalMetadata(metadata),
    columns: [...columns],
    utf8: false,
    parsers: SPOKE_DATA_PARSERS,
    compressors,
    useOffsetIndex: false,
  });
  return (column, rowStart, rowEnd) => scan.readColumn({ column, rowStart, rowEnd });
}
