import {
  arrow,
  type Expr,
  fromArrowType,
  type RecordBatch,
  type RenderedSql,
  type ScalarType,
  type ScalarValue,
  SpokeError,
  toArrowType,
} from '@spoke/core';
import {
  AnsiDialect,
  BatchBuilder,
  DECLINE,
  type ExpressionRenderContext,
  type SqlRunOptions,
  SqlSourceConnector,
  type SqlTableDescription,
} from '@spoke/sdk';
import type { Database, SqlValue } from 'sql.js';

/** Declared column types (as the fixture's CREATE TABLE names them) → Spoke types. */
const TYPES: Readonly<Record<string, ScalarType>> = {
  SMALLINT: { id: 'int16' },
  INTEGER: { id: 'int32' },
  BIGINT: { id: 'int64' },
  DOUBLE: { id: 'float64' },
  TEXT: { id: 'utf8' },
  BOOLEAN: { id: 'bool' },
  DATE: { id: 'date' },
};

/** SQLite's SQL: `?` placeholders, booleans as 1/0, dates as ISO text, case folding in ASCII only. */
export class SqliteDialect extends AnsiDialect {
  readonly name = 'sqlite';
  placeholder(): string {
    return '?';
  }
  override typeName(type: ScalarType): string | undefined {
    if (type.id === 'float64') return 'REAL';
    if (type.id === 'utf8' || type.id === 'date') return 'TEXT';
    return type.id.startsWith('int') || type.id === 'bool' ? 'INTEGER' : undefined;
  }
  override renderLiteral(value: ScalarValue, type: ScalarType): string {
    if (value === null) return 'NULL';
    if (type.id === 'bool') return value ? '1' : '0';
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    return this.quoteString(String(value)); // dates stay ISO text: CAST('2024-01-02' AS DATE) would be 2024
  }
  renderExpression(expr: Expr, context: ExpressionRenderContext): string | undefined | typeof DECLINE {
    if (
      expr.kind === 'literal' &&
      typeof expr.value === 'bigint' &&
      !Number.isSafeInteger(Number(expr.value))
    )
      return expr.value.toString(); // digits of a bigint: exact, and nothing a user typed reaches the SQL as text
    if (expr.kind === 'literal' && expr.type.id === 'date' && expr.value !== null)
      return context.literal(expr.value, { id: 'utf8' });
    if (expr.kind === 'cast') {
      if (expr.type.id === 'date') return `date(${context.render(expr.expr)})`;
      return this.typeName(expr.type) && expr.type.id !== 'bool' ? undefined : DECLINE;
    }
    if (expr.kind === 'function' && expr.name === 'substring')
      return `substr(${expr.args.map((a) => context.render(a)).join(', ')})`;
    if (expr.kind === 'function' && expr.name === 'starts_with')
      return `(instr(${context.render(expr.args[0]!)}, ${context.render(expr.args[1]!)}) = 1)`;
    // ASCII-only upper/lower (and so ILIKE); half-away round; NULL for % or / by zero; concat skipping NULLs.
    if (
      expr.kind === 'function' &&
      ['upper', 'lower', 'round', 'ceil', 'floor', 'concat'].includes(expr.name)
    )
      return DECLINE;
    if (expr.kind === 'like' && expr.caseInsensitive) return DECLINE;
    if (expr.kind === 'arithmetic' && (expr.op === '%' || expr.op === '/')) return DECLINE;
    return undefined;
  }
  bindValue(value: ScalarValue, type: ScalarType): ScalarValue {
    if (type.id === 'bool') return value ? 1 : 0;
    // sql.js binds a bigint as text; the ones a double holds exactly go as numbers (the others are inlined).
    return typeof value === 'bigint' ? Number(value) : value;
  }
}

/** One SQLite database (sql.js: in memory, synchronous; each statement is its own cursor). */
export class SqliteConnector extends SqlSourceConnector {
  readonly defaultSchema = 'main';
  readonly expressionDialect = new SqliteDialect();

  constructor(
    readonly sourceName: string,
    private readonly db: Database,
  ) {
    super();
    // LIKE compares case-sensitively, as in Spoke's engine (SQLite's default folds ASCII).
    db.run('PRAGMA case_sensitive_like = ON');
  }

  override async close(): Promise<void> {
    this.db.close();
  }

  async *executeSql(query: RenderedSql, options: SqlRunOptions): AsyncGenerator<RecordBatch> {
    if (options.signal.aborted) throw SpokeError.cancelled(options.signal);
    const columns = options.columns ?? [
      { name: '?column?', field: new arrow.Field('?column?', new arrow.Int32()) },
    ];
    const types = columns.map((c) => fromArrowType(c.field.type)!);
    const builder = new BatchBuilder(new arrow.Schema(columns.map((c) => c.field)), types);
    const statement = this.db.prepare(query.sql);
    try {
      statement.bind(query.params as unknown[]);
      while (statement.step()) {
        statement
          .get(null, { useBigInt: true })
          .forEach((value, i) => builder.builders[i]!.append(decode(value, types[i]!)));
        if (++builder.rows === 1024) {
          yield builder.flush();
          if (options.signal.aborted) throw SpokeError.cancelled(options.signal);
        }
      }
      if (builder.rows) yield builder.flush();
    } finally {
      statement.free();
    }
  }

  async listSchemaNames(): Promise<readonly string[]> {
    return ['main'];
  }

  async listTableNames(schema: string): Promise<readonly string[] | undefined> {
    if (schema !== 'main') return undefined;
    const [result] = this.db.exec(
      "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name",
    );
    return (result?.values ?? []).map((row) => String(row[0]));
  }

  async describeTable(schema: string, table: string): Promise<SqlTableDescription | undefined> {
    if (!(await this.listTableNames(schema))?.includes(table)) return undefined;
    const [info] = this.db.exec(`PRAGMA table_info(${this.expressionDialect.quoteIdentifier(table)})`);
    const columns = (info?.values ?? []).map(([, name, declared]) => {
      const type = TYPES[String(declared).toUpperCase()] ?? { id: 'utf8' };
      return {
        name: String(name),
        sourceType: String(declared),
        field: new arrow.Field(String(name), toArrowType(type), true),
      };
    });
    return { schema, name: table, kind: 'table', columns };
  }
}

/** A SQLite value as the column builder of `type` takes it. */
function decode(
  value: SqlValue | bigint,
  type: ScalarType,
): number | bigint | boolean | string | Uint8Array | null {
  if (value === null) return null;
  switch (type.id) {
    case 'bool':
      return Number(value) !== 0;
    case 'int64':
      return BigInt(value as number | bigint);
    case 'int16':
    case 'int32':
    case 'float64':
      return Number(value);
    case 'date':
      return Date.parse(`${value}T00:00:00Z`) / 86_400_000;
    case 'utf8':
      return String(value);
    default:
      return value;
  }
}
