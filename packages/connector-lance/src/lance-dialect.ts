import {
  ErrorCode,
  type ScalarFunctionName,
  type ScalarType,
  type ScalarValue,
  SpokeError,
} from '@spoke/core';
import { AnsiDialect } from '@spoke/sdk';

/**
 * Functions Lance's filter parser (DataFusion SQL, restricted by Lance's
 * planner) accepts with PostgreSQL's meaning. `substring`, `trim`, `ceil` and
 * `floor` are refused by Lance 0.31 ("not supported SQL in lance"); `round`
 * rounds half away from zero where PostgreSQL's `round(double)` rounds half
 * to even, so it stays local. `upper` and `lower` stay local too: DataFusion
 * maps case with Rust's full Unicode mapping (`upper('Straße')` is
 * `STRASSE`, `lower('İ')` is `i̇`, two characters) where Spoke's engine maps
 * letter by letter (found by @spoke/testing's non-ASCII case-folding cases).
 */
const LANCE_FUNCTIONS = new Set<ScalarFunctionName>([
  'length',
  'concat',
  'replace',
  'starts_with',
  'abs',
  'coalesce',
  'nullif',
]);

/**
 * Lance's filter dialect: the SQL accepted by `Table.query().where(…)`,
 * `countRows(…)` and `delete(…)`.
 *
 * Lance cannot bind parameters, so every literal is escaped inline:
 * single-quoted strings with quotes doubled (a backslash is data, as in
 * standard SQL), typed numbers through `CAST`. Identifiers are back-quoted.
 * Lance resolves a back-quoted name containing a back-quote to the wrong
 * column, so such names are refused (`UNSUPPORTED`) rather than rendered.
 */
export class LanceDialect extends AnsiDialect {
  readonly name = 'lance';
  override readonly hasIlike = true;

  override quoteIdentifier(name: string): string {
    if (name.includes('`')) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `Lance filters cannot name a column containing a back-quote: ${JSON.stringify(name)}`,
      );
    }
    if (name.includes('\u0000')) {
      throw new SpokeError(ErrorCode.INVALID_QUERY, 'identifiers cannot contain the NUL character (U+0000)');
    }
    return `\`${name}\``;
  }

  placeholder(): string | undefined {
    return undefined;
  }

  override renderLiteral(value: ScalarValue, type: ScalarType): string {
    if (value === null) return 'NULL';
    switch (type.id) {
      case 'utf8':
        return this.quoteString(String(value));
      case 'binary':
      case 'time':
      case 'interval':
      case 'list':
      case 'null':
        throw new SpokeError(ErrorCode.UNSUPPORTED, `the lance dialect cannot render a ${type.id} literal`);
      case 'decimal':
        // A bare numeric literal is parsed as a float first (lossy beyond 15 digits); from text the cast is exact.
        if (!/^-?\d+(\.\d+)?$/.test(String(value))) {
          throw new SpokeError(ErrorCode.INVALID_QUERY, `not a decimal literal: ${JSON.stringify(value)}`);
        }
        return `CAST(${this.quoteString(String(value))} AS ${this.typeName(type)})`;
      case 'float32':
      case 'float64':
        // Lance parses a bare `2.5` as a decimal and compares a double column by casting it to
        // Decimal128, which fails on NaN rows; from text the literal is a double of its own.
        if (typeof value === 'number' && Number.isFinite(value))
          return `CAST(${this.quoteString(String(value))} AS ${this.typeName(type)})`;
        return super.renderLiteral(value, type);
      case 'timestamp':
        if (type.timezone)
          throw new SpokeError(
            ErrorCode.UNSUPPORTED,
            'the lance dialect cannot render a timestamptz literal',
          );
        return super.renderLiteral(value, type);
      default:
        return super.renderLiteral(value, type);
    }
  }

  /** The type names Lance's `CAST` accepts (its parser lists exactly these). */
  override typeName(type: ScalarType): string | undefined {
    switch (type.id) {
      case 'bool':
        return 'BOOLEAN';
      case 'int8':
        return 'TINYINT';
      case 'int16':
        return 'SMALLINT';
      case 'int32':
        return 'INT';
      case 'int64':
        return 'BIGINT';
      case 'uint8':
        return 'TINYINT UNSIGNED';
      case 'uint16':
        return 'SMALLINT UNSIGNED';
      case 'uint32':
        return 'INT UNSIGNED';
      case 'uint64':
        return 'BIGINT UNSIGNED';
      case 'float32':
        return 'FLOAT';
      case 'float64':
        return 'DOUBLE';
      case 'decimal':
        return `DECIMAL(${type.precision},${type.scale})`;
      case 'utf8':
        return 'STRING';
      case 'date':
        return 'DATE';
      case 'timestamp':
        return type.timezone ? undefined : 'TIMESTAMP';
      default:
        return undefined;
    }
  }

  override functionName(name: ScalarFunctionName): string | undefined {
    return LANCE_FUNCTIONS.has(name) ? name : undefined;
  }
}

/** The shared instance (the dialect holds no state). */
export const lanceDialect = new LanceDialect();
