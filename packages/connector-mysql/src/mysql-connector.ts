import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  arrow,
  type ConnectorContext,
  childrenOf,
  columnsOf,
  ErrorCode,
  type Expr,
  type Field,
  type FilterSupport,
  type RecordBatch,
  type RenderedSql,
  type ScalarType,
  type ScalarValue,
  type ScanRequest,
  type Schema,
  type SourceFreshness,
  SpokeError,
  type SqlExecutor,
  type TableStatistics,
  toArrowType,
} from '@spoke/core';
import {
  type ColumnTypeLookup,
  dividesByPossibleZero,
  type ExpressionDialect,
  ExpressionRenderer,
  emptyBatch,
  numericClass,
  type SqlColumn,
  type SqlRunOptions,
  SqlSourceConnector,
  type SqlTableDescription,
  truncatingIntegerDivision,
} from '@spoke/sdk';
import type { FieldPacket, Pool, PoolConnection } from 'mysql2';
import mysql from 'mysql2';
import { BinaryRowDecoder, type WireField } from './binary-row-decoder.js';
import { MysqlDialect, MysqlExpressionDialect, stringCharset, textArrayIn } from './mysql-dialect.js';
import { mysqlFreshness } from './mysql-freshness.js';
import { type MysqlConnectionSettings, type MysqlOptions, resolveMysqlOptions } from './mysql-options.js';
import { type MysqlColumnInfo, type MysqlTypeMapping, mapMysqlType } from './mysql-type-mapping.js';

const SYSTEM_SCHEMAS = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/** What the connector keeps about each column, in {@link SqlColumn.native}. */
interface MysqlNative {
  readonly mapping: MysqlTypeMapping;
  readonly isString: boolean;
  readonly characterSet: string | null;
}

/** MySQL's ER_QUERY_INTERRUPTED and MariaDB's statement-timeout errors. */
const INTERRUPTED = new Set([1317, 1969, 3024]);

/**
 * A MySQL or MariaDB source, over `mysql2`. Scans and pushed-down
 * sub-queries run as server-side prepared statements (binary protocol, every
 * literal bound) and stream: each row packet is decoded straight into Arrow
 * buffers as it arrives (binary-row-decoder.ts; mysql2 keeps the connection,
 * authentication, TLS and statement cache), and the socket is paused while
 * the consumer is behind. Cancelling sends `KILL QUERY` on another connection.
 */
export class MysqlConnector extends SqlSourceConnector {
  /** Whole sub-query push-down is on (this connector declares a `dialect`). */
  declare readonly sql: SqlExecutor;
  readonly sourceName: string;
  readonly defaultSchema: string;
  readonly expressionDialect = new MysqlExpressionDialect();
  readonly dialect: MysqlDialect;
  readonly pool: Pool;
  /** `mariadb` or `mysql`, read from the server's version at the first query. */
  flavor: 'mariadb' | 'mysql' = 'mariadb';
  readonly #options: MysqlOptions;
  readonly #described = new Map<string, SqlTableDescription>();
  #ready: Promise<void> | undefined;

  constructor(options: MysqlOptions, connection: MysqlConnectionSettings, context: ConnectorContext) {
    super();
    this.sourceName = context.sourceName;
    this.defaultSchema = connection.database;
    this.#options = options;
    // Every query binds its tables: without it each pays the catalog's and the statistics' round trips first.
    this.catalogCacheMs = options.catalogCacheMs;
    this.dialect = new MysqlDialect({
      resolveTable: (schema, name) => this.#described.get(`${schema ?? this.defaultSchema}\u0000${name}`),
      binaryCollation: (cs) => this.binaryCollation(cs),
    });
    const ssl =
      options.tls === 'disable'
        ? undefined
        : {
            rejectUnauthorized: options.tls === 'verify',
            ...(options.tlsCa
              ? {
                  ca: readFileSync(
                    isAbsolute(options.tlsCa) ? options.tlsCa : resolve(context.baseDir, options.tlsCa),
                    'utf8',
                  ),
                }
              : {}),
          };
    this.pool = mysql.createPool({
      host: connection.host,
      port: connection.port,
      user: connection.user,
      password: connection.password,
      database: connection.database,
      connectionLimit: options.poolSize,
      connectTimeout: options.connectTimeoutMs,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      jsonStrings: true,
      decimalNumbers: false,
      charset: 'utf8mb4',
      ...(ssl ? { ssl } : {}),
    });
    this.pool.on('connection', (conn) => {
      // TIMESTAMP columns read and compare in UTC; see the type mapping.
      conn.query(`SET time_zone = '+00:00'`);
    });
  }

  /** The binary, no-pad collation for `charset`, so comparisons match DuckDB's (byte order, trailing spaces significant). */
  binaryCollation(charset: string): string {
    if (this.flavor === 'mariadb') return `${charset}_nopad_bin`;
    return charset === 'utf8mb4' ? 'utf8mb4_0900_bin' : `${charset}_bin`;
  }

  /** Whether string comparisons on `charset` are exact (a no-pad binary collation exists). */
  exactCharset(charset: string): boolean {
    return this.flavor === 'mariadb' || charset === 'utf8mb4';
  }

  /** Checks the server answers and reads its flavour. */
  ready(): Promise<void> {
    this.#ready ??= this.#query<{ v: string }>('SELECT VERSION() AS v', []).then(
      (rows) => {
        const version = rows[0]?.v ?? '';
        this.flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
        // Long IN lists (a join's keys) as one JSON array, in scans and in whole statements alike.
        const arrays = hasJsonTable(this.flavor, version);
        this.expressionDialect.valueListsAsArrays = arrays;
        this.dialect.expressions.valueListsAsArrays = arrays;
      },
      (error: unknown) => {
        this.#ready = undefined;
        throw this.#wrap(error, 'could not connect');
      },
    );
    return this.#ready;
  }

  async #query<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return new Promise((resolvePromise, reject) => {
      this.pool.execute(sql, params as never, (error, rows) =>
        error ? reject(this.#wrap(error)) : resolvePromise(rows as T[]),
      );
    });
  }

  #wrap(error: unknown, what = 'query failed'): SpokeError {
    if (SpokeError.isInstance(error)) return error;
    const e = error as { code?: string; errno?: number; message?: string };
    const unavailable =
      e.code === 'ECONNREFUSED' ||
      e.code === 'PROTOCOL_CONNECTION_LOST' ||
      e.code === 'ETIMEDOUT' ||
      e.code === 'ENOTFOUND';
    if (e.errno !== undefined && e.errno === 1969) {
      return new SpokeError(ErrorCode.QUERY_TIMEOUT, `${this.sourceName}: statement time limit reached`, {
        cause: error,
        source: this.sourceName,
      });
    }
    return new SpokeError(
      unavailable ? ErrorCode.SOURCE_UNAVAILABLE : ErrorCode.SOURCE_ERROR,
      `${this.sourceName}: ${what}: ${e.message ?? String(error)}`,
      {
        cause: error,
        source: this.sourceName,
      },
    );
  }

  async listSchemaNames(): Promise<readonly string[]> {
    await this.ready();
    const rows = await this.#query<{ s: string }>(
      'SELECT SCHEMA_NAME AS s FROM information_schema.schemata ORDER BY 1',
      [],
    );
    return rows.map((r) => r.s).filter((s) => !SYSTEM_SCHEMAS.has(s));
  }

  async listTableNames(schema: string): Promise<readonly string[] | undefined> {
    await this.ready();
    const exists = await this.#query('SELECT 1 FROM information_schema.schemata WHERE SCHEMA_NAME = ?', [
      schema,
    ]);
    if (!exists.length) return undefined;
    const rows = await this.#query<{ t: string }>(
      'SELECT TABLE_NAME AS t FROM information_schema.tables WHERE TABLE_SCHEMA = ? ORDER BY 1',
      [schema],
    );
    return rows.map((r) => r.t);
  }

  async describeTable(schema: string, table: string): Promise<SqlTableDescription | undefined> {
    await this.ready();
    const kinds = await this.#query<{ k: string }>(
      'SELECT TABLE_TYPE AS k FROM information_schema.tables WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [schema, table],
    );
    // information_schema compares names with the server's case rules; keep only the exact spelling.
    if (!kinds.length) return undefined;
    const rows = await this.#query<{
      name: string;
      dataType: string;
      columnType: string;
      precision: number | string | null;
      scale: number | string | null;
      charset: string | null;
      nullable: string;
      tableName: string;
    }>(
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, NUMERIC_PRECISION AS \`precision\`,
              NUMERIC_SCALE AS scale, CHARACTER_SET_NAME AS charset, IS_NULLABLE AS nullable, TABLE_NAME AS tableName
       FROM information_schema.columns WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [schema, table],
    );
    const exact = rows.filter((r) => r.tableName === table);
    if (!exact.length) return undefined;
    const columns = exact.map((r): SqlColumn => {
      const info: MysqlColumnInfo = {
        dataType: r.dataType,
        columnType: r.columnType,
        numericPrecision: r.precision === null ? null : Number(r.precision),
        numericScale: r.scale === null ? null : Number(r.scale),
        characterSet: r.charset,
      };
      const mapping = mapMysqlType(info);
      const native: MysqlNative = { mapping, isString: mapping.isString, characterSet: r.charset };
      return {
        name: r.name,
        field: new arrow.Field(r.name, toArrowType(mapping.type), r.nullable === 'YES'),
        sourceType: r.columnType,
        native,
      };
    });
    const description: SqlTableDescription = {
      schema,
      name: table,
      kind: /view/i.test(kinds[0]!.k) ? 'view' : 'table',
      columns,
    };
    this.#described.set(`${schema}\u0000${table}`, description);
    return description;
  }

  /** Row count and size from information_schema.tables (estimates for InnoDB); distinct counts from index cardinality. */
  override async tableStatistics(table: SqlTableDescription): Promise<TableStatistics | undefined> {
    const rows = await this.#query<{
      n: number | string | null;
      bytes: number | string | null;
      engine: string | null;
    }>(
      'SELECT TABLE_ROWS AS n, DATA_LENGTH AS bytes, ENGINE AS engine FROM information_schema.tables WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [table.schema, table.name],
    );
    const row = rows[0];
    if (!row || row.n === null) return undefined;
    // MyISAM/Aria keep an exact count; InnoDB's is a sample.
    const exact = row.engine !== null && /^(myisam|aria)$/i.test(row.engine);
    const rowCount = Number(row.n);
    const indexes = await this.#query<{
      col: string;
      card: number | string | null;
      nonUnique: number | string;
      parts: number | string;
    }>(
      `SELECT s.COLUMN_NAME AS col, s.CARDINALITY AS card, s.NON_UNIQUE AS nonUnique,
              (SELECT COUNT(*) FROM information_schema.statistics p WHERE p.TABLE_SCHEMA = s.TABLE_SCHEMA AND p.TABLE_NAME = s.TABLE_NAME AND p.INDEX_NAME = s.INDEX_NAME) AS parts
       FROM information_schema.statistics s WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.SEQ_IN_INDEX = 1`,
      [table.schema, table.name],
    );
    const columns: Record<string, { distinctCount: { value: number; exact: boolean } }> = {};
    for (const index of indexes) {
      const unique = Number(index.nonUnique) === 0 && Number(index.parts) === 1;
      const value = unique ? rowCount : index.card === null ? undefined : Number(index.card);
      if (value !== undefined) columns[index.col] = { distinctCount: { value, exact: unique && exact } };
    }
    return {
      rowCount: { value: rowCount, exact },
      ...(row.bytes !== null ? { totalBytes: { value: Number(row.bytes), exact: false } } : {}),
      ...(Object.keys(columns).length ? { columns } : {}),
    };
  }

  /**
   * String filters are exact when the column's character set has a no-pad
   * binary collation. Integer `/` is rewritten to truncate (see
   * {@link integerDivision}); decimal `/` is inexact (MySQL keeps
   * div_precision_increment digits).
   */
  override filterSupport(filter: Expr, table: SqlTableDescription): FilterSupport {
    let support: FilterSupport = 'exact';
    const names = new Set(columnsOf(filter));
    for (const column of table.columns) {
      const charset = names.has(column.name) ? stringCharset(column) : undefined;
      if (charset && !this.exactCharset(charset)) support = 'inexact';
    }
    const visit = (e: Expr): void => {
      // MySQL answers NULL for `x / 0` and `x % 0` where PostgreSQL raises 22012: the row would vanish at
      // the source instead of failing the query, so a divisor that may be zero stays with Spoke.
      if (dividesByPossibleZero(e)) support = 'unsupported';
      if (e.kind === 'arithmetic' && e.op === '/') {
        const l = numericClass(e.left, columnType(table));
        const r = numericClass(e.right, columnType(table));
        if (l === 'other' || r === 'other') support = 'unsupported';
        // MySQL divides decimals to div_precision_increment digits only.
        else if ((l === 'decimal' || r === 'decimal') && support === 'exact') support = 'inexact';
      }
      for (const child of childrenOf(e)) visit(child);
    };
    visit(filter);
    return support;
  }

  /** As the sdk's, with character columns collated in binary, no-pad order inside WHERE and ORDER BY. */
  override renderScan(
    table: SqlTableDescription,
    request: Pick<ScanRequest, 'projection' | 'filters' | 'limit' | 'orderBy'>,
  ): RenderedSql {
    const d = this.expressionDialect;
    const collating = collatingDialect(d, table, (cs) => this.binaryCollation(cs));
    const r = new ExpressionRenderer(collating);
    const columns = request.projection.map((name) => this.column(table, name));
    const select = columns.length ? columns.map((c) => d.quoteIdentifier(c.name)).join(', ') : '1';
    let sql = `SELECT ${select} FROM ${d.quoteIdentifier(table.schema)}.${d.quoteIdentifier(table.name)}`;
    if (request.filters.length)
      sql += ` WHERE ${request.filters.map((f) => r.render(truncatingIntegerDivision(f, columnType(table)))).join(' AND ')}`;
    if (request.orderBy?.length) {
      sql += ` ORDER BY ${r.renderOrderBy(request.orderBy.map((k) => ({ ...k, expr: truncatingIntegerDivision(k.expr, columnType(table)) })))}`;
    }
    if (request.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(request.limit))}`;
    return { sql, params: r.params };
  }

  executeSql(query: RenderedSql, options: SqlRunOptions): AsyncIterable<RecordBatch> {
    return this.#stream(query, options);
  }

  async *#stream(query: RenderedSql, options: SqlRunOptions): AsyncGenerator<RecordBatch> {
    const { signal } = options;
    if (signal.aborted) throw SpokeError.cancelled(signal);
    await this.ready();
    const conn = await new Promise<PoolConnection>((ok, fail) =>
      this.pool.getConnection((error, c) => (error ? fail(this.#wrap(error, 'could not connect')) : ok(c))),
    );
    const limitMs = this.#options.queryTimeoutMs;
    const sql =
      limitMs > 0
        ? this.flavor === 'mariadb'
          ? `SET STATEMENT max_statement_time=${limitMs / 1000} FOR ${query.sql}`
          : query.sql.replace(/^\s*SELECT\b/i, `SELECT /*+ MAX_EXECUTION_TIME(${limitMs}) */`)
        : query.sql;
    const batchRows = this.#options.batchRows;
    const queue: RecordBatch[] = [];
    let error: unknown;
    let done = false;
    let killed = false;
    let stopped = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    let decoder: BinaryRowDecoder | undefined;
    let schema: Schema | undefined;
    const kill = () => {
      if (killed || done) return;
      killed = true;
      // KILL QUERY must come from another connection: this one is busy streaming.
      this.pool.query(`KILL QUERY ${Number(conn.threadId)}`, () => {});
    };
    const onAbort = () => kill();
    signal.addEventListener('abort', onAbort);
    const cmd = conn.execute({ sql, rowsAsArray: true }, query.params.map(toMysqlParam) as never);
    cmd.on('fields', (fields: FieldPacket[] | undefined) => {
      if (!fields) return; // a statement without a result set (mysql2 reports its OK packet this way)
      const mappings = options.columns
        ? options.columns.map((c) => (c.native as MysqlNative).mapping)
        : fields.map((f) => mapMysqlType(fieldInfo(f)));
      const arrowFields: Field[] = options.columns
        ? options.columns.map((c) => c.field)
        : fields.map((f, i) => new arrow.Field(f.name, toArrowType(mappings[i]!.type), true));
      schema = new arrow.Schema(arrowFields);
      try {
        decoder = new BinaryRowDecoder(schema, mappings, fields.map(wireField), batchRows);
      } catch (e) {
        error ??= e;
        kill();
      }
    });
    // Rows are decoded from the packets into Arrow buffers (binary-row-decoder.ts) instead of mysql2's row
    // arrays: mysql2 asks the command for its row parser once the columns are known, and gets ours.
    let parserInstalled = false;
    const onRow = (packet: { buffer: Uint8Array; offset: number }): undefined => {
      const d = decoder;
      if (stopped || !d || d.error) return; // the consumer left, or the scan failed: drain without building
      d.decode(packet.buffer, packet.offset);
      if (d.error) {
        error ??= d.error;
        kill();
        return;
      }
      if (d.rows >= batchRows || d.full) {
        queue.push(d.flush());
        if (queue.length >= 2 && !stopped) conn.pause();
        notify();
      }
    };
    (cmd as unknown as { buildParserFromFields: () => unknown }).buildParserFromFields = () => {
      parserInstalled = true;
      return class {
        next = onRow;
      };
    };
    cmd.on('error', (e: unknown) => {
      error ??= e;
      done = true;
      notify();
    });
    cmd.on('end', () => {
      if (schema && !parserInstalled && error === undefined) {
        // mysql2 changed how it reads rows: fail loudly rather than return nothing.
        error = new SpokeError(
          ErrorCode.INTERNAL,
          `${this.sourceName}: this mysql2 version's row reader could not be replaced`,
        );
      }
      if (decoder && decoder.rows > 0 && error === undefined && !stopped) queue.push(decoder.flush());
      done = true;
      notify();
    });
    let yielded = false;
    try {
      for (;;) {
        if (queue.length) {
          const batch = queue.shift()!;
          if (queue.length < 2) conn.resume();
          yielded = true;
          yield batch;
          continue;
        }
        if (done) break;
        await new Promise<void>((r) => {
          wake = r;
        });
      }
      if (signal.aborted) throw SpokeError.cancelled(signal);
      if (error !== undefined) {
        // The table may have changed under a cached description: describe afresh next time.
        if (options.columns && !signal.aborted) this.invalidateCatalog();
        const errno = (error as { errno?: number }).errno;
        if (killed && errno !== undefined && INTERRUPTED.has(errno) && signal.aborted)
          throw SpokeError.cancelled(signal);
        throw this.#wrap(error);
      }
      if (!yielded && schema) yield emptyBatch(schema);
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!done) {
        // The consumer stopped early: stop the statement, let the connection drain, then reuse it.
        stopped = true;
        kill();
        conn.resume();
        await new Promise<void>((r) => {
          const check = () => (done ? r() : setTimeout(check, 5));
          check();
        });
      }
      // A KILL QUERY travels on another connection and may land after the statement ended — on the next
      // query, had this connection gone back to the pool: a killed connection is discarded instead.
      if (killed) conn.destroy();
      else conn.release();
    }
  }

  /** When each table last changed: see mysql-freshness.ts. */
  async freshness(): Promise<SourceFreshness> {
    await this.ready();
    return mysqlFreshness((sql, params) => this.#query(sql, params), SYSTEM_SCHEMAS);
  }

  override async close(): Promise<void> {
    await new Promise<void>((r) => this.pool.end(() => r()));
  }
}

/** A dialect that renders references to character columns collated in binary, no-pad order (WHERE/ORDER BY of scans). */
function collatingDialect(
  base: MysqlExpressionDialect,
  table: SqlTableDescription,
  collation: (cs: string) => string,
): ExpressionDialect {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  return Object.assign(Object.create(base) as MysqlExpressionDialect, {
    quoteIdentifier(name: string): string {
      const quoted = base.quoteIdentifier(name);
      const charset = stringCharset(byName.get(name));
      return charset ? `(${quoted} COLLATE ${collation(charset)})` : quoted;
    },
    valueArray(operand: Expr | undefined, itemType: ScalarType, values: readonly ScalarValue[]) {
      if (itemType.id !== 'utf8') return base.valueArray(operand, itemType, values);
      const charset = operand?.kind === 'column' ? stringCharset(byName.get(operand.name)) : undefined;
      return charset === 'utf8mb4' ? textArrayIn(values) : undefined;
    },
  });
}

/** Whether the server has `JSON_TABLE` (MariaDB 10.6, MySQL 8.0.4), which long `IN` lists are sent through. */
export function hasJsonTable(flavor: 'mariadb' | 'mysql', version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  const at = major * 1_000_000 + minor * 1_000 + patch;
  return flavor === 'mariadb' ? at >= 10_006_000 : at >= 8_000_004;
}

/** A column's IR type, from the table description. */
function columnType(table: SqlTableDescription): ColumnTypeLookup {
  return (name) =>
    (table.columns.find((c) => c.name === name)?.native as MysqlNative | undefined)?.mapping.type;
}

/** Values as mysql2 binds them: booleans as 1/0, big integers as text (CAST in the SQL types them). */
function toMysqlParam(value: ScalarValue): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

/** The parts of mysql2's column definition the row decoder needs. */
function wireField(f: FieldPacket): WireField {
  return {
    name: f.name,
    columnType: Number(f.columnType),
    flags: Number(f.flags ?? 0),
    characterSet: Number(f.characterSet ?? 0),
  };
}

/** Describes a result column (a pushed-down sub-query's) the way information_schema would. */
function fieldInfo(f: FieldPacket): MysqlColumnInfo {
  const t = mysql.Types as unknown as Record<string, number>;
  const flags = Number(f.flags ?? 0);
  const unsigned = (flags & 32) !== 0 ? ' unsigned' : '';
  const binary = f.characterSet === 63;
  const length = Number(f.columnLength ?? 0);
  const decimals = Number(f.decimals ?? 0);
  const type = Number(f.columnType);
  const info = (
    dataType: string,
    columnType = dataType,
    extra: Partial<MysqlColumnInfo> = {},
  ): MysqlColumnInfo => ({
    dataType,
    columnType,
    numericPrecision: null,
    numericScale: null,
    characterSet: binary ? null : 'utf8mb4',
    ...extra,
  });
  switch (type) {
    case t.TINY:
      return info('tinyint', length === 1 ? 'tinyint(1)' : `tinyint${unsigned}`);
    case t.SHORT:
      return info('smallint', `smallint${unsigned}`);
    case t.INT24:
    case t.LONG:
      return info('int', `int${unsigned}`);
    case t.LONGLONG:
      return info('bigint', `bigint${unsigned}`);
    case t.YEAR:
      return info('year');
    case t.DECIMAL:
    case t.NEWDECIMAL: {
      const precision = length - (decimals > 0 ? 1 : 0) - (unsigned ? 0 : 1);
      return info('decimal', 'decimal', { numericPrecision: Math.max(1, precision), numericScale: decimals });
    }
    case t.FLOAT:
      return info('float');
    case t.DOUBLE:
      return info('double');
    case t.BIT:
      return info('bit', length === 1 ? 'bit(1)' : `bit(${length})`);
    case t.DATE:
    case t.NEWDATE:
      return info('date');
    case t.DATETIME:
      return info('datetime');
    case t.TIMESTAMP:
      return info('timestamp');
    case t.TIME:
      return info('time');
    case t.JSON:
      return info('json', 'json', { characterSet: 'utf8mb4' });
    case t.ENUM:
    case t.SET:
      return info('enum', 'enum', { characterSet: 'utf8mb4' });
    case t.VARCHAR:
    case t.VAR_STRING:
    case t.STRING:
    case t.TINY_BLOB:
    case t.BLOB:
    case t.MEDIUM_BLOB:
    case t.LONG_BLOB:
      return binary ? info('varbinary') : info('varchar');
    default:
      return info('geometry');
  }
}

/** Creates a connector from config options (see {@link resolveMysqlOptions}). */
export async function createMysqlConnector(
  options: Readonly<Record<string, unknown>>,
  context: ConnectorContext,
): Promise<MysqlConnector> {
  const resolved = resolveMysqlOptions(options, context);
  return new MysqlConnector(resolved.options, resolved.connection, context);
}
