/**
 * Writing Arrow batches back to the lake as one Parquet object
 * (`COPY (SELECT …) TO 's3://…/x.parquet'`). DuckDB writes the Parquet
 * (it is the most complete writer at hand); the rows reach it as
 * newline-delimited JSON with explicit column types, and the file goes up
 * through the object store (multipart when large).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  arrow,
  type DataType,
  ErrorCode,
  type RecordBatch,
  type Schema,
  SpokeError,
  throwIfAborted,
  type Vector,
} from '@spoke/core';
import { openObject, type S3Options } from '@spoke/object-store';

/** Options for {@link writeParquet}. */
export interface WriteParquetOptions {
  /** For `s3://` targets. */
  readonly s3?: S3Options;
  /** Parquet compression codec. Default `zstd`. */
  readonly compression?: 'snappy' | 'zstd' | 'gzip' | 'uncompressed';
  /** Rows per row group. Default 122880 (DuckDB's). */
  readonly rowGroupSize?: number;
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
    const json = join(dir, 'rows.ndjson');
    const out = createWriteStream(json);
    let schema: Schema | undefined;
    let rows = 0;
    for await (const batch of batches as AsyncIterable<RecordBatch>) {
      throwIfAborted(options.signal);
      schema ??= batch.schema;
      const columns = batch.schema.fields.map((f, i) => ({ f, v: batch.getChildAt(i) }));
      let chunk = '';
      for (let r = 0; r < batch.numRows; r++) {
        const row: Record<string, unknown> = {};
        for (const { f, v } of columns) row[f.name] = v ? jsonValue(v, r, f.type) : null;
        chunk += `${JSON.stringify(row)}\n`;
        if (chunk.length > 1 << 20) {
          if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()));
          chunk = '';
        }
      }
      if (chunk && !out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()));
      rows += batch.numRows;
    }
    await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
    if (!schema)
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `nothing to write to ${url}: no batches (and so no schema)`,
      );
    const parquet = join(dir, 'out.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
      const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
      const fields = schema.fields as { name: string; type: DataType }[];
      const colSpec = fields.map((f) => `${q(f.name)}: ${q(jsonType(f.type))}`).join(', ');
      const select = fields
        .map((f) => {
          const t = duckdbType(f.type);
          return f.type.typeId === arrow.Type.Binary
            ? `from_base64(${ident(f.name)}) AS ${ident(f.name)}`
            : `CAST(${ident(f.name)} AS ${t}) AS ${ident(f.name)}`;
        })
        .join(', ');
      const source =
        rows === 0
          ? `(SELECT * FROM read_json(${q(json)}, format='newline_delimited', columns={${colSpec}}) LIMIT 0)`
          : `read_json(${q(json)}, format='newline_delimited', columns={${colSpec}})`;
      await conn.run(
        `COPY (SELECT ${select} FROM ${source}) TO ${q(parquet)} (FORMAT parquet, COMPRESSION ${options.compression ?? 'zstd'}, ROW_GROUP_SIZE ${options.rowGroupSize ?? 122880})`,
      );
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    return await uploadParquetFile(parquet, url, options, rows);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
      contentType: 'application/vnd.apache.parquet',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { url, rows, bytes: bytes.byteLength };
  } finally {
    await store.close();
  }
}

function jsonType(type: DataType): string {
  // Read as text where JSON cannot carry the value exactly; CAST then gives the real type.
  switch (type.typeId) {
    case arrow.Type.Decimal:
    case arrow.Type.Timestamp:
    case arrow.Type.Date:
    case arrow.Type.Time:
    case arrow.Type.Binary:
    case arrow.Type.Int:
      return type.typeId === arrow.Type.Int && (type as unknown as { bitWidth: number }).bitWidth < 64
        ? duckdbType(type)
        : 'VARCHAR';
    default:
      return duckdbType(type);
  }
}

function duckdbType(type: DataType): string {
  const t = type as unknown as Record<string, unknown>;
  switch (type.typeId) {
    case arrow.Type.Bool:
      return 'BOOLEAN';
    case arrow.Type.Int: {
      const bits = t.bitWidth as number;
      const name = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' }[bits] ?? 'BIGINT';
      return t.isSigned ? name : `U${name}`;
    }
    case arrow.Type.Float:
      return t.precision === arrow.Precision.DOUBLE ? 'DOUBLE' : 'FLOAT';
    case arrow.Type.Decimal:
      return `DECIMAL(${t.precision},${t.scale})`;
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
      return 'VARCHAR';
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary:
      return 'BLOB';
    case arrow.Type.Date:
      return 'DATE';
    case arrow.Type.Time:
      return 'TIME';
    case arrow.Type.Timestamp:
      return t.timezone ? 'TIMESTAMPTZ' : 'TIMESTAMP';
    case arrow.Type.List: {
      const child = (t.children as { type: DataType }[])[0];
      return `${child ? duckdbType(child.type) : 'VARCHAR'}[]`;
    }
    case arrow.Type.Struct:
      return `STRUCT(${(t.children as { name: string; type: DataType }[]).map((c) => `"${c.name.replace(/"/g, '""')}" ${duckdbType(c.type)}`).join(', ')})`;
    default:
      return 'VARCHAR';
  }
}

/** One cell as JSON: exact text for decimals, timestamps, dates, 64-bit integers. */
function jsonValue(vector: Vector, row: number, type: DataType): unknown {
  if (!vector.isValid(row)) return null;
  const data = vector.data[0];
  switch (type.typeId) {
    case arrow.Type.Decimal: {
      const { chunkIndex, index } = locate(vector, row);
      const d = vector.data[chunkIndex] as unknown as { values: Uint32Array; type: { scale: number } };
      let b = 0n;
      for (let w = 3; w >= 0; w--) b = (b << 32n) | BigInt(d.values[index * 4 + w] as number);
      if (b >> 127n) b -= 1n << 128n;
      return scaled(b, d.type.scale);
    }
    case arrow.Type.Timestamp:
    case arrow.Type.Time: {
      const { chunkIndex, index } = locate(vector, row);
      const d = vector.data[chunkIndex] as unknown as {
        values: BigInt64Array | Int32Array;
        type: { unit: number };
      };
      const unit = d.type.unit;
      const raw = BigInt(d.values[index] as number | bigint);
      const us =
        unit === arrow.TimeUnit.SECOND
          ? raw * 1_000_000n
          : unit === arrow.TimeUnit.MILLISECOND
            ? raw * 1000n
            : unit === arrow.TimeUnit.NANOSECOND
              ? raw / 1000n
              : raw;
      if (type.typeId === arrow.Type.Time) {
        const s = Number(us / 1_000_000n);
        return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${String(us % 1_000_000n).padStart(6, '0')}`;
      }
      const ms = Number(us / 1000n) - (us % 1000n < 0n ? 1 : 0);
      const frac = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
      return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${String(frac).padStart(6, '0')}${(type as unknown as { timezone?: string }).timezone ? '+00' : ''}`;
    }
    case arrow.Type.Date: {
      const v = vector.get(row) as Date | number;
      return new Date(typeof v === 'number' ? v : v.getTime()).toISOString().slice(0, 10);
    }
    case arrow.Type.Binary:
      return Buffer.from(vector.get(row) as Uint8Array).toString('base64');
    case arrow.Type.Int: {
      const v = vector.get(row);
      return typeof v === 'bigint' ? v.toString() : v;
    }
    default: {
      void data;
      const v = vector.get(row);
      return JSON.parse(JSON.stringify(v ?? null, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
    }
  }
}

function locate(vector: Vector, row: number): { chunkIndex: number; index: number } {
  let index = row;
  for (let c = 0; c < vector.data.length; c++) {
    const d = vector.data[c] as { length: number; offset: number };
    if (index < d.length) return { chunkIndex: c, index: index + d.offset };
    index -= d.length;
  }
  return { chunkIndex: 0, index: row };
}

function scaled(b: bigint, scale: number): string {
  const neg = b < 0n;
  const s = (neg ? -b : b).toString().padStart(scale + 1, '0');
  const out = scale > 0 ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s;
  return neg ? `-${out}` : out;
}
