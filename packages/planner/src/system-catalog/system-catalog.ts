/**
 * Spoke's PostgreSQL system catalog: answers the `pg_catalog` /
 * `information_schema` queries and system functions (`version()`,
 * `current_schema()`…) that psql, JDBC, psycopg, SQLAlchemy and BI tools send,
 * from a shadow of the federated catalog kept in the engine's DuckDB.
 *
 * Each source schema becomes one PostgreSQL namespace: named after the source
 * when the source has a single schema (so `\dt` shows `crm | customers` and
 * tools generate `crm.customers`, which the engine resolves), otherwise
 * `source.schema`. Tables are `relkind 'r'`, with PostgreSQL type OIDs and
 * names for their columns.
 */

import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, mapStreamErrors, type ScalarValue, type Schema, SpokeError } from '@spoke/core';
import { resultArrowSchema, streamResultAsArrow, toDuckDBParams } from '@spoke/duckdb-arrow';
import type { CatalogTable, QueryResult } from '../engine-api.js';
import { closingStream } from '../executor/closing-stream.js';
import { translateDuckDBError } from '../executor/duckdb-errors.js';
import { POSTGRES_SEMANTICS } from '../executor/residual-sandbox.js';
import { INFO_TABLES, PG_TABLES, pgMacros, pgViews } from './catalog-schema.js';
import { PG_TYPES, pgColumnType } from './pg-types.js';
import { INFO_SCHEMA, PG_SCHEMA, type RewriteTarget, rewriteSystemSql } from './rewrite-system-sql.js';

/** What `version()` answers: drivers parse `PostgreSQL <major>.<minor>` from it. */
export const SPOKE_PG_VERSION =
  'PostgreSQL 15.0 (Spoke 0.1.0) on x86_64-pc-linux-gnu, compiled by Spoke, 64-bit';
/** The one database Spoke presents (`current_database()`, `pg_database`). */
export const SPOKE_DATABASE = 'spoke';
const OWNER_OID = 10;
const OWNER = 'spoke';
const NS_PG_CATALOG = 11;
const NS_PUBLIC = 2200;
const NS_INFORMATION_SCHEMA = 13000;
/** PostgreSQL's fixed OIDs for the catalogs clients name with `'pg_class'::regclass`. */
const FIXED_RELATION_OIDS: Readonly<Record<string, number>> = {
  pg_type: 1247,
  pg_attribute: 1249,
  pg_proc: 1255,
  pg_class: 1259,
  pg_database: 1262,
  pg_namespace: 2615,
  pg_description: 2609,
  pg_constraint: 2606,
  pg_index: 2610,
  pg_am: 2601,
  pg_attrdef: 2604,
  pg_trigger: 2620,
  pg_rewrite: 2618,
};
/** First OID of user objects, as in PostgreSQL (`FirstNormalObjectId`). */
const FIRST_USER_OID = 16384;

/** Options for one system query; all optional, the engine may pass the client session's values. */
export interface SystemQueryOptions {
  /** `current_user` / `session_user`. */
  readonly user?: string;
}

let nextDatabaseId = 1;

type Literal = null | boolean | number | bigint | string | readonly Literal[];

function literal(value: Literal): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return String(value);
}

/** PostgreSQL's `information_schema.columns.data_type` and size columns for a type. */
function infoType(
  oid: number,
  typmod: number,
): {
  dataType: string;
  precision: number | null;
  radix: number | null;
  scale: number | null;
  datetime: number | null;
} {
  const row = PG_TYPES.find((t) => t.oid === oid);
  const none = { precision: null, radix: null, scale: null, datetime: null };
  if (!row) return { dataType: 'USER-DEFINED', ...none };
  if (row.typcategory === 'A') return { dataType: 'ARRAY', ...none };
  switch (oid) {
    case 21:
      return { dataType: row.display, precision: 16, radix: 2, scale: 0, datetime: null };
    case 23:
      return { dataType: row.display, precision: 32, radix: 2, scale: 0, datetime: null };
    case 20:
      return { dataType: row.display, precision: 64, radix: 2, scale: 0, datetime: null };
    case 700:
      return { dataType: row.display, precision: 24, radix: 2, scale: null, datetime: null };
    case 701:
      return { dataType: row.display, precision: 53, radix: 2, scale: null, datetime: null };
    case 1700:
      return typmod >= 4
        ? {
            dataType: 'numeric',
            precision: (typmod - 4) >> 16,
            radix: 10,
            scale: (typmod - 4) & 0xffff,
            datetime: null,
          }
        : { dataType: 'numeric', precision: null, radix: 10, scale: null, datetime: null };
    case 1082:
      return { dataType: row.display, ...none, datetime: 0 };
    case 1083:
    case 1114:
    case 1184:
    case 1186:
      return { dataType: row.display, ...none, datetime: 6 };
    default:
      return { dataType: row.display, ...none };
  }
}

/** The PostgreSQL system catalog over a shadow of the federated catalog. */
export class SystemCatalog {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly database: string,
    private readonly macroNames: ReadonlySet<string>,
  ) {}

  /** Creates the shadow catalog (an attached in-memory database) on `instance`, with its own connection. */
  static async create(instance: DuckDBInstance): Promise<SystemCatalog> {
    const connection = await instance.connect();
    const database = `__spoke_pg_${nextDatabaseId++}`;
    const pg = `${database}.${PG_SCHEMA}`;
    const info = `${database}.${INFO_SCHEMA}`;
    // PostgreSQL's semantics (SELECT 7 / 2 is 3), globally: a sandboxed instance already has them and is locked.
    const locked = await connection.runAndReadAll("SELECT current_setting('lock_configuration')::VARCHAR");
    if (locked.getRowsJS()[0]![0] !== 'true')
      for (const statement of POSTGRES_SEMANTICS) await connection.run(statement);
    const ddl: string[] = [
      `ATTACH ':memory:' AS ${database}`,
      `CREATE SCHEMA ${pg}`,
      `CREATE SCHEMA ${info}`,
    ];
    for (const [name, columns] of Object.entries(PG_TABLES))
      ddl.push(`CREATE TABLE ${pg}.${name} (${columns})`);
    for (const [name, columns] of Object.entries(INFO_TABLES))
      ddl.push(`CREATE TABLE ${info}.${name} (${columns})`);
    ddl.push(`CREATE TABLE ${pg}.pg_type_display (oid BIGINT, typname VARCHAR, display VARCHAR)`);
    for (const [name, body] of Object.entries(pgViews(database)))
      ddl.push(`CREATE VIEW ${pg}.${name} AS ${body}`);
    const macros = pgMacros(database, { version: SPOKE_PG_VERSION, database: SPOKE_DATABASE, user: OWNER });
    // Macros that refer to other macros must come after them: create in two passes.
    const ordered = Object.entries(macros).sort(
      ([, a], [, b]) => Number(a.includes(`${pg}.`)) - Number(b.includes(`${pg}.`)),
    );
    for (const [name, body] of ordered) ddl.push(`CREATE MACRO ${pg}.${name}${body}`);
    for (const statement of ddl) await connection.run(statement);
    const catalog = new SystemCatalog(instance, connection, database, new Set(Object.keys(macros)));
    await catalog.fillStatic();
    await catalog.refresh([]);
    return catalog;
  }

  /** True for a relation the system catalog answers: `pg_catalog.*`, `information_schema.*`, unqualified `pg_*`. */
  static isSystemRelation(schemaname: string | undefined, relname: string): boolean {
    if (schemaname !== undefined) {
      const schema = schemaname.toLowerCase();
      return schema === 'pg_catalog' || schema === 'information_schema';
    }
    return relname.toLowerCase().startsWith('pg_');
  }

  private async insert(table: string, rows: readonly (readonly Literal[])[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await this.connection.run(
        `INSERT INTO ${table} VALUES ${chunk.map((r) => `(${r.map(literal).join(', ')})`).join(', ')}`,
      );
    }
  }

  /** The rows that never change: types, the database, the role, access methods, settings. */
  private async fillStatic(): Promise<void> {
    const pg = `${this.database}.${PG_SCHEMA}`;
    await this.insert(
      `${pg}.pg_type`,
      PG_TYPES.map((t) => [
        t.oid,
        t.typname,
        NS_PG_CATALOG,
        OWNER_OID,
        t.typlen,
        t.typbyval,
        t.typtype,
        t.typcategory,
        false,
        true,
        ',',
        0,
        null,
        t.typelem,
        t.typarray,
        t.typinput,
        t.typinput.replace(/in$/, 'out'),
        t.typinput.replace(/in$/, 'recv'),
        t.typinput.replace(/in$/, 'send'),
        null,
        null,
        null,
        t.typlen === 8 ? 'd' : 'i',
        t.typlen === -1 ? 'x' : 'p',
        false,
        0,
        -1,
        0,
        t.typcollation,
        null,
        null,
        null,
      ]),
    );
    await this.insert(
      `${pg}.pg_type_display`,
      PG_TYPES.map((t) => [t.oid, t.typname, t.display]),
    );
    await this.insert(`${pg}.pg_database`, [
      [
        5,
        SPOKE_DATABASE,
        OWNER_OID,
        6,
        'c',
        false,
        true,
        -1,
        0,
        0,
        1663,
        'C.UTF-8',
        'C.UTF-8',
        null,
        null,
        null,
      ],
    ]);
    await this.insert(`${pg}.pg_roles`, [
      [OWNER, true, true, false, false, true, false, -1, '********', null, false, null, OWNER_OID],
    ]);
    await this.insert(`${pg}.pg_am`, [
      [2, 'heap', 'heap_tableam_handler', 't'],
      [403, 'btree', 'bthandler', 'i'],
    ]);
    await this.insert(`${pg}.pg_collation`, [
      [100, 'default', NS_PG_CATALOG, OWNER_OID, 'd', true, -1, null, null, null, null],
      [950, 'C', NS_PG_CATALOG, OWNER_OID, 'c', true, -1, 'C', 'C', null, null],
      [951, 'POSIX', NS_PG_CATALOG, OWNER_OID, 'c', true, -1, 'POSIX', 'POSIX', null, null],
    ]);
    await this.insert(`${pg}.pg_language`, [
      [12, 'internal', OWNER_OID, false, false, 0, 0, 2246, null],
      [13, 'c', OWNER_OID, false, false, 0, 0, 2247, null],
      [14, 'sql', OWNER_OID, false, true, 0, 0, 2248, null],
    ]);
    await this.insert(`${pg}.pg_tablespace`, [
      [1663, 'pg_default', OWNER_OID, null, null],
      [1664, 'pg_global', OWNER_OID, null, null],
    ]);
    const settings: [string, string][] = [
      ['server_version', '15.0'],
      ['server_version_num', '150000'],
      ['server_encoding', 'UTF8'],
      ['client_encoding', 'UTF8'],
      ['DateStyle', 'ISO, MDY'],
      ['IntervalStyle', 'postgres'],
      ['TimeZone', 'UTC'],
      ['integer_datetimes', 'on'],
      ['standard_conforming_strings', 'on'],
      ['search_path', '"$user", public'],
      ['max_identifier_length', '63'],
      ['max_index_keys', '32'],
      ['default_transaction_isolation', 'read committed'],
      ['transaction_isolation', 'read committed'],
      ['transaction_read_only', 'off'],
      ['application_name', ''],
      ['lc_collate', 'C.UTF-8'],
      ['lc_ctype', 'C.UTF-8'],
      ['block_size', '8192'],
      ['extra_float_digits', '1'],
      ['statement_timeout', '0'],
    ];
    await this.insert(
      `${pg}.pg_settings`,
      settings.map(([name, value]) => [
        name,
        value,
        null,
        'Spoke',
        null,
        null,
        'user',
        'string',
        'default',
        null,
        null,
        null,
        value,
        value,
        null,
        null,
        false,
      ]),
    );
  }

  /** The last refresh, so refreshes run one at a time on the catalog's connection. */
  private refreshing: Promise<void> = Promise.resolve();

  /**
   * Rebuilds the namespaces, relations and columns from the federated
   * catalog, in one transaction (queries on other connections see the old
   * catalog or the new one, never half of each). Concurrent calls queue:
   * they share one connection, which holds one transaction at a time.
   */
  refresh(tables: readonly CatalogTable[]): Promise<void> {
    const next = this.refreshing.catch(() => {}).then(() => this.rebuild(tables));
    this.refreshing = next;
    return next;
  }

  private async rebuild(tables: readonly CatalogTable[]): Promise<void> {
    const pg = `${this.database}.${PG_SCHEMA}`;
    const info = `${this.database}.${INFO_SCHEMA}`;
    const schemasBySource = new Map<string, Set<string>>();
    for (const t of tables) {
      if (!schemasBySource.has(t.source)) schemasBySource.set(t.source, new Set());
      schemasBySource.get(t.source)!.add(t.schema);
    }
    const namespaceName = (t: { source: string; schema: string }) =>
      schemasBySource.get(t.source)!.size === 1 ? t.source : `${t.source}.${t.schema}`;
    let oid = FIRST_USER_OID;
    const namespaces = new Map<string, number>([
      ['pg_catalog', NS_PG_CATALOG],
      ['public', NS_PUBLIC],
      ['information_schema', NS_INFORMATION_SCHEMA],
    ]);
    const sorted = [...tables].sort((a, b) =>
      `${a.source}\u0000${a.schema}\u0000${a.name}`.localeCompare(
        `${b.source}\u0000${b.schema}\u0000${b.name}`,
      ),
    );
    for (const t of sorted) {
      const name = namespaceName(t);
      if (!namespaces.has(name)) namespaces.set(name, oid++);
    }
    const classRows: Literal[][] = [];
    const attributeRows: Literal[][] = [];
    const infoTables: Literal[][] = [];
    const infoColumns: Literal[][] = [];
    const classRow = (
      relOid: number,
      relname: string,
      nsp: number,
      kind: string,
      natts: number,
    ): Literal[] => [
      relOid,
      relname,
      nsp,
      0,
      0,
      OWNER_OID,
      kind === 'r' ? 2 : 0,
      relOid,
      0,
      0,
      -1,
      0,
      0,
      false,
      false,
      'p',
      kind,
      natts,
      0,
      false,
      false,
      false,
      false,
      false,
      true,
      'd',
      false,
      0,
      0,
      0,
      null,
      null,
      null,
    ];
    const attributeRow = (
      relOid: number,
      name: string,
      typeOid: number,
      num: number,
      typmod: number,
      dims: number,
      notNull: boolean,
    ): Literal[] => {
      const type = PG_TYPES.find((r) => r.oid === typeOid);
      return [
        relOid,
        name,
        typeOid,
        -1,
        type?.typlen ?? -1,
        num,
        dims,
        -1,
        typmod,
        type?.typbyval ?? false,
        'i',
        type?.typlen === -1 ? 'x' : 'p',
        '',
        notNull,
        false,
        false,
        '',
        '',
        false,
        true,
        0,
        type?.typcollation ?? 0,
        null,
        null,
        null,
        null,
      ];
    };
    for (const t of sorted) {
      const relOid = oid++;
      const nsp = namespaceName(t);
      classRows.push(classRow(relOid, t.name, namespaces.get(nsp)!, 'r', t.columns.length));
      infoTables.push([
        SPOKE_DATABASE,
        nsp,
        t.name,
        'BASE TABLE',
        null,
        null,
        null,
        null,
        null,
        'NO',
        'NO',
        null,
      ]);
      t.columns.forEach((column, i) => {
        const type = pgColumnType(column.type);
        attributeRows.push(
          attributeRow(relOid, column.name, type.oid, i + 1, type.typmod, type.dims, !column.nullable),
        );
        const described = infoType(type.oid, type.typmod);
        const udt = PG_TYPES.find((r) => r.oid === type.oid)?.typname ?? 'text';
        infoColumns.push([
          SPOKE_DATABASE,
          nsp,
          t.name,
          column.name,
          i + 1,
          null,
          column.nullable ? 'YES' : 'NO',
          described.dataType,
          null,
          type.oid === 25 ? 1073741824 : null,
          described.precision,
          described.radix,
          described.scale,
          described.datetime,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          SPOKE_DATABASE,
          'pg_catalog',
          udt,
          null,
          null,
          null,
          null,
          String(i + 1),
          'NO',
          'NO',
          null,
          null,
          null,
          null,
          null,
          'NO',
          'NEVER',
          null,
          'NO',
        ]);
      });
    }
    // The catalog's own relations, so `'pg_class'::regclass`, `\d pg_class` and JDBC's getColumns see them.
    const own = await this.connection.runAndReadAll(
      `SELECT schema_name, table_name, column_name, data_type, column_index FROM duckdb_columns()
       WHERE database_name = '${this.database}' AND table_name <> 'pg_type_display' ORDER BY schema_name, table_name, column_index`,
    );
    const ownTables = new Map<string, { schema: string; columns: [string, string][] }>();
    for (const [schema, table, column, type] of own.getRowsJS() as [string, string, string, string][]) {
      const key = `${schema}.${table}`;
      if (!ownTables.has(key)) ownTables.set(key, { schema, columns: [] });
      ownTables.get(key)!.columns.push([column, type]);
    }
    let systemOid = 12000;
    for (const [key, { schema, columns }] of ownTables) {
      const relname = key.slice(schema.length + 1);
      const isPg = schema === PG_SCHEMA;
      const relOid = (isPg ? FIXED_RELATION_OIDS[relname] : undefined) ?? systemOid++;
      classRows.push(
        classRow(
          relOid,
          relname,
          isPg ? NS_PG_CATALOG : NS_INFORMATION_SCHEMA,
          isPg ? 'r' : 'v',
          columns.length,
        ),
      );
      columns.forEach(([column, type], i) => {
        const typeOid = duckdbTypeOid(type, column);
        attributeRows.push(
          attributeRow(relOid, column, typeOid, i + 1, -1, type.endsWith('[]') ? 1 : 0, false),
        );
      });
    }
    const namespaceRows = [...namespaces].map(
      ([name, nspOid]) => [nspOid, name, OWNER_OID, null] as Literal[],
    );
    await this.connection.run('BEGIN TRANSACTION');
    try {
      for (const table of [
        `${pg}.pg_namespace`,
        `${pg}.pg_class`,
        `${pg}.pg_attribute`,
        `${info}.schemata`,
        `${info}.tables`,
        `${info}.columns`,
      ]) {
        await this.connection.run(`DELETE FROM ${table}`);
      }
      await this.insert(`${pg}.pg_namespace`, namespaceRows);
      await this.insert(`${pg}.pg_class`, classRows);
      await this.insert(`${pg}.pg_attribute`, attributeRows);
      await this.insert(
        `${info}.schemata`,
        [...namespaces.keys()].map((n) => [SPOKE_DATABASE, n, OWNER, null, null, null, null]),
      );
      await this.insert(`${info}.tables`, infoTables);
      await this.insert(`${info}.columns`, infoColumns);
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => {});
      throw error;
    }
  }

  /** The rewrite targets for one query. */
  private target(options: SystemQueryOptions): RewriteTarget {
    return {
      database: this.database,
      macros: this.macroNames,
      user: options.user ?? OWNER,
      databaseName: SPOKE_DATABASE,
    };
  }

  /** The DuckDB SQL a system query runs as (for EXPLAIN and tests). */
  rewrite(sql: string, options: SystemQueryOptions = {}): string {
    return rewriteSystemSql(sql, this.target(options));
  }

  /**
   * Runs one system-catalog statement on its own DuckDB connection and
   * streams the rows as Arrow. `params` bind `$1…`.
   */
  async query(
    sql: string,
    params: readonly ScalarValue[],
    signal: AbortSignal,
    options: SystemQueryOptions = {},
  ): Promise<QueryResult> {
    const rewritten = this.rewrite(sql, options);
    const connection = await this.instance.connect();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      signal.removeEventListener('abort', onAbort);
      connection.closeSync();
    };
    const onAbort = () => connection.interrupt();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) throw SpokeError.cancelled(signal);
      const result = await connection.stream(rewritten, toDuckDBParams(params));
      const schema = resultArrowSchema(result);
      const batches = closingStream(
        mapStreamErrors(streamResultAsArrow(result, signal), (error) => translateSystemError(error, signal)),
        close,
      );
      return { command: 'SELECT', schema, batches };
    } catch (error) {
      close();
      throw translateSystemError(error, signal);
    }
  }

  /** Closes the catalog's own connection (the shadow database lives as long as the instance). */
  close(): void {
    this.connection.closeSync();
  }
}

/** DuckDB's errors, with the shadow database's name hidden and missing relations as TABLE_NOT_FOUND (42P01). */
function translateSystemError(error: unknown, signal: AbortSignal): unknown {
  const translated = translateDuckDBError(error, signal);
  if (!SpokeError.isInstance(translated)) return translated;
  const message = translated.message
    .replace(/__spoke_pg_\d+\.(pg_info|pg)\./g, '')
    .replace(/"?__spoke_pg_\d+"?\.?/g, '');
  const missingTable = /Table with name (\S+) does not exist/.exec(message);
  if (missingTable) {
    return new SpokeError(ErrorCode.TABLE_NOT_FOUND, `relation "${missingTable[1]}" does not exist`, {
      cause: error,
    });
  }
  const missingFunction = /Function with name (\S+) does not exist/.exec(message);
  if (missingFunction) {
    return new SpokeError(
      ErrorCode.UNSUPPORTED,
      `function ${missingFunction[1]} is not supported by Spoke's system catalog`,
      {
        cause: error,
        details: { sqlstate: '42883' },
      },
    );
  }
  return message === translated.message
    ? translated
    : new SpokeError(translated.code, message, {
        cause: error,
        ...(translated.details ? { details: translated.details } : {}),
      });
}

/** PostgreSQL type OID for a column of the shadow catalog's own tables. */
function duckdbTypeOid(type: string, column: string): number {
  if (type.endsWith('[]'))
    return type.startsWith('BIGINT') ? 1028 : type.startsWith('SMALLINT') ? 1005 : 1009;
  switch (type) {
    case 'BIGINT':
      return column === 'oid' || column.endsWith('oid') || column.endsWith('id') ? 26 : 20;
    case 'INTEGER':
      return 23;
    case 'SMALLINT':
      return 21;
    case 'BOOLEAN':
      return 16;
    case 'REAL':
      return 700;
    case 'TIMESTAMP WITH TIME ZONE':
      return 1184;
    default:
      return /name$/.test(column) ? 19 : 25;
  }
}
