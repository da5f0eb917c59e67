import { isAbsolute, resolve } from 'node:path';
import {
  arrow,
  type ConnectorContext,
  childrenOf,
  ErrorCode,
  type Expr,
  type Field,
  type FilterSupport,
  type RecordBatch,
  type RenderedSql,
  type ScalarType,
  type Schema,
  SpokeError,
  type SqlExecutor,
  type TableStatistics,
  toArrowType,
} from '@spoke/core';
import {
  BatchBuilder,
  type ColumnTypeLookup,
  dividesByPossibleZero,
  emptyBatch,
  numericClass,
  type SqlColumn,
  type SqlRunOptions,
  SqlSourceConnector,
  type SqlTableDescription,
  truncatingIntegerDivision,
} from '@spoke/sdk';
import type { Connection, ConnectionOptions, RowStatement as Statement } from 'snowflake-sdk';
import { SnowflakeDialect, SnowflakeExpressionDialect, toSnowflakeParam } from './snowflake-dialect.js';
import { loadSnowflakeSdk } from './snowflake-driver.js';
import { resolveSnowflakeOptions, type SnowflakeOptions } from './snowflake-options.js';
import { mapSnowflakeType, type SnowflakeTypeMapping } from './snowflake-type-mapping.js';

/** Session settings every connection starts with, so values decode exactly (see the type mapping). */
const SESSION_SETUP = `ALTER SESSION SET TIMEZONE = 'UTC', TIME_OUTPUT_FORMAT = 'HH24:MI:SS.FF6'`;

interface RowColumn {
  getName(): string;
  getType(): string;
  getPrecision(): number;
  getScale(): number;
  isNullable(): boolean;
}

/**
 * A Snowflake source over the official `snowflake-sdk`. Every statement
 * carries `QUERY_TAG = '<queryTag>:<query id>'`; results stream row chunks
 * as the driver downloads them and become Arrow batches as they arrive;
 * aborting cancels the statement through the driver.
 *
 * Results travel in Snowflake's JSON format: the Node.js driver does not
 * read the Arrow result format, so Snowflake sends it JSON.
 */
export class SnowflakeConnector extends SqlSourceConnector {
  /** Whole sub-query push-down is on (this connector declares a `dialect`). */
  declare readonly sql: SqlExecutor;
  readonly sourceName: string;
  readonly defaultSchema: string;
  readonly expressionDialect = new SnowflakeExpressionDialect();
  readonly dialect = new SnowflakeDialect();
  readonly #options: SnowflakeOptions;
  readonly #connectionOptions: ConnectionOptions;
  readonly #idle: Connection[] = [];
  readonly #waiting: ((c: Connection | undefined) => void)[] = [];
  #open = 0;
  #closed = false;

  constructor(options: SnowflakeOptions, context: ConnectorContext) {
    super();
    this.sourceName = context.sourceName;
    this.defaultSchema = options.schema;
    this.#options = options;
    const keyPath =
      options.privateKeyPath &&
      (isAbsolute(options.privateKeyPath)
        ? options.privateKeyPath
        : resolve(context.baseDir, options.privateKeyPath));
    this.#connectionOptions = {
      account: options.account,
      username: options.username,
      database: options.database,
      schema: options.schema,
      application: 'Spoke',
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(keyPath ? { authenticator: 'SNOWFLAKE_JWT', privateKeyPath: keyPath } : {}),
      ...(options.privateKeyPass !== undefined ? { privateKeyPass: options.privateKeyPass } : {}),
      ...(options.role !== undefined ? { role: options.role } : {}),
      ...(options.warehouse !== undefined ? { warehouse: options.warehouse } : {}),
      ...(options.accessUrl !== undefined ? { accessUrl: options.accessUrl } : {}),
      clientSessionKeepAlive: false,
      // Without this the driver returns SQL NULL as the text 'NULL' for values read as strings.
      representNullAsStringNull: false,
    } as ConnectionOptions;
  }

  #wrap(error: unknown, what = 'query failed'): SpokeError {
    if (SpokeError.isInstance(error)) return error;
    const e = error as { code?: string | number; message?: string; sqlState?: string };
    const network = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|Network error|could not connect/i.test(
      String(e.message ?? ''),
    );
    const auth = e.code === '390100' || e.code === 390100 || e.code === '390144';
    const code = auth
      ? ErrorCode.UNAUTHENTICATED
      : network
        ? ErrorCode.SOURCE_UNAVAILABLE
        : ErrorCode.SOURCE_ERROR;
    return new SpokeError(code, `${this.sourceName}: ${what}: ${e.message ?? String(error)}`, {
      cause: error,
      source: this.sourceName,
    });
  }

  async #connect(): Promise<Connection> {
    const sdk = loadSnowflakeSdk();
    const conn = sdk.createConnection(this.#connectionOptions);
    await new Promise<void>((ok, fail) =>
      conn.connect((error) => (error ? fail(this.#wrap(error, 'could not connect')) : ok())),
    );
    const timeout =
      this.#options.timeoutMs > 0
        ? `, STATEMENT_TIMEOUT_IN_SECONDS = ${Math.ceil(this.#options.timeoutMs / 1000)}`
        : '';
    await new Promise<void>((ok, fail) =>
      conn.execute({
        sqlText: SESSION_SETUP + timeout,
        parameters: { QUERY_TAG: `${this.#options.queryTag}:session` },
        complete: (error) => (error ? fail(this.#wrap(error)) : ok()),
      }),
    );
    return conn;
  }

  async #acquire(): Promise<Connection> {
    if (this.#closed)
      throw new SpokeError(ErrorCode.SOURCE_UNAVAILABLE, `${this.sourceName}: connector closed`, {
        source: this.sourceName,
      });
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#open < this.#options.poolSize) {
      this.#open++;
      try {
        return await this.#connect();
      } catch (error) {
        this.#open--;
        throw error;
      }
    }
    const conn = await new Promise<Connection | undefined>((r) => this.#waiting.push(r));
    return conn ?? this.#acquire();
  }

  #release(conn: Connection, broken = false): void {
    if (broken || this.#closed) {
      this.#open--;
      conn.destroy(() => {});
      this.#waiting.shift()?.(undefined);
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter) waiter(conn);
    else this.#idle.push(conn);
  }

  /** Runs a small statement and returns its rows as objects (catalog queries). */
  async #rows(sqlText: string, binds: unknown[], queryId = 'catalog'): Promise<Record<string, unknown>[]> {
    const conn = await this.#acquire();
    try {
      return await new Promise((ok, fail) =>
        conn.execute({
          sqlText,
          binds: binds as never,
          fetchAsString: ['Number'],
          parameters: { QUERY_TAG: `${this.#options.queryTag}:${queryId}` },
          complete: (error, _stmt, rows) =>
            error ? fail(this.#wrap(error)) : ok((rows ?? []) as Record<string, unknown>[]),
        }),
      );
    } finally {
      this.#release(conn);
    }
  }

  #q(name: string): string {
    return this.expressionDialect.quoteIdentifier(name);
  }

  async listSchemaNames(): Promise<readonly string[]> {
    const rows = await this.#rows(
      `SELECT SCHEMA_NAME FROM ${this.#q(this.#options.database)}.INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME <> 'INFORMATION_SCHEMA' ORDER BY 1`,
      [],
    );
    return rows.map((r) => String(r.SCHEMA_NAME));
  }

  async listTableNames(schema: string): Promise<readonly string[] | undefined> {
    const db = this.#q(this.#options.database);
    const exists = await this.#rows(
      `SELECT 1 AS "X" FROM ${db}.INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?`,
      [schema],
    );
    if (!exists.length) return undefined;
    const rows = await this.#rows(
      `SELECT TABLE_NAME FROM ${db}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1`,
      [schema],
    );
    return rows.map((r) => String(r.TABLE_NAME));
  }

  async describeTable(schema: string, table: string): Promise<SqlTableDescription | undefined> {
    const db = this.#q(this.#options.database);
    const kinds = await this.#rows(
      `SELECT TABLE_TYPE FROM ${db}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [schema, table],
    );
    if (!kinds.length) return undefined;
    // The column types as the result metadata reports them: the same path as every query's.
    const conn = await this.#acquire();
    let columns: RowColumn[];
    try {
      columns = await new Promise((ok, fail) =>
        conn.execute({
          sqlText: `SELECT * FROM ${db}.${this.#q(schema)}.${this.#q(table)} LIMIT 0`,
          parameters: { QUERY_TAG: `${this.#options.queryTag}:catalog` },
          complete: (error, stmt) =>
            error ? fail(this.#wrap(error)) : ok((stmt.getColumns() ?? []) as unknown as RowColumn[]),
        }),
      );
    } finally {
      this.#release(conn);
    }
    return {
      schema,
      name: table,
      kind: /view/i.test(String(kinds[0]!.TABLE_TYPE)) ? 'view' : 'table',
      columns: columns.map((c): SqlColumn => {
        const mapping = mapSnowflakeType({
          type: c.getType(),
          precision: c.getPrecision(),
          scale: c.getScale(),
        });
        return {
          name: c.getName(),
          field: new arrow.Field(c.getName(), toArrowType(mapping.type), c.isNullable() !== false),
          sourceType: c.getType(),
          native: mapping,
        };
      }),
    };
  }

  /** ROW_COUNT and BYTES from INFORMATION_SCHEMA.TABLES (Snowflake keeps both exactly in metadata). */
  override async tableStatistics(table: SqlTableDescription): Promise<TableStatistics | undefined> {
    const rows = await this.#rows(
      `SELECT ROW_COUNT, BYTES FROM ${this.#q(this.#options.database)}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [table.schema, table.name],
    );
    const row = rows[0];
    if (!row || row.ROW_COUNT === null || row.ROW_COUNT === undefined) return undefined;
    return {
      rowCount: { value: Number(row.ROW_COUNT), exact: true },
      ...(row.BYTES !== null && row.BYTES !== undefined
        ? { totalBytes: { value: Number(row.BYTES), exact: true } }
        : {}),
    };
  }

  /** Integer `/` is rewritten to truncate (see `truncatingIntegerDivision` in @spoke/sdk); decimal division is refused (Snowflake keeps a fixed number of digits). */
  override filterSupport(filter: Expr, table: SqlTableDescription): FilterSupport {
    let support: FilterSupport = 'exact';
    const visit = (e: Expr): void => {
      // Snowflake raises for `x / 0` as PostgreSQL does, but the emulator CI verifies this connector
      // against answers NULL, and `%` by zero is not verified at all: a divisor that may be zero stays
      // with Spoke, which raises 22012.
      if (dividesByPossibleZero(e)) support = 'unsupported';
      if (e.kind === 'arithmetic' && e.op === '/') {
        const l = numericClass(e.left, columnType(table), true);
        const r = numericClass(e.right, columnType(table), true);
        if (
          !(
            (l === 'int' && r === 'int') ||
            (l !== 'other' && r !== 'other' && (l === 'float' || r === 'float'))
          )
        )
          support = 'unsupported';
      }
      for (const child of childrenOf(e)) visit(child);
    };
    visit(filter);
    return support;
  }

  /** Qualifies scans with the database: the SELECT names `"DB"."SCHEMA"."TABLE"`. */
  override renderScan(
    table: SqlTableDescription,
    request: Parameters<SqlSourceConnector['renderScan']>[1],
  ): RenderedSql {
    const base = super.renderScan(table, {
      ...request,
      filters: request.filters.map((f) => truncatingIntegerDivision(f, columnType(table), true)),
      ...(request.orderBy
        ? {
            orderBy: request.orderBy.map((k) => ({
              ...k,
              expr: truncatingIntegerDivision(k.expr, columnType(table), true),
            })),
          }
        : {}),
    });
    const from = ` FROM ${this.#q(table.schema)}.${this.#q(table.name)}`;
    return {
      sql: base.sql.replace(
        from,
        ` FROM ${this.#q(this.#options.database)}.${this.#q(table.schema)}.${this.#q(table.name)}`,
      ),
      params: base.params,
    };
  }

  executeSql(query: RenderedSql, options: SqlRunOptions): AsyncIterable<RecordBatch> {
    return this.#stream(query, options);
  }

  async *#stream(query: RenderedSql, options: SqlRunOptions): AsyncGenerator<RecordBatch> {
    const { signal } = options;
    if (signal.aborted) throw SpokeError.cancelled(signal);
    const conn = await this.#acquire();
    let statement: Statement | undefined;
    let broken = false;
    const onAbort = () => statement?.cancel(() => {});
    signal.addEventListener('abort', onAbort);
    try {
      const stmt = await new Promise<Statement>((ok, fail) => {
        const s = conn.execute({
          sqlText: query.sql,
          binds: query.params.map(toSnowflakeParam) as never,
          streamResult: true,
          fetchAsString: ['Number', 'JSON'],
          rowMode: 'array',
          parameters: { QUERY_TAG: `${this.#options.queryTag}:${options.context.queryId}` },
          complete: (error: unknown, done: Statement) => (error ? fail(error) : ok(done)),
        } as never);
        statement = s;
      });
      const columns = (stmt.getColumns() ?? []) as unknown as RowColumn[];
      const mappings: SnowflakeTypeMapping[] = options.columns
        ? options.columns.map((c) => c.native as SnowflakeTypeMapping)
        : columns.map((c) =>
            mapSnowflakeType({ type: c.getType(), precision: c.getPrecision(), scale: c.getScale() }),
          );
      const fields: Field[] = options.columns
        ? options.columns.map((c) => c.field)
        : columns.map((c, i) => new arrow.Field(c.getName(), toArrowType(mappings[i]!.type), true));
      const schema: Schema = new arrow.Schema(fields);
      const builder = new BatchBuilder(
        schema,
        mappings.map((m) => m.type),
      );
      const decoders = mappings.map((m) => m.decode);
      const batchRows = this.#options.batchRows;
      let yielded = false;
      const rows = stmt.streamRows();
      try {
        for await (const row of rows as AsyncIterable<unknown[]>) {
          for (let i = 0; i < row.length; i++) {
            const v = row[i];
            builder.builders[i]!.append(v === null || v === undefined ? null : decoders[i]!(v));
          }
          if (++builder.rows >= batchRows) {
            yielded = true;
            yield builder.flush();
          }
        }
      } finally {
        rows.destroy();
      }
      if (builder.rows > 0 || !yielded) yield builder.rows > 0 ? builder.flush() : emptyBatch(schema);
    } catch (error) {
      if (signal.aborted) throw SpokeError.cancelled(signal);
      broken = !SpokeError.isInstance(error) && /network|socket/i.test(String((error as Error).message));
      throw this.#wrap(error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#release(conn, broken);
    }
  }

  override async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w(undefined);
    const idle = this.#idle.splice(0);
    await Promise.all(idle.map((c) => new Promise<void>((r) => c.destroy(() => r()))));
  }
}

/** A column's IR type, from the table description. */
function columnType(table: SqlTableDescription): ColumnTypeLookup {
  return (name) =>
    (table.columns.find((c) => c.name === name)?.native as SnowflakeTypeMapping | undefined)?.type as
      | ScalarType
      | undefined;
}

/** Creates a connector from config options (see {@link resolveSnowflakeOptions}). */
export async function createSnowflakeConnector(
  options: Readonly<Record<string, unknown>>,
  context: ConnectorContext,
): Promise<SnowflakeConnector> {
  return new SnowflakeConnector(resolveSnowflakeOptions(options, context), context);
}
