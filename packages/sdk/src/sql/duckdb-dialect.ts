import {
  hideConstantFromOptimizer,
  isMisfoldedIntegerConstant,
  type ScalarType,
  type ScalarValue,
} from '@spoke/core';
import { AnsiDialect } from './ansi-dialect.js';

/**
 * DuckDB's dialect: PostgreSQL-like, `$n` parameters bound through
 * `@duckdb/node-api` (each wrapped in a CAST so its type never depends on
 * inference), `ILIKE`, `NULLS FIRST/LAST`, `ESCAPE '\'` after LIKE patterns.
 *
 * Run {@link DuckDBDialect.sessionSettings} on every connection that executes
 * SQL rendered by this dialect: the IR's semantics need them.
 */
export class DuckDBDialect extends AnsiDialect {
  readonly name = 'duckdb';
  override readonly hasIlike: boolean = true;

  /**
   * Statements to run once per DuckDB connection before rendered SQL:
   * `integer_division` makes `/` on integers truncate toward zero as the IR
   * (and PostgreSQL) define it — DuckDB's default `/` returns a DOUBLE — and
   * `TimeZone = 'UTC'` makes bound timestamp-with-time-zone text (always UTC
   * in the IR) and casts of instants to text and dates mean UTC.
   */
  readonly sessionSettings: readonly string[] = ['SET integer_division = true', "SET TimeZone = 'UTC'"];

  placeholder(index: number, type: ScalarType): string | undefined {
    const name = this.typeName(type);
    return name ? `CAST($${index} AS ${name})` : `$${index}`;
  }

  /**
   * An integer type's minimum goes behind a one-row sub-query: DuckDB 1.5
   * folds `x * -1 >= -2147483648` to false (`isMisfoldedIntegerConstant`).
   */
  finishLiteral(sql: string, value: ScalarValue, _type: ScalarType): string {
    return isMisfoldedIntegerConstant(value) ? hideConstantFromOptimizer(sql) : sql;
  }

  /** DuckDB answers NULL for `x / 0` and `x % 0`; PostgreSQL raises 22012, which the planner maps this error to. */
  guardDivisor(divisor: string): string {
    return `(CASE WHEN ${divisor} = 0 THEN error('division by zero') ELSE ${divisor} END)`;
  }

  /** DuckDB reads `X'00ff'` as the text `x00ff`, so bytes go through `from_hex`. */
  override binaryLiteral(bytes: Uint8Array): string {
    return `from_hex('${Buffer.from(bytes).toString('hex')}')`;
  }

  override typeName(type: ScalarType): string | undefined {
    switch (type.id) {
      case 'int8':
        return 'TINYINT';
      case 'uint8':
        return 'UTINYINT';
      case 'uint16':
        return 'USMALLINT';
      case 'uint32':
        return 'UINTEGER';
      case 'uint64':
        return 'UBIGINT';
      case 'float64':
        return 'DOUBLE';
      case 'decimal':
        return `DECIMAL(${type.precision},${type.scale})`;
      case 'binary':
        return 'BLOB';
      case 'timestamp':
        return type.timezone ? 'TIMESTAMPTZ' : 'TIMESTAMP';
      default:
        return super.typeName(type);
    }
  }
}
