import { stat } from 'node:fs/promises';
import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import {
  arrow,
  type ColumnStatistics,
  columnsOf,
  ErrorCode,
  type Expr,
  type FilterSupport,
  PG_TYPE_METADATA_KEY,
  type RecordBatch,
  type ScalarType,
  type ScanRequest,
  type Schema,
  type SortKey,
  SpokeError,
  type TableStatistics,
  throwIfAborted,
  toArrowType,
} from '@spoke/core';
import { streamResultAsArrow, textCarriedPgType, toTypedDuckDBParams } from '@spoke/duckdb-arrow';
import { BaseTable, ExpressionRenderer, emptyBatch, renderScanSql, type TableSql } from '@spoke/sdk';
import type { DuckDBDatabase } from './duckdb-database.js';
import { mapDuckDBType } from './duckdb-type-mapping.js';
import { rowCountOnlyBatch } from './row-count-batch.js';
import { storedColumnStatistics } from './stored-statistics.js';

/** Where a table's rows come from. */
export type DuckDBTableSource =
  | { readonly kind: 'table'; readonly schema: string; readonly table: string }
  | { readonly kind: 'files'; readonly format: 'parquet' | 'csv'; readonly files: readonly string[] };

interface Resolved {
  readonly schema: Schema;
  /** Whether SQL pushed whole may read the table in place: see {@link DuckDBTable.readsInPlace}. */
  readonly inPlace: boolean;
  /** The FROM item scans render against (the table itself, or a sub-query casting exotic types). */
  readonly from: readonly string[] | TableSql;
}

/** Files a `files:` table may have and still name a snapshot (one stat each, per query). */
const MAX_SNAPSHOT_FILES = 64;

/**
 * A DuckDB table, view, or set of Parquet/CSV files. Filters the DuckDB
 * dialect can render are exact; limit and top-N are pushed; scans stream
 * chunks and convert them to Arrow.
 */
export class DuckDBTable extends BaseTable {
  #resolved: Promise<Resolved> | undefined;
  #settled: Resolved | undefined;

  constructor(
    name: string,
    private readonly db: DuckDBDatabase,
    /** Where the rows come from. */
    readonly source: DuckDBTableSource,
  ) {
    super(name);
  }

  /**
   * For a `files:` table, its files as they are now — path, size, modification
   * time and inode of each — so the engine reuses rows it read while none
   * changed (its read cache). None for a table of the database file, which
   * another process may change without a sign here, or for more than
   * {@link MAX_SNAPSHOT_FILES} files (a stat each per query would cost more
   * than it saves).
   */
  override async snapshot(): Promise<string | undefined> {
    const { source } = this;
    if (source.kind !== 'files' || source.files.length > MAX_SNAPSHOT_FILES) return undefined;
    const stats = await Promise.all(source.files.map((f) => stat(f, { bigint: true })));
    return JSON.stringify(
      stats.map((s, i) => [source.files[i], String(s.size), String(s.mtimeNs), String(s.ino)]),
    );
  }

  /** The raw FROM item: the quoted table, or `read_parquet([...])` / `read_csv([...])`. */
  private rawFrom(): string {
    const d = this.db.dialect;
    if (this.source.kind === 'table')
      return `${d.quoteIdentifier(this.source.schema)}.${d.quoteIdentifier(this.source.table)}`;
    const list = `[${this.source.files.map((f) => d.quoteString(f)).join(', ')}]`;
    return this.source.format === 'parquet'
      ? `read_parquet(${list})`
      : `read_csv(${list}, auto_detect = true)`;
  }

  private resolve(): Promise<Resolved> {
    this.#resolved ??= this.db
      .withConnection(async (connection) => {
        const result = await connection.run(`SELECT * FROM ${this.rawFrom()} LIMIT 0`);
        return { names: result.columnNames(), types: result.columnTypes() };
      })
      .then(({ names, types }) => {
        this.#settled = this.describe(names, types);
        return this.#settled;
      })
      .catch((error) => {
        this.#resolved = undefined;
        throw error;
      });
    return this.#resolved;
  }

  private describe(names: readonly string[], duckTypes: readonly DuckDBType[]): Resolved {
    const d = this.db.dialect;
    const types: ScalarType[] = [];
    const select: string[] = [];
    let cast = false;
    names.forEach((name, i) => {
      const mapping = mapDuckDBType(duckTypes[i]!);
      if ('direct' in mapping) {
        types.push(mapping.direct);
        select.push(d.quoteIdentifier(name));
      } else {
        cast = true;
        types.push(mapDirect(mapping.castTo));
        select.push(`CAST(${d.quoteIdentifier(name)} AS ${mapping.castTo}) AS ${d.quoteIdentifier(name)}`);
      }
    });
    const schema = new arrow.Schema(
      names.map((name, i) => {
        // uuid, json and interval arrive as text; the field says which PostgreSQL type they are.
        const pgType = textCarriedPgType(duckTypes[i]!);
        const metadata = pgType ? new Map([[PG_TYPE_METADATA_KEY, pgType]]) : undefined;
        return new arrow.Field(name, toArrowType(types[i]!), true, metadata);
      }),
    );
    const raw = this.rawFrom();
    const inPlace = this.source.kind === 'table' && duckTypes.every((t) => IN_PLACE_TYPES.has(t.typeId));
    const from: readonly string[] | TableSql =
      !cast && this.source.kind === 'table'
        ? [this.source.schema, this.source.table]
        : {
            sql: cast
              ? `(SELECT ${select.join(', ')} FROM ${raw}) AS ${d.quoteIdentifier(this.name)}`
              : `${raw} AS ${d.quoteIdentifier(this.name)}`,
          };
    return { schema, from, inPlace };
  }

  /**
   * True once the table is described and a scan hands its rows over as
   * stored: a database table (not files) whose columns all have types that
   * reach the residual unchanged. Then a statement pushed whole to the
   * source may read it in place and answer as the residual would.
   */
  readsInPlace(): boolean {
    return this.#settled?.inPlace === true;
  }

  override async schema(): Promise<Schema> {
    return (await this.resolve()).schema;
  }

  /** Exact for every filter the DuckDB dialect renders over this table's columns; DuckDB runs it as is. */
  override async supportsFilters(filters: readonly Expr[]): Promise<readonly FilterSupport[]> {
    const names = new Set((await this.resolve()).schema.fields.map((f) => f.name));
    const renderer = new ExpressionRenderer(this.db.dialect);
    return filters.map((f) =>
      columnsOf(f).every((c) => names.has(c)) && renderer.canRender(f) ? 'exact' : 'unsupported',
    );
  }

  /** Top-N runs in DuckDB when the dialect renders every sort key over this table's columns. */
  async supportsOrderBy(keys: readonly SortKey[]): Promise<boolean> {
    const names = new Set((await this.resolve()).schema.fields.map((f) => f.name));
    const renderer = new ExpressionRenderer(this.db.dialect);
    return keys.every((k) => columnsOf(k.expr).every((c) => names.has(c)) && renderer.canRender(k.expr));
  }

  override async statistics(signal?: AbortSignal): Promise<TableStatistics | undefined> {
    throwIfAborted(signal);
    const source = this.source;
    if (source.kind === 'table') {
      const fields = (await this.resolve()).schema.fields;
      const names = fields.map((f) => f.name);
      const integers = new Set(fields.filter((f) => arrow.DataType.isInt(f.type)).map((f) => f.name));
      return this.db.withConnection(async (connection) => {
        const reader = await connection.runAndReadAll(
          'SELECT estimated_size FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2',
          [source.schema, source.table],
        );
        const row = reader.getRows()[0];
        // Views have no entry; estimated_size counts rows DuckDB has stored, not yet-uncommitted deletes.
        if (!row) return undefined;
        return {
          rowCount: { value: Number(row[0]), exact: false },
          columns: await storedColumnStatistics(connection, this.rawFrom(), names, integers),
        };
      });
    }
    const { statSync } = await import('node:fs');
    const totalBytes = source.files.reduce((sum, f) => sum + statSync(f).size, 0);
    if (source.format !== 'parquet') return { totalBytes: { value: totalBytes, exact: true } };
    const d = this.db.dialect;
    const list = `[${source.files.map((f) => d.quoteString(f)).join(', ')}]`;
    return this.db.withConnection(async (connection) => {
      const rows = (
        await connection.runAndReadAll(`SELECT sum(num_rows) FROM parquet_file_metadata(${list})`)
      ).getRows();
      // Null counts per top-level column, exact only when every row group recorded one.
      const nulls = (
        await connection.runAndReadAll(
          `SELECT path_in_schema, sum(stats_null_count), count(*) = count(stats_null_count) FROM parquet_metadata(${list}) WHERE NOT contains(path_in_schema, '.') GROUP BY path_in_schema`,
        )
      ).getRows();
      const columns: Record<string, ColumnStatistics> = {};
      for (const [name, count, complete] of nulls) {
        if (complete === true && count !== null)
          columns[String(name)] = { nullCount: { value: Number(count), exact: true } };
      }
      return {
        rowCount: { value: Number(rows[0]?.[0] ?? 0), exact: true },
        totalBytes: { value: totalBytes, exact: true },
        columns,
      };
    });
  }

  /**
   * Rows the pushed filters keep, counted: a DuckDB table is local and
   * columnar, so an exact count (stopped at {@link ESTIMATE_CAP} rows) costs
   * a few milliseconds and beats any guess. Cached per filter set. Files
   * (Parquet, CSV) are not counted: they may be large or remote.
   */
  async estimateRows(filters: readonly Expr[], signal?: AbortSignal): Promise<number | undefined> {
    throwIfAborted(signal);
    if (this.source.kind !== 'table') return undefined;
    const key = JSON.stringify(filters, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
    let pending = this.#estimates.get(key);
    if (!pending) {
      pending = (async () => {
        const resolved = await this.resolve();
        const { sql, params } = renderScanSql(this.db.dialect, resolved.from, { projection: [], filters });
        const { values, types } = toTypedDuckDBParams(params);
        return this.db.withConnection(async (connection) => {
          const reader = await connection.runAndReadAll(
            `SELECT count(*) FROM (${sql} LIMIT ${ESTIMATE_CAP}) AS counted`,
            values,
            types,
          );
          return Number(reader.getRows()[0]?.[0] ?? 0);
        });
      })().catch(() => undefined);
      if (this.#estimates.size >= 256) this.#estimates.clear();
      this.#estimates.set(key, pending);
    }
    return pending;
  }

  readonly #estimates = new Map<string, Promise<number | undefined>>();

  override async *scan(request: ScanRequest): AsyncGenerator<RecordBatch> {
    const { signal } = request;
    throwIfAborted(signal);
    const resolved = await this.resolve();
    const fields = request.projection.map((name) => {
      const index = resolved.schema.fields.findIndex((f) => f.name === name);
      if (index < 0)
        throw new SpokeError(ErrorCode.COLUMN_NOT_FOUND, `column "${name}" does not exist in ${this.name}`, {
          source: this.db.sourceName,
        });
      return resolved.schema.fields[index]!;
    });
    const schema = new arrow.Schema(fields);
    const { sql, params } = renderScanSql(this.db.dialect, resolved.from, request);
    throwIfAborted(signal);
    const connection = await this.db.connect();
    const interrupt = () => connection.interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    let rows = 0;
    let clean = false;
    try {
      const { values, types: paramTypes } = toTypedDuckDBParams(params);
      const result = await connection.stream(sql, values, paramTypes);
      if (request.projection.length) {
        // Bulk conversion (fixed-width vectors copied whole, strings straight into Arrow's buffers),
        // written as the table's Arrow types: describe() cast every column to one that fits.
        for await (const batch of streamResultAsArrow(result, signal, { schema })) {
          rows += batch.numRows;
          yield batch;
        }
      } else {
        for (;;) {
          throwIfAborted(signal);
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          rows += chunk.rowCount;
          yield rowCountOnlyBatch(chunk.rowCount);
        }
      }
      if (rows === 0 && request.projection.length) yield emptyBatch(schema);
      clean = !signal.aborted;
    } catch (error) {
      if (signal.aborted) throw SpokeError.cancelled(signal);
      throw this.db.wrap(error);
    } finally {
      signal.removeEventListener('abort', interrupt);
      this.db.release(connection, clean);
    }
  }

  /** The SQL and parameters a scan would send (for EXPLAIN and tests). */
  async renderScan(
    request: Pick<ScanRequest, 'projection' | 'filters' | 'limit' | 'orderBy'>,
  ): Promise<{ sql: string; params: readonly unknown[] }> {
    return renderScanSql(this.db.dialect, (await this.resolve()).from, request);
  }
}

/** Column types a scan passes on unchanged, and the residual loads back as the same DuckDB type. */
const IN_PLACE_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.VARCHAR,
  DuckDBTypeId.BLOB,
  DuckDBTypeId.DATE,
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_TZ,
]);

/** A count stops here: more rows than this is "many" for every plan decision. */
const ESTIMATE_CAP = 10_000_001;

function mapDirect(castTo: string): ScalarType {
  switch (castTo) {
    case 'DECIMAL(38,0)':
      return { id: 'decimal', precision: 38, scale: 0 };
    case 'TIMESTAMP':
      return { id: 'timestamp' };
    default:
      return { id: 'utf8' };
  }
}
