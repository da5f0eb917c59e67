import type { ScalarType } from '@spoke/core';
import { AnsiDialect } from './ansi-dialect.js';

/**
 * DuckDB's dialect: PostgreSQL-like, `$n` parameters bound through
 * `@duckdb/node-api` (each wrapped in a CAST so its type never depends on
 * inference), `ILIKE`, `NULLS FIRST/LAST`.
 */
export class DuckDBDialect extends AnsiDialect {
  readonly name = 'duckdb';
  override readonly hasIlike = true;

  placeholder(index: number, type: ScalarType): string | undefined {
    const name = this.typeName(type);
    return name ? `CAST($${index} AS ${name})` : `$${index}`;
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
